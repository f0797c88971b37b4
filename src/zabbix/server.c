/*
 * zbx server: the Zabbix agent listener. One thread runs one epoll loop over
 * the listening socket, an eventfd (the stop signal) and every connection;
 * sockets are non-blocking and the loop only ever waits in epoll_wait. See
 * zbx.h for the protocol, the policy and the limits; this file notes how the
 * loop keeps them.
 *
 * A connection lives through three states:
 *   C_READ   collecting one request. The first bytes decide the framing:
 *            "ZBXD" starts a header (the body is read only once its length
 *            is known to fit max_request); anything else is a headerless
 *            key ended by "\n" or by the peer's FIN, which must be text.
 *   C_WRITE  the whole reply is in c->out, being sent. A peer that does not
 *            take it by the deadline is reset (SO_LINGER 0), so no orphaned
 *            socket keeps the unsent rest in kernel memory.
 *   C_DRAIN  the reply is sent and our side shut down (FIN); whatever the
 *            peer still sends is read and dropped until it closes. Closing
 *            with unread input would make the kernel send a RST, which can
 *            destroy the reply before the peer reads it; the Zabbix server
 *            closes as soon as it sees our FIN, so this state is short.
 *
 * Invariants:
 *   - every connection is on the list s->head..s->tail in accept order, and
 *     all share one timeout, so the list is also in deadline order: the
 *     head is the next to expire and epoll_wait sleeps until then;
 *   - a closed connection leaves the list at once but is freed only after
 *     the current batch of epoll events (s->dead), since a later event in
 *     the same batch may name it; such events are skipped (fd < 0);
 *   - c->in never holds more than ZBX_HDR_MAX + max_request bytes; c->out
 *     holds at most ZBX_MAX_REPLY bytes of values, plus, for JSON, their
 *     escaping (up to 6-fold for control characters, \u00XX) and framing.
 *     Both are freed once the reply is sent.
 */
#include "zabbix/zbx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/clock.h"
#include "util/log.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

#define MOD "zabbix"

#define DEF_ADDR        "127.0.0.1"
#define DEF_ALLOW       "127.0.0.1,::1"
#define DEF_MAX_CONNS   32u
#define MAX_CONNS_LIMIT 100000u
#define DEF_MAX_REQUEST (64u * 1024u)
#define MIN_MAX_REQUEST 1024u
#define MAX_MAX_REQUEST (64u << 20)
#define DEF_TIMEOUT_S   3u
#define MAX_TIMEOUT_S   600u
#define READ_CHUNK      4096u
#define ACCEPT_BATCH    64   /* accepts per wake-up, so reads are not starved */
#define ACCEPT_PAUSE_MS 100u /* after EMFILE and friends */
#define DRAIN_READS     16   /* reads per event while draining */
#define MAX_EVENTS      64

#define MSG_UNSUPPORTED "Unsupported item key."
#define MSG_BAD_KEY     "Invalid item key format."

enum cstate { C_READ, C_WRITE, C_DRAIN };
enum cmode { M_UNKNOWN, M_HEADER, M_RAW };
enum { AGAIN, DONE }; /* what conn_process did */

typedef struct conn {
    int fd; /* -1 once closed (on s->dead) */
    enum cstate st;
    enum cmode mode;
    int eof;
    uint32_t events; /* current epoll mask */
    size_t hdrlen;   /* M_HEADER: where the body starts */
    size_t need;     /* M_HEADER: header + body, 0 until the header is parsed */
    size_t scanned;  /* M_RAW: bytes already checked for binary data */
    buf in, out;
    size_t sent;
    uint64_t deadline; /* ms on CLOCK_MONOTONIC */
    struct conn *prev, *next;
    char peer[INET6_ADDRSTRLEN + 8];
} conn;

struct zbx_server {
    int lfd, ep, wake;
    pthread_t thread;
    int thread_started;
    zbx_item_cb cb;
    void *arg;
    zbx_allow *allow;
    unsigned max_conns, timeout_s;
    size_t max_request;
    char hostname[256];
    char version[128];
    int port;

