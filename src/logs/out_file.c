/*
 * out_file: the local NDJSON file output, berth's embedded default. One JSON
 * object per record and line:
 *   {"time":"2026-11-25T16:22:44.123456789Z","ts_ns":...,"host":"h",
 *    "stream":"stdout","container_id":"...","container_name":"web",...,
 *    "labels":{...},"fields":{...},"message":"..."}
 * Empty tags are left out. A batch is one write() and, with fsync=1 (the
 * default), one fdatasync() before it is acknowledged, so "sent" means on
 * disk.
 *
 * Options: path=FILE (required), fsync=0|1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/jsonw.h"
#include "logs/lout.h"
#include "util/buf.h"
#include "util/log.h"

typedef struct out_file {
    char path[1024];
    int fd;
    int fsync;
    buf b;
} out_file;

static int file_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    const char *path = NULL;
    int fs = 1;
    for (size_t i = 0; i < c->nopts; i++) {
        if (strcmp(c->key[i], "path") == 0) {
            path = c->val[i];
        } else if (strcmp(c->key[i], "fsync") == 0) {
            if (strcmp(c->val[i], "0") && strcmp(c->val[i], "1")) {
                snprintf(err, errlen, "fsync: want 0 or 1, got '%s'", c->val[i]);
                return -EINVAL;
            }
            fs = c->val[i][0] == '1';
        } else {
            snprintf(err, errlen, "unknown option '%s' for the file output", c->key[i]);
            return -EINVAL;
        }
    }
    if (!path || !path[0]) {
        snprintf(err, errlen, "path: required (path=/var/lib/berth/logs/out.ndjson)");
        return -EINVAL;
    }
    out_file *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->fd = -1;
    f->fsync = fs;
    *state = f;
    return 0;
}

static void put_tag(buf *b, const char *key, const char *v)
{
    if (!v || !v[0])
        return;
    buf_putc(b, ',');
    buf_puts(b, key);
    jsonw_str(b, v, strlen(v));
}

static void put_kvs(buf *b, const char *key, const lrec_kv *kv, size_t n, int raw)
{
    if (!n)
        return;
    buf_putc(b, ',');
    buf_puts(b, key);
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        jsonw_str(b, kv[i].key, kv[i].key_len);
        buf_putc(b, ':');
        if (raw)
            buf_append(b, kv[i].val, kv[i].val_len);
        else
            jsonw_str(b, kv[i].val, kv[i].val_len);
    }
    buf_putc(b, '}');
}

/* Appends one record as a JSON line; shared with tests through lout. */
static void encode(buf *b, const lrec *r)
{
    buf_puts(b, "{\"time\":\"");
    jsonw_time(b, r->ts_ns);
    buf_puts(b, "\",\"ts_ns\":");
    if (r->ts_ns < 0) {
        buf_putc(b, '-');
        buf_put_u64(b, (unsigned long long)-r->ts_ns);
    } else {
        buf_put_u64(b, (unsigned long long)r->ts_ns);
    }
    put_tag(b, "\"host\":", r->host);
    buf_puts(b, r->stream == LREC_STDERR   ? ",\"stream\":\"stderr\""
                : r->stream == LREC_STDOUT ? ",\"stream\":\"stdout\""
                                           : ",\"stream\":\"file\"");
    put_tag(b, "\"container_id\":", r->container_id);
    put_tag(b, "\"container_name\":", r->container_name);
    put_tag(b, "\"image\":", r->image);
    put_tag(b, "\"image_id\":", r->image_id);
    put_tag(b, "\"compose_project\":", r->compose_project);
    put_tag(b, "\"compose_service\":", r->compose_service);
    put_tag(b, "\"swarm_service\":", r->swarm_service);
    put_tag(b, "\"swarm_task\":", r->swarm_task);
    put_tag(b, "\"path\":", r->path);
    put_kvs(b, "\"labels\":", r->labels, r->nlabels, 0);
    put_kvs(b, "\"fields\":", r->fields, r->nfields, 1);
    if (r->flags & LREC_F_PARSE_ERROR)
        buf_puts(b, ",\"parse_error\":true");
    if (r->flags & LREC_F_TRUNCATED)
        buf_puts(b, ",\"truncated\":true");
    buf_puts(b, ",\"message\":");
    jsonw_str(b, r->msg, r->msg_len);
    buf_puts(b, "}\n");
}

/*
 * A batch is one write(), but a write to a regular file can still stop
 * part-way: SIGKILL arrives between pages, or the disk fills. What is
 * after the last '\n' is then a torn record that was never acknowledged
 * (it will be sent again), so it is cut off when the file is (re)opened;
 * otherwise the next batch would be glued to it and one line would be
 * lost to every NDJSON reader. Returns bytes cut, or a negative errno.
 */
static long long cut_torn_tail(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
        return 0;
    char chunk[4096];
    off_t end = sb.st_size;
    while (end > 0) {
        size_t n = end > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)end;
        ssize_t r = pread(fd, chunk, n, end - (off_t)n);
        if (r != (ssize_t)n)
            return r < 0 ? -errno : -EIO;
        for (size_t i = n; i > 0; i--) {
            if (chunk[i - 1] == '\n') {
                off_t keep = end - (off_t)n + (off_t)i;
                if (keep == sb.st_size)
                    return 0;
                if (ftruncate(fd, keep) < 0)
                    return -errno;
                return (long long)(sb.st_size - keep);
            }
        }
        end -= (off_t)n;
    }
    if (ftruncate(fd, 0) < 0) /* one torn record and nothing else */
        return -errno;
    return (long long)sb.st_size;
}

static int file_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err, size_t errlen)
{
    out_file *f = state;
    if (f->fd < 0) {
        f->fd = open(f->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (f->fd < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: %s", f->path, strerror(e));
            return -e;
        }
        long long cut = cut_torn_tail(f->fd);
        if (cut < 0) {
            snprintf(err, errlen, "%s: checking its last line: %s", f->path, strerror((int)-cut));
            close(f->fd);
            f->fd = -1;
            return (int)cut;
        }
        if (cut > 0)
            log_warn("logs",
                     "%s: cut %lld bytes of a record torn by a crash or a failed write; "
                     "it is sent again",
                     f->path, cut);
    }
    buf_reset(&f->b);
    for (size_t i = 0; i < n; i++)
        encode(&f->b, &recs[i]);
    size_t p = 0;
    while (p < f->b.len) {
        ssize_t w = write(f->fd, f->b.data + p, f->b.len - p);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            snprintf(err, errlen, "%s: write: %s", f->path, strerror(e));
            close(f->fd);
            f->fd = -1;
            return -e;
        }
        p += (size_t)w;
    }
    if (f->fsync && fdatasync(f->fd) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: fdatasync: %s", f->path, strerror(e));
        return -e;
    }
    /* keep a large batch's buffer from pinning memory */
    if (f->b.cap > (8u << 20))
        buf_free(&f->b);
    memset(st, LOUT_OK, n);
    return 0;
}

static void file_destroy(void *state)
{
    out_file *f = state;
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    buf_free(&f->b);
    free(f);
}

const lout_ops lout_file_ops = {
    .type = "file",
    .create = file_create,
    .send = file_send,
    .destroy = file_destroy,
};
