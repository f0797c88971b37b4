/*
 * web: the dashboard's routes, its static files, the host sampler and the
 * frame broadcaster. See web.h for the routes and docs/api.md for fields.
 *
 * One thread ("web") ticks at the collector's interval:
 *   1. samples the host (CPU and memory from the store, which the collector
 *      fills; network from /proc/net/dev; disk with statvfs) and appends it
 *      to the host history ring, so the overview's charts have the last
 *      minutes as soon as the page opens;
 *   2. when at least one /api/v1/stream client is connected, renders one
 *      compact summary frame (host + one array per container) under the
 *      store lock and publishes it to the SSE hub (sse.c). With no client,
 *      step 2 costs nothing.
 * Handlers run on MHD workers and only read memory (store, assets, ring).
 */
#include "web/web.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "disk/tracker.h"
#include "util/jsonw.h"
#include "logs/lparse.h"
#include "logs/lview.h"
#include "export/export.h"
#include "metrics/ring.h"
#include "metrics/store.h"
#include "util/log.h"
#include "web/assets.h"
#include "web/range.h"
#include "web/respond.h"
#include "web/sse.h"
#include "util/xalloc.h"

#define MOD        "web"
#define MAX_HOSTIF 1024 /* host interfaces summed (one veth per container) */

/* Host history fields, in ring order. */
enum { H_CPU_MILLI, H_MEM_USED, H_NET_RX, H_NET_TX, H_DISK_USED, H_NFIELDS };
static const char *const host_fields[H_NFIELDS] = {
    "cpu_busy_millicores", "memory_used_bytes", "net_rx_bytes", "net_tx_bytes", "disk_used_bytes"};

/* The latest host sample, for /api/v1/host and frames. */
typedef struct host_now {
    int valid;
    double cpu_busy; /* cores */
    uint64_t net_rx, net_tx;
    double rx_bps, tx_bps;
    uint64_t disk_total, disk_used, disk_avail;
    char disk_path[64];
    int64_t mono_ns;
} host_now;

struct web {
    engine *e;
    web_opts o;
    sse_hub *hub;
    char netdev_path[300], disk_path[300];
    bnet_iface *ifs; /* MAX_HOSTIF, web thread only */
    buf scratch;     /* web thread only */

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    int stop, started;
    ring *hist;
    host_now now;
    uint64_t frames;
    pthread_t th;
};

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

/* ---- host sampling ------------------------------------------------------ */

/* Host network: every interface but lo and the host ends of container
 * veths (their traffic also crosses docker0 and the uplink). */
static int host_iface_counted(const char *name)
{
    return strcmp(name, "lo") != 0 && strncmp(name, "veth", 4) != 0;
}

static void sample_host(web *w)
{
    host_now h;
    memset(&h, 0, sizeof(h));
    h.mono_ns = clock_mono_ns();
    store *st = engine_store(w->e);
    uint64_t mem_used = 0;

    st_lock(st);
    const cg_host *c = &st->host, *p = &st->host_prev;
    if (st->host_prev_mono_ns && st->host_mono_ns > st->host_prev_mono_ns &&
        c->cpu_total_ns >= p->cpu_total_ns)
        h.cpu_busy = (double)(c->cpu_total_ns - p->cpu_total_ns) /
                     (double)(st->host_mono_ns - st->host_prev_mono_ns);
    if (c->mem_total >= c->mem_available)
        mem_used = c->mem_total - c->mem_available;
    st_unlock(st);

    if (buf_read_file(&w->scratch, w->netdev_path, 1 << 20) > 0) {
        size_t n = cg_parse_netdev(w->scratch.data, w->scratch.len, w->ifs, MAX_HOSTIF);
        for (size_t i = 0; i < n; i++) {
            if (!host_iface_counted(w->ifs[i].name))
                continue;
            h.net_rx += w->ifs[i].rx_bytes;
            h.net_tx += w->ifs[i].tx_bytes;
        }
    }
    struct statvfs sv;
    if (statvfs(w->disk_path, &sv) == 0) {
        h.disk_total = (uint64_t)sv.f_blocks * sv.f_frsize;
        h.disk_used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
        h.disk_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    }
    const char *dp = w->disk_path + strlen(w->o.host_root ? w->o.host_root : "");
    snprintf(h.disk_path, sizeof(h.disk_path), "%s", *dp ? dp : "/");

    pthread_mutex_lock(&w->lock);
    const host_now *o = &w->now;
    if (o->valid && h.mono_ns > o->mono_ns && h.net_rx >= o->net_rx && h.net_tx >= o->net_tx) {
        double dt = (double)(h.mono_ns - o->mono_ns) / 1e9;
        h.rx_bps = (double)(h.net_rx - o->net_rx) / dt;
        h.tx_bps = (double)(h.net_tx - o->net_tx) / dt;
    }
    h.valid = 1;
    w->now = h;
    uint64_t v[H_NFIELDS] = {(uint64_t)(h.cpu_busy * 1000.0 + 0.5), mem_used, h.net_rx, h.net_tx,
                             h.disk_used};
    if (w->hist)
        ring_push(w->hist, clock_wall_ms(), v);
    pthread_mutex_unlock(&w->lock);
}

