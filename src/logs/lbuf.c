/*
 * lbuf: the per-output disk buffer (see lbuf.h for the format and the
 * guarantees). The segment list is the only state shared between the
 * writer and the reader; it is guarded by one mutex, held only for list
 * updates, never across I/O on the hot path.
 */
#include "logs/lbuf.h"
#include "util/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logs/lcrc.h"
#include "util/log.h"
#include "util/xalloc.h"

#define WBUF_FLUSH (1u << 20)

typedef struct seginfo {
    uint64_t id;
    uint64_t size;
} seginfo;

struct lbuf {
    char dir[512];
    uint64_t seg_bytes;
    int sync;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    seginfo *segs; /* sorted by id */
    size_t nsegs, cap;
    lbuf_pos committed;
    lbuf_pos rpos; /* reader's position, for drop accounting */
    int wake;
    uint64_t corrupt;

    /* writer */
    int wfd;
    uint64_t wseg;
    uint64_t woff; /* bytes in the file */
    buf wbuf;

    /* reader */
    int rfd;
    uint64_t rfd_seg;
    lbuf_pos cursor;
};

static void put32(char *p, uint32_t v)
{
    p[0] = (char)v;
    p[1] = (char)(v >> 8);
    p[2] = (char)(v >> 16);
    p[3] = (char)(v >> 24);
}

static uint32_t get32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

long lbuf_frame_check(const char *p, size_t avail)
{
    if (avail < LBUF_HDR)
        return 0;
    uint32_t len = get32(p);
    if (len == 0 || len > LBUF_MAX_FRAME)
        return -1;
    if (avail < LBUF_HDR + (size_t)len)
        return 0;
    uint32_t crc = lcrc32c(0, p, 4);
    crc = lcrc32c(crc, p + LBUF_HDR, len);
    if (crc != get32(p + 4))
        return -1;
    return (long)(LBUF_HDR + len);
}

static void seg_path(const lbuf *b, uint64_t id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/seg-%016" PRIu64 ".log", b->dir, id);
}

static void seg_add(lbuf *b, uint64_t id, uint64_t size)
{
    if (b->nsegs == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        seginfo *n = xrealloc(b->segs, b->cap * sizeof(*n));
        b->segs = n;
    }
    size_t i = b->nsegs;
    while (i > 0 && b->segs[i - 1].id > id) {
        b->segs[i] = b->segs[i - 1];
        i--;
    }
    b->segs[i].id = id;
    b->segs[i].size = size;
    b->nsegs++;
}

static seginfo *seg_find(lbuf *b, uint64_t id)
{
    for (size_t i = 0; i < b->nsegs; i++)
        if (b->segs[i].id == id)
            return &b->segs[i];
    return NULL;
}

static void seg_remove_at(lbuf *b, size_t i)
{
    memmove(&b->segs[i], &b->segs[i + 1], (b->nsegs - i - 1) * sizeof(seginfo));
    b->nsegs--;
}

static int mkdir_p(const char *dir)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Length of the valid prefix of a segment file (frames that check out). */
static uint64_t valid_prefix(int fd, uint64_t size)
{
    size_t cap = 1u << 20;
    char *chunk = xmalloc(cap + LBUF_MAX_FRAME + LBUF_HDR);
    uint64_t off = 0;
    for (;;) {
        if (off >= size)
            break;
        size_t want = (size - off) > cap ? cap : (size_t)(size - off);
        ssize_t r = pread(fd, chunk, want, (off_t)off);
        if (r <= 0)
            break;
        size_t have = (size_t)r, p = 0;
        int stop = 0;
        while (p < have) {
            long f = lbuf_frame_check(chunk + p, have - p);
            if (f < 0) {
                stop = 1;
                break;
            }
            if (f == 0) {
                if (p == 0) {
                    /* a frame bigger than the chunk: read it whole */
                    uint32_t len = have >= 4 ? get32(chunk) : 0;
                    if (have < 4 || off + LBUF_HDR + len > size) {
                        stop = 1;
                        break;
                    }
                    ssize_t r2 = pread(fd, chunk, LBUF_HDR + len, (off_t)off);
                    if (r2 != (ssize_t)(LBUF_HDR + len) ||
                        lbuf_frame_check(chunk, (size_t)r2) <= 0) {
                        stop = 1;
                        break;
                    }
                    p = (size_t)r2;
                }
                break;
            }
            p += (size_t)f;
        }
        off += p;
        if (stop || p == 0)
            break;
    }
    free(chunk);
    return off;
}

