/*
 * cgroup collection: read one container's cgroup files into a bsample.
 *
 * This is the agent's hot path (every container, every second), so it keeps
 * each container's counter files open and re-reads them with pread() at
 * offset 0 (a tenth of the cost of open/read/close on kernfs, measured in
 * BENCHMARKS.md), reads into a stack buffer, never allocates, and reads
 * only the files that carry counters; limits live in
 * cg_collect_spec(), which the caller runs less often. Missing optional
 * files (PSI on kernels without it, swap without swap accounting) leave
 * their BS_HAS_* bit clear so exporters omit the series rather than fake
 * zeros. ENOENT on the main CPU file means the cgroup is gone.
 */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RD_CAP 8192

/* Counter files read every cycle, one table per cgroup version. */
enum {
    F_CPU_A, /* v1 cpuacct.usage | v2 cpu.stat */
    F_CPU_B, /* v1 cpuacct.stat */
    F_CPU_C, /* v1 cpu.stat */
    F_MEM_USAGE,
    F_MEM_STAT,
    F_MEM_FAILCNT, /* v1 */
    F_MEM_EVENTS,  /* v1 memory.oom_control | v2 memory.events */
    F_MEM_SWAP,    /* v2 memory.swap.current */
    F_BLK_BYTES,   /* v1 throttle.io_service_bytes | v2 io.stat */
    F_BLK_OPS,     /* v1 throttle.io_serviced */
    F_PIDS,
    F_PSI_CPU,
    F_PSI_MEM,
    F_PSI_IO,
    F_N
};

typedef struct file_def {
    enum cg_ctrl ctrl;
    const char *name; /* NULL: not read in this version */
    int optional;     /* absent on some kernels (PSI): not retried once missing */
} file_def;

static const file_def files_v1[F_N] = {
    [F_CPU_A] = {CG_CPUACCT, "cpuacct.usage", 0},
    [F_CPU_B] = {CG_CPUACCT, "cpuacct.stat", 0},
    [F_CPU_C] = {CG_CPU, "cpu.stat", 0},
    [F_MEM_USAGE] = {CG_MEMORY, "memory.usage_in_bytes", 0},
    [F_MEM_STAT] = {CG_MEMORY, "memory.stat", 0},
    [F_MEM_FAILCNT] = {CG_MEMORY, "memory.failcnt", 0},
    [F_MEM_EVENTS] = {CG_MEMORY, "memory.oom_control", 0},
    [F_MEM_SWAP] = {CG_MEMORY, NULL, 0},
    [F_BLK_BYTES] = {CG_BLKIO, "blkio.throttle.io_service_bytes", 0},
    [F_BLK_OPS] = {CG_BLKIO, "blkio.throttle.io_serviced", 0},
    [F_PIDS] = {CG_PIDS, "pids.current", 0},
    /* hybrid hosts: PSI lives in the unified hierarchy */
    [F_PSI_CPU] = {CG_UNIFIED, "cpu.pressure", 1},
    [F_PSI_MEM] = {CG_UNIFIED, "memory.pressure", 1},
    [F_PSI_IO] = {CG_UNIFIED, "io.pressure", 1},
};

static const file_def files_v2[F_N] = {
    [F_CPU_A] = {CG_UNIFIED, "cpu.stat", 0},
    [F_CPU_B] = {CG_UNIFIED, NULL, 0},
    [F_CPU_C] = {CG_UNIFIED, NULL, 0},
    [F_MEM_USAGE] = {CG_UNIFIED, "memory.current", 0},
    [F_MEM_STAT] = {CG_UNIFIED, "memory.stat", 0},
    [F_MEM_FAILCNT] = {CG_UNIFIED, NULL, 0},
    [F_MEM_EVENTS] = {CG_UNIFIED, "memory.events", 0},
    [F_MEM_SWAP] = {CG_UNIFIED, "memory.swap.current", 0},
    [F_BLK_BYTES] = {CG_UNIFIED, "io.stat", 0},
    [F_BLK_OPS] = {CG_UNIFIED, NULL, 0},
    [F_PIDS] = {CG_UNIFIED, "pids.current", 0},
    [F_PSI_CPU] = {CG_UNIFIED, "cpu.pressure", 1},
    [F_PSI_MEM] = {CG_UNIFIED, "memory.pressure", 1},
    [F_PSI_IO] = {CG_UNIFIED, "io.pressure", 1},
};

