/*
 * lenc: the pure halves of the network log outputs. Every function here
 * turns records into protocol bytes, or a receiver's reply into per-record
 * statuses, with no I/O, so each one is unit-tested on exact expected bytes
 * (tests/unit/test_lout_*.c) and the reply parsers are fuzzed
 * (fuzz/fuzz_es_reply.c, fuzz/fuzz_resp.c).
 *
 * The shared helpers (JSON strings, timestamps, the record document; gzip is util/gzip.h)
 * live in lenc.c; each protocol's encoder lives in its output's file
 * (out_es.c, out_loki.c, out_gelf.c, out_syslog.c, out_redis.c) beside the
 * transport that sends it.
 *
 * Invariants every encoder keeps, whatever the record holds (a container can
 * print anything): the output is valid for its protocol; a JSON string is
 * valid UTF-8 with invalid sequences replaced by U+FFFD and every control
 * character escaped; nothing reads past msg_len or a key/value length.
 */
#ifndef BERTH_LENC_H
#define BERTH_LENC_H

#include <stddef.h>
#include <stdint.h>

#include "logs/lout.h"
#include "logs/lrec.h"
#include "util/buf.h"

/* ---- shared helpers (lenc.c) ---------------------------------------------- */

/* Appends s[0..len) as a JSON string with its quotes: UTF-8 checked (each
 * invalid byte becomes U+FFFD), '"' '\\' and control characters escaped. */
void lenc_json_str(buf *b, const char *s, size_t len);
/* Appends s[0..len) as valid UTF-8 without any escaping (U+FFFD for each
 * invalid byte); for protocols with their own framing (syslog MSG). */
void lenc_utf8(buf *b, const char *s, size_t len);
/* Appends key made safe as a field name for Elasticsearch and friends:
 * '.' (an object path to ES) and control characters become '_', an empty
 * key becomes "_empty", a key starting with '_' (ES metadata) gets "x".
 * Invalid UTF-8 becomes U+FFFD. Not quoted. */
void lenc_field_name(buf *b, const char *key, size_t len);
/* Appends ts as RFC 3339 UTC with `frac` fraction digits (0, 3, 6 or 9):
 * "2026-11-25T16:22:44.123456789Z". Times before the epoch clamp to it. */
void lenc_rfc3339(buf *b, int64_t ts_ns, int frac);
/* "stdout", "stderr" or "file". */
const char *lenc_stream_name(int stream);

/* Appends the record as one JSON object (no newline), the document every
 * JSON output ships (ES source, Redis list element for Logstash):
 *   {"@timestamp":"...Z","message":"...","stream":"stdout",
 *    "host":{"name":..},"container":{"id":..,"name":..,
 *    "image":{"name":..,"id":..},"labels":{..}},
 *    "compose":{"project":..,"service":..},"swarm":{"service":..,"task":..},
 *    "log":{"file":{"path":..}},"fields":{..}}
 * Empty tags and empty objects are left out. safe_names: label and field
 * keys pass through lenc_field_name (ES); otherwise they are kept as
 * written (JSON-escaped). Field values are embedded as JSON when they parse
 * as JSON, else as strings. */
void lenc_doc(buf *b, const lrec *r, int safe_names);

/* Option check shared by the outputs: every key of c must be in allowed
 * (NULL-terminated); else -EINVAL with err naming it. */
int lenc_opts_check(const lout_cfg *c, const char *const *allowed, char *err, size_t errlen);
/* Value of option key, or def when not given. */
const char *lenc_opt(const lout_cfg *c, const char *key, const char *def);
/* Parses "on"/"off"/"true"/"false"/"1"/"0"; -EINVAL otherwise. */
int lenc_opt_bool(const char *v, int *out);

/* ---- Elasticsearch _bulk (out_es.c) --------------------------------------- */

typedef struct lenc_es_opts {
    const char *index; /* strftime pattern over the record's UTC time */
    int dedup;         /* 1: "create" with an _id derived from the record */
} lenc_es_opts;

/* Appends the NDJSON bulk body for recs[0..n): per record an action line
 * ({"create":{"_index":..,"_id":..}} or {"index":{"_index":..}}) and the
 * lenc_doc source line, each ending in '\n'. */
