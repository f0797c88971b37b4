/*
 * berth df: disk used by each container, exactly, in one pass:
 *   writable  the container's writable layer (overlay2 UpperDir from inspect)
 *   volumes   every volume and bind mount it uses; one used by several
 *             containers is walked once, shown on each and marked shared,
 *             and counted once in the total
 *   logs      its json-file / local log files, rotated ones included
 * Figures are allocated bytes as `du -B1 -x` reports them (hard links once,
 * no crossing into other filesystems, symlinks not followed), from the
 * disk/du walker. `docker system df -v` gets the same answer through the
 * daemon, locking containers while it walks.
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

#include "cmd/cmd.h"
#include "cmd/view.h"
#include "core/engine.h"
#include "disk/du.h"
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

static int cmp_total(const void *a, const void *b, void *arg)
{
    const row *x = a, *y = b;
    const char *key = arg;
    uint64_t vx, vy;
    if (strcmp(key, "name") == 0)
        return strcmp(x->name, y->name);
    if (strcmp(key, "writable") == 0) {
        vx = x->writable.alloc_bytes;
        vy = y->writable.alloc_bytes;
    } else if (strcmp(key, "volumes") == 0) {
        vx = x->volumes;
        vy = y->volumes;
    } else if (strcmp(key, "logs") == 0) {
        vx = x->logs;
        vy = y->logs;
    } else {
        vx = x->writable.alloc_bytes + x->volumes + x->logs;
        vy = y->writable.alloc_bytes + y->volumes + y->logs;
    }
    return vx < vy ? 1 : vx > vy ? -1 : strcmp(x->name, y->name);
}

static void human(char *out, size_t cap, uint64_t v, int bytes)
{
    if (bytes)
        snprintf(out, cap, "%llu", (unsigned long long)v);
    else
        view_bytes(out, cap, (double)v, 1);
}

int cmd_df(int argc, char **argv)
{
    cfg c;
    cfg_defaults(&c);
    int json = 0, bytes = 0, rc = 1;
    const char *sort = "total", *only = NULL;
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
                   "Disk used by every container (running or not): writable layer, volumes and\n"
                   "bind mounts (shared ones counted once in the total), log files. Allocated\n"
                   "bytes, as du -B1 -x counts them.\n");
            return 0;
        } else if (argv[i][0] != '-' && !only)
            only = argv[i];
        else {
            fprintf(stderr, "berth df: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    log_set_level(LOG_WARN);
    char err[512];
    engine *e = NULL;
    du_walker *w = NULL;
    df_ctx d = {0};
    engine_opts eo = {.host_root = c.host_root,
                      .docker_host = c.docker_host[0] ? c.docker_host : NULL,
                      .use_docker = 1};
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth df: %s\n", err);
        return 1;
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
        /* writable layer path kept in the du_totals slot until walked */
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
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int tty = isatty(2);
    for (size_t i = 0; i < d.n; i++) {
        row *r = &d.rows[i];
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (tty && now.tv_sec - t0.tv_sec >= 1)
            fprintf(stderr, "\rberth df: %zu/%zu containers", i, d.n);
        if (upper[i][0]) {
            du_walker_reset(w);
            du_walk(w, upper[i], &r->writable);
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
    if (tty && now.tv_sec - t0.tv_sec >= 1)
        fprintf(stderr, "\r%40s\r", "");
    free(upper);
    qsort_r(d.rows, d.n, sizeof(*d.rows), cmp_total, (void *)sort);

    uint64_t tw = 0, tl = 0, tv = 0;
    for (size_t i = 0; i < d.n; i++) {
        tw += d.rows[i].writable.alloc_bytes;
        tl += d.rows[i].logs;
    }
    for (size_t i = 0; i < d.n_vols; i++)
        tv += d.vols[i].walked ? d.vols[i].t.alloc_bytes : 0; /* each shown volume once */

    if (json) {
        json_t *o = json_object(), *arr = json_array();
        for (size_t i = 0; i < d.n; i++) {
            row *r = &d.rows[i];
            json_t *j = json_object();
            json_object_set_new(j, "id", json_string(r->id));
            json_object_set_new(j, "name", json_string(r->name));
            json_object_set_new(j, "state", json_string(r->state));
            json_object_set_new(j, "storage_driver", json_string(r->driver));
            json_object_set_new(j, "writable_bytes",
                                json_integer((json_int_t)r->writable.alloc_bytes));
            json_object_set_new(j, "writable_apparent_bytes",
                                json_integer((json_int_t)r->writable.apparent_bytes));
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
        json_object_set_new(o, "containers", arr);
        json_t *tot = json_object();
        json_object_set_new(tot, "writable_bytes", json_integer((json_int_t)tw));
        json_object_set_new(tot, "volumes_bytes", json_integer((json_int_t)tv));
        json_object_set_new(tot, "logs_bytes", json_integer((json_int_t)tl));
        json_object_set_new(tot, "total_bytes", json_integer((json_int_t)(tw + tv + tl)));
        json_object_set_new(o, "totals", tot);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("%-30s %-12s %12s %12s %12s %12s  %s\n", "NAME", "STATE", "WRITABLE", "VOLUMES",
               "LOGS", "TOTAL", "NOTE");
        char a[32], b[32], l[32], t[32];
        for (size_t i = 0; i < d.n; i++) {
            row *r = &d.rows[i];
            human(a, sizeof(a), r->writable.alloc_bytes, bytes);
            human(b, sizeof(b), r->volumes, bytes);
            human(l, sizeof(l), r->logs, bytes);
            human(t, sizeof(t), r->writable.alloc_bytes + r->volumes + r->logs, bytes);
            printf("%-30.30s %-12s %12s %12s %12s %12s  %s\n", r->name, r->state, a, b, l, t,
                   r->shared_volumes ? "shared volume" : "");
        }
        human(a, sizeof(a), tw, bytes);
        human(b, sizeof(b), tv, bytes);
        human(l, sizeof(l), tl, bytes);
        human(t, sizeof(t), tw + tv + tl, bytes);
        printf("%-30s %-12s %12s %12s %12s %12s  %s\n", "TOTAL", "", a, b, l, t,
               "shared volumes counted once");
    }
    free(logs);
    rc = 0;
out:
    du_walker_free(w);
    free(d.rows);
    free(d.vols);
    engine_free(e);
    return rc;
}
