/*
 * tracker: per-container disk usage kept current (see tracker.h for what and
 * why; ARCHITECTURE.md "Disk" for the measurements behind the choices).
 *
 * This file holds the interface's side: the targets (containers -> trees,
 * logs, images), publishing a snapshot for readers, the step that runs one
 * pass of work, the thread and the readers. The trees and the re-read of a
 * directory are tree.c's, change detection watch.c's (it reports; the step
 * acts), logs dlogs.c's, image layers images.c's; dt_int.h has their types.
 *
 * The step, in order: read events (they land in the pending list), move
 * the pending directories to the front of the work queue (changes before
 * first walks of other trees), every interval poll logs, the Engine API
 * size hook and the trees fanotify does not cover, re-read queued
 * directories until the queue is empty or the budget is spent, walk new
 * image layers, sum what changed, publish.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "disk/dt_int.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- targets ---- */

int dt_set_targets(dt_tracker *t, const dt_target *v, size_t n)
{
    uint32_t gen = ++t->gen;
    if (!t->sync)
        t->synced = 1; /* called directly (tests, berth df): these are the targets */
    for (dt_root *r = t->roots; r; r = r->next)
        r->users = 0;
    for (size_t i = 0; i < n; i++) {
        dt_cont *c = NULL;
        for (size_t k = 0; k < t->n_conts; k++)
            if (strcmp(t->conts[k].tg.id, v[i].id) == 0) {
                c = &t->conts[k];
                break;
            }
        if (!c) {
            if (t->n_conts == t->cap_conts) {
                size_t cap = t->cap_conts ? t->cap_conts * 2 : 32;
                dt_cont *nv = realloc(t->conts, cap * sizeof(*nv));
                if (!nv)
                    return -ENOMEM;
                t->conts = nv;
                t->cap_conts = cap;
            }
            c = &t->conts[t->n_conts++];
            memset(c, 0, sizeof(*c));
            c->eng_rw = -1;
            t->changed = 1;
        }
        c->tg = v[i];
        c->tg.lower = NULL;
        c->seen = gen;
        c->writable = v[i].upper[0] ? dt_root_get(t, v[i].upper) : NULL;
        if (c->writable)
            c->writable->users++;
        if (c->tg.n_vols > DT_MAX_VOLS)
            c->tg.n_vols = DT_MAX_VOLS;
        for (size_t k = 0; k < c->tg.n_vols; k++) {
            c->vols[k] = dt_root_get(t, v[i].vols[k].source);
            if (c->vols[k])
                c->vols[k]->users++;
        }
        dt_image_note(t, &v[i]);
    }
    /* drop containers not listed (their roots lose a user) */
    size_t j = 0;
    for (size_t k = 0; k < t->n_conts; k++) {
        if (t->conts[k].seen == gen)
            t->conts[j++] = t->conts[k];
        else
            t->changed = 1;
    }
    t->n_conts = j;
    /* images no container uses any more are forgotten (layers stay walked) */
    j = 0;
    for (size_t k = 0; k < t->n_imgs; k++) {
        if (t->imgs[k].seen == gen)
            t->imgs[j++] = t->imgs[k];
        else
            free(t->imgs[k].layers);
    }
    t->n_imgs = j;
    dt_layers_gc(t);
    dt_roots_gc(t);
    /* new containers: logs at once */
    for (size_t k = 0; k < t->n_conts; k++)
        if (!t->conts[k].logs_ok)
            dt_logs_poll(t, &t->conts[k]);
    return 0;
}

/* ---- publishing ---- */

static int cmp_ctr(const void *a, const void *b)
{
    return strcmp(((const dt_ctr *)a)->id, ((const dt_ctr *)b)->id);
}