    /* loop thread only */
    conn *head, *tail, *dead;
    unsigned nconns;
    int accept_paused;
    uint64_t accept_resume;
    zbx_key key; /* the key being answered, lent to the callback */
    buf val;     /* one item's value or reason */
    buf reply;   /* the reply payload before framing */

    atomic_uint_least64_t requests, notsupported, refused, bad_requests, timeouts, evicted;
};

/* ---- small helpers ---------------------------------------------------- */

static void count(atomic_uint_least64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* "1.2.3.4:5678" or "[::1]:5678"; IPv4-mapped IPv6 shown as IPv4. */
static void peer_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in4 = (const void *)ss;
        inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
        snprintf(out, len, "%s:%u", a, ntohs(in4->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, a, sizeof(a));
            snprintf(out, len, "%s:%u", a, ntohs(in6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
            snprintf(out, len, "[%s]:%u", a, ntohs(in6->sin6_port));
        }
    } else {
        snprintf(out, len, "?");
    }
}

/* Printable ASCII copy of text for a JSON error or a log line. */
static void ascii_copy(buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(out, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
}

/* ---- connections ------------------------------------------------------ */

static void conn_close(zbx_server *s, conn *c)
{
    if (c->fd < 0)
        return;
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->tail = c->prev;
    s->nconns--;
    c->prev = NULL;
    c->next = s->dead;
    s->dead = c;
}

static void free_dead(zbx_server *s)
{
    while (s->dead) {
        conn *c = s->dead;
        s->dead = c->next;
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
    }
}

static int set_events(zbx_server *s, conn *c, uint32_t events)
{
    if (c->events == events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        log_warn(MOD, "epoll_ctl for %s: %s", c->peer, strerror(errno));
        conn_close(s, c);
        return -1;
    }
    c->events = events;
    return 0;
}

/* Malformed or unacceptable request: one warning, counted, closed. */
__attribute__((format(printf, 3, 4))) static int bad(zbx_server *s, conn *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    count(&s->bad_requests);
    log_warn(MOD, "closed connection from %s: %s", c->peer, msg);
    conn_close(s, c);
    return DONE;
}

/* ---- answering -------------------------------------------------------- */

/*
 * Answers one key into s->val. Returns 0 with the value, or a negative
 * errno with the reason (counted as not supported).
 */
static int answer_item(zbx_server *s, const char *text, size_t len)
{
    buf *v = &s->val;
    int rc;

    buf_reset(v);
    rc = zbx_parse_key(text, len, &s->key);
    if (rc < 0) {
        buf_puts(v, rc == -E2BIG ? "Item key is longer than berth's limits." : MSG_BAD_KEY);
        goto out;
    }
    const char *builtin = NULL;
    if (strcmp(s->key.name, "agent.ping") == 0)
        builtin = "1";
    else if (strcmp(s->key.name, "agent.version") == 0)
        builtin = s->version;
    else if (strcmp(s->key.name, "agent.hostname") == 0)
        builtin = s->hostname;
    if (builtin) {
        if (s->key.nparams) {
            buf_puts(v, "Item does not allow parameters.");
            rc = -EINVAL;
        } else {
            buf_puts(v, builtin);
        }
        goto out;
    }
    if (!s->cb) {
        buf_puts(v, MSG_UNSUPPORTED);
        rc = -ENOTSUP;
        goto out;
    }
    rc = s->cb(&s->key, v, s->arg);
    if (rc > 0)
        rc = 0;
    if (rc < 0 && v->len == 0)
        buf_puts(v, rc == -ENOTSUP ? MSG_UNSUPPORTED : strerror(-rc));
    if (rc == 0 && v->len > ZBX_MAX_REPLY) {
        buf_reset(v);
        buf_puts(v, "Value is too long.");
        rc = -EMSGSIZE;
    }
out:
    if (rc < 0)
        count(&s->notsupported);
    return rc;
}

static int dump_cb(const char *p, size_t n, void *arg)
{
    buf_append(arg, p, n);
    return 0;
}

/* A JSON string from bytes that may not be UTF-8: as is if valid, else as
 * printable ASCII (reasons), or NULL (values, which must not be altered). */
static json_t *jstr(const char *p, size_t n, int lossy)
{
    json_t *j = json_stringn(p, n);
    if (j || !lossy)
        return j;
    buf t = BUF_INIT;
    ascii_copy(&t, p, n);
    j = json_stringn(t.data ? t.data : "", t.len);
    buf_free(&t);
    return j;
}

/* Builds the JSON reply payload into s->reply. 0, or -ENOMEM. */
static int answer_json(zbx_server *s, const zbx_request *r, int rc_parse)
{
    int rc = -ENOMEM;
    size_t total = 0;
    json_t *root = json_object(), *data = NULL;

    if (!root || json_object_set_new(root, "version", json_string(ZBX_PROTO_VERSION)) ||
        json_object_set_new(root, "variant", json_integer(ZBX_VARIANT)))
        goto out;
    if (rc_parse < 0) {
        if (json_object_set_new(root, "error", jstr(r->error, strlen(r->error), 1)))
            goto out;
    } else {
        data = json_array();
        if (!data || json_object_set_new(root, "data", data))
            goto out;
        for (unsigned i = 0; i < r->nitems; i++) {
            json_t *o = json_object();
            if (!o || json_array_append_new(data, o))
                goto out;
            int rc_item = answer_item(s, r->items[i].key, r->items[i].len);
            const buf *v = &s->val;
            json_t *j = NULL;
            if (rc_item == 0) {
                if (total + v->len > ZBX_MAX_REPLY) {
                    count(&s->notsupported);
                    j = json_string("Value does not fit in one reply.");
                    rc_item = -EMSGSIZE;
                } else if (!(j = json_stringn(v->data ? v->data : "", v->len))) {
                    count(&s->notsupported);
                    j = json_string("Value is not valid UTF-8.");
                    rc_item = -EILSEQ;
                }
                total += rc_item == 0 ? v->len : 0;
            } else {
                j = jstr(v->data ? v->data : "", v->len, 1);
            }
            if (json_object_set_new(o, rc_item == 0 ? "value" : "error", j))
                goto out;
        }
    }
    buf_reset(&s->reply);
    if (json_dump_callback(root, dump_cb, &s->reply, JSON_COMPACT) == 0)
        rc = 0;
out:
    json_decref(root);
    return rc;
}

/* Sends what is left of c->out; then shuts our side and drains. */
static void conn_write(zbx_server *s, conn *c)
{
    while (c->sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->events != EPOLLOUT)
                log_debug(MOD, "reply to %s: %zu of %zu bytes sent, waiting for the peer", c->peer,
                          c->sent, c->out.len);
            set_events(s, c, EPOLLOUT);
            return;
        }
        log_debug(MOD, "send to %s: %s", c->peer, n < 0 ? strerror(errno) : "nothing sent");
        conn_close(s, c);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    buf_free(&c->in);
    buf_free(&c->out);
    c->st = C_DRAIN;
    set_events(s, c, EPOLLIN);
}

/* Answers the request in body[0..len) and starts sending the reply. */
static int answer(zbx_server *s, conn *c, const char *body, size_t len)
{
    zbx_request r;
    int rc = zbx_parse_request(body, len, &r);

    buf_reset(&s->reply);
    if (rc < 0) {
        count(&s->bad_requests);
        log_warn(MOD, "bad JSON request from %s: %s", c->peer, r.error);
    } else {
        count(&s->requests);
        log_debug(MOD, "request from %s: %s, %s, %u item(s)", c->peer,
                  c->mode == M_HEADER ? "with header" : "headerless",
                  r.json ? "7.0 JSON" : "legacy key", r.nitems);
    }
    if (r.json) {
        if (answer_json(s, &r, rc) < 0) {
            zbx_request_free(&r);
            log_error(MOD, "out of memory building a reply for %s", c->peer);
            conn_close(s, c);
            return DONE;
        }
    } else if (answer_item(s, r.items[0].key, r.items[0].len) == 0) {
        buf_append(&s->reply, s->val.data ? s->val.data : "", s->val.len);
    } else {
        /* "ZBX_NOTSUPPORTED\0<reason>" */
        buf_append(&s->reply, ZBX_NOTSUPPORTED, sizeof(ZBX_NOTSUPPORTED));
        buf_append(&s->reply, s->val.data ? s->val.data : "", s->val.len);
    }
    zbx_request_free(&r);

    buf_reset(&c->out);
    zbx_encode(&c->out, s->reply.data ? s->reply.data : "", s->reply.len);
    if (s->reply.cap > 2 * DEF_MAX_REQUEST) /* do not keep a big reply's memory */
        buf_free(&s->reply);
    if (s->val.cap > 2 * DEF_MAX_REQUEST)
        buf_free(&s->val);
    c->st = C_WRITE;
    c->sent = 0;
    conn_write(s, c);
    return DONE;
}

static int is_binary(unsigned char ch)
{
    return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f;
}

/* Looks at what has been read so far; answers, closes, or asks for more. */
static int conn_process(zbx_server *s, conn *c)
{
    const unsigned char *p = (const unsigned char *)c->in.data;
    size_t len = c->in.len;

    if (c->mode == M_UNKNOWN) {
        if (len == 0) {
            if (!c->eof)
                return AGAIN;
            /* a port check (net.tcp.service and the like): not an error */
            log_debug(MOD, "%s closed without a request", c->peer);
            conn_close(s, c);
            return DONE;
        }
        if (memcmp(p, "ZBXD", len < 4 ? len : 4) == 0) {
            if (len < 4 && !c->eof)
                return AGAIN;
            c->mode = len >= 4 ? M_HEADER : M_RAW;
        } else {
            c->mode = M_RAW;
        }
    }

    if (c->mode == M_HEADER) {
        if (!c->need) {
            zbx_header h;
            int rc = zbx_parse_header(p, len, &h);
            if (rc == -EAGAIN)
                return c->eof ? bad(s, c, "truncated header (%zu bytes)", len) : AGAIN;
            if (rc == -EINVAL)
                return bad(s, c, "invalid header (flags 0x%02x)", p[4]);
            if (rc == -EMSGSIZE)
                return bad(s, c, "request over the protocol's 1 GiB limit announced");
            if (h.datalen > s->max_request)
                return bad(s, c, "request of %llu bytes announced, more than max_request %zu",
                           (unsigned long long)h.datalen, s->max_request);
            if (h.flags & ZBX_FLAG_COMPRESSED)
                return bad(s, c,
                           "compressed request (not supported; Zabbix does not "
                           "compress agent requests)");
            c->hdrlen = h.hdrlen;
            c->need = h.hdrlen + (size_t)h.datalen;
        }
        if (len < c->need)
            return c->eof ? bad(s, c, "truncated request (%zu of %zu bytes)", len, c->need) : AGAIN;
        return answer(s, c, c->in.data + c->hdrlen, c->need - c->hdrlen);
    }

    /* M_RAW: a headerless key up to "\n" or the peer's FIN */
    if (p[0] == 0x16)
        return bad(s, c, "TLS handshake (TLS is not supported; use TLSConnect=unencrypted)");
    const char *nl = memchr(c->in.data, '\n', len);
    size_t end = nl ? (size_t)(nl - c->in.data) : len;
    if (end > s->max_request)
        return bad(s, c, "headerless request longer than max_request %zu", s->max_request);
    for (; c->scanned < end; c->scanned++) {
        if (is_binary(p[c->scanned]))
            return bad(s, c, "binary data without a Zabbix header (byte 0x%02x at %zu)",
                       p[c->scanned], c->scanned);
    }
    if (nl || c->eof)
        return answer(s, c, c->in.data, end);
    return AGAIN;
}

/* The most bytes c->in may hold in the current phase. */
static size_t read_limit(const zbx_server *s, const conn *c)
{
    if (c->need)
        return c->need;
    if (c->mode == M_RAW)
        return s->max_request + 1;
    return ZBX_HDR_MAX + s->max_request;
}

static void conn_read(zbx_server *s, conn *c)
{
    for (;;) {
        size_t limit = read_limit(s, c);
        if (c->in.len >= limit) {
            /* cannot happen: conn_process decides before the limit */
            bad(s, c, "request too long");
            return;
        }
        size_t want = limit - c->in.len;
        if (want > READ_CHUNK)
            want = READ_CHUNK;
        buf_reserve(&c->in, want);
        ssize_t n = recv(c->fd, c->in.data + c->in.len, want, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->in.data[c->in.len] = '\0';
        } else if (n == 0) {
            c->eof = 1;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            log_debug(MOD, "recv from %s: %s", c->peer, strerror(errno));
            conn_close(s, c);
            return;
        }
        if (conn_process(s, c) == DONE || c->eof)
            return;
    }
}

static void conn_drain(zbx_server *s, conn *c)
{
    char tmp[READ_CHUNK];
    for (int i = 0; i < DRAIN_READS; i++) {
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_close(s, c); /* FIN or error: done */
        return;
    }
}

static void conn_event(zbx_server *s, conn *c, uint32_t ev)
{
    if (c->fd < 0)
        return; /* closed earlier in this batch */
    switch (c->st) {
    case C_READ:
        conn_read(s, c);
        break;
    case C_WRITE:
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            conn_write(s, c);
        break;
    case C_DRAIN:
        conn_drain(s, c);
        break;
    }
}

/* ---- accepting -------------------------------------------------------- */

/* Makes room for one more connection. First choice: the oldest one already
 * answered and draining (its exchange is over and we read its input eagerly,
 * so closing it costs nothing); else the oldest one still waiting for its
 * request. Connections sending a reply are kept. 0 if none could go. */
static int evict_one(zbx_server *s)
{
    for (conn *c = s->head; c; c = c->next) {
        if (c->st == C_DRAIN) {
            conn_close(s, c);
            return 1;
        }
    }
    for (conn *c = s->head; c; c = c->next) {
        if (c->st == C_READ) {
            count(&s->evicted);
            log_warn(MOD,
                     "closed connection from %s: max_conns %u reached and it is the "
                     "oldest still waiting for its request",
                     c->peer, s->max_conns);
            conn_close(s, c);
            return 1;
        }
    }
    return 0;
}

static void pause_accept(zbx_server *s, uint64_t now)
{
    if (epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL) == 0) {
        s->accept_paused = 1;
        s->accept_resume = now + ACCEPT_PAUSE_MS;
    }
}

