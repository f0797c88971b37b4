/*
 * cgroup: where containers live in the cgroup tree and what their files say.
 *
 * Three layers, each usable alone:
 *   - parsers (parse.c): pure functions over a file's bytes, unit tested on
 *     fixtures and fuzzed; they never touch the filesystem;
 *   - layout (layout.c): which hierarchies are mounted where, detected from
 *     mountinfo (v1, hybrid v1 + unified, or pure v2), with an optional host
 *     root prefix for running inside a container;
 *   - discovery and collection (discover.c, collect.c): walk one hierarchy to
 *     find container cgroups by name, then read one container's files into a
 *     bsample/bspec.
 *
 * Nothing here knows about Docker's API or about exporters.
 */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "model/host.h" /* CG_PATH_MAX, cg_host */
#include "model/sample.h"

/* v1 controllers berth reads; in v2 they all live in one hierarchy. */
enum cg_ctrl { CG_CPU, CG_CPUACCT, CG_MEMORY, CG_BLKIO, CG_PIDS, CG_CPUSET, CG_UNIFIED, CG_NCTRL };

enum cg_mode { CG_MODE_NONE, CG_MODE_V1, CG_MODE_HYBRID, CG_MODE_V2 };

/* One cgroup mount as read from mountinfo. */
typedef struct cg_mount {
    char mountpoint[CG_PATH_MAX];
    char root[CG_PATH_MAX]; /* root of the mount within the hierarchy ("/" on the host) */
    int v2;                 /* cgroup2 */
    unsigned ctrls;         /* bit (1 << CG_*) for v1 controllers in the super options */
} cg_mount;

/* Parses /proc/<pid>/mountinfo. Fills up to max mounts of type cgroup or
 * cgroup2 and returns how many (never negative: unknown lines are skipped). */
size_t cg_parse_mountinfo(const char *buf, size_t len, cg_mount *out, size_t max);

typedef struct cg_layout {
    enum cg_mode mode;
    char host_root[CG_PATH_MAX]; /* "" or e.g. "/host" */
    /* Absolute directory of each controller's hierarchy root, host root
     * prefixed; "" when not mounted. In v2 every entry is the unified root. */
    char dir[CG_NCTRL][CG_PATH_MAX];
    /* inode of the host's network namespace (<root>/proc/1/ns/net), 0 if
     * unknown: containers in it get no network series of their own */
    unsigned long long host_netns;
} cg_layout;

/* Detects the layout from mountinfo text. host_root may be NULL or "".
 * Returns 0, or -ENOENT with err filled when no cgroup hierarchy is found. */
int cg_layout_from_mountinfo(const char *buf, size_t len, const char *host_root, cg_layout *out,
                             char *err, size_t errlen);
/* Reads <host_root>/proc/1/mountinfo (with a host root: the host's view) or
 * /proc/self/mountinfo, then cg_layout_from_mountinfo. */
int cg_layout_detect(const char *host_root, cg_layout *out, char *err, size_t errlen);
const char *cg_mode_name(enum cg_mode m);

/* Runtimes recognised from cgroup names. */
enum cg_runtime { CG_RT_DOCKER, CG_RT_PODMAN, CG_RT_CONTAINERD, CG_RT_CRIO };
const char *cg_runtime_name(enum cg_runtime r);

/* If a cgroup directory name names a container, fills id (64 hex + NUL) and
 * runtime and returns 1; else 0. Recognises "<id>" (cgroupfs driver, also
 * under kubepods), "docker-<id>.scope", "libpod-<id>.scope",
 * "cri-containerd-<id>.scope" and "crio-<id>.scope". */
int cg_match_name(const char *name, char id[65], enum cg_runtime *rt);

typedef struct cg_found {
    char id[65];
    enum cg_runtime runtime;
    char path[CG_PATH_MAX]; /* relative to the hierarchy root, starts with '/' */
} cg_found;

typedef int (*cg_found_cb)(const cg_found *f, void *arg);

