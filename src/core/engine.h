/*
 * engine: runs berth's monitoring core. It owns the store, the cgroup layout
 * and, in the agent, two threads:
 *   - the collector: every interval, discover container cgroups, read every
 *     container's files with the store unlocked, then commit under the lock;
 *   - the Docker watcher: list + inspect once, then follow /events so that
 *     starts, deaths, renames and removals update names at once; if the
 *     socket is missing it says so once and retries quietly.
 * One-shot commands (ps) call engine_collect_once and engine_docker_sync
 * directly instead of starting threads.
 */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include <stdint.h>

#include "cgroup/cgroup.h"
#include "metrics/store.h"
#include "model/stats.h"
#include "util/opt.h"

#define ENGINE_MAX_LABELS 32

/* The collector's options, written by engine_opt_table (core/engine_opt.c).
 * host_root, docker_host, use_docker, label_allow, interval and history are
 * also the other subsystems' (disk, logs, dashboard, exporters): the agent's
 * job starts hand them on from here. */
typedef struct engine_opts {
    char host_root[256];   /* "" for / */
    char docker_host[256]; /* "": $DOCKER_HOST or the default socket */
    int use_docker;        /* 0: cgroups only */
    int64_t interval_ms;   /* collection interval */
    int64_t history_ms;    /* history kept per container; 0 for none */
    /* label_allow: not read by the engine; the exporters' and the logs' */
    char label_allow_buf[1024];
    const char *label_allow[ENGINE_MAX_LABELS]; /* into label_allow_buf */
    size_t n_label_allow;
} engine_opts;

extern const opt_table engine_opt_table;

typedef struct engine engine;

int engine_new(const engine_opts *o, engine **out, char *err, size_t errlen);
void engine_free(engine *e);
store *engine_store(engine *e);
const cg_layout *engine_layout(const engine *e);
/* The disk tracker (disk/tracker.h) the exporters read, borrowed: set by
 * the agent before engine_start, NULL when disk tracking is off. */
struct dt_tracker;
void engine_set_disk(engine *e, struct dt_tracker *t);
struct dt_tracker *engine_disk(const engine *e);
/* Copies the stats; takes the store lock itself. */
void engine_get_stats(engine *e, engine_stats *st);
/* Fills what the renderers of export/ read (export/export.h): the store, a
 * copy of the stats, the cgroup mode and the disk tracker. Returns out, so
 * a call site can pass engine_export_src(e, &(export_src){0}) straight on.
 * Takes the store lock itself, as engine_get_stats does. */
struct export_src;
struct export_src *engine_export_src(engine *e, struct export_src *out);

/* One collection cycle on the calling thread. */
void engine_collect_once(engine *e);
/* One Docker list + inspect on the calling thread (no events). all: include
 * stopped containers. Returns 0 or a negative errno with err filled. */
int engine_docker_sync(engine *e, int all, int inspect, char *err, size_t errlen);

/* Starts the collector and watcher threads; engine_stop joins them. */
int engine_start(engine *e, char *err, size_t errlen);
void engine_stop(engine *e);

#endif
