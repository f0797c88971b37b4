/*
 * lparse: the log pipeline's pure parsers. (buf, len) in, struct out, no I/O
 * and no allocation, so each is unit-tested (tests/unit/test_logs.c) and
 * fuzzed (fuzz/fuzz_logs.c).
 *
 *  - lp_jsonfile: one line of Docker's json-file log driver,
 *      {"log":"text\n","stream":"stdout","time":"2026-11-25T16:22:44.123456789Z"}
 *    (keys in any order, unknown keys such as "attrs" skipped). The message
 *    is unescaped into caller storage; a "log" without a trailing newline is
 *    one piece of a partial line (Docker splits lines over 16 KiB).
 *  - lp_rfc3339: RFC 3339 time with up to nanoseconds -> ns since the epoch.
 *  - lp_utf8_bad: counts invalid UTF-8 sequences.
 *  - lp_json_fields: the top-level members of a JSON object (an application
 *    log line) as key/value views into the input.
 */
#ifndef BERTH_LPARSE_H
#define BERTH_LPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "logs/lrec.h"

typedef struct lp_jline {
    int stream;    /* LREC_STDOUT or LREC_STDERR; 0 when absent or unknown */
    int64_t ts_ns; /* 0 when absent or malformed */
    size_t msg_len;
    int partial; /* the log text did not end in '\n' (which is not in msg) */
    int has_log; /* a "log" string member was present */
} lp_jline;

/* Parses one json-file line (without its '\n'). The unescaped message goes
 * to out, which must hold at least len bytes (unescaping never grows text);
 * the final '\n' of the log text is removed. Returns 0, or -EINVAL when the
 * line is not a JSON object with a string "log" (the caller then ships the
 * raw line flagged as a parse error). */
int lp_jsonfile(const char *buf, size_t len, char *out, lp_jline *jl);

/* "2026-11-25T16:22:44.123456789Z" or with a "+01:00" offset. 0 or -EINVAL. */
int lp_rfc3339(const char *buf, size_t len, int64_t *ns);

/* Number of bytes not part of a valid UTF-8 sequence (0 for valid text);
 * each is what an encoder replaces with one U+FFFD. */
size_t lp_utf8_bad(const char *buf, size_t len);

/* The members of a top-level JSON object: keys without quotes (escapes left
 * as they are), values as their JSON text. At most max members are stored;
 * returns the member count stored, or -EINVAL when buf is not one JSON
 * object (leading/trailing white space allowed). Depth is bounded (64). */
int lp_json_fields(const char *buf, size_t len, lrec_kv *kv, size_t max);

#endif