static double growth(dt_growth *g, int64_t now, uint64_t v)
{
    if (g->n == 0 || now - g->t[g->n - 1] >= 10000) {
        if (g->n == DT_GROWTH_N) {
            memmove(g->t, g->t + 1, (DT_GROWTH_N - 1) * sizeof(g->t[0]));
            memmove(g->v, g->v + 1, (DT_GROWTH_N - 1) * sizeof(g->v[0]));
            g->n--;
        }
        g->t[g->n] = now;
        g->v[g->n] = v;
        g->n++;
    }
    if (g->n < 2 || now - g->t[0] <= 0)
        return 0;
    return ((double)v - (double)g->v[0]) * 1000.0 / (double)(now - g->t[0]);
}

static int root_ready(const dt_root *r)
{
    return r && (r->state == DT_R_READY || r->state == DT_R_GONE);
}

static void publish(dt_tracker *t)
{
    int64_t now = clock_mono_ms();
    dt_ctr *pub = calloc(t->n_conts ? t->n_conts : 1, sizeof(*pub));
    dt_image *img = calloc(t->n_imgs ? t->n_imgs : 1, sizeof(*img));
    if (!pub || !img) {
        free(pub);
        free(img);
        return;
    }
    for (size_t i = 0; i < t->n_conts; i++) {
        dt_cont *c = &t->conts[i];
        dt_ctr *p = &pub[i];
        snprintf(p->id, sizeof(p->id), "%s", c->tg.id);
        p->ready = c->logs_ok;
        if (c->writable) {
            snprintf(p->source, sizeof(p->source), "%s-upper",
                     c->tg.driver[0] ? c->tg.driver : "overlay2");
            p->writable = c->writable->figs;
            p->writable_files_known = 1;
            p->ready &= root_ready(c->writable);
        } else if (c->eng_rw >= 0) {
            /* Docker's SizeRw: apparent sizes of the layer's changes */
            snprintf(p->source, sizeof(p->source), "engine-api");
            p->writable.alloc = p->writable.apparent = (uint64_t)c->eng_rw;
        } else
            snprintf(p->source, sizeof(p->source), "none");
        p->logs = c->logs;
        p->vols = calloc(c->tg.n_vols ? c->tg.n_vols : 1, sizeof(*p->vols));
        for (size_t k = 0; p->vols && k < c->tg.n_vols; k++) {
            dt_vol *v = &p->vols[k];
            snprintf(v->type, sizeof(v->type), "%s", c->tg.vols[k].type);
            snprintf(v->name, sizeof(v->name), "%s", c->tg.vols[k].name);
            snprintf(v->source, sizeof(v->source), "%s", c->tg.vols[k].source);
            if (c->vols[k]) {
                v->shared = c->vols[k]->users > 1;
                v->ready = root_ready(c->vols[k]);
                v->f = c->vols[k]->figs;
            }
            p->ready &= v->ready;
            p->volumes_alloc += v->f.alloc;
            p->volumes_apparent += v->f.apparent;
            p->n_vols++;
        }
        p->total_alloc = p->writable.alloc + p->volumes_alloc + p->logs.alloc;
        if (p->ready)
            p->growth_bps = growth(&c->g, now, p->total_alloc);
        if (p->total_alloc != c->last_total) {
            c->last_total = p->total_alloc;
            c->updated_ms = clock_wall_ms();
        }
        int64_t u = c->updated_ms;
        if (c->writable && c->writable->changed_ms > u)
            u = c->writable->changed_ms;
        p->updated_ms = u;
    }
    qsort(pub, t->n_conts, sizeof(*pub), cmp_ctr);
    dt_stats st = t->st;
    /* before the first targets arrive there is nothing walked, not "done";
     * once done it stays so: containers created later show as counting on
     * their own (dt_ctr.ready) */
    if (!t->st.first_walk_done && t->synced) {
        int walking = 0;
        for (dt_root *r = t->roots; r && !walking; r = r->next)
            walking = r->state == DT_R_WALKING;
        t->st.first_walk_done = !walking;
    }
    st.first_walk_done = t->st.first_walk_done;
    /* images: each layer once per image; distinct layers once in the totals */
    uint8_t *counted = calloc(t->n_layers ? t->n_layers : 1, 1);
    for (size_t i = 0; i < t->n_imgs; i++) {
        dt_image *d = &img[i];
        snprintf(d->id, sizeof(d->id), "%s", t->imgs[i].id);
        snprintf(d->name, sizeof(d->name), "%s", t->imgs[i].name);
        d->ready = 1;
        for (size_t k = 0; k < t->imgs[i].n_layers; k++) {
            size_t li = t->imgs[i].layers[k];
            const dt_layer *l = &t->layers[li];
            d->ready &= l->done;
            d->f.alloc += l->f.alloc;
            d->f.apparent += l->f.apparent;
            d->f.files += l->f.files;
            d->layers++;
            if (counted && !counted[li]) {
                counted[li] = 1;
                st.images_alloc += l->f.alloc;
                st.images_apparent += l->f.apparent;
                st.images_files += l->f.files;
            }
        }
    }
    free(counted);
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        t->st.cpu_seconds = st.cpu_seconds = (double)ru.ru_utime.tv_sec +
                                             ru.ru_utime.tv_usec / 1e6 +
                                             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    pthread_mutex_lock(&t->lock);
    dt_ctr *old = t->pub;
    size_t n_old = t->n_pub;
    dt_image *old_img = t->pub_img;
    t->pub = pub;
    t->n_pub = t->n_conts;
    t->pub_img = img;
    t->n_pub_img = t->n_imgs;
    t->pub_st = st;
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n_old; i++)
        free(old[i].vols);
    free(old);
    free(old_img);
    t->last_publish_ms = now;
    t->changed = 0;
}

