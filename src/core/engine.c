/*
 * engine: the collector and Docker watcher threads around the store.
 * See engine.h for the thread model; this file's invariants:
 *   - only the collector thread adds cgroup paths, commits samples and
 *     frees entries (st_sweep), so it can read files for an entry without
 *     holding the lock;
 *   - the watcher only replaces metadata or clears has_meta;
 *   - stop is a flag plus a condition variable for the collector's sleep
 *     and dk_cancel() for the watcher's blocking event stream.
 */
#include "core/engine.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker/docker.h"
#include "model/view.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Limits are read when a cgroup is found, at once after a Docker "update"
 * event (docker update is how they change), and every SPEC_EVERY cycles as a
 * backstop for runtimes without events: reading them costs seven opens, as
 * much as six idle cycles of the container. */
#define SPEC_EVERY 60
/* The cached in-container pid is re-checked this often (pid reuse). */
#define PID_EVERY 60

struct engine {
    engine_opts o;
    char host_root[CG_PATH_MAX];
    char docker_host[256];
    cg_layout layout;
    store *st;
    engine_stats stats;
    uint64_t gen;

    pthread_t collector, watcher;
    int started;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    atomic_int stopping;     /* read without stop_lock by the watcher loop */
    dk_client *ev_client;    /* owned by the watcher; cancelled by stop */
    struct dt_tracker *disk; /* borrowed: the disk tracker, NULL when off */
};

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int engine_new(const engine_opts *o, engine **out, char *err, size_t errlen)
{
    engine *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->o = *o;
    snprintf(e->host_root, sizeof(e->host_root), "%s", o->host_root);
    snprintf(e->docker_host, sizeof(e->docker_host), "%s", o->docker_host);
    if (e->o.interval_ms <= 0)
        e->o.interval_ms = 1000;
    int rc = cg_layout_detect(e->host_root, &e->layout, err, errlen);
    if (rc < 0) {
        free(e);
        return rc;
    }
    e->st = st_new(o->history_ms);
    pthread_mutex_init(&e->stop_lock, NULL);
    /* The collector's deadlines are CLOCK_MONOTONIC: a wall-clock step must
     * neither stall nor race the schedule. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = e;
    return 0;
}

void engine_free(engine *e)
{
    if (!e)
        return;
    engine_stop(e);
    /* handles are the engine's (store.h, lifetime rule) */
    for (size_t i = 0; i < e->st->n; i++) {
        cg_handle_free(e->st->v[i]->cgh);
        e->st->v[i]->cgh = NULL;
    }
    st_free(e->st);
    pthread_mutex_destroy(&e->stop_lock);
    pthread_cond_destroy(&e->stop_cond);
    free(e);
}

store *engine_store(engine *e)
{
    return e->st;
}

void engine_set_disk(engine *e, struct dt_tracker *t)
{
    e->disk = t;
}

struct dt_tracker *engine_disk(const engine *e)
{
    return e->disk;
}

const cg_layout *engine_layout(const engine *e)
{
    return &e->layout;
}

void engine_get_stats(engine *e, engine_stats *st)
{
    st_lock(e->st);
    *st = e->stats;
    st_unlock(e->st);
}

struct export_src *engine_export_src(engine *e, struct export_src *out)
{
    memset(out, 0, sizeof(*out));
    out->st = e->st;
    engine_get_stats(e, &out->stats);
    out->cg_mode = (int)e->layout.mode;
    out->dt = e->disk;
    return out;
}

/* ---- collection -------------------------------------------------------- */

typedef struct found_list {
    cg_found *v;
    size_t n, cap;
} found_list;

