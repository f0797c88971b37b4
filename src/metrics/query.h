/*
 * query: windowed figures over the store's history rings (metrics/ring.h),
 * for the autoscaler and anything else that must ask "how busy was this
 * container, or this app, over the last N seconds".
 *
 * A query names a field (CPU cores, memory, a network or block rate, ...),
 * a window and optionally a percentile, and gets back the number of points,
 * their mean, min and max and the percentile. It runs on one container (an
 * entry, or a key resolved by st_resolve) or on every container whose
 * Docker labels match a set (e.g. com.docker.compose.service=web: the
 * replicas of one app); over a label set the points of all containers are
 * pooled, so the mean is the mean per container, and max is the highest any
 * one container reached, not a sum.
 *
 * Points: the window is [to_ms - window_ms, to_ms], on the ring's clock
 * (sample wall time, ms). A gauge (memory, pids) gives one point per record
 * in the window; a rate (CPU, network, block I/O) one point per pair of
 * consecutive records in the window, (v2 - v1) / (t2 - t1). A pair where a
 * counter went down (the container restarted in place) gives no point
 * rather than a zero, which would drag a mean down.
 *
 * Cost: pure over the store's data, caller holds the store lock, no
 * allocation: mean, min and max are running figures; a percentile needs
 * the points, kept in a scratch array the caller provides (and may reuse
 * across queries) sized for the window, e.g. window / interval + 1 points
 * per container.
 */
#ifndef BERTH_QUERY_H
#define BERTH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/store.h"

enum query_field {
    QUERY_CPU_CORES,       /* rate of CPU time: cores */
    QUERY_CPU_THROTTLED,   /* rate of CFS throttled time: seconds per second */
    QUERY_MEM_USAGE,       /* gauge, bytes */
    QUERY_MEM_WORKING_SET, /* gauge, bytes */
    QUERY_NET_RX,          /* rate, bytes per second (all interfaces but lo) */
    QUERY_NET_TX,
    QUERY_BLK_READ, /* rate, bytes per second */
    QUERY_BLK_WRITE,
    QUERY_PIDS,      /* gauge, tasks */
    QUERY_OOM_KILLS, /* rate, kills per second */
    QUERY_NFIELDS
};

typedef struct query_window {
    enum query_field field;
    int64_t to_ms;     /* end of the window, e.g. clock_wall_ms() */
    int64_t window_ms; /* length: the window is [to_ms - window_ms, to_ms] */
    double pct;        /* percentile wanted, 0 to 100 (nearest rank), with scratch */
    double *scratch;   /* NULL: no percentile; else room for cap points */
    size_t cap;
} query_window;

typedef struct query_stats {
    size_t n;          /* points */
    size_t containers; /* containers that gave at least one point */
    double mean, min, max;
    int pct_valid; /* pct computed (scratch given and large enough) */
    double pct;
} query_stats;

/* "cpu_cores", "memory_usage_bytes", ...: stable names for configuration
 * and messages; query_field_by_name returns -1 for an unknown name. */
const char *query_field_name(enum query_field f);
int query_field_by_name(const char *name);
/* Whether a field is a rate (points between records) or a gauge. */
int query_field_is_rate(enum query_field f);

/* All three return 0 with out filled, -ENODATA when the window holds no
 * point, -ENOBUFS when a percentile was asked for and scratch is too small
 * (out filled but pct_valid 0), or -EINVAL for a bad field, window or pct.
 * query_key also returns st_resolve's -ENOENT and -EEXIST. Caller holds
 * the store lock. */
int query_entry(const st_entry *e, const query_window *w, query_stats *out);
int query_key(store *s, const char *key, const query_window *w, query_stats *out);
/* Containers whose labels include every kv[2i] = kv[2i+1], i < n_kv. */
int query_labels(store *s, const char *const *kv, size_t n_kv, const query_window *w,
                 query_stats *out);

#endif
