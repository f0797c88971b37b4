/*
 * store: the agent's in-memory state, one entry per container.
 *
 * An entry is created when a container is seen either in the cgroup tree
 * (collector) or by the Docker API (watcher), and holds what each side
 * knows: the cgroup path and the last two samples (for rates), the Docker
 * metadata, the limits, and a compressed history ring.
 *
 * Locking: one mutex guards the whole store. Writers hold it only to commit
 * (a cycle's samples are read from files with the lock released); readers
 * (exporters) hold it while they render. Entries are kept in an array sorted
 * by id, so lookups are a binary search and output order is stable.
 *
 * Lifetime rule: only the collector thread frees entries (st_sweep), so the
 * collector may keep entry pointers across unlocked file reads. Other threads
 * mark entries (has_meta = 0) and let the sweep remove them.
 *
 * Cgroup handles: an entry's cgh (open cgroup files) belongs to the engine,
 * which opens it on the collector thread and closes it (cg_handle_free) and
 * sets it to NULL before the entry loses its cgroup (st_drop_cgroup) and
 * before st_free. The store never opens or closes one, so it needs nothing
 * from cgroup/: an entry swept or freed has cgh == NULL.
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <pthread.h>
#include <stdint.h>

#include "metrics/ring.h"
#include "model/host.h" /* CG_PATH_MAX, cg_host */
#include "model/sample.h"

struct cg_handle; /* cgroup/cgroup.h; the engine's, see the lifetime rule */

/* Fields kept in the history ring, in this order. */
enum {
    ST_H_CPU_US,       /* CPU time, microseconds */
    ST_H_THROTTLED_US, /* CFS throttled time, microseconds */
    ST_H_MEM_USAGE,
    ST_H_MEM_WSET,
    ST_H_NET_RX, /* bytes, all interfaces but lo */
    ST_H_NET_TX,
    ST_H_BLK_READ,
    ST_H_BLK_WRITE,
    ST_H_PIDS,
    ST_H_OOM,
    ST_H_NFIELDS
};

/* A service found listening in a container, with its last probe. */
typedef struct st_service {
    int proto; /* SVC_TCP or SVC_UDP (services/svc.h) */
    char addr[46];
    int port;
    int pid;
    char process[16];
    unsigned uid;
    char user[33]; /* uid's name in the container's own /etc/passwd, else the uid */
    int listening; /* found in the socket tables (else only exposed/published) */
    int exposed;   /* the image EXPOSEs it */
    int host_port; /* published on the host at host_ip:host_port, 0 if not */
    char host_ip[46];
    int probed;         /* TCP listeners are probed; UDP ones only listed */
    int up;             /* last probe */
    double latency_s;   /* last probe's connect time */
    char error[96];     /* "" when up */
    int64_t since_ms;   /* wall time the service appeared or its up/down changed */
    int64_t checked_ms; /* wall time of the last probe */
} st_service;

typedef struct st_entry {
    char id[65];
    char short_id[13];        /* first 12 hex digits, as docker ps shows */
    char cgpath[CG_PATH_MAX]; /* "" when the container has no live cgroup */
    int runtime;              /* enum cg_runtime */
    struct cg_handle *cgh;    /* open cgroup files; the engine's, collector thread only */
    uint64_t seen_gen;        /* discovery generation that last saw the cgroup */
    int spec_stale;           /* limits changed (Docker "update" event): re-read */
    unsigned collects;        /* samples taken since the cgroup was found */

    int has_meta;
    bmeta meta;
    uint64_t meta_gen; /* bumped on every meta change, to rebuild label caches */

    bspec spec;
    bsample cur, prev; /* prev valid when collects >= 2 */
    ring *hist;

    /* Services (owned array), replaced whole by the services thread. */
    st_service *svcs;
    size_t n_svcs;

    /* Exporter cache: the Prometheus label set, rebuilt when meta changes. */
    char *prom_labels;
    uint64_t prom_labels_gen;
} st_entry;

/* Rates derived from the last two samples. NaN-free: 0 when unknown. */
typedef struct st_rates {
    int valid;
    double cpu_cores; /* CPU seconds per second */
    double cpu_throttled_ratio;
    double net_rx_bps, net_tx_bps;
    double blk_read_bps, blk_write_bps;
} st_rates;

typedef struct store {
    pthread_mutex_t lock;
    st_entry **v; /* sorted by id */
    size_t n, cap;
    int64_t history_ms;
    /* host */
    cg_host host, host_prev;
    int64_t host_mono_ns, host_prev_mono_ns;
} store;

store *st_new(int64_t history_ms);
void st_free(store *s);
static inline void st_lock(store *s)
{
    pthread_mutex_lock(&s->lock);
}
static inline void st_unlock(store *s)
{
    pthread_mutex_unlock(&s->lock);
}
/* All below: caller holds the lock. */
st_entry *st_get(store *s, const char *id);
st_entry *st_get_or_add(store *s, const char *id);
/* Replaces an entry's metadata (deep copy). */
void st_set_meta(store *s, const bmeta *m);
/* Commits a new sample: shifts cur to prev and feeds the history ring. */
void st_commit(st_entry *e, const bsample *smp);
/* Forgets the cgroup side of an entry (container stopped). The caller has
 * closed e->cgh and set it to NULL (the engine's; see the lifetime rule). */
void st_drop_cgroup(st_entry *e);
/* Removes entries that have neither a cgroup nor metadata (their cgh is
 * NULL: it went with the cgroup). Collector only. */
void st_sweep(store *s);
void st_rates_of(const st_entry *e, st_rates *r);
/* Name to show: Docker name, else the short id. */
const char *st_name(const st_entry *e);
/* Replaces an entry's services with a copy of svcs[0..n), keeping since_ms of
 * services whose up/down did not change; probed services missing from svcs
 * are kept as down ("not listening"), up to cap entries in all. */
void st_set_services(st_entry *e, const st_service *svcs, size_t n, size_t cap);
/* Sum of non-loopback interfaces. */
void st_net_totals(const bsample *smp, uint64_t *rx, uint64_t *tx);

/* The one container lookup (model/ctr_match.h): an exact Docker name, a full
 * id, or a unique id prefix of at least CTR_MATCH_MIN_PREFIX characters.
 * Returns 0 with *out set, -ENOENT (nothing matches) or -EEXIST (ambiguous:
 * two or more match at the strongest tier); *out is NULL on error. Caller
 * holds the lock. st_resolve_if considers only entries for which keep
 * returns nonzero (keep NULL: every entry), e.g. running containers only. */
int st_resolve(store *s, const char *key, st_entry **out);
int st_resolve_if(store *s, const char *key, int (*keep)(const st_entry *), st_entry **out);

#endif