/* ---- Engine API fallback for writable layers without an upper dir ---- */

/* At most one request per call (one call per interval): the next container
 * in round-robin order without an upper directory whose figure is missing
 * or older than verify_ms, through dt_opts.size_fn. Runs on the tracker
 * thread; dt_lock is not held (publish takes it afterwards). Returns 1 if
 * it asked. */
static int engine_poll(dt_tracker *t)
{
    if (!t->o.size_fn || !t->n_conts)
        return 0;
    int64_t now = clock_mono_ms();
    dt_cont *c = NULL;
    for (size_t k = 0; k < t->n_conts; k++) {
        size_t i = (t->eng_rr + k) % t->n_conts;
        dt_cont *x = &t->conts[i];
        if (x->writable)
            continue;
        if (x->eng_at && (t->o.verify_ms <= 0 || now - x->eng_at < t->o.verify_ms))
            continue;
        c = x;
        t->eng_rr = i + 1;
        break;
    }
    if (!c)
        return 0;
    char id[sizeof(c->tg.id)];
    snprintf(id, sizeof(id), "%s", c->tg.id);
    int64_t rw = -1;
    int rc = t->o.size_fn(t->o.size_arg, id, &rw);
    c->eng_at = now > 0 ? now : 1;
    if (rc < 0 || rw < 0) {
        t->st.errors++;
        log_debug("disk", "writable layer size of %.12s from the Engine API: %s", id,
                  rc < 0 ? strerror(-rc) : "no SizeRw in the answer");
        return 1;
    }
    if (rw != c->eng_rw) {
        c->eng_rw = rw;
        t->changed = 1;
    }
    return 1;
}

/* ---- the step ---- */