/* fd states besides a real descriptor */
#define FD_UNOPENED (-1)
#define FD_MISSING  (-2) /* absent here (no PSI, no swap accounting): not retried */

struct cg_handle {
    const cg_layout *l;
    const file_def *files;
    char cgpath[CG_PATH_MAX];
    int fd[F_N];
    int pid;      /* a process in the container, 0 unknown */
    int net_fd;   /* /proc/<pid>/net/dev, or FD_UNOPENED */
    int net_host; /* the container shares the host's network namespace */
    bsample last; /* the last full read, for idle cycles */
    unsigned since_full;
};

/* An idle container (CPU time unchanged since the last full read) gets a
 * cheap cycle: CPU and network are read, everything else is carried over
 * from the last full read, which happens at least every CG_FULL_EVERY
 * cycles. Memory, block I/O, pids, PSI and OOM counters cannot move while
 * no task of the cgroup runs, with two exceptions that can therefore lag by
 * up to CG_FULL_EVERY - 1 cycles: page cache reclaimed or written back under
 * host memory pressure, and PSI of tasks blocked on I/O. The same idea as
 * cAdvisor's dynamic housekeeping, with a short, fixed bound. */
#define CG_FULL_EVERY 10

/* Reads a whole small file into dst (NUL-terminated). Returns length or -errno. */
static long rd_path(const char *path, char *dst, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, dst + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    dst[len] = '\0';
    return (long)len;
}

/* Reads dir/cgpath/file into dst. */
static long rd(const char *dir, const char *cgpath, const char *file, char *dst, size_t cap)
{
    char path[CG_PATH_MAX * 2 + 64];
    if (!dir[0])
        return -ENOENT;
    snprintf(path, sizeof(path), "%s%s/%s", dir, cgpath, file);
    return rd_path(path, dst, cap);
}

static int rd_u64(const char *dir, const char *cgpath, const char *file, uint64_t *v)
{
    char b[64];
    long n = rd(dir, cgpath, file, b, sizeof(b));
    if (n < 0)
        return (int)n;
    return cg_parse_u64(b, (size_t)n, v);
}

cg_handle *cg_handle_new(const cg_layout *l, const char *cgpath)
{
    cg_handle *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->l = l;
    h->files = l->mode == CG_MODE_V2 ? files_v2 : files_v1;
    snprintf(h->cgpath, sizeof(h->cgpath), "%s", cgpath);
    for (int i = 0; i < F_N; i++) {
        /* PSI on a pure v1 host, or files this version does not have */
        int absent = !h->files[i].name || !l->dir[h->files[i].ctrl][0];
        h->fd[i] = absent ? FD_MISSING : FD_UNOPENED;
    }
    h->net_fd = FD_UNOPENED;
    return h;
}

void cg_handle_repid(cg_handle *h)
{
    if (h->net_fd >= 0)
        close(h->net_fd);
    h->net_fd = FD_UNOPENED;
    h->pid = 0;
    h->net_host = 0;
}

void cg_handle_free(cg_handle *h)
{
    if (!h)
        return;
    for (int i = 0; i < F_N; i++)
        if (h->fd[i] >= 0)
            close(h->fd[i]);
    cg_handle_repid(h);
    free(h);
}

/* Reads file i of the handle into dst. Returns length or -errno; -ENOENT
 * both for a file this host lacks and for a cgroup that was removed (reads
 * on its open files then fail with ENODEV). */
