/*
 * lpipe: the log pipeline's reader loop and its start and stop. The other
 * jobs live beside it: the configuration in lconf.c, the checkpoint file
 * in lckpt.c, the buffer payloads in lframe.c (format in lframe.h), the
 * inputs in linput.c, the Docker watcher in lwatch.c, the senders in
 * lsend.c, their shared types in lpipe_int.h. See lpipe.h for the
 * durability protocol, ltail.h for following files, lbuf.h for the disk
 * buffer, lout.h for outputs; the metrics are rendered from a copy
 * (lpipe_get_stats) by export/prom_logs.c.
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
 *
 * Invariants:
 *  - the queue from the watcher to the reader (p->qmu) and the metrics with
 *    the list of inputs (p->mu) are the only shared state, each under its
 *    own mutex; the two are never held together, and no buffer lock (lbuf)
 *    is taken while p->mu is held;
 *  - the reader alone adds, reads and frees inputs, and alone writes the
 *    buffers and the checkpoint; it takes p->mu only to count and to
 *    change p->ins, so a /metrics copy never waits for I/O;
 *  - p->nout and the outputs' configuration are fixed once lpipe_start
 *    returns.
 */
#include <errno.h>
#include <inttypes.h>
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
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

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
/* the reader: emitting records */

static int emit_source(lpipe *p, lin *in, size_t o, char *err, size_t errlen)
{
    buf *b = &p->payload;
    buf_reset(b);
    const char *tags[LFRAME_NTAGS] = {p->host,   in->cid,  in->name, in->image, in->image_id,
                                      in->cproj, in->csvc, in->ssvc, in->stask, in->t.path};
    lframe_put_source(b, in->src, in->json ? SRC_FLAG_JSON : 0, tags, in->lab, in->nlab);
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
    char hdr[LFRAME_LHDR];
    uint64_t seq = ++p->seq;
    lframe_line_hdr(hdr, stream, flags, in->src, ts, seq);
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
        heap = xmalloc(len + 1);
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
        char *copy = xmalloc(jb->len ? jb->len : 1);
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
        char *copy = xmalloc(jl_len ? jl_len : 1);
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
        int e = linput_at_eof(in);
        if (e == LINPUT_MORE)
            continue;
        if (e == LINPUT_DRAINED) {
            /* drained to the end: ship what is still joined or grouped,
             * then forget */
            flush_groups(p, in, 1);
            in->done = 1;
        }
        break;
    }
    return got;
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
    if (bad || lckpt_write(p, ends) < 0) {
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
        linput_handle_queue(p);
        if (clock_mono_ms() - last_glob >= 2000) {
            linput_scan_globs(p);
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
                    linput_free(p->ins[i]);
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
/* metrics: a copy for the renderer (export/prom_logs.c) */

int lpipe_get_stats(lpipe *p, lpipe_stats *st)
{
    st->on = 0;
    st->nins = st->nout = 0;
    if (!p)
        return -ENOENT;
    st->on = 1;
    st->now_ns = clock_wall_ns();
    /* lbuf_used takes the buffer's lock: never under p->mu (a flush may
     * hold the buffer's lock for an fdatasync) */
    uint64_t used[LPIPE_MAX_OUT] = {0};
    for (size_t o = 0; o < p->nout; o++)
        used[o] = lbuf_used(p->out[o].b);
    pthread_mutex_lock(&p->mu);
    if (p->nins > st->cap) {
        size_t nc = p->nins + 16;
        lpipe_in_stats *n = xrealloc(st->ins, nc * sizeof(*n));
        st->ins = n;
        st->cap = nc;
    }
    for (size_t i = 0; i < p->nins; i++) {
        const lin *in = p->ins[i];
        lpipe_in_stats *d = &st->ins[i];
        d->is_ctr = in->is_ctr;
        memcpy(d->id, in->cid, sizeof(d->id));
        memcpy(d->name, in->name, sizeof(d->name));
        memcpy(d->path, in->t.path, sizeof(d->path));
        d->recs = in->pub_recs;
        d->bytes = in->pub_bytes;
        d->lag_bytes = in->pub_lag;
        d->last_ts_ns = in->pub_last_ts;
    }
    st->nins = p->nins;
    for (size_t o = 0; o < p->nout; o++) {
        const lsend *s = &p->out[o];
        lpipe_out_stats *d = &st->out[o];
        memcpy(d->name, s->cfg.name, sizeof(d->name));
        memcpy(d->type, s->cfg.type, sizeof(d->type));
        d->sent = s->sent;
        d->sent_bytes = s->sent_bytes;
        d->retried = s->retried;
        d->rejected = s->rejected;
        d->dropped = s->dropped;
        d->errors = s->errors;
        d->batches = s->batches;
        d->buffer_bytes = used[o];
        d->lag_bytes = s->behind;
        d->oldest_unsent_ts_ns = s->oldest_unsent_ts;
    }
    st->nout = p->nout;
    st->parse_errors = p->parse_errors;
    st->invalid_utf8 = p->invalid_utf8;
    st->truncated = p->truncated;
    st->partial_joined = p->partial_joined;
    st->rotations = p->rotations;
    st->copytruncates = p->copytruncates;
    st->gaps = p->gaps;
    st->dropped = p->dropped;
    st->dropped_bytes = p->dropped_bytes;
    st->ck_writes = p->ck_writes;
    st->paused_cycles = p->paused_cycles;
    st->paused = (uint64_t)p->paused;
    st->wakeups = p->wakeups;
    st->inputs = p->nins;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void lpipe_stats_free(lpipe_stats *st)
{
    free(st->ins);
    memset(st, 0, sizeof(*st));
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

    if ((rc = lconf_outputs(p, o, err, errlen)) < 0)
        goto fail;
    lbuf_pos ends[LPIPE_MAX_OUT];
    int has_end[LPIPE_MAX_OUT] = {0};
    lckpt_load(p, ends, has_end);
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
        linput_free(p->ins[i]);
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