void lenc_es_bulk(buf *b, const lrec *recs, size_t n, const lenc_es_opts *o);
/* The _id dedup mode gives a record: 32 hex digits over the container (or
 * path), seq, timestamp and message; 33 bytes with the NUL. */
void lenc_es_id(const lrec *r, char id[33]);
/* Parses a 200 bulk reply for n items into st[0..n): 2xx and 409 (already
 * there: a retry of a created document) are LOUT_OK, 429 and 5xx
 * LOUT_RETRY, other statuses LOUT_REJECT. Returns the number of items not
 * OK, or -EPROTO (err says why) when the reply is not a bulk reply for n
 * items; then st is unspecified. err also gets the first item error. */
int lenc_es_reply(const char *text, size_t len, size_t n, uint8_t *st, char *err, size_t errlen);

/* ---- Grafana Loki push (out_loki.c) --------------------------------------- */

/* Appends the JSON push body for recs[0..n): one stream per distinct label
 * set, its entries stably sorted by time; timestamps as ns strings.
 * stream_of[i] gets the index of recs[i]'s stream (in body order); returns
 * the number of streams. Labels: host, container_name, image,
 * compose_project, compose_service, swarm_service, stream, filename (plain
 * files only); empty ones left out. Never the container id. */
size_t lenc_loki_push(buf *b, const lrec *recs, size_t n, size_t *stream_of);
/* Appends the label set of r as Loki prints it: {host="a", stream="stdout"}. */
void lenc_loki_labels(buf *b, const lrec *r);
/* Given a 400 reply body, marks st[i] LOUT_REJECT for each record whose
 * stream's label set the body names (as Loki prints it: "... for stream:
 * {...}" or "... for stream {...}") and LOUT_OK for the others (Loki stored
 * them); when the body names no stream, every record is rejected. Returns
 * the number rejected. */
size_t lenc_loki_400(const char *body, size_t len, const lrec *recs, size_t n, uint8_t *st);

/* ---- GELF 1.1 (out_gelf.c) ------------------------------------------------ */

/* Appends one GELF message (JSON) for r, without the frame's NUL. */
void lenc_gelf(buf *b, const lrec *r);

/* ---- syslog RFC 5424 (out_syslog.c) --------------------------------------- */

typedef struct lenc_syslog_opts {
    int facility;      /* 0..23 */
    int bom;           /* 1: MSG is MSG-UTF8 (BOM + UTF-8) */
    const char *sd_id; /* SD-ID of the tag element, "berth@32473" */
    size_t max_msg;    /* MSG cut to this many bytes (at a character); 0: no cut */
} lenc_syslog_opts;

/* Appends one RFC 6587 octet-counted frame "LEN SP SYSLOG-MSG" for r. */
void lenc_syslog(buf *b, const lrec *r, const lenc_syslog_opts *o);

/* ---- Redis (out_redis.c) -------------------------------------------------- */

/* Appends one RESP command: RPUSH key doc1 doc2 ... (lenc_doc each). */
void lenc_redis_rpush(buf *b, const char *key, const lrec *recs, size_t n);
/* Appends a RESP command from argv (AUTH, SELECT). */
void lenc_resp_cmd(buf *b, int argc, const char *const *argv);

enum lenc_resp_type {
    LENC_RESP_STATUS = '+',
    LENC_RESP_ERROR = '-',
    LENC_RESP_INT = ':',
    LENC_RESP_BULK = '$',
    LENC_RESP_ARRAY = '*',
};

typedef struct lenc_resp {
    int type;        /* enum lenc_resp_type */
    long long ival;  /* INT; BULK/ARRAY length (-1 = null) */
    const char *str; /* STATUS/ERROR/BULK text, borrowed from the input */
    size_t len;
} lenc_resp;

/* Parses one reply at buf[0..len). Returns the bytes it spans (> 0),
 * -EAGAIN when more bytes are needed, -EPROTO on garbage. An array's
 * elements are checked and skipped, not returned. Lines are bounded by
 * LENC_RESP_MAX. */
#define LENC_RESP_MAX (64u << 20)
long lenc_resp_parse(const char *p, size_t len, lenc_resp *out);

#endif
