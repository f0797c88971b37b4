/*
 * json: the JSON API behind /api/v1/containers and `berth ps --json`.
 *
 * Field names are stable API: scripts parse them. Counters are raw
 * (seconds, bytes), rates are per second over the last two samples, and an
 * object for a source the kernel does not provide (pressure without PSI) is
 * left out rather than filled with zeros. Built with jansson: the render is
 * not the hot path that /metrics is, and a library guarantees valid JSON
 * (escaping, UTF-8) for hostile container names and labels.
 */
#include "export/export.h"
#include "cgroup/cgroup.h"
#include "export/json_disk.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/store.h"
#include "model/ctr_match.h"

static json_t *u64(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static double ns_s(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* Which entries each route can name: */
static int live(const st_entry *en)
{
    return en->cgpath[0] && en->collects > 0;
}
/* listed with ?all=1: live, or known to Docker */
static int listed_all(const st_entry *en)
{
    return live(en) || en->has_meta;
}
/* with history: a cgroup, sampled or not yet */
static int has_cgroup(const st_entry *en)
{
    return en->cgpath[0] != '\0';
}

static const char *meta_name(const st_entry *en)
{
    return en->has_meta ? en->meta.name : NULL;
}

static json_t *services_json(const st_entry *en)
{
    json_t *svcs = json_array();
    for (size_t i = 0; i < en->n_svcs; i++) {
        const st_service *sv = &en->svcs[i];
        json_t *js = json_object();
        json_object_set_new(js, "proto", json_string(sv->proto == 2 ? "udp" : "tcp"));
        json_object_set_new(js, "addr", json_string(sv->addr));
        json_object_set_new(js, "port", json_integer(sv->port));
        json_object_set_new(js, "pid", json_integer(sv->pid));
        json_object_set_new(js, "process", json_string(sv->process));
        json_object_set_new(js, "uid", json_integer(sv->uid));
        json_object_set_new(js, "user", json_string(sv->user));
        json_object_set_new(js, "listening", json_boolean(sv->listening));
        json_object_set_new(js, "exposed", json_boolean(sv->exposed));
        if (sv->host_port) {
            char pub[64];
            snprintf(pub, sizeof(pub), "%s:%d", sv->host_ip[0] ? sv->host_ip : "0.0.0.0",
                     sv->host_port);
            json_object_set_new(js, "published", json_string(pub));
        }
        json_object_set_new(js, "probed", json_boolean(sv->probed));
        if (sv->probed) {
            json_object_set_new(js, "up", json_boolean(sv->up));
            json_object_set_new(js, "latency_seconds", json_real(sv->latency_s));
            json_object_set_new(js, "error", json_string(sv->error));
            json_object_set_new(js, "checked_ms", json_integer(sv->checked_ms));
        }
        json_object_set_new(js, "since_ms", json_integer(sv->since_ms));
        json_array_append_new(svcs, js);
    }
    return svcs;
}

static json_t *container_json(const st_entry *en)
{
    json_t *o = json_object();
    const bmeta *m = &en->meta;
    int is_live = live(en);
    json_object_set_new(o, "id", json_string(en->id));
    json_object_set_new(o, "short_id", json_string(en->short_id));
    json_object_set_new(o, "name", json_string(st_name(en)));
    json_object_set_new(o, "image", json_string(en->has_meta ? m->image : ""));
    json_object_set_new(o, "image_id", json_string(en->has_meta ? m->image_id : ""));
    json_object_set_new(o, "state",
                        json_string(en->has_meta && m->state[0] ? m->state
                                    : is_live                   ? "running"
                                                                : "unknown"));
    json_object_set_new(o, "health", json_string(en->has_meta ? m->health : ""));
    json_object_set_new(o, "runtime", json_string(cg_runtime_name((enum cg_runtime)en->runtime)));
    json_object_set_new(o, "cgroup", json_string(en->cgpath));
    json_object_set_new(o, "created", json_integer(en->has_meta ? m->created : 0));
    json_object_set_new(o, "started_at", json_integer(en->has_meta ? m->started_at : 0));
    json_object_set_new(o, "restart_count", json_integer(en->has_meta ? m->restart_count : 0));
    json_t *labels = json_object();
    for (size_t i = 0; en->has_meta && i < m->n_labels; i++)
        json_object_set_new(labels, m->labels[2 * i], json_string(m->labels[2 * i + 1]));
    json_object_set_new(o, "labels", labels);
    if (!is_live)
        return o;

    const bsample *s = &en->cur;
    const bspec *sp = &en->spec;
    st_rates r;
    st_rates_of(en, &r);
    json_object_set_new(o, "sampled_at_ms", json_integer(s->wall_ms));
    json_object_set_new(o, "rates_valid", json_boolean(r.valid));

    json_t *cpu = json_object();
    json_object_set_new(cpu, "total_seconds", json_real(ns_s(s->cpu_total_ns)));
    json_object_set_new(cpu, "user_seconds", json_real(ns_s(s->cpu_user_ns)));
    json_object_set_new(cpu, "system_seconds", json_real(ns_s(s->cpu_system_ns)));
    json_object_set_new(cpu, "cores", json_real(r.cpu_cores));
    if (s->has & BS_HAS_CFS) {
        json_object_set_new(cpu, "periods", u64(s->cfs_periods));
        json_object_set_new(cpu, "throttled_periods", u64(s->cfs_throttled_periods));
        json_object_set_new(cpu, "throttled_seconds", json_real(ns_s(s->cfs_throttled_ns)));
        json_object_set_new(cpu, "throttled_ratio", json_real(r.cpu_throttled_ratio));
    }
    json_object_set_new(cpu, "quota_us", json_integer(sp->cpu_quota_us));
    json_object_set_new(cpu, "period_us", u64(sp->cpu_period_us));
    json_object_set_new(cpu, "shares", u64(sp->cpu_shares));
    json_object_set_new(cpu, "cpuset", json_string(sp->cpuset));
    if (sp->cpu_quota_us > 0 && sp->cpu_period_us > 0)
        json_object_set_new(cpu, "limit_cores",
                            json_real((double)sp->cpu_quota_us / (double)sp->cpu_period_us));
    json_object_set_new(o, "cpu", cpu);

    json_t *mem = json_object();
    json_object_set_new(mem, "usage_bytes", u64(s->mem_usage));
    json_object_set_new(mem, "working_set_bytes", u64(s->mem_working_set));
    json_object_set_new(mem, "rss_bytes", u64(s->mem_rss));
    json_object_set_new(mem, "cache_bytes", u64(s->mem_cache));
    if (s->has & BS_HAS_SWAP)
        json_object_set_new(mem, "swap_bytes", u64(s->mem_swap));
    json_object_set_new(mem, "limit_bytes", u64(sp->mem_limit));
    if (s->has & BS_HAS_FAILCNT)
        json_object_set_new(mem, "failcnt", u64(s->mem_failcnt));
    if (s->has & BS_HAS_OOM)
        json_object_set_new(mem, "oom_kills", u64(s->oom_kills));
    json_object_set_new(o, "memory", mem);

    if (s->has & BS_HAS_BLKIO) {
        json_t *blk = json_object();
        json_object_set_new(blk, "read_bytes", u64(s->blk_read_bytes));
        json_object_set_new(blk, "write_bytes", u64(s->blk_write_bytes));
        json_object_set_new(blk, "read_ops", u64(s->blk_read_ops));
        json_object_set_new(blk, "write_ops", u64(s->blk_write_ops));
        json_object_set_new(blk, "read_bytes_per_second", json_real(r.blk_read_bps));
        json_object_set_new(blk, "write_bytes_per_second", json_real(r.blk_write_bps));
        json_object_set_new(o, "blkio", blk);
    }
    if (s->has & BS_HAS_NET) {
        json_t *net = json_object();
        uint64_t rx, tx;
        st_net_totals(s, &rx, &tx);
        json_object_set_new(net, "rx_bytes", u64(rx));
        json_object_set_new(net, "tx_bytes", u64(tx));
        json_object_set_new(net, "rx_bytes_per_second", json_real(r.net_rx_bps));
        json_object_set_new(net, "tx_bytes_per_second", json_real(r.net_tx_bps));
        json_t *ifs = json_array();
        for (uint32_t i = 0; i < s->n_ifaces; i++) {
            const bnet_iface *f = &s->ifaces[i];
            json_t *jf = json_object();
            json_object_set_new(jf, "name", json_string(f->name));
            json_object_set_new(jf, "rx_bytes", u64(f->rx_bytes));
            json_object_set_new(jf, "rx_packets", u64(f->rx_packets));
            json_object_set_new(jf, "rx_errors", u64(f->rx_errors));
            json_object_set_new(jf, "rx_dropped", u64(f->rx_dropped));
            json_object_set_new(jf, "tx_bytes", u64(f->tx_bytes));
            json_object_set_new(jf, "tx_packets", u64(f->tx_packets));
            json_object_set_new(jf, "tx_errors", u64(f->tx_errors));
            json_object_set_new(jf, "tx_dropped", u64(f->tx_dropped));
            json_array_append_new(ifs, jf);
        }
        json_object_set_new(net, "interfaces", ifs);
        json_object_set_new(o, "network", net);
    }
    if (s->has & BS_HAS_PIDS) {
        json_t *p = json_object();
        json_object_set_new(p, "current", u64(s->pids));
        json_object_set_new(p, "limit", u64(sp->pids_limit));
        json_object_set_new(o, "pids", p);
    }
    static const char *const psi_names[BS_PSI_N] = {"cpu", "memory", "io"};
    static const uint32_t psi_bits[BS_PSI_N][2] = {
        {BS_HAS_PSI_CPU_SOME, BS_HAS_PSI_CPU_FULL},
        {BS_HAS_PSI_MEM_SOME, BS_HAS_PSI_MEM_FULL},
        {BS_HAS_PSI_IO_SOME, BS_HAS_PSI_IO_FULL},
    };
    json_t *psi = NULL;
    for (int i = 0; i < BS_PSI_N; i++) {
        if (!(s->has & (psi_bits[i][0] | psi_bits[i][1])))
            continue;
        if (!psi)
            psi = json_object();
        json_t *pi = json_object();
        if (s->has & psi_bits[i][0])
            json_object_set_new(pi, "some_seconds", json_real((double)s->psi_us[i][0] / 1e6));
        if (s->has & psi_bits[i][1])
            json_object_set_new(pi, "full_seconds", json_real((double)s->psi_us[i][1] / 1e6));
        json_object_set_new(psi, psi_names[i], pi);
    }
    if (psi)
        json_object_set_new(o, "pressure", psi);
    json_t *svcs = services_json(en);
    json_object_set_new(o, "services", svcs);
    return o;
}

static void dump(json_t *j, buf *out)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s) {
        buf_puts(out, s);
        free(s);
    }
    json_decref(j);
}

