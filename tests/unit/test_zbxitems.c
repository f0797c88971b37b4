/*
 * test_zbxitems: berth's Zabbix item keys (export/zbxitems.c) on a fixture
 * store, the way the passive listener and active mode ask for them: every
 * item key family, the three LLD documents byte for byte, unknown keys,
 * containers by name (running, stopped, unnamed), the disk items with the
 * tracker off and on (a small tree counted in poll mode), and the active
 * collection of every selected key.
 *
 * The expected texts are what the agent answered before the items took data
 * instead of the engine: Zabbix templates and users' triggers depend on them.
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

#include "disk/tracker.h"
#include "util/opt.h"
#include "export/zbxitems.h"
#include "metrics/store.h"
#include "util/clock.h"

#define ID_WEB  "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"
#define ID_OLD  "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002"
#define ID_ANON "cccccccccccc0000000000000000000000000000000000000000000000000003"

static void meta(store *s, const char *id, const char *name, const char *state)
{
    bmeta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.image, sizeof(m.image), "nginx:1.25");
    snprintf(m.state, sizeof(m.state), "%s", state);
    snprintf(m.health, sizeof(m.health), "%s", strcmp(state, "running") ? "" : "healthy");
    m.restart_count = 2;
    bmeta_add_mount(&m, "volume", "webdata", "/data", "/var/lib/docker/volumes/webdata/_data");
    bmeta_add_mount(&m, "bind", "/etc/web", "/etc/nginx", "/etc/web");
    st_set_meta(s, &m);
    bmeta_clear(&m);
}

/* Two samples one second apart: rates are defined. */
static void samples(st_entry *e, uint64_t cpu_ns_per_s)
{
    bsample a, b;
    memset(&a, 0, sizeof(a));
    a.mono_ns = 1000000000;
    a.n_ifaces = 2;
    snprintf(a.ifaces[0].name, BS_IFNAME, "lo");
    snprintf(a.ifaces[1].name, BS_IFNAME, "eth0");
    b = a;
    b.mono_ns = 2000000000;
    b.cpu_total_ns = cpu_ns_per_s;
    b.cfs_periods = 10;
    b.cfs_throttled_periods = 1;
    b.mem_usage = 20u << 20;
    b.mem_working_set = 16u << 20;
    b.oom_kills = 1;
    b.blk_read_bytes = 4096;
    b.blk_write_bytes = 8192;
    b.pids = 7;
    b.ifaces[0].rx_bytes = 999999; /* lo: never counted */
    b.ifaces[1].rx_bytes = 2000;
    b.ifaces[1].tx_bytes = 500;
    st_commit(e, &a);
    st_commit(e, &b);
}

static store *fixture(void)
{
    store *s = st_new(0);
    st_lock(s);
    /* web: running, limits, services */
    meta(s, ID_WEB, "web", "running");
    st_entry *e = st_get(s, ID_WEB);
    snprintf(e->cgpath, sizeof(e->cgpath), "/docker/%s", ID_WEB);
    e->spec.cpu_quota_us = 50000;
    e->spec.cpu_period_us = 100000;
    e->spec.mem_limit = 64u << 20;
    samples(e, 500000000);
    st_service sv[4];
    memset(sv, 0, sizeof(sv));
    sv[0] = (st_service){.proto = 1,
                         .addr = "0.0.0.0",
                         .port = 8080,
                         .pid = 1,
                         .process = "nginx",
                         .user = "root",
                         .listening = 1,
                         .probed = 1,
                         .up = 1,
                         .latency_s = 0.00025};
    sv[1] = sv[0];
    snprintf(sv[1].addr, sizeof(sv[1].addr), "::"); /* the same service: one LLD entry */
    sv[2] = (st_service){.proto = 2,
                         .addr = "0.0.0.0",
                         .port = 53,
                         .process = "dnsmasq",
                         .user = "nobody",
                         .listening = 1};
    sv[3] = (st_service){.proto = 1,
                         .addr = "127.0.0.1",
                         .port = 9000,
                         .process = "php-fpm",
                         .user = "www-data",
                         .listening = 1,
                         .probed = 1,
                         .up = 0};
    st_set_services(e, sv, 4, 16);
    /* old: stopped, known to Docker only */
    meta(s, ID_OLD, "old", "exited");
    /* an unnamed cgroup: named by its short id */
    e = st_get_or_add(s, ID_ANON);
    snprintf(e->cgpath, sizeof(e->cgpath), "/docker/%s", ID_ANON);
    samples(e, 0);
    s->host.mem_total = 1u << 30;
    st_unlock(s);
    return s;
}