/* ---- the summary frame -------------------------------------------------- */

static void put_str(buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)ch);
        } else if (ch < 0x20 || ch == 0x7f) {
            buf_printf(b, "\\u%04x", ch);
        } else {
            buf_putc(b, (char)ch);
        }
    }
    buf_putc(b, '"');
}

static void put_num(buf *b, double v)
{
    if (v != v || v > 1e300 || v < -1e300) /* NaN, Inf */
        buf_puts(b, "null");
    else
        buf_printf(b, "%.6g", v);
}

/* Frame columns: docs/api.md "Stream" lists their meaning. */
static const char frame_cols[] =
    "[\"id\",\"name\",\"image\",\"state\",\"health\",\"cpu\",\"cpu_limit\",\"throttled\","
    "\"mem\",\"wset\",\"mem_limit\",\"oom\",\"rx\",\"tx\",\"rd\",\"wr\",\"pids\",\"restarts\","
    "\"svc_up\",\"svc_down\",\"disk\",\"psi_cpu\",\"psi_mem\",\"psi_io\"]";

/* Fraction of time stalled ("some") between the last two samples. */
static void put_psi(buf *b, const st_entry *en, int i, uint32_t bit)
{
    const bsample *c = &en->cur, *p = &en->prev;
    if (!(c->has & bit) || en->collects < 2 || !(p->has & bit) || c->mono_ns <= p->mono_ns ||
        c->psi_us[i][0] < p->psi_us[i][0]) {
        buf_puts(b, "null");
        return;
    }
    put_num(b, (double)(c->psi_us[i][0] - p->psi_us[i][0]) * 1000.0 /
                   (double)(c->mono_ns - p->mono_ns));
}

static void put_host_json(buf *b, const host_now *h, const cg_host *c, unsigned running,
                          unsigned total, unsigned unhealthy)
{
    buf_printf(b, "{\"cpus\":%u,\"cpu_busy\":", c->ncpu);
    put_num(b, h->cpu_busy);
    buf_printf(b, ",\"mem_total\":%llu,\"mem_avail\":%llu,\"disk_total\":%llu,\"disk_used\":%llu",
               (unsigned long long)c->mem_total, (unsigned long long)c->mem_available,
               (unsigned long long)h->disk_total, (unsigned long long)h->disk_used);
    buf_puts(b, ",\"rx\":");
    put_num(b, h->rx_bps);
    buf_puts(b, ",\"tx\":");
    put_num(b, h->tx_bps);
    buf_printf(b, ",\"running\":%u,\"total\":%u,\"unhealthy\":%u}", running, total, unhealthy);
}

