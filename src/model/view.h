/*
 * view: what the renderers (export/) read, as one small struct: the store,
 * a copy of the collector's counters, the cgroup mode and the disk tracker.
 * The producer side fills it (engine_export_src in core/engine.c), a unit
 * test fills it by hand from a fixture store; so the renderers depend on
 * data, never on the engine, and the engine depends on this header rather
 * than on export/. Types only: the store and the tracker are forward
 * declarations, so model/ stays below metrics/ and disk/.
 */
#ifndef BERTH_MODEL_VIEW_H
#define BERTH_MODEL_VIEW_H

#include "model/stats.h"

struct store;
struct dt_tracker;

/* stats is a copy taken before the render (the renderers lock st
 * themselves); dt is borrowed and NULL when disk tracking is off. */
typedef struct export_src {
    struct store *st;
    engine_stats stats;
    int cg_mode; /* enum cg_mode of the host's cgroup layout */
    struct dt_tracker *dt;
} export_src;

#endif
