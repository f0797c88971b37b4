/*
 * berth ps: a one-shot table of containers.
 *
 * It answers at once. When a berth agent answers on the configured address
 * (127.0.0.1:9393 by default), ps shows the agent's view: rates over the
 * agent's last interval, no cgroup read at all. Otherwise it samples every
 * container's cgroup, asks the Docker API for names while the gap runs,
 * samples again after a short gap (default 50 ms) and prints rates over that
 * gap. docker stats --no-stream instead waits for the daemon's own two
 * collection cycles, seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/agentapi.h"
#include "cmd/cmd.h"
#include "cmd/view.h"
#include "export/export.h"
#include "procs/passwd.h"
#include "procs/procs.h"
#include "services/svc.h"
#include "util/log.h"

#include <jansson.h>

static void ps_usage(FILE *f)
{
    fprintf(f, "usage: berth ps [options]       every container\n"
               "       berth ps NAME [--json]     one container's processes (from its cgroup)\n"
               "  -a, --all            include stopped containers (from the Docker API)\n"
               "  --json               JSON array, the same objects as GET /api/v1/containers\n"
               "  --format TEMPLATE    Go-template style, e.g. '{{.Name}}\\t{{.CPUPerc}}';\n"
               "                       'table ' in front prints a header. Fields: .ID .Name\n"
               "                       .Image .State .Health .CPUPerc .MemUsage .MemPerc .NetIO\n"
               "                       .BlockIO .PIDs .Restarts .OOMKills\n"
               "  --sort KEY           cpu, mem, net, block, pids, name (default), id\n"
               "  --no-trunc           full ids and images\n"
               "  --sample DURATION    gap between the two samples for rates (default 50ms);\n"
               "                       implies --no-agent\n"
               "  --agent URL          ask this agent (default http://<listen>, i.e.\n"
               "                       http://127.0.0.1:9393) before sampling locally\n"
               "  --no-agent           always sample locally\n"
               "  --host-root DIR      read /sys/fs/cgroup and /proc under DIR\n"
               "  --docker-host URL    unix:///var/run/docker.sock by default\n"
               "  --no-docker          cgroups only: ids instead of names\n");
}

/* One field of a row as text, for the table and --format. */
static int field(const view_row *r, const char *name, int no_trunc, char *out, size_t cap)
{
    char a[32], b[32];
    if (strcmp(name, "ID") == 0)
        snprintf(out, cap, "%.*s", no_trunc ? 64 : 12, r->id);
    else if (strcmp(name, "Name") == 0)
        snprintf(out, cap, "%s", r->name);
    else if (strcmp(name, "Image") == 0)
        snprintf(out, cap, "%.*s", no_trunc ? 255 : 30, r->image);
    else if (strcmp(name, "State") == 0)
        snprintf(out, cap, "%s%s%s%s", r->state, r->health[0] ? " (" : "", r->health,
                 r->health[0] ? ")" : "");
    else if (strcmp(name, "Health") == 0)
        snprintf(out, cap, "%s", r->health);
    else if (!r->live)
        snprintf(out, cap, "--");
    else if (strcmp(name, "CPUPerc") == 0)
        snprintf(out, cap, "%.2f%%", r->cpu_pct);
    else if (strcmp(name, "MemUsage") == 0) {
        view_bytes(a, sizeof(a), (double)r->mem_used, 1);
        if (r->mem_limit)
            view_bytes(b, sizeof(b), (double)r->mem_limit, 1);
        snprintf(out, cap, "%s / %s", a, r->mem_limit ? b : "-");
    } else if (strcmp(name, "MemPerc") == 0)
        snprintf(out, cap, "%.2f%%", r->mem_pct);
    else if (strcmp(name, "NetIO") == 0) {
        view_bytes(a, sizeof(a), r->net_rx, 0);
        view_bytes(b, sizeof(b), r->net_tx, 0);
        snprintf(out, cap, "%s/s / %s/s", a, b);
    } else if (strcmp(name, "BlockIO") == 0) {
        view_bytes(a, sizeof(a), r->blk_r, 0);
        view_bytes(b, sizeof(b), r->blk_w, 0);
        snprintf(out, cap, "%s/s / %s/s", a, b);
    } else if (strcmp(name, "PIDs") == 0)
        snprintf(out, cap, "%llu", (unsigned long long)r->pids);
    else if (strcmp(name, "Restarts") == 0)
        snprintf(out, cap, "%d", r->restarts);
    else if (strcmp(name, "OOMKills") == 0)
        snprintf(out, cap, "%llu", (unsigned long long)r->oom_kills);
    else
        return -1;
    return 0;
}

