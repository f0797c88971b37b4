/*
 * httpd: the agent's HTTP server on libmicrohttpd. See httpd.h for the
 * policy and the thread model; this file notes how it maps onto MHD.
 *
 * MHD callbacks used, all running on MHD worker threads:
 *   accept_policy   before a connection is kept: max_conns / per_ip_conns.
 *   notify_conn     connection started/closed: the counts accept_policy reads.
 *   uri_log         request line parsed: allocates the per-request context
 *                   (raw query string, "reached the handler" flag). MHD then
 *                   always reports the request's end to request_done.
 *   access          headers parsed: method/body policy, then the handler.
 *   request_done    frees the context; counts requests MHD dropped before
 *                   they reached access (oversized, malformed, timed out).
 *   mhd_log         MHD's own messages, to log_debug (and to the start-up
 *                   error message).
 *
 * Connection accounting: accept_policy only reads the counts; notify_conn
 * changes them. MHD calls accept_policy and then (same thread, same accept)
 * notify_conn(STARTED), so with W workers at most W - 1 connections can slip
 * past a full limit between the two; MHD's own connection and per-IP limits
 * are set that much higher as a hard backstop. Counting in notify_conn
 * instead of reserving in accept_policy means a connection MHD fails to set
 * up can never leak a slot.
 */
#include "net/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "util/log.h"

#define MOD "httpd"

#define DEF_ADDR        "127.0.0.1"
#define DEF_MAX_CONNS   64u
#define DEF_PER_IP      16u
#define DEF_TIMEOUT_S   10u
#define DEF_REQ_BYTES   (16u * 1024u)
#define MIN_REQ_BYTES   (4u * 1024u)
#define DEF_THREADS     2u
#define MAX_THREADS     64u
#define MAX_CONNS_LIMIT 100000u /* sanity cap on opts->max_conns */

/* A client address without the port: the per-IP key. */
typedef struct ipkey {
    int family;
    unsigned char a[16];
} ipkey;

typedef struct ipslot {
    ipkey key;
    unsigned n; /* 0: free slot */
} ipslot;

/* A streaming response (httpd.h). Lives from access() until MHD frees the
 * response (stream_free). suspended/woken and the list are under d->lock. */
struct httpd_stream {
    httpd *d;
    struct MHD_Connection *c;
    const httpd_stream_ops *ops;
    void *arg;
    int suspended; /* MHD_suspend_connection called, not yet resumed */
    int woken;     /* wake arrived while not suspended: read again */
    httpd_stream *prev, *next;
};

/* Per-request context, created in uri_log, freed in request_done. */
typedef struct reqctx {
    int seen;    /* access() saw the headers */
    int handled; /* a response was queued */
    char query[];
} reqctx;

struct httpd {
    struct MHD_Daemon *mhd;
    httpd_handler handler;
    void *arg;
    unsigned max_conns, per_ip;
    int port;

    pthread_mutex_t lock; /* guards active, slots, starting, start_err */
    unsigned active;
    ipslot *slots; /* nslots >= every distinct address that can be connected */
    size_t nslots;
    int starting;
    char start_err[256];
    httpd_stream *streams; /* live streams; under lock */
    int stopping;          /* httpd_stop began: streams end; under lock */

    atomic_uint_least64_t requests, errors_4xx, errors_5xx, rejected;
};

/* ---- small helpers ---------------------------------------------------- */

