/*
 * berth df: disk used by each container, exactly:
 *   writable  the container's writable layer (overlay2 UpperDir from inspect;
 *             for other storage drivers the engine's SizeRw from
 *             GET /containers/{id}/json?size=1, apparent bytes as Docker
 *             sums them, shown with a "~" and writable_source "engine-api")
 *   volumes   every volume and bind mount it uses; one used by several
 *             containers is walked once, shown on each and marked shared,
 *             and counted once in the total
 *   logs      its json-file / local log files, rotated ones included
 * Figures are allocated bytes as `du -B1 -x` reports them (hard links once,
 * no crossing into other filesystems, symlinks not followed).
 * `docker system df -v` gets the same answer through the daemon, locking
 * containers while it walks.
 *
 * With a running agent (the default listen address, or --agent URL) the
 * figures come from its disk tracker (GET /api/v1/disk), which keeps them
 * current in the background: no walk at all, milliseconds. Without one (or
 * --no-agent, or an agent whose first walk is not done) the same tracker
 * runs once here (disk/tracker.h: targets from one Docker container list,
 * no change watching, stepped until nothing is queued) and the agent's
 * renderer (export/json_disk.c) makes the document: one disk engine, one
 * schema. One printer shows either: containers, then images (each image's
 * layers once), then a total where shared volumes and shared layers count
 * once, so it equals du -s -B1 -x over the union of those directories.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/disksync.h"
#include "cmd/agentapi.h"
#include "cmd/cmd.h"
#include "cmd/view.h"
#include "core/engine.h"
#include "disk/tracker.h"
#include "docker/docker.h"
#include "export/json_disk.h"
#include "metrics/store.h"
#include "model/ctr_match.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

static uint64_t jnum(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *key = arg;
    const char *nx = json_string_value(json_object_get(x, "name"));
    const char *ny = json_string_value(json_object_get(y, "name"));
    int byname = strcmp(nx ? nx : "", ny ? ny : "");
    if (strcmp(key, "name") == 0)
        return byname;
    const char *f = strcmp(key, "writable") == 0  ? "writable_bytes"
                    : strcmp(key, "volumes") == 0 ? "volumes_bytes"
                    : strcmp(key, "logs") == 0    ? "logs_bytes"
                                                  : "total_bytes";
    uint64_t vx = jnum(x, f), vy = jnum(y, f);
    return vx < vy ? 1 : vx > vy ? -1 : byname;
}

static void human(char *out, size_t cap, uint64_t v, int bytes)
{
    if (bytes)
        snprintf(out, cap, "%llu", (unsigned long long)v);
    else
        view_bytes(out, cap, (double)v, 1);
}

/* The row `berth df KEY` names, by the one lookup rule of every front end
 * (model/ctr_match.h): its index, -ENOENT or -EEXIST. */
static long row_named(json_t *all, const char *key)
{
    ctr_matcher m;
    ctr_matcher_init(&m, key);
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *r = json_array_get(all, i);
        ctr_matcher_add(&m, i, json_string_value(json_object_get(r, "id")),
                        json_string_value(json_object_get(r, "name")));
    }
    return ctr_matcher_result(&m);
}

/*
 * Shows doc (the agent's /api/v1/disk or the local pass's, same fields):
 * the rows matching only, sorted; images and the reconciled total when no
 * filter is given, with the totals of what is shown (json_disk_select).
 */
