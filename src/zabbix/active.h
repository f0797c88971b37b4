/*
 * active: the transport of Zabbix active mode, berth's side of the sender
 * (trapper) protocol: one exchange sends a framed batch (zabbix/sender.h) to
 * a Zabbix server or proxy and reads its reply, over the shared TCP
 * connection (net/conn.h) instead of a client of its own.
 *
 * What is collected and when is not here: the items come from the store
 * (export/zbxitems.h, zbxitems_collect) and the job with its thread, queue
 * and backoff is agent/zbxpush.c. This file only knows the wire: the
 * address syntax, one request and one reply, and the counters the job keeps
 * (rendered by export/prom_zabbix.c).
 */
#ifndef BERTH_ZBX_ACTIVE_H
#define BERTH_ZBX_ACTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"
#include "util/buf.h"
#include "zabbix/sender.h"

#define ZBX_ACTIVE_DEFAULT_PORT "10051"

/* The active-mode job's counters: a snapshot, copied under the job's lock. */
typedef struct zbx_active_stats {
    int up;                    /* 1 when the last exchange got a reply */
    uint64_t batches_sent;     /* answered "success" */
    uint64_t batches_rejected; /* answered "failed": the request was refused */
    uint64_t batches_dropped;  /* dropped from a full queue */
    uint64_t values_sent;      /* in batches answered "success" */
    uint64_t values_processed; /* the server's "processed" counts, summed */
    uint64_t values_failed;    /* the server's "failed" counts, summed */
    uint64_t values_dropped;   /* in dropped batches */
    uint64_t send_errors;      /* exchanges that failed (connect, I/O, timeout, bad reply) */
    uint64_t queue_batches;    /* waiting now */
    double last_exchange_s;    /* duration of the last successful exchange */
} zbx_active_stats;

/*
 * Splits "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 literal into node
 * (at most nodecap - 1 bytes) and a numeric port (ZBX_ACTIVE_DEFAULT_PORT when
 * none). Returns 0 or -EINVAL.
 */
int zbx_active_split_server(const char *s, char *node, size_t nodecap, char *svc, size_t svccap);

/*
 * One exchange on c (made with the node and port above): connects, sends
 * frame, reads the reply header and body, parses the reply, closes. The
 * whole exchange, connect to reply, is bounded by timeout_ms; c's cancel
 * descriptor (conn_set_cancel) interrupts it (-ECANCELED). server names the
 * peer in error texts. Returns 0 with r filled, or a negative errno with err
 * filled: -EPROTO for a malformed, compressed or too large reply.
 */
int zbx_active_exchange(conn *c, const char *server, int timeout_ms, const buf *frame,
                        zbx_sender_reply *r, char *err, size_t errlen);

#endif
