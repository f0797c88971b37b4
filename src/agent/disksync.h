/*
 * disksync: the agent's side of the disk tracker (disk/tracker.h), which
 * knows nothing of the store or of Docker. It turns the store's Docker
 * metadata into dt_targets and hands them to the tracker's thread (a
 * dt_sync_fn, called once a second; the list is copied only when a
 * container's metadata generation changed), and it answers the tracker's
 * Engine API size hook (dt_size_fn: GET /containers/{id}/json?size=1) with
 * its own Docker client, for writable layers without an overlay2 upper
 * directory.
 *
 * berth df without an agent uses disksync_targets for its one-shot run, so
 * the agent and df follow the same containers the same way.
 */
#ifndef BERTH_AGENT_DISKSYNC_H
#define BERTH_AGENT_DISKSYNC_H

#include <stddef.h>

#include "disk/tracker.h"
#include "metrics/store.h"

/* Targets for every container of s with Docker metadata, in store order
 * (stopped ones too): upper dir, driver, log path, image, LowerDir and the
 * volume and bind sources (at most DT_MAX_VOLS). Takes the store lock.
 * *out is freed with disksync_targets_free; 0 or -ENOMEM. */
int disksync_targets(store *s, dt_target **out, size_t *n);
void disksync_targets_free(dt_target *v, size_t n);

typedef struct disksync disksync;

/* The agent's tracker: dt_new(o), with the Engine API size hook when
 * o->engine_size and no o->size_fn (a client on o->docker_host; without
 * one, not fatal: such containers show source "none"). */
int disksync_new(const dt_opts *o, disksync **out, char *err, size_t errlen);
/* Borrowed, for the readers (engine_set_disk). */
dt_tracker *disksync_tracker(const disksync *d);
/* Starts the tracker's thread following s (borrowed until disksync_stop). */
int disksync_start(disksync *d, store *s, char *err, size_t errlen);
void disksync_stop(disksync *d);
void disksync_free(disksync *d);

#endif
