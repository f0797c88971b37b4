/*
 * lpipe: the log pipeline's threads and the glue between them: the reader,
 * the checkpoint, metrics, start and stop here; the Docker watcher in
 * lwatch.c, the senders in lsend.c, their shared types in lpipe_int.h. See
 * lpipe.h for the durability protocol, ltail.h for following files, lbuf.h
 * for the disk buffer, lout.h for outputs.
 *
 * Threads:
 *  - docker watcher (lwatch.c): lists containers, then follows /events; on "start" it
 *    opens the container's log file at once (so a container removed a
 *    moment later can still be read through the open descriptor), inspects
 *    it for tags and queues it for the reader; on "destroy" it queues a
 *    removal (the reader drains the file to its end, then forgets it);
 *  - reader: polls every input, parses lines, appends records to every
 *    output's buffer, checkpoints (see lpipe.h), publishes;
 *  - one sender per output (lsend.c).
 * The queue from the watcher to the reader and the metrics are the only
 * shared state, each under its own mutex.
 *
 * Record payloads in the buffer (after lbuf's frame header):
 *   'S' u32 src, u8 flags, then u16-length strings host, id, name, image,
 *       image_id, compose project, compose service, swarm service, swarm
 *       task, path, u16 nlabels and that many key/value strings;
 *   'L' u8 stream, u8 flags, u16 0, u32 src, i64 ts_ns, u64 seq, message.
 * Each segment carries the 'S' of every source before its first 'L' there,
 * so a sender can start in any segment.
 */
#include "logs/lpipe.h"
#include "util/clock.h"
#include "export/export.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logs/lparse.h"
#include "logs/lpipe_int.h"
#include "util/log.h"

/* ------------------------------------------------------------------ */
/* time, rate-limited logging */

int lpipe_ratelim_ok(ratelim *r)
{
    int64_t t = clock_mono_ms();
    if (r->last_ms && t - r->last_ms < 10000) {
        r->suppressed++;
        return 0;
    }
    r->last_ms = t;
    return 1;
}

/* ------------------------------------------------------------------ */
/* config */

int lpipe_parse_output(const char *line, lout_cfg *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    char tmp[4096];
    if (strlen(line) >= sizeof(tmp)) {
        snprintf(err, errlen, "log_output: line too long");
        return -EINVAL;
    }
    snprintf(tmp, sizeof(tmp), "%s", line);
    char *save = NULL;
    char *name = strtok_r(tmp, " \t", &save);
    char *type = name ? strtok_r(NULL, " \t", &save) : NULL;
    if (!name || !type) {
        snprintf(err, errlen, "log_output: want NAME TYPE key=value..., got '%s'", line);
        return -EINVAL;
    }
    if (strlen(name) >= sizeof(c->name) || strlen(type) >= sizeof(c->type)) {
        snprintf(err, errlen, "log_output: name or type too long");
        return -EINVAL;
    }
    for (const char *q = name; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '_')) {
            snprintf(err, errlen, "log_output: name '%s': use letters, digits, - and _", name);
            return -EINVAL;
        }
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->type, sizeof(c->type), "%s", type);
    for (char *kv = strtok_r(NULL, " \t", &save); kv; kv = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            snprintf(err, errlen, "log_output %s: want key=value, got '%s'", name, kv);
            return -EINVAL;
        }
        *eq = '\0';
        if (c->nopts == LOUT_MAX_OPTS || strlen(kv) >= sizeof(c->key[0]) ||
            strlen(eq + 1) >= sizeof(c->val[0])) {
            snprintf(err, errlen, "log_output %s: too many or too long options", name);
            return -EINVAL;
        }
        snprintf(c->key[c->nopts], sizeof(c->key[0]), "%s", kv);
        snprintf(c->val[c->nopts], sizeof(c->val[0]), "%s", eq + 1);
        c->nopts++;
    }
    return 0;
}

/* Takes the pipeline's own options (batch_records, batch_bytes, retry_max)
 * out of c so that the output's create() sees only its own. */
static int take_pipeline_opts(lsend *s, char *err, size_t errlen)
{
    lout_cfg *c = &s->cfg;
    s->batch_records = 5000;
    s->batch_bytes = 4u << 20;
    s->retry_max_ms = 30000;
    size_t j = 0;
    for (size_t i = 0; i < c->nopts; i++) {
        const char *k = c->key[i], *v = c->val[i];
        char *end;
        if (strcmp(k, "batch_records") == 0 || strcmp(k, "batch_bytes") == 0 ||
            strcmp(k, "retry_max") == 0) {
            unsigned long long n = strtoull(v, &end, 10);
            if (end == v || *end || n == 0 || n > (1ull << 30)) {
                snprintf(err, errlen, "log_output %s: %s: want a positive number, got '%s'",
                         c->name, k, v);
                return -EINVAL;
            }
            if (k[0] == 'r')
                s->retry_max_ms = (int64_t)n;
            else if (k[6] == 'r')
                s->batch_records = (size_t)n;
            else
                s->batch_bytes = (size_t)n;
            continue;
        }
        if (j != i) {
            memcpy(c->key[j], c->key[i], sizeof(c->key[0]));
            memcpy(c->val[j], c->val[i], sizeof(c->val[0]));
        }
        j++;
    }
    c->nopts = j;
    return 0;
}

/* ------------------------------------------------------------------ */
/* checkpoint file */

static int ck_load(lpipe *p, lbuf_pos *ends, int *has_end)
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
            ckent *ne = realloc(p->ck, (p->nck + 1) * sizeof(*ne));
            if (!ne)
                abort();
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

/* Writes DIR/state: temp file, fsync, rename, fsync of the directory. */
static int ck_write(lpipe *p, const lbuf_pos *ends)
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