static void ipkey_from(const struct sockaddr *sa, ipkey *k)
{
    memset(k, 0, sizeof(*k));
    if (!sa)
        return;
    k->family = sa->sa_family;
    if (sa->sa_family == AF_INET)
        memcpy(k->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (sa->sa_family == AF_INET6)
        memcpy(k->a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

static void ipkey_str(const ipkey *k, char *out, size_t len)
{
    if (k->family == AF_INET || k->family == AF_INET6) {
        if (inet_ntop(k->family, k->a, out, (socklen_t)len))
            return;
    }
    snprintf(out, len, "?");
}

static void peer_str(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    ipkey k;
    ipkey_from(ci ? ci->client_addr : NULL, &k);
    ipkey_str(&k, out, len);
}

/* Copies attacker-controlled text for a log line: printable ASCII only,
 * truncated with "...", so one request cannot forge or flood log lines.
 * len must be at least 4. */
static void log_safe(char *out, size_t len, const char *in)
{
    size_t i = 0;
    for (; in && *in && i + 1 < len; in++)
        out[i++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
    if (in && *in) {
        memcpy(out + len - 4, "...", 3);
        i = len - 1;
    }
    out[i] = '\0';
}

static int header_value_ok(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    }
    return 1;
}

static void count_status(httpd *d, int status)
{
    if (status >= 500)
        atomic_fetch_add_explicit(&d->errors_5xx, 1, memory_order_relaxed);
    else if (status >= 400)
        atomic_fetch_add_explicit(&d->errors_4xx, 1, memory_order_relaxed);
}

/* ---- connection limits ------------------------------------------------ */

static ipslot *slot_find(httpd *d, const ipkey *k)
{
    for (size_t i = 0; i < d->nslots; i++) {
        if (d->slots[i].n && memcmp(&d->slots[i].key, k, sizeof(*k)) == 0)
            return &d->slots[i];
    }
    return NULL;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    httpd *d = cls;
    ipkey k;
    const char *why = NULL;
    unsigned limit = 0;

    ipkey_from(addr, &k);
    pthread_mutex_lock(&d->lock);
    if (d->active >= d->max_conns) {
        why = "max_conns";
        limit = d->max_conns;
    } else {
        const ipslot *s = slot_find(d, &k);
        if (s && s->n >= d->per_ip) {
            why = "per_ip_conns";
            limit = d->per_ip;
        }
    }
    pthread_mutex_unlock(&d->lock);
    if (!why)
        return MHD_YES;

    atomic_fetch_add_explicit(&d->rejected, 1, memory_order_relaxed);
    char peer[INET6_ADDRSTRLEN];
    ipkey_str(&k, peer, sizeof(peer));
    log_debug(MOD, "refused connection from %s: %s limit %u reached", peer, why, limit);
    return MHD_NO;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
                        enum MHD_ConnectionNotificationCode code)
{
    httpd *d = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    ipkey k;
    ipkey_from(ci ? ci->client_addr : NULL, &k);

    pthread_mutex_lock(&d->lock);
    ipslot *s = slot_find(d, &k);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        d->active++;
        if (!s) {
            /* a free slot always exists: nslots exceeds the most connections
             * that can be open (max_conns plus the backstop's slack) */
            for (size_t i = 0; i < d->nslots && !s; i++) {
                if (d->slots[i].n == 0) {
                    s = &d->slots[i];
                    s->key = k;
                }
            }
        }
        if (s)
            s->n++;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (d->active)
            d->active--;
        if (s)
            s->n--;
    }
    pthread_mutex_unlock(&d->lock);
}

/* ---- requests --------------------------------------------------------- */

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    const char *q = uri ? strchr(uri, '?') : NULL;
    q = q ? q + 1 : "";
    size_t n = strlen(q); /* bounded by the connection's memory pool */
    reqctx *r = malloc(sizeof(*r) + n + 1);
    if (!r)
        return NULL; /* access() answers 503 */
    r->seen = 0;
    r->handled = 0;
    memcpy(r->query, q, n + 1);
    return r;
}

static const char *toe_name(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return "answered by MHD";
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
        return "protocol error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client abort";
    }
    return "unknown";
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_ctx,
                         enum MHD_RequestTerminationCode toe)
{
    httpd *d = cls;
    reqctx *r = *req_ctx;
    if (r && !r->handled && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN) {
        atomic_fetch_add_explicit(&d->rejected, 1, memory_order_relaxed);
        char peer[INET6_ADDRSTRLEN];
        peer_str(c, peer, sizeof(peer));
        log_debug(MOD, "request from %s dropped before the handler: %s", peer, toe_name(toe));
    }
    free(r);
    *req_ctx = NULL;
}

/* Keeps paths and arguments raw: berth's routes need no decoding, and a
 * decoded "%00" or "%2F" would only create ambiguity. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

/* Queues status + body (taken from *body) with the common headers. Returns
 * MHD_NO if MHD could not build or queue the response (MHD then closes the
 * connection). */
static enum MHD_Result respond(httpd *d, struct MHD_Connection *c, int status, const char *ctype,
                               const char *encoding, const char *allow, buf *body,
                               const httpd_resp *x)
{
    enum MHD_Result ret = MHD_NO;
    size_t len = body->len;
    char *data = len ? buf_detach(body) : NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (!resp) {
        free(data);
        goto out;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding") != MHD_YES)
        goto out;
    if (encoding && *encoding &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding) != MHD_YES)
        goto out;
    if (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)
        goto out;
    for (unsigned i = 0; x && i < x->n_headers; i++)
        if (MHD_add_response_header(resp, x->headers[i][0], x->headers[i][1]) != MHD_YES)
            goto out;
    ret = MHD_queue_response(c, (unsigned)status, resp);
    if (ret == MHD_YES)
        count_status(d, status);
out:
    if (resp)
        MHD_destroy_response(resp);
    buf_free(body);
    return ret;
}

