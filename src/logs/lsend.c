/*
 * lsend: one output's sender thread. Reads batches of frames from the
 * output's disk buffer up to the published end, decodes them into lrec
 * views (tags from the segment's 'S' frames, JSON fields for sources with
 * berth.logs.json=1), calls the output's send(), retries whole-batch
 * failures and per-record RETRY with exponential backoff and jitter, drops
 * and counts REJECTs, and saves the cursor after each acknowledged batch.
 * The payloads are decoded by lframe.c (format in lframe.h).
 *
 * Invariants: runs on its own thread and touches only its lsend, its lbuf
 * and p->mu (for the metrics, never held across a send or a sleep; no other
 * lock is taken under it). The source table belongs to the segment
 * srcs_seg: it is reset at every segment change, and a source redefined in
 * the middle of a batch is kept in the grave until the batch is sent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logs/lparse.h"
#include "logs/lpipe_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ */
/* the senders */

static void grave_clear(lsend *s)
{
    for (size_t i = 0; i < s->ngrave; i++)
        lframe_src_free(&s->grave[i]);
    free(s->grave);
    s->grave = NULL;
    s->ngrave = 0;
}

static void srcs_reset(lsend *s, uint64_t seg)
{
    for (size_t i = 0; i < s->nsrcs; i++)
        if (s->srcs[i].used)
            lframe_src_free(&s->srcs[i]);
    s->srcs_seg = seg;
}

/* Defines a source from an 'S' payload (decoded by lframe, which checks
 * the bounds: disk data). */
static void src_define(lsend *s, const char *q, size_t len)
{
    uint32_t id;
    lsrc tmp;
    if (lframe_get_source(q, len, &id, &tmp) < 0)
        return;
    if (id > 1000000) {
        lframe_src_free(&tmp);
        return;
    }
    if (id >= s->nsrcs) {
        size_t nn = id + 64;
        lsrc *n = xrealloc(s->srcs, nn * sizeof(*n));
        memset(n + s->nsrcs, 0, (nn - s->nsrcs) * sizeof(*n));
        s->srcs = n;
        s->nsrcs = nn;
    }
    lsrc *old = &s->srcs[id];
    if (old->used) {
        /* redefined inside a batch (after a rewind): records already
         * decoded point at the old strings, free them after the send */
        lsrc *g = xrealloc(s->grave, (s->ngrave + 1) * sizeof(*g));
        s->grave = g;
        s->grave[s->ngrave++] = *old;
    }
    *old = tmp;
}

/* Sources of segment seg defined before offset upto (a restart in the
 * middle of a segment). */
static void srcs_load(lsend *s, uint64_t seg, uint64_t upto)
{
    srcs_reset(s, seg);
    buf raw = BUF_INIT;
    lbuf_pos cur = {seg, 0}, next;
    char err[256];
    while (cur.off < upto) {
        int ch;
        buf_reset(&raw);
        int n = lbuf_read(s->b, &cur, upto, &raw, 4u << 20, 100000, &next, &ch, err, sizeof(err));
        if (n <= 0)
            break;
        size_t q = 0;
        for (int i = 0; i < n; i++) {
            uint32_t len;
            memcpy(&len, raw.data + q, 4);
            const char *pl = raw.data + q + LBUF_HDR;
            if (pl[0] == 'S')
                src_define(s, pl, len);
            q += LBUF_HDR + len;
        }
        cur = next;
    }
    buf_free(&raw);
}

static int sleep_ms_unless_stop(lpipe *p, int64_t ms)
{
    while (ms > 0 && !lpipe_stopping(p)) {
        int64_t step = ms > 100 ? 100 : ms;
        usleep((useconds_t)step * 1000);
        ms -= step;
    }
    return lpipe_stopping(p);
}

static int64_t jitter(int64_t ms, unsigned *seed)
{
    /* between 50% and 150% */
    return ms / 2 + (int64_t)(rand_r(seed) % (unsigned)(ms + 1));
}