static ckent *ck_find(lpipe *p, const char *key)
{
    for (size_t i = 0; i < p->nck; i++)
        if (strcmp(p->ck[i].key, key) == 0)
            return &p->ck[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* the reader: emitting records */

static void put16s(buf *b, const char *s)
{
    size_t l = strlen(s);
    if (l > 65535)
        l = 65535;
    unsigned char h[2] = {(unsigned char)l, (unsigned char)(l >> 8)};
    buf_append(b, h, 2);
    buf_append(b, s, l);
}

static int emit_source(lpipe *p, lin *in, size_t o, char *err, size_t errlen)
{
    buf *b = &p->payload;
    buf_reset(b);
    buf_putc(b, 'S');
    buf_append(b, &in->src, 4);
    unsigned char fl = in->json ? SRC_FLAG_JSON : 0;
    buf_append(b, &fl, 1);
    put16s(b, p->host);
    put16s(b, in->cid);
    put16s(b, in->name);
    put16s(b, in->image);
    put16s(b, in->image_id);
    put16s(b, in->cproj);
    put16s(b, in->csvc);
    put16s(b, in->ssvc);
    put16s(b, in->stask);
    put16s(b, in->t.path);
    uint16_t nl = (uint16_t)in->nlab;
    buf_append(b, &nl, 2);
    for (size_t i = 0; i < in->nlab * 2; i++)
        put16s(b, in->lab[i]);
    int rc = lbuf_append(p->out[o].b, b->data, b->len, err, errlen);
    if (rc == 0)
        in->seg_emitted[o] = lbuf_wseg(p->out[o].b);
    return rc;
}

static void emit(lpipe *p, lin *in, int stream, int64_t ts, unsigned flags, const char *msg,
                 size_t len)
{
    char err[256];
    if (len > p->o.line_max) {
        len = p->o.line_max;
        flags |= LREC_F_TRUNCATED;
    }
    if (flags & LREC_F_TRUNCATED) {
        pthread_mutex_lock(&p->mu);
        p->truncated++;
        in->trunc++;
        pthread_mutex_unlock(&p->mu);
        if (lpipe_ratelim_ok(&p->rl_trunc))
            log_warn("logs",
                     "%s: a line longer than %zu bytes was cut (counted in "
                     "berth_logs_truncated_total)",
                     in->key, p->o.line_max);
    }
    if (lp_utf8_bad(msg, len)) {
        pthread_mutex_lock(&p->mu);
        p->invalid_utf8++;
        pthread_mutex_unlock(&p->mu);
        if (lpipe_ratelim_ok(&p->rl_utf8))
            log_warn("logs",
                     "%s: invalid UTF-8 in a line (shipped, outputs replace it with "
                     "U+FFFD; counted in berth_logs_invalid_utf8_total)",
                     in->key);
    }
    /* the 'L' header, then the message */
    char hdr[24];
    hdr[0] = 'L';
    hdr[1] = (char)stream;
    hdr[2] = (char)flags;
    hdr[3] = 0;
    memcpy(hdr + 4, &in->src, 4);
    memcpy(hdr + 8, &ts, 8);
    uint64_t seq = ++p->seq;
    memcpy(hdr + 16, &seq, 8);
    buf *b = &p->payload;
    for (size_t o = 0; o < p->nout; o++) {
        lbuf *lb = p->out[o].b;
        int r = lbuf_maybe_roll(lb, err, sizeof(err));
        (void)r;
        if (in->seg_emitted[o] != lbuf_wseg(lb) && emit_source(p, in, o, err, sizeof(err)) < 0)
            goto fail;
        buf_reset(b);
        buf_append(b, hdr, sizeof(hdr));
        buf_append(b, msg, len);
        if (lbuf_append(lb, b->data, b->len, err, sizeof(err)) < 0)
            goto fail;
    }
    in->recs++;
    in->bytes += len;
    in->last_ts = ts;
    p->emitted++;
    return;
fail:
    p->write_failed = 1;
    if (lpipe_ratelim_ok(&p->rl_io))
        log_error("logs", "buffer write failed: %s", err);
}

/* ------------------------------------------------------------------ */
/* the reader: lines to records */

static void count_perr(lpipe *p, lin *in, const char *what)
{
    pthread_mutex_lock(&p->mu);
    p->parse_errors++;
    in->perr++;
    pthread_mutex_unlock(&p->mu);
    if (lpipe_ratelim_ok(&p->rl_perr))
        log_warn("logs",
                 "%s: %s; shipped raw with parse_error (counted in "
                 "berth_logs_parse_errors_total)",
                 in->key, what);
}

/* A complete message of one stream, after partial joining: grouped by the
 * multiline pattern when the input has one, else emitted. */
static void deliver(lpipe *p, lin *in, int s, int64_t ts, unsigned flags, const char *msg,
                    size_t len, uint64_t start_off)
{
    if (!in->has_ml || (flags & LREC_F_PARSE_ERROR)) {
        emit(p, in, s, ts, flags, msg, len);
        return;
    }
    /* regexec needs a C string */
    buf *sc = &p->scratch;
    char stackbuf[512];
    const char *cstr;
    char *heap = NULL;
    if (len < sizeof(stackbuf)) {
        memcpy(stackbuf, msg, len);
        stackbuf[len] = '\0';
        cstr = stackbuf;
    } else {
        heap = malloc(len + 1);
        if (!heap)
            abort();
        memcpy(heap, msg, len);
        heap[len] = '\0';
        cstr = heap;
    }
    (void)sc;
    int start = regexec(&in->ml, cstr, 0, NULL, 0) == 0;
    free(heap);
    int g = ML(s);
    buf *gb = &in->join[g];
    if (start || !in->join_on[g]) {
        if (in->join_on[g])
            emit(p, in, s, in->join_ts[g], in->join_trunc[g] ? LREC_F_TRUNCATED : 0, gb->data,
                 gb->len);
        buf_reset(gb);
        in->join_on[g] = 1;
        in->join_trunc[g] = 0;
        in->join_ts[g] = ts;
        in->join_pos[g] = start_off;
        in->join_ino[g] = in->t.ino;
    } else {
        if (gb->len + 1 + len > p->o.line_max)
            in->join_trunc[g] = 1;
        else
            buf_putc(gb, '\n');
    }
    if (!in->join_trunc[g] || gb->len + len <= p->o.line_max)
        buf_append(gb, msg, len);
    in->join_last_ms[g] = clock_mono_ms();
}

/* Multiline groups waiting for their next start line are shipped after a
 * second without one. */
/* Pending joins are shipped when nothing more comes: a multiline group
 * after 1 s without its next start line; a Docker partial line after 5 s
 * without its last piece (a container that printed without a final
 * newline and stopped or went quiet; Docker writes the pieces of one line
 * together, so a late piece is not expected). */
static void flush_groups(lpipe *p, lin *in, int all)
{
    int64_t t = clock_mono_ms();
    for (int s = LREC_STDOUT; s <= LREC_STDERR; s++) {
        int pj = PJ(s);
        if (!in->join_on[pj] || (!all && t - in->join_last_ms[pj] < 5000))
            continue;
        buf *jb = &in->join[pj];
        char *copy = malloc(jb->len ? jb->len : 1);
        if (!copy)
            abort();
        size_t n = jb->len;
        memcpy(copy, jb->data, n);
        in->join_on[pj] = 0;
        buf_reset(jb);
        deliver(p, in, s, in->join_ts[pj], in->join_trunc[pj] ? LREC_F_TRUNCATED : 0, copy, n,
                in->join_pos[pj]);
        free(copy);
    }
    if (!in->has_ml)
        return;
    for (int s = LREC_STDOUT; s <= LREC_FILE; s++) {
        int g = ML(s);
        if (in->join_on[g] && (all || t - in->join_last_ms[g] >= 1000)) {
            emit(p, in, s, in->join_ts[g], in->join_trunc[g] ? LREC_F_TRUNCATED : 0,
                 in->join[g].data, in->join[g].len);
            in->join_on[g] = 0;
            buf_reset(&in->join[g]);
        }
    }
}

static void process_line(lpipe *p, lin *in, int kind, const char *line, size_t len,
                         uint64_t start_off)
{
    unsigned flags = kind == LTAIL_CUT ? LREC_F_TRUNCATED : 0;
    if (kind == LTAIL_UNTERMINATED)
        count_perr(p, in, "unterminated last line");
    if (!in->jsonfile) {
        deliver(p, in, LREC_FILE, clock_wall_ns(), flags, line, len, start_off);
        return;
    }
    buf *sc = &p->scratch;
    buf_reset(sc);
    buf_reserve(sc, len + 1);
    lp_jline jl;
    if (kind != LTAIL_LINE || lp_jsonfile(line, len, sc->data, &jl) < 0) {
        if (kind == LTAIL_LINE)
            count_perr(p, in, "a line that is not json-file JSON");
        emit(p, in, LREC_STDOUT, clock_wall_ns(), flags | LREC_F_PARSE_ERROR, line, len);
        return;
    }
    int s = jl.stream ? jl.stream : LREC_STDOUT;
    int64_t ts = jl.ts_ns ? jl.ts_ns : clock_wall_ns();
    /* Docker partial lines: pieces without '\n' are joined with the next
     * pieces of the same stream */
    int pj = PJ(s);
    if (jl.partial || in->join_on[pj]) {
        buf *jb = &in->join[pj];
        if (!in->join_on[pj]) {
            buf_reset(jb);
            in->join_on[pj] = 1;
            in->join_trunc[pj] = 0;
            in->join_ts[pj] = ts;
            in->join_pos[pj] = start_off;
            in->join_ino[pj] = in->t.ino;
        }
        in->join_last_ms[pj] = clock_mono_ms();
        if (jb->len + jl.msg_len > p->o.line_max) {
            size_t room = p->o.line_max - jb->len;
            buf_append(jb, sc->data, room);
            in->join_trunc[pj] = 1;
        } else {
            buf_append(jb, sc->data, jl.msg_len);
        }
        if (jl.partial)
            return;
        pthread_mutex_lock(&p->mu);
        p->partial_joined++;
        pthread_mutex_unlock(&p->mu);
        in->join_on[pj] = 0;
        /* the joined line is now complete: deliver from a copy, since
         * deliver() may reuse the join slots of multiline */
        size_t jl_len = jb->len;
        char *copy = malloc(jl_len ? jl_len : 1);
        if (!copy)
            abort();
        memcpy(copy, jb->data, jl_len);
        int64_t jts = in->join_ts[pj];
        unsigned jfl = in->join_trunc[pj] ? LREC_F_TRUNCATED : 0;
        uint64_t jpos = in->join_pos[pj];
        buf_reset(jb);
        deliver(p, in, s, jts, jfl, copy, jl_len, jpos);
        free(copy);
        return;
    }
    deliver(p, in, s, ts, 0, sc->data, jl.msg_len, start_off);
}

static void lin_free(lin *in)
{
    if (!in)
        return;
    ltail_free(&in->t);
    for (int i = 0; i < NJOIN; i++)
        buf_free(&in->join[i]);
    for (size_t i = 0; i < in->nlab * 2; i++)
        free(in->lab[i]);
    if (in->has_ml)
        regfree(&in->ml);
    free(in);
}

/* Reads one input for at most budget bytes; returns bytes read. */
static size_t read_input(lpipe *p, lin *in, size_t budget)
{
    size_t got = 0;
    for (;;) {
        const char *line;
        size_t len;
        int k;
        for (;;) {
            uint64_t start = in->t.off - (in->t.rd.len - in->t.rd_start);
            k = ltail_line(&in->t, &line, &len);
            if (!k)
                break;
            process_line(p, in, k, line, len, start);
        }
        if (got >= budget)
            break;
        long r = ltail_fill(&in->t, READ_CHUNK);
        if (r < 0) {
            if (lpipe_ratelim_ok(&p->rl_io))
                log_error("logs", "%s: read: %s", in->t.path, strerror((int)-r));
            break;
        }
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        /* end of file: rotation, truncation, or a removed container */
        int c = ltail_check(&in->t);
        if (c == 1 || c == 2)
            log_debug("logs", "%s: %s, now reading %s (inode %llu)", in->key,
                      c == 1 ? "rotated" : "truncated", in->t.path, (unsigned long long)in->t.ino);
        if (c == 1 || c == 2 || c == 3)
            continue;
        if (in->removed && in->t.rd_start == in->t.rd.len) {
            /* drained to the end: ship what is still joined or grouped,
             * then forget */
            flush_groups(p, in, 1);
            in->done = 1;
        } else if (in->removed) {
            in->t.flush_tail = 1;
            continue;
        }
        break;
    }
    return got;
}

/* Adds an input from the watcher (fd >= 0 already open) or a glob. */
static void add_input(lpipe *p, const char *key, const char *path, int fd, const bmeta *m,
                      int jsonfile)
{
    for (size_t i = 0; i < p->nins; i++)
        if (strcmp(p->ins[i]->key, key) == 0) {
            if (fd >= 0)
                close(fd);
            return;
        }
    lin *in = calloc(1, sizeof(*in));
    if (!in)
        abort();
    snprintf(in->key, sizeof(in->key), "%s", key);
    ltail_init(&in->t, path, p->o.line_max + 65536);
    in->src = ++p->next_src;
    in->jsonfile = jsonfile;
    if (m) {
        in->is_ctr = 1;
        in->jsonfile = 1;
        snprintf(in->cid, sizeof(in->cid), "%s", m->id);
        snprintf(in->name, sizeof(in->name), "%s", m->name);
        snprintf(in->image, sizeof(in->image), "%s", m->image);
        snprintf(in->image_id, sizeof(in->image_id), "%s", m->image_id);
        const char *v;
        if ((v = bmeta_label(m, "com.docker.compose.project")))
            snprintf(in->cproj, sizeof(in->cproj), "%s", v);
        if ((v = bmeta_label(m, "com.docker.compose.service")))
            snprintf(in->csvc, sizeof(in->csvc), "%s", v);
        if ((v = bmeta_label(m, "com.docker.swarm.service.name")))
            snprintf(in->ssvc, sizeof(in->ssvc), "%s", v);
        if ((v = bmeta_label(m, "com.docker.swarm.task.name")))
            snprintf(in->stask, sizeof(in->stask), "%s", v);
        for (size_t i = 0; i < p->o.n_label_allow && in->nlab < MAX_LABELS; i++)
            if ((v = bmeta_label(m, p->o.label_allow[i]))) {
                in->lab[in->nlab * 2] = strdup(p->o.label_allow[i]);
                in->lab[in->nlab * 2 + 1] = strdup(v);
                in->nlab++;
            }
        if ((v = bmeta_label(m, "berth.logs.json")) && strcmp(v, "1") == 0)
            in->json = 1;
        if ((v = bmeta_label(m, "berth.logs.multiline")) && v[0]) {
            if (regcomp(&in->ml, v, REG_EXTENDED | REG_NOSUB) == 0)
                in->has_ml = 1;
            else
                log_warn("logs",
                         "container %s: berth.logs.multiline '%s' is not a valid "
                         "extended regular expression; ignored",
                         m->name, v);
        }
    }
    ckent *ck = ck_find(p, key);
    int resumed = 0, orc;
    if (ck) {
        ck->claimed = 1;
        if (ltail_resume_fd(&in->t, fd, &ck->pos) == 0) {
            resumed = 1;
            if (fd >= 0 && fd != in->t.fd)
                close(fd);
        } else {
            /* rotated away while berth was stopped: every rotated file
             * still there is newer, so go on from the oldest of them */
            if (fd >= 0)
                close(fd);
            fd = -1;
            if (ltail_open_oldest(&in->t) == 0) {
                resumed = 1;
                in->t.gaps++;
            }
            log_warn("logs",
                     "%s: the checkpointed file (inode %llu) was rotated away while berth was "
                     "stopped: lines may be lost (berth_logs_rotation_gaps_total); going on "
                     "with the oldest file left (inode %llu)",
                     key, (unsigned long long)ck->pos.ino, (unsigned long long)in->t.ino);
        }
    }
    if (!resumed) {
        if (fd >= 0)
            ltail_adopt(&in->t, fd);
        else if ((orc = ltail_open(&in->t)) < 0) {
            /* A running container's json-file exists; if it cannot be
             * opened, say so loudly: the usual cause is a missing mount of
             * /var/lib/docker/containers under --host-root. A plain file
             * from a glob may simply not exist yet. */
            if (key[0] == 'c')
                log_warn("logs",
                         "%s: cannot open %s: %s (will retry; is the Docker "
                         "containers directory visible here?)",
                         in->name, path, strerror(-orc));
            else
                log_debug("logs", "%s: not there yet", path);
        }
    }
    ltail_safe_pos(&in->t, &in->ck_pos);
    /* Watch the file's directory (not the file): writes to the file and
     * the rename and create of a rotation all show there. Polling stays
     * the safety net; a failed watch (limit reached) only costs latency. */
    if (p->ifd >= 0) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            if (inotify_add_watch(p->ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
                log_debug("logs", "inotify on %s: %s (polling only)", dir, strerror(errno));
        }
    }
    pthread_mutex_lock(&p->mu);
    if (p->nins == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        lin **n = realloc(p->ins, p->cap * sizeof(*n));
        if (!n)
            abort();
        p->ins = n;
    }
    p->ins[p->nins++] = in;
    pthread_mutex_unlock(&p->mu);
    log_info("logs", "following %s (%s)%s", key[0] == 'c' ? in->name : path, path,
             resumed ? " from its checkpoint" : "");
}

static void scan_globs(lpipe *p)
{
    if (!p->o.files || !p->o.files[0])
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", p->o.files);
    char *save = NULL;
    for (char *g = strtok_r(tmp, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ')
            g++;
        /* "json-file:GLOB": files in Docker's json-file format that no
         * container owns (copies, other engines, benchmarks) */
        int jf = strncmp(g, "json-file:", 10) == 0;
        if (jf)
            g += 10;
        glob_t gl;
        if (glob(g, GLOB_NOSORT, NULL, &gl) != 0)
            continue;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            const char *f = gl.gl_pathv[i];
            size_t fl = strlen(f);
            /* rotated copies are followed through their live file */
            if (fl > 2 && f[fl - 2] == '.' && f[fl - 1] >= '1' && f[fl - 1] <= '9')
                continue;
            char key[600];
            snprintf(key, sizeof(key), "f:%s", f);
            add_input(p, key, f, -1, NULL, jf);
        }
        globfree(&gl);
    }
}

static void handle_queue(lpipe *p)
{
    pthread_mutex_lock(&p->qmu);
    lmsg *q = p->qhead;
    p->qhead = p->qtail = NULL;
    pthread_mutex_unlock(&p->qmu);
    while (q) {
        lmsg *n = q->next;
        char key[80];
        snprintf(key, sizeof(key), "c:%s", q->m.id);
        if (q->kind == 1) {
            add_input(p, key, q->path, q->fd, &q->m, 1);
        } else if (q->kind == 2) {
            for (size_t i = 0; i < p->nins; i++)
                if (strcmp(p->ins[i]->key, key) == 0)
                    p->ins[i]->removed = 1;
        } else if (q->kind == 3) {
            p->synced = 1;
        }
        bmeta_clear(&q->m);
        free(q);
        q = n;
    }
}

static int buffers_full(lpipe *p)
{
    for (size_t o = 0; o < p->nout; o++) {
        lbuf *b = p->out[o].b;
        while (lbuf_used(b) >= p->o.buffer_max) {
            if (p->o.full_policy != LPIPE_FULL_DROP_OLDEST)
                return 1;
            uint64_t bytes;
            uint64_t n = lbuf_drop_oldest(b, &bytes);
            if (!bytes)
                return 1; /* nothing droppable yet: pause this cycle */
            pthread_mutex_lock(&p->mu);
            p->dropped += n;
            p->dropped_bytes += bytes;
            p->out[o].dropped += n;
            pthread_mutex_unlock(&p->mu);
            log_warn("logs",
                     "output %s: buffer full (%" PRIu64 " bytes): dropped the oldest %" PRIu64
                     " records (%" PRIu64 " bytes)",
                     p->out[o].cfg.name, p->o.buffer_max, n, bytes);
        }
    }
    return 0;
}

/* After a failed buffer write (disk full, I/O error): cut every buffer
 * back to the last checkpoint and move every input back to its position
 * there, so the records of this cycle are read again rather than lost. */
static void rewind_all(lpipe *p)
{
    char err[256];
    for (size_t o = 0; o < p->nout; o++)
        if (lbuf_rewind(p->out[o].b, &p->last_end[o], err, sizeof(err)) < 0 &&
            lpipe_ratelim_ok(&p->rl_io))
            log_error("logs", "output %s: %s", p->out[o].cfg.name, err);
    for (size_t i = 0; i < p->nins; i++) {
        lin *in = p->ins[i];
        memset(in->seg_emitted, 0, sizeof(in->seg_emitted));
        for (int g = 0; g < NJOIN; g++) {
            in->join_on[g] = 0;
            buf_reset(&in->join[g]);
        }
        in->done = 0;
        if (in->ck_pos.ino && ltail_resume(&in->t, &in->ck_pos) < 0)
            log_error("logs", "%s: cannot go back to the checkpoint after a write error", in->key);
    }
    p->write_failed = 0;
    p->emitted = 0;
}

/* Flush every buffer, write the checkpoint, publish. Returns 0, or -1
 * when the cycle was undone (see rewind_all). */
static int commit(lpipe *p)
{
    lbuf_pos ends[LPIPE_MAX_OUT];
    char err[256];
    int bad = p->write_failed;
    for (size_t o = 0; o < p->nout && !bad; o++)
        if (lbuf_flush(p->out[o].b, &ends[o], err, sizeof(err)) < 0) {
            if (lpipe_ratelim_ok(&p->rl_io))
                log_error("logs", "output %s: %s", p->out[o].cfg.name, err);
            bad = 1;
        }
    if (bad || ck_write(p, ends) < 0) {
        rewind_all(p);
        return -1;
    }
    for (size_t o = 0; o < p->nout; o++) {
        p->last_end[o] = ends[o];
        lbuf_publish(p->out[o].b, &ends[o]);
    }
    return 0;
}

static void publish_input_metrics(lpipe *p)
{
    uint64_t lag[256];
    size_t n = p->nins < 256 ? p->nins : 256;
    for (size_t i = 0; i < n; i++)
        lag[i] = ltail_behind(&p->ins[i]->t);
    uint64_t rot = 0, ct = 0, gaps = 0;
    for (size_t i = 0; i < p->nins; i++) {
        rot += p->ins[i]->t.rotations;
        ct += p->ins[i]->t.copytruncates;
        gaps += p->ins[i]->t.gaps;
    }
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nins; i++) {
        lin *in = p->ins[i];
        in->pub_recs = in->recs;
        in->pub_bytes = in->bytes;
        in->pub_last_ts = in->last_ts;
        if (i < n)
            in->pub_lag = lag[i];
    }
    /* counts of inputs already forgotten stay in the totals */
    if (rot > p->rotations)
        p->rotations = rot;
    if (ct > p->copytruncates)
        p->copytruncates = ct;
    if (gaps > p->gaps)
        p->gaps = gaps;
    pthread_mutex_unlock(&p->mu);
}

/* Sleeps until a watched directory changes or poll_ms passes. After an
 * inotify wakeup it waits 2 ms more so a burst of small writes becomes one
 * cycle (one commit) rather than one per line. */
static void idle_wait(lpipe *p)
{
    if (p->ifd < 0) {
        struct timespec ts = {p->o.poll_ms / 1000, (p->o.poll_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return;
    }
    struct pollfd pfd = {.fd = p->ifd, .events = POLLIN};
    if (poll(&pfd, 1, (int)p->o.poll_ms) > 0) {
        char evbuf[4096];
        while (read(p->ifd, evbuf, sizeof(evbuf)) > 0)
            ;
        pthread_mutex_lock(&p->mu);
        p->wakeups++;
        pthread_mutex_unlock(&p->mu);
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
}

static void *reader_main(void *arg)
{
    lpipe *p = arg;
    int64_t last_glob = 0;
    int dirty = 1;
    while (!lpipe_stopping(p)) {
        handle_queue(p);
        if (clock_mono_ms() - last_glob >= 2000) {
            scan_globs(p);
            last_glob = clock_mono_ms();
            if (!p->o.use_docker)
                p->synced = 1;
        }
        size_t total = 0;
        int full = buffers_full(p);
        pthread_mutex_lock(&p->mu);
        if (full)
            p->paused_cycles++;
        p->paused = full;
        pthread_mutex_unlock(&p->mu);
        if (!full) {
            /* round robin with a per-input budget, until all are idle or the
             * cycle is big enough to commit */
            for (int round = 0; round < 64 && total < CYCLE_BYTES; round++) {
                size_t r = 0;
                for (size_t i = 0; i < p->nins; i++)
                    if (!p->ins[i]->done)
                        r += read_input(p, p->ins[i], 2 * READ_CHUNK);
                total += r;
                if (!r || buffers_full(p))
                    break;
            }
        }
        int forget = 0;
        for (size_t i = 0; i < p->nins; i++) {
            flush_groups(p, p->ins[i], 0);
            forget |= p->ins[i]->done;
        }
        publish_input_metrics(p);
        if (total || forget || dirty || p->emitted) {
            p->emitted = 0;
            if (commit(p) < 0) {
                /* undone: wait a little before trying the disk again */
                struct timespec ts = {1, 0};
                nanosleep(&ts, NULL);
                continue;
            }
            dirty = 0;
        }
        if (forget) {
            /* the final records are committed: forget drained inputs */
            pthread_mutex_lock(&p->mu);
            size_t j = 0;
            for (size_t i = 0; i < p->nins; i++) {
                if (p->ins[i]->done) {
                    log_info("logs", "%s: drained and forgotten", p->ins[i]->key);
                    lin_free(p->ins[i]);
                } else {
                    p->ins[j++] = p->ins[i];
                }
            }
            p->nins = j;
            pthread_mutex_unlock(&p->mu);
            dirty = 1;
        }
        if (!total && !lpipe_stopping(p))
            idle_wait(p);
    }
    commit(p);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* metrics */

static void put_label_value(buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            buf_putc(b, '\\');
        if (*v == '\n') {
            buf_puts(b, "\\n");
            continue;
        }
        buf_putc(b, *v);
    }
}

static void in_labels(buf *b, const lin *in)
{
    if (in->is_ctr) {
        buf_puts(b, "{id=\"");
        put_label_value(b, in->cid);
        buf_puts(b, "\",name=\"");
        put_label_value(b, in->name);
        buf_puts(b, "\"}");
    } else {
        buf_puts(b, "{path=\"");
        put_label_value(b, in->t.path);
        buf_puts(b, "\"}");
    }
}

void lpipe_render_prom(lpipe *p, buf *b)
{
    if (!p)
        return;
    int64_t now = clock_wall_ns();
    pthread_mutex_lock(&p->mu);
    static const struct {
        const char *name, *type, *help;
    } inm[] = {
        {"berth_logs_input_records_total", "counter", "Log records read from an input."},
        {"berth_logs_input_bytes_total", "counter", "Message bytes read from an input."},
        {"berth_logs_input_lag_bytes", "gauge", "Bytes of an input not read yet."},
        {"berth_logs_input_lag_seconds", "gauge",
         "Age of the last record read while the input is behind, else 0."},
    };
    for (size_t k = 0; k < 4; k++) {
        prom_family(b, inm[k].name, inm[k].type, inm[k].help);
        for (size_t i = 0; i < p->nins; i++) {
            const lin *in = p->ins[i];
            buf_puts(b, inm[k].name);
            in_labels(b, in);
            buf_putc(b, ' ');
            if (k == 0)
                buf_put_u64(b, in->pub_recs);
            else if (k == 1)
                buf_put_u64(b, in->pub_bytes);
            else if (k == 2)
                buf_put_u64(b, in->pub_lag);
            else
                buf_put_double(b, in->pub_lag && in->pub_last_ts
                                      ? (double)(now - in->pub_last_ts) / 1e9
                                      : 0.0);
            buf_putc(b, '\n');
        }
    }
    static const char *const onames[] = {
        "berth_logs_output_records_sent_total",
        "berth_logs_output_bytes_sent_total",
        "berth_logs_output_records_retried_total",
        "berth_logs_output_records_rejected_total",
        "berth_logs_output_records_dropped_total",
        "berth_logs_output_errors_total",
        "berth_logs_output_batches_total",
        "berth_logs_buffer_bytes",
        "berth_logs_output_lag_bytes",
        "berth_logs_output_lag_seconds",
    };
    static const char *const ohelp[] = {
        "Records the output acknowledged.",
        "Message bytes the output acknowledged.",
        "Records sent again (whole-batch failures and per-record RETRY).",
        "Records the receiver refused for good (dropped, logged).",
        "Records dropped from the full buffer (logs_full_policy drop_oldest).",
        "Failed sends (connection, timeout, bad reply).",
        "Batches acknowledged.",
        "Bytes in the output's disk buffer.",
        "Buffered bytes the output has not acknowledged.",
        "Age of the oldest record not acknowledged, 0 when caught up.",
    };
    for (size_t k = 0; k < 10; k++) {
        prom_family(b, onames[k], k < 7 ? "counter" : "gauge", ohelp[k]);
        for (size_t o = 0; o < p->nout; o++) {
            const lsend *s = &p->out[o];
            buf_printf(b, "%s{output=\"%s\",type=\"%s\"} ", onames[k], s->cfg.name, s->cfg.type);
            uint64_t v = 0;
            switch (k) {
            case 0:
                v = s->sent;
                break;
            case 1:
                v = s->sent_bytes;
                break;
            case 2:
                v = s->retried;
                break;
            case 3:
                v = s->rejected;
                break;
            case 4:
                v = s->dropped;
                break;
            case 5:
                v = s->errors;
                break;
            case 6:
                v = s->batches;
                break;
            case 7:
                v = 0;
                break;
            case 8:
                v = s->behind;
                break;
            default:
                break;
            }
            if (k == 7) {
                pthread_mutex_unlock(&p->mu);
                v = lbuf_used(s->b);
                pthread_mutex_lock(&p->mu);
            }
            if (k == 9)
                buf_put_double(b, s->behind && s->oldest_unsent_ts
                                      ? (double)(now - s->oldest_unsent_ts) / 1e9
                                      : 0.0);
            else
                buf_put_u64(b, v);
            buf_putc(b, '\n');
        }
    }
    static const char *const gnames[] = {
        "berth_logs_parse_errors_total",  "berth_logs_invalid_utf8_total",
        "berth_logs_truncated_total",     "berth_logs_partial_joined_total",
        "berth_logs_rotations_total",     "berth_logs_copytruncates_total",
        "berth_logs_rotation_gaps_total", "berth_logs_dropped_records_total",
        "berth_logs_dropped_bytes_total", "berth_logs_checkpoints_total",
        "berth_logs_paused_cycles_total",
    };
    uint64_t gv[] = {p->parse_errors,  p->invalid_utf8,  p->truncated,    p->partial_joined,
                     p->rotations,     p->copytruncates, p->gaps,         p->dropped,
                     p->dropped_bytes, p->ck_writes,     p->paused_cycles};
    static const char *const ghelp[] = {
        "Lines that were not valid json-file JSON or ended without a newline (shipped raw).",
        "Records with invalid UTF-8 (shipped; outputs substitute U+FFFD).",
        "Lines cut at the line cap (logs_line_max).",
        "Docker partial lines (over 16 KiB) joined back.",
        "Rotations followed.",
        "Copy-truncates detected.",
        "Rotations where an unread rotated file could not be ordered (possible loss).",
        "Records dropped from full buffers.",
        "Bytes dropped from full buffers.",
        "Checkpoints written.",
        "Reader cycles paused because a buffer was full.",
    };
    for (size_t k = 0; k < sizeof(gv) / sizeof(gv[0]); k++) {
        prom_family(b, gnames[k], "counter", ghelp[k]);
        buf_printf(b, "%s ", gnames[k]);
        buf_put_u64(b, gv[k]);
        buf_putc(b, '\n');
    }
    prom_family(b, "berth_logs_paused", "gauge", "1 while reading is paused by a full buffer.");
    buf_printf(b, "berth_logs_paused %d\n", p->paused);
    prom_family(b, "berth_logs_inotify_wakeups_total", "counter",
                "Reader wakeups by inotify (the rest are polls every logs_poll).");
    buf_printf(b, "berth_logs_inotify_wakeups_total %llu\n", (unsigned long long)p->wakeups);
    prom_family(b, "berth_logs_inputs", "gauge", "Inputs followed.");
    buf_printf(b, "berth_logs_inputs %zu\n", p->nins);
    pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------ */
/* start and stop */

int lpipe_start(const lpipe_opts *o, lpipe **out, char *err, size_t errlen)
{
    *out = NULL;
    lpipe *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    int rc = 0;
    p->o = *o;
    if (!p->o.poll_ms)
        p->o.poll_ms = 100;
    if (!p->o.line_max)
        p->o.line_max = 1u << 20;
    if (!p->o.buffer_max)
        p->o.buffer_max = 1ull << 30;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->qmu, NULL);
    p->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    snprintf(p->dir, sizeof(p->dir), "%s", o->buffer_dir);
    snprintf(p->host_root, sizeof(p->host_root), "%s",
             o->host_root && strcmp(o->host_root, "/") ? o->host_root : "");
    snprintf(p->ddir, sizeof(p->ddir), "%s/var/lib/docker/containers", p->host_root);
    if (gethostname(p->host, sizeof(p->host)) < 0)
        snprintf(p->host, sizeof(p->host), "unknown");
    p->host[sizeof(p->host) - 1] = '\0';
    if (mkdir(p->dir, 0750) < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "logs_buffer_dir %s: %s", p->dir, strerror(errno));
        goto fail;
    }

    /* outputs */
    char defline[700];
    const char *deflist[1];
    const char *const *lines = o->outputs;
    size_t nl = o->n_outputs;
    if (!nl) {
        snprintf(defline, sizeof(defline), "file file path=%s/out.ndjson", p->dir);
        deflist[0] = defline;
        lines = deflist;
        nl = 1;
    }
    if (nl > LPIPE_MAX_OUT) {
        snprintf(err, errlen, "at most %d log outputs", LPIPE_MAX_OUT);
        rc = -EINVAL;
        goto fail;
    }
    for (size_t i = 0; i < nl; i++) {
        lsend *s = &p->out[i];
        s->p = p;
        s->idx = (int)i;
        if ((rc = lpipe_parse_output(lines[i], &s->cfg, err, errlen)) < 0)
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->out[j].cfg.name, s->cfg.name) == 0) {
                snprintf(err, errlen, "log_output %s: name used twice", s->cfg.name);
                rc = -EINVAL;
                goto fail;
            }
        if ((rc = take_pipeline_opts(s, err, errlen)) < 0)
            goto fail;
        s->ops = lout_find(s->cfg.type);
        if (!s->ops) {
            snprintf(err, errlen, "log_output %s: no output type '%s'", s->cfg.name, s->cfg.type);
            rc = -EINVAL;
            goto fail;
        }
        char e2[400];
        if ((rc = s->ops->create(&s->cfg, &s->state, e2, sizeof(e2))) < 0) {
            snprintf(err, errlen, "log_output %s: %s", s->cfg.name, e2);
            goto fail;
        }
        p->nout++;
    }
    lbuf_pos ends[LPIPE_MAX_OUT];
    int has_end[LPIPE_MAX_OUT] = {0};
    ck_load(p, ends, has_end);
    for (size_t i = 0; i < p->nout; i++) {
        char bdir[700];
        snprintf(bdir, sizeof(bdir), "%s/buf-%s", p->dir, p->out[i].cfg.name);
        uint64_t seg = p->o.buffer_max / 16;
        if (seg > (32u << 20))
            seg = 32u << 20;
        if (seg < (64u << 10))
            seg = 64u << 10;
        lbuf_opts bo = {
            .dir = bdir, .seg_bytes = seg, .sync = p->o.sync, .end = has_end[i] ? &ends[i] : NULL};
        if ((rc = lbuf_open(&bo, &p->out[i].b, err, errlen)) < 0)
            goto fail;
        p->last_end[i] = (lbuf_pos){lbuf_wseg(p->out[i].b), 0};
    }
    if (o->use_docker) {
        if ((rc = dk_client_new(o->docker_host, &p->dk, err, errlen)) < 0 ||
            (rc = dk_client_new(o->docker_host, &p->dk2, err, errlen)) < 0)
            goto fail;
        if (pthread_create(&p->watcher, NULL, lpipe_watcher_main, p) == 0)
            p->watcher_on = 1;
    }
    if (pthread_create(&p->reader, NULL, reader_main, p) == 0)
        p->reader_on = 1;
    for (size_t i = 0; i < p->nout; i++)
        if (pthread_create(&p->out[i].th, NULL, lpipe_sender_main, &p->out[i]) == 0)
            p->out[i].started = 1;
    log_info("logs",
             "log pipeline: %zu output%s, buffers in %s (max %llu bytes each, %s when "
             "full)",
             p->nout, p->nout == 1 ? "" : "s", p->dir, (unsigned long long)p->o.buffer_max,
             p->o.full_policy == LPIPE_FULL_DROP_OLDEST ? "drop oldest" : "pause");
    *out = p;
    return 0;
fail:
    lpipe_stop(p);
    return rc;
}

void lpipe_stop(lpipe *p)
{
    if (!p)
        return;
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
    if (p->dk)
        dk_cancel(p->dk);
    if (p->watcher_on)
        pthread_join(p->watcher, NULL);
    if (p->reader_on)
        pthread_join(p->reader, NULL);
    for (size_t i = 0; i < p->nout; i++) {
        if (p->out[i].b)
            lbuf_wake(p->out[i].b);
        if (p->out[i].started)
            pthread_join(p->out[i].th, NULL);
    }
    for (size_t i = 0; i < LPIPE_MAX_OUT; i++) {
        if (p->out[i].ops && p->out[i].state)
            p->out[i].ops->destroy(p->out[i].state);
        lbuf_close(p->out[i].b);
    }
    for (size_t i = 0; i < p->nins; i++)
        lin_free(p->ins[i]);
    free(p->ins);
    free(p->ck);
    lmsg *q = p->qhead;
    while (q) {
        lmsg *n = q->next;
        if (q->fd >= 0)
            close(q->fd);
        bmeta_clear(&q->m);
        free(q);
        q = n;
    }
    dk_client_free(p->dk);
    dk_client_free(p->dk2);
    if (p->ifd >= 0)
        close(p->ifd);
    buf_free(&p->scratch);
    buf_free(&p->payload);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->qmu);
    free(p);
}
