/*
 * berth df: disk used by each container, exactly, in one pass:
 *   writable  the container's writable layer (overlay2 UpperDir from inspect;
 *             for other storage drivers the engine's SizeRw from
 *             GET /containers/{id}/json?size=1, apparent bytes as Docker
 *             sums them, shown with a "~" and writable_source "engine-api")
 *   volumes   every volume and bind mount it uses; one used by several
 *             containers is walked once, shown on each and marked shared,
 *             and counted once in the total
 *   logs      its json-file / local log files, rotated ones included
 * Figures are allocated bytes as `du -B1 -x` reports them (hard links once,
 * no crossing into other filesystems, symlinks not followed), from the
 * disk/du walker. `docker system df -v` gets the same answer through the
 * daemon, locking containers while it walks.
 *
 * With a running agent (the default listen address, or --agent URL) the
 * figures come from its disk tracker (GET /api/v1/disk), which keeps them
 * current in the background: no walk at all, milliseconds. Without one (or
 * --no-agent, or an agent whose first walk is not done) one pass walks
 * everything here. Both produce the same JSON document, and one printer
 * shows it: containers, then images (each image's layers once), then a
 * total where shared volumes and shared layers count once, so it equals
 * du -s -B1 -x over the union of those directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/agentapi.h"
#include "cmd/cmd.h"
#include "cmd/view.h"
#include "core/engine.h"
#include "disk/du.h"
#include "docker/docker.h"
#include "metrics/store.h"
#include "util/log.h"

typedef struct vol {
    char source[256];
    char name[128];
    du_totals t;
    int walked, users;
} vol;

typedef struct row {
    char id[65];
    char name[128];
    char state[16];
    char driver[16];
    du_totals writable;
    uint64_t volumes, logs, log_files;
    int shared_volumes;
    int has_upper;
    int engine_size; /* writable figure from the engine's SizeRw */
    size_t vols[16]; /* indexes into the volume table */
    size_t n_vols;
} row;

typedef struct df_ctx {
    row *rows;
    size_t n;
    vol *vols;
    size_t n_vols, cap_vols;
} df_ctx;

static size_t vol_index(df_ctx *c, const char *source, const char *name)
{
    for (size_t i = 0; i < c->n_vols; i++)
        if (strcmp(c->vols[i].source, source) == 0)
            return i;
    if (c->n_vols == c->cap_vols) {
        c->cap_vols = c->cap_vols ? c->cap_vols * 2 : 16;
        c->vols = realloc(c->vols, c->cap_vols * sizeof(*c->vols));
        if (!c->vols)
            abort();
    }
    vol *v = &c->vols[c->n_vols];
    memset(v, 0, sizeof(*v));
    snprintf(v->source, sizeof(v->source), "%s", source);
    snprintf(v->name, sizeof(v->name), "%s", name);
    return c->n_vols++;
}

/* Log files: <dir>/<id>-json.log and its rotations .1, .2 ... (json-file),
 * plus <dir>/local-logs/ (local driver). */
static void walk_logs(du_walker *w, const row *r, const char *log_path, uint64_t *bytes,
                      uint64_t *files)
{
    char dir[512], prefix[160];
    if (log_path[0]) {
        snprintf(dir, sizeof(dir), "%s", log_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            return;
        *slash = '\0';
        snprintf(prefix, sizeof(prefix), "%s", slash + 1);
    } else {
        snprintf(dir, sizeof(dir), "/var/lib/docker/containers/%s", r->id);
        snprintf(prefix, sizeof(prefix), "%s-json.log", r->id);
    }
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    size_t pl = strlen(prefix);
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(de->d_name, prefix, pl) != 0 ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        *bytes += (uint64_t)st.st_blocks * 512;
        (*files)++;
    }
    closedir(d);
    char local[600];
    snprintf(local, sizeof(local), "%s/local-logs", dir);
    du_totals t;
    du_walker_reset(w);
    if (du_walk(w, local, &t) == 0) {
        *bytes += t.alloc_bytes;
        *files += t.files;
    }
}

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

static int row_matches(const json_t *r, const char *only)
{
    if (!only)
        return 1;
    const char *n = json_string_value(json_object_get(r, "name"));
    const char *id = json_string_value(json_object_get(r, "id"));
    return (n && strcmp(n, only) == 0) || (id && strncmp(id, only, strlen(only)) == 0);
}