static zbx_key *key(const char *name, const char *p0, const char *p1, const char *p2)
{
    static zbx_key k; /* 33 KiB: not on the stack */
    memset(&k, 0, sizeof(k));
    snprintf(k.name, sizeof(k.name), "%s", name);
    const char *p[3] = {p0, p1, p2};
    for (int i = 0; i < 3 && p[i]; i++)
        snprintf(k.params[k.nparams++], sizeof(k.params[0]), "%s", p[i]);
    return &k;
}

/* Asks like the passive listener; returns the answer, rc in *rc. */
static const char *ask(const zbxitems_src *src, const zbx_key *k, int *rc)
{
    static buf out = BUF_INIT;
    buf_reset(&out);
    *rc = zbxitems_get(k, &out, (void *)src);
    return out.data ? out.data : "";
}

#define EXPECT(src, want_rc, want, ...)                                                            \
    do {                                                                                           \
        int rc_;                                                                                   \
        const char *got_ = ask(src, key(__VA_ARGS__), &rc_);                                       \
        assert_string_equal(got_, want);                                                           \
        assert_int_equal(rc_, want_rc);                                                            \
    } while (0)

static void t_lld(void **state)
{
    (void)state;
    store *s = fixture();
    zbxitems_src src = {.st = s};
    EXPECT(&src, 0,
           "[{\"{#CONTAINER.NAME}\":\"web\",\"{#CONTAINER.ID}\":\"aaaaaaaaaaaa\",\"{#IMAGE}\":"
           "\"nginx:1.25\"},{\"{#CONTAINER.NAME}\":\"cccccccccccc\",\"{#CONTAINER.ID}\":"
           "\"cccccccccccc\",\"{#IMAGE}\":\"\"}]",
           "berth.containers.discovery", NULL, NULL, NULL);
    EXPECT(&src, 0,
           "[{\"{#CONTAINER.NAME}\":\"web\",\"{#PORT}\":8080,\"{#PROTO}\":\"tcp\",\"{#PROCESS}\":"
           "\"nginx\",\"{#USER}\":\"root\",\"{#ADDR}\":\"0.0.0.0\"},{\"{#CONTAINER.NAME}\":"
           "\"web\",\"{#PORT}\":53,\"{#PROTO}\":\"udp\",\"{#PROCESS}\":\"dnsmasq\",\"{#USER}\":"
           "\"nobody\",\"{#ADDR}\":\"0.0.0.0\"},{\"{#CONTAINER.NAME}\":\"web\",\"{#PORT}\":9000,"
           "\"{#PROTO}\":\"tcp\",\"{#PROCESS}\":\"php-fpm\",\"{#USER}\":\"www-data\",\"{#ADDR}\":"
           "\"127.0.0.1\"}]",
           "berth.services.discovery", NULL, NULL, NULL);
    EXPECT(&src, 0,
           "[{\"{#CONTAINER.NAME}\":\"web\",\"{#VOLUME.TYPE}\":\"volume\",\"{#VOLUME.NAME}\":"
           "\"webdata\",\"{#VOLUME.DESTINATION}\":\"/data\"},{\"{#CONTAINER.NAME}\":\"web\","
           "\"{#VOLUME.TYPE}\":\"bind\",\"{#VOLUME.NAME}\":\"/etc/web\",\"{#VOLUME.DESTINATION}\":"
           "\"/etc/nginx\"}]",
           "berth.volumes.discovery", NULL, NULL, NULL);
    EXPECT(&src, 0, "2", "berth.containers.count", NULL, NULL, NULL);
    st_free(s);
}

