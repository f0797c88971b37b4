/*
 * httpd: the agent's HTTP server (/metrics, /api, dashboard), a thin layer
 * over libmicrohttpd (MHD) that gives the rest of berth one small contract:
 * a handler sees only GET and HEAD requests without a body, fills a status,
 * a content type and a buf, and httpd does everything else.
 *
 * Why it is built this way: the agent runs on every Docker host, often next
 * to hostile or buggy neighbours, so the server has to be boring and bounded
 * rather than featureful. MHD does the HTTP parsing; httpd adds the policy:
 *   - binds only opts->addr (127.0.0.1 unless configured otherwise);
 *   - at most max_conns connections and per_ip_conns per client address,
 *     enforced in MHD's accept-policy callback so refusals are counted and
 *     logged (MHD's own limits stay set as a backstop); excess connections
 *     are accepted and closed at once;
 *   - an idle connection is closed after timeout_s seconds without traffic;
 *   - each connection's request line, headers and response headers live in
 *     a max_request_bytes MHD memory pool; MHD answers 414/431 (or closes)
 *     when a request does not fit, so memory per connection is bounded;
 *   - methods other than GET/HEAD get 405 with "Allow: GET, HEAD"; a request
 *     carrying a body (Content-Length > 0 or Transfer-Encoding) gets 413;
 *     neither reaches the handler;
 *   - every response httpd builds carries Content-Length (MHD adds it; no
 *     chunked encoding) except streams (httpd_stream_ops below, chunked), "X-Content-Type-Options:
 * nosniff" and "Vary: Accept-Encoding". Error pages MHD generates itself (400 for garbage, 414,
 * 431) carry Content-Length but not the nosniff header: MHD 0.9.75 has no hook for them; they are
 * fixed HTML strings.
 *   - one debug log line per refused connection, rejected request and
 *     request dropped before the handler, plus MHD's own messages at debug.
 *
 * Threads: MHD runs opts->threads worker threads (default 2), each an epoll
 * event loop owning its connections; there is no thread per connection. The
 * handler runs on the worker that owns the connection, so up to `threads`
 * calls run concurrently and the handler must be thread-safe. While a
 * handler runs, the other connections of that worker wait, so handlers must
 * not block (render from the store's snapshot, never do I/O to Docker).
 * Nothing needs initialising at start-up; MHD sends with MSG_NOSIGNAL, so
 * the server does not raise SIGPIPE.
 *
 * Paths and query strings are passed raw (no percent-decoding).
 */
#ifndef BERTH_HTTPD_H
#define BERTH_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/opt.h"

/* Kernel send buffer of a streaming response's socket (the kernel doubles
 * it): with the 32 KiB MHD block, about 160 KiB per stuck client at most. */
#define HTTPD_STREAM_SNDBUF (64 * 1024)

typedef struct httpd httpd;

/* Borrowed by the handler for the duration of the call. */
typedef struct httpd_req {
    const char *method;          /* "GET" or "HEAD" */
    const char *path;            /* raw, without the query string */
    const char *query;           /* raw query string after '?', "" if none */
    const char *accept_encoding; /* Accept-Encoding header, "" if none */
    const char *if_none_match;   /* If-None-Match header, "" if none */
    const char *authorization;   /* Authorization header, "" if none (agent/routes.c) */
} httpd_req;

/*
 * Streaming responses (Server-Sent Events). Instead of a body, a handler may
 * set resp->stream to ops and resp->stream_arg to its own client object.
 * httpd then sends the status and headers without Content-Length (chunked)
 * and asks ops->read for data whenever the socket can take more:
 *   read   copies at most max bytes into out and returns how many; 0 means
 *          "nothing now": httpd suspends the connection (no worker thread
 *          is held, no timeout runs) until httpd_stream_wake; < 0 ends the
 *          stream. Runs on an MHD worker: must not block.
 *   open   called once, before any read, with the stream's handle, which
 *          the owner passes to httpd_stream_wake while the stream lives.
 *   close  the stream is gone (client left, stream ended, or server stop):
 *          the handle is invalid from then on and arg is not used again.
 *          Called exactly once if open was called, also if queueing fails.
 * httpd_stop ends every stream (reads after it has begun return < 0
 * whatever ops->read says), so shutdown never waits on a client.
 */
typedef struct httpd_stream httpd_stream;
typedef struct httpd_stream_ops {
    void (*open)(void *arg, httpd_stream *s);
    long (*read)(void *arg, char *out, size_t max);
    void (*close)(void *arg);
} httpd_stream_ops;

/* Asks httpd to call read again soon (data is pending). Thread-safe; s
 * must be live (between open and close). */
void httpd_stream_wake(httpd_stream *s);

#define HTTPD_MAX_HEADERS 6

/*
 * Filled by the handler. httpd initialises it to status 200,
 * "text/plain; charset=utf-8", no encoding and an empty body, and owns and
 * frees body afterwards. For HEAD the handler may fill the body as for GET:
 * MHD sends its Content-Length and drops the bytes. A status outside
 * 200..599 or a header value with control characters becomes a 500.
 */
typedef struct httpd_resp {
    int status;
    char content_type[96];
    char content_encoding[16]; /* e.g. "gzip" when body is compressed; "" = identity */
    buf body;
    /* Extra response headers: name/value pairs, borrowed (static strings,
     * or strings that outlive the server) */
    const char *headers[HTTPD_MAX_HEADERS][2];
    unsigned n_headers;
    /* Streaming instead of body; see httpd_stream_ops above */
    const httpd_stream_ops *stream;
    void *stream_arg;
} httpd_resp;

typedef void (*httpd_handler)(const httpd_req *req, httpd_resp *resp, void *arg);

/* Zero means "default" for every field except port (0 = pick a free one). */
/* listen, http_max_connections and http_timeout are httpd_opt_table's rows
 * (net/httpd_opt.c). */
typedef struct httpd_opts {
    char addr[64];            /* IPv4 or IPv6 literal, "": "127.0.0.1" */
    int port;                 /* 0..65535; 0 binds an ephemeral port */
    unsigned max_conns;       /* default 64 */
    unsigned per_ip_conns;    /* default 16 */
    unsigned timeout_s;       /* idle timeout, default 10 */
    size_t max_request_bytes; /* MHD memory pool per connection, default 16 KiB, min 4 KiB */
    unsigned threads;         /* worker threads, default 2, max 64 */
} httpd_opts;

extern const opt_table httpd_opt_table;

/* Starts listening and serving. On success returns 0 and sets *out; on
 * failure returns a negative errno (-EINVAL bad options, -EADDRINUSE, ...)
 * and writes the cause to err (e.g. "Failed to bind to port 8080: Address
 * already in use"); the caller adds the context. h is called as described
 * above with arg. */
int httpd_start(const httpd_opts *o, httpd_handler h, void *arg, httpd **out, char *err,
                size_t errlen);

/* The bound port (useful with port 0). */
int httpd_port(const httpd *d);

/* Stops accepting, closes every connection, joins the worker threads and
 * frees d. Handler calls in progress finish first. NULL is a no-op. */
void httpd_stop(httpd *d);

typedef struct httpd_stats {
    uint64_t requests;   /* requests that reached httpd's policy (incl. 405/413) */
    uint64_t errors_4xx; /* responses httpd sent with 4xx (incl. 405/413) */
    uint64_t errors_5xx; /* responses httpd sent with 5xx */
    uint64_t rejected;   /* connections refused by the limits, plus requests
                            dropped before the handler (oversized, malformed
                            headers, timed out mid-request) */
} httpd_stats;

void httpd_get_stats(const httpd *d, httpd_stats *s);

#endif
