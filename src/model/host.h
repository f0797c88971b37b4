/*
 * host: the data model's host-wide figures and the cgroup path bound, shared
 * by the cgroup reader (which fills them) and the store (which keeps them).
 *
 * They live here, below both cgroup/ and metrics/, so that neither of those
 * folders includes the other (HAProxy's -t.h rule: types in a header of
 * their own that code on both sides includes). The cg_ names are kept from
 * when the type lived in cgroup/cgroup.h: every renderer spells them.
 */
#ifndef BERTH_MODEL_HOST_H
#define BERTH_MODEL_HOST_H

#include <stdint.h>

/* Longest cgroup path berth keeps (a container's path and a hierarchy root). */
#define CG_PATH_MAX 512

/* Host totals: CPU time from /proc/stat, memory from /proc/meminfo. */
typedef struct cg_host {
    uint64_t cpu_total_ns, cpu_user_ns, cpu_system_ns, cpu_idle_ns;
    uint64_t mem_total, mem_available;
    unsigned ncpu;
} cg_host;

#endif
