/* libFuzzer target: every cgroup, proc and mountinfo parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    uint64_t a, c, d, e;
    int64_t q;
    static const char *const keys[] = {"total_rss", "oom_kill", "usage_usec", "max"};
    uint64_t vals[4];
    bnet_iface ifs[BS_MAX_IFACES];
    cg_mount mounts[16];
    cg_layout l;
    cg_host h;
    char err[128];

    cg_parse_u64(b, size, &a);
    cg_parse_kv(b, size, keys, 4, vals);
    cg_parse_cpu_max(b, size, &q, &a);
    cg_parse_blkio_v1(b, size, &a, &c);
    cg_parse_io_stat(b, size, &a, &c, &d, &e);
    cg_parse_psi(b, size, &a, &c);
    cg_parse_netdev(b, size, ifs, BS_MAX_IFACES);
    cg_parse_first_pid(b, size);
    cg_parse_mountinfo(b, size, mounts, 16);
    cg_layout_from_mountinfo(b, size, "/host", &l, err, sizeof(err));
    cg_parse_proc_stat(b, size, &h);
    cg_parse_meminfo(b, size, &h);
    return 0;
}
