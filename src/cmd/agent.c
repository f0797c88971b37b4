/*
 * berth agent: the daemon. Starts the engine (collector + Docker watcher
 * threads) and the HTTP server, then waits for SIGTERM or SIGINT on the main
 * thread with sigwait(); the signals are blocked in every other thread, so
 * shutdown is ordinary code, not a signal handler: stop accepting HTTP, stop
 * the engine, free, exit 0.
 *
 * Routes (all GET/HEAD, read-only):
 *   /metrics                          Prometheus text format 0.0.4
 *   /healthz                          200 "ok" while the collector runs
 *   /api/v1/host                      host summary
 *   /api/v1/containers[?all=1]        JSON array
 *   /api/v1/containers/{id|name}      one container, 404 if unknown
 *   /api/v1/containers/{id|name}/history[?since=&until=&step=]   (web/web.c)
 *   /, /api/v1/stream, /api/v1/host/history, .../services         (web/web.c)
 *   /api/v1/disk                      per-container disk usage, images, totals
 */
#include <errno.h>
#include <malloc.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "core/engine.h"
#include "core/svcmon.h"
#include "core/zbxactive.h"
#include "export/zbxitems.h"
#include "disk/tracker.h"
#include "export/export.h"
#include "net/httpd.h"
#include "logs/lpipe.h"
#include "util/log.h"
#include "web/web.h"

typedef struct agent {
    cfg c;
    engine *e;
    export_opts xo;
    zbxactive *za; /* NULL unless zabbix_active */
    web *web;      /* the dashboard and its API */
    lpipe *lp;     /* log shipping, NULL when off */
} agent;

static void agent_usage(FILE *f)
{
    fprintf(f, "usage: berth agent [options]\n"
               "  --config FILE            config file ('key value' lines, see docs/config.md)\n"
               "  --listen ADDR:PORT       HTTP address (default 127.0.0.1:9393)\n"
               "  --interval DURATION      collection interval (default 1s)\n"
               "  --history DURATION       in-memory history per container (default 10m)\n"
               "  --host-root DIR          host's / mounted at DIR (berth in a container)\n"
               "  --docker-host URL        Docker API socket (default $DOCKER_HOST or\n"
               "                           unix:///var/run/docker.sock)\n"
               "  --no-docker              cgroups only, no Docker API\n"
               "  --label-allow K1,K2      Docker labels exported as container_label_*\n"
               "  --log-level LEVEL        debug, info (default), warn, error\n"
               "  --http-max-connections N default 64\n"
               "  --http-timeout DURATION  idle HTTP connection timeout (default 10s)\n"
               "  --no-services            do not discover or probe services in containers\n"
               "  --services-interval D    service discovery and probe interval (default 10s)\n"
               "  --probe-timeout D        timeout of one probe (default 1s)\n"
               "  --zabbix-listen ADDR:PORT  answer Zabbix passive checks there (default off;\n"
               "                           127.0.0.1:10050 is Zabbix's port)\n"
               "  --zabbix-allow LIST      Zabbix servers/proxies allowed, IPs and CIDRs\n"
               "                           (default 127.0.0.1,::1)\n"
               "  --zabbix-active HOST[:PORT] push items to a Zabbix server/proxy (trapper;\n"
               "                           default off, port 10051)\n"
               "  --zabbix-host NAME       host name in Zabbix (default the hostname)\n"
               "  --zabbix-active-interval D  between pushes (default 60s)\n"
               "  --zabbix-active-items LIST  keys pushed, 'prefix*' allowed (default all)\n"
               "  --logs on|off            ship container and file logs (default off)\n"
               "  --only logs              run only the log pipeline (no collector, services)\n"
               "  --log-output 'NAME TYPE k=v...'  a log output (repeatable; default: NDJSON\n"
               "                           file in the buffer dir)\n"
               "  --logs-buffer-dir DIR    log buffers and checkpoints (/var/lib/berth/logs)\n"
               "  --logs-buffer-max SIZE   disk buffer per output (default 1G)\n"
               "  --logs-full-policy P     pause (default) or drop_oldest\n"
               "  --log-files GLOBS        plain files to ship, comma-separated globs\n"
               "  --logs-containers GLOBS  only these container names (default all)\n"
               "  --no-disk                do not track per-container disk usage\n"
               "  --disk-interval D        logs re-read and polled trees checked (default 10s)\n"
               "  --disk-verify D          full re-walk of each tree (default 1h, 0 = never)\n"
               "  --disk-fanotify on|off   fanotify change detection (default on; off: poll)\n");
}