static int on_found(const cg_found *f, void *arg)
{
    found_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        cg_found *v = xrealloc(l->v, cap * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *f;
    return 0;
}

/* Work item for one container in one cycle: read unlocked, commit locked. */
typedef struct work {
    st_entry *e;
    int rc;
    int want_spec;
    bsample s;
    bspec spec;
} work;

/* Closes an entry's cgroup handle, then forgets its cgroup side: the engine
 * owns handles, the store never frees one (store.h, lifetime rule). */
static void drop_cgroup(st_entry *en)
{
    cg_handle_free(en->cgh);
    en->cgh = NULL;
    st_drop_cgroup(en);
}

void engine_collect_once(engine *e)
{
    double cpu0 = thread_cpu_seconds();
    int64_t t0 = clock_mono_ns();
    found_list fl = {0};
    int nf = cg_discover(&e->layout, on_found, &fl);
    store *st = e->st;

    /* 1. merge discovery into the store */
    st_lock(st);
    uint64_t gen = ++e->gen;
    for (size_t i = 0; i < fl.n; i++) {
        st_entry *en = st_get_or_add(st, fl.v[i].id);
        if (strcmp(en->cgpath, fl.v[i].path) != 0) {
            drop_cgroup(en);
            snprintf(en->cgpath, sizeof(en->cgpath), "%s", fl.v[i].path);
            en->runtime = (int)fl.v[i].runtime;
        }
        en->seen_gen = gen;
    }
    size_t nw = 0;
    work *w = fl.n ? calloc(fl.n, sizeof(*w)) : NULL;
    for (size_t i = 0; i < st->n && nw < fl.n; i++) {
        st_entry *en = st->v[i];
        if (en->cgpath[0] && en->seen_gen == gen) {
            w[nw].e = en;
            w[nw].want_spec = (en->collects % SPEC_EVERY) == 0 || en->spec_stale;
            en->spec_stale = 0;
            nw++;
        }
    }
    st_unlock(st);

    /* 2. read files, unlocked (only this thread changes cgpath or frees) */
    for (size_t i = 0; i < nw; i++) {
        st_entry *en = w[i].e;
        if (!en->cgh)
            en->cgh = cg_handle_new(&e->layout, en->cgpath);
        if (!en->cgh) {
            w[i].rc = -ENOMEM;
            continue;
        }
        if (en->collects % PID_EVERY == PID_EVERY - 1)
            cg_handle_repid(en->cgh);
        w[i].rc = cg_collect(en->cgh, &w[i].s);
        if (w[i].rc == 0 && w[i].want_spec)
            cg_collect_spec(&e->layout, w[i].e->cgpath, &w[i].spec);
    }
    cg_host host;
    int hrc = cg_collect_host(&e->layout, &host);
    int64_t host_t = clock_mono_ns();

    /* 3. commit */
    st_lock(st);
    for (size_t i = 0; i < nw; i++) {
        st_entry *en = w[i].e;
        if (w[i].rc != 0) {
            drop_cgroup(en); /* vanished between discovery and read */
            continue;
        }
        if (w[i].want_spec)
            en->spec = w[i].spec;
        if (!en->hist && st->history_ms > 0)
            en->hist = ring_new(ST_H_NFIELDS, st->history_ms);
        st_commit(en, &w[i].s);
    }
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (en->cgpath[0] && en->seen_gen != gen)
            drop_cgroup(en); /* no longer in the tree: the container stopped */
    }
    st_sweep(st);
    if (hrc == 0) {
        st->host_prev = st->host;
        st->host_prev_mono_ns = st->host_mono_ns;
        st->host = host;
        st->host_mono_ns = host_t;
    }
    e->stats.cycles++;
    if (nf < 0)
        e->stats.collect_errors++;
    e->stats.last_cycle_seconds = (double)(clock_mono_ns() - t0) / 1e9;
    e->stats.cycle_cpu_seconds += thread_cpu_seconds() - cpu0;
    st_unlock(st);
    free(w);
    free(fl.v);
}

static int wait_or_stop(engine *e, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&e->stop_lock);
    while (!e->stopping) {
        if (pthread_cond_timedwait(&e->stop_cond, &e->stop_lock, &ts) == ETIMEDOUT)
            break;
    }
    int stop = e->stopping;
    pthread_mutex_unlock(&e->stop_lock);
    return stop;
}

