/*
 * zbxactive: berth's Zabbix active mode. Every interval it reads the values
 * of berth's Zabbix items from the store (the same keys the passive
 * listener answers, core/zbxitems.c) and pushes them to a Zabbix server or
 * proxy in one batch with the sender (trapper) protocol (zabbix/sender.h),
 * as zabbix_sender would, but from inside the agent: no process per batch,
 * one connection per batch, values read from memory.
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
 * Bounds: the queue holds at most ZBXACTIVE_QUEUE_MAX batches and
 * ZBXACTIVE_QUEUE_BYTES bytes; a batch is at most ZBX_SENDER_MAX_FRAME
 * (a larger collection is split); a reply at most ZBX_SENDER_MAX_REPLY.
 */
#ifndef BERTH_ZBXACTIVE_H
#define BERTH_ZBXACTIVE_H

#include <stdint.h>

#include "core/engine.h"
#include "util/buf.h"
#include "zabbix/sender.h"

#define ZBXACTIVE_QUEUE_MAX    256
#define ZBXACTIVE_QUEUE_BYTES  (32u << 20)
#define ZBXACTIVE_DEFAULT_PORT "10051"

typedef struct zbxactive_opts {
    const char *server;  /* "HOST", "HOST:PORT", "[V6]:PORT"; HOST may be a name */
    const char *host;    /* host name as configured in Zabbix; NULL/"": gethostname() */
    int64_t interval_ms; /* between batches; default 60000 */
    const char *items;   /* which keys: NULL, "" or "*" for all; else see zbxactive_selected */
    int timeout_ms;      /* one exchange, connect to reply; default 10000 */
} zbxactive_opts;

typedef struct zbxactive_stats {
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
} zbxactive_stats;

typedef struct zbxactive zbxactive;

/*
 * Is the item key name (no parameters) selected by items? items is a
 * comma-separated list of key names, each possibly ending in '*' (a prefix):
 * "berth.container.memory*,berth.service.*". NULL, "" and "*" select all.
 * Spaces around entries are ignored.
 */
int zbxactive_selected(const char *items, const char *name);

/*
 * Appends to b the current value of every selected item (see the list
 * above) for Zabbix host `host`, stamped clock/ns. Takes the store lock
 * itself. b is left unfinished (see zbx_sbatch_frame). When b fills up
 * (ZBX_SENDER_MAX_FRAME), it is handed to full(b, arg), which takes
 * ownership, and b is started again. Returns the number of values
 * appended in all.
 */
size_t zbxactive_collect(engine *e, const char *host, const char *items, int64_t clock, long ns,
                         zbx_sbatch *b, void (*full)(zbx_sbatch *b, void *arg), void *arg);

/* Checks the options, starts the thread. Returns 0 or -EINVAL / -errno
 * with err filled. */
int zbxactive_start(engine *e, const zbxactive_opts *o, zbxactive **out, char *err, size_t errlen);
/* Interrupts any exchange in progress, joins the thread, frees. NULL: no-op. */
void zbxactive_stop(zbxactive *a);
void zbxactive_get_stats(zbxactive *a, zbxactive_stats *st);
/* Appends the berth_zabbix_active_* families (Prometheus text). */
void zbxactive_render_prom(zbxactive *a, buf *out);

#endif
