/*
 * svc_probe: TCP and HTTP probes of a container's listeners, made from
 * inside the container's network namespace (see svc.h).
 *
 * Why a namespace and not the container's IP: a service bound to 127.0.0.1
 * in a container is unreachable from the host, a container may have no
 * routable address at all, and berth must never send traffic from the host
 * to a bridge address. From inside the namespace every listener is local
 * traffic on the container's own loopback or addresses.
 *
 * Why a short-lived thread: setns(CLONE_NEWNET) changes the namespace of the
 * calling thread only, so the batch runs on a thread made for it by
 * ns_run() (ns/ns.c), which exits afterwards: no agent thread
 * ever runs in a container's namespace and nothing has to switch back.
 *
 * Threads: svc_probe_batch() blocks its caller while one worker thread runs
 * every probe of the batch concurrently: non-blocking connect() on each,
 * then one poll() loop until every probe has an answer or its deadline.
 * Bounds: at most SVC_PROBE_BATCH_MAX sockets at once, each probe at most
 * SVC_PROBE_TIMEOUT_MAX, an HTTP status line at most 1 KiB, and at most
 * 64 KiB of body read (and discarded) so that servers see an orderly close.
 *
 * Privileges: CAP_SYS_ADMIN (setns into a namespace owned by the initial
 * user namespace) and read access to /proc/<pid>/ns/net (ptrace read access,
 * i.e. root).
 */
#include "services/svc.h"
#include "util/clock.h"
#include "ns/ns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX 1024
#define DRAIN_MAX  (64 * 1024)

enum phase { P_CONNECT, P_SEND, P_RECV, P_DRAIN, P_DONE };

typedef struct probe {
    const svc_probe_req *req;
    svc_probe_result *res;
    enum phase phase;
    int fd;
    int fallback; /* "::" probed at ::1: may retry at 127.0.0.1 */
    struct sockaddr_storage sa;
    socklen_t salen;
    int64_t start_ns, deadline_ns;
    char text[256]; /* the HTTP request */
    size_t text_len, sent;
    char rbuf[STATUS_MAX + 1];
    size_t rlen, drained;
} probe;

typedef struct batch {
    const svc_probe_req *reqs;
    svc_probe_result *res;
    size_t n;
} batch;

static void set_error(svc_probe_result *r, int err, const char *what)
{
    char tmp[80];
    const char *m = strerror_r(err, tmp, sizeof(tmp));
    r->err = err;
    snprintf(r->error, sizeof(r->error), "%s: %s", what, m);
}

static void finish(probe *p, int up, int err, const char *what)
{
    svc_probe_result *r = p->res;
    r->up = up;
    r->latency_ns = (uint64_t)(clock_mono_ns() - p->start_ns);
    if (!up)
        set_error(r, err, what);
    if (p->phase == P_RECV && p->fd >= 0 && r->http_status > 0) {
        p->phase = P_DRAIN; /* answer known; read the rest politely */
        return;
    }
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    p->phase = P_DONE;
}

static void close_done(probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    p->phase = P_DONE;
}

static void set_loopback4(probe *p)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)&p->sa;
    memset(&p->sa, 0, sizeof(p->sa));
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)p->req->port);
    s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->salen = sizeof(*s4);
    snprintf(p->res->addr, sizeof(p->res->addr), "127.0.0.1");
}

/* Chooses where to connect. Returns 0 or a positive errno. */
static int target(probe *p)
{
    char a[SVC_ADDR_MAX];
    snprintf(a, sizeof(a), "%.*s", (int)sizeof(p->req->addr) - 1, p->req->addr);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&p->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->sa;
    uint16_t port = (uint16_t)p->req->port;

    if (p->req->port <= 0 || p->req->port > 65535)
        return EINVAL;
    memset(&p->sa, 0, sizeof(p->sa));
    if (a[0] == '\0' || strcmp(a, "0.0.0.0") == 0) {
        set_loopback4(p);
        return 0;
    }
    if (strcmp(a, "::") == 0) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        s6->sin6_addr = in6addr_loopback;
        p->salen = sizeof(*s6);
        p->fallback = 1;
        snprintf(p->res->addr, sizeof(p->res->addr), "::1");
        return 0;
    }
    if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        p->salen = sizeof(*s4);
    } else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        p->salen = sizeof(*s6);
    } else {
        return EINVAL;
    }
    snprintf(p->res->addr, sizeof(p->res->addr), "%s", a);
    return 0;
}

static void connected(probe *p);

/* An HTTP target must be one token: no spaces or control characters, which
 * would let a configured path inject headers. */
static int path_ok(const svc_probe_req *q)
{
    size_t n = strnlen(q->path, sizeof(q->path));
    if (n == sizeof(q->path))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)q->path[i] <= ' ' || q->path[i] == 0x7f)
            return 0;
    return 1;
}

