/*
 * etcd: berth's client for etcd v3 through its JSON gateway (POST /v3/...),
 * over libcurl. No gRPC: Debian's etcd 3.4 serves /v3 (and /v3beta), every
 * bytes field is standard base64, every int64 is a JSON string and zero
 * values are omitted (../shared/research/release-side.md section 1).
 *
 * Two layers in one module, as in docker/:
 *  - pure parsers (etcd_parse_*, in etcd_parse.c): (buf, len) in, struct
 *    out, no I/O; unit-tested on replies captured from a real etcd 3.4
 *    (tests/fixtures/etcd/) and fuzzed (fuzz/fuzz_etcd.c);
 *  - a transport (etcd) over a kept-alive libcurl handle: several endpoints
 *    with failover (a transport failure or a 5xx moves to the next one and
 *    retries the same request once per endpoint), user/password auth (the
 *    token is fetched on first use and again when etcd says it is invalid
 *    or expired, then the request is retried once), TLS with a CA and a
 *    client certificate.
 *
 * Threading: an etcd handle is used by one thread at a time (one per
 * thread); etcd_cancel() is the exception, as dk_cancel() is for docker/.
 * curl_global_init is main()'s job.
 *
 * Errors: 0 or a negative errno and err filled with a message fit for the
 * user that names the endpoint: -ECONNREFUSED/-ETIMEDOUT/-EHOSTUNREACH when
 * no endpoint answered, -EACCES for auth, -EPROTO for a reply that does not
 * parse, -ESTALE for a compacted revision, -ECANCELED after etcd_cancel.
 *
 * Bounds: a reply body is at most ETCD_MAX_BODY, one watch message at most
 * ETCD_MAX_MSG; a key at most ETCD_MAX_KEY bytes; a value at most
 * ETCD_MAX_VALUE (etcd's own request limit is 1.5 MiB).
 */
#ifndef BERTH_RELEASE_ENV_ETCD_H
#define BERTH_RELEASE_ENV_ETCD_H

#include <stddef.h>
#include <stdint.h>

#define ETCD_MAX_BODY      (64u << 20)
#define ETCD_MAX_MSG       (16u << 20)
#define ETCD_MAX_KEY       4096u
#define ETCD_MAX_VALUE     (2u << 20)
#define ETCD_MAX_ENDPOINTS 16u
#define ETCD_MAX_TXN_OPS   128u /* etcd's default --max-txn-ops */

/* One key-value as etcd returns it. key and value are malloc'd and
 * NUL-terminated (value may also hold NULs: value_len is its length). */
typedef struct etcd_kv {
    char *key;
    char *value;
    size_t value_len;
    int64_t create_rev;
    int64_t mod_rev;
    int64_t version;
    int64_t lease;
} etcd_kv;

/* The answer of one range: kvs sorted by key (etcd's order). */
typedef struct etcd_range {
    int64_t revision; /* header.revision: the store's revision the read saw */
    etcd_kv *kvs;
    size_t n;
    int64_t count; /* how many keys matched (more than n when limited) */
    int more;
} etcd_range;

void etcd_kv_clear(etcd_kv *kv);
/* Frees what r owns and zeroes it; NULL is a no-op. */
void etcd_range_clear(etcd_range *r);

typedef enum { ETCD_EV_PUT = 0, ETCD_EV_DELETE = 1 } etcd_ev_type;

typedef struct etcd_event {
    etcd_ev_type type;
    etcd_kv kv; /* for a DELETE, key and mod_rev only */
} etcd_event;

/* One message of a watch stream ({"result":{...}} per line). */
typedef struct etcd_watch_msg {
    int64_t revision; /* header.revision */
    int64_t watch_id;
    int created;
    int canceled;
    int64_t compact_revision; /* > 0 when the start revision was compacted */
    char *cancel_reason;      /* malloc'd or NULL */
    etcd_event *events;
    size_t n_events;
} etcd_watch_msg;

