/*
 * lbuf: one output's disk buffer, a queue of checksummed records in segment
 * files (DIR/seg-%016llu.log), written by the pipeline's reader thread and
 * read by that output's thread.
 *
 * Frame on disk: u32 payload length, u32 CRC-32C of (length, payload),
 * payload; little-endian. A frame is never split across segments.
 *
 * Positions: {seg, off} where off is a byte offset inside segment seg.
 *  - write end: where the next frame goes (writer only);
 *  - committed end: the last write end the pipeline published after it was
 *    made durable and recorded in the pipeline's checkpoint; readers never
 *    see past it, so what an output sent is always in the checkpoint;
 *  - cursor: the first frame the output has not finished with, persisted in
 *    DIR/cursor (temp + rename) by lbuf_ack().
 * Segments wholly before the cursor are deleted.
 *
 * Recovery (lbuf_open): the last segment's torn tail (a frame whose length
 * or CRC does not check out) is truncated; when the caller knows the
 * committed end from its checkpoint, everything after it is removed too, so
 * the buffer and the inputs' checkpoint agree. A new run always writes a
 * new segment.
 *
 * Bound: lbuf_used() is the bytes in segment files; the writer checks it
 * against the configured maximum (pause or lbuf_drop_oldest()).
 *
 * Threading: writer functions from one thread, reader functions from one
 * other thread; lbuf_used/lbuf_drop_oldest/lbuf_stats from the writer.
 */
#ifndef BERTH_LBUF_H
#define BERTH_LBUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define LBUF_MAX_FRAME (8u * 1024 * 1024)
#define LBUF_HDR       8u

typedef struct lbuf_pos {
    uint64_t seg;
    uint64_t off;
} lbuf_pos;

typedef struct lbuf lbuf;

typedef struct lbuf_opts {
    const char *dir;     /* created if missing */
    uint64_t seg_bytes;  /* roll to a new segment past this size */
    int sync;            /* fdatasync on commit, fsync the cursor */
    const lbuf_pos *end; /* committed end from the checkpoint, or NULL */
} lbuf_opts;

int lbuf_open(const lbuf_opts *o, lbuf **out, char *err, size_t errlen);
void lbuf_close(lbuf *b);

/* --- writer --- */
/* Current write segment id (changes when lbuf_maybe_roll rolls). */
uint64_t lbuf_wseg(const lbuf *b);
/* Starts a new segment when the current one is over seg_bytes; returns 1
 * when it did (the caller re-emits whatever a segment must start with). */
int lbuf_maybe_roll(lbuf *b, char *err, size_t errlen);
/* Appends one frame (buffered in memory until lbuf_flush). */
int lbuf_append(lbuf *b, const void *payload, size_t len, char *err, size_t errlen);
/* Writes buffered frames, fdatasyncs when sync; *end gets the write end. */
int lbuf_flush(lbuf *b, lbuf_pos *end, char *err, size_t errlen);
/* Drops everything written after end (a position this writer flushed and
 * published earlier): after a failed write the pipeline goes back to its
 * last checkpoint. 0 or -errno. */
int lbuf_rewind(lbuf *b, const lbuf_pos *end, char *err, size_t errlen);
/* Makes data up to end visible to the reader. */
void lbuf_publish(lbuf *b, const lbuf_pos *end);
uint64_t lbuf_used(lbuf *b);
/* Deletes the oldest segment (never the one being written); returns the
 * number of frames in it that the reader had not passed, or 0 when there
 * is nothing to drop. *bytes gets the segment's size. */
uint64_t lbuf_drop_oldest(lbuf *b, uint64_t *bytes);

/* --- reader --- */
/* The persisted cursor (from lbuf_open or the last ack). */
lbuf_pos lbuf_cursor(lbuf *b);
/* Waits up to timeout_ms for committed data at or after cur; returns 1 when
 * there is some, 0 on timeout (or lbuf_wake). */
int lbuf_wait(lbuf *b, const lbuf_pos *cur, int timeout_ms);
void lbuf_wake(lbuf *b);
/* Reads whole frames from *cur into out (appended: header + payload each),
 * at most max_bytes (at least one frame) and max_frames, never past the
 * committed end nor past stop_off when stop_off != UINT64_MAX (same
 * segment). At the end of a finished segment *cur moves to the next one and
 * 0 frames are returned with *seg_changed = 1. Frames failing their CRC in
 * committed data (disk corruption) are counted and the rest of the segment
 * skipped. Returns the number of frames, or a negative errno. *next is the
 * position after the last frame read. */
int lbuf_read(lbuf *b, const lbuf_pos *cur, uint64_t stop_off, buf *out, size_t max_bytes,
              size_t max_frames, lbuf_pos *next, int *seg_changed, char *err, size_t errlen);
/* Persists cur as the cursor and deletes segments before it. */
int lbuf_ack(lbuf *b, const lbuf_pos *cur, char *err, size_t errlen);
/* Bytes between cur and the committed end. */
uint64_t lbuf_behind(lbuf *b, const lbuf_pos *cur);
uint64_t lbuf_corrupt(lbuf *b);

/* --- frame helpers (pure) --- */
/* Checks the frame at p (avail bytes): returns its total size (header +
 * payload), 0 when incomplete, or -1 when the length or CRC is bad. */
long lbuf_frame_check(const char *p, size_t avail);

#endif
