/*
 * lckpt: the log pipeline's checkpoint, DIR/state: every input's position
 * (dev, inode, offset, head fingerprint, rotation count) and every output
 * buffer's write end, written by the reader after the buffers are flushed
 * and before the new end is published (step 2 of the protocol in lpipe.h).
 * A text file, so an operator can read it:
 *
 *   berth-logs-state 1
 *   seq N
 *   out NAME SEG OFF
 *   in DEV INO OFF FP_LEN FP ROT KEY
 *
 * It is replaced as a whole (temp file, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new one, never a mix.
 *
 * Invariants: lckpt_load runs in lpipe_start before the threads; the rest
 * runs on the reader thread only, which owns p->ins' positions and p->ck.
 * lckpt_write takes p->mu once, at its end, for the counter; it is never
 * called with p->mu held.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logs/lpipe_int.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CK_MAGIC "berth-logs-state 1"

int lckpt_load(lpipe *p, lbuf_pos *ends, int *has_end)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/state", p->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    char line[1024];
    int rc = 0;
    if (!fgets(line, sizeof(line), f) || strncmp(line, CK_MAGIC, strlen(CK_MAGIC)) != 0) {
        log_error("logs", "%s: not a berth log state file; ignoring it", path);
        fclose(f);
        return -EINVAL;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned long long a, b, c, d, e, g;
        int n = 0;
        if (sscanf(line, "seq %llu", &a) == 1) {
            p->seq = a;
        } else if (strncmp(line, "out ", 4) == 0) {
            char name[64];
            if (sscanf(line, "out %63s %llu %llu", name, &a, &b) == 3)
                for (size_t i = 0; i < p->nout; i++)
                    if (strcmp(p->out[i].cfg.name, name) == 0) {
                        ends[i] = (lbuf_pos){a, b};
                        has_end[i] = 1;
                    }
        } else if (sscanf(line, "in %llu %llu %llu %llu %llu %llu %n", &a, &b, &c, &d, &e, &g,
                          &n) == 6 &&
                   n > 0) {
            ckent *ne = xrealloc(p->ck, (p->nck + 1) * sizeof(*ne));
            p->ck = ne;
            ckent *k = &p->ck[p->nck++];
            memset(k, 0, sizeof(*k));
            snprintf(k->key, sizeof(k->key), "%s", line + n);
            k->pos =
                (ltail_pos){.dev = a, .ino = b, .off = c, .fp_len = d, .fp = e, .rot = (unsigned)g};
        }
    }
    fclose(f);
    return rc;
}

static int write_all(int fd, const char *d, size_t n)
{
    while (n) {
        ssize_t w = write(fd, d, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        d += w;
        n -= (size_t)w;
    }
    return 0;
}

int lckpt_write(lpipe *p, const lbuf_pos *ends)
{
    buf b = BUF_INIT;
    buf_printf(&b, "%s\nseq %" PRIu64 "\n", CK_MAGIC, p->seq);
    for (size_t i = 0; i < p->nout; i++)
        buf_printf(&b, "out %s %" PRIu64 " %" PRIu64 "\n", p->out[i].cfg.name, ends[i].seg,
                   ends[i].off);
    for (size_t i = 0; i < p->nins; i++) {
        lin *in = p->ins[i];
        ltail_pos pos;
        ltail_safe_pos(&in->t, &pos);
        /* an unfinished join must be read again after a restart */
        for (int s = 0; s < NJOIN; s++)
            if (in->join_on[s] && in->join_pos[s] < pos.off && in->join_ino[s] == pos.ino)
                pos.off = in->join_pos[s];
        if (in->done)
            continue;
        in->ck_next = pos; /* becomes ck_pos once the rename below succeeds */
        buf_printf(&b, "in %llu %llu %llu %llu %llu %u %s\n", (unsigned long long)pos.dev,
                   (unsigned long long)pos.ino, (unsigned long long)pos.off,
                   (unsigned long long)pos.fp_len, (unsigned long long)pos.fp, pos.rot, in->key);
    }
    /* positions of inputs not seen again yet (before the first container
     * list and glob scan): kept, not forgotten */
    for (size_t i = 0; i < p->nck; i++)
        if (!p->ck[i].claimed && !p->synced)
            buf_printf(&b, "in %llu %llu %llu %llu %llu %u %s\n",
                       (unsigned long long)p->ck[i].pos.dev, (unsigned long long)p->ck[i].pos.ino,
                       (unsigned long long)p->ck[i].pos.off,
                       (unsigned long long)p->ck[i].pos.fp_len, (unsigned long long)p->ck[i].pos.fp,
                       p->ck[i].pos.rot, p->ck[i].key);
    char path[600], tmp[610];
    snprintf(path, sizeof(path), "%s/state", p->dir);
    snprintf(tmp, sizeof(tmp), "%s/state.tmp", p->dir);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = write_all(fd, b.data, b.len);
    if (rc == 0 && p->o.sync && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0 && p->o.sync) {
        int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    if (rc == 0)
        for (size_t i = 0; i < p->nins; i++)
            if (!p->ins[i]->done)
                p->ins[i]->ck_pos = p->ins[i]->ck_next;
out:
    if (rc < 0 && lpipe_ratelim_ok(&p->rl_io))
        log_error("logs", "%s: cannot write the checkpoint: %s", path, strerror(-rc));
    buf_free(&b);
    pthread_mutex_lock(&p->mu);
    p->ck_writes++;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

ckent *lckpt_find(lpipe *p, const char *key)
{
    for (size_t i = 0; i < p->nck; i++)
        if (strcmp(p->ck[i].key, key) == 0)
            return &p->ck[i];
    return NULL;
}
