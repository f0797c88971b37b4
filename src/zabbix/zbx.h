/*
 * zbx: berth as a Zabbix agent for passive checks. A Zabbix server or
 * proxy connects to the agent port (10050), sends one item key and reads
 * one value back; berth answers from its in-memory metrics through a
 * callback the caller supplies, so this module is only the protocol and the
 * listener.
 *
 * Why it is built this way: the listener faces the network on every Docker
 * host, so it is small and bounded like httpd (see net/httpd.h), and every
 * byte the peer sends goes through pure parsers that are unit-tested and
 * fuzzed (zbx_parse_header, zbx_parse_request, zbx_parse_key,
 * zbx_allow_new). The server is one thread running one epoll loop with
 * non-blocking sockets; there is nothing slow to move off it because item
 * callbacks are in-memory lookups.
 *
 * Protocol (Zabbix "header" protocol, all versions from 4.0 to 7.x):
 *   "ZBXD" | flags (1 byte) | datalen | reserved | data
 * flags: 0x01 protocol (always set), 0x02 zlib-compressed, 0x04 large
 * packet (datalen and reserved are 8 bytes little-endian instead of 4).
 * reserved is the uncompressed size when compressed, else 0. The pre-4.0
 * header ("ZBXD\1" + 8-byte length) is the same bytes for any length below
 * 4 GiB, so it needs no special case.
 *
 * Requests, one per connection (Zabbix closes after each):
 *   - legacy (servers and zabbix_get before 7.0): the data is the item key,
 *     trailing "\r\n" ignored. Very old servers send the key without a
 *     header, ended by "\n" (or by closing their side): both are accepted.
 *     Reply: header + value text, or "ZBX_NOTSUPPORTED\0<reason>".
 *   - 7.0 JSON: {"request":"passive checks","data":[{"key":"k","timeout":3}]}
 *     Reply: {"version":"7.0.0","variant":2,"data":[{"value":"v"}]} with
 *     {"error":"reason"} instead of value for an unsupported item; a
 *     request that is not "passive checks" gets a top-level "error".
 * "version" in the JSON reply is the Zabbix protocol version berth speaks,
 * not berth's own version: the server parses it and keeps sending JSON only
 * to agents that report 7.0 or later (berth's version is agent.version).
 * "variant" is 2 (Zabbix agent 2): berth replaces agent 2's Docker plugin
 * and is, like agent 2, one multi-threaded process; the server does not
 * act on the variant for passive checks.
 *
 * Not supported, by choice:
 *   - compressed requests: Zabbix servers and proxies never compress agent
 *     requests (they compress only proxy traffic), so berth does not link
 *     zlib; such a connection is logged, counted as bad and closed without
 *     a reply. Replies are never compressed.
 *   - TLS (TLSConnect=psk/cert): a TLS handshake is recognised, logged as
 *     such and closed. Use TLSConnect=unencrypted with an allow list, or a
 *     tunnel.
 *   - hostnames in the allow list (no DNS on the event loop): IPs and CIDRs.
 *   - the per-item "timeout": callbacks are fast memory lookups; the
 *     connection as a whole is bounded by opts->timeout_s.
 *
 * Limits (all fixed, all checked before memory is committed):
 *   ZBX_PROTO_MAX        1 GiB: the protocol's own limit; larger headers are
 *                        refused by zbx_parse_header (-EMSGSIZE).
 *   opts->max_request    64 KiB default: larger announced lengths are refused
 *                        before one byte of the body is read; a headerless
 *                        request must fit too.
 *   ZBX_KEY_NAME_MAX     255 bytes of key name;
 *   ZBX_KEY_MAX_PARAMS   32 parameters, each ZBX_KEY_PARAM_MAX - 1 bytes.
 *   ZBX_MAX_ITEMS        16 items per JSON request (servers send one).
 *   ZBX_MAX_REPLY        4 MiB of values per reply; an item that would pass
 *                        it gets an error instead of its value.
 *   opts->max_conns      open connections; when full, a new connection
 *                        evicts the oldest one already answered, else the
 *                        oldest one still waiting for its request (a real
 *                        server sends its request at once, so a flood of
 *                        idle connections cannot lock it out); if all are
 *                        busy sending replies the new one is closed.
 *   opts->timeout_s      deadline for the whole exchange, from accept to the
 *                        last byte of the reply.
 */
#ifndef BERTH_ZBX_H
#define BERTH_ZBX_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "util/buf.h"
#include "util/opt.h"

