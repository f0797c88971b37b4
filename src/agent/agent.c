/*
 * agent: the daemon (see agent.h). Starts the jobs of the table below in
 * order, then waits for SIGTERM or SIGINT on the main thread with
 * sigwait(); the signals are blocked in every other thread, so shutdown is
 * ordinary code, not a signal handler: stop every job in reverse, exit 0.
 *
 * The order rule: a row is started after every row above it and stopped
 * before them. A subsystem whose stop must run at another place than the
 * mirror of its start has a stop-only row there (start NULL) and a
 * start-only row where it starts. That keeps the shutdown exactly as it
 * was written by hand: web_shutdown (ends the dashboard's streams) before
 * httpd_stop, web_free after it (streams hold references until then), the
 * Zabbix listener before active mode, the log pipeline before the disk
 * tracker's thread, engine_free (stops the threads that read dt) before
 * dt_free.
 *
 * Routes (all GET/HEAD, read-only), in dispatch order (agent_routes):
 *   /api/v1/stream, /api/v1/host, /api/v1/host/history,
 *   /api/v1/containers/{id|name}/{services,logs,history}       (web/web.c)
 *   /metrics                          Prometheus text format 0.0.4
 *   /healthz                          200 "ok" while the collector runs
 *   /api/v1/disk                      per-container disk usage, images, totals
 *   /api/v1/containers[?all=1]        JSON array
 *   /api/v1/containers/{id|name}      one container, 404 if unknown
 *   /, /index.html, /app.js, /style.css  the dashboard (web/web.c)
 */
#include "agent/agent.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "agent/routes.h"
#include "core/engine.h"
#include "core/svcmon.h"
#include "agent/disksync.h"
#include "agent/zbxpush.h"
#include "disk/tracker.h"
#include "export/export.h"
#include "export/json_disk.h"
#include "export/prom_logs.h"
#include "export/zbxitems.h"
#include "logs/lpipe.h"
#include "net/httpd.h"
#include "util/log.h"
#include "web/respond.h"
#include "web/web.h"
#include "zabbix/zbx.h"

struct agent {
    cfg c;
    engine *e;
    export_opts xo;
    zbxpush *za;       /* NULL unless zabbix_active */
    zbxitems_src zsrc; /* what the Zabbix items read */
    web *web;          /* the dashboard and its API */
    lpipe *lp;         /* log shipping, NULL when off */
    httpd *h;
    svcmon *sm;
    zbx_server *zs;
    disksync *dt;    /* the disk tracker and its feed from the store */
    char token[512]; /* control bearer token, "" = control off; never logged */
};

/* ---- routes ------------------------------------------------------------ */

static int query_flag(const char *q, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = q; p && *p;) {
        if (strncmp(p, key, kl) == 0 && (p[kl] == '=' || p[kl] == '&' || !p[kl]))
            return p[kl] != '=' || (p[kl + 1] != '0' && strncmp(p + kl + 1, "false", 5) != 0);
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return 0;
}

static void r_stream(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    web_route_stream(((agent *)ctx)->web, req, resp);
}

static void r_web_host(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    (void)req;
    web_route_host(((agent *)ctx)->web, resp);
}

static void r_host_history(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    web_route_host_history(((agent *)ctx)->web, req, resp);
}

static void r_services(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)req;
    web_route_services(((agent *)ctx)->web, key, resp);
}

static void r_logs(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    web_route_logs(((agent *)ctx)->web, key, req->query, resp);
}

static void r_history(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    web_route_history(((agent *)ctx)->web, key, req, resp);
}

static void r_metrics(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    (void)req;
    agent *a = ctx;
    resp->status = 200;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s", PROM_CONTENT_TYPE);
    if (a->e)
        prom_render(engine_export_src(a->e, &(export_src){0}), &a->xo, &resp->body);
    if (a->za)
        zbxpush_render_prom(a->za, &resp->body);
    lpipe_stats ls = {0};
    lpipe_get_stats(a->lp, &ls);
    prom_render_logs(&ls, &resp->body);
    lpipe_stats_free(&ls);
}