static long hread(cg_handle *h, int i, char *dst, size_t cap)
{
    int fd = h->fd[i];
    if (fd == FD_MISSING)
        return -ENOENT;
    const file_def *f = &h->files[i];
    if (fd == FD_UNOPENED) {
        char path[CG_PATH_MAX * 2 + 64];
        snprintf(path, sizeof(path), "%s%s/%s", h->l->dir[f->ctrl], h->cgpath, f->name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == EMFILE || e == ENFILE) /* out of descriptors: read it the slow way */
                return rd(h->l->dir[f->ctrl], h->cgpath, f->name, dst, cap);
            if (e == ENOENT && f->optional)
                h->fd[i] = FD_MISSING;
            return -e;
        }
        h->fd[i] = fd;
    }
    ssize_t n;
    do
        n = pread(fd, dst, cap - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        if (e == ENODEV)
            return -ENOENT;
        if (e == EOPNOTSUPP) { /* PSI compiled in but disabled (psi=0) */
            close(fd);
            h->fd[i] = FD_MISSING;
        }
        return -e;
    }
    dst[n] = '\0';
    return (long)n;
}

static int hread_u64(cg_handle *h, int i, uint64_t *v)
{
    char b[64];
    long n = hread(h, i, b, sizeof(b));
    if (n < 0)
        return (int)n;
    return cg_parse_u64(b, (size_t)n, v);
}

static void collect_psi(cg_handle *h, bsample *s)
{
    static const uint32_t bits[BS_PSI_N][2] = {
        {BS_HAS_PSI_CPU_SOME, BS_HAS_PSI_CPU_FULL},
        {BS_HAS_PSI_MEM_SOME, BS_HAS_PSI_MEM_FULL},
        {BS_HAS_PSI_IO_SOME, BS_HAS_PSI_IO_FULL},
    };
    char b[512];
    for (int i = 0; i < BS_PSI_N; i++) {
        long n = hread(h, F_PSI_CPU + i, b, sizeof(b));
        if (n <= 0)
            continue;
        unsigned m = cg_parse_psi(b, (size_t)n, &s->psi_us[i][0], &s->psi_us[i][1]);
        if (m & 1)
            s->has |= bits[i][0];
        if (m & 2)
            s->has |= bits[i][1];
    }
}

/* Finds a process in the container and decides whether it has a network
 * namespace of its own. Returns 0 when network counters can be read. */
static int net_attach(cg_handle *h)
{
    char b[64];
    const cg_layout *l = h->l;
    char procs[CG_PATH_MAX * 2 + 32];
    cg_procs_path(l, h->cgpath, procs, sizeof(procs));
    long n = rd_path(procs, b, sizeof(b));
    h->pid = n > 0 ? cg_parse_first_pid(b, (size_t)n) : 0;
    if (h->pid <= 0)
        return -ENOENT; /* no process (yet) */
    char path[CG_PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof(path), "%s/proc/%d/ns/net", l->host_root, h->pid);
    if (l->host_netns && stat(path, &st) == 0 && (unsigned long long)st.st_ino == l->host_netns) {
        h->net_host = 1;
        return -ENOENT;
    }
    snprintf(path, sizeof(path), "%s/proc/%d/net/dev", l->host_root, h->pid);
    h->net_fd = open(path, O_RDONLY | O_CLOEXEC);
    return h->net_fd >= 0 ? 0 : -errno;
}

static void collect_net(cg_handle *h, bsample *s)
{
    char b[RD_CAP];
    for (int attempt = 0; attempt < 2 && !h->net_host; attempt++) {
        if (h->net_fd < 0 && net_attach(h) < 0)
            return;
        ssize_t n = pread(h->net_fd, b, sizeof(b) - 1, 0);
        if (n > 0) {
            s->n_ifaces = (uint32_t)cg_parse_netdev(b, (size_t)n, s->ifaces, BS_MAX_IFACES);
            s->has |= BS_HAS_NET;
            return;
        }
        cg_handle_repid(h); /* that process exited: find another one, once */
    }
}

