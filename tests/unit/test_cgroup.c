/*
 * cgroup: parsers on captured and documented file formats, layout detection
 * from mountinfo, and discovery + collection over fixture trees:
 *   tests/fixtures/cgroup/v1-hybrid   captured from a real Docker 20.10 host
 *                                     (cgroupfs driver, v1 + unified for PSI)
 *   tests/fixtures/cgroup/v2-systemd  written to the kernel's cgroup-v2.rst
 *                                     formats: systemd driver, podman and a
 *                                     kubepods cri-containerd scope.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"

#define S(lit) lit, sizeof(lit) - 1

static void t_u64(void **st)
{
    (void)st;
    uint64_t v;
    assert_int_equal(cg_parse_u64(S("67108864\n"), &v), 0);
    assert_true(v == 67108864);
    assert_int_equal(cg_parse_u64(S("max\n"), &v), 0);
    assert_true(v == CG_MAX);
    assert_int_equal(cg_parse_u64(S("99999999999999999999999999\n"), &v), 0);
    assert_true(v == UINT64_MAX); /* saturates, never wraps */
    assert_int_equal(cg_parse_u64(S("garbage"), &v), -EINVAL);
    assert_int_equal(cg_parse_u64("", 0, &v), -EINVAL);
}

static void t_kv(void **st)
{
    (void)st;
    static const char *const k[] = {"total_inactive_file", "total_rss", "missing"};
    uint64_t v[3] = {0, 0, 0};
    const char txt[] = "cache 0\nrss 57344\ninactive_file 5\ntotal_rss 57344\n"
                       "total_inactive_file 4096\n";
    uint64_t m = cg_parse_kv(txt, sizeof(txt) - 1, k, 3, v);
    assert_true(m == 3);
    assert_true(v[0] == 4096 && v[1] == 57344);
    /* a key that is a prefix of another must not match it */
    static const char *const k2[] = {"rss"};
    uint64_t r = 0;
    assert_true(cg_parse_kv(S("rss_huge 9\nrss 7\n"), k2, 1, &r) == 1);
    assert_true(r == 7);
}

static void t_cpu_max(void **st)
{
    (void)st;
    int64_t q;
    uint64_t p;
    assert_int_equal(cg_parse_cpu_max(S("50000 100000\n"), &q, &p), 0);
    assert_true(q == 50000 && p == 100000);
    assert_int_equal(cg_parse_cpu_max(S("max 100000\n"), &q, &p), 0);
    assert_true(q == -1 && p == 100000);
    assert_int_equal(cg_parse_cpu_max(S("x y"), &q, &p), -EINVAL);
}

static void t_blkio(void **st)
{
    (void)st;
    uint64_t r, w;
    const char txt[] = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 0\n8:0 Total 12288\n"
                       "8:16 Read 1\n8:16 Write 2\nTotal 12291\n";
    assert_int_equal(cg_parse_blkio_v1(txt, sizeof(txt) - 1, &r, &w), 0);
    assert_true(r == 4097 && w == 8194);
    assert_int_equal(cg_parse_blkio_v1(S("Total 0\n"), &r, &w), -ENODATA);
    assert_true(r == 0 && w == 0);
}

static void t_io_stat(void **st)
{
    (void)st;
    uint64_t rb, wb, ri, wi;
    const char txt[] = "8:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=0 dios=0\n"
                       "8:16 rbytes=1 wbytes=0 rios=5 wios=0 dbytes=0 dios=0\n";
    cg_parse_io_stat(txt, sizeof(txt) - 1, &rb, &wb, &ri, &wi);
    assert_true(rb == 1048577 && wb == 2097152 && ri == 15 && wi == 20);
}

static void t_psi(void **st)
{
    (void)st;
    uint64_t s = 0, f = 0;
    assert_int_equal(cg_parse_psi(S("some avg10=7.97 avg60=1.43 avg300=0.30 total=1069087\n"
                                    "full avg10=7.97 avg60=1.43 avg300=0.30 total=1065623\n"),
                                  &s, &f),
                     3);
    assert_true(s == 1069087 && f == 1065623);
    /* irq.pressure has a full line only */
    s = f = 0;
    assert_int_equal(cg_parse_psi(S("full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n"), &s, &f),
                     2);
    assert_int_equal(cg_parse_psi(S(""), &s, &f), 0);
}