void etcd_watch_msg_clear(etcd_watch_msg *m);

/* ---- pure parsers (etcd_parse.c) ----------------------------------------
 * Each takes a whole reply body. An etcd error reply ({"error":"...",
 * "code":N,"message":"..."}) is reported by etcd_parse_error, which the
 * others do not accept: they return -EPROTO on anything that is not their
 * reply, with err saying what was wrong. */

/* {"error":..,"code":N,"message":..} -> 1 with *code and msg filled; 0 when
 * buf is not an error reply. code is the gRPC code (3 invalid argument,
 * 11 out of range = compacted, 16 unauthenticated, 9 failed precondition,
 * 14 unavailable). */
int etcd_parse_error(const char *buf, size_t len, int *code, char *msg, size_t msglen);
int etcd_parse_range(const char *buf, size_t len, etcd_range *out, char *err, size_t errlen);
/* A txn reply: *succeeded, header.revision, and for each response_range
 * (in order) one etcd_range in *ranges (malloc'd array of *n; the
 * put/delete responses are skipped). */
int etcd_parse_txn(const char *buf, size_t len, int *succeeded, int64_t *revision,
                   etcd_range **ranges, size_t *n, char *err, size_t errlen);
/* put/deleterange/compact replies: header.revision and, for deleterange,
 * "deleted" (NULL to skip). */
int etcd_parse_header(const char *buf, size_t len, int64_t *revision, int64_t *deleted, char *err,
                      size_t errlen);
/* /v3/auth/authenticate -> token (NUL-terminated, at most toklen-1). */
int etcd_parse_auth(const char *buf, size_t len, char *token, size_t toklen, char *err,
                    size_t errlen);
/* /v3/lease/grant and /v3/lease/keepalive (one result) -> ID and TTL. A
 * keepalive of an expired lease has TTL 0 or absent: *ttl = 0. */
int etcd_parse_lease(const char *buf, size_t len, int64_t *id, int64_t *ttl, char *err,
                     size_t errlen);
/* One line of a watch stream. */
int etcd_parse_watch(const char *buf, size_t len, etcd_watch_msg *out, char *err, size_t errlen);

/* The end of a prefix range: the prefix with its last byte below 0xff
 * incremented and the rest dropped; "\0" (every key) when there is none.
 * Writes *outlen bytes (not NUL-terminated) into out (cap >= len, and >= 1). */
void etcd_prefix_end(const char *key, size_t len, char *out, size_t *outlen);

/* Standard base64 (with padding), the gateway's encoding of bytes fields.
 * encode writes 4 * ((n + 2) / 3) chars and a NUL into out and returns the
 * length; decode wants out of at least n / 4 * 3 + 1 bytes, writes *outlen
 * bytes and a NUL, and is -EPROTO on anything but canonical-length input
 * (n a multiple of 4, '=' only as the last one or two chars). */
size_t etcd_b64_encode(const void *in, size_t n, char *out);
int etcd_b64_decode(const char *in, size_t n, char *out, size_t *outlen);

/* ---- transport ---------------------------------------------------------- */

typedef struct etcd etcd;

typedef struct etcd_opts {
    const char *endpoints; /* "http://127.0.0.1:2379[,https://h:2379...]" */
    const char *user;      /* auth when set */
    const char *password;
    const char *ca;   /* PEM CA for https; NULL = system store */
    const char *cert; /* client certificate and key (PEM), or NULL */
    const char *key;
    int timeout_ms; /* every unary request; 0 = 5000 */
} etcd_opts;

/* Copies the strings; no I/O. A bad endpoint list is -EINVAL with err. */
int etcd_new(const etcd_opts *o, etcd **out, char *err, size_t errlen);
void etcd_free(etcd *c);
/* The endpoint the last request went to (borrowed). */
const char *etcd_endpoint(const etcd *c);

/* Range of one key, or of every key under it when prefix is set, at rev
 * (0 = latest). limit 0 = all. */