static const char *header_of(const char *f)
{
    static const char *const h[][2] = {{"ID", "CONTAINER ID"},
                                       {"Name", "NAME"},
                                       {"Image", "IMAGE"},
                                       {"State", "STATE"},
                                       {"Health", "HEALTH"},
                                       {"CPUPerc", "CPU %"},
                                       {"MemUsage", "MEM USAGE / LIMIT"},
                                       {"MemPerc", "MEM %"},
                                       {"NetIO", "NET RX / TX"},
                                       {"BlockIO", "BLOCK R / W"},
                                       {"PIDs", "PIDS"},
                                       {"Restarts", "RESTARTS"},
                                       {"OOMKills", "OOM KILLS"}};
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (strcmp(h[i][0], f) == 0)
            return h[i][1];
    return f;
}

/* Expands a --format template for one row (or for the header if r is NULL).
 * Returns -1 on an unknown field, with its name in bad. */
static int expand(const char *tpl, const view_row *r, int no_trunc, char *bad, size_t badcap)
{
    const char *p = tpl;
    while (*p) {
        if (p[0] == '\\' && p[1] == 't') {
            putchar('\t');
            p += 2;
            continue;
        }
        if (p[0] == '\\' && p[1] == 'n') {
            putchar('\n');
            p += 2;
            continue;
        }
        if (p[0] == '{' && p[1] == '{') {
            const char *end = strstr(p, "}}");
            if (!end)
                break;
            const char *s = p + 2;
            while (*s == ' ')
                s++;
            if (*s == '.')
                s++;
            const char *e = end;
            while (e > s && e[-1] == ' ')
                e--;
            char name[32];
            snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
            char val[512];
            if (field(r ? r : &(view_row){.live = 1}, name, no_trunc, val, sizeof(val)) < 0) {
                snprintf(bad, badcap, "%s", name);
                return -1;
            }
            fputs(r ? val : header_of(name), stdout);
            p = end + 2;
            continue;
        }
        putchar(*p++);
    }
    putchar('\n');
    return 0;
}

static void print_table(view_row *rows, size_t n, int no_trunc)
{
    static const char *const cols[] = {"ID",       "Name",    "Image", "State",   "CPUPerc",
                                       "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"};
    enum { NC = sizeof(cols) / sizeof(cols[0]) };
    size_t w[NC];
    for (int c = 0; c < NC; c++)
        w[c] = strlen(header_of(cols[c]));
    char val[512];
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NC; c++) {
            field(&rows[i], cols[c], no_trunc, val, sizeof(val));
            if (strlen(val) > w[c])
                w[c] = strlen(val);
        }
    for (int c = 0; c < NC; c++)
        printf("%-*s%s", c == NC - 1 ? 0 : (int)w[c], header_of(cols[c]),
               c == NC - 1 ? "\n" : "   ");
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NC; c++) {
            field(&rows[i], cols[c], no_trunc, val, sizeof(val));
            printf("%-*s%s", c == NC - 1 ? 0 : (int)w[c], val, c == NC - 1 ? "\n" : "   ");
        }
}

/* Asks a running agent. Returns the row count (rows and, for --json, the raw
 * body are filled) or -1 when no agent answered. */
static long from_agent(const char *base, int all, buf *body, view_row **rows)
{
    buf host = BUF_INIT;
    uint64_t host_mem = 0;
    if (agentapi_get(base, all ? "/api/v1/containers?all=1" : "/api/v1/containers", body) < 0)
        return -1;
    if (agentapi_get(base, "/api/v1/host", &host) == 0) {
        json_t *h = json_loadb(host.data, host.len, 0, NULL);
        host_mem = (uint64_t)json_number_value(json_object_get(h, "memory_total_bytes"));
        json_decref(h);
    }
    buf_free(&host);
    return view_rows_from_json(body->data, body->len, host_mem, rows);
}

static int has_cgroup(const st_entry *en)
{
    return en->cgpath[0] != '\0';
}

/* `berth ps NAME`: one container's processes, from its cgroup and /proc,
 * with CPU % over the sample gap. */