static void resume_accept(zbx_server *s)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lfd};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) == 0)
        s->accept_paused = 0;
    else
        s->accept_resume = (uint64_t)clock_mono_ms() + ACCEPT_PAUSE_MS;
}

static void do_accept(zbx_server *s)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char peer[INET6_ADDRSTRLEN + 8];
        int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK)
                return;
            if (e == EINTR || e == ECONNABORTED || e == EPROTO)
                continue;
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the listener stays readable,
             * so stop polling it for a moment instead of spinning */
            log_warn(MOD, "accept: %s; not accepting for %u ms", strerror(e), ACCEPT_PAUSE_MS);
            pause_accept(s, (uint64_t)clock_mono_ms());
            return;
        }
        peer_str(&ss, peer, sizeof(peer));
        if (!zbx_allow_match(s->allow, (const struct sockaddr *)&ss)) {
            count(&s->refused);
            log_warn(MOD, "refused connection from %s: not in the allow list", peer);
            close(fd);
            continue;
        }
        if (s->nconns >= s->max_conns && !evict_one(s)) {
            count(&s->refused);
            log_warn(MOD, "refused connection from %s: max_conns %u replies in progress", peer,
                     s->max_conns);
            close(fd);
            continue;
        }
        conn *c = calloc(1, sizeof(*c));
        if (!c) {
            log_warn(MOD, "out of memory for a connection from %s", peer);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->events = EPOLLIN;
        c->deadline = (uint64_t)clock_mono_ms() + (uint64_t)s->timeout_s * 1000u;
        snprintf(c->peer, sizeof(c->peer), "%s", peer);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            log_warn(MOD, "epoll_ctl for %s: %s", peer, strerror(errno));
            close(fd);
            free(c);
            continue;
        }
        c->prev = s->tail;
        if (s->tail)
            s->tail->next = c;
        else
            s->head = c;
        s->tail = c;
        s->nconns++;
    }
}

