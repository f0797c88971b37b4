/*
 * zbxpush: the agent's Zabbix active-mode job. Every interval it reads the
 * values of berth's Zabbix items from the store (the same keys the passive
 * listener answers; export/zbxitems.h, zbxitems_collect) and pushes them to
 * a Zabbix server or proxy in one batch with the sender (trapper) protocol
 * (zabbix/active.h over net/conn.h), as zabbix_sender would, but from inside
 * the agent: no process per batch, one connection per batch, values read
 * from memory. This file is the job only: the thread, the queue and the
 * backoff; the wire is zabbix/, the values are export/.
 *
 * On Zabbix's side the items must be of type "Zabbix trapper" (and the
 * discovery rules too): templates/zabbix/berth_template_trapper.yaml is the
 * shipped template with exactly those keys; the host name must match
 * zabbix_host.
 *
 * What is sent each interval (filtered by the items option):
 *   agent.ping (1), agent.version, berth.containers.count,
 *   berth.containers.discovery, berth.services.discovery,
 *   berth.volumes.discovery (the LLD JSON as the value: trapper discovery
 *   rules take it as is), and for every live container every
 *   berth.container.<item>[NAME], and for each of its services
 *   berth.service.up[NAME,PORT,PROTO] and berth.service.latency[...].
 *
 * One thread of its own: collection takes the store lock once per
 * interval (as long as a /metrics render); sending blocks on the network,
 * with a deadline per exchange, and is interrupted at stop. A server that
 * does not answer never delays collection of the next batch: batches wait
 * in a bounded queue (oldest dropped first, counted) and are retried with
 * exponential backoff (1 s doubling up to the interval, at most 60 s),
 * oldest first, so Zabbix receives them in order with their original
 * clock. A batch the server refuses as a whole ("response":"failed") is
 * not retried: it would be refused again.
 *
 * Bounds: the queue holds at most ZBXPUSH_QUEUE_MAX batches and
 * ZBXPUSH_QUEUE_BYTES bytes; a batch is at most ZBX_SENDER_MAX_FRAME
 * (a larger collection is split); a reply at most ZBX_SENDER_MAX_REPLY.
 */
#ifndef BERTH_ZBXPUSH_H
#define BERTH_ZBXPUSH_H

#include <stdint.h>

#include "export/zbxitems.h"
#include "util/buf.h"
#include "util/opt.h"
#include "zabbix/active.h"

#define ZBXPUSH_QUEUE_MAX   256
#define ZBXPUSH_QUEUE_BYTES (32u << 20)

/* Written by zbxpush_opt_table (agent/zbxpush_opt.c). */
typedef struct zbxpush_opts {
    char server[256];    /* "HOST", "HOST:PORT", "[V6]:PORT"; HOST may be a name */
    char host[256];      /* host name as configured in Zabbix; "": gethostname() */
    int64_t interval_ms; /* between batches; default 60000 */
    char items[1024];    /* which keys: "" or "*" for all; see zbxitems_selected */
    int timeout_ms;      /* one exchange, connect to reply; default 10000 */
} zbxpush_opts;

extern const opt_table zbxpush_opt_table;

typedef struct zbxpush zbxpush;

/* Checks the options, starts the thread. src (copied; what it points to is
 * borrowed and must outlive the job) may be NULL only when nothing will be
 * collected before zbxpush_stop (tests). Returns 0 or -EINVAL / -errno with
 * err filled. */
int zbxpush_start(const zbxitems_src *src, const zbxpush_opts *o, zbxpush **out, char *err,
                  size_t errlen);
/* Interrupts any exchange in progress, joins the thread, frees. NULL: no-op. */
void zbxpush_stop(zbxpush *a);
void zbxpush_get_stats(zbxpush *a, zbx_active_stats *st);
/* Appends the berth_zabbix_active_* families (export/prom_zabbix.h) of a
 * snapshot of the counters. */
void zbxpush_render_prom(zbxpush *a, buf *out);

#endif
