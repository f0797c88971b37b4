/*
 * conn: persistent TCP/TLS client connection with timeouts and dead-peer
 * detection, for the stream log outputs. See conn.h.
 */
#include "net/conn.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct conn {
    char host[256];
    char port[16];
    int timeout_ms;
    int tls;
    int verify;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    unsigned long connects;
    int cancel_fd;       /* -1, or readable means "stop waiting" (conn_set_cancel) */
    int64_t deadline_ms; /* 0, or a CLOCK_MONOTONIC bound on every wait */
};

/* Waits until fd is ready for ev, the deadline passes (-ETIMEDOUT) or the
 * cancel descriptor becomes readable (-ECANCELED; cancel_fd < 0: none). */
static int wait_fd(int fd, short ev, int64_t deadline, int cancel_fd)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p[2] = {{.fd = fd, .events = ev}, {.fd = cancel_fd, .events = POLLIN}};
        int rc = poll(p, cancel_fd >= 0 ? 2 : 1, (int)left);
        if (rc > 0 && cancel_fd >= 0 && p[1].revents)
            return -ECANCELED;
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -errno;
    }
}

/* The bound of one operation: the timeout from now, or the caller's
 * deadline when that comes first. */
static int64_t op_deadline(const conn *n)
{
    int64_t d = clock_mono_ms() + n->timeout_ms;
    return n->deadline_ms > 0 && n->deadline_ms < d ? n->deadline_ms : d;
}

void conn_set_deadline(conn *n, int64_t mono_ms)
{
    n->deadline_ms = mono_ms;
}

void conn_set_cancel(conn *n, int fd)
{
    n->cancel_fd = fd;
}

static void tls_errstr(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char msg[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, msg, sizeof(msg));
    snprintf(err, errlen, "%s: %s", what, msg);
    ERR_clear_error();
}

int conn_new(const conn_opts *o, conn **out, char *err, size_t errlen)
{
    conn *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->fd = -1;
    n->cancel_fd = -1;
    snprintf(n->host, sizeof(n->host), "%s", o->host);
    snprintf(n->port, sizeof(n->port), "%s", o->port);
    n->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    n->tls = o->tls;
    n->verify = o->verify;
    if (n->tls) {
        n->ctx = SSL_CTX_new(TLS_client_method());
        if (!n->ctx) {
            tls_errstr(err, errlen, "tls");
            free(n);
            return -ENOMEM;
        }
        SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
        if (o->ca && o->ca[0]) {
            if (SSL_CTX_load_verify_locations(n->ctx, o->ca, NULL) != 1) {
                tls_errstr(err, errlen, "ca");
                SSL_CTX_free(n->ctx);
                free(n);
                return -EINVAL;
            }
        } else {
            SSL_CTX_set_default_verify_paths(n->ctx);
        }
        SSL_CTX_set_verify(n->ctx, n->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    }
    *out = n;
    return 0;
}

void conn_close(conn *n)
{
    if (n->ssl) {
        SSL_free(n->ssl);
        n->ssl = NULL;
    }
    if (n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
    }
}

static int drain(conn *n);

/* Ends a healthy connection without losing what was just written: bytes
 * the peer sent that we never read (TLS session tickets) would make close()
 * send a RST, and a RST can make the peer's kernel drop data it has not
 * read yet. So: read them, send close_notify, half-close, and wait briefly
 * (at most 1 s) for the peer's end. */
static void close_gracefully(conn *n)
{
    if (n->fd < 0)
        return;
    (void)drain(n);
    if (n->ssl)
        SSL_shutdown(n->ssl);
    shutdown(n->fd, SHUT_WR);
    int64_t deadline = clock_mono_ms() + 1000;
    char tmp[4096];
    while (wait_fd(n->fd, POLLIN, deadline, -1) == 0) {
        ssize_t r = recv(n->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            break;
    }
    ERR_clear_error();
    conn_close(n);
}

void conn_free(conn *n)
{
    if (!n)
        return;
    close_gracefully(n);
    if (n->ctx)
        SSL_CTX_free(n->ctx);
    free(n);
}

unsigned long conn_connects(const conn *n)
{
    return n->connects;
}

static void tune(int fd, int timeout_ms)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    int idle = timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    /* Data unacknowledged for longer than the timeout fails the socket:
     * a peer that vanished without a FIN is found on the next write. */
    unsigned ut = (unsigned)timeout_ms;
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
}

static int tcp_connect(conn *n, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(n->host, n->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "resolve %s: %s", n->host, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    rc = -ECONNREFUSED;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        tune(fd, n->timeout_ms);
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            if (errno != EINPROGRESS) {
                rc = -errno;
                close(fd);
                continue;
            }
            rc = wait_fd(fd, POLLOUT, deadline, n->cancel_fd);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
                rc = -soerr;
            if (rc < 0) {
                close(fd);
                if (rc == -ECANCELED)
                    break; /* asked to stop: no next address */
                continue;
            }
        }
        n->fd = fd;
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc < 0)
        snprintf(err, errlen, "connect %s:%s: %s", n->host, n->port, strerror(-rc));
    return rc;
}