static void r_healthz(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    (void)req;
    agent *a = ctx;
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
    if (!a->e) { /* --only logs: the pipeline runs as long as the process */
        resp->status = 200;
        buf_puts(&resp->body, "ok\n");
        return;
    }
    engine_stats st;
    engine_get_stats(a->e, &st);
    resp->status = st.cycles > 0 ? 200 : 503;
    buf_puts(&resp->body, st.cycles > 0 ? "ok\n" : "starting\n");
}

/* Shadowed by the dashboard's /api/v1/host whenever the engine runs (the
 * dashboard always does then); kept as the engine-only answer. */
static void r_host(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    (void)req;
    web_set_json(resp, 200);
    json_render_host(engine_export_src(((agent *)ctx)->e, &(export_src){0}), &resp->body);
}

static void r_disk(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    (void)req;
    web_set_json(resp, 200);
    engine *e = ((agent *)ctx)->e;
    if (json_disk_render(engine_store(e), engine_disk(e), &resp->body) < 0)
        web_error_json(resp, 503, "disk tracking is off");
}

static void r_containers(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)key;
    web_set_json(resp, 200);
    json_render_containers(engine_export_src(((agent *)ctx)->e, &(export_src){0}),
                           query_flag(req->query, "all"), NULL, &resp->body);
}

static void r_container(void *ctx, const char *unused, const httpd_req *req, httpd_resp *resp)
{
    (void)unused;
    agent *a = ctx;
    const char *p = req->path;
    const char *pre = "/api/v1/containers/";
    char key[160];
    const char *k = p + strlen(pre);
    const char *slash = strchr(k, '/');
    size_t kl = slash ? (size_t)(slash - k) : strlen(k);
    if (kl == 0 || kl >= sizeof(key)) {
        web_error_json(resp, 404, "no such container");
        return;
    }
    memcpy(key, k, kl);
    key[kl] = '\0';
    if (slash) {
        web_error_json(resp, 404, "not found");
        return;
    }
    web_set_json(resp, 200);
    int rc = json_render_container(engine_export_src(a->e, &(export_src){0}), key, &resp->body);
    if (rc == -EEXIST)
        web_error_json(resp, 409, "ambiguous id prefix");
    else if (rc < 0)
        web_error_json(resp, 404, "no such container");
}

#define E ROUTE_NEED_ENGINE
#define W ROUTE_NEED_WEB
const route agent_routes[] = {
    {"GET", "/api/v1/stream", 0, W, ROUTE_READ, r_stream},
    {"GET", "/api/v1/host", 0, W, ROUTE_READ, r_web_host},
    {"GET", "/api/v1/host/history", 0, W, ROUTE_READ, r_host_history},
    {"GET", "/api/v1/containers/*/services", 0, W, ROUTE_READ, r_services},
    {"GET", "/api/v1/containers/*/logs", 0, W, ROUTE_READ, r_logs},
    {"GET", "/api/v1/containers/*/history", 0, W, ROUTE_READ, r_history},
    {"GET", "/metrics", 0, 0, ROUTE_READ, r_metrics},
    {"GET", "/healthz", 0, 0, ROUTE_READ, r_healthz},
    {"GET", "/api/v1/host", 0, E, ROUTE_READ, r_host},
    {"GET", "/api/v1/disk", 0, E, ROUTE_READ, r_disk},
    {"GET", "/api/v1/containers", 0, E, ROUTE_READ, r_containers},
    {"GET", "/api/v1/containers/", 1, E, ROUTE_READ, r_container},
};
#undef E
#undef W
const size_t agent_n_routes = sizeof(agent_routes) / sizeof(agent_routes[0]);