static void set_json(httpd_resp *r, int status)
{
    r->status = status;
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
}

static void error_json(httpd_resp *r, int status, const char *msg)
{
    set_json(r, status);
    buf_reset(&r->body);
    buf_printf(&r->body, "{\"error\":\"%s\"}\n", msg);
}

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

static void handle(const httpd_req *req, httpd_resp *resp, void *arg)
{
    agent *a = arg;
    const char *p = req->path;
    if (a->web && web_handle(a->web, req, resp))
        return;
    if (strcmp(p, "/metrics") == 0) {
        resp->status = 200;
        snprintf(resp->content_type, sizeof(resp->content_type), "%s", PROM_CONTENT_TYPE);
        if (a->e)
            prom_render(engine_export_src(a->e, &(export_src){0}), &a->xo, &resp->body);
        if (a->za)
            zbxactive_render_prom(a->za, &resp->body);
        lpipe_render_prom(a->lp, &resp->body);
        return;
    }
    if (!a->e) { /* --only logs: /metrics and /healthz */
        int hz = strcmp(p, "/healthz") == 0;
        resp->status = hz ? 200 : 404;
        snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
        buf_puts(&resp->body, hz ? "ok\n" : "not found (berth agent --only logs)\n");
        return;
    }
    if (strcmp(p, "/healthz") == 0) {
        engine_stats st;
        engine_get_stats(a->e, &st);
        resp->status = st.cycles > 0 ? 200 : 503;
        snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
        buf_puts(&resp->body, st.cycles > 0 ? "ok\n" : "starting\n");
        return;
    }
    if (strcmp(p, "/api/v1/host") == 0) {
        set_json(resp, 200);
        json_render_host(engine_export_src(a->e, &(export_src){0}), &resp->body);
        return;
    }
    if (strcmp(p, "/api/v1/disk") == 0) {
        set_json(resp, 200);
        if (json_render_disk(a->e, &resp->body) < 0)
            error_json(resp, 503, "disk tracking is off");
        return;
    }
    if (strcmp(p, "/api/v1/containers") == 0) {
        set_json(resp, 200);
        json_render_containers(engine_export_src(a->e, &(export_src){0}),
                               query_flag(req->query, "all"), NULL, &resp->body);
        return;
    }
    const char *pre = "/api/v1/containers/";
    if (strncmp(p, pre, strlen(pre)) == 0) {
        char key[160];
        const char *k = p + strlen(pre);
        const char *slash = strchr(k, '/');
        size_t kl = slash ? (size_t)(slash - k) : strlen(k);
        if (kl == 0 || kl >= sizeof(key)) {
            error_json(resp, 404, "no such container");
            return;
        }
        memcpy(key, k, kl);
        key[kl] = '\0';
        if (slash) {
            error_json(resp, 404, "not found");
            return;
        }
        buf tmp = BUF_INIT;
        json_render_containers(engine_export_src(a->e, &(export_src){0}), 1, key, &tmp);
        /* one object, not an array: strip the brackets of a 1-element array */
        if (tmp.len > 2 && tmp.data[0] == '[' && tmp.data[1] == '{') {
            set_json(resp, 200);
            buf_append(&resp->body, tmp.data + 1, tmp.len - 2);
            /* an id prefix matching several containers is ambiguous */
            if (strstr(resp->body.data, "},{\"id\"")) {
                buf_reset(&resp->body);
                error_json(resp, 409, "ambiguous id prefix");
            }
        } else {
            error_json(resp, 404, "no such container");
        }
        buf_free(&tmp);
        return;
    }
    resp->status = 404;
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
    buf_puts(&resp->body, "not found\n");
}