static enum MHD_Result respond_text(httpd *d, struct MHD_Connection *c, int status,
                                    const char *allow, const char *text)
{
    buf b = BUF_INIT;
    buf_puts(&b, text);
    return respond(d, c, status, "text/plain; charset=utf-8", NULL, allow, &b, NULL);
}

/* ---- streams ---------------------------------------------------------- */

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    httpd_stream *s = cls;
    httpd *d = s->d;
    pthread_mutex_lock(&d->lock);
    int stop = d->stopping;
    pthread_mutex_unlock(&d->lock);
    if (stop)
        return MHD_CONTENT_READER_END_OF_STREAM;
    long n = s->ops->read(s->arg, out, max);
    if (n > 0)
        return n > (long)max ? (ssize_t)max : (ssize_t)n;
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing now. A wake between read() and here left woken set: MHD calls
     * again at once. Otherwise park the connection until the next wake. */
    pthread_mutex_lock(&d->lock);
    if (d->stopping) {
        pthread_mutex_unlock(&d->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (s->woken) {
        s->woken = 0;
    } else {
        s->suspended = 1;
        MHD_suspend_connection(s->c);
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static void stream_free(void *cls)
{
    httpd_stream *s = cls;
    httpd *d = s->d;
    pthread_mutex_lock(&d->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        d->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&d->lock);
    s->ops->close(s->arg);
    free(s);
}

void httpd_stream_wake(httpd_stream *s)
{
    httpd *d = s->d;
    pthread_mutex_lock(&d->lock);
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->c);
    } else {
        s->woken = 1;
    }
    pthread_mutex_unlock(&d->lock);
}

/* Queues a streaming response: status and headers now, the body from
 * stream_read. From the moment the stream exists, its owner learns of the
 * end only through ops->close (stream_free), whatever fails. */
static enum MHD_Result respond_stream(httpd *d, struct MHD_Connection *c, const httpd_resp *x)
{
    httpd_stream *s = calloc(1, sizeof(*s));
    if (!s) {
        x->stream->close(x->stream_arg); /* never opened: nothing to undo */
        return respond_text(d, c, 503, NULL, "out of memory\n");
    }
    s->d = d;
    s->c = c;
    s->ops = x->stream;
    s->arg = x->stream_arg;
    pthread_mutex_lock(&d->lock);
    int stop = d->stopping;
    if (!stop) {
        s->next = d->streams;
        if (s->next)
            s->next->prev = s;
        d->streams = s;
    }
    pthread_mutex_unlock(&d->lock);
    if (stop) {
        x->stream->close(x->stream_arg);
        free(s);
        return respond_text(d, c, 503, NULL, "shutting down\n");
    }
    s->ops->open(s->arg, s);
    /* A stream lives long and its client may stop reading: bound what the
     * kernel holds for it (loopback autotuning would otherwise let a stuck
     * client's socket absorb megabytes before berth sees back-pressure and
     * starts dropping frames for it). */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        int sndbuf = HTTPD_STREAM_SNDBUF;
        (void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    enum MHD_Result ret = MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, x->content_type) != MHD_YES ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES)
        goto out;
    for (unsigned i = 0; i < x->n_headers; i++)
        if (MHD_add_response_header(resp, x->headers[i][0], x->headers[i][1]) != MHD_YES)
            goto out;
    ret = MHD_queue_response(c, (unsigned)x->status, resp);
    if (ret == MHD_YES)
        count_status(d, x->status);
out:
    MHD_destroy_response(resp); /* stream_free runs when MHD is done with it */
    return ret;
}