static json_t *container_full_json(const export_src *src, const st_entry *en)
{
    json_t *cj = container_json(en);
    if (src->dt)
        json_disk_add(src->dt, en, cj);
    return cj;
}

void json_render_containers(const export_src *src, int all, const char *filter, buf *out)
{
    store *st = src->st;
    json_t *arr = json_array();
    if (filter && !*filter)
        filter = NULL; /* "" lists everything, as it always has */
    st_lock(st);
    /* With a filter, a first pass finds the strongest tier the key reaches
     * (model/ctr_match.h); the second lists the candidates at that tier:
     * one when the key names a container, several when it is ambiguous. */
    ctr_matcher m;
    ctr_matcher_init(&m, filter);
    for (size_t i = 0; filter && i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (live(en) || (all && en->has_meta))
            ctr_matcher_add(&m, i, en->id, meta_name(en));
    }
    if (!filter || m.best != CTR_NONE) {
        for (size_t i = 0; i < st->n; i++) {
            const st_entry *en = st->v[i];
            if (!live(en) && !(all && en->has_meta))
                continue;
            if (filter && ctr_match_tier(filter, en->id, meta_name(en)) != m.best)
                continue;
            json_array_append_new(arr, container_full_json(src, en));
        }
    }
    st_unlock(st);
    dump(arr, out);
}