static void t_container_items(void **state)
{
    (void)state;
    store *s = fixture();
    zbxitems_src src = {.st = s};
    static const struct {
        const char *item, *want;
    } cases[] = {
        {"state", "running"},
        {"health", "healthy"},
        {"restarts", "2"},
        {"cpu", "0.500000"},
        {"cpu.throttled", "0.100000"},
        {"cpu.limit", "0.500000"},
        {"memory", "16777216"},
        {"memory.usage", "20971520"},
        {"memory.limit", "67108864"},
        {"memory.pused", "25.0000"},
        {"oom_kills", "1"},
        {"net.rx", "2000.000"},
        {"net.tx", "500.000"},
        {"blk.read", "4096.000"},
        {"blk.write", "8192.000"},
        {"pids", "7"},
    };
    char k[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(k, sizeof(k), "berth.container.%s", cases[i].item);
        EXPECT(&src, 0, cases[i].want, k, "web", NULL, NULL);
    }
    /* every item active mode pushes is one of them */
    for (; zbxitems_container_items[n]; n++) {
        size_t j = 0;
        while (j < sizeof(cases) / sizeof(cases[0]) &&
               strcmp(cases[j].item, zbxitems_container_items[n]) != 0)
            j++;
        assert_true(j < sizeof(cases) / sizeof(cases[0]));
    }
    assert_int_equal(n, sizeof(cases) / sizeof(cases[0]));
    /* no limit: pused is of host memory; unnamed: by short id; no metadata:
     * "running" and no health */
    EXPECT(&src, 0, "0.000000", "berth.container.cpu.limit", "cccccccccccc", NULL, NULL);
    EXPECT(&src, 0, "0", "berth.container.memory.limit", "cccccccccccc", NULL, NULL);
    EXPECT(&src, 0, "1.5625", "berth.container.memory.pused", "cccccccccccc", NULL, NULL);
    EXPECT(&src, 0, "running", "berth.container.state", "cccccccccccc", NULL, NULL);
    EXPECT(&src, 0, "", "berth.container.health", "cccccccccccc", NULL, NULL);
    st_free(s);
}

static void t_service_items(void **state)
{
    (void)state;
    store *s = fixture();
    zbxitems_src src = {.st = s};
    EXPECT(&src, 0, "1", "berth.service.up", "web", "8080", NULL);
    EXPECT(&src, 0, "1", "berth.service.up", "web", "8080", "tcp");
    EXPECT(&src, 0, "0", "berth.service.up", "web", "9000", NULL);
    EXPECT(&src, 0, "1", "berth.service.up", "web", "53", "udp"); /* not probed */
    EXPECT(&src, 0, "0", "berth.service.up", "web", "53", NULL);  /* no TCP 53 */
    EXPECT(&src, 0, "0", "berth.service.up", "web", "1", NULL);   /* gone: down */
    EXPECT(&src, 0, "0.000250", "berth.service.latency", "web", "8080", NULL);
    EXPECT(&src, -ENOENT, "No service on port 1.", "berth.service.latency", "web", "1", NULL);
    EXPECT(&src, -ENOTSUP, "Unsupported item key.", "berth.service.nosuch", "web", "1", NULL);
    st_free(s);
}

static void t_unknown(void **state)
{
    (void)state;
    store *s = fixture();
    zbxitems_src src = {.st = s};
    EXPECT(&src, -ENOTSUP, "Unsupported item key.", "no.such.key", NULL, NULL, NULL);
    EXPECT(&src, -ENOTSUP, "Unsupported item key.", "berth.container.nosuch", "web", NULL, NULL);
    EXPECT(&src, -ENOENT, "No running container named \"nobody\".", "berth.container.cpu", "nobody",
           NULL, NULL);
    /* stopped: Docker knows it, the container items do not */
    EXPECT(&src, -ENOENT, "No running container named \"old\".", "berth.container.state", "old",
           NULL, NULL);
    /* the one lookup rule (model/ctr_match.h): an id prefix names it too
     * (the same figure as by name), a missing one and a short one do not */
    EXPECT(&src, 0, "0.500000", "berth.container.cpu", "aaaaaaaaaaaa", NULL, NULL);
    EXPECT(&src, 0, "0.500000", "berth.container.cpu", ID_WEB, NULL, NULL);
    EXPECT(&src, -ENOENT, "No running container named \"ffff\".", "berth.container.cpu", "ffff",
           NULL, NULL);
    EXPECT(&src, -ENOENT, "No running container named \"aa\".", "berth.container.cpu", "aa", NULL,
           NULL);
    EXPECT(&src, -EINVAL, "Invalid first parameter: a container name is required.",
           "berth.container.cpu", NULL, NULL, NULL);
    EXPECT(&src, -EINVAL, "Invalid first parameter: a container name is required.",
           "berth.service.up", "", NULL, NULL);
    EXPECT(&src, -ENOENT, "Disk tracking is off (disk off in the agent's configuration).",
           "berth.container.disk.total", "web", NULL, NULL);
    EXPECT(&src, -ENOENT, "Disk tracking is off (disk off in the agent's configuration).",
           "berth.disk.images", NULL, NULL, NULL);
    st_free(s);
}