#define ZBX_PROTO_MAX       (1ull << 30)
#define ZBX_HDR_MIN         13u /* "ZBXD" + flags + 4 + 4 */
#define ZBX_HDR_MAX         21u /* "ZBXD" + flags + 8 + 8 */
#define ZBX_FLAG_PROTOCOL   0x01u
#define ZBX_FLAG_COMPRESSED 0x02u
#define ZBX_FLAG_LARGE      0x04u
#define ZBX_PROTO_VERSION   "7.0.0" /* the "version" field of JSON replies */
#define ZBX_VARIANT         2
#define ZBX_NOTSUPPORTED    "ZBX_NOTSUPPORTED"
#define ZBX_KEY_NAME_MAX    255u
#define ZBX_KEY_MAX_PARAMS  32u
#define ZBX_KEY_PARAM_MAX   1024u /* including the terminating NUL */
#define ZBX_MAX_ITEMS       16u
#define ZBX_MAX_REPLY       (4u << 20)

/* ---- pure protocol functions (proto.c), no I/O, fuzzed ------------------ */

typedef struct zbx_header {
    unsigned flags;    /* ZBX_FLAG_* */
    size_t hdrlen;     /* ZBX_HDR_MIN or ZBX_HDR_MAX: where the data starts */
    uint64_t datalen;  /* bytes of data after the header (<= ZBX_PROTO_MAX) */
    uint64_t reserved; /* uncompressed size if ZBX_FLAG_COMPRESSED, else as sent */
} zbx_header;

/*
 * Parses the header at the start of data (the first len bytes received).
 * Returns 0 and fills *h; -EAGAIN if data is a valid prefix of a header and
 * more bytes are needed; -EINVAL for a wrong magic, flags without 0x01 or
 * with unknown bits, or a compressed header whose uncompressed size is 0;
 * -EMSGSIZE if datalen (or the uncompressed size) exceeds ZBX_PROTO_MAX.
 * reserved is not checked when uncompressed (Zabbix ignores it too).
 */
int zbx_parse_header(const unsigned char *data, size_t len, zbx_header *h);

/* Appends header (flags 0x01, 4-byte lengths) + payload to out. len must be
 * below 4 GiB, which ZBX_MAX_REPLY guarantees for the server's replies. */
void zbx_encode(buf *out, const char *payload, size_t len);

/* Kinds of key parameters, as Zabbix tells them apart. */
enum zbx_param_type {
    ZBX_PARAM_EMPTY = 0, /* nothing between the commas: key[a,,b] */
    ZBX_PARAM_STRING,    /* quoted ("" included) or unquoted */
    ZBX_PARAM_ARRAY,     /* [x,y]: params[i] is the text inside the brackets */
};

/*
 * A parsed item key: name[param,...]. About 33 KiB, so it lives on the heap
 * or in a long-lived struct (the server keeps one), never in a hot stack
 * frame. params[i] and type[i] are meaningful for i < nparams; each
 * params[i] is NUL-terminated.
 *
 * Parameter syntax (Zabbix's): leading spaces are skipped; a quoted
 * parameter may hold commas and brackets, \" is its only escape and only
 * spaces may follow the closing quote; an unquoted one runs to the next
 * comma and keeps trailing spaces; an array [a,"b",c] is one parameter whose
 * value is its inner text as written (quotes kept, spaces before elements
 * dropped), and arrays do not nest. "key" has 0 parameters, "key[]" has one
 * empty parameter.
 */
typedef struct zbx_key {
    char name[ZBX_KEY_NAME_MAX + 1];
    unsigned nparams;
    unsigned char type[ZBX_KEY_MAX_PARAMS]; /* enum zbx_param_type */
    char params[ZBX_KEY_MAX_PARAMS][ZBX_KEY_PARAM_MAX];
} zbx_key;

/* Parses the key in s[0..len) (not NUL-terminated). Returns 0, -EINVAL for
 * bad syntax (name not [A-Za-z0-9._-]+, unbalanced quote or bracket, text
 * after ']', nested array, NUL byte) or -E2BIG when a fixed limit above is
 * exceeded. *out is undefined on error. */
int zbx_parse_key(const char *s, size_t len, zbx_key *out);

/* One item asked for. key points into the body given to zbx_parse_request
 * (legacy) or into the request's own store (JSON): borrowed either way, valid
 * until zbx_request_free and, for legacy, while the body lives. */
typedef struct zbx_req_item {
    const char *key;
    size_t len;
    unsigned timeout_s; /* JSON "timeout" in seconds (3 or "3s"), 0 if absent */
} zbx_req_item;

typedef struct zbx_request {
    int json; /* 0: legacy key text, 1: 7.0 JSON (reply in JSON) */
    unsigned nitems;
    zbx_req_item items[ZBX_MAX_ITEMS];
    buf store;       /* owned: the JSON keys; zbx_request_free releases it */
    char error[160]; /* why zbx_parse_request failed (printable ASCII) */
} zbx_request;

