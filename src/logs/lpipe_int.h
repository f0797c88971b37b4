/*
 * lpipe_int: the log pipeline's private types and the functions its files
 * share: lpipe.c (the reader loop, start and stop, the metrics copy),
 * lconf.c (configuration), lckpt.c (the checkpoint file), linput.c (the
 * inputs), lwatch.c (the Docker watcher) and lsend.c (one sender per
 * output); lframe.c (the buffer payloads) needs none of it. Nothing outside
 * those files includes it; the pipeline's interface is lpipe.h. See lpipe.c
 * for the threads and the lock rules, lframe.h for the record format.
 *
 * The types come first and every file includes only this header (and the
 * lower modules), so the files of the pipeline call each other without
 * including each other: no include circle.
 */
#ifndef BERTH_LPIPE_INT_H
#define BERTH_LPIPE_INT_H

#include <pthread.h>
#include <regex.h>
#include <stdint.h>

#include "docker/docker.h"
#include "logs/lbuf.h"
#include "logs/lframe.h"
#include "logs/lout.h"
#include "logs/lpipe.h"
#include "logs/lrec.h"
#include "logs/ltail.h"
#include "util/buf.h"
#include "util/clock.h"

#define SRC_FLAG_JSON LFRAME_SRC_JSON
#define READ_CHUNK    (1u << 20)
#define CYCLE_BYTES   (32u << 20)
#define MAX_LABELS    32

/* Join slots: Docker partial lines of stream s in PJ(s), multiline groups
 * of stream s in ML(s); s is LREC_STDOUT, LREC_STDERR or LREC_FILE. */
#define NJOIN 6
#define PJ(s) ((s)-1)
#define ML(s) (2 + (s))

/* At most one message per kind per 10 s; the counters carry the rest. */
typedef struct ratelim {
    int64_t last_ms;
    uint64_t suppressed;
} ratelim;

/* ------------------------------------------------------------------ */
/* inputs */

typedef struct lin {
    char key[600]; /* "c:<id>" or "f:<path>" */
    int is_ctr;
    int jsonfile; /* lines are Docker json-file (containers, json-file: globs) */
    uint32_t src;
    uint64_t seg_emitted[LPIPE_MAX_OUT];
    /* tags */
    char cid[65], name[128], image[256], image_id[80];
    char cproj[128], csvc[128], ssvc[128], stask[160];
    char *lab[MAX_LABELS * 2];
    size_t nlab;
    int json;
    int has_ml;
    regex_t ml;
    ltail t;
    ltail_pos ck_pos;  /* position in the last checkpoint written */
    ltail_pos ck_next; /* position in the checkpoint being written */
    /* partial (docker) and multiline joins, per stream */
    buf join[NJOIN];
    int join_on[NJOIN];
    int join_trunc[NJOIN];
    int64_t join_ts[NJOIN];
    uint64_t join_pos[NJOIN]; /* offset of the first piece (for the checkpoint) */
    uint64_t join_ino[NJOIN]; /* ... in this file */
    int64_t join_last_ms[NJOIN];
    int removed; /* container gone: drain, then forget */
    int done;
    /* metrics: the reader's own counters, and a copy under lpipe.mu
     * published once per cycle for /metrics */
    uint64_t recs, bytes, perr, trunc;
    int64_t last_ts;
    uint64_t pub_recs, pub_bytes, pub_lag;
    int64_t pub_last_ts;
} lin;

typedef struct ckent {
    char key[600];
    ltail_pos pos;
    int claimed;
} ckent;

/* A message from the docker watcher to the reader. */
typedef struct lmsg {
    struct lmsg *next;
    int kind; /* 1 add, 2 remove, 3 initial sync done */
    int fd;
    bmeta m;
    char path[512];
} lmsg;

/* ------------------------------------------------------------------ */
/* outputs */

/* A source definition as a sender decoded it from an 'S' payload. */
typedef lframe_src lsrc;