static void handle(const httpd_req *req, httpd_resp *resp, void *arg)
{
    agent *a = arg;
    unsigned have = (a->e ? ROUTE_NEED_ENGINE : 0) | (a->web ? ROUTE_NEED_WEB : 0);
    if (a->web && strncmp(req->path, "/api/", 5) != 0 && web_route_asset(req, resp))
        return;
    if (route_dispatch(agent_routes, agent_n_routes, have, a->token, a, req, resp))
        return;
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
    resp->status = 404;
    buf_puts(&resp->body, a->e ? "not found\n" : "not found (berth agent --only logs)\n");
}

/* ---- jobs --------------------------------------------------------------- */

static int only_logs(const cfg *c)
{
    return strcmp(c->logs.only, "logs") == 0;
}

static int always(const cfg *c)
{
    (void)c;
    return 1;
}

static int not_only_logs(const cfg *c)
{
    return !only_logs(c);
}

static int want_logs(const cfg *c)
{
    return c->logs.enabled;
}

static int want_disk(const cfg *c)
{
    return !only_logs(c) && c->disk.enabled;
}

static int want_services(const cfg *c)
{
    return !only_logs(c) && c->services.enabled;
}

static int want_zbx(const cfg *c)
{
    return !only_logs(c) && c->zabbix.listen[0];
}

static int want_zbxpush(const cfg *c)
{
    return !only_logs(c) && c->zbxpush.server[0];
}

static int want_control(const cfg *c)
{
    return c->agent.control_token_file[0] != '\0';
}

static int logs_start(agent *a, char *err, size_t errlen)
{
    const engine_opts *eo = &a->c.engine;
    lpipe_opts *lo = &a->c.logs;
    /* the engine's keys the pipeline shares */
    lo->host_root = eo->host_root;
    lo->docker_host = eo->docker_host[0] ? eo->docker_host : NULL;
    lo->use_docker = eo->use_docker;
    lo->label_allow = eo->label_allow;
    lo->n_label_allow = eo->n_label_allow;
    char e2[512];
    if (lpipe_start(lo, &a->lp, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "logs: %s", e2);
        return -1;
    }
    return 0;
}

static void logs_stop(agent *a)
{
    lpipe_stop(a->lp);
    a->lp = NULL;
}

static int engine_job_new(agent *a, char *err, size_t errlen)
{
    const engine_opts *eo = &a->c.engine;
    if (engine_new(eo, &a->e, err, errlen) < 0)
        return -1;
    const cg_layout *l = engine_layout(a->e);
    log_info("agent", "berth %s: cgroup %s (memory at %s), interval %lldms, history %llds",
             BERTH_VERSION, cg_mode_name(l->mode),
             l->dir[CG_MEMORY][0] ? l->dir[CG_MEMORY] : l->dir[CG_UNIFIED],
             (long long)eo->interval_ms, (long long)(eo->history_ms / 1000));
    return 0;
}

static void engine_job_free(agent *a)
{
    engine_free(a->e); /* stops the engine's threads; dt is no longer read */
    a->e = NULL;
}

static int engine_job_start(agent *a, char *err, size_t errlen)
{
    a->zsrc = (zbxitems_src){.st = engine_store(a->e), .disk = engine_disk(a->e)};
    return engine_start(a->e, err, errlen) < 0 ? -1 : 0;
}

static int disk_new(agent *a, char *err, size_t errlen)
{
    const engine_opts *eo = &a->c.engine;
    dt_opts *dto = &a->c.disk;
    /* the engine's keys the tracker shares */
    dto->host_root = eo->host_root;
    /* writable layers without an overlay2 upper dir: the engine's SizeRw */
    dto->engine_size = eo->use_docker;
    dto->docker_host = eo->docker_host[0] ? eo->docker_host : NULL;
    char e2[512];
    if (disksync_new(dto, &a->dt, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "disk tracker: %s", e2);
        return -1;
    }
    engine_set_disk(a->e, disksync_tracker(a->dt));
    return 0;
}