static void t_netdev(void **st)
{
    (void)st;
    bnet_iface ifs[4];
    const char txt[] =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
        "drop fifo colls carrier compressed\n"
        "    lo:     100       1    0    0    0     0          0         0      100       1    0 "
        "   0    0     0       0          0\n"
        "  eth0: 5000 50 1 2 0 0 0 0 3000 30 3 4 0 0 0 0\n"
        "  bad: 1 2 3\n";
    size_t n = cg_parse_netdev(txt, sizeof(txt) - 1, ifs, 4);
    assert_int_equal(n, 2);
    assert_string_equal(ifs[1].name, "eth0");
    assert_true(ifs[1].rx_bytes == 5000 && ifs[1].rx_packets == 50 && ifs[1].rx_errors == 1 &&
                ifs[1].rx_dropped == 2 && ifs[1].tx_bytes == 3000 && ifs[1].tx_packets == 30 &&
                ifs[1].tx_errors == 3 && ifs[1].tx_dropped == 4);
    assert_int_equal(cg_parse_netdev(txt, sizeof(txt) - 1, ifs, 1), 1);
}

static void t_match_name(void **st)
{
    (void)st;
    char id[65];
    enum cg_runtime rt;
    char hex[65];
    memset(hex, 'a', 64);
    hex[64] = '\0';
    char name[128];
    assert_int_equal(cg_match_name(hex, id, &rt), 1);
    assert_int_equal(rt, CG_RT_DOCKER);
    snprintf(name, sizeof(name), "docker-%s.scope", hex);
    assert_int_equal(cg_match_name(name, id, &rt), 1);
    assert_string_equal(id, hex);
    snprintf(name, sizeof(name), "libpod-%s.scope", hex);
    assert_int_equal(cg_match_name(name, id, &rt), 1);
    assert_int_equal(rt, CG_RT_PODMAN);
    snprintf(name, sizeof(name), "libpod-conmon-%s.scope", hex);
    assert_int_equal(cg_match_name(name, id, &rt), 0);
    snprintf(name, sizeof(name), "cri-containerd-%s.scope", hex);
    assert_int_equal(cg_match_name(name, id, &rt), 1);
    assert_int_equal(rt, CG_RT_CONTAINERD);
    snprintf(name, sizeof(name), "crio-%s.scope", hex);
    assert_int_equal(cg_match_name(name, id, &rt), 1);
    assert_int_equal(cg_match_name("ssh.service", id, &rt), 0);
    hex[10] = 'G';
    assert_int_equal(cg_match_name(hex, id, &rt), 0);
}