/* ---- the loop --------------------------------------------------------- */

/* Closes connections past their deadline; returns the epoll_wait timeout. */
static int expire(zbx_server *s, uint64_t now)
{
    while (s->head && s->head->deadline <= now) {
        conn *c = s->head;
        if (c->st == C_WRITE) {
            /* abortive close (RST): do not leave up to a send buffer of
             * reply behind in an orphaned socket for a peer that stalls */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        if (c->st != C_DRAIN) {
            count(&s->timeouts);
            log_warn(MOD, "closed connection from %s: %s within %us", c->peer,
                     c->st == C_READ ? "no complete request" : "reply not taken", s->timeout_s);
        }
        conn_close(s, c);
    }
    if (s->accept_paused && now >= s->accept_resume)
        resume_accept(s);

    uint64_t next = UINT64_MAX;
    if (s->head)
        next = s->head->deadline;
    if (s->accept_paused && s->accept_resume < next)
        next = s->accept_resume;
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)(next - now);
}

static void *loop(void *arg)
{
    zbx_server *s = arg;
    struct epoll_event ev[MAX_EVENTS];

    for (;;) {
        int timeout = expire(s, (uint64_t)clock_mono_ms());
        free_dead(s);
        int n = epoll_wait(s->ep, ev, MAX_EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error(MOD, "epoll_wait: %s; the Zabbix listener stops", strerror(errno));
            break;
        }
        int stop = 0;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == &s->wake)
                stop = 1;
            else if (ev[i].data.ptr == &s->lfd)
                do_accept(s);
            else
                conn_event(s, ev[i].data.ptr, ev[i].events);
        }
        free_dead(s);
        if (stop)
            break;
    }
    while (s->head)
        conn_close(s, s->head);
    free_dead(s);
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