static void render_frame(web *w, buf *b)
{
    store *st = engine_store(w->e);
    host_now h;
    pthread_mutex_lock(&w->lock);
    h = w->now;
    uint64_t seq = ++w->frames;
    pthread_mutex_unlock(&w->lock);

    buf_reset(b);
    buf_printf(b, "id: %llu\ndata: {\"t\":%lld,\"cols\":%s,\"rows\":[", (unsigned long long)seq,
               (long long)clock_wall_ms(), frame_cols);
    unsigned running = 0, total = 0, unhealthy = 0;
    st_lock(st);
    /* lock order: store, then tracker (as everywhere) */
    dt_tracker *dt = engine_disk(w->e);
    if (dt)
        dt_lock(dt);
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        int live = en->cgpath[0] && en->collects > 0;
        total += en->has_meta || live;
        if (!live)
            continue;
        running++;
        const bmeta *m = &en->meta;
        if (en->has_meta && strcmp(m->health, "unhealthy") == 0)
            unhealthy++;
        st_rates r;
        st_rates_of(en, &r);
        const bsample *s = &en->cur;
        const bspec *sp = &en->spec;
        unsigned up = 0, down = 0;
        for (size_t k = 0; k < en->n_svcs; k++) {
            if (en->svcs[k].probed)
                en->svcs[k].up ? up++ : down++;
        }
        if (running > 1)
            buf_putc(b, ',');
        buf_putc(b, '[');
        put_str(b, en->short_id);
        buf_putc(b, ',');
        put_str(b, st_name(en));
        buf_putc(b, ',');
        put_str(b, en->has_meta ? m->image : "");
        buf_putc(b, ',');
        put_str(b, en->has_meta && m->state[0] ? m->state : "running");
        buf_putc(b, ',');
        put_str(b, en->has_meta ? m->health : "");
        buf_putc(b, ',');
        put_num(b, r.cpu_cores);
        buf_putc(b, ',');
        if (sp->cpu_quota_us > 0 && sp->cpu_period_us > 0)
            put_num(b, (double)sp->cpu_quota_us / (double)sp->cpu_period_us);
        else
            buf_puts(b, "null");
        buf_putc(b, ',');
        if (s->has & BS_HAS_CFS)
            put_num(b, r.cpu_throttled_ratio);
        else
            buf_puts(b, "null");
        buf_printf(b, ",%llu,%llu,%llu,", (unsigned long long)s->mem_usage,
                   (unsigned long long)s->mem_working_set, (unsigned long long)sp->mem_limit);
        if (s->has & BS_HAS_OOM)
            buf_put_u64(b, s->oom_kills);
        else
            buf_puts(b, "null");
        buf_putc(b, ',');
        if (s->has & BS_HAS_NET) {
            put_num(b, r.net_rx_bps);
            buf_putc(b, ',');
            put_num(b, r.net_tx_bps);
        } else {
            buf_puts(b, "null,null");
        }
        buf_putc(b, ',');
        if (s->has & BS_HAS_BLKIO) {
            put_num(b, r.blk_read_bps);
            buf_putc(b, ',');
            put_num(b, r.blk_write_bps);
        } else {
            buf_puts(b, "null,null");
        }
        buf_putc(b, ',');
        if (s->has & BS_HAS_PIDS)
            buf_put_u64(b, s->pids);
        else
            buf_puts(b, "null");
        buf_printf(b, ",%d,%u,%u,", en->has_meta ? m->restart_count : 0, up, down);
        /* disk: the container's total (writable + volumes + logs) once the
         * tracker has walked it, null before or with disk tracking off */
        const dt_ctr *dc = dt ? dt_find(dt, en->id) : NULL;
        if (dc && dc->ready)
            buf_put_u64(b, dc->total_alloc);
        else
            buf_puts(b, "null");
        buf_putc(b, ',');
        put_psi(b, en, BS_PSI_CPU, BS_HAS_PSI_CPU_SOME);
        buf_putc(b, ',');
        put_psi(b, en, BS_PSI_MEM, BS_HAS_PSI_MEM_SOME);
        buf_putc(b, ',');
        put_psi(b, en, BS_PSI_IO, BS_HAS_PSI_IO_SOME);
        buf_putc(b, ']');
    }
    if (dt)
        dt_unlock(dt);
    cg_host c = st->host;
    st_unlock(st);
    buf_puts(b, "],\"host\":");
    put_host_json(b, &h, &c, running, total, unhealthy);
    buf_puts(b, "}\n\n");
}

static void publish(web *w)
{
    buf b = BUF_INIT;
    render_frame(w, &b);
    sse_publish(w->hub, b.data, b.len);
    buf_free(&b);
}

static void *web_thread(void *arg)
{
    web *w = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        sample_host(w);
        if (sse_clients(w->hub) > 0)
            publish(w);
        pthread_mutex_lock(&w->lock);
        /* fixed rate, like the collector; a late tick does not pile up */
        int64_t ns = (int64_t)next.tv_nsec + w->o.interval_ms * 1000000LL;
        next.tv_sec += ns / 1000000000LL;
        next.tv_nsec = ns % 1000000000LL;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec + 1)
            next = now;
        while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &next) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

