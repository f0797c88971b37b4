/*
 * active: one sender-protocol exchange over net/conn. See active.h.
 *
 * The error texts are the ones the agent logs (and tests and operators grep
 * for), so they name the server as configured ("HOST:PORT") and are built
 * here from the errno conn returns, not taken from conn's own messages.
 */
#include "zabbix/active.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "zabbix/zbx.h"

int zbx_active_split_server(const char *s, char *node, size_t nodecap, char *svc, size_t svccap)
{
    const char *port = NULL;
    size_t nl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || (rb[1] && rb[1] != ':'))
            return -EINVAL;
        nl = (size_t)(rb - s - 1);
        s++;
        port = rb[1] == ':' ? rb + 2 : NULL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        nl = colon ? (size_t)(colon - s) : strlen(s);
        port = colon ? colon + 1 : NULL;
    }
    if (nl == 0 || nl >= nodecap)
        return -EINVAL;
    memcpy(node, s, nl);
    node[nl] = '\0';
    if (!port) {
        snprintf(svc, svccap, "%s", ZBX_ACTIVE_DEFAULT_PORT);
        return 0;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 1 || p > 65535)
        return -EINVAL;
    snprintf(svc, svccap, "%ld", p);
    return 0;
}

/* Reads until in holds want bytes (never more), NUL-terminated. */
static int recv_full(conn *c, buf *in, size_t want)
{
    char cerr[256];
    buf_reserve(in, want - in->len);
    while (in->len < want) {
        long n = conn_read(c, in->data + in->len, want - in->len, cerr, sizeof(cerr));
        if (n < 0)
            return (int)n;
        in->len += (size_t)n;
    }
    in->data[in->len] = '\0';
    return 0;
}

int zbx_active_exchange(conn *c, const char *server, int timeout_ms, const buf *frame,
                        zbx_sender_reply *r, char *err, size_t errlen)
{
    char cerr[256] = "";
    buf in = BUF_INIT;
    conn_set_deadline(c, clock_mono_ms() + timeout_ms);
    int rc = conn_ready(c, cerr, sizeof(cerr));
    if (rc < 0) {
        /* conn says "resolve HOST: why" when the name does not resolve */
        if (strncmp(cerr, "resolve ", 8) == 0)
            snprintf(err, errlen, "cannot resolve %s", cerr + 8);
        else
            snprintf(err, errlen, "connect to %s: %s", server, strerror(-rc));
        goto out;
    }
    if ((rc = conn_write(c, frame->data, frame->len, cerr, sizeof(cerr))) < 0) {
        snprintf(err, errlen, "send to %s: %s", server, strerror(-rc));
        goto out;
    }
    /* header: 13 bytes, or 21 with the large flag */
    zbx_header h;
    if ((rc = recv_full(c, &in, ZBX_HDR_MIN)) < 0)
        goto io;
    rc = zbx_parse_header((const unsigned char *)in.data, in.len, &h);
    if (rc == -EAGAIN) {
        if ((rc = recv_full(c, &in, ZBX_HDR_MAX)) < 0)
            goto io;
        rc = zbx_parse_header((const unsigned char *)in.data, in.len, &h);
    }
    if (rc < 0 || (h.flags & ZBX_FLAG_COMPRESSED) || h.datalen > ZBX_SENDER_MAX_REPLY) {
        snprintf(err, errlen, "bad reply header from %s%s", server,
                 rc == 0 && h.datalen > ZBX_SENDER_MAX_REPLY ? " (reply too large)"
                 : rc == 0                                   ? " (compressed)"
                                                             : "");
        rc = -EPROTO;
        goto out;
    }
    if ((rc = recv_full(c, &in, h.hdrlen + (size_t)h.datalen)) < 0)
        goto io;
    if (zbx_sender_parse_reply(in.data + h.hdrlen, (size_t)h.datalen, r) < 0) {
        char tmp[80];
        size_t m = (size_t)h.datalen < sizeof(tmp) - 1 ? (size_t)h.datalen : sizeof(tmp) - 1;
        for (size_t i = 0; i < m; i++) {
            char ch = in.data[h.hdrlen + i];
            tmp[i] = ch >= 0x20 && ch < 0x7f ? ch : '?';
        }
        tmp[m] = '\0';
        snprintf(err, errlen, "reply from %s is not a sender response: \"%s\"", server, tmp);
        rc = -EPROTO;
    }
    goto out;
io:
    snprintf(err, errlen, "reply from %s: %s", server,
             rc == -ECONNRESET ? "connection closed before a full reply" : strerror(-rc));
out:
    conn_close(c); /* one connection per batch: the server closes after its reply */
    conn_set_deadline(c, 0);
    buf_free(&in);
    return rc;
}