static int has_body(struct MHD_Connection *c)
{
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te)
        return 1;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return 0;
    while (*cl == '0')
        cl++;
    return *cl != '\0'; /* MHD has already rejected non-numeric values */
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_ctx)
{
    httpd *d = cls;
    reqctx *r = *req_ctx;
    char peer[INET6_ADDRSTRLEN], what[96], path[96];

    if (r && r->handled) {
        /* A response is queued: MHD does not come back; if it does,
         * discard whatever it offers. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!r) {
        atomic_fetch_add_explicit(&d->requests, 1, memory_order_relaxed);
        log_warn(MOD, "out of memory for a request context");
        return respond_text(d, c, 503, NULL, "out of memory\n");
    }
    if (!r->seen) {
        /* First call, headers only. Refusals are answered now (MHD then
         * closes the connection, which is right for them). A good request
         * is answered on the next call: MHD treats a response queued
         * before the (empty) body as "early" and closes the connection
         * after it, which would cost every client a new connection. */
        r->seen = 1;
        atomic_fetch_add_explicit(&d->requests, 1, memory_order_relaxed);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
            r->handled = 1;
            peer_str(c, peer, sizeof(peer));
            log_safe(what, sizeof(what), method);
            log_safe(path, sizeof(path), url);
            log_debug(MOD, "405 for %s: method %s on %s", peer, what, path);
            return respond_text(d, c, 405, "GET, HEAD", "method not allowed\n");
        }
        if (has_body(c)) {
            r->handled = 1;
            peer_str(c, peer, sizeof(peer));
            log_safe(path, sizeof(path), url);
            log_debug(MOD, "413 for %s: request body on %s", peer, path);
            return respond_text(d, c, 413, NULL, "request body not accepted\n");
        }
        return MHD_YES;
    }
    *upload_data_size = 0;
    r->handled = 1;

    const char *ae =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    const char *inm =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    httpd_req req = {method, url, r->query, ae ? ae : "", inm ? inm : "", auth ? auth : ""};
    httpd_resp resp = {200, "text/plain; charset=utf-8", "", BUF_INIT, {{0}}, 0, NULL, NULL};
    d->handler(&req, &resp, d->arg);
    if (resp.n_headers > HTTPD_MAX_HEADERS)
        resp.n_headers = 0, resp.status = 0; /* a handler bug: 500 below */
    for (unsigned i = 0; i < resp.n_headers; i++)
        if (!resp.headers[i][0] || !resp.headers[i][1] || !header_value_ok(resp.headers[i][1]))
            resp.status = 0;

    resp.content_type[sizeof(resp.content_type) - 1] = '\0';
    resp.content_encoding[sizeof(resp.content_encoding) - 1] = '\0';
    if (resp.status < 200 || resp.status > 599 || !header_value_ok(resp.content_type) ||
        !header_value_ok(resp.content_encoding)) {
        log_safe(path, sizeof(path), url);
        log_error(MOD, "handler for %s returned status %d or a bad header value; sending 500", path,
                  resp.status);
        buf_free(&resp.body);
        if (resp.stream)
            resp.stream->close(resp.stream_arg);
        return respond_text(d, c, 500, NULL, "internal error\n");
    }
    if (resp.stream) {
        buf_free(&resp.body);
        return respond_stream(d, c, &resp);
    }
    return respond(d, c, resp.status, resp.content_type, resp.content_encoding, NULL, &resp.body,
                   &resp);
}

/* ---- MHD's log -------------------------------------------------------- */

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    httpd *d = cls;
    char raw[256], msg[256];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    size_t n = strlen(raw);
    while (n && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
        raw[--n] = '\0';
    log_safe(msg, sizeof(msg), raw); /* MHD may quote what the client sent */
    pthread_mutex_lock(&d->lock);
    if (d->starting && !d->start_err[0]) /* the first message is the cause */
        snprintf(d->start_err, sizeof(d->start_err), "%s", msg);
    pthread_mutex_unlock(&d->lock);
    log_debug(MOD, "mhd: %s", msg);
}

/* ---- lifecycle -------------------------------------------------------- */

static void free_httpd(httpd *d)
{
    if (!d)
        return;
    pthread_mutex_destroy(&d->lock);
    free(d->slots);
    free(d);
}