/* Walks the hierarchy that best identifies containers (memory in v1, the
 * unified root in v2), calling cb for every container cgroup. Does not
 * descend into a container's cgroup, nor deeper than CG_MAX_DEPTH; tolerates
 * directories vanishing mid-walk. Returns the number found or a negative errno. */
#define CG_MAX_DEPTH 10
int cg_discover(const cg_layout *l, cg_found_cb cb, void *arg);

/* Path of a container's cgroup.procs (memory hierarchy in v1, unified in v2). */
void cg_procs_path(const cg_layout *l, const char *cgpath, char *out, size_t cap);

/* ---- pure parsers ------------------------------------------------------ */

#define CG_MAX UINT64_MAX /* "max" in a limit file */

/* One unsigned integer or "max". Returns 0 or -EINVAL. */
int cg_parse_u64(const char *buf, size_t len, uint64_t *out);
/* "key value" lines (memory.stat, cpu.stat, memory.events, oom_control...):
 * for each keys[i] found, sets vals[i] and bit i of the returned mask. */
uint64_t cg_parse_kv(const char *buf, size_t len, const char *const *keys, size_t nkeys,
                     uint64_t *vals);
/* v2 cpu.max: "max 100000" or "50000 100000". quota -1 for max. */
int cg_parse_cpu_max(const char *buf, size_t len, int64_t *quota, uint64_t *period);
/* v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Read N" lines,
 * summed over devices. */
int cg_parse_blkio_v1(const char *buf, size_t len, uint64_t *read, uint64_t *write);
/* v2 io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..", summed. */
int cg_parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes,
                     uint64_t *rios, uint64_t *wios);
/* PSI file: "some avg10=.. total=N" and "full ...". Returns a mask: bit 0 when
 * some was found, bit 1 when full was found. */
unsigned cg_parse_psi(const char *buf, size_t len, uint64_t *some_total, uint64_t *full_total);
/* /proc/<pid>/net/dev. Fills up to max interfaces, returns how many. */
size_t cg_parse_netdev(const char *buf, size_t len, bnet_iface *out, size_t max);
/* First pid in cgroup.procs, 0 if none. */
int cg_parse_first_pid(const char *buf, size_t len);

/* ---- collection ---------------------------------------------------------- */

/* A container's open cgroup files. Opening a cgroup file costs about ten
 * times reading it again with pread() at offset 0 (kernfs path walk and
 * permission checks against a seq_file re-render), so the collector keeps
 * each container's counter files open, as Netdata does: about 16 descriptors
 * per container. When the process runs out of descriptors (EMFILE) a file is
 * read with open/read/close instead, so the limit costs speed, never data.
 * A handle is used by one thread at a time. */
typedef struct cg_handle cg_handle;

cg_handle *cg_handle_new(const cg_layout *l, const char *cgpath);
void cg_handle_free(cg_handle *h);
/* Forgets the cached in-container pid (and its net/dev descriptor) so the
 * next collect looks it up again; the engine calls it now and then against
 * pid reuse. */
void cg_handle_repid(cg_handle *h);

/* Reads one container's counters through its handle. Returns 0, or -ENOENT
 * when the cgroup is gone (the container stopped). Missing optional files
 * just leave their BS_HAS_* bits clear. Network counters come from
 * /proc/<pid>/net/dev of a process in the container; a container sharing the
 * host's network namespace (--network host, or a plain cgroup) gets no
 * network series, since those counters would be the host's. */
int cg_collect(cg_handle *h, bsample *s);
/* Reads limits and placement (path-based: called every few cycles). */
int cg_collect_spec(const cg_layout *l, const char *cgpath, bspec *spec);

/* Host totals (cg_host, model/host.h): CPU seconds from /proc/stat, memory
 * from /proc/meminfo. */
int cg_parse_proc_stat(const char *buf, size_t len, cg_host *h);
int cg_parse_meminfo(const char *buf, size_t len, cg_host *h);
int cg_collect_host(const cg_layout *l, cg_host *h);

#endif
