/*
 * ltail: follows one log file across rotation, the way Docker's json-file
 * driver and logrotate rotate (rename PATH to PATH.1, PATH.1 to PATH.2...,
 * then a new PATH) and across copy-truncate.
 *
 * The open descriptor is kept until the file is read to its end, so a
 * renamed or even deleted file is finished before the next one is started:
 * lines are neither skipped nor repeated because of rotation. After the old
 * file ends, the successor is found by inode among PATH.1..PATH.9 (a file
 * rotated twice while berth was behind is read too), else PATH.
 *
 * A position is (dev, inode, offset, fingerprint): the fingerprint is the
 * CRC-32C of the file's first fp_len (<= 256) bytes, so an inode reused by
 * a new file is not mistaken for the old one.
 *
 * Lines: ltail_fill() reads up to a budget into an internal buffer,
 * ltail_line() pops complete lines. A line longer than line_max is returned
 * cut (LTAIL_CUT) and the rest up to its newline skipped. The owner is one
 * thread.
 */
#ifndef BERTH_LTAIL_H
#define BERTH_LTAIL_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define LTAIL_FP_MAX    256
#define LTAIL_MAX_ROT   9
#define LTAIL_CHUNK_MIN (16u << 10)

typedef struct ltail_pos {
    uint64_t dev, ino, off;
    uint64_t fp_len, fp;
    unsigned rot; /* unused, 0 (room for a rotation hint) */
} ltail_pos;

typedef struct ltail {
    char path[512];
    int fd;
    uint64_t dev, ino;
    uint64_t off; /* bytes read from fd */
    uint64_t fp_len, fp;
    buf rd; /* read, not yet returned */
    size_t rd_start;
    size_t line_max;
    int skip_to_nl;
    int flush_tail; /* return the unterminated rest as a line */
    size_t chunk;   /* next read size (grows while reads come back full) */
    /* counters */
    uint64_t rotations, copytruncates, cut, gaps;
} ltail;

enum { LTAIL_LINE = 1, LTAIL_CUT = 2, LTAIL_UNTERMINATED = 3 };

void ltail_init(ltail *t, const char *path, size_t line_max);
void ltail_free(ltail *t);
/* Adopts fd (already open on path, read from offset 0). */
void ltail_adopt(ltail *t, int fd);
/* Opens path (from offset 0). 0 or -errno. */
int ltail_open(ltail *t);
/* Reopens the file a checkpoint names, at its offset. 0, or -ENOENT when
 * neither PATH nor PATH.1..9 is that file any more. */
int ltail_resume(ltail *t, const ltail_pos *pos);
/* Like ltail_resume, trying fd (open on PATH, maybe already deleted) first:
 * a removed container's file can only be reached through the descriptor
 * opened when it started. On success fd is owned by t; else the caller
 * keeps it. */
int ltail_resume_fd(ltail *t, int fd, const ltail_pos *pos);
/* Opens the oldest of PATH.9..PATH.1 that exists, else PATH, from offset
 * 0: where to go on when the checkpointed file was rotated away (every
 * rotated file still there is newer than it). 0 or -errno. */
int ltail_open_oldest(ltail *t);
/* Reads up to max bytes. Returns bytes read, 0 at end of file, or -errno. */
long ltail_fill(ltail *t, size_t max);
/* Pops the next line: LTAIL_LINE, LTAIL_CUT or LTAIL_UNTERMINATED with
 * *line, *len (no '\n'), or 0 when no complete line is buffered. */
int ltail_line(ltail *t, const char **line, size_t *len);
/* At end of file: detects rotation and copy-truncate. Returns 0 (nothing
 * new), 1 (moved to the next file), 2 (file was truncated, reading from 0),
 * 3 (buffered rest must be popped first: call ltail_line, then again). */
int ltail_check(ltail *t);
/* Size of the current file minus the offset read (lag in bytes). */
uint64_t ltail_behind(ltail *t);
/* The position up to which every byte has been returned as lines. */
void ltail_safe_pos(ltail *t, ltail_pos *pos);

#endif