static void disk_stop(agent *a)
{
    disksync_stop(a->dt);
}

static void disk_free(agent *a)
{
    disksync_free(a->dt);
    a->dt = NULL;
}

static int disk_start(agent *a, char *err, size_t errlen)
{
    return disksync_start(a->dt, engine_store(a->e), err, errlen) < 0 ? -1 : 0;
}

static int services_start(agent *a, char *err, size_t errlen)
{
    return svcmon_start(a->e, &a->c.services, &a->sm, err, errlen) < 0 ? -1 : 0;
}

static void services_stop(agent *a)
{
    svcmon_stop(a->sm);
    a->sm = NULL;
}

static int zbx_job_start(agent *a, char *err, size_t errlen)
{
    const zbx_listen_opts *c = &a->c.zabbix;
    /* "ADDR:PORT" or "[v6]:PORT" */
    char zaddr[80];
    snprintf(zaddr, sizeof(zaddr), "%s", c->listen);
    char *colon = strrchr(zaddr, ':');
    *colon = '\0';
    char *host = zaddr;
    if (host[0] == '[') {
        host++;
        host[strlen(host) - 1] = '\0';
    }
    zbx_opts zo = {.addr = host[0] ? host : "127.0.0.1",
                   .port = atoi(colon + 1),
                   .allow = c->allow,
                   .version = BERTH_VERSION};
    char e2[512];
    if (zbx_start(&zo, zbxitems_get, &a->zsrc, &a->zs, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "cannot start the Zabbix listener on %s: %s", c->listen, e2);
        return -1;
    }
    log_info("agent", "Zabbix passive checks on %s:%d (allowed: %s)", zo.addr, zbx_port(a->zs),
             c->allow);
    return 0;
}

static void zbx_job_stop(agent *a)
{
    zbx_stop(a->zs);
    a->zs = NULL;
}

static int zbxpush_job_start(agent *a, char *err, size_t errlen)
{
    const zbxpush_opts *c = &a->c.zbxpush;
    if (zbxpush_start(&a->zsrc, c, &a->za, err, errlen) < 0)
        return -1;
    log_info("agent", "Zabbix active mode: pushing to %s every %llds as host \"%s\"", c->server,
             (long long)(c->interval_ms / 1000), c->host[0] ? c->host : "(hostname)");
    return 0;
}

static void zbxpush_job_stop(agent *a)
{
    zbxpush_stop(a->za);
    a->za = NULL;
}

static int web_job_new(agent *a, char *err, size_t errlen)
{
    const engine_opts *c = &a->c.engine;
    /* the engine's keys the dashboard shares; it has none of its own */
    web_opts wo = {.interval_ms = c->interval_ms,
                   .history_ms = c->history_ms,
                   .max_clients = 16,
                   .host_root = c->host_root};
    return web_new(a->e, &wo, &a->web, err, errlen) < 0 ? -1 : 0;
}

static void web_job_shutdown(agent *a)
{
    web_shutdown(a->web); /* ends the dashboard's streams before the server stops */
}

static void web_job_free(agent *a)
{
    web_free(a->web);
    a->web = NULL;
}

/* The bearer token of the control routes: read once, whitespace at the end
 * cut, never logged. No TLS yet, so only on a loopback listen address. */
static int control_start(agent *a, char *err, size_t errlen)
{
    const cfg *c = &a->c;
    if (!route_addr_is_loopback(c->http.addr)) {
        snprintf(err, errlen,
                 "control_token_file: control routes need TLS, which berth does not have yet; "
                 "refused on a listen address other than loopback (%s)",
                 c->http.addr);
        return -1;
    }
    buf b = BUF_INIT;
    long r = buf_read_file(&b, c->agent.control_token_file, sizeof(a->token));
    size_t n = r < 0 ? 0 : b.len;
    while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' ' ||
                 b.data[n - 1] == '\t'))
        n--;
    if (r < 0 || n == 0 || n >= sizeof(a->token) || memchr(b.data, '\0', n)) {
        snprintf(err, errlen, "control_token_file: %s: %s", c->agent.control_token_file,
                 r < 0 ? strerror((int)-r) : "want one token of 1 to 511 bytes");
        buf_free(&b);
        return -1;
    }
    memcpy(a->token, b.data, n);
    a->token[n] = '\0';
    buf_free(&b);
    return 0;
}

