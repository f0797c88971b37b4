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

#define LPIPE_MAX_OUT 8

enum { LPIPE_FULL_PAUSE = 0, LPIPE_FULL_DROP_OLDEST = 1 };

typedef struct lpipe_opts {
    const char *host_root;   /* "" or NULL = / */
    const char *docker_host; /* NULL = default */
    int use_docker;
    const char *buffer_dir;
    uint64_t buffer_max;        /* bytes per output buffer */
    int full_policy;            /* LPIPE_FULL_* */
    const char *files;          /* comma-separated globs, or "" */
    const char *containers;     /* comma-separated container name globs; NULL or "" = all */
    const char *const *outputs; /* "NAME TYPE k=v ..." lines; none = file output */
    size_t n_outputs;
    const char *const *label_allow;
    size_t n_label_allow;
    int64_t poll_ms; /* input poll interval when idle (default 100) */
    int sync;        /* fsync buffers and checkpoints (default 1) */
    size_t line_max; /* cap of one joined line (default 1 MiB) */
} lpipe_opts;

typedef struct lpipe lpipe;

/* Parses "NAME TYPE k=v k=v ..." into c (pure). 0 or -EINVAL. */
struct lout_cfg;
int lpipe_parse_output(const char *line, struct lout_cfg *c, char *err, size_t errlen);

int lpipe_start(const lpipe_opts *o, lpipe **out, char *err, size_t errlen);
/* Stops the threads after a last checkpoint; NULL is a no-op. */
void lpipe_stop(lpipe *p);
/* Appends berth_logs_* series in Prometheus text format. Thread-safe. */
void lpipe_render_prom(lpipe *p, buf *b);

#endif