static int tls_handshake(conn *n, int64_t deadline, char *err, size_t errlen)
{
    n->ssl = SSL_new(n->ctx);
    if (!n->ssl) {
        tls_errstr(err, errlen, "tls");
        return -ENOMEM;
    }
    SSL_set_fd(n->ssl, n->fd);
    struct in6_addr a6;
    struct in_addr a4;
    int is_ip = inet_pton(AF_INET, n->host, &a4) == 1 || inet_pton(AF_INET6, n->host, &a6) == 1;
    if (!is_ip)
        SSL_set_tlsext_host_name(n->ssl, n->host);
    if (n->verify) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(n->ssl);
        if (is_ip)
            X509_VERIFY_PARAM_set1_ip_asc(vp, n->host);
        else
            X509_VERIFY_PARAM_set1_host(vp, n->host, 0);
    }
    for (;;) {
        int rc = SSL_connect(n->ssl);
        if (rc == 1)
            return 0;
        int e = SSL_get_error(n->ssl, rc);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (!ev) {
            long vr = SSL_get_verify_result(n->ssl);
            if (vr != X509_V_OK)
                snprintf(err, errlen, "tls handshake with %s: certificate: %s", n->host,
                         X509_verify_cert_error_string(vr));
            else
                tls_errstr(err, errlen, "tls handshake");
            return -EPROTO;
        }
        int w = wait_fd(n->fd, ev, deadline, n->cancel_fd);
        if (w < 0) {
            snprintf(err, errlen, "tls handshake with %s: timeout", n->host);
            return w;
        }
    }
}

/* Reads and discards whatever the peer sent while we did not expect
 * anything (TLS session tickets, a server's goodbye); returns -ECONNRESET
 * when the peer closed or the socket failed. */
static int drain(conn *n)
{
    char tmp[4096];
    for (;;) {
        struct pollfd p = {.fd = n->fd, .events = POLLIN | POLLRDHUP};
        int rc = poll(&p, 1, 0);
        if (rc == 0)
            return 0;
        if (rc < 0)
            return errno == EINTR ? 0 : -errno;
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
            return -ECONNRESET;
        if (n->ssl) {
            int r = SSL_read(n->ssl, tmp, sizeof(tmp));
            if (r > 0)
                continue;
            int e = SSL_get_error(n->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            ERR_clear_error();
            return -ECONNRESET;
        }
        ssize_t r = recv(n->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
        if (r > 0)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        return -ECONNRESET; /* 0: FIN */
    }
}

int conn_ready(conn *n, char *err, size_t errlen)
{
    if (n->fd >= 0 && drain(n) == 0)
        return 0;
    conn_close(n);
    int64_t deadline = op_deadline(n);
    int rc = tcp_connect(n, deadline, err, errlen);
    if (rc == 0 && n->tls)
        rc = tls_handshake(n, deadline, err, errlen);
    if (rc < 0) {
        conn_close(n);
        return rc;
    }
    n->connects++;
    return 0;
}

int conn_write(conn *n, const void *p, size_t len, char *err, size_t errlen)
{
    const char *s = p;
    int64_t deadline = op_deadline(n);
    if (n->fd < 0) {
        snprintf(err, errlen, "not connected");
        return -ENOTCONN;
    }
    while (len > 0) {
        short ev = POLLOUT;
        if (n->ssl) {
            size_t chunk = len > (1u << 30) ? (1u << 30) : len;
            int r = SSL_write(n->ssl, s, (int)chunk);
            if (r > 0) {
                s += r;
                len -= (size_t)r;
                continue;
            }
            int e = SSL_get_error(n->ssl, r);
            if (e == SSL_ERROR_WANT_READ)
                ev = POLLIN;
            else if (e != SSL_ERROR_WANT_WRITE) {
                tls_errstr(err, errlen, "tls write");
                conn_close(n);
                return -EPIPE;
            }
        } else {
            ssize_t r = send(n->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (r > 0) {
                s += r;
                len -= (size_t)r;
                continue;
            }
            if (r < 0 && errno != EAGAIN && errno != EINTR) {
                int e = errno;
                snprintf(err, errlen, "send to %s:%s: %s", n->host, n->port, strerror(e));
                conn_close(n);
                return -e;
            }
        }
        int w = wait_fd(n->fd, ev, deadline, n->cancel_fd);
        if (w < 0) {
            snprintf(err, errlen, "send to %s:%s: timed out after %d ms", n->host, n->port,
                     n->timeout_ms);
            conn_close(n);
            return w;
        }
    }
    return 0;
}

long conn_read(conn *n, void *p, size_t cap, char *err, size_t errlen)
{
    int64_t deadline = op_deadline(n);
    if (n->fd < 0) {
        snprintf(err, errlen, "not connected");
        return -ENOTCONN;
    }
    for (;;) {
        short ev = POLLIN;
        if (n->ssl) {
            int r = SSL_read(n->ssl, p, cap > (1u << 30) ? (1 << 30) : (int)cap);
            if (r > 0)
                return r;
            int e = SSL_get_error(n->ssl, r);
            if (e == SSL_ERROR_WANT_WRITE)
                ev = POLLOUT;
            else if (e != SSL_ERROR_WANT_READ) {
                snprintf(err, errlen, "%s:%s closed the connection", n->host, n->port);
                ERR_clear_error();
                conn_close(n);
                return -ECONNRESET;
            }
        } else {
            ssize_t r = recv(n->fd, p, cap, MSG_DONTWAIT);
            if (r > 0)
                return r;
            if (r == 0) {
                snprintf(err, errlen, "%s:%s closed the connection", n->host, n->port);
                conn_close(n);
                return -ECONNRESET;
            }
            if (errno != EAGAIN && errno != EINTR) {
                int e = errno;
                snprintf(err, errlen, "recv from %s:%s: %s", n->host, n->port, strerror(e));
                conn_close(n);
                return -e;
            }
        }
        int w = wait_fd(n->fd, ev, deadline, n->cancel_fd);
        if (w < 0) {
            snprintf(err, errlen, "no reply from %s:%s within %d ms", n->host, n->port,
                     n->timeout_ms);
            conn_close(n);
            return w;
        }
    }
}
