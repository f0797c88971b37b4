/* store: the agent's in-memory container table. See store.h. */
#include "metrics/store.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ctr_match.h"

store *st_new(int64_t history_ms)
{
    store *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->history_ms = history_ms;
    return s;
}

/* e->cgh is NULL here: the engine closes handles (store.h, lifetime rule). */
static void entry_free(st_entry *e)
{
    free(e->svcs);
    bmeta_clear(&e->meta);
    if (e->hist)
        ring_free(e->hist);
    free(e->prom_labels);
    free(e);
}

void st_free(store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        entry_free(s->v[i]);
    free(s->v);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Index of id, or -(insertion point) - 1. */
static long find(const store *s, const char *id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->v[mid]->id, id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

st_entry *st_get(store *s, const char *id)
{
    long i = find(s, id);
    return i >= 0 ? s->v[i] : NULL;
}

st_entry *st_get_or_add(store *s, const char *id)
{
    long i = find(s, id);
    if (i >= 0)
        return s->v[i];
    size_t at = (size_t)(-i - 1);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        st_entry **v = xrealloc(s->v, cap * sizeof(*v));
        s->v = v;
        s->cap = cap;
    }
    st_entry *e = xcalloc(1, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    snprintf(e->short_id, sizeof(e->short_id), "%.12s", id);
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof(*s->v));
    s->v[at] = e;
    s->n++;
    return e;
}

void st_set_meta(store *s, const bmeta *m)
{
    st_entry *e = st_get_or_add(s, m->id);
    bmeta_clear(&e->meta);
    bmeta_copy(&e->meta, m);
    e->has_meta = 1;
    e->meta_gen++;
}

void st_net_totals(const bsample *smp, uint64_t *rx, uint64_t *tx)
{
    *rx = *tx = 0;
    for (uint32_t i = 0; i < smp->n_ifaces; i++) {
        if (strcmp(smp->ifaces[i].name, "lo") == 0)
            continue;
        *rx += smp->ifaces[i].rx_bytes;
        *tx += smp->ifaces[i].tx_bytes;
    }
}

void st_commit(st_entry *e, const bsample *smp)
{
    e->prev = e->cur;
    e->cur = *smp;
    e->collects++;
    if (!e->hist)
        return;
    uint64_t v[ST_H_NFIELDS];
    v[ST_H_CPU_US] = smp->cpu_total_ns / 1000;
    v[ST_H_THROTTLED_US] = smp->cfs_throttled_ns / 1000;
    v[ST_H_MEM_USAGE] = smp->mem_usage;
    v[ST_H_MEM_WSET] = smp->mem_working_set;
    st_net_totals(smp, &v[ST_H_NET_RX], &v[ST_H_NET_TX]);
    v[ST_H_BLK_READ] = smp->blk_read_bytes;
    v[ST_H_BLK_WRITE] = smp->blk_write_bytes;
    v[ST_H_PIDS] = smp->pids;
    v[ST_H_OOM] = smp->oom_kills;
    ring_push(e->hist, smp->wall_ms, v);
}

void st_drop_cgroup(st_entry *e)
{
    e->cgpath[0] = '\0';
    e->collects = 0;
    free(e->svcs);
    e->svcs = NULL;
    e->n_svcs = 0;
    memset(&e->cur, 0, sizeof(e->cur));
    memset(&e->prev, 0, sizeof(e->prev));
    if (e->hist) {
        ring_free(e->hist);
        e->hist = NULL;
    }
}

void st_sweep(store *s)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        st_entry *e = s->v[i];
        if (!e->cgpath[0] && !e->has_meta) {
            entry_free(e);
            continue;
        }
        s->v[w++] = e;
    }
    s->n = w;
}

static double per_sec(uint64_t a, uint64_t b, double dt)
{
    return a >= b ? (double)(a - b) / dt : 0.0; /* counter reset: no rate this time */
}