static int read_cursor(const lbuf *b, lbuf_pos *c)
{
    char path[600], line[128];
    snprintf(path, sizeof(path), "%s/cursor", b->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    int rc = -EINVAL;
    unsigned long long s, o;
    if (fgets(line, sizeof(line), f) && sscanf(line, "%llu %llu", &s, &o) == 2) {
        c->seg = s;
        c->off = o;
        rc = 0;
    }
    fclose(f);
    return rc;
}

static int open_wseg(lbuf *b, uint64_t id, char *err, size_t errlen)
{
    char path[600];
    seg_path(b, id, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    b->wfd = fd;
    b->wseg = id;
    b->woff = 0;
    pthread_mutex_lock(&b->mu);
    seg_add(b, id, 0);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int lbuf_open(const lbuf_opts *o, lbuf **out, char *err, size_t errlen)
{
    *out = NULL;
    lbuf *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    int rc;
    snprintf(b->dir, sizeof(b->dir), "%s", o->dir);
    b->seg_bytes = o->seg_bytes ? o->seg_bytes : 32u << 20;
    b->sync = o->sync;
    b->wfd = -1;
    b->rfd = -1;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if ((rc = mkdir_p(b->dir)) < 0) {
        snprintf(err, errlen, "%s: %s", b->dir, strerror(-rc));
        goto fail;
    }
    DIR *d = opendir(b->dir);
    if (!d) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", b->dir, strerror(-rc));
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long id;
        char tail[8];
        if (sscanf(de->d_name, "seg-%llu.%7s", &id, tail) != 2 || strcmp(tail, "log") != 0)
            continue;
        char path[600];
        struct stat st;
        seg_path(b, id, path, sizeof(path));
        if (stat(path, &st) == 0)
            seg_add(b, id, (uint64_t)st.st_size);
    }
    closedir(d);

    /* Everything after the checkpoint's committed end goes: the inputs will
     * read it again from their checkpointed positions. */
    if (o->end) {
        while (b->nsegs && b->segs[b->nsegs - 1].id > o->end->seg) {
            char path[600];
            seg_path(b, b->segs[b->nsegs - 1].id, path, sizeof(path));
            unlink(path);
            b->nsegs--;
        }
        seginfo *s = seg_find(b, o->end->seg);
        if (s && s->size > o->end->off) {
            char path[600];
            seg_path(b, s->id, path, sizeof(path));
            if (truncate(path, (off_t)o->end->off) == 0)
                s->size = o->end->off;
        } else if (o->end->off > 0 && (!s || s->size < o->end->off)) {
            log_warn("logs",
                     "%s: buffer shorter than its checkpoint (segment %" PRIu64 " offset %" PRIu64
                     "): records written before a crash were lost",
                     b->dir, o->end->seg, o->end->off);
        }
    }
    /* Torn tail: a frame cut by a crash, or garbage after the last frame. */
    if (b->nsegs) {
        seginfo *s = &b->segs[b->nsegs - 1];
        char path[600];
        seg_path(b, s->id, path, sizeof(path));
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            uint64_t v = valid_prefix(fd, s->size);
            if (v < s->size) {
                log_warn("logs", "%s: torn tail of %" PRIu64 " bytes truncated", path, s->size - v);
                if (ftruncate(fd, (off_t)v) == 0)
                    s->size = v;
            }
            close(fd);
        }
    }
    if (read_cursor(b, &b->cursor) < 0)
        b->cursor = (lbuf_pos){b->nsegs ? b->segs[0].id : 1, 0};
    /* segments wholly before the cursor were delivered */
    while (b->nsegs && b->segs[0].id < b->cursor.seg) {
        char path[600];
        seg_path(b, b->segs[0].id, path, sizeof(path));
        unlink(path);
        seg_remove_at(b, 0);
    }
    if (b->nsegs && b->segs[0].id > b->cursor.seg)
        b->cursor = (lbuf_pos){b->segs[0].id, 0};
    seginfo *cs = seg_find(b, b->cursor.seg);
    if (cs && b->cursor.off > cs->size)
        b->cursor.off = cs->size;
    uint64_t next = b->nsegs ? b->segs[b->nsegs - 1].id + 1 : b->cursor.seg + 1;
    if (next < b->cursor.seg)
        next = b->cursor.seg;
    if ((rc = open_wseg(b, next, err, errlen)) < 0)
        goto fail;
    /* what survived recovery is committed */
    b->committed = (lbuf_pos){b->wseg, 0};
    b->rpos = b->cursor;
    *out = b;
    return 0;
fail:
    lbuf_close(b);
    return rc;
}

void lbuf_close(lbuf *b)
{
    if (!b)
        return;
    if (b->wfd >= 0)
        close(b->wfd);
    if (b->rfd >= 0)
        close(b->rfd);
    buf_free(&b->wbuf);
    free(b->segs);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

uint64_t lbuf_wseg(const lbuf *b)
{
    return b->wseg;
}

static int write_out(lbuf *b, char *err, size_t errlen)
{
    size_t p = 0;
    while (p < b->wbuf.len) {
        ssize_t w = write(b->wfd, b->wbuf.data + p, b->wbuf.len - p);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            /* drop what was partly written: the file must end on a frame */
            if (ftruncate(b->wfd, (off_t)b->woff) == 0)
                lseek(b->wfd, (off_t)b->woff, SEEK_SET);
            snprintf(err, errlen, "%s segment %" PRIu64 ": %s", b->dir, b->wseg, strerror(e));
            return -e;
        }
        p += (size_t)w;
    }
    b->woff += b->wbuf.len;
    buf_reset(&b->wbuf);
    pthread_mutex_lock(&b->mu);
    seginfo *s = seg_find(b, b->wseg);
    if (s)
        s->size = b->woff;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

int lbuf_maybe_roll(lbuf *b, char *err, size_t errlen)
{
    if (b->woff + b->wbuf.len < b->seg_bytes)
        return 0;
    int rc = write_out(b, err, errlen);
    if (rc < 0)
        return rc;
    if (b->sync && fdatasync(b->wfd) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: fdatasync: %s", b->dir, strerror(errno));
        return rc;
    }
    close(b->wfd);
    b->wfd = -1;
    rc = open_wseg(b, b->wseg + 1, err, errlen);
    return rc < 0 ? rc : 1;
}

int lbuf_append(lbuf *b, const void *payload, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > LBUF_MAX_FRAME) {
        snprintf(err, errlen, "record of %zu bytes", len);
        return -EMSGSIZE;
    }
    char hdr[LBUF_HDR];
    put32(hdr, (uint32_t)len);
    uint32_t crc = lcrc32c(0, hdr, 4);
    crc = lcrc32c(crc, payload, len);
    put32(hdr + 4, crc);
    buf_append(&b->wbuf, hdr, LBUF_HDR);
    buf_append(&b->wbuf, payload, len);
    if (b->wbuf.len >= WBUF_FLUSH)
        return write_out(b, err, errlen);
    return 0;
}

int lbuf_flush(lbuf *b, lbuf_pos *end, char *err, size_t errlen)
{
    int rc = write_out(b, err, errlen);
    if (rc < 0)
        return rc;
    if (b->sync && fdatasync(b->wfd) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: fdatasync: %s", b->dir, strerror(errno));
        return rc;
    }
    end->seg = b->wseg;
    end->off = b->woff;
    return 0;
}

int lbuf_rewind(lbuf *b, const lbuf_pos *end, char *err, size_t errlen)
{
    buf_reset(&b->wbuf);
    char path[600];
    if (b->wseg != end->seg) {
        if (b->wfd >= 0)
            close(b->wfd);
        b->wfd = -1;
        pthread_mutex_lock(&b->mu);
        while (b->nsegs && b->segs[b->nsegs - 1].id > end->seg) {
            seg_path(b, b->segs[b->nsegs - 1].id, path, sizeof(path));
            unlink(path);
            b->nsegs--;
        }
        if (!seg_find(b, end->seg))
            seg_add(b, end->seg, 0);
        pthread_mutex_unlock(&b->mu);
        seg_path(b, end->seg, path, sizeof(path));
        b->wfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        if (b->wfd < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            return -e;
        }
        b->wseg = end->seg;
    }
    if (ftruncate(b->wfd, (off_t)end->off) < 0 || lseek(b->wfd, (off_t)end->off, SEEK_SET) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: truncate: %s", b->dir, strerror(e));
        return -e;
    }
    b->woff = end->off;
    pthread_mutex_lock(&b->mu);
    seginfo *s = seg_find(b, b->wseg);
    if (s)
        s->size = b->woff;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

void lbuf_publish(lbuf *b, const lbuf_pos *end)
{
    pthread_mutex_lock(&b->mu);
    b->committed = *end;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

uint64_t lbuf_used(lbuf *b)
{
    uint64_t u = 0;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->nsegs; i++)
        u += b->segs[i].size;
    pthread_mutex_unlock(&b->mu);
    /* not wbuf.len: that belongs to the writer, and is at most 1 MiB */
    return u;
}

uint64_t lbuf_drop_oldest(lbuf *b, uint64_t *bytes)
{
    *bytes = 0;
    pthread_mutex_lock(&b->mu);
    if (b->nsegs < 2 || b->segs[0].id == b->wseg || b->segs[0].id >= b->committed.seg) {
        pthread_mutex_unlock(&b->mu);
        return 0;
    }
    seginfo s = b->segs[0];
    uint64_t from = 0;
    if (b->rpos.seg > s.id)
        from = s.size;
    else if (b->rpos.seg == s.id)
        from = b->rpos.off;
    seg_remove_at(b, 0);
    pthread_mutex_unlock(&b->mu);

    char path[600];
    seg_path(b, s.id, path, sizeof(path));
    uint64_t frames = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char hdr[LBUF_HDR];
        uint64_t off = from;
        while (off + LBUF_HDR <= s.size && pread(fd, hdr, LBUF_HDR, (off_t)off) == LBUF_HDR) {
            uint32_t len = get32(hdr);
            if (len == 0 || len > LBUF_MAX_FRAME)
                break;
            frames++;
            off += LBUF_HDR + len;
        }
        close(fd);
    }
    unlink(path);
    *bytes = s.size;
    return frames;
}

lbuf_pos lbuf_cursor(lbuf *b)
{
    return b->cursor;
}

static int pos_lt(const lbuf_pos *a, const lbuf_pos *c)
{
    return a->seg < c->seg || (a->seg == c->seg && a->off < c->off);
}

int lbuf_wait(lbuf *b, const lbuf_pos *cur, int timeout_ms)
{
    /* pthread_cond_timedwait's deadline is on CLOCK_REALTIME (the
     * condition's default clock) */
    int64_t dl = clock_wall_ns() + (int64_t)timeout_ms * 1000000;
    struct timespec ts = {.tv_sec = (time_t)(dl / 1000000000), .tv_nsec = (long)(dl % 1000000000)};
    pthread_mutex_lock(&b->mu);
    int more;
    while (!(more = pos_lt(cur, &b->committed)) && !b->wake) {
        if (pthread_cond_timedwait(&b->cv, &b->mu, &ts) != 0)
            break;
    }
    b->wake = 0;
    pthread_mutex_unlock(&b->mu);
    return more;
}

void lbuf_wake(lbuf *b)
{
    pthread_mutex_lock(&b->mu);
    b->wake = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

int lbuf_read(lbuf *b, const lbuf_pos *cur, uint64_t stop_off, buf *out, size_t max_bytes,
              size_t max_frames, lbuf_pos *next, int *seg_changed, char *err, size_t errlen)
{
    *next = *cur;
    *seg_changed = 0;
    pthread_mutex_lock(&b->mu);
    lbuf_pos comm = b->committed;
    uint64_t first = b->nsegs ? b->segs[0].id : comm.seg;
    uint64_t limit = 0, nextid = 0;
    if (cur->seg < first) {
        /* dropped under us (drop_oldest): continue at the oldest left */
        *next = (lbuf_pos){first, 0};
        *seg_changed = 1;
        b->rpos = *next;
        pthread_mutex_unlock(&b->mu);
        return 0;
    }
    if (cur->seg == comm.seg) {
        limit = comm.off;
    } else if (cur->seg < comm.seg) {
        seginfo *s = seg_find(b, cur->seg);
        limit = s ? s->size : 0;
        for (size_t i = 0; i < b->nsegs; i++)
            if (b->segs[i].id > cur->seg) {
                nextid = b->segs[i].id;
                break;
            }
    }
    pthread_mutex_unlock(&b->mu);
    if (stop_off != UINT64_MAX && stop_off < limit)
        limit = stop_off;
    if (cur->off >= limit) {
        if (cur->seg < comm.seg && stop_off == UINT64_MAX && nextid) {
            *next = (lbuf_pos){nextid, 0};
            *seg_changed = 1;
            pthread_mutex_lock(&b->mu);
            b->rpos = *next;
            pthread_mutex_unlock(&b->mu);
        }
        return 0;
    }
    if (b->rfd < 0 || b->rfd_seg != cur->seg) {
        if (b->rfd >= 0)
            close(b->rfd);
        char path[600];
        seg_path(b, cur->seg, path, sizeof(path));
        b->rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (b->rfd < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            if (e == ENOENT) { /* dropped: move on */
                *next = (lbuf_pos){cur->seg, limit};
                return 0;
            }
            return -e;
        }
        b->rfd_seg = cur->seg;
    }
    uint64_t avail = limit - cur->off;
    size_t want = avail < max_bytes ? (size_t)avail : max_bytes;
    if (want < LBUF_HDR)
        want = avail < LBUF_HDR ? (size_t)avail : LBUF_HDR;
    size_t base = out->len;
    buf_reserve(out, want);
    ssize_t r = pread(b->rfd, out->data + base, want, (off_t)cur->off);
    if (r < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: read: %s", b->dir, strerror(e));
        return -e;
    }
    size_t have = (size_t)r, p = 0;
    int n = 0;
    while (p < have && (size_t)n < max_frames) {
        long f = lbuf_frame_check(out->data + base + p, have - p);
        if (f == 0 && n == 0) {
            /* first frame larger than want: read it whole */
            uint32_t len = have - p >= 4 ? get32(out->data + base + p) : 0;
            if (len && len <= LBUF_MAX_FRAME && cur->off + LBUF_HDR + len <= limit) {
                buf_reserve(out, LBUF_HDR + len);
                r = pread(b->rfd, out->data + base, LBUF_HDR + len, (off_t)cur->off);
                if (r == (ssize_t)(LBUF_HDR + len)) {
                    have = (size_t)r;
                    f = lbuf_frame_check(out->data + base, have);
                }
            } else {
                f = -1;
            }
        }
        if (f == 0)
            break;
        if (f < 0) {
            /* corruption inside committed data: skip the rest */
            pthread_mutex_lock(&b->mu);
            b->corrupt++;
            pthread_mutex_unlock(&b->mu);
            log_error("logs",
                      "%s: segment %" PRIu64 " corrupt at offset %" PRIu64 ", skipping %" PRIu64
                      " bytes",
                      b->dir, cur->seg, cur->off + p, limit - (cur->off + p));
            out->len = base + p;
            out->data[out->len] = '\0';
            *next = (lbuf_pos){cur->seg, limit};
            return n;
        }
        p += (size_t)f;
        n++;
    }
    out->len = base + p;
    out->data[out->len] = '\0';
    *next = (lbuf_pos){cur->seg, cur->off + p};
    pthread_mutex_lock(&b->mu);
    b->rpos = *next;
    pthread_mutex_unlock(&b->mu);
    return n;
}

int lbuf_ack(lbuf *b, const lbuf_pos *cur, char *err, size_t errlen)
{
    char path[600], tmp[610];
    snprintf(path, sizeof(path), "%s/cursor", b->dir);
    snprintf(tmp, sizeof(tmp), "%s/cursor.tmp", b->dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", tmp, strerror(e));
        return -e;
    }
    char line[64];
    int l = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", cur->seg, cur->off);
    int ok = write(fd, line, (size_t)l) == l && (!b->sync || fsync(fd) == 0);
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    b->cursor = *cur;
    pthread_mutex_lock(&b->mu);
    while (b->nsegs && b->segs[0].id < cur->seg && b->segs[0].id != b->wseg) {
        seg_path(b, b->segs[0].id, path, sizeof(path));
        unlink(path);
        seg_remove_at(b, 0);
    }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

uint64_t lbuf_behind(lbuf *b, const lbuf_pos *cur)
{
    uint64_t n = 0;
    pthread_mutex_lock(&b->mu);
    lbuf_pos comm = b->committed;
    for (size_t i = 0; i < b->nsegs; i++) {
        const seginfo *s = &b->segs[i];
        if (s->id < cur->seg || s->id > comm.seg)
            continue;
        uint64_t lo = s->id == cur->seg ? cur->off : 0;
        uint64_t hi = s->id == comm.seg ? comm.off : s->size;
        if (hi > lo)
            n += hi - lo;
    }
    pthread_mutex_unlock(&b->mu);
    return n;
}

uint64_t lbuf_corrupt(lbuf *b)
{
    pthread_mutex_lock(&b->mu);
    uint64_t c = b->corrupt;
    pthread_mutex_unlock(&b->mu);
    return c;
}