/* Sends recs[0..n) until every record is OK or REJECTed; 0, or -1 when the
 * pipeline stopped first (nothing acknowledged then). */
static int send_all(lsend *s, lrec *recs, size_t n, unsigned *seed)
{
    lpipe *p = s->p;
    uint8_t *st = malloc(n ? n : 1);
    size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
    lrec *sub = malloc((n ? n : 1) * sizeof(lrec));
    if (!st || !idx || !sub)
        abort();
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    size_t m = n;
    int64_t backoff = 100;
    int rc = 0;
    while (m) {
        if (lpipe_stopping(p)) {
            rc = -1;
            break;
        }
        uint64_t behind = lbuf_behind(s->b, &s->cur);
        pthread_mutex_lock(&p->mu);
        s->behind = behind;
        pthread_mutex_unlock(&p->mu);
        for (size_t i = 0; i < m; i++)
            sub[i] = recs[idx[i]];
        char err[512] = "";
        memset(st, LOUT_RETRY, m);
        int r = s->ops->send(s->state, sub, m, st, err, sizeof(err));
        if (r < 0) {
            pthread_mutex_lock(&p->mu);
            s->errors++;
            s->retried += m;
            pthread_mutex_unlock(&p->mu);
            if (lpipe_ratelim_ok(&s->rl_err))
                log_warn("logs", "output %s: %s (retrying %zu records in %lld ms)", s->cfg.name,
                         err[0] ? err : strerror(-r), m, (long long)backoff);
            sleep_ms_unless_stop(p, jitter(backoff, seed));
            backoff = backoff * 2 > s->retry_max_ms ? s->retry_max_ms : backoff * 2;
            continue;
        }
        size_t keep = 0;
        uint64_t ok = 0, okb = 0, rej = 0;
        for (size_t i = 0; i < m; i++) {
            if (st[i] == LOUT_OK) {
                ok++;
                okb += sub[i].msg_len;
            } else if (st[i] == LOUT_REJECT) {
                rej++;
                if (lpipe_ratelim_ok(&s->rl_reject))
                    log_warn("logs",
                             "output %s rejected a record of %s (%s); dropped, counted "
                             "in berth_logs_output_rejected_total",
                             s->cfg.name,
                             sub[i].container_name[0] ? sub[i].container_name : sub[i].path,
                             err[0] ? err : "no reason given");
            } else {
                idx[keep++] = idx[i];
            }
        }
        pthread_mutex_lock(&p->mu);
        s->sent += ok;
        s->sent_bytes += okb;
        s->rejected += rej;
        s->retried += keep;
        pthread_mutex_unlock(&p->mu);
        m = keep;
        if (m) {
            sleep_ms_unless_stop(p, jitter(backoff, seed));
            backoff = backoff * 2 > s->retry_max_ms ? s->retry_max_ms : backoff * 2;
        }
    }
    free(st);
    free(idx);
    free(sub);
    return rc;
}