static int collect_v1(cg_handle *h, bsample *s)
{
    char b[RD_CAP];
    long n;

    /* CPU: total in ns from cpuacct.usage; the user/system split from
     * cpuacct.stat (USER_HZ ticks) saves two reads per cycle over
     * cpuacct.usage_user + usage_sys. */
    int rc = hread_u64(h, F_CPU_A, &s->cpu_total_ns);
    if (rc == -ENOENT && h->l->dir[CG_CPUACCT][0])
        return -ENOENT;
    if (rc == 0) {
        s->has |= BS_HAS_CPU;
        if ((n = hread(h, F_CPU_B, b, sizeof(b))) > 0) {
            static const char *const k[] = {"user", "system"};
            uint64_t t[2] = {0, 0};
            cg_parse_kv(b, (size_t)n, k, 2, t);
            s->cpu_user_ns = t[0] * 10000000ull;
            s->cpu_system_ns = t[1] * 10000000ull;
        }
    }
    if ((n = hread(h, F_CPU_C, b, sizeof(b))) > 0) {
        static const char *const k[] = {"nr_periods", "nr_throttled", "throttled_time"};
        uint64_t t[3] = {0, 0, 0};
        if (cg_parse_kv(b, (size_t)n, k, 3, t) & 1) {
            s->cfs_periods = t[0];
            s->cfs_throttled_periods = t[1];
            s->cfs_throttled_ns = t[2];
            s->has |= BS_HAS_CFS;
        }
    }

    if (hread_u64(h, F_MEM_USAGE, &s->mem_usage) == 0) {
        s->has |= BS_HAS_MEM;
        if ((n = hread(h, F_MEM_STAT, b, sizeof(b))) > 0) {
            static const char *const k[] = {"total_inactive_file", "total_rss", "total_cache",
                                            "total_swap"};
            uint64_t t[4] = {0, 0, 0, 0};
            uint64_t m = cg_parse_kv(b, (size_t)n, k, 4, t);
            s->mem_working_set = s->mem_usage > t[0] ? s->mem_usage - t[0] : 0;
            s->mem_rss = t[1];
            s->mem_cache = t[2];
            if (m & 8) {
                s->mem_swap = t[3];
                s->has |= BS_HAS_SWAP;
            }
        }
        if (hread_u64(h, F_MEM_FAILCNT, &s->mem_failcnt) == 0)
            s->has |= BS_HAS_FAILCNT;
        if ((n = hread(h, F_MEM_EVENTS, b, sizeof(b))) > 0) {
            static const char *const k[] = {"oom_kill"};
            if (cg_parse_kv(b, (size_t)n, k, 1, &s->oom_kills) & 1)
                s->has |= BS_HAS_OOM;
        }
    }

    /* Block I/O: the throttle files count every request, CFQ or not. */
    if ((n = hread(h, F_BLK_BYTES, b, sizeof(b))) >= 0) {
        cg_parse_blkio_v1(b, (size_t)n, &s->blk_read_bytes, &s->blk_write_bytes);
        if ((n = hread(h, F_BLK_OPS, b, sizeof(b))) >= 0)
            cg_parse_blkio_v1(b, (size_t)n, &s->blk_read_ops, &s->blk_write_ops);
        s->has |= BS_HAS_BLKIO;
    }
    if (hread_u64(h, F_PIDS, &s->pids) == 0)
        s->has |= BS_HAS_PIDS;
    collect_psi(h, s);
    return (s->has & (BS_HAS_CPU | BS_HAS_MEM)) ? 0 : -ENOENT;
}

