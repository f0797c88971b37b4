/* svcmon: the services monitor thread. See svcmon.h. */
#include "core/svcmon.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/store.h"
#include "procs/passwd.h"
#include "services/svc.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_PIDS 4096

struct svcmon {
    engine *e;
    svcmon_opts o;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int stopping;
};

/* What the pass needs of a container, copied out under the store lock. */
typedef struct target {
    char id[65];
    char cgpath[CG_PATH_MAX];
    char ignore[256];
    char http[512];
    bport ports[BM_MAX_PORTS]; /* exposed and published, from Docker */
    uint32_t n_ports;
} target;

/* Is port in a "8080,9000" list? */
static int port_listed(const char *list, int port)
{
    for (const char *p = list; p && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end != p && v == port && (*end == ',' || *end == ':' || *end == '\0' || *end == ' '))
            return 1;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return 0;
}

/* Looks up port in a "8080:/health:200,9090:/" list; fills path and status. */
static int http_probe_for(const char *list, int port, char *path, size_t cap, int *status)
{
    for (const char *p = list; p && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        const char *next = strchr(p, ',');
        if (end != p && v == port && *end == ':') {
            const char *ps = end + 1;
            const char *pe = next ? next : ps + strlen(ps);
            const char *colon = memchr(ps, ':', (size_t)(pe - ps));
            size_t pl = (size_t)((colon ? colon : pe) - ps);
            snprintf(path, cap, "%.*s", (int)pl, ps);
            *status = colon ? atoi(colon + 1) : 0;
            return 1;
        }
        p = next ? next + 1 : NULL;
    }
    return 0;
}

/* Appends to dst (a label-style list) the entries of a config list
 * "NAME:REST,..." whose NAME is the container's or "*", as "REST". */
static void merge_cfg(char *dst, size_t cap, const char *cfg, const char *name)
{
    for (const char *p = cfg; p && *p;) {
        const char *next = strchr(p, ',');
        const char *end = next ? next : p + strlen(p);
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            size_t nl = (size_t)(colon - p);
            if ((nl == 1 && *p == '*') || (nl == strlen(name) && strncmp(p, name, nl) == 0)) {
                size_t used = strlen(dst);
                snprintf(dst + used, cap - used, "%s%.*s", used ? "," : "", (int)(end - colon - 1),
                         colon + 1);
            }
        }
        p = next ? next + 1 : NULL;
    }
}

static void pass_one(engine *e, const target *t, int probe_timeout_ms, int *pids, svc_listener *ls,
                     svc_probe_req *reqs, svc_probe_result *res, st_service *out, pw_cache *pw)
{
    const cg_layout *l = engine_layout(e);
    char path[CG_PATH_MAX * 2 + 32];
    cg_procs_path(l, t->cgpath, path, sizeof(path));
    int np = svc_read_pids(path, pids, MAX_PIDS);
    size_t nl = 0;
    if (np <= 0 || svc_discover(l->host_root, pids, (size_t)np, ls, SVC_MAX_LISTENERS, &nl) < 0)
        nl = 0; /* stopped meanwhile, or no process yet: nothing listens */

    size_t n = 0, nreq = 0;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < nl; i++) {
        if (port_listed(t->ignore, ls[i].port))
            continue;
        st_service *s = &out[n++];
        memset(s, 0, sizeof(*s));
        s->proto = ls[i].proto;
        snprintf(s->addr, sizeof(s->addr), "%s", ls[i].addr);
        s->port = ls[i].port;
        s->pid = ls[i].pid;
        snprintf(s->process, sizeof(s->process), "%s", ls[i].comm);
        s->uid = ls[i].uid;
        /* the name in the container's own /etc/passwd, read through the
         * owner's root; a listener whose owner was not found has none */
        if (ls[i].pid > 0 && pw)
            pw_cache_name(pw, l->host_root, t->id, ls[i].pid, ls[i].uid, s->user, sizeof(s->user));
        else if (ls[i].pid > 0)
            snprintf(s->user, sizeof(s->user), "%u", ls[i].uid);
        s->since_ms = now;
        s->listening = 1;
        if (ls[i].proto != SVC_TCP)
            continue;
        svc_probe_req *r = &reqs[nreq++];
        memset(r, 0, sizeof(*r));
        snprintf(r->addr, sizeof(r->addr), "%s", ls[i].addr);
        r->port = ls[i].port;
        r->timeout_ms = probe_timeout_ms;
        r->kind = http_probe_for(t->http, ls[i].port, r->path, sizeof(r->path), &r->expect_status)
                      ? SVC_PROBE_HTTP
                      : SVC_PROBE_TCP;
        s->probed = 1;
    }
    if (nreq > 0) {
        int rc = svc_probe_batch(ls[0].netns_pid, l->host_root, reqs, nreq, res);
        if (rc < 0 && rc != -ENOENT)
            log_warn("services", "probes for %.12s: %s", t->id, strerror(-rc));
    }
    /* What Docker says the image exposes or the host publishes: marked on
     * the listeners, and listed (not probed) when nothing listens there. */
    for (uint32_t j = 0; j < t->n_ports; j++) {
        const bport *bp = &t->ports[j];
        int proto = bp->udp ? SVC_UDP : SVC_TCP, matched = 0;
        for (size_t i = 0; i < n; i++) {
            if (out[i].port != bp->port || out[i].proto != proto)
                continue;
            out[i].exposed = bp->exposed;
            out[i].host_port = bp->host_port;
            snprintf(out[i].host_ip, sizeof(out[i].host_ip), "%s", bp->host_ip);
            matched = 1;
        }
        if (matched || n >= SVC_MAX_LISTENERS || port_listed(t->ignore, bp->port))
            continue;
        st_service *s = &out[n++];
        memset(s, 0, sizeof(*s));
        s->proto = proto;
        s->port = bp->port;
        s->exposed = bp->exposed;
        s->host_port = bp->host_port;
        snprintf(s->host_ip, sizeof(s->host_ip), "%s", bp->host_ip);
        snprintf(s->error, sizeof(s->error), "not listening");
        s->since_ms = now;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!out[i].probed)
            continue;
        out[i].up = res[k].up;
        out[i].latency_s = (double)res[k].latency_ns / 1e9;
        snprintf(out[i].error, sizeof(out[i].error), "%s", res[k].error);
        out[i].checked_ms = clock_wall_ms();
        k++;
    }

    store *st = engine_store(e);
    st_lock(st);
    st_entry *en = st_get(st, t->id);
    if (en && en->cgpath[0]) {
        /* a port ignored since the last pass is forgotten, not kept as down */
        size_t w = 0;
        for (size_t i = 0; i < en->n_svcs; i++)
            if (!port_listed(t->ignore, en->svcs[i].port))
                en->svcs[w++] = en->svcs[i];
        en->n_svcs = w;
        st_set_services(en, out, n, SVC_MAX_LISTENERS);
    }
    st_unlock(st);
}