void st_rates_of(const st_entry *e, st_rates *r)
{
    memset(r, 0, sizeof(*r));
    if (e->collects < 2 || e->cur.mono_ns <= e->prev.mono_ns)
        return;
    double dt = (double)(e->cur.mono_ns - e->prev.mono_ns) / 1e9;
    const bsample *c = &e->cur, *p = &e->prev;
    r->valid = 1;
    r->cpu_cores = per_sec(c->cpu_total_ns, p->cpu_total_ns, dt) / 1e9;
    if (c->cfs_periods > p->cfs_periods)
        r->cpu_throttled_ratio = (double)(c->cfs_throttled_periods - p->cfs_throttled_periods) /
                                 (double)(c->cfs_periods - p->cfs_periods);
    uint64_t crx, ctx, prx, ptx;
    st_net_totals(c, &crx, &ctx);
    st_net_totals(p, &prx, &ptx);
    r->net_rx_bps = per_sec(crx, prx, dt);
    r->net_tx_bps = per_sec(ctx, ptx, dt);
    r->blk_read_bps = per_sec(c->blk_read_bytes, p->blk_read_bytes, dt);
    r->blk_write_bps = per_sec(c->blk_write_bytes, p->blk_write_bytes, dt);
}

const char *st_name(const st_entry *e)
{
    return e->has_meta && e->meta.name[0] ? e->meta.name : e->short_id;
}

/* Whether a service with o's protocol, port and address is in v[0..n). */
static int svc_listed(const st_service *o, const st_service *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (o->proto == v[i].proto && o->port == v[i].port && strcmp(o->addr, v[i].addr) == 0)
            return 1;
    return 0;
}

void st_set_services(st_entry *e, const st_service *svcs, size_t n, size_t cap)
{
    /* A TCP service that stopped listening stays, down, until it comes
     * back or the container goes: an alert on berth_service_up == 0 must
     * not turn into a vanished series. Bounded by cap. */
    size_t gone = 0;
    for (size_t j = 0; j < e->n_svcs; j++)
        gone += e->svcs[j].probed && !svc_listed(&e->svcs[j], svcs, n);
    size_t total = n + gone > cap ? cap : n + gone; /* listening ones first */
    st_service *v = total ? xmalloc(total * sizeof(*v)) : NULL;
    size_t w = 0;
    for (size_t i = 0; i < n && w < total; i++) {
        v[w] = svcs[i];
        for (size_t j = 0; j < e->n_svcs; j++) {
            const st_service *o = &e->svcs[j];
            if (o->proto == v[w].proto && o->port == v[w].port && strcmp(o->addr, v[w].addr) == 0 &&
                o->up == v[w].up) {
                v[w].since_ms = o->since_ms;
                break;
            }
        }
        w++;
    }
    for (size_t j = 0; j < e->n_svcs && w < total; j++) {
        const st_service *o = &e->svcs[j];
        if (!o->probed || svc_listed(o, svcs, n))
            continue;
        v[w] = *o;
        if (o->up) {
            v[w].up = 0;
            v[w].since_ms = n ? svcs[0].since_ms : o->checked_ms;
        }
        v[w].latency_s = 0;
        snprintf(v[w].error, sizeof(v[w].error), "not listening");
        w++;
    }
    free(e->svcs);
    e->svcs = v;
    e->n_svcs = w;
}

int st_resolve_if(store *s, const char *key, int (*keep)(const st_entry *), st_entry **out)
{
    ctr_matcher m;
    ctr_matcher_init(&m, key);
    for (size_t i = 0; i < s->n; i++) {
        const st_entry *e = s->v[i];
        if (!keep || keep(e))
            ctr_matcher_add(&m, i, e->id, e->has_meta ? e->meta.name : NULL);
    }
    long i = ctr_matcher_result(&m);
    *out = i >= 0 ? s->v[i] : NULL;
    return i >= 0 ? 0 : (int)i;
}

int st_resolve(store *s, const char *key, st_entry **out)
{
    return st_resolve_if(s, key, NULL, out);
}