int web_new(engine *e, const web_opts *o, web **out, char *err, size_t errlen)
{
    *out = NULL;
    web *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    w->e = e;
    w->o = *o;
    if (w->o.interval_ms <= 0)
        w->o.interval_ms = 1000;
    const char *root = o->host_root && *o->host_root ? o->host_root : "";
    snprintf(w->netdev_path, sizeof(w->netdev_path), "%s/proc/%s", root,
             *root ? "1/net/dev" : "net/dev");
    /* Docker's data root when it exists, else / */
    snprintf(w->disk_path, sizeof(w->disk_path), "%s/var/lib/docker", root);
    struct statvfs sv;
    if (statvfs(w->disk_path, &sv) != 0)
        snprintf(w->disk_path, sizeof(w->disk_path), "%s/", root);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    w->hub = sse_new(o->max_clients);
    w->ifs = calloc(MAX_HOSTIF, sizeof(*w->ifs));
    if (o->history_ms > 0)
        w->hist = ring_new(H_NFIELDS, o->history_ms);
    if (!w->hub || !w->ifs || (o->history_ms > 0 && !w->hist)) {
        snprintf(err, errlen, "out of memory");
        web_free(w);
        return -ENOMEM;
    }
    int rc = pthread_create(&w->th, NULL, web_thread, w);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the web thread: %s", strerror(rc));
        web_free(w);
        return -rc;
    }
    w->started = 1;
    *out = w;
    return 0;
}

void web_shutdown(web *w)
{
    if (!w)
        return;
    sse_close_all(w->hub);
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (w->started) {
        pthread_join(w->th, NULL);
        w->started = 0;
    }
}