/* Errors that mean "no IPv6 loopback here", after which a dual-stack
 * listener on "::" is tried over IPv4. */
static int no_v6(int err)
{
    return err == EADDRNOTAVAIL || err == ENETUNREACH || err == EAFNOSUPPORT || err == EHOSTUNREACH;
}

static void start_connect(probe *p)
{
    for (;;) {
        p->start_ns = clock_mono_ns();
        p->fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int err = 0;
        if (p->fd < 0)
            err = errno;
        else if (connect(p->fd, (struct sockaddr *)&p->sa, p->salen) == 0)
            err = 0;
        else
            err = errno;
        if (err == EINPROGRESS) {
            p->phase = P_CONNECT;
            return;
        }
        if (err == 0) {
            connected(p);
            return;
        }
        if (p->fallback && no_v6(err)) {
            if (p->fd >= 0)
                close(p->fd);
            p->fd = -1;
            p->fallback = 0;
            set_loopback4(p);
            continue;
        }
        finish(p, 0, err, "connect");
        return;
    }
}

static void connected(probe *p)
{
    if (p->req->kind != SVC_PROBE_HTTP) {
        finish(p, 1, 0, "");
        return;
    }
    const char *path = p->req->path[0] ? p->req->path : "/";
    int plen = (int)strnlen(path, sizeof(p->req->path));
    int k = snprintf(p->text, sizeof(p->text), "GET %.*s HTTP/1.0\r\nHost: localhost\r\n\r\n", plen,
                     path);
    if (k < 0 || (size_t)k >= sizeof(p->text)) {
        finish(p, 0, ENAMETOOLONG, "http request");
        return;
    }
    p->text_len = (size_t)k;
    p->sent = 0;
    p->phase = P_SEND;
}

static void on_connect_event(probe *p)
{
    int err = 0;
    socklen_t el = sizeof(err);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
        err = errno;
    if (err == 0) {
        connected(p);
        return;
    }
    close(p->fd);
    p->fd = -1;
    if (p->fallback && no_v6(err)) {
        p->fallback = 0;
        set_loopback4(p);
        start_connect(p);
        return;
    }
    finish(p, 0, err, "connect");
}

static void on_send(probe *p)
{
    ssize_t k = send(p->fd, p->text + p->sent, p->text_len - p->sent, MSG_NOSIGNAL);
    if (k < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish(p, 0, errno, "http send");
        return;
    }
    p->sent += (size_t)k;
    if (p->sent == p->text_len)
        p->phase = P_RECV;
}

static void on_recv(probe *p)
{
    ssize_t k = recv(p->fd, p->rbuf + p->rlen, STATUS_MAX - p->rlen, 0);
    if (k < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish(p, 0, errno, "http receive");
        return;
    }
    if (k == 0) {
        finish(p, 0, EPROTO, "http: closed before a status line");
        return;
    }
    p->rlen += (size_t)k;
    int st = svc_parse_http_status(p->rbuf, p->rlen);
    if (st == -EAGAIN && p->rlen < STATUS_MAX)
        return;
    if (st < 0) {
        finish(p, 0, EPROTO, "http: no status line");
        return;
    }
    p->res->http_status = st;
    int want = p->req->expect_status;
    int ok = want ? st == want : (st >= 200 && st <= 399);
    if (ok) {
        finish(p, 1, 0, "");
        return;
    }
    char what[48];
    if (want)
        snprintf(what, sizeof(what), "http status %d, expected %d", st, want);
    else
        snprintf(what, sizeof(what), "http status %d, expected 2xx/3xx", st);
    finish(p, 0, EPROTO, what);
}

static void on_drain(probe *p)
{
    char scratch[4096];
    ssize_t k = recv(p->fd, scratch, sizeof(scratch), 0);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (k > 0)
        p->drained += (size_t)k;
    if (k <= 0 || p->drained >= DRAIN_MAX)
        close_done(p);
}

static int timeout_of(const svc_probe_req *r)
{
    int t = r->timeout_ms > 0 ? r->timeout_ms : SVC_PROBE_TIMEOUT_DEFAULT;
    return t > SVC_PROBE_TIMEOUT_MAX ? SVC_PROBE_TIMEOUT_MAX : t;
}

static void on_deadline(probe *p)
{
    if (p->phase == P_DRAIN) {
        close_done(p); /* the answer is already in */
        return;
    }
    char what[48];
    snprintf(what, sizeof(what), "%s timed out after %d ms",
             p->phase == P_CONNECT ? "connect" : "http", timeout_of(p->req));
    finish(p, 0, ETIMEDOUT, what);
}