static int httpd_job_start(agent *a, char *err, size_t errlen)
{
    const httpd_opts *c = &a->c.http;
    char e2[512];
    if (httpd_start(c, handle, a, &a->h, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", c->addr, c->port, e2);
        return -1;
    }
    log_info("agent", "listening on http://%s:%d/metrics, dashboard at /", c->addr,
             httpd_port(a->h));
    return 0;
}

static void httpd_job_stop(agent *a)
{
    if (a->h)
        httpd_stop(a->h);
    a->h = NULL;
}

/* Started top to bottom, stopped bottom to top (see the order rule at the
 * top of this file); every stop runs, also for rows that did not start. */
const agent_job agent_jobs[] = {
    {"control", want_control, control_start, NULL}, /* refuses before anything runs */
    {"disk memory", always, NULL, disk_free},
    {"logs", want_logs, logs_start, NULL},
    {"engine", not_only_logs, engine_job_new, engine_job_free},
    {"disk", want_disk, disk_new, disk_stop},
    {"logs stop", always, NULL, logs_stop},
    {"collector", not_only_logs, engine_job_start, NULL},
    {"disk thread", want_disk, disk_start, NULL},
    {"services", want_services, services_start, services_stop},
    {"zabbix active stop", always, NULL, zbxpush_job_stop},
    {"zabbix listener", want_zbx, zbx_job_start, zbx_job_stop},
    {"zabbix active", want_zbxpush, zbxpush_job_start, NULL},
    {"dashboard", not_only_logs, web_job_new, web_job_free},
    {"http", always, httpd_job_start, httpd_job_stop},
    {"dashboard streams", always, NULL, web_job_shutdown},
};
const size_t agent_n_jobs = sizeof(agent_jobs) / sizeof(agent_jobs[0]);

int agent_new(const cfg *c, agent **out, char *err, size_t errlen)
{
    agent *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    cfg_copy(&a->c, c); /* label_allow into the copy's own buffer, not the caller's */
    a->xo.label_allow = a->c.engine.label_allow;
    a->xo.n_label_allow = a->c.engine.n_label_allow;
    *out = a;
    return 0;
}

int agent_run(agent *a)
{
    enum log_level lvl = LOG_INFO;
    log_parse_level(a->c.agent.log_level, &lvl);
    log_set_level(lvl);

    /* The collector keeps ~16 cgroup files open per container: lift the
     * soft descriptor limit to the hard one (beyond it, reads fall back to
     * open/read/close). Large buffers (a /metrics body of megabytes) go to
     * mmap so they return to the kernel when freed, and two malloc arenas
     * are plenty for four threads: both keep RSS flat. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 2);

    /* Block the stop signals before any thread exists, so every thread
     * inherits the mask and only sigwait() below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = 1;
    const agent_job *jobs = agent_jobs;
    size_t n = agent_n_jobs;
    for (size_t i = 0; i < n; i++) {
        const agent_job *j = &jobs[i];
        if (!j->start || !j->enabled(&a->c))
            continue;
        char err[1024];
        err[0] = '\0';
        if (j->start(a, err, sizeof(err)) < 0) {
            log_error("agent", "%s", err);
            goto out;
        }
    }
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    log_info("agent", "%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    rc = 0;
out:
    for (size_t i = n; i-- > 0;)
        if (jobs[i].stop)
            jobs[i].stop(a);
    if (rc == 0)
        log_info("agent", "stopped");
    return rc;
}

void agent_free(agent *a)
{
    free(a);
}