/*
 * Shows doc (the agent's /api/v1/disk or the local pass's, same fields):
 * the rows matching only, sorted; images and the reconciled total when no
 * filter is given. Totals are recomputed here over what is shown: writable
 * and logs summed, volumes once per source, images as the document says
 * (distinct layers once).
 */
static void print_doc(json_t *doc, const char *only, const char *sort, int as_json, int bytes)
{
    json_t *all = json_object_get(doc, "containers");
    size_t n = json_array_size(all), k = 0;
    json_t **rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        abort();
    for (size_t i = 0; i < n; i++)
        if (row_matches(json_array_get(all, i), only))
            rows[k++] = json_array_get(all, i);
    qsort_r(rows, k, sizeof(*rows), cmp_rows, (void *)sort);
    uint64_t tw = 0, tv = 0, tl = 0;
    json_t *seen = json_object(); /* volume sources counted */
    for (size_t i = 0; i < k; i++) {
        tw += jnum(rows[i], "writable_bytes");
        tl += jnum(rows[i], "logs_bytes");
        size_t vi;
        json_t *v;
        json_array_foreach(json_object_get(rows[i], "volumes"), vi, v)
        {
            const char *src = json_string_value(json_object_get(v, "source"));
            if (!src || json_object_get(seen, src))
                continue;
            json_object_set_new(seen, src, json_true());
            tv += jnum(v, "bytes");
        }
    }
    json_decref(seen);
    json_t *images = only ? NULL : json_object_get(doc, "images");
    uint64_t ti = only ? 0 : jnum(json_object_get(doc, "totals"), "images_bytes");
    if (as_json) {
        json_t *o = json_object(), *arr = json_array();
        for (size_t i = 0; i < k; i++)
            json_array_append(arr, rows[i]);
        json_object_set(o, "source", json_object_get(doc, "source"));
        json_object_set_new(o, "containers", arr);
        json_object_set_new(o, "images", images ? json_incref(images) : json_array());
        json_t *tot = json_object();
        json_object_set_new(tot, "writable_bytes", json_integer((json_int_t)tw));
        json_object_set_new(tot, "volumes_bytes", json_integer((json_int_t)tv));
        json_object_set_new(tot, "logs_bytes", json_integer((json_int_t)tl));
        json_object_set_new(tot, "images_bytes", json_integer((json_int_t)ti));
        json_object_set_new(tot, "total_bytes", json_integer((json_int_t)(tw + tv + tl + ti)));
        json_object_set_new(o, "totals", tot);
        char *str = json_dumps(o, JSON_COMPACT);
        puts(str ? str : "{}");
        free(str);
        json_decref(o);
        free(rows);
        return;
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
    free(rows);
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

/* Image layers from a container's LowerDir, its own -init layer left out. */
static void add_layers(json_t *layers, const char *lower)
{
    char *s = strdup(lower ? lower : ""), *save = NULL;
    if (!s)
        abort();
    for (char *p = strtok_r(s, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        size_t pl = strlen(p);
        if (pl > 10 && strcmp(p + pl - 10, "-init/diff") == 0)
            continue;
        json_array_append_new(layers, json_string(p));
    }
    free(s);
}

int cmd_df(int argc, char **argv)
{
    cfg c;
    cfg_defaults(&c);
    int json = 0, bytes = 0, rc = 1, use_agent = 1;
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
    if (c.host_root[0])
        use_agent = 0; /* another root: the agent's paths are not ours */
    json_t *doc = use_agent ? from_agent(agent_url) : NULL;
    if (doc) {
        print_doc(doc, only, sort, json, bytes);
        json_decref(doc);
        return 0;
    }

    char err[512];
    engine *e = NULL;
    du_walker *w = NULL;
    df_ctx d = {0};
    json_t *layers = json_array(), *images = json_object(); /* image id -> [layer paths] */
    json_t *inames = json_object();
    engine_opts eo = {.host_root = c.host_root,
                      .docker_host = c.docker_host[0] ? c.docker_host : NULL,
                      .use_docker = 1};
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: %s\n", err);
        goto out;
    }
    if (engine_docker_sync(e, 1, 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: the Docker API is needed to find containers' files: %s\n", err);
        goto out;
    }
    /* copy what the walk needs out of the store */
    store *st = engine_store(e);
    char(*logs)[256] = NULL;
    st_lock(st);
    d.rows = calloc(st->n ? st->n : 1, sizeof(*d.rows));
    logs = calloc(st->n ? st->n : 1, sizeof(*logs));
    if (!d.rows || !logs)
        abort();
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (!en->has_meta)
            continue;
        if (!only && en->meta.image_id[0] && en->meta.lower_dir &&
            !json_object_get(images, en->meta.image_id)) {
            json_t *l = json_array();
            add_layers(l, en->meta.lower_dir);
            json_object_set_new(images, en->meta.image_id, l);
            json_object_set_new(inames, en->meta.image_id, json_string(en->meta.image));
        }
        if (only && strcmp(en->meta.name, only) != 0 && strncmp(en->id, only, strlen(only)) != 0) {
            /* not shown, but its volumes make others' shared */
            for (size_t k = 0; k < en->meta.n_mounts; k++) {
                char *const *m = en->meta.mounts + BM_MOUNT_FIELDS * k;
                if (strcmp(m[BM_MOUNT_TYPE], "volume") && strcmp(m[BM_MOUNT_TYPE], "bind"))
                    continue;
                /* vol_index may move d.vols: index after the call */
                size_t vi = vol_index(&d, m[BM_MOUNT_SOURCE], m[BM_MOUNT_NAME]);
                d.vols[vi].users++;
            }
            continue;
        }
        row *r = &d.rows[d.n];
        snprintf(r->id, sizeof(r->id), "%s", en->id);
        snprintf(r->name, sizeof(r->name), "%s", en->meta.name);
        snprintf(r->state, sizeof(r->state), "%s", en->meta.state);
        snprintf(r->driver, sizeof(r->driver), "%s", en->meta.graph_driver);
        snprintf(logs[d.n], sizeof(logs[0]), "%s", en->meta.log_path);
        for (size_t k = 0; k < en->meta.n_mounts && r->n_vols < 16; k++) {
            char *const *m = en->meta.mounts + BM_MOUNT_FIELDS * k;
            if (strcmp(m[BM_MOUNT_TYPE], "volume") && strcmp(m[BM_MOUNT_TYPE], "bind"))
                continue;
            size_t vi = vol_index(&d, m[BM_MOUNT_SOURCE], m[BM_MOUNT_NAME]);
            d.vols[vi].users++;
            r->vols[r->n_vols++] = vi;
        }
        d.n++;
    }
    /* second pass for the upper dirs (kept apart: st_entry order is d.rows order) */
    char(*upper)[256] = calloc(d.n ? d.n : 1, sizeof(*upper));
    if (!upper)
        abort();
    for (size_t i = 0, k = 0; i < st->n && k < d.n; i++)
        if (strcmp(st->v[i]->id, d.rows[k].id) == 0)
            snprintf(upper[k++], sizeof(upper[0]), "%s", st->v[i]->meta.upper_dir);
    st_unlock(st);

    w = du_walker_new();
    if (!w)
        abort();
    dk_client *dk = NULL; /* only for containers without an upper dir */
    for (size_t i = 0; i < d.n && !dk; i++)
        if (!upper[i][0] &&
            dk_client_new(c.docker_host[0] ? c.docker_host : NULL, &dk, err, sizeof(err)) < 0)
            break;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    now = t0;
    int tty = isatty(2);
    for (size_t i = 0; i < d.n; i++) {
        row *r = &d.rows[i];
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (tty && now.tv_sec - t0.tv_sec >= 1)
            fprintf(stderr, "\rberth df: %zu/%zu containers", i, d.n);
        if (upper[i][0]) {
            r->has_upper = 1;
            du_walker_reset(w);
            du_walk(w, upper[i], &r->writable);
        } else if (dk) {
            /* another storage driver: the engine walks the layer itself
             * (slow, one request per such container); SizeRw has no
             * allocated-bytes or file-count figure */
            int64_t rw, rootfs;
            err[0] = '\0';
            if (dk_container_size(dk, r->id, &rw, &rootfs, err, sizeof(err)) == 0 && rw >= 0) {
                r->engine_size = 1;
                r->writable.alloc_bytes = r->writable.apparent_bytes = (uint64_t)rw;
            } else if (err[0])
                fprintf(stderr, "berth df: %s: writable layer size: %s\n", r->name, err);
        }
        walk_logs(w, r, logs[i], &r->logs, &r->log_files);
        for (size_t k = 0; k < r->n_vols; k++) {
            vol *v = &d.vols[r->vols[k]];
            if (!v->walked) {
                du_walker_reset(w);
                du_walk(w, v->source, &v->t);
                v->walked = 1;
            }
            r->volumes += v->t.alloc_bytes;
            r->shared_volumes += v->users > 1;
        }
    }
    /* image layers, each distinct layer walked once */
    json_t *lsize = json_object(), *jimages = json_array();
    uint64_t ti = 0;
    const char *iid;
    json_t *il;
    json_object_foreach(images, iid, il)
    {
        uint64_t sum = 0;
        size_t li;
        json_t *lp;
        json_array_foreach(il, li, lp)
        {
            const char *path = json_string_value(lp);
            json_t *known = json_object_get(lsize, path);
            if (!known) {
                du_totals lt = {0};
                du_walker_reset(w);
                du_walk(w, path, &lt);
                known = json_integer((json_int_t)lt.alloc_bytes);
                json_object_set_new(lsize, path, known);
                ti += lt.alloc_bytes;
            }
            sum += (uint64_t)json_integer_value(known);
        }
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(iid));
        json_object_set(j, "name", json_object_get(inames, iid));
        json_object_set_new(j, "ready", json_true());
        json_object_set_new(j, "layers", json_integer((json_int_t)json_array_size(il)));
        json_object_set_new(j, "bytes", json_integer((json_int_t)sum));
        json_array_append_new(jimages, j);
    }
    json_decref(lsize);
    if (tty && now.tv_sec - t0.tv_sec >= 1)
        fprintf(stderr, "\r%40s\r", "");
    free(upper);
    dk_client_free(dk);

    json_t *o = json_object(), *arr = json_array();
    for (size_t i = 0; i < d.n; i++) {
        row *r = &d.rows[i];
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(r->id));
        json_object_set_new(j, "name", json_string(r->name));
        json_object_set_new(j, "state", json_string(r->state));
        json_object_set_new(j, "storage_driver", json_string(r->driver));
        json_object_set_new(j, "ready", json_true());
        /* the agent's names (json_disk.c): "<driver>-upper", "engine-api", "none" */
        char wsrc[40];
        snprintf(wsrc, sizeof(wsrc), "%s%s",
                 r->has_upper     ? (r->driver[0] ? r->driver : "overlay2")
                 : r->engine_size ? "engine-api"
                                  : "none",
                 r->has_upper ? "-upper" : "");
        json_object_set_new(j, "writable_source", json_string(wsrc));
        json_object_set_new(j, "writable_bytes", json_integer((json_int_t)r->writable.alloc_bytes));
        json_object_set_new(j, "writable_apparent_bytes",
                            json_integer((json_int_t)r->writable.apparent_bytes));
        if (!r->engine_size) /* SizeRw has no file count */
            json_object_set_new(j, "writable_files", json_integer((json_int_t)r->writable.files));
        json_object_set_new(j, "volumes_bytes", json_integer((json_int_t)r->volumes));
        json_object_set_new(j, "logs_bytes", json_integer((json_int_t)r->logs));
        json_object_set_new(j, "log_files", json_integer((json_int_t)r->log_files));
        json_object_set_new(
            j, "total_bytes",
            json_integer((json_int_t)(r->writable.alloc_bytes + r->volumes + r->logs)));
        json_t *vs = json_array();
        for (size_t k = 0; k < r->n_vols; k++) {
            vol *v = &d.vols[r->vols[k]];
            json_t *jv = json_object();
            json_object_set_new(jv, "name", json_string(v->name));
            json_object_set_new(jv, "source", json_string(v->source));
            json_object_set_new(jv, "bytes", json_integer((json_int_t)v->t.alloc_bytes));
            json_object_set_new(jv, "files", json_integer((json_int_t)v->t.files));
            json_object_set_new(jv, "shared", json_boolean(v->users > 1));
            json_array_append_new(vs, jv);
        }
        json_object_set_new(j, "volumes", vs);
        json_array_append_new(arr, j);
    }
    json_object_set_new(o, "source", json_string("walk"));
    json_object_set_new(o, "containers", arr);
    json_object_set_new(o, "images", jimages);
    json_t *tot = json_object();
    json_object_set_new(tot, "images_bytes", json_integer((json_int_t)ti));
    json_object_set_new(o, "totals", tot);
    print_doc(o, only, sort, json, bytes);
    json_decref(o);
    free(logs);
    rc = 0;
out:
    json_decref(layers);
    json_decref(images);
    json_decref(inames);
    du_walker_free(w);
    free(d.rows);
    free(d.vols);
    engine_free(e);
    return rc;
}