static void t_mountinfo_hybrid(void **st)
{
    (void)st;
    const char txt[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"
        "42 31 0:39 / /mnt/with\\040space rw - cgroup cgroup rw,pids\n";
    cg_layout l;
    char err[128];
    assert_int_equal(cg_layout_from_mountinfo(txt, sizeof(txt) - 1, "/host/", &l, err, 128), 0);
    assert_int_equal(l.mode, CG_MODE_HYBRID);
    assert_string_equal(l.dir[CG_CPU], "/host/sys/fs/cgroup/cpu,cpuacct");
    assert_string_equal(l.dir[CG_CPUACCT], "/host/sys/fs/cgroup/cpu,cpuacct");
    assert_string_equal(l.dir[CG_MEMORY], "/host/sys/fs/cgroup/memory");
    assert_string_equal(l.dir[CG_UNIFIED], "/host/sys/fs/cgroup/unified");
    assert_string_equal(l.dir[CG_PIDS], "/host/mnt/with space");
    assert_string_equal(l.dir[CG_BLKIO], "");
    assert_int_equal(
        cg_layout_from_mountinfo(S("1 2 3:4 / / rw - ext4 /dev/x rw\n"), NULL, &l, err, 128),
        -ENOENT);
}

/* ---- fixture trees ------------------------------------------------------ */

typedef struct found_set {
    cg_found f[8]; /* more than any fixture holds */
    int n;
} found_set;

static int collect_found(const cg_found *f, void *arg)
{
    found_set *s = arg;
    if (s->n < 8)
        s->f[s->n++] = *f;
    return 0;
}

static const cg_found *find_id(const found_set *s, char c)
{
    for (int i = 0; i < s->n; i++)
        if (s->f[i].id[0] == c)
            return &s->f[i];
    return NULL;
}

static void t_v2_systemd_tree(void **st)
{
    (void)st;
    cg_layout l;
    char err[256];
    assert_int_equal(cg_layout_detect("tests/fixtures/cgroup/v2-systemd", &l, err, sizeof(err)), 0);
    assert_int_equal(l.mode, CG_MODE_V2);
    found_set fs = {.n = 0};
    assert_int_equal(cg_discover(&l, collect_found, &fs), 5);
    const cg_found *d = find_id(&fs, 'a'), *p = find_id(&fs, 'b'), *k = find_id(&fs, 'c');
    assert_non_null(d);
    assert_non_null(p);
    assert_non_null(k);
    assert_int_equal(d->runtime, CG_RT_DOCKER);
    assert_int_equal(p->runtime, CG_RT_PODMAN);
    assert_int_equal(k->runtime, CG_RT_CONTAINERD);
    assert_non_null(strstr(d->path, "/system.slice/docker-"));

    bsample s;
    cg_handle *h = cg_handle_new(&l, d->path);
    assert_int_equal(cg_collect(h, &s), 0);
    /* twice: the second read goes through the kept descriptors */
    assert_int_equal(cg_collect(h, &s), 0);
    cg_handle_free(h);
    assert_true(s.cpu_total_ns == 2500000000ull);
    assert_true(s.cpu_user_ns == 2000000000ull && s.cpu_system_ns == 500000000ull);
    assert_true(s.cfs_periods == 100 && s.cfs_throttled_periods == 40);
    assert_true(s.cfs_throttled_ns == 1500000000ull);
    assert_true(s.mem_usage == 134217728);
    assert_true(s.mem_working_set == 134217728 - 16777216);
    assert_true(s.mem_rss == 100663296 && s.mem_cache == 33554432);
    assert_true(s.mem_swap == 4096 && (s.has & BS_HAS_SWAP));
    assert_true(s.oom_kills == 2 && (s.has & BS_HAS_OOM));
    assert_true(s.mem_failcnt == 7);
    assert_true(s.blk_read_bytes == 2097152 && s.blk_write_bytes == 2097152);
    assert_true(s.blk_read_ops == 15 && s.blk_write_ops == 20);
    assert_true(s.pids == 12);
    assert_true(s.psi_us[BS_PSI_CPU][BS_PSI_SOME] == 1000);
    assert_true(s.psi_us[BS_PSI_IO][BS_PSI_FULL] == 2500);
    assert_true((s.has & BS_HAS_PSI_MEM_FULL) != 0);
    assert_int_equal(s.n_ifaces, 2);
    assert_true(s.ifaces[1].rx_bytes == 5000);

    bspec sp;
    cg_collect_spec(&l, d->path, &sp);
    assert_true(sp.cpu_quota_us == 50000 && sp.cpu_period_us == 100000);
    assert_true(sp.mem_limit == 268435456);
    assert_true(sp.mem_swap_limit == 0);
    assert_true(sp.pids_limit == 100);
    assert_true(sp.cpu_shares == 2 + (99 * 262142) / 9999);
    assert_string_equal(sp.cpuset, "0-1");

    /* PSI off and no swap accounting: the bits stay clear (series omitted) */
    const cg_found *e = find_id(&fs, 'e');
    assert_non_null(e);
    h = cg_handle_new(&l, e->path);
    assert_int_equal(cg_collect(h, &s), 0);
    cg_handle_free(h);
    assert_true((s.has & (BS_HAS_PSI_CPU_SOME | BS_HAS_PSI_MEM_SOME | BS_HAS_PSI_IO_SOME)) == 0);
    assert_true((s.has & BS_HAS_SWAP) == 0);

    /* garbage in every file ('f'): no crash, no figures, treated as gone */
    const cg_found *g = find_id(&fs, 'f');
    assert_non_null(g);
    h = cg_handle_new(&l, g->path);
    assert_int_equal(cg_collect(h, &s), -ENOENT);
    cg_handle_free(h);

    /* a vanished cgroup reads as -ENOENT */
    h = cg_handle_new(&l, "/system.slice/docker-gone.scope");
    assert_int_equal(cg_collect(h, &s), -ENOENT);
    cg_handle_free(h);

    cg_host host;
    assert_int_equal(cg_collect_host(&l, &host), 0);
    assert_true(host.mem_total > 0 && host.cpu_total_ns > 0 && host.ncpu > 0);
}

/* A host root holding the host's mountinfo but not its cgroup tree (berth
 * in a container without the /sys/fs/cgroup mount) is a clear error, not an
 * agent that silently sees no container. */
static void t_host_root_without_cgroup_tree(void **st)
{
    (void)st;
    char root[] = "/tmp/berth-test-hostroot-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512];
    snprintf(path, sizeof(path), "%s/proc", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/proc/1", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/proc/1/mountinfo", root);
    FILE *in = fopen("tests/fixtures/cgroup/v1-hybrid/proc/1/mountinfo", "r");
    FILE *out = fopen(path, "w");
    assert_non_null(in);
    assert_non_null(out);
    char b[4096];
    size_t n;
    while ((n = fread(b, 1, sizeof(b), in)) > 0)
        assert_int_equal(fwrite(b, 1, n, out), n);
    fclose(in);
    fclose(out);
    cg_layout l;
    char err[512] = "";
    assert_int_equal(cg_layout_detect(root, &l, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/sys/fs/cgroup/memory"));
    assert_non_null(strstr(err, "mount the host's /sys/fs/cgroup"));
    unlink(path);
    snprintf(path, sizeof(path), "%s/proc/1", root);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/proc", root);
    rmdir(path);
    rmdir(root);
}

static void t_v1_hybrid_tree(void **st)
{
    (void)st;
    cg_layout l;
    char err[256];
    assert_int_equal(cg_layout_detect("tests/fixtures/cgroup/v1-hybrid", &l, err, sizeof(err)), 0);
    assert_int_equal(l.mode, CG_MODE_HYBRID);
    found_set fs = {.n = 0};
    assert_int_equal(cg_discover(&l, collect_found, &fs), 1);
    assert_non_null(strstr(fs.f[0].path, "/docker/"));
    bsample s;
    cg_handle *h = cg_handle_new(&l, fs.f[0].path);
    assert_int_equal(cg_collect(h, &s), 0);
    cg_handle_free(h);
    /* values captured from a `yes` container limited to --cpus 0.5 -m 64m */
    assert_true(s.cpu_total_ns > 500000000ull);
    assert_true(s.cfs_throttled_periods > 0 && s.cfs_periods >= s.cfs_throttled_periods);
    assert_true((s.has & BS_HAS_OOM) && s.oom_kills == 0);
    assert_true((s.has & BS_HAS_PSI_CPU_SOME) != 0); /* from the unified hierarchy */
    assert_true(s.n_ifaces == 2);
    bspec sp;
    cg_collect_spec(&l, fs.f[0].path, &sp);
    assert_true(sp.cpu_quota_us == 50000 && sp.cpu_period_us == 100000);
    assert_true(sp.mem_limit == 64ull << 20);
    assert_true(sp.pids_limit == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_u64),
        cmocka_unit_test(t_kv),
        cmocka_unit_test(t_cpu_max),
        cmocka_unit_test(t_blkio),
        cmocka_unit_test(t_io_stat),
        cmocka_unit_test(t_psi),
        cmocka_unit_test(t_netdev),
        cmocka_unit_test(t_match_name),
        cmocka_unit_test(t_mountinfo_hybrid),
        cmocka_unit_test(t_v2_systemd_tree),
        cmocka_unit_test(t_v1_hybrid_tree),
        cmocka_unit_test(t_host_root_without_cgroup_tree),
    };
    return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
