/*
 * httpc: the HTTP client of the log outputs (Elasticsearch, Loki): one
 * libcurl easy handle per output, kept between batches so the connection
 * is reused (keep-alive), every request bounded by the output's timeout.
 * Used by the output's thread only.
 */
#ifndef BERTH_NET_HTTPC_H
#define BERTH_NET_HTTPC_H

#include <stddef.h>

#include "util/buf.h"

typedef struct httpc httpc;

typedef struct httpc_opts {
    int timeout_ms;
    const char *ca;   /* PEM file for https; NULL = system store */
    int verify;       /* 0: do not check the server's certificate */
    const char *user; /* basic auth when set */
    const char *password;
    const char *header; /* one extra "Name: value" header, or NULL */
} httpc_opts;

/* The strings are copied. */
int httpc_new(const httpc_opts *o, httpc **out, char *err, size_t errlen);
void httpc_free(httpc *h);

/* Longest reply body kept; longer replies fail with -EMSGSIZE. */
#define LHTTP_REPLY_MAX (64u << 20)

/* POSTs body[0..len) to url with Content-Type ctype (and Content-Encoding:
 * gzip when gzip is set: the body is already compressed). On a completed
 * exchange returns 0 with *status and the reply body in reply; a transport
 * failure (refused, timeout, reset) is a negative errno with err set. */
int httpc_post(httpc *h, const char *url, const char *ctype, int gzip, const void *body, size_t len,
               long *status, buf *reply, char *err, size_t errlen);

/* httpc_post of body, first compressed into gz (scratch, reused) when gzip
 * is set. */
int httpc_post_buf(httpc *h, const char *url, const char *ctype, int gzip, const buf *body, buf *gz,
                   long *status, buf *reply, char *err, size_t errlen);

/* The error a whole-batch HTTP failure status stands for: 429 -EAGAIN
 * (back off), 413 -EMSGSIZE, 401/403 -EACCES, 5xx -EIO, else -EPROTO. */
int httpc_status_errno(long status);

#endif
