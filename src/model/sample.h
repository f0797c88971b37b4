/*
 * sample: the data model shared by every module. A bsample is one reading of
 * one container's cgroup and network files; a bmeta is what the Docker Engine
 * API says about a container. Collectors fill them, the store keeps them,
 * exporters read them. Plain structs, no behaviour beyond init/clear.
 */
#ifndef BERTH_SAMPLE_H
#define BERTH_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* Which optional fields a sample carries. Absent means "the kernel does not
 * provide it here", and exporters omit the series instead of faking zeros. */
enum {
    BS_HAS_CPU = 1u << 0,
    BS_HAS_CFS = 1u << 1, /* cfs periods/throttling */
    BS_HAS_MEM = 1u << 2,
    BS_HAS_SWAP = 1u << 3,
    BS_HAS_OOM = 1u << 4,
    BS_HAS_BLKIO = 1u << 5,
    BS_HAS_PIDS = 1u << 6,
    BS_HAS_NET = 1u << 7,
    BS_HAS_PSI_CPU_SOME = 1u << 8,
    BS_HAS_PSI_CPU_FULL = 1u << 9,
    BS_HAS_PSI_MEM_SOME = 1u << 10,
    BS_HAS_PSI_MEM_FULL = 1u << 11,
    BS_HAS_PSI_IO_SOME = 1u << 12,
    BS_HAS_PSI_IO_FULL = 1u << 13,
    BS_HAS_FAILCNT = 1u << 14,
};

enum { BS_PSI_CPU, BS_PSI_MEM, BS_PSI_IO, BS_PSI_N };
enum { BS_PSI_SOME, BS_PSI_FULL };

#define BS_MAX_IFACES 8
#define BS_IFNAME     16

typedef struct bnet_iface {
    char name[BS_IFNAME];
    uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
    uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} bnet_iface;

typedef struct bsample {
    int64_t wall_ms; /* CLOCK_REALTIME, milliseconds */
    int64_t mono_ns; /* CLOCK_MONOTONIC, for rates */
    uint32_t has;    /* BS_HAS_* */

    /* CPU, nanoseconds of CPU time since the cgroup was created */
    uint64_t cpu_total_ns, cpu_user_ns, cpu_system_ns;
    uint64_t cfs_periods, cfs_throttled_periods, cfs_throttled_ns;

    /* memory, bytes; working_set = usage - inactive_file (cAdvisor, docker CLI) */
    uint64_t mem_usage, mem_working_set, mem_rss, mem_cache, mem_swap;
    uint64_t mem_failcnt, oom_kills;

    /* block I/O summed over devices */
    uint64_t blk_read_bytes, blk_write_bytes, blk_read_ops, blk_write_ops;

    uint64_t pids;

    /* PSI "total=" in microseconds, [BS_PSI_*][BS_PSI_SOME/FULL] */
    uint64_t psi_us[BS_PSI_N][2];

    /* network, per interface, from the container's own network namespace */
    uint32_t n_ifaces;
    bnet_iface ifaces[BS_MAX_IFACES];
} bsample;

/* Limits and placement: read less often than counters (they rarely change). */
typedef struct bspec {
    int64_t cpu_quota_us;   /* -1: no limit */
    uint64_t cpu_period_us; /* 0: unknown */
    uint64_t cpu_shares;    /* v1 shares, or v2 weight mapped to shares; 0 unknown */
    char cpuset[64];        /* "0-3" or "" */
    uint64_t mem_limit;     /* 0: no limit */
    uint64_t mem_swap_limit;
    uint64_t pids_limit; /* 0: no limit */
} bspec;

/* A port the image exposes (Config.ExposedPorts) or that is published on
 * the host (NetworkSettings.Ports), as inspect reports them. */
#define BM_MAX_PORTS 32
typedef struct bport {
    uint16_t port;
    uint8_t udp;
    uint8_t exposed;    /* in the image's EXPOSE list */
    uint16_t host_port; /* published on the host, 0 if not */
    char host_ip[46];   /* "" or "0.0.0.0" for all addresses */
} bport;

/* What the Docker Engine API says about a container. Strings are empty when
 * unknown. labels is an owned array of 2*n_labels strings: key, value, ... */
typedef struct bmeta {
    char id[65];
    char name[128]; /* without Docker's leading '/' */
    char image[256];
    char image_id[80];
    char state[16];     /* created running paused restarting exited dead */
    char health[16];    /* healthy unhealthy starting, or "" */
    int64_t created;    /* unix seconds */
    int64_t started_at; /* unix seconds, 0 unknown */
    int restart_count;
    int pid;
    char **labels;
    size_t n_labels;
    bport ports[BM_MAX_PORTS]; /* from inspect only */
    uint32_t n_ports;
    /* Mounts from inspect: an owned array of BM_MOUNT_FIELDS*n_mounts
     * strings: type ("volume", "bind", "tmpfs"), name (volume name, or the
     * host path of a bind), destination inside the container, source (the
     * host path). */
    char **mounts;
    size_t n_mounts;
    /* Where the container's data lives on the host (inspect): the storage
     * driver, its writable layer (overlay2's UpperDir) and its log file. */
    char graph_driver[16];
    char upper_dir[256];
    char log_path[256];
    /* overlay2's LowerDir (':'-separated layer dirs, the container's -init
     * layer first), owned, NULL when unknown: the image's layers (disk). */
    char *lower_dir;
} bmeta;

enum { BM_MOUNT_TYPE, BM_MOUNT_NAME, BM_MOUNT_DEST, BM_MOUNT_SOURCE, BM_MOUNT_FIELDS };

void bmeta_clear(bmeta *m);
/* Deep copy; dst must be cleared or zeroed. */
void bmeta_copy(bmeta *dst, const bmeta *src);
/* Returns the value of label key, or NULL. */
const char *bmeta_label(const bmeta *m, const char *key);
/* Adds a label (copies both strings). */
void bmeta_add_label(bmeta *m, const char *key, const char *value);
/* Adds a mount (copies the strings). */
void bmeta_add_mount(bmeta *m, const char *type, const char *name, const char *dest,
                     const char *source);

#endif
