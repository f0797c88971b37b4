/* view: table rows for ps and top. See view.h. */
#include "cmd/view.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/store.h"
#include "util/xalloc.h"

size_t view_rows(engine *e, int all, view_row **out)
{
    store *st = engine_store(e);
    st_lock(st);
    view_row *rows = xcalloc(st->n ? st->n : 1, sizeof(*rows));
    size_t n = 0;
    uint64_t host_mem = st->host.mem_total;
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        int live = en->cgpath[0] && en->collects > 0;
        if (!live && !(all && en->has_meta))
            continue;
        view_row *r = &rows[n++];
        snprintf(r->id, sizeof(r->id), "%s", en->id);
        snprintf(r->name, sizeof(r->name), "%s", st_name(en));
        snprintf(r->image, sizeof(r->image), "%s", en->has_meta ? en->meta.image : "");
        snprintf(r->state, sizeof(r->state), "%s",
                 en->has_meta && en->meta.state[0] ? en->meta.state
                 : live                            ? "running"
                                                   : "unknown");
        snprintf(r->health, sizeof(r->health), "%s", en->has_meta ? en->meta.health : "");
        r->restarts = en->has_meta ? en->meta.restart_count : 0;
        r->live = live;
        if (!live)
            continue;
        st_rates rt;
        st_rates_of(en, &rt);
        r->rates = rt.valid;
        r->cpu_pct = rt.cpu_cores * 100.0;
        if (en->spec.cpu_quota_us > 0 && en->spec.cpu_period_us)
            r->cpu_limit = (double)en->spec.cpu_quota_us / (double)en->spec.cpu_period_us;
        r->mem_used = en->cur.mem_working_set;
        r->mem_limit = en->spec.mem_limit;
        uint64_t base = r->mem_limit ? r->mem_limit : host_mem;
        r->mem_pct = base ? 100.0 * (double)r->mem_used / (double)base : 0;
        r->net_rx = rt.net_rx_bps;
        r->net_tx = rt.net_tx_bps;
        r->blk_r = rt.blk_read_bps;
        r->blk_w = rt.blk_write_bps;
        r->pids = en->cur.pids;
        r->oom_kills = en->cur.oom_kills;
    }
    st_unlock(st);
    *out = rows;
    return n;
}

static double jnum(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void jstr(char *dst, size_t cap, json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", v ? v : "");
}

long view_rows_from_json(const char *text, size_t len, uint64_t host_mem, view_row **out)
{
    json_t *arr = json_loadb(text, len, 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    size_t n = json_array_size(arr);
    view_row *rows = xcalloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        view_row *r = &rows[i];
        jstr(r->id, sizeof(r->id), o, "id");
        jstr(r->name, sizeof(r->name), o, "name");
        jstr(r->image, sizeof(r->image), o, "image");
        jstr(r->state, sizeof(r->state), o, "state");
        jstr(r->health, sizeof(r->health), o, "health");
        r->restarts = (int)jnum(o, "restart_count", NULL);
        r->live = json_object_get(o, "cpu") != NULL;
        r->rates = json_is_true(json_object_get(o, "rates_valid"));
        r->cpu_pct = jnum(o, "cpu", "cores") * 100.0;
        r->cpu_limit = jnum(o, "cpu", "limit_cores");
        r->mem_used = (uint64_t)jnum(o, "memory", "working_set_bytes");
        r->mem_limit = (uint64_t)jnum(o, "memory", "limit_bytes");
        uint64_t base = r->mem_limit ? r->mem_limit : host_mem;
        r->mem_pct = base ? 100.0 * (double)r->mem_used / (double)base : 0;
        r->net_rx = jnum(o, "network", "rx_bytes_per_second");
        r->net_tx = jnum(o, "network", "tx_bytes_per_second");
        r->blk_r = jnum(o, "blkio", "read_bytes_per_second");
        r->blk_w = jnum(o, "blkio", "write_bytes_per_second");
        r->pids = (uint64_t)jnum(o, "pids", "current");
        r->oom_kills = (uint64_t)jnum(o, "memory", "oom_kills");
    }
    json_decref(arr);
    *out = rows;
    return (long)n;
}

int view_parse_sort(const char *s, enum view_sort *out)
{
    static const struct {
        const char *name;
        enum view_sort v;
    } keys[] = {{"name", VS_NAME}, {"cpu", VS_CPU},     {"mem", VS_MEM},   {"memory", VS_MEM},
                {"net", VS_NET},   {"block", VS_BLOCK}, {"pids", VS_PIDS}, {"id", VS_ID}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(s, keys[i].name) == 0) {
            *out = keys[i].v;
            return 0;
        }
    }
    return -1;
}

static int cmp_d(double a, double b)
{
    return a < b ? 1 : a > b ? -1 : 0; /* descending: biggest first */
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const view_row *a = pa, *b = pb;
    enum view_sort sort_key = *(const enum view_sort *)arg;
    int c = 0;
    switch (sort_key) {
    case VS_CPU:
        c = cmp_d(a->cpu_pct, b->cpu_pct);
        break;
    case VS_MEM:
        c = cmp_d((double)a->mem_used, (double)b->mem_used);
        break;
    case VS_NET:
        c = cmp_d(a->net_rx + a->net_tx, b->net_rx + b->net_tx);
        break;
    case VS_BLOCK:
        c = cmp_d(a->blk_r + a->blk_w, b->blk_r + b->blk_w);
        break;
    case VS_PIDS:
        c = cmp_d((double)a->pids, (double)b->pids);
        break;
    case VS_ID:
        c = strcmp(a->id, b->id);
        break;
    case VS_NAME:
        break;
    }
    if (c == 0)
        c = strcmp(a->name, b->name);
    return c;
}

void view_sort_rows(view_row *rows, size_t n, enum view_sort by)
{
    qsort_r(rows, n, sizeof(*rows), cmp_rows, &by); /* glibc's, for the context argument */
}

void view_bytes(char *out, size_t cap, double v, int binary)
{
    static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    static const char *const dec[] = {"B", "kB", "MB", "GB", "TB"};
    double base = binary ? 1024 : 1000;
    int u = 0;
    while (v >= base && u < 4) {
        v /= base;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%.0f%s", v, binary ? bin[0] : dec[0]);
    else
        snprintf(out, cap, "%.*f%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, binary ? bin[u] : dec[u]);
}