static int ps_container(const cfg *c, const char *name, int json, int64_t sample_ms)
{
    char err[512];
    engine *e = NULL;
    engine_opts eo = c->engine; /* the Docker keys; one run: no history, the engine's interval */
    eo.interval_ms = 0;
    eo.history_ms = 0;
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth ps: %s\n", err);
        return 1;
    }
    engine_collect_once(e);
    if (c->engine.use_docker)
        engine_docker_sync(e, 0, 0, err, sizeof(err));
    char path[CG_PATH_MAX * 2 + 32] = "";
    store *st = engine_store(e);
    st_entry *en;
    st_lock(st);
    /* Was: the first running container in id order whose name or id prefix
     * (3 or more characters) matched; now an ambiguous prefix is an error. */
    int found = st_resolve_if(st, name, has_cgroup, &en);
    if (found == 0)
        cg_procs_path(engine_layout(e), en->cgpath, path, sizeof(path));
    st_unlock(st);
    int rc = 1;
    int *pids = malloc(4096 * sizeof(*pids));
    pt_proc *a = calloc(4096, sizeof(*a)), *b = calloc(4096, sizeof(*b));
    if (!pids || !a || !b)
        goto out;
    if (found == -EEXIST) {
        fprintf(stderr, "berth ps: '%s' names more than one running container\n", name);
        goto out;
    }
    if (!path[0]) {
        fprintf(stderr, "berth ps: no running container named '%s'\n", name);
        goto out;
    }
    int np = svc_read_pids(path, pids, 4096);
    if (np < 0) {
        fprintf(stderr, "berth ps: %s: %s\n", path, strerror(-np));
        goto out;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < np; i++)
        if (pt_read(c->engine.host_root, pids[i], &a[i]) < 0)
            a[i].pid = 0;
    struct timespec gap = {sample_ms / 1000, (sample_ms % 1000) * 1000000};
    nanosleep(&gap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    long hz = sysconf(_SC_CLK_TCK);
    json_t *arr = json ? json_array() : NULL;
    pw_cache *pw = pw_cache_new();
    if (!json)
        printf("%-8s %-8s %-10s %-5s %6s %10s %7s  %s\n", "PID", "PPID", "USER", "STATE", "CPU %",
               "RSS", "THREADS", "COMMAND");
    for (int i = 0; i < np; i++) {
        if (!a[i].pid || pt_read(c->engine.host_root, pids[i], &b[i]) < 0 ||
            b[i].start_ticks != a[i].start_ticks)
            continue; /* exited (or its pid reused) during the gap */
        uint64_t t = (b[i].utime_ticks + b[i].stime_ticks) - (a[i].utime_ticks + a[i].stime_ticks);
        double pct = dt > 0 && hz > 0 ? 100.0 * (double)t / (double)hz / dt : 0;
        /* the user name as the container's own /etc/passwd has it */
        char user[PW_NAME_MAX];
        if (!pw || pw_cache_name(pw, c->engine.host_root, path, b[i].pid, b[i].uid, user,
                                 sizeof(user)) < 0)
            snprintf(user, sizeof(user), "%u", b[i].uid);
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "pid", json_integer(b[i].pid));
            json_object_set_new(o, "ppid", json_integer(b[i].ppid));
            json_object_set_new(o, "uid", json_integer(b[i].uid));
            json_object_set_new(o, "user", json_string(user));
            json_object_set_new(o, "state", json_stringn(&b[i].state, 1));
            json_object_set_new(o, "cpu_percent", json_real(pct));
            json_object_set_new(o, "rss_bytes", json_integer((json_int_t)b[i].rss_bytes));
            json_object_set_new(o, "threads", json_integer((json_int_t)b[i].threads));
            json_object_set_new(o, "comm", json_string(b[i].comm));
            json_object_set_new(o, "command", json_string(b[i].cmdline));
            json_array_append_new(arr, o);
        } else {
            char rss[32];
            view_bytes(rss, sizeof(rss), (double)b[i].rss_bytes, 1);
            printf("%-8d %-8d %-10s %-5c %6.1f %10s %7llu  %s\n", b[i].pid, b[i].ppid, user,
                   b[i].state, pct, rss, (unsigned long long)b[i].threads, b[i].cmdline);
        }
    }
    if (json) {
        char *txt = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(6));
        puts(txt ? txt : "[]");
        free(txt);
        json_decref(arr);
    }
    pw_cache_free(pw);
    rc = 0;
out:
    free(b);
    free(a);
    free(pids);
    engine_free(e);
    return rc;
}

