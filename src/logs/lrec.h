/*
 * lrec: one log record as the log pipeline's stages and outputs see it.
 *
 * The record is a view: every pointer borrows from storage owned by whoever
 * hands the record over (the disk buffer's read batch, or a unit test), and is
 * valid only during the call it is passed to. Strings are NOT NUL-terminated
 * where a length is given; tag strings are NUL-terminated and "" when absent.
 *
 * msg is the raw message bytes without the trailing newline: it may hold
 * invalid UTF-8 or NUL bytes (a container can print anything). Every encoder
 * must turn it into valid output for its protocol (JSON escaping with U+FFFD
 * for invalid sequences, syslog octet counting, ...) and never trust it.
 */
#ifndef BERTH_LREC_H
#define BERTH_LREC_H

#include <stddef.h>
#include <stdint.h>

enum lrec_stream {
    LREC_STDOUT = 1,
    LREC_STDERR = 2,
    LREC_FILE = 3, /* a plain file from the config: no container tags */
};

/* A key/value pair. For labels, val is a string; for fields parsed from a
 * JSON application log, val is the field's JSON text (a string keeps its
 * quotes, an object stays an object), so outputs can embed or stringify it. */
typedef struct lrec_kv {
    const char *key;
    size_t key_len;
    const char *val;
    size_t val_len;
} lrec_kv;

typedef struct lrec {
    uint64_t seq;  /* pipeline sequence number, increasing per input */
    int64_t ts_ns; /* original timestamp, ns since the epoch, UTC */
    int stream;    /* enum lrec_stream */
    const char *msg;
    size_t msg_len;

    /* Tags (NUL-terminated, "" when absent). */
    const char *host;
    const char *container_id; /* full 64-hex id */
    const char *container_name;
    const char *image;
    const char *image_id;
    const char *compose_project;
    const char *compose_service;
    const char *swarm_service;
    const char *swarm_task;
    const char *path; /* the file the record came from */

    const lrec_kv *labels; /* allow-listed Docker labels */
    size_t nlabels;
    const lrec_kv *fields; /* parsed from a JSON message (optional) */
    size_t nfields;

    /* Added by the pipeline core (logs-core), at the end so that designated
     * initialisers elsewhere keep working: LREC_F_* bits. */
    unsigned flags;
} lrec;

enum {
    LREC_F_PARSE_ERROR = 1u << 0, /* the source line was not valid json-file: msg is the raw line */
    LREC_F_TRUNCATED = 1u << 1,   /* longer than the pipeline's line cap: msg is the first part */
};

#endif