/* ---- disk items on a real (small) tracker ---------------------------------- */

static char top[64];

static void write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc('x', f);
    fclose(f);
}

static void t_disk_items(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "/tmp/berth-zbxitems-XXXXXX");
    assert_non_null(mkdtemp(top));
    char up[128], vol[128], logs[160], p[200];
    snprintf(up, sizeof(up), "%s/up", top);
    snprintf(vol, sizeof(vol), "%s/vol", top);
    snprintf(logs, sizeof(logs), "%s/%s-json.log", top, ID_OLD);
    assert_int_equal(mkdir(up, 0755), 0);
    assert_int_equal(mkdir(vol, 0755), 0);
    snprintf(p, sizeof(p), "%s/f", up);
    write_file(p, 10000);
    snprintf(p, sizeof(p), "%s/g", vol);
    write_file(p, 20000);
    write_file(logs, 3000);

    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = 0;
    o.interval_ms = 50;
    o.verify_ms = 0;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    dt_target g;
    memset(&g, 0, sizeof(g));
    snprintf(g.id, sizeof(g.id), "%s", ID_OLD);
    snprintf(g.upper, sizeof(g.upper), "%s", up);
    snprintf(g.driver, sizeof(g.driver), "overlay2");
    snprintf(g.log_path, sizeof(g.log_path), "%s", logs);
    g.n_vols = 1;
    snprintf(g.vols[0].type, sizeof(g.vols[0].type), "volume");
    snprintf(g.vols[0].name, sizeof(g.vols[0].name), "webdata");
    snprintf(g.vols[0].source, sizeof(g.vols[0].source), "%s", vol);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);

    store *s = fixture();
    zbxitems_src src = {.st = s, .disk = t};
    int ready = 0;
    for (int64_t end = clock_mono_ms() + 30000; clock_mono_ms() < end && !ready;) {
        size_t left = dt_step(t, 60, 0);
        usleep(5000);
        dt_lock(t);
        const dt_ctr *c = dt_find(t, ID_OLD);
        ready = !left && c && c->ready;
        dt_unlock(t);
    }
    assert_true(ready);

    dt_lock(t);
    const dt_ctr *c = dt_find(t, ID_OLD);
    char w[32], v[32], l[32], tot[32], v0[32];
    snprintf(w, sizeof(w), "%llu", (unsigned long long)c->writable.alloc);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)c->volumes_alloc);
    snprintf(l, sizeof(l), "%llu", (unsigned long long)c->logs.alloc);
    snprintf(tot, sizeof(tot), "%llu", (unsigned long long)c->total_alloc);
    snprintf(v0, sizeof(v0), "%llu", (unsigned long long)c->vols[0].f.alloc);
    assert_true(c->writable.alloc >= 10000 && c->volumes_alloc >= 20000);
    dt_unlock(t);
    /* a stopped container answers: disk items look containers up among all
     * those Docker knows */
    EXPECT(&src, 0, w, "berth.container.disk.writable", "old", NULL, NULL);
    EXPECT(&src, 0, v, "berth.container.disk.volumes", "old", NULL, NULL);
    EXPECT(&src, 0, l, "berth.container.disk.logs", "old", NULL, NULL);
    EXPECT(&src, 0, tot, "berth.container.disk.total", "old", NULL, NULL);
    EXPECT(&src, 0, "0.000", "berth.container.disk.growth", "old", NULL, NULL);
    EXPECT(&src, 0, v0, "berth.container.disk.volume", "old", "webdata", NULL);
    EXPECT(&src, -ENOENT, "No volume \"nosuch\" in that container.", "berth.container.disk.volume",
           "old", "nosuch", NULL);
    EXPECT(&src, -ENOENT, "No volume \"\" in that container.", "berth.container.disk.volume", "old",
           NULL, NULL);
    EXPECT(&src, -ENOTSUP, "Unsupported item key.", "berth.container.disk.nosuch", "old", NULL,
           NULL);
    /* web is not a tracker target; the unnamed one has no Docker name */
    EXPECT(&src, -ENOENT, "No container named \"web\".", "berth.container.disk.total", "web", NULL,
           NULL);
    EXPECT(&src, -ENOENT, "No container named \"cccccccccccc\".", "berth.container.disk.total",
           "cccccccccccc", NULL, NULL);
    EXPECT(&src, -EINVAL, "Invalid first parameter: a container name is required.",
           "berth.container.disk.total", NULL, NULL, NULL);
    {
        int rc;
        const char *img = ask(&src, key("berth.disk.images", NULL, NULL, NULL), &rc);
        assert_int_equal(rc, 0);
        assert_string_equal(img, "0"); /* no image layers in this tree */
    }
    /* active mode's per-entry disk value */
    st_lock(s);
    buf b = BUF_INIT;
    assert_int_equal(zbxitems_disk_value(&src, st_get(s, ID_OLD), "total", &b), 0);
    assert_string_equal(b.data, tot);
    buf_reset(&b);
    assert_int_equal(zbxitems_disk_value(&src, st_get(s, ID_WEB), "total", &b), -EAGAIN);
    zbxitems_src off = {.st = s};
    assert_int_equal(zbxitems_disk_value(&off, st_get(s, ID_OLD), "total", &b), -ENOENT);
    buf_free(&b);
    st_unlock(s);
    st_free(s);
    dt_free(t);
    snprintf(p, sizeof(p), "rm -rf '%s'", top);
    assert_int_equal(system(p), 0);
}

