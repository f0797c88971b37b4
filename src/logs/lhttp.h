/*
 * lhttp: the HTTP client of the log outputs (Elasticsearch, Loki): one
 * libcurl easy handle per output, kept between batches so the connection
 * is reused (keep-alive), every request bounded by the output's timeout.
 * Used by the output's thread only.
 */
#ifndef BERTH_LHTTP_H
#define BERTH_LHTTP_H

#include <stddef.h>

#include "logs/lout.h"
#include "util/buf.h"

typedef struct lhttp lhttp;

typedef struct lhttp_opts {
    int timeout_ms;
    const char *ca;   /* PEM file for https; NULL = system store */
    int verify;       /* 0: do not check the server's certificate */
    const char *user; /* basic auth when set */
    const char *password;
    const char *header; /* one extra "Name: value" header, or NULL */
} lhttp_opts;

/* The strings are copied. */
int lhttp_new(const lhttp_opts *o, lhttp **out, char *err, size_t errlen);
void lhttp_free(lhttp *h);

/* Longest reply body kept; longer replies fail with -EMSGSIZE. */
#define LHTTP_REPLY_MAX (64u << 20)

/* POSTs body[0..len) to url with Content-Type ctype (and Content-Encoding:
 * gzip when gzip is set: the body is already compressed). On a completed
 * exchange returns 0 with *status and the reply body in reply; a transport
 * failure (refused, timeout, reset) is a negative errno with err set. */
int lhttp_post(lhttp *h, const char *url, const char *ctype, int gzip, const void *body, size_t len,
               long *status, buf *reply, char *err, size_t errlen);

/* lhttp_post of body, first compressed into gz (scratch, reused) when gzip
 * is set. */
int lhttp_post_buf(lhttp *h, const char *url, const char *ctype, int gzip, const buf *body, buf *gz,
                   long *status, buf *reply, char *err, size_t errlen);

/* The error a whole-batch HTTP failure status stands for: 429 -EAGAIN
 * (back off), 413 -EMSGSIZE, 401/403 -EACCES, 5xx -EIO, else -EPROTO. */
int lhttp_status_errno(long status);

/* The options every HTTP output shares, checked and applied in one place:
 * url (required, http:// or https://; trailing '/' dropped, then path is
 * appended into url_out), compress (gzip|none -> *gzip), tls_verify, ca,
 * user, password, timeout (default 30s). header: one extra header or NULL.
 * On success *out is a new lhttp. -EINVAL with err naming the option. */
int lhttp_from_cfg(const lout_cfg *c, const char *path, const char *header, char *url_out,
                   size_t url_len, int *gzip, lhttp **out, char *err, size_t errlen);

#endif
