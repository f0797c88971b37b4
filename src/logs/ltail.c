/* ltail: following one file across rotation. See ltail.h. */
#include "logs/ltail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs/lcrc.h"

void ltail_init(ltail *t, const char *path, size_t line_max)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "%s", path);
    t->fd = -1;
    t->line_max = line_max ? line_max : (1u << 20);
}

void ltail_free(ltail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    buf_free(&t->rd);
}

static int fingerprint(int fd, uint64_t want, uint64_t *len, uint64_t *fp)
{
    char head[LTAIL_FP_MAX];
    if (want > LTAIL_FP_MAX)
        want = LTAIL_FP_MAX;
    ssize_t r = pread(fd, head, (size_t)want, 0);
    if (r < 0)
        return -errno;
    *len = (uint64_t)r;
    *fp = lcrc32c(0, head, (size_t)r);
    return 0;
}

static void set_file(ltail *t, int fd, uint64_t off)
{
    struct stat st;
    if (t->fd >= 0 && t->fd != fd)
        close(t->fd);
    t->fd = fd;
    t->off = off;
    buf_reset(&t->rd);
    t->rd_start = 0;
    t->skip_to_nl = 0;
    t->flush_tail = 0;
    if (fstat(fd, &st) == 0) {
        t->dev = (uint64_t)st.st_dev;
        t->ino = (uint64_t)st.st_ino;
    }
    fingerprint(fd, LTAIL_FP_MAX, &t->fp_len, &t->fp);
}

void ltail_adopt(ltail *t, int fd)
{
    set_file(t, fd, 0);
}

int ltail_open(ltail *t)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    set_file(t, fd, 0);
    return 0;
}

static void rot_path(const ltail *t, int k, char *out, size_t outlen)
{
    if (k == 0)
        snprintf(out, outlen, "%s", t->path);
    else
        snprintf(out, outlen, "%s.%d", t->path, k);
}

int ltail_resume(ltail *t, const ltail_pos *pos)
{
    for (int k = 0; k <= LTAIL_MAX_ROT; k++) {
        char p[540];
        struct stat st;
        rot_path(t, k, p, sizeof(p));
        if (stat(p, &st) < 0 || (uint64_t)st.st_ino != pos->ino || (uint64_t)st.st_dev != pos->dev)
            continue;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        uint64_t l = 0, fp = 0;
        if (fingerprint(fd, pos->fp_len, &l, &fp) < 0 || l != pos->fp_len || fp != pos->fp) {
            close(fd);
            continue; /* same inode, other file */
        }
        uint64_t off = pos->off;
        if ((uint64_t)st.st_size < off) { /* copy-truncated while we were away */
            off = 0;
            t->copytruncates++;
        }
        set_file(t, fd, off);
        return 0;
    }
    return -ENOENT;
}

int ltail_open_oldest(ltail *t)
{
    for (int k = LTAIL_MAX_ROT; k >= 1; k--) {
        char p[540];
        rot_path(t, k, p, sizeof(p));
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            set_file(t, fd, 0);
            return 0;
        }
    }
    return ltail_open(t);
}

int ltail_resume_fd(ltail *t, int fd, const ltail_pos *pos)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_ino == pos->ino &&
        (uint64_t)st.st_dev == pos->dev) {
        uint64_t l = 0, fp = 0;
        if (fingerprint(fd, pos->fp_len, &l, &fp) == 0 && l == pos->fp_len && fp == pos->fp) {
            uint64_t off = pos->off;
            if ((uint64_t)st.st_size < off) {
                off = 0;
                t->copytruncates++;
            }
            set_file(t, fd, off);
            return 0;
        }
    }
    return ltail_resume(t, pos);
}

long ltail_fill(ltail *t, size_t max)
{
    if (t->fd < 0)
        return 0;
    /* compact: keep the unreturned rest at the front */
    if (t->rd_start > 0 && (t->rd_start == t->rd.len || t->rd_start > (t->rd.len >> 1))) {
        memmove(t->rd.data, t->rd.data + t->rd_start, t->rd.len - t->rd_start);
        t->rd.len -= t->rd_start;
        t->rd_start = 0;
    }
    /* Reads grow from 16 KiB to max while they come back full, so an idle
     * or slow input holds a small buffer and a busy one reads in big
     * chunks; at the end of the data the buffer is given back. Memory per
     * input is then about what it has pending, not max. */
    size_t chunk = t->chunk ? t->chunk : LTAIL_CHUNK_MIN;
    if (chunk > max)
        chunk = max;
    buf_reserve(&t->rd, chunk);
    ssize_t r;
    do
        r = pread(t->fd, t->rd.data + t->rd.len, chunk, (off_t)t->off);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    t->rd.len += (size_t)r;
    t->rd.data[t->rd.len] = '\0';
    t->off += (uint64_t)r;
    if ((size_t)r == chunk && chunk < max)
        t->chunk = chunk * 2;
    else if (r == 0)
        t->chunk = LTAIL_CHUNK_MIN;
    if (r == 0 && t->rd_start == t->rd.len && t->rd.cap > 2 * LTAIL_CHUNK_MIN + 64) {
        buf_free(&t->rd);
        t->rd_start = 0;
    }
    return (long)r;
}