static int print_doc(json_t *doc, const char *only, const char *sort, int as_json, int bytes)
{
    json_t *all = json_object_get(doc, "containers");
    size_t n = json_array_size(all), k = 0;
    long named = only ? row_named(all, only) : -ENOENT;
    if (named == -EEXIST) {
        fprintf(stderr, "berth df: '%s' names more than one container\n", only);
        return -1;
    }
    json_t **rows = xcalloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        if (!only || (long)i == named)
            rows[k++] = json_array_get(all, i);
    qsort_r(rows, k, sizeof(*rows), cmp_rows, (void *)sort);
    /* the document of what is shown, totals recomputed (export/json_disk.c) */
    json_t *sel = json_disk_select(doc, rows, k, !only);
    json_t *tot = json_object_get(sel, "totals");
    uint64_t tw = jnum(tot, "writable_bytes"), tv = jnum(tot, "volumes_bytes");
    uint64_t tl = jnum(tot, "logs_bytes"), ti = jnum(tot, "images_bytes");
    json_t *images = only ? NULL : json_object_get(sel, "images");
    if (as_json) {
        char *str = json_dumps(sel, JSON_COMPACT);
        puts(str ? str : "{}");
        free(str);
        json_decref(sel);
        free(rows);
        return 0;
    }
    printf("%-30s %-12s %12s %12s %12s %12s  %s\n", "NAME", "STATE", "WRITABLE", "VOLUMES", "LOGS",
           "TOTAL", "NOTE");
    char a[32], b[32], l[32], t[32];
    for (size_t i = 0; i < k; i++) {
        json_t *r = rows[i];
        int shared = 0;
        size_t vi;
        json_t *v;
        json_array_foreach(json_object_get(r, "volumes"), vi, v) shared |=
            json_is_true(json_object_get(v, "shared"));
        human(a, sizeof(a), jnum(r, "writable_bytes"), bytes);
        const char *ws = json_string_value(json_object_get(r, "writable_source"));
        int eng = ws && strcmp(ws, "engine-api") == 0;
        if (eng) /* the engine's SizeRw, not du */
            snprintf(a + strlen(a), sizeof(a) - strlen(a), "~");
        human(b, sizeof(b), jnum(r, "volumes_bytes"), bytes);
        human(l, sizeof(l), jnum(r, "logs_bytes"), bytes);
        human(t, sizeof(t), jnum(r, "total_bytes"), bytes);
        const char *src = json_string_value(json_object_get(r, "writable_source"));
        const char *nm = json_string_value(json_object_get(r, "name"));
        const char *stt = json_string_value(json_object_get(r, "state"));
        printf("%-30.30s %-12s %12s %12s %12s %12s  %s%s%s\n", nm ? nm : "", stt ? stt : "",
               src && strcmp(src, "none") == 0 ? "-" : a, b, l, t, shared ? "shared volume" : "",
               eng ? (shared ? ", ~ writable: engine SizeRw" : "~ writable: engine SizeRw") : "",
               json_is_false(json_object_get(r, "ready")) ? " (counting)" : "");
    }
    size_t ii;
    json_t *im;
    json_array_foreach(images, ii, im)
    {
        const char *nm = json_string_value(json_object_get(im, "name"));
        char label[64];
        snprintf(label, sizeof(label), "image %s", nm && nm[0] ? nm : "?");
        human(t, sizeof(t), jnum(im, "bytes"), bytes);
        printf("%-30.30s %-12s %12s %12s %12s %12s  %lld layers\n", label, "", "", "", "", t,
               (long long)jnum(im, "layers"));
    }
    if (images && json_array_size(images)) {
        human(t, sizeof(t), ti, bytes);
        printf("%-30s %-12s %12s %12s %12s %12s  %s\n", "IMAGES", "", "", "", "", t,
               "layers shared by images counted once");
    }
    human(a, sizeof(a), tw, bytes);
    human(b, sizeof(b), tv, bytes);
    human(l, sizeof(l), tl, bytes);
    human(t, sizeof(t), tw + tv + tl + ti, bytes);
    printf("%-30s %-12s %12s %12s %12s %12s  %s\n", "TOTAL", "", a, b, l, t,
           only ? "shared volumes counted once"
                : "shared volumes and layers once: du -s -B1 -x of these dirs");
    json_decref(sel);
    free(rows);
    return 0;
}

/* The agent's figures, or NULL (no agent, an error, or its first walk is
 * still running: then the local pass is exact and the agent is not). */
static json_t *from_agent(const char *base)
{
    buf b = BUF_INIT;
    json_t *doc = NULL;
    if (agentapi_get(base, "/api/v1/disk", &b) == 0 && b.len) {
        doc = json_loadb(b.data, b.len, 0, NULL);
        if (doc && !json_is_true(json_object_get(doc, "ready"))) {
            fprintf(stderr, "berth df: the agent is still counting; walking here\n");
            json_decref(doc);
            doc = NULL;
        }
    }
    buf_free(&b);
    return doc;
}