static void *collector_main(void *arg)
{
    engine *e = arg;
    int64_t next = clock_mono_ns();
    for (;;) {
        engine_collect_once(e);
        /* Fixed-rate schedule: a slow cycle does not shift later ones. */
        next += e->o.interval_ms * 1000000;
        int64_t now = clock_mono_ns();
        if (next < now)
            next = now;
        if (wait_or_stop(e, (next - now) / 1000000))
            break;
    }
    return NULL;
}

/* ---- Docker ------------------------------------------------------------- */

static int sync_with(engine *e, dk_client *c, int all, int inspect, char *err, size_t errlen)
{
    bmeta *list = NULL;
    size_t n = 0;
    int rc = dk_list(c, all, &list, &n, err, errlen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && inspect; i++) {
        bmeta full = {0};
        if (dk_inspect(c, list[i].id, &full, err, errlen) == 0) {
            bmeta_clear(&list[i]);
            list[i] = full;
        } else {
            bmeta_clear(&full);
        }
    }
    st_lock(e->st);
    /* Containers the engine no longer lists lose their metadata. */
    for (size_t i = 0; i < e->st->n; i++) {
        st_entry *en = e->st->v[i];
        int listed = 0;
        for (size_t j = 0; j < n && !listed; j++)
            listed = strcmp(list[j].id, en->id) == 0;
        if (!listed && en->has_meta && (all || en->cgpath[0] == '\0')) {
            en->has_meta = 0;
            en->meta_gen++;
        }
    }
    for (size_t i = 0; i < n; i++)
        st_set_meta(e->st, &list[i]);
    snprintf(e->stats.docker_api, sizeof(e->stats.docker_api), "%s", dk_api_version(c));
    e->stats.docker_up = 1;
    st_unlock(e->st);
    for (size_t i = 0; i < n; i++)
        bmeta_clear(&list[i]);
    free(list);
    return 0;
}

int engine_docker_sync(engine *e, int all, int inspect, char *err, size_t errlen)
{
    dk_client *c = NULL;
    int rc = dk_client_new(e->docker_host[0] ? e->docker_host : NULL, &c, err, errlen);
    if (rc < 0)
        return rc;
    rc = dk_negotiate(c, err, errlen);
    if (rc == 0)
        rc = sync_with(e, c, all, inspect, err, errlen);
    dk_client_free(c);
    return rc;
}

typedef struct ev_ctx {
    engine *e;
    dk_client *req;
} ev_ctx;

static int on_event(const dk_event *ev, void *arg)
{
    ev_ctx *x = arg;
    engine *e = x->e;
    char err[256];
    /* A burst of events each costs an inspect; at stop, leave at once
     * rather than working through the backlog. */
    if (e->stopping)
        return 1;
    st_lock(e->st);
    e->stats.docker_events++;
    st_unlock(e->st);
    log_debug("docker", "event %s %.12s %s", ev->action, ev->id, ev->name);
    if (strcmp(ev->action, "destroy") == 0) {
        st_lock(e->st);
        st_entry *en = st_get(e->st, ev->id);
        if (en && en->has_meta) {
            en->has_meta = 0;
            en->meta_gen++;
        }
        st_unlock(e->st);
        return 0;
    }
    /* Only events that change what inspect says are worth a request to
     * dockerd: exec_* (every health check runs one), kill and stop (a die
     * follows), attach, resize, top... are not. */
    static const char *const wanted[] = {"create", "start", "die",     "rename", "restart",
                                         "update", "pause", "unpause", "oom",    NULL};
    int want = strncmp(ev->action, "health_status", 13) == 0;
    for (int i = 0; !want && wanted[i]; i++)
        want = strcmp(ev->action, wanted[i]) == 0;
    if (!want)
        return 0;
    if (strcmp(ev->action, "update") == 0) {
        st_lock(e->st);
        st_entry *en = st_get(e->st, ev->id);
        if (en)
            en->spec_stale = 1; /* new limits: the collector re-reads them */
        st_unlock(e->st);
    }
    /* Everything else (create, start, die, rename, health_status, restart,
     * oom, pause, update...) can change what inspect says: ask again. */
    bmeta m = {0};
    int rc = dk_inspect(x->req, ev->id, &m, err, sizeof(err));
    st_lock(e->st);
    if (rc == 0) {
        st_set_meta(e->st, &m);
    } else if (rc == -ENOENT) {
        st_entry *en = st_get(e->st, ev->id);
        if (en && en->has_meta) {
            en->has_meta = 0;
            en->meta_gen++;
        }
    } else {
        e->stats.docker_errors++;
        log_warn("docker", "inspect %.12s after %s: %s", ev->id, ev->action, err);
    }
    st_unlock(e->st);
    bmeta_clear(&m);
    return 0;
}