int httpd_start(const httpd_opts *o, httpd_handler h, void *arg, httpd **out, char *err,
                size_t errlen)
{
    int rc = 0;
    httpd *d = NULL;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } sa;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!o || !h) {
        snprintf(err, errlen, "no options or no handler");
        return -EINVAL;
    }
    const char *addr = *o->addr ? o->addr : DEF_ADDR;
    unsigned max_conns = o->max_conns ? o->max_conns : DEF_MAX_CONNS;
    unsigned per_ip = o->per_ip_conns ? o->per_ip_conns : DEF_PER_IP;
    unsigned timeout = o->timeout_s ? o->timeout_s : DEF_TIMEOUT_S;
    size_t req_bytes = o->max_request_bytes ? o->max_request_bytes : DEF_REQ_BYTES;
    unsigned threads = o->threads ? o->threads : DEF_THREADS;

    if (o->port < 0 || o->port > 65535 || max_conns > MAX_CONNS_LIMIT ||
        req_bytes < MIN_REQ_BYTES || threads > MAX_THREADS) {
        snprintf(err, errlen,
                 "bad options (port 0..65535, max_conns <= %u, "
                 "max_request_bytes >= %u, threads <= %u)",
                 MAX_CONNS_LIMIT, MIN_REQ_BYTES, MAX_THREADS);
        return -EINVAL;
    }
    memset(&sa, 0, sizeof(sa));
    if (inet_pton(AF_INET, addr, &sa.in4.sin_addr) == 1) {
        sa.in4.sin_family = AF_INET;
        sa.in4.sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, addr, &sa.in6.sin6_addr) == 1) {
        sa.in6.sin6_family = AF_INET6;
        sa.in6.sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "listen address '%s' is not an IPv4 or IPv6 literal", addr);
        return -EINVAL;
    }

    d = calloc(1, sizeof(*d));
    if (!d) {
        rc = -ENOMEM;
        goto out;
    }
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        free(d);
        d = NULL;
        rc = -ENOMEM;
        goto out;
    }
    d->handler = h;
    d->arg = arg;
    d->max_conns = max_conns;
    d->per_ip = per_ip;
    /* accept_policy can let threads - 1 connections past a full limit, see
     * the top of this file; slots must cover every open connection */
    unsigned slack = threads;
    d->nslots = (size_t)max_conns + slack;
    d->slots = calloc(d->nslots, sizeof(*d->slots));
    if (!d->slots) {
        rc = -ENOMEM;
        goto out;
    }

    struct MHD_OptionItem ints[] = {
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)((max_conns + slack) * threads), NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)(per_ip + slack), NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)req_bytes, NULL},
        {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
        /* last: with one thread this entry ends the array (no pool) */
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    d->starting = 1;
    errno = 0;
    d->mhd = MHD_start_daemon(flags, (uint16_t)o->port, accept_policy, d, access_cb, d,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, d,       /* first */
                              MHD_OPTION_SOCK_ADDR, &sa.sa,                 /* bind */
                              MHD_OPTION_NOTIFY_CONNECTION, notify_conn, d, /* limits */
                              MHD_OPTION_URI_LOG_CALLBACK, uri_log, d,      /* query */
                              MHD_OPTION_NOTIFY_COMPLETED, request_done, d, /* free */
                              MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, d, /* raw */
                              MHD_OPTION_ARRAY, ints, MHD_OPTION_END);
    int e = errno;
    pthread_mutex_lock(&d->lock);
    d->starting = 0;
    pthread_mutex_unlock(&d->lock);
    if (!d->mhd) {
        rc = -(e ? e : EIO);
        snprintf(err, errlen, "%s", d->start_err[0] ? d->start_err : strerror(e ? e : EIO));
        goto out;
    }

    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    d->port = di ? di->port : o->port;
    log_debug(MOD, "listening on %s port %d (%u threads, %u conns, %u per ip, %us timeout)", addr,
              d->port, threads, max_conns, per_ip, timeout);
    *out = d;
    d = NULL;
out:
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    free_httpd(d);
    return rc;
}

int httpd_port(const httpd *d)
{
    return d->port;
}

void httpd_stop(httpd *d)
{
    if (!d)
        return;
    /* MHD must not be stopped with suspended connections: end every stream
     * (stream_read answers end-of-stream from now on) and resume the
     * parked ones, then stop. */
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    for (httpd_stream *s = d->streams; s; s = s->next) {
        if (s->suspended) {
            s->suspended = 0;
            MHD_resume_connection(s->c);
        }
    }
    pthread_mutex_unlock(&d->lock);
    MHD_stop_daemon(d->mhd);
    free_httpd(d);
}

void httpd_get_stats(const httpd *d, httpd_stats *s)
{
    s->requests = atomic_load_explicit(&d->requests, memory_order_relaxed);
    s->errors_4xx = atomic_load_explicit(&d->errors_4xx, memory_order_relaxed);
    s->errors_5xx = atomic_load_explicit(&d->errors_5xx, memory_order_relaxed);
    s->rejected = atomic_load_explicit(&d->rejected, memory_order_relaxed);
}