int cmd_agent(int argc, char **argv)
{
    agent a;
    memset(&a, 0, sizeof(a));
    cfg_defaults(&a.c);
    if (cmd_load_config(&a.c, argc, argv) < 0)
        return 2;
    for (int i = 1; i < argc; i++) {
        int r = cmd_config_flag(&a.c, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            agent_usage(stdout);
            return 0;
        }
        fprintf(stderr, "berth agent: unknown option '%s'\n", argv[i]);
        agent_usage(stderr);
        return 2;
    }
    enum log_level lvl = LOG_INFO;
    log_parse_level(a.c.log_level, &lvl);
    log_set_level(lvl);
    a.xo.label_allow = a.c.label_allow;
    a.xo.n_label_allow = a.c.n_label_allow;

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
    char err[512];
    httpd *h = NULL;
    svcmon *sm = NULL;
    zbx_server *zs = NULL;
    int only_logs = strcmp(a.c.only, "logs") == 0;
    dt_tracker *dt = NULL;
    engine_opts eo = {.host_root = a.c.host_root,
                      .docker_host = a.c.docker_host[0] ? a.c.docker_host : NULL,
                      .use_docker = a.c.docker,
                      .interval_ms = a.c.interval_ms,
                      .history_ms = a.c.history_ms};
    if (a.c.logs) {
        const char *outs[CFG_MAX_LOG_OUTPUTS];
        for (size_t i = 0; i < a.c.n_log_output; i++)
            outs[i] = a.c.log_output[i];
        lpipe_opts lo = {.host_root = a.c.host_root,
                         .docker_host = a.c.docker_host[0] ? a.c.docker_host : NULL,
                         .use_docker = a.c.docker,
                         .buffer_dir = a.c.logs_buffer_dir,
                         .buffer_max = a.c.logs_buffer_max,
                         .full_policy = a.c.logs_full_policy,
                         .files = a.c.log_files,
                         .containers = a.c.logs_containers,
                         .outputs = outs,
                         .n_outputs = a.c.n_log_output,
                         .label_allow = a.c.label_allow,
                         .n_label_allow = a.c.n_label_allow,
                         .poll_ms = a.c.logs_poll_ms,
                         .sync = a.c.logs_fsync,
                         .line_max = (size_t)a.c.logs_line_max};
        if (lpipe_start(&lo, &a.lp, err, sizeof(err)) < 0) {
            log_error("agent", "logs: %s", err);
            goto out;
        }
    }
    if (only_logs)
        goto serve;
    if (engine_new(&eo, &a.e, err, sizeof(err)) < 0) {
        log_error("agent", "%s", err);
        goto out;
    }
    const cg_layout *l = engine_layout(a.e);
    log_info("agent", "berth %s: cgroup %s (memory at %s), interval %lldms, history %llds",
             BERTH_VERSION, cg_mode_name(l->mode),
             l->dir[CG_MEMORY][0] ? l->dir[CG_MEMORY] : l->dir[CG_UNIFIED],
             (long long)a.c.interval_ms, (long long)(a.c.history_ms / 1000));
    if (a.c.disk) {
        dt_opts dto;
        dt_opts_defaults(&dto);
        dto.interval_ms = a.c.disk_interval_ms;
        dto.verify_ms = a.c.disk_verify_ms;
        dto.use_fanotify = a.c.disk_fanotify;
        dto.max_dirs = (uint64_t)a.c.disk_max_dirs;
        dto.host_root = a.c.host_root;
        /* writable layers without an overlay2 upper dir: the engine's SizeRw */
        dto.engine_size = a.c.docker;
        dto.docker_host = a.c.docker_host[0] ? a.c.docker_host : NULL;
        if (dt_new(&dto, &dt, err, sizeof(err)) < 0) {
            log_error("agent", "disk tracker: %s", err);
            goto out;
        }
        engine_set_disk(a.e, dt);
    }
    if (engine_start(a.e, err, sizeof(err)) < 0) {
        log_error("agent", "%s", err);
        goto out;
    }
    if (dt && dt_start(dt, engine_store(a.e), err, sizeof(err)) < 0) {
        log_error("agent", "%s", err);
        goto out;
    }
    svcmon_opts so = {.interval_ms = a.c.services_interval_ms,
                      .probe_timeout_ms = (int)a.c.probe_timeout_ms,
                      .probe_http = a.c.probe_http,
                      .probe_ignore = a.c.probe_ignore};
    if (a.c.services && svcmon_start(a.e, &so, &sm, err, sizeof(err)) < 0) {
        log_error("agent", "%s", err);
        goto out;
    }
    if (a.c.zabbix_listen[0]) {
        /* "ADDR:PORT" or "[v6]:PORT" */
        char zaddr[80];
        snprintf(zaddr, sizeof(zaddr), "%s", a.c.zabbix_listen);
        char *colon = strrchr(zaddr, ':');
        *colon = '\0';
        char *host = zaddr;
        if (host[0] == '[') {
            host++;
            host[strlen(host) - 1] = '\0';
        }
        zbx_opts zo = {.addr = host[0] ? host : "127.0.0.1",
                       .port = atoi(colon + 1),
                       .allow = a.c.zabbix_allow,
                       .version = BERTH_VERSION};
        if (zbx_start(&zo, zbxitems_get, a.e, &zs, err, sizeof(err)) < 0) {
            log_error("agent", "cannot start the Zabbix listener on %s: %s", a.c.zabbix_listen,
                      err);
            goto out;
        }
        log_info("agent", "Zabbix passive checks on %s:%d (allowed: %s)", zo.addr, zbx_port(zs),
                 a.c.zabbix_allow);
    }
    if (a.c.zabbix_active[0]) {
        zbxactive_opts zao = {.server = a.c.zabbix_active,
                              .host = a.c.zabbix_host,
                              .interval_ms = a.c.zabbix_active_interval_ms,
                              .items = a.c.zabbix_active_items};
        if (zbxactive_start(a.e, &zao, &a.za, err, sizeof(err)) < 0) {
            log_error("agent", "%s", err);
            goto out;
        }
        log_info("agent", "Zabbix active mode: pushing to %s every %llds as host \"%s\"",
                 a.c.zabbix_active, (long long)(a.c.zabbix_active_interval_ms / 1000),
                 a.c.zabbix_host[0] ? a.c.zabbix_host : "(hostname)");
    }
    web_opts wo = {.interval_ms = a.c.interval_ms,
                   .history_ms = a.c.history_ms,
                   .max_clients = 16,
                   .host_root = a.c.host_root};
    if (web_new(a.e, &wo, &a.web, err, sizeof(err)) < 0) {
        log_error("agent", "%s", err);
        goto out;
    }
serve:;
    httpd_opts ho = {.addr = a.c.listen_addr,
                     .port = a.c.listen_port,
                     .max_conns = a.c.http_max_conns,
                     .per_ip_conns = 0,
                     .timeout_s = a.c.http_timeout_s,
                     .max_request_bytes = 0};
    if (httpd_start(&ho, handle, &a, &h, err, sizeof(err)) < 0) {
        log_error("agent", "cannot listen on %s:%d: %s", a.c.listen_addr, a.c.listen_port, err);
        goto out;
    }
    log_info("agent", "listening on http://%s:%d/metrics, dashboard at /", a.c.listen_addr,
             httpd_port(h));
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    log_info("agent", "%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    rc = 0;
out:
    web_shutdown(a.web); /* ends the dashboard's streams before the server stops */
    if (h)
        httpd_stop(h);
    web_free(a.web);
    zbx_stop(zs);
    zbxactive_stop(a.za);
    svcmon_stop(sm);
    lpipe_stop(a.lp);
    dt_stop(dt);
    engine_free(a.e); /* stops the engine's threads; dt is no longer read */
    dt_free(dt);
    if (rc == 0)
        log_info("agent", "stopped");
    return rc;
}