static void free_server(zbx_server *s)
{
    if (!s)
        return;
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->ep >= 0)
        close(s->ep);
    if (s->wake >= 0)
        close(s->wake);
    zbx_allow_free(s->allow);
    buf_free(&s->val);
    buf_free(&s->reply);
    free(s);
}

static int listen_on(zbx_server *s, const char *addr, int port, char *err, size_t errlen)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } sa;
    socklen_t sl;
    int one = 1;

    memset(&sa, 0, sizeof(sa));
    if (inet_pton(AF_INET, addr, &sa.in4.sin_addr) == 1) {
        sa.in4.sin_family = AF_INET;
        sa.in4.sin_port = htons((uint16_t)port);
        sl = sizeof(sa.in4);
    } else if (inet_pton(AF_INET6, addr, &sa.in6.sin6_addr) == 1) {
        sa.in6.sin6_family = AF_INET6;
        sa.in6.sin6_port = htons((uint16_t)port);
        sl = sizeof(sa.in6);
    } else {
        snprintf(err, errlen, "listen address '%s' is not an IPv4 or IPv6 literal", addr);
        return -EINVAL;
    }
    s->lfd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(s->lfd, &sa.sa, sl) != 0 || listen(s->lfd, SOMAXCONN) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s port %d: %s", addr, port, strerror(e));
        return -e;
    }
    sl = sizeof(sa);
    if (getsockname(s->lfd, &sa.sa, &sl) != 0) {
        int e = errno;
        snprintf(err, errlen, "getsockname: %s", strerror(e));
        return -e;
    }
    s->port = ntohs(sa.sa.sa_family == AF_INET ? sa.in4.sin_port : sa.in6.sin6_port);
    return 0;
}

