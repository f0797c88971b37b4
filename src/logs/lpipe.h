/*
 * lpipe: the log pipeline. Inputs (every container's json-file log, found
 * through the Engine API and its events, plus plain files and globs) are
 * tailed by one reader thread, parsed, tagged and appended to one disk
 * buffer per output (lbuf); one thread per output reads its buffer, sends
 * batches through the output's lout_ops and advances its cursor only on
 * acknowledgement. See ARCHITECTURE.md, "Logs".
 *
 * Durability protocol (at least once, at most one batch repeated):
 *   1. the reader appends a cycle's records to every buffer and flushes
 *      (fdatasync) them;
 *   2. it writes DIR/state (temp, fsync, rename): every input's position
 *      (dev, inode, offset, head fingerprint) and every buffer's write end;
 *   3. only then it publishes the new end to the output threads.
 * On start each buffer is cut back to the end recorded in DIR/state and
 * every input resumes from its recorded position, so a SIGKILL anywhere in
 * 1-3 neither loses nor duplicates input; outputs repeat at most the batch
 * that was in flight when their cursor was last saved.
 */
#ifndef BERTH_LPIPE_H
#define BERTH_LPIPE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/opt.h"

#define LPIPE_MAX_OUT 8

enum { LPIPE_FULL_PAUSE = 0, LPIPE_FULL_DROP_OLDEST = 1 };

/* The keys are lpipe_opt_table's rows (logs/lpipe_opt.c), which are also
 * their only defaults: opt_defaults(&lpipe_opt_table, &o) on a zeroed
 * struct. The fields marked "handed on" are the engine's keys, set by
 * whoever starts the pipeline (the agent's job start). */
typedef struct lpipe_opts {
    int enabled;   /* the "logs" key: the agent starts the pipeline (not read here) */
    char only[32]; /* "" or "logs": the agent runs only the pipeline (not read here) */
    char buffer_dir[256];
    uint64_t buffer_max;               /* bytes per output buffer */
    int full_policy;                   /* LPIPE_FULL_* */
    char files[1024];                  /* comma-separated globs, or "" */
    char containers[512];              /* comma-separated container name globs; "" = all */
    char outputs[LPIPE_MAX_OUT][1024]; /* "NAME TYPE k=v ..." lines; none = file output */
    size_t n_outputs;
    int64_t poll_ms;                /* input poll interval when idle */
    int sync;                       /* fsync buffers and checkpoints */
    size_t line_max;                /* cap of one joined line */
    const char *host_root;          /* handed on: "" or NULL = / */
    const char *docker_host;        /* handed on: NULL = default */
    int use_docker;                 /* handed on */
    const char *const *label_allow; /* handed on */
    size_t n_label_allow;
} lpipe_opts;

extern const opt_table lpipe_opt_table;

typedef struct lpipe lpipe;

/* Parses "NAME TYPE k=v k=v ..." into c (pure). 0 or -EINVAL. */
struct lout_cfg;
int lpipe_parse_output(const char *line, struct lout_cfg *c, char *err, size_t errlen);

int lpipe_start(const lpipe_opts *o, lpipe **out, char *err, size_t errlen);
/* Stops the threads after a last checkpoint; NULL is a no-op. */
void lpipe_stop(lpipe *p);

/* A copy of the pipeline's figures, taken by lpipe_get_stats under the
 * pipeline's lock, for renderers (export/prom_logs.c) that must not see
 * the pipeline itself. The per-input figures are those the reader
 * published at the end of its last cycle. */
typedef struct lpipe_in_stats {
    int is_ctr;  /* 1: a container (id, name), 0: a plain file (path) */
    char id[65]; /* container id */
    char name[128];
    char path[512]; /* the file followed */
    uint64_t recs, bytes, lag_bytes;
    int64_t last_ts_ns; /* time of the last record read, 0 if none */
} lpipe_in_stats;

typedef struct lpipe_out_stats {
    char name[64], type[32];
    uint64_t sent, sent_bytes, retried, rejected, dropped, errors, batches;
    uint64_t buffer_bytes, lag_bytes;
    int64_t oldest_unsent_ts_ns; /* 0 when caught up */
} lpipe_out_stats;

typedef struct lpipe_stats {
    int on;         /* 0: no pipeline (logs off): nothing to render */
    int64_t now_ns; /* wall clock when the copy was taken, for the ages */
    lpipe_in_stats *ins;
    size_t nins, cap; /* cap: room in ins, kept between calls */
    lpipe_out_stats out[LPIPE_MAX_OUT];
    size_t nout;
    uint64_t parse_errors, invalid_utf8, truncated, partial_joined, rotations, copytruncates, gaps,
        dropped, dropped_bytes, ck_writes, paused_cycles, paused, wakeups, inputs;
} lpipe_stats;

/* Copies p's figures into *st (which is {0} or from an earlier call: its
 * room for inputs is reused). p NULL: st->on = 0 and -ENOENT; else 0.
 * Thread-safe. Free with lpipe_stats_free. */
int lpipe_get_stats(lpipe *p, lpipe_stats *st);
void lpipe_stats_free(lpipe_stats *st);

#endif
