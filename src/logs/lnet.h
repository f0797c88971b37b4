/*
 * lnet: the persistent TCP (optionally TLS) connection of the stream log
 * outputs (GELF, syslog, Redis). One lnet per output, used by that output's
 * thread only.
 *
 * - Connects lazily and reconnects after any error: lnet_ready() is called
 *   before every batch and (re)connects when needed.
 * - Every connect, write and read is bounded by the output's timeout (the
 *   socket is non-blocking and waits in poll()).
 * - A dead peer is detected three ways: before each batch the socket is
 *   checked for a FIN/RST the peer sent while we were idle (a restarted
 *   receiver), TCP_USER_TIMEOUT fails a write whose data stays unacked past
 *   the timeout (a vanished host), and TCP keepalive probes an idle link.
 * - TLS (OpenSSL) verifies the peer against ca= (or the system store) and
 *   checks its name or IP, unless tls_verify=off.
 */
#ifndef BERTH_LNET_H
#define BERTH_LNET_H

#include <stddef.h>

#include "logs/lout.h"

typedef struct lnet lnet;

typedef struct lnet_opts {
    const char *host;
    const char *port;
    int timeout_ms;
    int tls;
    const char *ca; /* PEM file; NULL = system store */
    int verify;     /* 1: check the certificate and name */
} lnet_opts;

/* Builds the connection state (and TLS context); no network I/O. The
 * strings are copied. */
int lnet_new(const lnet_opts *o, lnet **out, char *err, size_t errlen);
void lnet_free(lnet *n);
/* lnet_new from the options every TCP output shares: host (default
 * 127.0.0.1), port (default port, or tls_port with tls=on), tls,
 * tls_verify, ca, timeout (default 10s). -EINVAL with err naming the
 * option. */
int lnet_from_cfg(const lout_cfg *c, const char *port, const char *tls_port, lnet **out, char *err,
                  size_t errlen);
/* Makes sure a live connection exists: drops one the peer has closed and
 * connects when there is none. 0 or a negative errno. */
int lnet_ready(lnet *n, char *err, size_t errlen);
/* Writes all of p[0..len) or fails (and closes the connection). */
int lnet_write(lnet *n, const void *p, size_t len, char *err, size_t errlen);
/* Reads what is there (waiting up to the timeout for something): bytes
 * read, or a negative errno (-ECONNRESET when the peer closed). */
long lnet_read(lnet *n, void *p, size_t cap, char *err, size_t errlen);
/* Closes the connection (the next lnet_ready reconnects). */
void lnet_close(lnet *n);
/* How many connections were made so far (for tests and logs). */
unsigned long lnet_connects(const lnet *n);

#endif