void *lpipe_sender_main(void *arg)
{
    lsend *s = arg;
    lpipe *p = s->p;
    unsigned seed = (unsigned)(clock_wall_ns() / 1000000000) ^ (unsigned)(uintptr_t)s;
    lbuf_pos cur = lbuf_cursor(s->b);
    srcs_load(s, cur.seg, cur.off);
    buf raw = BUF_INIT;
    lrec *recs = calloc(s->batch_records, sizeof(lrec));
    size_t *foff = calloc(s->batch_records, sizeof(size_t));
    lrec_kv *fields = NULL;
    size_t fcap = 0;
    if (!recs || !foff)
        abort();
    while (!lpipe_stopping(p)) {
        s->cur = cur;
        uint64_t behind = lbuf_behind(s->b, &cur);
        pthread_mutex_lock(&p->mu);
        s->behind = behind;
        if (!behind)
            s->oldest_unsent_ts = 0;
        pthread_mutex_unlock(&p->mu);
        if (!lbuf_wait(s->b, &cur, 500))
            continue;
        char err[512];
        lbuf_pos next;
        int ch;
        buf_reset(&raw);
        int n = lbuf_read(s->b, &cur, UINT64_MAX, &raw, s->batch_bytes, s->batch_records, &next,
                          &ch, err, sizeof(err));
        if (n < 0) {
            if (lpipe_ratelim_ok(&s->rl_err))
                log_error("logs", "output %s: buffer read: %s", s->cfg.name, err);
            sleep_ms_unless_stop(p, 1000);
            continue;
        }
        if (ch) {
            cur = next;
            srcs_reset(s, cur.seg);
            continue;
        }
        if (n == 0) {
            if (next.off != cur.off) { /* skipped a corrupt rest */
                lbuf_ack(s->b, &next, err, sizeof(err));
                cur = next;
            }
            continue;
        }
        if (s->srcs_seg != cur.seg)
            srcs_reset(s, cur.seg);
        size_t nr = 0, fused = 0, q = 0;
        for (int i = 0; i < n; i++) {
            uint32_t len;
            memcpy(&len, raw.data + q, 4);
            const char *pl = raw.data + q + LBUF_HDR;
            q += LBUF_HDR + len;
            if (pl[0] == 'S') {
                src_define(s, pl, len);
                continue;
            }
            uint32_t sid;
            lrec *r = &recs[nr];
            memset(r, 0, sizeof(*r));
            if (lframe_get_line(pl, len, &sid, r) < 0)
                continue;
            static const char empty[] = "";
            const lsrc *src = sid < s->nsrcs && s->srcs[sid].used ? &s->srcs[sid] : NULL;
            const char **tags[LFRAME_NTAGS] = {&r->host,
                                               &r->container_id,
                                               &r->container_name,
                                               &r->image,
                                               &r->image_id,
                                               &r->compose_project,
                                               &r->compose_service,
                                               &r->swarm_service,
                                               &r->swarm_task,
                                               &r->path};
            for (int k = 0; k < LFRAME_NTAGS; k++)
                *tags[k] = src ? src->str[k] : empty;
            if (src) {
                r->labels = src->lab;
                r->nlabels = src->nlab;
            }
            foff[nr] = SIZE_MAX;
            if (src && (src->flags & SRC_FLAG_JSON) && r->msg_len && r->msg[0] == '{') {
                if (fused + 64 > fcap) {
                    fcap = (fused + 64) * 2;
                    lrec_kv *nf = xrealloc(fields, fcap * sizeof(*nf));
                    fields = nf;
                }
                int k = lp_json_fields(r->msg, r->msg_len, fields + fused, 64);
                if (k > 0) {
                    foff[nr] = fused;
                    r->nfields = (size_t)k;
                    fused += (size_t)k;
                }
            }
            if (nr == 0) {
                pthread_mutex_lock(&p->mu);
                s->oldest_unsent_ts = r->ts_ns;
                pthread_mutex_unlock(&p->mu);
            }
            nr++;
        }
        for (size_t i = 0; i < nr; i++)
            if (foff[i] != SIZE_MAX)
                recs[i].fields = fields + foff[i];
        int sr = nr ? send_all(s, recs, nr, &seed) : 0;
        grave_clear(s);
        if (sr < 0)
            break; /* stopping: not acknowledged, sent again after restart */
        if (lbuf_ack(s->b, &next, err, sizeof(err)) < 0 && lpipe_ratelim_ok(&s->rl_err))
            log_error("logs", "output %s: %s", s->cfg.name, err);
        cur = next;
        pthread_mutex_lock(&p->mu);
        s->batches++;
        pthread_mutex_unlock(&p->mu);
        if (raw.cap > (16u << 20))
            buf_free(&raw);
    }
    srcs_reset(s, 0);
    grave_clear(s);
    free(s->srcs);
    s->srcs = NULL;
    s->nsrcs = 0;
    buf_free(&raw);
    free(recs);
    free(foff);
    free(fields);
    return NULL;
}