void web_free(web *w)
{
    if (!w)
        return;
    web_shutdown(w);
    sse_free(w->hub);
    ring_free(w->hist);
    free(w->ifs);
    buf_free(&w->scratch);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* ---- routes ------------------------------------------------------------- */

static void add_header(httpd_resp *r, const char *name, const char *value)
{
    if (r->n_headers < HTTPD_MAX_HEADERS) {
        r->headers[r->n_headers][0] = name;
        r->headers[r->n_headers][1] = value;
        r->n_headers++;
    }
}

/* "gzip" listed in Accept-Encoding, and not with q=0. */
static int accepts_gzip(const char *ae)
{
    for (const char *p = strstr(ae, "gzip"); p; p = strstr(p + 4, "gzip")) {
        const char *q = p + 4;
        q += strspn(q, " ");
        if (*q != ';')
            return 1;
        q++;
        q += strspn(q, " ");
        if (strncmp(q, "q=", 2) != 0 || strtod(q + 2, NULL) > 0.0)
            return 1;
    }
    return 0;
}

static int etag_matches(const char *inm, const char *etag)
{
    if (!*inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    return strstr(inm, etag) != NULL; /* a list of quoted tags */
}

int web_route_asset(const httpd_req *req, httpd_resp *resp)
{
    const char *p = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;
    const web_asset *a = NULL;
    for (unsigned i = 0; i < web_n_assets && !a; i++)
        if (strcmp(web_assets[i].path, p) == 0)
            a = &web_assets[i];
    if (!a)
        return 0;
    add_header(resp, "Cache-Control", "no-cache");
    add_header(resp, "ETag", a->etag);
    add_header(resp, "Content-Security-Policy", csp);
    add_header(resp, "Referrer-Policy", "no-referrer");
    add_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    snprintf(resp->content_type, sizeof(resp->content_type), "%s", a->ctype);
    if (etag_matches(req->if_none_match, a->etag)) {
        resp->status = 304;
        return 1;
    }
    resp->status = 200;
    if (a->gz && accepts_gzip(req->accept_encoding)) {
        snprintf(resp->content_encoding, sizeof(resp->content_encoding), "gzip");
        buf_append(&resp->body, a->gz, a->gzlen);
    } else {
        buf_append(&resp->body, a->data, a->len);
    }
    return 1;
}

void web_route_host(web *w, httpd_resp *resp)
{
    /* the engine's summary, extended: one object, never re-parsed text */
    json_t *o = json_host_object(engine_export_src(w->e, &(export_src){0}));
    if (!o) {
        web_error_json(resp, 500, "internal error");
        return;
    }
    store *st = engine_store(w->e);
    unsigned total = 0, unhealthy = 0;
    st_lock(st);
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        int live = en->cgpath[0] && en->collects > 0;
        total += en->has_meta || live;
        unhealthy += live && en->has_meta && strcmp(en->meta.health, "unhealthy") == 0;
    }
    st_unlock(st);
    pthread_mutex_lock(&w->lock);
    host_now h = w->now;
    pthread_mutex_unlock(&w->lock);
    json_object_set_new(o, "containers_total", json_integer(total));
    json_object_set_new(o, "containers_unhealthy", json_integer(unhealthy));
    if (h.valid) {
        json_object_set_new(o, "disk",
                            json_pack("{s:s,s:I,s:I,s:I}", "path", h.disk_path, "total_bytes",
                                      (json_int_t)h.disk_total, "used_bytes",
                                      (json_int_t)h.disk_used, "available_bytes",
                                      (json_int_t)h.disk_avail));
        json_object_set_new(o, "network",
                            json_pack("{s:I,s:I,s:f,s:f}", "rx_bytes", (json_int_t)h.net_rx,
                                      "tx_bytes", (json_int_t)h.net_tx, "rx_bytes_per_second",
                                      h.rx_bps, "tx_bytes_per_second", h.tx_bps));
    }
    sse_stats ss;
    sse_get_stats(w->hub, &ss);
    json_object_set_new(o, "dashboard",
                        json_pack("{s:i,s:I,s:I,s:I}", "streams", (int)ss.clients, "frames",
                                  (json_int_t)ss.published, "frames_dropped",
                                  (json_int_t)ss.dropped, "streams_refused",
                                  (json_int_t)ss.refused));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    web_set_json(resp, 200);
    buf_puts(&resp->body, s ? s : "{}");
    free(s);
}

typedef struct hhist {
    json_t *rows;
    int64_t step, pend_ts;
    uint64_t pend[H_NFIELDS];
    int has;
} hhist;

static void hrow(hhist *c, int64_t ts, const uint64_t *v)
{
    json_t *row = json_array();
    json_array_append_new(row, json_integer(ts));
    for (int i = 0; i < H_NFIELDS; i++)
        json_array_append_new(row, json_integer((json_int_t)(v[i] > INT64_MAX ? INT64_MAX : v[i])));
    json_array_append_new(c->rows, row);
}

static int on_hhist(int64_t ts, const uint64_t *v, void *arg)
{
    hhist *c = arg;
    if (c->step <= 0) {
        hrow(c, ts, v);
        return 0;
    }
    if (c->has && ts / c->step != c->pend_ts / c->step)
        hrow(c, c->pend_ts, c->pend);
    c->pend_ts = ts;
    memcpy(c->pend, v, sizeof(c->pend));
    c->has = 1;
    return 0;
}

static void host_history(web *w, const web_range *r, httpd_resp *resp)
{
    json_t *o = json_object();
    json_t *f = json_array();
    json_array_append_new(f, json_string("timestamp_ms"));
    for (int i = 0; i < H_NFIELDS; i++)
        json_array_append_new(f, json_string(host_fields[i]));
    json_object_set_new(o, "fields", f);
    hhist c = {.rows = json_array(), .step = r->step_ms};
    pthread_mutex_lock(&w->lock);
    if (w->hist)
        ring_foreach(w->hist, r->since_ms, r->until_ms, on_hhist, &c);
    pthread_mutex_unlock(&w->lock);
    if (c.has)
        hrow(&c, c.pend_ts, c.pend);
    json_object_set_new(o, "samples", c.rows);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    web_set_json(resp, 200);
    buf_puts(&resp->body, s ? s : "{}");
    free(s);
}

/* /api/v1/containers/{key}/services: the container's services array. */
void web_route_services(web *w, const char *key, httpd_resp *resp)
{
    web_set_json(resp, 200);
    int rc = json_render_services(engine_export_src(w->e, &(export_src){0}), key, &resp->body);
    if (rc < 0) {
        int many = rc == -EEXIST;
        web_error_json(resp, many ? 409 : 404, many ? "ambiguous id prefix" : "no such container");
    }
}

/* Lines a log tail reads at most, and bytes it reads from the file's end. */
#define WEB_LOG_TAIL_MAX   1000
#define WEB_LOG_TAIL_BYTES (512 * 1024)

/* /api/v1/containers/{key}/logs?tail=N: the last N lines (default 100, at
 * most 1000) of the container's json-file log, read from the file Docker
 * writes (log shipping need not be on). Only the current file is read, at
 * most its last 512 KiB; messages are JSON-escaped with invalid UTF-8
 * replaced, so whatever the container printed cannot break the page. */
/* Containers Docker knows (stopped ones too): those with a log file. */
static int has_meta(const st_entry *en)
{
    return en->has_meta;
}

void web_route_logs(web *w, const char *key, const char *query, httpd_resp *resp)
{
    long tail = 100;
    const char *q = strstr(query, "tail=");
    if (q && (q == query || q[-1] == '&')) {
        char *end;
        tail = strtol(q + 5, &end, 10);
        if (end == q + 5 || (*end && *end != '&') || tail < 1 || tail > WEB_LOG_TAIL_MAX) {
            web_error_json(resp, 400, "tail: want a number from 1 to 1000");
            return;
        }
    }
    char path[512] = "", name[128] = "";
    store *st = engine_store(w->e);
    st_lock(st);
    st_entry *en = NULL;
    int rc = st_resolve_if(st, key, has_meta, &en); /* the one lookup rule */
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s%s", w->o.host_root ? w->o.host_root : "",
                 en->meta.log_path);
        snprintf(name, sizeof(name), "%s", en->meta.name);
    }
    st_unlock(st);
    if (rc < 0) {
        int many = rc == -EEXIST;
        web_error_json(resp, many ? 409 : 404, many ? "ambiguous id prefix" : "no such container");
        return;
    }
    /* no json-file log (another log driver): no lines */
    const char *lp = path[strlen(w->o.host_root ? w->o.host_root : "")] ? path : NULL;
    web_set_json(resp, 200);
    lview_tail_json(lp, name, tail, WEB_LOG_TAIL_BYTES, &resp->body);
}

