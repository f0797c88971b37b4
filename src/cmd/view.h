/*
 * view: the table rows shared by `berth ps` and `berth top`: a copy of what
 * the store holds, taken under the lock, with rates computed and units
 * decided, so presenting it needs no lock and no knowledge of the store.
 */
#ifndef BERTH_VIEW_H
#define BERTH_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"

typedef struct view_row {
    char id[65];
    char name[128];
    char image[256];
    char state[16];
    char health[16];
    int live;           /* has a cgroup and at least one sample */
    int rates;          /* rates below are valid (two samples) */
    double cpu_pct;     /* 100 = one core, like docker stats */
    double cpu_limit;   /* cores, 0 = none */
    uint64_t mem_used;  /* working set, like docker stats */
    uint64_t mem_limit; /* 0 = none (host memory is used for mem_pct) */
    double mem_pct;
    double net_rx, net_tx, blk_r, blk_w; /* bytes per second */
    uint64_t pids;
    uint64_t oom_kills;
    int restarts;
} view_row;

enum view_sort { VS_NAME, VS_CPU, VS_MEM, VS_NET, VS_BLOCK, VS_PIDS, VS_ID };

/* Fills *rows (caller frees) from the store. all: include containers with
 * metadata but no live cgroup (stopped). */
size_t view_rows(engine *e, int all, view_row **rows);
/* Fills *rows from the JSON of GET /api/v1/containers (a running agent's
 * view); host_mem is used for MEM % of containers without a limit.
 * Returns the row count or -1 when the JSON is not that array. */
long view_rows_from_json(const char *text, size_t len, uint64_t host_mem, view_row **rows);
int view_parse_sort(const char *s, enum view_sort *out);
void view_sort_rows(view_row *rows, size_t n, enum view_sort by);
/* "1.5GiB", "120MiB", "3.2kB" style, docker's units: binary for memory. */
void view_bytes(char *out, size_t cap, double v, int binary);

#endif