int etcd_get(etcd *c, const char *key, int prefix, int64_t rev, int64_t limit, etcd_range *out,
             char *err, size_t errlen);

/* Several prefix ranges read at one revision in one txn (no compare):
 * outs[i] is the range of keys[i] (a prefix when prefix[i], else one key;
 * prefix NULL = all prefixes). n <= ETCD_MAX_TXN_OPS. *revision = the
 * revision they were read at. rev 0 = latest. */
int etcd_get_many(etcd *c, const char *const *keys, const int *prefix, size_t n, int64_t rev,
                  etcd_range *outs, int64_t *revision, char *err, size_t errlen);

typedef enum { ETCD_OP_PUT, ETCD_OP_DELETE } etcd_op_type;

typedef struct etcd_op {
    etcd_op_type type;
    const char *key;
    const char *value; /* PUT */
    size_t value_len;
    int prefix;    /* DELETE of every key under key */
    int64_t lease; /* PUT: 0 = none */
} etcd_op;

typedef enum { ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE } etcd_cmp_target;
typedef enum {
    ETCD_CMP_EQUAL,
    ETCD_CMP_GREATER,
    ETCD_CMP_LESS,
    ETCD_CMP_NOT_EQUAL
} etcd_cmp_result;

typedef struct etcd_cmp {
    const char *key;
    etcd_cmp_target target;
    etcd_cmp_result result;
    int64_t n;         /* VERSION, CREATE, MOD */
    const char *value; /* VALUE */
    size_t value_len;
} etcd_cmp;

/* One transaction: when every compare holds, ops run (else nothing).
 * *succeeded says which; *revision is the header's. nops <= 128. */
int etcd_txn(etcd *c, const etcd_cmp *cmp, size_t ncmp, const etcd_op *ops, size_t nops,
             int *succeeded, int64_t *revision, char *err, size_t errlen);
int etcd_put(etcd *c, const char *key, const char *value, size_t len, int64_t lease,
             int64_t *revision, char *err, size_t errlen);
int etcd_delete(etcd *c, const char *key, int prefix, int64_t *deleted, int64_t *revision,
                char *err, size_t errlen);

int etcd_lease_grant(etcd *c, int64_t ttl_s, int64_t *id, char *err, size_t errlen);
/* One keepalive; *ttl = 0 means the lease is gone (-ENOENT). */
int etcd_lease_keepalive(etcd *c, int64_t id, int64_t *ttl, char *err, size_t errlen);
int etcd_lease_revoke(etcd *c, int64_t id, char *err, size_t errlen);

/* Called with each message that carries events, in order. A nonzero return
 * ends the watch with that value. */
typedef int (*etcd_watch_cb)(const etcd_watch_msg *m, void *arg);

/* Watches key (every key under it when prefix) from start_rev, on one HTTP
 * connection (the gateway's body is one-shot), until the callback returns
 * nonzero (that value), etcd_cancel (-ECANCELED), the start revision was
 * compacted (-ESTALE, *compact_rev set: re-read, then watch from the new
 * revision + 1), the stream ends or fails (a negative errno), or no byte
 * arrived for idle_ms (-ETIMEDOUT; 0 = no limit: TCP keepalive still
 * detects a dead peer). A partial line at the end of a stream is dropped
 * and said so in err. Asks for progress notifies. */
int etcd_watch(etcd *c, const char *key, int prefix, int64_t start_rev, int idle_ms,
               etcd_watch_cb cb, void *arg, int64_t *compact_rev, char *err, size_t errlen);
/* Any thread: makes a running or the next etcd_watch (or request) return
 * -ECANCELED within about a second: the flag is read in libcurl's progress
 * callback, which an idle transfer calls about once a second. Sticky until
 * etcd_reset_cancel. */
void etcd_cancel(etcd *c);
void etcd_reset_cancel(etcd *c);

#endif