void web_route_stream(web *w, const httpd_req *req, httpd_resp *resp)
{
    add_header(resp, "Cache-Control", "no-store");
    add_header(resp, "X-Accel-Buffering", "no");
    snprintf(resp->content_type, sizeof(resp->content_type), "text/event-stream");
    if (strcmp(req->method, "HEAD") == 0) {
        resp->status = 200;
        return;
    }
    /* a first client after a quiet period starts from a fresh frame */
    if (!sse_has_last(w->hub))
        publish(w);
    int rc = sse_attach(w->hub, resp);
    if (rc < 0) {
        resp->n_headers = 0;
        web_error_json(resp, 503,
                       rc == -EBUSY ? "too many dashboard streams (max_clients)" : "shutting down");
        log_debug(MOD, "stream refused: %s", rc == -EBUSY ? "max clients" : "shutdown");
        return;
    }
    resp->status = 200;
}

/* The range of ?since=&until=&step=, or a 400 answered: 0 or -1. */
static int range_of(const httpd_req *req, web_range *r, httpd_resp *resp)
{
    char err[160];
    if (web_parse_range(req->query, strlen(req->query), clock_wall_ms(), r, err, sizeof(err)) < 0) {
        web_error_json(resp, 400, err);
        return -1;
    }
    return 0;
}

void web_route_host_history(web *w, const httpd_req *req, httpd_resp *resp)
{
    web_range r;
    if (range_of(req, &r, resp) == 0)
        host_history(w, &r, resp);
}

void web_route_history(web *w, const char *key, const httpd_req *req, httpd_resp *resp)
{
    web_range r;
    if (range_of(req, &r, resp) < 0)
        return;
    web_set_json(resp, 200);
    int rc = json_render_history_step(engine_export_src(w->e, &(export_src){0}), key, r.since_ms,
                                      r.until_ms, r.step_ms, &resp->body);
    if (rc == -EEXIST) /* was: the first match in id order; now as services and logs answer */
        web_error_json(resp, 409, "ambiguous id prefix");
    else if (rc < 0)
        web_error_json(resp, 404, "no such container");
}