int json_render_container(const export_src *src, const char *key, buf *out)
{
    store *st = src->st;
    st_entry *en;
    st_lock(st);
    int rc = st_resolve_if(st, key, listed_all, &en);
    json_t *cj = rc == 0 ? container_full_json(src, en) : NULL;
    st_unlock(st);
    if (cj)
        dump(cj, out);
    return rc;
}

int json_render_services(const export_src *src, const char *key, buf *out)
{
    store *st = src->st;
    st_entry *en;
    st_lock(st);
    int rc = st_resolve_if(st, key, live, &en);
    json_t *o = NULL;
    if (rc == 0) {
        o = json_object();
        json_object_set_new(o, "id", json_string(en->id));
        json_object_set_new(o, "name", json_string(st_name(en)));
        json_object_set_new(o, "services", services_json(en));
    }
    st_unlock(st);
    if (o)
        dump(o, out);
    return rc;
}

json_t *json_host_object(const export_src *src)
{
    store *st = src->st;
    const engine_stats es = src->stats;
    json_t *o = json_object();
    st_lock(st);
    size_t live_n = 0;
    for (size_t i = 0; i < st->n; i++)
        live_n += live(st->v[i]);
    const cg_host *h = &st->host, *p = &st->host_prev;
    json_object_set_new(o, "cpus", json_integer(h->ncpu));
    json_object_set_new(o, "memory_total_bytes", u64(h->mem_total));
    json_object_set_new(o, "memory_available_bytes", u64(h->mem_available));
    if (st->host_prev_mono_ns && st->host_mono_ns > st->host_prev_mono_ns &&
        h->cpu_total_ns >= p->cpu_total_ns) {
        double dt = (double)(st->host_mono_ns - st->host_prev_mono_ns) / 1e9;
        json_object_set_new(o, "cpu_cores_busy",
                            json_real((double)(h->cpu_total_ns - p->cpu_total_ns) / 1e9 / dt));
    }
    json_object_set_new(o, "containers_running", json_integer((json_int_t)live_n));
    st_unlock(st);
    json_object_set_new(o, "cgroup_mode", json_string(cg_mode_name((enum cg_mode)src->cg_mode)));
    json_object_set_new(o, "docker_up", json_boolean(es.docker_up));
    json_object_set_new(o, "docker_api", json_string(es.docker_api));
    json_object_set_new(o, "collect_cycles", u64(es.cycles));
    json_object_set_new(o, "version", json_string(BERTH_VERSION));
    return o;
}