size_t dt_step(dt_tracker *t, int wait_ms, uint64_t budget)
{
    dt_watch_read(t, t->qhead || t->phead ? 0 : wait_ms);
    /* changes go before first walks of other trees: a big first walk must
     * not delay them */
    while (t->phead) {
        dt_node *n = t->phead;
        dt_p_del(t, n);
        dt_q_push(t, n, 1);
    }
    int64_t now = clock_mono_ms();
    if (t->poll_all) {
        t->poll_all = 0;
        for (dt_root *r = t->roots; r; r = r->next)
            if (r->state == DT_R_READY && r->top)
                dt_poll_root(t, r);
    }
    int due = now >= t->next_interval_ms;
    if (due) {
        t->next_interval_ms = now + t->o.interval_ms;
        t->interval_no++;
        for (size_t i = 0; i < t->n_conts; i++)
            dt_logs_poll(t, &t->conts[i]);
        engine_poll(t);
    }
    for (dt_root *r = t->roots; r; r = r->next) {
        if (r->is_file) {
            if (due)
                dt_root_stat_file(t, r);
            continue;
        }
        if (r->state == DT_R_GONE) {
            if (due && dt_poll_root(t, r)) /* it is back */
                dt_root_start(t, r);
            continue;
        }
        if (due && r->state == DT_R_READY && r->top &&
            (!r->watched || t->interval_no % DT_LOG_RELIST == 0)) {
            /* the top itself deleted, moved or replaced: its events are in
             * its parent, which is not tracked; one lstat per tree per
             * interval catches it */
            struct stat sb;
            if (lstat(r->path, &sb) != 0 || sb.st_ino != r->top->ino || sb.st_dev != r->dev) {
                dt_node_free_tree(t, r->top);
                r->top = NULL;
                dt_root_start(t, r);
                continue;
            }
        }
        if (r->state == DT_R_READY && !r->watched && now >= r->next_poll_ms) {
            r->next_poll_ms = now + t->o.interval_ms;
            dt_poll_root(t, r);
        }
        if (r->state == DT_R_READY && r->top && now >= r->next_verify_ms) {
            r->next_verify_ms = now + t->o.verify_ms;
            dt_root_queue_all(t, r);
        }
    }
    uint64_t cost = 0;
    while (t->qhead && (!budget || cost < budget))
        cost += dt_scan(t, t->qhead);
    if (!budget)
        cost += dt_layers_walk(t, 0);
    else if (cost < budget)
        cost += dt_layers_walk(t, budget - cost); /* a layer at a time: may pass it once */
    dt_fdc_clear(t);
    for (dt_root *r = t->roots; r; r = r->next) {
        if (r->relink && r->top) {
            /* re-read in the next slices; until then the other name may
             * count twice */
            r->relink = 0;
            dt_root_queue_all(t, r);
        }
        if (r->dirty_sum && r->top)
            dt_root_sum(t, r);
        if (r->state == DT_R_WALKING && r->pending == 0 && r->top) {
            r->state = DT_R_READY;
            t->changed = 1;
        }
    }
    size_t left = t->qlen;
    if (t->changed || due || now - t->last_publish_ms >= 1000)
        publish(t);
    return left;
}

/* ---- one-shot ---- */

void dt_settle(dt_tracker *t)
{
    while (dt_step(t, 0, 0) > 0)
        ;
    while (engine_poll(t))
        ;
    publish(t);
}

/* ---- lifecycle ---- */

int dt_new(const dt_opts *o, dt_tracker **out, char *err, size_t errlen)
{
    dt_tracker *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->o = *o;
    if (t->o.interval_ms <= 0)
        t->o.interval_ms = 10000;
    if (!t->o.max_dirs)
        t->o.max_dirs = 1000000;
    if (!t->o.slice_stats)
        t->o.slice_stats = 4096;
    snprintf(t->host_root, sizeof(t->host_root), "%s",
             o->host_root && strcmp(o->host_root, "/") ? o->host_root : "");
    t->fan_fd = -1;
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->stop_lock, NULL);
    pthread_cond_init(&t->stop_cond, NULL);
    t->dents = malloc(DT_DENTS_BUF);
    t->w = du_walker_new();
    if (!t->dents || !t->w) {
        dt_free(t);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    dt_watch_open(t); /* the change detection back end: watch.c */
    t->pub_st = t->st;
    *out = t;
    return 0;
}