int ltail_line(ltail *t, const char **line, size_t *len)
{
    for (;;) {
        size_t avail = t->rd.len - t->rd_start;
        if (!avail)
            return 0;
        char *s = t->rd.data + t->rd_start;
        char *nl = memchr(s, '\n', avail);
        if (t->skip_to_nl) {
            if (!nl) {
                t->rd_start = t->rd.len;
                return 0;
            }
            t->rd_start += (size_t)(nl - s) + 1;
            t->skip_to_nl = 0;
            continue;
        }
        if (nl) {
            size_t l = (size_t)(nl - s);
            t->rd_start += l + 1;
            if (l > t->line_max) {
                *line = s;
                *len = t->line_max;
                t->cut++;
                return LTAIL_CUT;
            }
            *line = s;
            *len = l;
            return LTAIL_LINE;
        }
        if (avail > t->line_max) {
            *line = s;
            *len = t->line_max;
            t->rd_start += avail;
            t->skip_to_nl = 1;
            t->cut++;
            return LTAIL_CUT;
        }
        if (t->flush_tail) {
            *line = s;
            *len = avail;
            t->rd_start += avail;
            t->flush_tail = 0;
            return LTAIL_UNTERMINATED;
        }
        return 0;
    }
}

int ltail_check(ltail *t)
{
    if (t->fd < 0) {
        if (ltail_open(t) == 0)
            return 1;
        return 0;
    }
    struct stat st, fst;
    int have = stat(t->path, &st) == 0;
    if (have && (uint64_t)st.st_ino == t->ino && (uint64_t)st.st_dev == t->dev) {
        if (fstat(t->fd, &fst) == 0 && (uint64_t)fst.st_size < t->off) {
            /* copy-truncate: the file was emptied under us */
            lseek(t->fd, 0, SEEK_SET);
            uint64_t keep_fp_len = 0, keep_fp = 0;
            fingerprint(t->fd, LTAIL_FP_MAX, &keep_fp_len, &keep_fp);
            t->off = 0;
            buf_reset(&t->rd);
            t->rd_start = 0;
            t->skip_to_nl = 0;
            t->fp_len = keep_fp_len;
            t->fp = keep_fp;
            t->copytruncates++;
            return 2;
        }
        return 0;
    }
    /* PATH is another file (or gone): ours was rotated. Finish it first:
     * writes may have landed between our last read and the rename. */
    if (ltail_fill(t, 1u << 20) > 0)
        return 3;
    if (t->rd_start < t->rd.len) {
        t->flush_tail = 1;
        return 3;
    }
    int k;
    for (k = 1; k <= LTAIL_MAX_ROT; k++) {
        char p[540];
        struct stat rs;
        rot_path(t, k, p, sizeof(p));
        if (stat(p, &rs) == 0 && (uint64_t)rs.st_ino == t->ino && (uint64_t)rs.st_dev == t->dev)
            break;
    }
    int next = k <= LTAIL_MAX_ROT ? k - 1 : 0;
    if (k > LTAIL_MAX_ROT) {
        /* Ours was rotated out of PATH.1..9 and deleted (berth fell more
         * than max-file rotations behind, or was stopped). Rotated files
         * written to after ours ended are newer: continue with the oldest
         * of them, so they are not skipped. */
        struct stat our;
        if (fstat(t->fd, &our) == 0) {
            for (int j = LTAIL_MAX_ROT; j >= 1; j--) {
                char pj[540];
                struct stat rs;
                rot_path(t, j, pj, sizeof(pj));
                if (stat(pj, &rs) == 0 && (uint64_t)rs.st_ino != t->ino &&
                    (rs.st_mtim.tv_sec > our.st_mtim.tv_sec ||
                     (rs.st_mtim.tv_sec == our.st_mtim.tv_sec &&
                      rs.st_mtim.tv_nsec >= our.st_mtim.tv_nsec))) {
                    next = j;
                    break;
                }
            }
        }
    }
    char np[540];
    rot_path(t, next, np, sizeof(np));
    int fd = open(np, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* the new PATH is not there yet: try again next poll */
    set_file(t, fd, 0);
    t->rotations++;
    return 1;
}

uint64_t ltail_behind(ltail *t)
{
    struct stat st;
    if (t->fd < 0 || fstat(t->fd, &st) < 0)
        return 0;
    uint64_t unread = (uint64_t)st.st_size > t->off ? (uint64_t)st.st_size - t->off : 0;
    return unread + (t->rd.len - t->rd_start);
}

void ltail_safe_pos(ltail *t, ltail_pos *pos)
{
    memset(pos, 0, sizeof(*pos));
    if (t->fd < 0)
        return;
    if (t->fp_len < LTAIL_FP_MAX && t->off > t->fp_len)
        fingerprint(t->fd, LTAIL_FP_MAX, &t->fp_len, &t->fp);
    pos->dev = t->dev;
    pos->ino = t->ino;
    pos->off = t->off - (t->rd.len - t->rd_start);
    pos->fp_len = t->fp_len;
    pos->fp = t->fp;
}