void json_render_host(const export_src *src, buf *out)
{
    dump(json_host_object(src), out);
}

typedef struct hist_ctx {
    json_t *rows;
    int64_t step_ms; /* 0: every record */
    int64_t pend_ts; /* with a step: the last record of the current bucket */
    uint64_t pend[ST_H_NFIELDS];
    int has_pend;
} hist_ctx;

static void hist_row(hist_ctx *c, int64_t ts, const uint64_t *v)
{
    json_t *row = json_array();
    json_array_append_new(row, json_integer(ts));
    for (int i = 0; i < ST_H_NFIELDS; i++)
        json_array_append_new(row, u64(v[i]));
    json_array_append_new(c->rows, row);
}

/* With a step, every record of a bucket [k*step, (k+1)*step) is replaced by
 * its last one: the fields are counters and gauges, so the last reading is
 * exact (a rate between two kept rows is the mean rate over the buckets). */
static int on_hist(int64_t ts, const uint64_t *v, void *arg)
{
    hist_ctx *c = arg;
    if (c->step_ms <= 0) {
        hist_row(c, ts, v);
        return 0;
    }
    if (c->has_pend && ts / c->step_ms != c->pend_ts / c->step_ms)
        hist_row(c, c->pend_ts, c->pend);
    c->pend_ts = ts;
    memcpy(c->pend, v, sizeof(c->pend));
    c->has_pend = 1;
    return 0;
}

int json_render_history(const export_src *src, const char *key, int64_t from_ms, int64_t to_ms,
                        buf *out)
{
    return json_render_history_step(src, key, from_ms, to_ms, 0, out);
}

int json_render_history_step(const export_src *src, const char *key, int64_t from_ms, int64_t to_ms,
                             int64_t step_ms, buf *out)
{
    static const char *const fields[ST_H_NFIELDS] = {
        "cpu_usec",     "cpu_throttled_usec", "memory_usage_bytes", "memory_working_set_bytes",
        "net_rx_bytes", "net_tx_bytes",       "blkio_read_bytes",   "blkio_write_bytes",
        "pids",         "oom_kills"};
    store *st = src->st;
    st_lock(st);
    st_entry *found;
    int rc = st_resolve_if(st, key, has_cgroup, &found);
    if (rc < 0) {
        st_unlock(st);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(found->id));
    json_object_set_new(o, "name", json_string(st_name(found)));
    json_t *f = json_array();
    json_array_append_new(f, json_string("timestamp_ms"));
    for (int i = 0; i < ST_H_NFIELDS; i++)
        json_array_append_new(f, json_string(fields[i]));
    json_object_set_new(o, "fields", f);
    hist_ctx c = {.rows = json_array(), .step_ms = step_ms};
    if (found->hist)
        ring_foreach(found->hist, from_ms, to_ms, on_hist, &c);
    if (c.has_pend)
        hist_row(&c, c.pend_ts, c.pend);
    json_object_set_new(o, "samples", c.rows);
    st_unlock(st);
    dump(o, out);
    return 0;
}