/* ---- active mode: every selected key at once ----------------------------- */

/* The frame starts with a binary header (NUL bytes): search all of it. */
static int has(const zbx_sbatch *b, const char *s)
{
    return memmem(b->frame.data, b->frame.len, s, strlen(s)) != NULL;
}

static size_t fulls;
static void on_full(zbx_sbatch *b, void *arg)
{
    (void)arg;
    fulls++;
    zbx_sbatch_free(b);
}

static void t_collect(void **state)
{
    (void)state;
    store *s = fixture();
    zbxitems_src src = {.st = s};
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    size_t n = zbxitems_collect(&src, "docker-01", NULL, 1700000000, 5, &b, on_full, NULL);
    /* ping, version, 3 LLD (no disk: no images), 16 items x 2 live
     * containers, 3 services x 2 (up, latency) for web, the count */
    assert_int_equal(n, 2 + 3 + 16 * 2 + 3 * 2 + 1);
    assert_int_equal(b.nvalues, n);
    assert_int_equal(fulls, 0);
    assert_true(has(&b, "\"key\":\"agent.ping\""));
    assert_true(has(&b, "\"key\":\"berth.container.memory.limit[web]\",\"value\":\"67108864\""));
    assert_true(has(&b, "\"key\":\"berth.service.up[web,9000,tcp]\",\"value\":\"0\""));
    assert_true(has(&b, "\"key\":\"berth.service.up[web,53,udp]\",\"value\":\"1\""));
    assert_true(has(&b, "\"key\":\"berth.containers.count\",\"value\":\"2\""));
    assert_true(has(&b, "\"key\":\"berth.container.state[cccccccccccc]\""));
    assert_false(has(&b, "[old]")); /* stopped: nothing but disk, and disk is off */
    assert_false(has(&b, "berth.disk.images"));
    zbx_sbatch_free(&b);

    /* a selection */
    zbx_sbatch_init(&b);
    n = zbxitems_collect(&src, "docker-01", "berth.container.memory*, berth.service.up", 1, 0, &b,
                         on_full, NULL);
    assert_int_equal(n, 4 * 2 + 3);
    assert_false(has(&b, "agent.ping"));
    assert_false(has(&b, "latency"));
    zbx_sbatch_free(&b);
    st_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_lld),           cmocka_unit_test(t_container_items),
        cmocka_unit_test(t_service_items), cmocka_unit_test(t_unknown),
        cmocka_unit_test(t_disk_items),    cmocka_unit_test(t_collect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
