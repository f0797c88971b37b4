/*
 * dlogs: a container's log files as the tracker counts them. They are not
 * trees: json-file's <id>-json.log with its rotations (.1, .2 ..., gzipped
 * ones included) and the local driver's local-logs/ sit in the container's
 * directory, which holds other files too. Each interval the files being
 * written are lstat'ed (one stat each); the directory is listed again when
 * one was replaced or shrank (rotation), or every DT_LOG_RELIST intervals
 * (compressed rotations appear later): about six syscalls per container.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/dt_int.h"
#include "util/clock.h"

static void figs_of(const struct stat *sb, dt_figs *f)
{
    f->alloc = (uint64_t)sb->st_blocks * 512u;
    f->apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    f->files = S_ISREG(sb->st_mode);
}

/* One stat per file being written; 0 if the figures could be updated so,
 * -1 when the directory must be listed again. */
static int logs_fast(dt_tracker *t, dt_cont *c, dt_figs *f)
{
    if (!c->logs_ok || c->since_list >= DT_LOG_RELIST)
        return -1;
    *f = c->logs_rest;
    for (int i = 0; i < c->n_act; i++) {
        struct stat sb;
        t->st.stats++;
        if (lstat(c->act[i].path, &sb) != 0 || (uint64_t)sb.st_ino != c->act[i].ino ||
            (uint64_t)sb.st_size < c->act[i].f.apparent)
            return -1;
        figs_of(&sb, &c->act[i].f);
        f->alloc += c->act[i].f.alloc;
        f->apparent += c->act[i].f.apparent;
        f->files += c->act[i].f.files;
    }
    c->since_list++;
    return 0;
}

void dt_logs_poll(dt_tracker *t, dt_cont *c)
{
    char dir[768], prefix[256];
    dt_figs f = {0};
    if (logs_fast(t, c, &f) == 0)
        goto done;
    c->n_act = 0;
    c->since_list = 0;
    if (c->tg.log_path[0]) {
        snprintf(dir, sizeof(dir), "%s%s", t->host_root, c->tg.log_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            return;
        *slash = '\0';
        snprintf(prefix, sizeof(prefix), "%s", slash + 1);
    } else {
        snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/%s", t->host_root, c->tg.id);
        snprintf(prefix, sizeof(prefix), "%s-json.log", c->tg.id);
    }
    int fd = open(dir, DT_OPEN_FLAGS);
    if (fd < 0) {
        c->logs_ok = errno == ENOENT; /* no logs (yet): zero, known */
        goto done;
    }
    size_t len = 0, pl = strlen(prefix);
    if (dt_names_load(t, fd, &len) < 0)
        t->st.errors++;
    for (size_t off = 0; off < len;) {
        const char *nm = t->names + off;
        off += strlen(nm) + 1;
        struct stat sb;
        if (strncmp(nm, prefix, pl) != 0 || fstatat(fd, nm, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(sb.st_mode))
            continue;
        t->st.stats++;
        f.alloc += (uint64_t)sb.st_blocks * 512u;
        f.apparent += (uint64_t)sb.st_size;
        f.files++;
        if (strcmp(nm, prefix) == 0) {
            snprintf(c->act[c->n_act].path, sizeof(c->act[0].path), "%s/%s", dir, nm);
            c->act[c->n_act].ino = sb.st_ino;
            figs_of(&sb, &c->act[c->n_act].f);
            c->n_act++;
        }
    }
    close(fd);
    char local[800];
    snprintf(local, sizeof(local), "%s/local-logs", dir);
    du_totals dt;
    du_walker_reset(t->w);
    if (du_walk(t->w, local, &dt) == 0) {
        struct stat sb;
        f.alloc += dt.alloc_bytes;
        f.apparent += dt.apparent_bytes;
        f.files += dt.files;
        snprintf(c->act[c->n_act].path, sizeof(c->act[0].path), "%s/container.log", local);
        if (lstat(c->act[c->n_act].path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            c->act[c->n_act].ino = sb.st_ino;
            figs_of(&sb, &c->act[c->n_act].f);
            c->n_act++;
        }
    }
    c->logs_rest = f;
    for (int i = 0; i < c->n_act; i++) {
        c->logs_rest.alloc -= c->act[i].f.alloc;
        c->logs_rest.apparent -= c->act[i].f.apparent;
        c->logs_rest.files -= c->act[i].f.files;
    }
    c->logs_ok = 1;
done:
    if (memcmp(&f, &c->logs, sizeof(f)) != 0) {
        c->logs = f;
        c->updated_ms = clock_wall_ms();
        t->changed = 1;
    }
}