static int collect_v2(cg_handle *h, bsample *s)
{
    char b[RD_CAP];
    long n = hread(h, F_CPU_A, b, sizeof(b));
    if (n == -ENOENT)
        return -ENOENT;
    if (n > 0) {
        static const char *const k[] = {"usage_usec", "user_usec",    "system_usec",
                                        "nr_periods", "nr_throttled", "throttled_usec"};
        uint64_t t[6] = {0};
        uint64_t m = cg_parse_kv(b, (size_t)n, k, 6, t);
        if (m & 1) {
            s->cpu_total_ns = t[0] * 1000;
            s->cpu_user_ns = t[1] * 1000;
            s->cpu_system_ns = t[2] * 1000;
            s->has |= BS_HAS_CPU;
        }
        if (m & 8) {
            s->cfs_periods = t[3];
            s->cfs_throttled_periods = t[4];
            s->cfs_throttled_ns = t[5] * 1000;
            s->has |= BS_HAS_CFS;
        }
    }
    if (hread_u64(h, F_MEM_USAGE, &s->mem_usage) == 0) {
        s->has |= BS_HAS_MEM;
        if ((n = hread(h, F_MEM_STAT, b, sizeof(b))) > 0) {
            static const char *const k[] = {"inactive_file", "anon", "file"};
            uint64_t t[3] = {0, 0, 0};
            cg_parse_kv(b, (size_t)n, k, 3, t);
            s->mem_working_set = s->mem_usage > t[0] ? s->mem_usage - t[0] : 0;
            s->mem_rss = t[1];
            s->mem_cache = t[2];
        }
        if (hread_u64(h, F_MEM_SWAP, &s->mem_swap) == 0)
            s->has |= BS_HAS_SWAP;
        if ((n = hread(h, F_MEM_EVENTS, b, sizeof(b))) > 0) {
            /* "max" counts hits of the limit: v1's failcnt, as runc maps it. */
            static const char *const k[] = {"oom_kill", "max"};
            uint64_t t[2] = {0, 0};
            uint64_t m = cg_parse_kv(b, (size_t)n, k, 2, t);
            if (m & 1) {
                s->oom_kills = t[0];
                s->has |= BS_HAS_OOM;
            }
            if (m & 2) {
                s->mem_failcnt = t[1];
                s->has |= BS_HAS_FAILCNT;
            }
        }
    }
    if ((n = hread(h, F_BLK_BYTES, b, sizeof(b))) >= 0) {
        cg_parse_io_stat(b, (size_t)n, &s->blk_read_bytes, &s->blk_write_bytes, &s->blk_read_ops,
                         &s->blk_write_ops);
        s->has |= BS_HAS_BLKIO;
    }
    if (hread_u64(h, F_PIDS, &s->pids) == 0)
        s->has |= BS_HAS_PIDS;
    collect_psi(h, s);
    return (s->has & (BS_HAS_CPU | BS_HAS_MEM)) ? 0 : -ENOENT;
}

/* The idle test: reads only the CPU total. 1 when unchanged since the last
 * full read, 0 when it moved, -ENOENT when the cgroup is gone. */
static int cpu_unchanged(cg_handle *h)
{
    char b[RD_CAP];
    uint64_t v = 0;
    if (h->l->mode == CG_MODE_V2) {
        static const char *const k[] = {"usage_usec"};
        long n = hread(h, F_CPU_A, b, sizeof(b));
        if (n == -ENOENT)
            return -ENOENT;
        if (n <= 0 || !(cg_parse_kv(b, (size_t)n, k, 1, &v) & 1))
            return 0;
        v *= 1000;
    } else {
        int rc = hread_u64(h, F_CPU_A, &v);
        if (rc == -ENOENT && h->l->dir[CG_CPUACCT][0])
            return -ENOENT;
        if (rc < 0)
            return 0;
    }
    return v == h->last.cpu_total_ns;
}

int cg_collect(cg_handle *h, bsample *s)
{
    struct timespec mono, wall;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &wall);
    int rc;
    if (h->since_full + 1 < CG_FULL_EVERY && (h->last.has & BS_HAS_CPU) &&
        (rc = cpu_unchanged(h)) != 0) {
        if (rc < 0)
            return rc;
        memcpy(s, &h->last, offsetof(bsample, ifaces));
        s->n_ifaces = 0;
        s->has &= ~(uint32_t)BS_HAS_NET;
        h->since_full++;
    } else {
        memset(s, 0, offsetof(bsample, ifaces));
        rc = h->l->mode == CG_MODE_V2 ? collect_v2(h, s) : collect_v1(h, s);
        if (rc < 0)
            return rc;
        h->last = *s;
        h->since_full = 0;
    }
    s->mono_ns = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec;
    s->wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    collect_net(h, s);
    return 0;
}