/*
 * Classifies a request body (the data after the header, or a headerless
 * line without its "\n"). A body that is a JSON object is a 7.0 request;
 * anything else is a legacy key (trailing "\r\n" trimmed), exactly as the
 * Zabbix agent decides. Returns 0 with at least one item, or, for a JSON
 * object that is not a valid "passive checks" request, -EINVAL (or -E2BIG
 * for more than ZBX_MAX_ITEMS items) with json = 1 and the reason in error;
 * the server answers those with a top-level JSON error. Always call
 * zbx_request_free afterwards.
 */
int zbx_parse_request(const char *body, size_t len, zbx_request *out);
void zbx_request_free(zbx_request *r);

/* ---- allow list (allow.c), pure, fuzzed -------------------------------- */

/* Zabbix's Server= list without hostnames: comma-separated IPv4/IPv6
 * addresses and CIDRs ("127.0.0.1,::1,10.0.0.0/8,fd00::/8"); spaces around
 * entries and empty entries are ignored. An IPv4-mapped IPv6 peer
 * (::ffff:a.b.c.d, seen on a dual-stack "::" listener) matches IPv4 entries. */
typedef struct zbx_allow zbx_allow;

/* Returns 0 and a list to free with zbx_allow_free, or -EINVAL with the bad
 * entry named in err (a hostname, a bad prefix, nothing at all). */
int zbx_allow_new(const char *spec, size_t len, zbx_allow **out, char *err, size_t errlen);
/* 1 if the peer address is allowed, else 0. */
int zbx_allow_match(const zbx_allow *a, const struct sockaddr *sa);
void zbx_allow_free(zbx_allow *a);

/* ---- the server (server.c) ---------------------------------------------- */

/*
 * Fills *out (empty on entry) with the value of key as text and returns 0;
 * or returns -ENOTSUP with a reason in out ("Unsupported item key." if out
 * is left empty), or another negative errno with a reason in out (the
 * errno's text if empty). Called on the server thread only, one call at a
 * time, with key borrowed for the call; the callback must be thread-safe
 * with respect to the rest of the caller (e.g. take the store's lock) and
 * fast: the event loop waits for it. agent.ping, agent.version and
 * agent.hostname never reach the callback.
 */
typedef int (*zbx_item_cb)(const zbx_key *key, buf *out, void *arg);

/* Zero/NULL means "default" for every field except port (0 = ephemeral). */
typedef struct zbx_opts {
    const char *addr;     /* IPv4/IPv6 literal to listen on, default "127.0.0.1" */
    int port;             /* 0..65535, default use is 10050; 0 binds an ephemeral port */
    const char *allow;    /* see zbx_allow_new; default "127.0.0.1,::1" */
    unsigned max_conns;   /* default 32, at most 100000 */
    size_t max_request;   /* default 64 KiB, 1 KiB .. 64 MiB */
    unsigned timeout_s;   /* default 3 (Zabbix's Timeout), at most 600 */
    const char *hostname; /* agent.hostname, default gethostname() */
    const char *version;  /* agent.version, default BERTH_VERSION */
} zbx_opts;

/* The agent's passive checks keys, zbx_opt_table's rows (zabbix/zbx_opt.c):
 * the listen address as written (dumped back as it was), split into
 * zbx_opts' addr and port when the listener starts. */
typedef struct zbx_listen_opts {
    char listen[80]; /* "" = off; "ADDR:PORT", "[v6]:PORT" */
    char allow[512]; /* Zabbix Server= allow list, "127.0.0.1,::1" */
} zbx_listen_opts;

extern const opt_table zbx_opt_table;

typedef struct zbx_server zbx_server;

/* Binds, listens and starts the server thread. Returns 0 and sets *out, or
 * a negative errno (-EINVAL bad options or allow list, -EADDRINUSE, ...)
 * with the cause in err. cb may be NULL (only agent.* keys answer). */
int zbx_start(const zbx_opts *o, zbx_item_cb cb, void *arg, zbx_server **out, char *err,
              size_t errlen);
/* The bound port (useful with port 0). */
int zbx_port(const zbx_server *s);
/* Wakes the loop, closes every connection and the listener, joins the
 * thread and frees s. A callback in progress finishes first. NULL: no-op. */
void zbx_stop(zbx_server *s);

typedef struct zbx_stats {
    uint64_t requests;     /* requests parsed and answered (one per connection) */
    uint64_t notsupported; /* items answered with ZBX_NOTSUPPORTED / "error" */
    uint64_t refused;      /* connections closed at accept: allow list, or full */
    uint64_t bad_requests; /* malformed, oversized, compressed, TLS, truncated */
    uint64_t timeouts;     /* connections closed at the deadline mid-exchange */
    uint64_t evicted;      /* waiting connections closed to make room (max_conns) */
} zbx_stats;

/* Safe from any thread while the server runs. */
void zbx_get_stats(const zbx_server *s, zbx_stats *st);

#endif
