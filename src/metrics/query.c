/* query: windowed figures over the history rings. See query.h. */
#include "metrics/query.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per field: the ring column, whether it is a rate, the rate's unit (a
 * counter's unit per ms to the field's unit per second) and the name. */
static const struct {
    int col;
    int rate;
    double per_ms; /* rate = dv / dt_ms * per_ms */
    const char *name;
} fields[QUERY_NFIELDS] = {
    [QUERY_CPU_CORES] = {ST_H_CPU_US, 1, 1e-3, "cpu_cores"}, /* us per ms / 1000 */
    [QUERY_CPU_THROTTLED] = {ST_H_THROTTLED_US, 1, 1e-3, "cpu_throttled_ratio"},
    [QUERY_MEM_USAGE] = {ST_H_MEM_USAGE, 0, 0, "memory_usage_bytes"},
    [QUERY_MEM_WORKING_SET] = {ST_H_MEM_WSET, 0, 0, "memory_working_set_bytes"},
    [QUERY_NET_RX] = {ST_H_NET_RX, 1, 1e3, "net_rx_bytes_per_second"},
    [QUERY_NET_TX] = {ST_H_NET_TX, 1, 1e3, "net_tx_bytes_per_second"},
    [QUERY_BLK_READ] = {ST_H_BLK_READ, 1, 1e3, "blkio_read_bytes_per_second"},
    [QUERY_BLK_WRITE] = {ST_H_BLK_WRITE, 1, 1e3, "blkio_write_bytes_per_second"},
    [QUERY_PIDS] = {ST_H_PIDS, 0, 0, "pids"},
    [QUERY_OOM_KILLS] = {ST_H_OOM, 1, 1e3, "oom_kills_per_second"},
};

const char *query_field_name(enum query_field f)
{
    return (unsigned)f < QUERY_NFIELDS ? fields[f].name : "unknown";
}

int query_field_by_name(const char *name)
{
    for (int i = 0; i < QUERY_NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return i;
    return -1;
}

int query_field_is_rate(enum query_field f)
{
    return (unsigned)f < QUERY_NFIELDS && fields[f].rate;
}

/* Running figures over every container of one query. */
typedef struct acc {
    const query_window *w;
    size_t n, kept; /* points; points in scratch */
    double sum, min, max;
    /* per container: the previous record, for rates */
    int has_prev;
    int64_t prev_ts;
    uint64_t prev_v;
} acc;

static void add_point(acc *a, double v)
{
    if (a->n == 0 || v < a->min)
        a->min = v;
    if (a->n == 0 || v > a->max)
        a->max = v;
    a->sum += v;
    a->n++;
    if (a->w->scratch && a->kept < a->w->cap)
        a->w->scratch[a->kept++] = v;
}

static int on_record(int64_t ts, const uint64_t *vals, void *arg)
{
    acc *a = arg;
    int f = (int)a->w->field;
    uint64_t v = vals[fields[f].col];
    if (!fields[f].rate) {
        add_point(a, (double)v);
        return 0;
    }
    /* ring timestamps strictly increase (ring.h), so ts > prev_ts */
    if (a->has_prev && v >= a->prev_v)
        add_point(a, (double)(v - a->prev_v) / (double)(ts - a->prev_ts) * fields[f].per_ms);
    a->has_prev = 1;
    a->prev_ts = ts;
    a->prev_v = v;
    return 0;
}

/* Adds one container's points; returns whether it gave any. */
static int add_entry(acc *a, const st_entry *e)
{
    if (!e->hist)
        return 0;
    size_t before = a->n;
    a->has_prev = 0;
    ring_foreach(e->hist, a->w->to_ms - a->w->window_ms, a->w->to_ms, on_record, a);
    return a->n > before;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int valid(const query_window *w)
{
    return (unsigned)w->field < QUERY_NFIELDS && w->window_ms >= 0 &&
           (!w->scratch || (w->pct >= 0 && w->pct <= 100));
}

static int finish(const acc *a, size_t containers, query_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->containers = containers;
    if (a->n == 0)
        return -ENODATA;
    out->n = a->n;
    out->mean = a->sum / (double)a->n;
    out->min = a->min;
    out->max = a->max;
    if (!a->w->scratch)
        return 0;
    if (a->kept < a->n)
        return -ENOBUFS;
    /* nearest rank: the smallest point with at least pct% of the points at
     * or below it (pct 0: the minimum) */
    qsort(a->w->scratch, a->n, sizeof(double), cmp_double);
    size_t rank = (size_t)ceil(a->w->pct / 100.0 * (double)a->n);
    out->pct = a->w->scratch[rank ? rank - 1 : 0];
    out->pct_valid = 1;
    return 0;
}

int query_entry(const st_entry *e, const query_window *w, query_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!valid(w))
        return -EINVAL;
    acc a = {.w = w};
    size_t c = (size_t)add_entry(&a, e);
    return finish(&a, c, out);
}

int query_key(store *s, const char *key, const query_window *w, query_stats *out)
{
    memset(out, 0, sizeof(*out));
    st_entry *e;
    int rc = st_resolve(s, key, &e);
    return rc < 0 ? rc : query_entry(e, w, out);
}

static int labels_match(const st_entry *e, const char *const *kv, size_t n_kv)
{
    if (!e->has_meta)
        return 0;
    for (size_t i = 0; i < n_kv; i++) {
        const char *v = bmeta_label(&e->meta, kv[2 * i]);
        if (!v || strcmp(v, kv[2 * i + 1]) != 0)
            return 0;
    }
    return 1;
}

int query_labels(store *s, const char *const *kv, size_t n_kv, const query_window *w,
                 query_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!valid(w))
        return -EINVAL;
    acc a = {.w = w};
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++)
        if (labels_match(s->v[i], kv, n_kv))
            c += (size_t)add_entry(&a, s->v[i]);
    return finish(&a, c, out);
}