/* v1 reports "no limit" as a page-rounded LONG_MAX; anything that large is none. */
static uint64_t norm_limit(uint64_t v)
{
    return v >= (1ull << 62) ? 0 : v;
}

int cg_collect_spec(const cg_layout *l, const char *cgpath, bspec *spec)
{
    char b[256];
    long n;
    uint64_t v;
    memset(spec, 0, sizeof(*spec));
    spec->cpu_quota_us = -1;
    if (l->mode == CG_MODE_V2) {
        const char *d = l->dir[CG_UNIFIED];
        if ((n = rd(d, cgpath, "cpu.max", b, sizeof(b))) > 0)
            cg_parse_cpu_max(b, (size_t)n, &spec->cpu_quota_us, &spec->cpu_period_us);
        if (rd_u64(d, cgpath, "cpu.weight", &v) == 0 && v >= 1 && v <= 10000)
            spec->cpu_shares = 2 + ((v - 1) * 262142) / 9999; /* runc's mapping, inverted */
        if (rd_u64(d, cgpath, "memory.max", &v) == 0)
            spec->mem_limit = v == CG_MAX ? 0 : v;
        if (rd_u64(d, cgpath, "memory.swap.max", &v) == 0)
            spec->mem_swap_limit = v == CG_MAX ? 0 : v;
        if (rd_u64(d, cgpath, "pids.max", &v) == 0)
            spec->pids_limit = v == CG_MAX ? 0 : v;
        n = rd(d, cgpath, "cpuset.cpus.effective", b, sizeof(b));
    } else {
        if (rd_u64(l->dir[CG_CPU], cgpath, "cpu.cfs_period_us", &v) == 0)
            spec->cpu_period_us = v;
        if ((n = rd(l->dir[CG_CPU], cgpath, "cpu.cfs_quota_us", b, sizeof(b))) > 0 && b[0] != '-')
            if (cg_parse_u64(b, (size_t)n, &v) == 0)
                spec->cpu_quota_us = (int64_t)v;
        if (rd_u64(l->dir[CG_CPU], cgpath, "cpu.shares", &v) == 0)
            spec->cpu_shares = v;
        if (rd_u64(l->dir[CG_MEMORY], cgpath, "memory.limit_in_bytes", &v) == 0)
            spec->mem_limit = norm_limit(v);
        if (rd_u64(l->dir[CG_MEMORY], cgpath, "memory.memsw.limit_in_bytes", &v) == 0)
            spec->mem_swap_limit = norm_limit(v);
        if (rd_u64(l->dir[CG_PIDS], cgpath, "pids.max", &v) == 0)
            spec->pids_limit = v == CG_MAX ? 0 : v;
        n = rd(l->dir[CG_CPUSET], cgpath, "cpuset.cpus", b, sizeof(b));
    }
    if (n > 0) {
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' '))
            b[--n] = '\0';
        snprintf(spec->cpuset, sizeof(spec->cpuset), "%s", b);
    }
    return 0;
}

int cg_collect_host(const cg_layout *l, cg_host *h)
{
    char b[RD_CAP * 4];
    char dir[CG_PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/proc", l->host_root);
    memset(h, 0, sizeof(*h));
    long n = rd(dir, "", "stat", b, sizeof(b));
    if (n <= 0)
        return n < 0 ? (int)n : -EINVAL;
    int rc = cg_parse_proc_stat(b, (size_t)n, h);
    n = rd(dir, "", "meminfo", b, sizeof(b));
    if (n > 0)
        cg_parse_meminfo(b, (size_t)n, h);
    return rc;
}