/* Runs every probe of the batch in the current thread's namespace. */
static void run_probes(batch *b)
{
    probe *ps = calloc(b->n, sizeof(*ps));
    struct pollfd *pfd = calloc(b->n, sizeof(*pfd));
    size_t *who = calloc(b->n, sizeof(*who));
    if (!ps || !pfd || !who) {
        for (size_t i = 0; i < b->n; i++)
            set_error(&b->res[i], ENOMEM, "probe");
        goto out;
    }
    int64_t t0 = clock_mono_ns();
    for (size_t i = 0; i < b->n; i++) {
        probe *p = &ps[i];
        p->req = &b->reqs[i];
        p->res = &b->res[i];
        p->fd = -1;
        p->start_ns = t0;
        p->deadline_ns = t0 + (int64_t)timeout_of(p->req) * 1000000;
        int err = target(p);
        if (err)
            finish(p, 0, err, "address");
        else if (p->req->kind == SVC_PROBE_HTTP && !path_ok(p->req))
            finish(p, 0, EINVAL, "http path");
        else
            start_connect(p);
    }
    for (;;) {
        size_t np = 0;
        int64_t now = clock_mono_ns(), next = INT64_MAX;
        for (size_t i = 0; i < b->n; i++) {
            probe *p = &ps[i];
            if (p->phase == P_DONE)
                continue;
            if (now >= p->deadline_ns) {
                on_deadline(p);
                continue;
            }
            if (p->deadline_ns < next)
                next = p->deadline_ns;
            pfd[np].fd = p->fd;
            pfd[np].events = (p->phase == P_CONNECT || p->phase == P_SEND) ? POLLOUT : POLLIN;
            pfd[np].revents = 0;
            who[np++] = i;
        }
        if (np == 0)
            break;
        int wait_ms = (int)((next - now + 999999) / 1000000);
        int k = poll(pfd, np, wait_ms);
        if (k < 0 && errno != EINTR) {
            int err = errno;
            for (size_t i = 0; i < np; i++)
                if (ps[who[i]].phase != P_DRAIN)
                    finish(&ps[who[i]], 0, err, "poll");
            break;
        }
        for (size_t i = 0; k > 0 && i < np; i++) {
            if (!pfd[i].revents)
                continue;
            probe *p = &ps[who[i]];
            switch (p->phase) {
            case P_CONNECT:
                on_connect_event(p);
                break;
            case P_SEND:
                on_send(p);
                break;
            case P_RECV:
                on_recv(p);
                break;
            case P_DRAIN:
                on_drain(p);
                break;
            case P_DONE:
                break;
            }
        }
    }
    for (size_t i = 0; i < b->n; i++)
        close_done(&ps[i]);
out:
    free(who);
    free(pfd);
    free(ps);
}

/* ns_run callback: the batch, inside the namespace. */
static int run_in_ns(void *arg)
{
    run_probes(arg);
    return 0;
}

static void fail_all(svc_probe_result *res, size_t n, int err, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        res[i].up = 0;
        set_error(&res[i], err, what);
    }
}

int svc_probe_batch(int netns_pid, const char *host_root, const svc_probe_req *reqs, size_t n,
                    svc_probe_result *results)
{
    char what[64];
    batch b = {.reqs = reqs, .res = results, .n = n};
    int rc = 0;

    if (n == 0)
        return 0;
    memset(results, 0, n * sizeof(*results));
    snprintf(what, sizeof(what), "network namespace of pid %d", netns_pid);
    if (n > SVC_PROBE_BATCH_MAX) {
        rc = -E2BIG;
        goto out;
    }
    rc = ns_run(netns_pid, host_root, run_in_ns, &b, what, sizeof(what));
out:
    if (rc < 0)
        fail_all(results, n, -rc, what);
    return rc;
}

int svc_probe_tcp(int netns_pid, const char *host_root, const char *addr, int port, int timeout_ms,
                  svc_probe_result *r)
{
    svc_probe_req q;
    memset(&q, 0, sizeof(q));
    q.kind = SVC_PROBE_TCP;
    snprintf(q.addr, sizeof(q.addr), "%s", addr ? addr : "");
    q.port = port;
    q.timeout_ms = timeout_ms;
    return svc_probe_batch(netns_pid, host_root, &q, 1, r);
}

int svc_probe_http(int netns_pid, const char *host_root, const char *addr, int port,
                   const char *path, int expect_status, int timeout_ms, svc_probe_result *r)
{
    svc_probe_req q;
    memset(&q, 0, sizeof(q));
    q.kind = SVC_PROBE_HTTP;
    snprintf(q.addr, sizeof(q.addr), "%s", addr ? addr : "");
    snprintf(q.path, sizeof(q.path), "%s", path ? path : "");
    q.port = port;
    q.timeout_ms = timeout_ms;
    q.expect_status = expect_status;
    return svc_probe_batch(netns_pid, host_root, &q, 1, r);
}
