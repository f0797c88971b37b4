/*
 * zbxitems: berth's Zabbix item keys, answered from the store: one key for
 * the Zabbix passive-check listener (zabbix/zbx.h, zbxitems_get), every
 * selected key at once for active mode (agent/zbxpush.c, zbxitems_collect).
 * It renders store -> item values as export/prom.c renders store -> metrics,
 * and takes data (zbxitems_src), not the engine, so it is unit-tested on a
 * fixture store (tests/unit/test_zbxitems.c). Items name containers by
 * name, not id, so their history survives re-creation (docker compose up,
 * swarm updates) as long as the name stays.
 *
 * Low-level discovery (JSON arrays, macros in upper case):
 *   berth.containers.discovery          {#CONTAINER.NAME} {#CONTAINER.ID} {#IMAGE}
 *   berth.services.discovery            {#CONTAINER.NAME} {#PORT} {#PROTO} {#PROCESS} {#USER}
 *                                       {#ADDR} ({#USER}: from the container's /etc/passwd)
 *   berth.volumes.discovery             {#CONTAINER.NAME} {#VOLUME.TYPE} {#VOLUME.NAME}
 *                                       {#VOLUME.DESTINATION} (volumes, binds, tmpfs)
 * Items (NAME = container name):
 *   berth.containers.count              running containers
 *   berth.container.state[NAME]         running, exited... (text)
 *   berth.container.health[NAME]        healthy, unhealthy, starting or "" (text)
 *   berth.container.restarts[NAME]      RestartCount
 *   berth.container.cpu[NAME]           CPU in cores (1.0 = one CPU), last interval
 *   berth.container.cpu.throttled[NAME] share of CFS periods throttled, last interval
 *   berth.container.cpu.limit[NAME]     CPU limit in cores, 0 = none
 *   berth.container.memory[NAME]        working set, bytes
 *   berth.container.memory.usage[NAME]  usage incl. page cache, bytes
 *   berth.container.memory.limit[NAME]  limit, bytes, 0 = none
 *   berth.container.memory.pused[NAME]  working set in % of the limit (of host memory if none)
 *   berth.container.oom_kills[NAME]     OOM kills (counter)
 *   berth.container.net.rx[NAME]        received bytes per second (all but lo)
 *   berth.container.net.tx[NAME]        transmitted bytes per second
 *   berth.container.blk.read[NAME]      block bytes read per second
 *   berth.container.blk.write[NAME]     block bytes written per second
 *   berth.container.pids[NAME]          tasks
 *   berth.service.up[NAME,PORT,PROTO]   1 when the last probe succeeded (PROTO default tcp)
 *   berth.service.latency[NAME,PORT,PROTO] seconds of the last probe
 * Disk items (the agent's disk tracker; any container Docker knows, stopped
 * ones too; allocated bytes as du -B1 -x; an error while the first walk of
 * the container's directories is still running):
 *   berth.container.disk.writable[NAME]       writable layer
 *   berth.container.disk.volumes[NAME]        its volumes and binds (shared ones in full)
 *   berth.container.disk.volume[NAME,VOLUME]  one volume or bind (name as in discovery)
 *   berth.container.disk.logs[NAME]           log files, rotated ones included
 *   berth.container.disk.total[NAME]          writable + volumes + logs
 *   berth.container.disk.growth[NAME]         total's change, bytes per second (~1 min)
 *   berth.disk.images                         image layers of the host's containers, once each
 */
#ifndef BERTH_ZBXITEMS_H
#define BERTH_ZBXITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/store.h"
#include "util/buf.h"
#include "zabbix/sender.h"
#include "zabbix/zbx.h"

struct dt_tracker;

/* What the items read, borrowed: both outlive every call. */
typedef struct zbxitems_src {
    store *st;               /* locked by the functions below themselves */
    struct dt_tracker *disk; /* disk/tracker.h; NULL when disk tracking is off */
} zbxitems_src;

/* A zbx_item_cb; arg is a const zbxitems_src *. */
int zbxitems_get(const zbx_key *key, buf *out, void *arg);

/* For active mode: the <item> names of every berth.container.<item>[NAME]
 * key, NULL-terminated, and the value of one for a live entry (the caller
 * holds the store lock). Returns 0 or -ENOTSUP. */
extern const char *const zbxitems_container_items[];
int zbxitems_container_value(st_entry *en, const char *item, uint64_t host_mem, buf *out);

/* berth.container.disk.<item>[NAME] that active mode pushes, NULL-ended. */
extern const char *const zbxitems_disk_items[];
/* The disk figure item of en (store locked by the caller): 0, -ENOENT when
 * disk tracking is off, -EAGAIN while the container is being counted. */
int zbxitems_disk_value(const zbxitems_src *src, const st_entry *en, const char *item, buf *out);

/*
 * Is the item key name (no parameters) selected by items? items is a
 * comma-separated list of key names, each possibly ending in '*' (a prefix):
 * "berth.container.memory*,berth.service.*". NULL, "" and "*" select all.
 * Spaces around entries are ignored.
 */
int zbxitems_selected(const char *items, const char *name);

/*
 * Active mode's collection: appends to b the current value of every selected
 * item (agent.ping, agent.version, the discovery keys, berth.disk.images,
 * every berth.container.<item>[NAME] and berth.service.*[NAME,PORT,PROTO]
 * of every live container, berth.containers.count) for Zabbix host `host`,
 * stamped clock/ns. Takes the store lock itself. b is left unfinished (see
 * zbx_sbatch_frame). When b fills up (ZBX_SENDER_MAX_FRAME), it is handed to
 * full(b, arg), which takes ownership, and b is started again. Returns the
 * number of values appended in all.
 */
size_t zbxitems_collect(const zbxitems_src *src, const char *host, const char *items, int64_t clock,
                        long ns, zbx_sbatch *b, void (*full)(zbx_sbatch *b, void *arg), void *arg);

#endif