static void *watcher_main(void *arg)
{
    engine *e = arg;
    int said_down = 0;
    int64_t backoff_ms = 1000;
    while (!e->stopping) {
        char err[512] = "";
        dk_client *req = NULL;
        int rc = dk_client_new(e->docker_host[0] ? e->docker_host : NULL, &req, err, sizeof(err));
        if (rc == 0)
            rc = dk_negotiate(req, err, sizeof(err));
        time_t since = time(NULL);
        if (rc == 0)
            rc = sync_with(e, req, 1, 1, err, sizeof(err));
        if (rc == 0) {
            if (said_down)
                log_info("docker", "Docker API is back (API %s)", dk_api_version(req));
            else
                log_info("docker", "connected to the Docker API %s", dk_api_version(req));
            said_down = 0;
            backoff_ms = 1000;
            ev_ctx x = {e, req};
            /* since = before the list, so nothing between list and stream is lost */
            rc = dk_events(e->ev_client, (int64_t)since - 1, on_event, &x, err, sizeof(err));
            if (rc != -ECANCELED && !e->stopping) {
                log_warn("docker", "event stream ended: %s; reconnecting", err);
                st_lock(e->st);
                e->stats.docker_errors++;
                st_unlock(e->st);
            }
        } else if (!said_down) {
            log_warn("docker",
                     "Docker API unavailable (%s); continuing on cgroups alone, "
                     "names will appear when it answers",
                     err);
            said_down = 1;
        }
        st_lock(e->st);
        e->stats.docker_up = 0;
        st_unlock(e->st);
        dk_client_free(req);
        if (e->stopping || wait_or_stop(e, backoff_ms))
            break;
        if (backoff_ms < 10000)
            backoff_ms *= 2;
    }
    return NULL;
}

int engine_start(engine *e, char *err, size_t errlen)
{
    if (e->o.use_docker) {
        int rc =
            dk_client_new(e->docker_host[0] ? e->docker_host : NULL, &e->ev_client, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (pthread_create(&e->collector, NULL, collector_main, e) != 0) {
        snprintf(err, errlen, "cannot start the collector thread");
        return -EAGAIN;
    }
    if (e->o.use_docker && pthread_create(&e->watcher, NULL, watcher_main, e) != 0) {
        snprintf(err, errlen, "cannot start the Docker watcher thread");
        e->stopping = 1;
        pthread_join(e->collector, NULL);
        return -EAGAIN;
    }
    e->started = 1;
    return 0;
}

void engine_stop(engine *e)
{
    if (!e->started)
        return;
    pthread_mutex_lock(&e->stop_lock);
    e->stopping = 1;
    pthread_cond_broadcast(&e->stop_cond);
    pthread_mutex_unlock(&e->stop_lock);
    if (e->ev_client)
        dk_cancel(e->ev_client);
    pthread_join(e->collector, NULL);
    if (e->o.use_docker)
        pthread_join(e->watcher, NULL);
    dk_client_free(e->ev_client);
    e->ev_client = NULL;
    e->started = 0;
}