int zbx_start(const zbx_opts *o, zbx_item_cb cb, void *arg, zbx_server **out, char *err,
              size_t errlen)
{
    int rc = 0;
    zbx_server *s = NULL;
    char tmp[256];

    if (err && errlen)
        err[0] = '\0';
    if (!err || !errlen) {
        err = tmp;
        errlen = sizeof(tmp);
    }
    *out = NULL;
    if (!o) {
        snprintf(err, errlen, "no options");
        return -EINVAL;
    }
    const char *addr = o->addr && *o->addr ? o->addr : DEF_ADDR;
    const char *allow = o->allow && *o->allow ? o->allow : DEF_ALLOW;
    unsigned max_conns = o->max_conns ? o->max_conns : DEF_MAX_CONNS;
    size_t max_request = o->max_request ? o->max_request : DEF_MAX_REQUEST;
    unsigned timeout_s = o->timeout_s ? o->timeout_s : DEF_TIMEOUT_S;
    if (o->port < 0 || o->port > 65535 || max_conns > MAX_CONNS_LIMIT ||
        max_request < MIN_MAX_REQUEST || max_request > MAX_MAX_REQUEST ||
        timeout_s > MAX_TIMEOUT_S) {
        snprintf(err, errlen,
                 "bad options (port 0..65535, max_conns <= %u, max_request %u..%u, "
                 "timeout_s <= %u)",
                 MAX_CONNS_LIMIT, MIN_MAX_REQUEST, MAX_MAX_REQUEST, MAX_TIMEOUT_S);
        return -EINVAL;
    }

    s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->lfd = s->ep = s->wake = -1;
    s->cb = cb;
    s->arg = arg;
    s->max_conns = max_conns;
    s->max_request = max_request;
    s->timeout_s = timeout_s;
    snprintf(s->version, sizeof(s->version), "%s", o->version ? o->version : BERTH_VERSION);
    if (o->hostname)
        snprintf(s->hostname, sizeof(s->hostname), "%s", o->hostname);
    else if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0)
        snprintf(s->hostname, sizeof(s->hostname), "localhost");

    if ((rc = zbx_allow_new(allow, strlen(allow), &s->allow, err, errlen)) < 0)
        goto out;
    if ((rc = listen_on(s, addr, o->port, err, errlen)) < 0)
        goto out;
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->lfd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &s->wake};
    if (s->ep < 0 || s->wake < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &lev) != 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->wake, &wev) != 0) {
        rc = -errno;
        snprintf(err, errlen, "epoll/eventfd: %s", strerror(errno));
        goto out;
    }
    int e = pthread_create(&s->thread, NULL, loop, s);
    if (e != 0) {
        rc = -e;
        snprintf(err, errlen, "cannot start the Zabbix listener thread: %s", strerror(e));
        goto out;
    }
    s->thread_started = 1;
    log_debug(MOD, "listening on %s port %d (allow %s, %u conns, %zu bytes, %us timeout)", addr,
              s->port, allow, max_conns, max_request, timeout_s);
    *out = s;
    s = NULL;
out:
    free_server(s);
    return rc;
}

int zbx_port(const zbx_server *s)
{
    return s->port;
}

void zbx_stop(zbx_server *s)
{
    if (!s)
        return;
    if (s->thread_started) {
        uint64_t one = 1;
        while (write(s->wake, &one, sizeof(one)) < 0 && errno == EINTR)
            ;
        pthread_join(s->thread, NULL);
    }
    free_server(s);
}

void zbx_get_stats(const zbx_server *s, zbx_stats *st)
{
    st->requests = atomic_load_explicit(&s->requests, memory_order_relaxed);
    st->notsupported = atomic_load_explicit(&s->notsupported, memory_order_relaxed);
    st->refused = atomic_load_explicit(&s->refused, memory_order_relaxed);
    st->bad_requests = atomic_load_explicit(&s->bad_requests, memory_order_relaxed);
    st->timeouts = atomic_load_explicit(&s->timeouts, memory_order_relaxed);
    st->evicted = atomic_load_explicit(&s->evicted, memory_order_relaxed);
}
