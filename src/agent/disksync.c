/*
 * disksync: store -> disk tracker targets, and the Engine API size hook
 * (see disksync.h). The tracker's thread calls sync() once a second; it
 * holds the store lock only to copy what the targets need, and calls
 * dt_set_targets after letting it go (lock order: store, then the
 * tracker's; dt_set_targets takes neither).
 */
#include "agent/disksync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"
#include "util/clock.h"
#include "util/log.h"

struct disksync {
    dt_tracker *t;
    store *store;
    dk_client *dk; /* the size hook's, or NULL */
    uint64_t sig;  /* of the store's metadata at the last copy */
    size_t n_set;  /* targets given at the last copy */
    int64_t started_ms;
};

/* Fills v (room for s->n) from s, locked; returns how many. */
static size_t targets_locked(const store *s, dt_target *v)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const st_entry *e = s->v[i];
        if (!e->has_meta)
            continue;
        dt_target *g = &v[n++];
        snprintf(g->id, sizeof(g->id), "%s", e->id);
        snprintf(g->upper, sizeof(g->upper), "%s", e->meta.upper_dir);
        snprintf(g->driver, sizeof(g->driver), "%s", e->meta.graph_driver);
        snprintf(g->log_path, sizeof(g->log_path), "%s", e->meta.log_path);
        snprintf(g->image_id, sizeof(g->image_id), "%s", e->meta.image_id);
        snprintf(g->image, sizeof(g->image), "%s", e->meta.image);
        g->lower = e->meta.lower_dir ? strdup(e->meta.lower_dir) : NULL;
        for (size_t k = 0; k < e->meta.n_mounts && g->n_vols < DT_MAX_VOLS; k++) {
            char *const *m = e->meta.mounts + BM_MOUNT_FIELDS * k;
            if (strcmp(m[BM_MOUNT_TYPE], "volume") && strcmp(m[BM_MOUNT_TYPE], "bind"))
                continue;
            snprintf(g->vols[g->n_vols].type, sizeof(g->vols[0].type), "%s", m[BM_MOUNT_TYPE]);
            snprintf(g->vols[g->n_vols].name, sizeof(g->vols[0].name), "%s", m[BM_MOUNT_NAME]);
            snprintf(g->vols[g->n_vols].source, sizeof(g->vols[0].source), "%s",
                     m[BM_MOUNT_SOURCE]);
            g->n_vols++;
        }
    }
    return n;
}

int disksync_targets(store *s, dt_target **out, size_t *n)
{
    st_lock(s);
    dt_target *v = calloc(s->n ? s->n : 1, sizeof(*v));
    if (!v) {
        st_unlock(s);
        return -ENOMEM;
    }
    *n = targets_locked(s, v);
    st_unlock(s);
    *out = v;
    return 0;
}

void disksync_targets_free(dt_target *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].lower);
    free(v);
}

/* dt_sync_fn: copies the Docker side of the store into targets when it
 * changed (or while the tracker has none). */
static int sync(dt_tracker *t, void *arg)
{
    disksync *d = arg;
    store *s = d->store;
    st_lock(s);
    uint64_t sig = s->n * 1000003u;
    for (size_t i = 0; i < s->n; i++)
        sig = sig * 31 + s->v[i]->meta_gen + (uint64_t)s->v[i]->has_meta * 7;
    if (sig == d->sig && d->n_set) {
        st_unlock(s);
        return 0;
    }
    dt_target *v = calloc(s->n ? s->n : 1, sizeof(*v));
    size_t n = 0, with_meta = 0;
    for (size_t i = 0; i < s->n; i++)
        with_meta += s->v[i]->has_meta;
    /* the Docker watcher fills the store after we start: containers with
     * metadata (or 10 s without any, a host with none) mean we have them */
    int known = with_meta || clock_mono_ms() - d->started_ms > 10000;
    if (v)
        n = targets_locked(s, v);
    d->sig = sig;
    st_unlock(s);
    if (v && dt_set_targets(t, v, n) == 0)
        d->n_set = n;
    disksync_targets_free(v, n);
    return known;
}

/* dt_size_fn: the engine's SizeRw for a container without an upper dir. */
static int size_rw(void *arg, const char *id, int64_t *rw)
{
    disksync *d = arg;
    char err[512] = "";
    int64_t rootfs = -1;
    int rc = dk_container_size(d->dk, id, rw, &rootfs, err, sizeof(err));
    if (rc < 0 && err[0])
        log_debug("disk", "writable layer size of %.12s from the Engine API: %s", id, err);
    return rc;
}

int disksync_new(const dt_opts *o, disksync **out, char *err, size_t errlen)
{
    disksync *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    dt_opts oo = *o;
    if (o->engine_size && !o->size_fn) {
        /* not fatal: without it such containers show source "none" */
        char why[256];
        if (dk_client_new(o->docker_host, &d->dk, why, sizeof(why)) < 0)
            log_warn("disk", "no Engine API size fallback for writable layers: %s", why);
        else {
            oo.size_fn = size_rw;
            oo.size_arg = d;
        }
    }
    int rc = dt_new(&oo, &d->t, err, errlen);
    if (rc < 0) {
        disksync_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

dt_tracker *disksync_tracker(const disksync *d)
{
    return d ? d->t : NULL;
}

int disksync_start(disksync *d, store *s, char *err, size_t errlen)
{
    d->store = s;
    d->started_ms = clock_mono_ms();
    return dt_start(d->t, sync, d, err, errlen);
}

void disksync_stop(disksync *d)
{
    if (d)
        dt_stop(d->t);
}

void disksync_free(disksync *d)
{
    if (!d)
        return;
    dt_free(d->t); /* stops the thread first: the hook's client is unused after */
    dk_client_free(d->dk);
    free(d);
}
