/*
 * agent: the daemon's wiring. Every subsystem the agent runs (log pipeline,
 * engine, disk tracker, services, Zabbix listener and active mode,
 * dashboard, HTTP server) is a row of one job table, started in order and
 * stopped in reverse; the HTTP routes are agent/routes.h's table. cmd/agent.c
 * only parses flags and calls agent_new / agent_run / agent_free.
 */
#ifndef BERTH_AGENT_H
#define BERTH_AGENT_H

#include <stddef.h>

#include "agent/config.h"

typedef struct agent agent;

/* One job: enabled(cfg) says whether it runs; start fills err (the whole
 * line logged) and returns < 0 on failure; stop must accept a job that
 * never started (every stop runs on the way out, as the hand-written
 * shutdown always did). start or stop may be NULL (see agent.c). */
typedef struct agent_job {
    const char *name;
    int (*enabled)(const cfg *c);
    int (*start)(agent *a, char *err, size_t errlen);
    void (*stop)(agent *a);
} agent_job;

/* The table, in start order (agent.c says why some rows only start or only
 * stop); tests/unit/test_routes.c pins both orders. */
extern const agent_job agent_jobs[];
extern const size_t agent_n_jobs;

/* A new agent with its own copy of c; nothing runs yet. */
int agent_new(const cfg *c, agent **out, char *err, size_t errlen);
/* Starts every job, serves until SIGTERM or SIGINT, stops every job.
 * Returns the process status: 0 after a signal, 1 when a job failed. */
int agent_run(agent *a);
void agent_free(agent *a);

#endif