typedef struct lsend {
    struct lpipe *p;
    int idx;
    lout_cfg cfg;
    const lout_ops *ops;
    void *state;
    lbuf *b;
    pthread_t th;
    int started;
    size_t batch_records, batch_bytes;
    int64_t retry_max_ms;
    /* source table of the current segment */
    lsrc *srcs;
    size_t nsrcs;
    uint64_t srcs_seg;
    lsrc *grave; /* replaced definitions still referenced by the batch */
    size_t ngrave;
    ratelim rl_reject, rl_err;
    /* metrics (under p->mu) */
    uint64_t sent, sent_bytes, retried, rejected, dropped, errors, batches;
    int64_t oldest_unsent_ts;
    uint64_t behind;
    lbuf_pos cur; /* sender's position (sender thread only) */
} lsend;

struct lpipe {
    lpipe_opts o;
    char dir[512];
    char host[256];
    char host_root[256];
    char ddir[512]; /* docker containers dir under host_root */
    int stop;       /* set once by lpipe_stop; read with lpipe_stopping() */

    pthread_mutex_t mu; /* metrics, inputs list for rendering */
    lin **ins;
    size_t nins, cap;
    ckent *ck;
    size_t nck;
    int synced;
    uint64_t seq;
    uint32_t next_src;

    lsend out[LPIPE_MAX_OUT];
    size_t nout;

    pthread_mutex_t qmu;
    lmsg *qhead, *qtail;

    pthread_t reader, watcher;
    int reader_on, watcher_on;
    dk_client *dk;

    buf scratch, payload;
    ratelim rl_perr, rl_utf8, rl_trunc, rl_drop, rl_io;

    /* global counters (under mu) */
    uint64_t parse_errors, invalid_utf8, truncated, dropped, dropped_bytes, rotations,
        copytruncates, partial_joined, paused_cycles, ck_writes, gaps;
    int paused;
    uint64_t emitted;                 /* records since the last commit (reader only) */
    int write_failed;                 /* a buffer append failed since the last commit */
    lbuf_pos last_end[LPIPE_MAX_OUT]; /* ends in the last checkpoint */
    dk_client *dk2;                   /* list and inspect (dk is busy with /events) */
    int ifd;          /* inotify: wakes the reader when a watched directory changes */
    uint64_t wakeups; /* inotify wakeups (under mu) */
};

static inline int lpipe_stopping(const lpipe *p)
{
    return __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
}

/* lpipe.c */
/* 1 when a message of this kind may be logged now (one per 10 s). */
int lpipe_ratelim_ok(ratelim *r);

/* lconf.c: parses o's output lines (or the default file output) into
 * p->out and creates the outputs; p->nout counts those created. 0 or
 * -errno with err set. */
int lconf_outputs(lpipe *p, const lpipe_opts *o, char *err, size_t errlen);

/* lckpt.c: reads DIR/state into p->seq, p->ck and the buffer ends
 * (has_end[i] set for every output found). 0, or -errno. */
int lckpt_load(lpipe *p, lbuf_pos *ends, int *has_end);
/* lckpt.c: writes DIR/state with the inputs' safe positions and ends. On
 * success every input's ck_pos becomes what was written. 0 or -errno
 * (logged, rate-limited). */
int lckpt_write(lpipe *p, const lbuf_pos *ends);
/* lckpt.c: the checkpoint entry of an input key, or NULL. */
ckent *lckpt_find(lpipe *p, const char *key);

/* linput.c: what linput_at_eof found at the end of an input's file. */
enum { LINPUT_IDLE = 0, LINPUT_MORE = 1, LINPUT_DRAINED = 2 };
/* linput.c: frees an input; NULL is a no-op. */
void linput_free(lin *in);
/* linput.c: adds and removes the inputs the watcher queued. */
void linput_handle_queue(lpipe *p);
/* linput.c: adds the files of the globs (p->o.files) not followed yet. */
void linput_scan_globs(lpipe *p);
/* linput.c: at the end of in's file: follows a rotation or truncation
 * (LINPUT_MORE: read on), reports a removed container read to its end
 * (LINPUT_DRAINED) or nothing more to read now (LINPUT_IDLE). */
int linput_at_eof(lin *in);
/* lwatch.c: the Docker watcher thread (arg: lpipe *). */
void *lpipe_watcher_main(void *arg);
/* lsend.c: one output's sender thread (arg: lsend *). */
void *lpipe_sender_main(void *arg);

#endif