/* The Engine API size hook of the one-shot run (dt_size_fn): only for the
 * containers shown, with the error printed as before. */
typedef struct df_size {
    dk_client *dk;
    const dt_target *v;
    char (*names)[128];
    const unsigned char *shown;
    size_t n;
} df_size;

static int df_size_rw(void *arg, const char *id, int64_t *rw)
{
    df_size *d = arg;
    size_t i = 0;
    while (i < d->n && strcmp(d->v[i].id, id) != 0)
        i++;
    if (i == d->n || !d->shown[i])
        return -ENOENT; /* not shown: not asked */
    char err[512] = "";
    int64_t rootfs;
    int rc = dk_container_size(d->dk, id, rw, &rootfs, err, sizeof(err));
    if ((rc < 0 || *rw < 0) && err[0])
        fprintf(stderr, "berth df: %s: writable layer size: %s\n", d->names[i], err);
    return rc;
}

/*
 * Narrows the targets to the containers `berth df NAME` shows: the others
 * keep only the volumes a shown one uses too (so "shared" is still right)
 * and lose their writable layer and image, which nobody looks at.
 */
static void narrow(dt_target *v, size_t n, const unsigned char *shown)
{
    for (size_t i = 0; i < n; i++) {
        if (shown[i])
            continue;
        v[i].upper[0] = '\0';
        v[i].image_id[0] = '\0';
        free(v[i].lower);
        v[i].lower = NULL;
        size_t k = 0;
        for (size_t a = 0; a < v[i].n_vols; a++) {
            int used = 0;
            for (size_t j = 0; j < n && !used; j++)
                for (size_t b = 0; shown[j] && b < v[j].n_vols && !used; b++)
                    used = strcmp(v[j].vols[b].source, v[i].vols[a].source) == 0;
            if (used)
                v[i].vols[k++] = v[i].vols[a];
        }
        v[i].n_vols = k;
    }
}

/* Containers counted so far (the one-shot run on a terminal). */
static size_t ready_count(dt_tracker *t, size_t *n)
{
    size_t k = 0;
    dt_lock(t);
    const dt_ctr *c = dt_ctrs(t, n);
    for (size_t i = 0; i < *n; i++)
        k += c[i].ready;
    dt_unlock(t);
    return k;
}

/*
 * No agent: the tracker once over Docker's containers, rendered as the
 * agent renders it (with the one-shot fields). Returns the document, or
 * NULL with the reason printed.
 */
