/*
 * conn: the persistent TCP (optionally TLS) connection of the stream log
 * outputs (GELF, syslog, Redis). One conn per output, used by that output's
 * thread only.
 *
 * - Connects lazily and reconnects after any error: conn_ready() is called
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
#ifndef BERTH_NET_CONN_H
#define BERTH_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

typedef struct conn conn;

typedef struct conn_opts {
    const char *host;
    const char *port;
    int timeout_ms;
    int tls;
    const char *ca; /* PEM file; NULL = system store */
    int verify;     /* 1: check the certificate and name */
} conn_opts;

/* Builds the connection state (and TLS context); no network I/O. The
 * strings are copied. */
int conn_new(const conn_opts *o, conn **out, char *err, size_t errlen);
void conn_free(conn *n);
/* Makes sure a live connection exists: drops one the peer has closed and
 * connects when there is none. 0 or a negative errno. */
int conn_ready(conn *n, char *err, size_t errlen);
/* Writes all of p[0..len) or fails (and closes the connection). */
int conn_write(conn *n, const void *p, size_t len, char *err, size_t errlen);
/* Reads what is there (waiting up to the timeout for something): bytes
 * read, or a negative errno (-ECONNRESET when the peer closed). */
long conn_read(conn *n, void *p, size_t cap, char *err, size_t errlen);
/* Closes the connection (the next conn_ready reconnects). */
void conn_close(conn *n);
/* For request/reply users (Zabbix active mode): bounds every following
 * connect, write and read by one CLOCK_MONOTONIC deadline (clock_mono_ms) as
 * well as by the timeout; 0 removes it. */
void conn_set_deadline(conn *n, int64_t mono_ms);
/* Every wait also returns -ECANCELED when fd becomes readable (an eventfd
 * a stopping thread writes); -1 (the default) for none. */
void conn_set_cancel(conn *n, int fd);
/* How many connections were made so far (for tests and logs). */
unsigned long conn_connects(const conn *n);

#endif