/* One pass; stop (may be NULL) ends it early between containers, so a stop
 * waits for at most one container's probes, not a whole pass. */
static void pass(engine *e, const svcmon_opts *o, pw_cache *pw, atomic_int *stop)
{
    int probe_timeout_ms = o->probe_timeout_ms;
    store *st = engine_store(e);
    st_lock(st);
    size_t nt = 0;
    target *ts = st->n ? calloc(st->n, sizeof(*ts)) : NULL;
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (!en->cgpath[0] || en->collects == 0)
            continue;
        target *t = &ts[nt++];
        snprintf(t->id, sizeof(t->id), "%s", en->id);
        snprintf(t->cgpath, sizeof(t->cgpath), "%s", en->cgpath);
        const char *v;
        if (en->has_meta && (v = bmeta_label(&en->meta, "berth.probe.ignore")))
            snprintf(t->ignore, sizeof(t->ignore), "%s", v);
        if (en->has_meta && (v = bmeta_label(&en->meta, "berth.probe.http")))
            snprintf(t->http, sizeof(t->http), "%s", v);
        if (en->has_meta) {
            memcpy(t->ports, en->meta.ports, sizeof(t->ports));
            t->n_ports = en->meta.n_ports;
        }
        merge_cfg(t->ignore, sizeof(t->ignore), o->probe_ignore, st_name(en));
        merge_cfg(t->http, sizeof(t->http), o->probe_http, st_name(en));
    }
    st_unlock(st);
    if (nt == 0) {
        free(ts);
        return;
    }
    int *pids = malloc(MAX_PIDS * sizeof(*pids));
    svc_listener *ls = malloc(SVC_MAX_LISTENERS * sizeof(*ls));
    svc_probe_req *reqs = malloc(SVC_MAX_LISTENERS * sizeof(*reqs));
    svc_probe_result *res = malloc(SVC_MAX_LISTENERS * sizeof(*res));
    st_service *out = malloc(SVC_MAX_LISTENERS * sizeof(*out));
    if (pids && ls && reqs && res && out)
        for (size_t i = 0; i < nt && !(stop && atomic_load(stop)); i++)
            pass_one(e, &ts[i], probe_timeout_ms, pids, ls, reqs, res, out, pw);
    free(out);
    free(res);
    free(reqs);
    free(ls);
    free(pids);
    free(ts);
}

void svcmon_pass(engine *e, const svcmon_opts *o)
{
    pw_cache *pw = pw_cache_new();
    pass(e, o, pw, NULL);
    pw_cache_free(pw);
}

static void *svcmon_main(void *arg)
{
    svcmon *m = arg;
    /* user names, cached across passes: a file is read again only when it
     * changed or the container restarted (procs/passwd.h) */
    pw_cache *pw = pw_cache_new();
    while (!m->stopping) {
        pass(m->e, &m->o, pw, &m->stopping);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += m->o.interval_ms / 1000;
        ts.tv_nsec += (m->o.interval_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&m->lock);
        while (!m->stopping && pthread_cond_timedwait(&m->cond, &m->lock, &ts) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&m->lock);
    }
    pw_cache_free(pw);
    return NULL;
}

int svcmon_start(engine *e, const svcmon_opts *o, svcmon **out, char *err, size_t errlen)
{
    svcmon *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->e = e;
    m->o = *o;
    if (m->o.interval_ms <= 0)
        m->o.interval_ms = 10000;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->thread, NULL, svcmon_main, m) != 0) {
        snprintf(err, errlen, "cannot start the services thread");
        pthread_cond_destroy(&m->cond);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return -EAGAIN;
    }
    *out = m;
    return 0;
}

void svcmon_stop(svcmon *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = 1;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