static json_t *walk_here(const cfg *c, const char *only)
{
    char err[512];
    engine *e = NULL;
    dt_tracker *t = NULL;
    dt_target *v = NULL;
    size_t n = 0;
    unsigned char *shown = NULL;
    char(*names)[128] = NULL;
    df_size sz = {0};
    json_t *doc = NULL;
    engine_opts eo = c->engine; /* the Docker keys; one run: no history, the engine's interval */
    eo.use_docker = 1;
    eo.interval_ms = 0;
    eo.history_ms = 0;
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: %s\n", err);
        goto out;
    }
    if (engine_docker_sync(e, 1, 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: the Docker API is needed to find containers' files: %s\n", err);
        goto out;
    }
    store *st = engine_store(e);
    if (disksync_targets(st, &v, &n) < 0)
        abort(); /* out of memory, as before */
    shown = calloc(n ? n : 1, 1);
    names = calloc(n ? n : 1, sizeof(*names));
    if (!shown || !names)
        abort();
    /* names, for the lookup and messages (targets are in store order) */
    ctr_matcher m;
    ctr_matcher_init(&m, only ? only : "");
    st_lock(st);
    for (size_t i = 0, k = 0; i < st->n && k < n; i++)
        if (strcmp(st->v[i]->id, v[k].id) == 0) {
            snprintf(names[k], sizeof(names[0]), "%s", st->v[i]->meta.name);
            ctr_matcher_add(&m, k, v[k].id, names[k]);
            k++;
        }
    st_unlock(st);
    long named = ctr_matcher_result(&m); /* an ambiguous key: print_doc says so */
    for (size_t k = 0; k < n; k++)
        shown[k] = (unsigned char)(!only || (long)k == named);
    if (only)
        narrow(v, n, shown);
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o); /* the keys' defaults, not the agent's disk_* */
    o.use_fanotify = 0;              /* nothing to watch: one run */
    /* Paths as Docker gives them, not under host_root: what the walk of
     * berth df always did (the agent prefixes host_root; see the report of
     * issue 10) */
    o.host_root = NULL;
    /* another storage driver: the engine walks the layer itself (slow, one
     * request per such container); SizeRw has no allocated-bytes or
     * file-count figure */
    for (size_t i = 0; i < n && !sz.dk; i++)
        if (shown[i] && !v[i].upper[0] &&
            dk_client_new(c->engine.docker_host[0] ? c->engine.docker_host : NULL, &sz.dk, err,
                          sizeof(err)) < 0)
            break;
    if (sz.dk) {
        sz.v = v;
        sz.names = names;
        sz.shown = shown;
        sz.n = n;
        o.engine_size = 1;
        o.size_fn = df_size_rw;
        o.size_arg = &sz;
    }
    if (dt_new(&o, &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: %s\n", err);
        goto out;
    }
    if (dt_set_targets(t, v, n) < 0)
        abort();
    if (isatty(2)) {
        /* in slices, to show how far it got */
        int64_t t0 = clock_mono_ms();
        int shown_progress = 0;
        while (dt_step(t, 0, 1u << 16) > 0)
            if (clock_mono_ms() - t0 >= 1000) {
                size_t all, k = ready_count(t, &all);
                fprintf(stderr, "\rberth df: %zu/%zu containers", k, all);
                shown_progress = 1;
            }
        if (shown_progress)
            fprintf(stderr, "\r%40s\r", "");
    }
    dt_settle(t);
    json_disk_opts jo = {.source = "walk", .oneshot = 1};
    doc = json_disk_doc(st, t, &jo);
out:
    dt_free(t);
    dk_client_free(sz.dk);
    disksync_targets_free(v, n);
    free(shown);
    free(names);
    engine_free(e);
    return doc;
}

int cmd_df(int argc, char **argv)
{
    cfg c;
    cfg_defaults(&c);
    int json = 0, bytes = 0, use_agent = 1;
    const char *sort = "total", *only = NULL, *agent_url = NULL;
    if (cmd_load_config(&c, argc, argv) < 0)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r = cmd_config_flag(&c, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--bytes") == 0)
            bytes = 1;
        else if (strcmp(argv[i], "--no-agent") == 0)
            use_agent = 0;
        else if ((v = cmd_flag_value("--agent", argc, argv, &i)))
            agent_url = v;
        else if ((v = cmd_flag_value("--sort", argc, argv, &i))) {
            if (strcmp(v, "total") && strcmp(v, "writable") && strcmp(v, "volumes") &&
                strcmp(v, "logs") && strcmp(v, "name")) {
                fprintf(stderr, "berth df: --sort wants total, writable, volumes, logs or name\n");
                return 2;
            }
            sort = v;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: berth df [NAME] [--bytes] [--json] [--sort total|writable|volumes|logs|"
                   "name]\n"
                   "                [--agent URL] [--no-agent]\n"
                   "Disk used by every container (running or not): writable layer, volumes and\n"
                   "bind mounts (shared ones counted once in the total), log files; then each\n"
                   "image's layers and a total where shared volumes and layers count once.\n"
                   "Allocated bytes, as du -B1 -x counts them. A running agent answers from\n"
                   "its tracked figures; without one (or --no-agent) everything is walked here.\n");
            return 0;
        } else if (argv[i][0] != '-' && !only)
            only = argv[i];
        else {
            fprintf(stderr, "berth df: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    log_set_level(LOG_WARN);
    char defurl[128];
    if (!agent_url) {
        agentapi_default_url(&c, defurl, sizeof(defurl));
        agent_url = defurl;
    }
    if (c.engine.host_root[0])
        use_agent = 0; /* another root: the agent's paths are not ours */
    json_t *doc = use_agent ? from_agent(agent_url) : NULL;
    if (!doc)
        doc = walk_here(&c, only);
    if (!doc)
        return 1;
    int rc = print_doc(doc, only, sort, json, bytes) < 0 ? 1 : 0;
    json_decref(doc);
    return rc;
}