void dt_free(dt_tracker *t)
{
    if (!t)
        return;
    dt_stop(t);
    dt_fdc_clear(t);
    dt_roots_free(t);
    dt_images_free(t);
    free(t->conts);
    free(t->hash);
    free(t->dents);
    free(t->names);
    du_walker_free(t->w);
    dt_watch_close(t);
    for (size_t i = 0; i < t->n_pub; i++)
        free(t->pub[i].vols);
    free(t->pub);
    free(t->pub_img);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_destroy(&t->stop_lock);
    pthread_cond_destroy(&t->stop_cond);
    free(t);
}

static void *dt_main(void *arg)
{
    dt_tracker *t = arg;
    /* below the collector and HTTP workers: a first walk of a big host
     * takes what is left over */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
        log_debug("disk", "setpriority: %s", strerror(errno));
    int64_t next_sync = 0, next_round = 0;
    for (;;) {
        pthread_mutex_lock(&t->stop_lock);
        int stop = t->stop;
        pthread_mutex_unlock(&t->stop_lock);
        if (stop)
            break;
        int64_t now = clock_mono_ms();
        if (now >= next_sync) {
            if (t->sync(t, t->sync_arg))
                t->synced = 1;
            next_sync = now + 1000;
        }
        if (now >= next_round || t->qhead) {
            if (dt_step(t, 0, t->o.slice_stats))
                continue; /* a walk in slices: events and stop between them */
            next_round = now + 1000;
        }
        /* Between rounds only read events (so the kernel's queue never
         * fills): the directories they name wait in the pending list for
         * the next round. At most one round of re-reads per second: a file
         * written continuously costs one scan of its directory per second. */
        int64_t wait = next_round - clock_mono_ms();
        uint64_t ev = t->st.events;
        dt_watch_read(t, (int)(wait < 1 ? 1 : wait > 1000 ? 1000 : wait));
        /* a busy filesystem sends events all the time: read them in batches
         * (at most 5 wake-ups a second; the kernel holds 16384 events, so
         * this keeps up with 80,000 a second) */
        wait = next_round - clock_mono_ms();
        if (t->st.events != ev && wait > 0) {
            struct timespec ts = {0, (wait > 200 ? 200 : wait) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int dt_start(dt_tracker *t, dt_sync_fn sync, void *arg, char *err, size_t errlen)
{
    t->sync = sync;
    t->sync_arg = arg;
    if (pthread_create(&t->thread, NULL, dt_main, t) != 0) {
        snprintf(err, errlen, "cannot start the disk tracker thread");
        return -EAGAIN;
    }
    t->running = 1;
    pthread_setname_np(t->thread, "berth-disk"); /* for perf/strace -p by thread */
    return 0;
}

void dt_stop(dt_tracker *t)
{
    if (!t || !t->running)
        return;
    pthread_mutex_lock(&t->stop_lock);
    t->stop = 1;
    pthread_cond_broadcast(&t->stop_cond);
    pthread_mutex_unlock(&t->stop_lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}

/* ---- readers ---- */

void dt_lock(dt_tracker *t)
{
    pthread_mutex_lock(&t->lock);
}

void dt_unlock(dt_tracker *t)
{
    pthread_mutex_unlock(&t->lock);
}

const dt_ctr *dt_find(const dt_tracker *t, const char *id)
{
    size_t lo = 0, hi = t->n_pub;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->pub[mid].id, id);
        if (c == 0)
            return &t->pub[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const dt_ctr *dt_ctrs(const dt_tracker *t, size_t *n)
{
    *n = t->n_pub;
    return t->pub;
}

const dt_image *dt_images(const dt_tracker *t, size_t *n)
{
    *n = t->n_pub_img;
    return t->pub_img;
}

void dt_get_stats(const dt_tracker *t, dt_stats *st)
{
    *st = t->pub_st;
}
