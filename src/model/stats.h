/*
 * stats: the collector's self-monitoring counters, as data. Defined here
 * rather than in core/engine.h so that the renderers (export/) read them
 * without depending on the engine that produces them.
 */
#ifndef BERTH_MODEL_STATS_H
#define BERTH_MODEL_STATS_H

#include <stdint.h>

/* Self-monitoring counters (read under the store lock). */
typedef struct engine_stats {
    uint64_t cycles;
    uint64_t collect_errors;   /* unreadable files other than vanished cgroups */
    double last_cycle_seconds; /* wall time of the last cycle */
    double cycle_cpu_seconds;  /* collector thread CPU time, total */
    int docker_up;             /* 1 while the Docker API answers */
    uint64_t docker_events;    /* events received */
    uint64_t docker_errors;    /* failed requests or broken streams */
    char docker_api[16];       /* negotiated API version */
} engine_stats;

#endif