int cmd_ps(int argc, char **argv)
{
    cfg c;
    int all = 0, json = 0, no_trunc = 0, rc = 1, use_agent = 1;
    const char *format = NULL, *agent_url = NULL, *container = NULL;
    enum view_sort sort = VS_NAME;
    int64_t sample_ms = 50;
    buf body = BUF_INIT;
    engine *e = NULL;
    view_row *rows = NULL;
    if (cmd_args_begin(&c, argc, argv) < 0)
        return 2;
    int ai = 0, ar;
    while ((ar = cmd_next_arg(&c, argc, argv, &ai)) > 0) {
        const char *v;
        if (strcmp(argv[ai], "--no-agent") == 0)
            use_agent = 0;
        else if ((v = cmd_flag_value("--agent", argc, argv, &ai)))
            agent_url = v;
        else if (strcmp(argv[ai], "-a") == 0 || strcmp(argv[ai], "--all") == 0)
            all = 1;
        else if (strcmp(argv[ai], "--json") == 0)
            json = 1;
        else if (strcmp(argv[ai], "--no-trunc") == 0)
            no_trunc = 1;
        else if (strcmp(argv[ai], "--help") == 0 || strcmp(argv[ai], "-h") == 0) {
            ps_usage(stdout);
            return 0;
        } else if ((v = cmd_flag_value("--format", argc, argv, &ai)))
            format = v;
        else if ((v = cmd_flag_value("--sort", argc, argv, &ai))) {
            if (view_parse_sort(v, &sort) < 0) {
                fprintf(stderr, "berth ps: unknown sort key '%s'\n", v);
                return 2;
            }
        } else if ((v = cmd_flag_value("--sample", argc, argv, &ai))) {
            if (cfg_parse_duration(v, &sample_ms) < 0 || sample_ms > 10000) {
                fprintf(stderr, "berth ps: --sample wants a duration up to 10s\n");
                return 2;
            }
            use_agent = 0;
        } else if (argv[ai][0] != '-' && !container) {
            container = argv[ai];
        } else {
            fprintf(stderr, "berth ps: unknown option '%s'\n", argv[ai]);
            ps_usage(stderr);
            return 2;
        }
    }
    if (ar < 0)
        return 2;
    if (container)
        return ps_container(&c, container, json, sample_ms > 100 ? sample_ms : 200);
    log_set_level(LOG_WARN);
    /* a cgroup source of its own (another root, no Docker): sample it here */
    if (c.engine.host_root[0] || !c.engine.use_docker)
        use_agent = 0;

    size_t n;
    char defurl[128];
    if (!agent_url) {
        agentapi_default_url(&c, defurl, sizeof(defurl));
        agent_url = defurl;
    }
    long got = use_agent ? from_agent(agent_url, all, &body, &rows) : -1;
    if (got >= 0) {
        if (json) {
            puts(body.data);
            rc = 0;
            goto out;
        }
        n = (size_t)got;
        goto show;
    }
    free(rows);
    rows = NULL;

    char err[512];
    engine_opts eo = c.engine; /* the Docker keys, sampled at sample_ms without history */
    eo.interval_ms = sample_ms;
    eo.history_ms = 0;
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth ps: %s\n", err);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    engine_collect_once(e);
    if (c.engine.use_docker && engine_docker_sync(e, all, 0, err, sizeof(err)) < 0)
        fprintf(stderr, "berth ps: Docker API unavailable (%s); showing cgroups only\n", err);
    /* sleep out the rest of the gap, if the Docker call did not use it up */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (spent < sample_ms) {
        struct timespec ts = {(sample_ms - spent) / 1000, ((sample_ms - spent) % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    engine_collect_once(e);

    if (json) {
        buf b = BUF_INIT;
        json_render_containers(engine_export_src(e, &(export_src){0}), all, NULL, &b);
        puts(b.data);
        buf_free(&b);
        rc = 0;
        goto out;
    }
    n = view_rows(e, all, &rows);
show:
    view_sort_rows(rows, n, sort);
    if (format) {
        int table = strncmp(format, "table ", 6) == 0;
        const char *tpl = table ? format + 6 : format;
        char bad[64];
        if (table && expand(tpl, NULL, no_trunc, bad, sizeof(bad)) < 0) {
            fprintf(stderr, "berth ps: unknown field '%s' in --format\n", bad);
            rc = 2;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (expand(tpl, &rows[i], no_trunc, bad, sizeof(bad)) < 0) {
                fprintf(stderr, "berth ps: unknown field '%s' in --format\n", bad);
                rc = 2;
                goto out;
            }
        }
    } else {
        print_table(rows, n, no_trunc);
    }
    rc = 0;
out:
    free(rows);
    buf_free(&body);
    engine_free(e);
    return rc;
}
