/*
 * test_tracker: the disk tracker's figures must equal a fresh du walk
 * (disk/du, itself checked against GNU du in test_du) after the first walk
 * and after every kind of change: a file written in a deep directory, grown
 * in place, truncated, deleted; a directory created, renamed, moved, removed
 * with its subtree; a hard link added. Both change detectors are driven:
 * fanotify (skipped when the kernel or privileges refuse it) and poll mode.
 * Also: a volume used by two containers is one tree marked shared; a tree
 * whose top vanishes is reported gone, not crashed on; the node bound
 * (max_dirs) keeps figures exact; a deep chain works; logs with rotations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/du.h"
#include "disk/tracker.h"
#include "util/opt.h"

static char top[64];

/* Loops below are bounded by time, not by steps: on a busy filesystem
 * (fanotify sees the whole of it) a step returns at once. */
static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, size_t size, int append)
{
    static char b[65536];
    int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    memset(b, 'q', sizeof(b));
    while (size > 0) {
        size_t n = size < sizeof(b) ? size : sizeof(b);
        assert_int_equal(write(fd, b, n), (ssize_t)n);
        size -= n;
    }
    close(fd);
}

static void du_of(const char *path, du_totals *t)
{
    du_walker *w = du_walker_new();
    assert_non_null(w);
    assert_int_equal(du_walk(w, path, t), 0);
    du_walker_free(w);
}

static int fanotify_ok(void)
{
    int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME, O_RDONLY);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static dt_tracker *tracker(int fan, uint64_t max_dirs)
{
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = fan;
    o.interval_ms = 50;
    o.verify_ms = 0;
    if (max_dirs)
        o.max_dirs = max_dirs;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    return t;
}

static void target(dt_target *g, const char *id, const char *upper)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->id, sizeof(g->id), "%s", id);
    snprintf(g->upper, sizeof(g->upper), "%s", upper);
    snprintf(g->driver, sizeof(g->driver), "overlay2");
    snprintf(g->log_path, sizeof(g->log_path), "%s/logs/%s-json.log", top, id);
}

/* Steps until the queue is empty and the container is ready. */
static void settle(dt_tracker *t, const char *id)
{
    for (int64_t end = ms_now() + 30000; ms_now() < end;) {
        size_t left = dt_step(t, 60, 0);
        usleep(5000);
        dt_lock(t);
        const dt_ctr *c = dt_find(t, id);
        int ready = c && c->ready;
        dt_unlock(t);
        if (!left && ready)
            return;
    }
    fail_msg("tracker did not settle");
}

/* Steps (letting events arrive) until writable equals du of path. */
static void expect_du(dt_tracker *t, const char *id, const char *path)
{
    du_totals want;
    dt_figs got = {0};
    for (int64_t end = ms_now() + 10000; ms_now() < end;) {
        du_of(path, &want);
        dt_step(t, 60, 0);
        usleep(10000);
        dt_lock(t);
        const dt_ctr *c = dt_find(t, id);
        assert_non_null(c);
        got = c->writable;
        dt_unlock(t);
        if (got.alloc == want.alloc_bytes && got.apparent == want.apparent_bytes &&
            got.files == want.files)
            return;
    }
    fail_msg("alloc %llu want %llu, apparent %llu want %llu, files %llu want %llu",
             (unsigned long long)got.alloc, (unsigned long long)want.alloc_bytes,
             (unsigned long long)got.apparent, (unsigned long long)want.apparent_bytes,
             (unsigned long long)got.files, (unsigned long long)want.files);
}

static int setup(void **state)
{
    strcpy(top, "/var/tmp/berth_dt_XXXXXX");
    assert_non_null(mkdtemp(top));
    sh("mkdir -p %s/up/a/b/c/d %s/up/e %s/logs %s/vol", top, top, top, top);
    for (int i = 0; i < 200; i++) {
        char p[256];
        snprintf(p, sizeof(p), "%s/up/e/f%03d", top, i);
        write_file(p, (size_t)i * 97, 0);
    }
    char p[256];
    snprintf(p, sizeof(p), "%s/up/a/b/c/d/deepfile", top);
    write_file(p, 12345, 0);
    sh("ln -s /etc/passwd %s/up/a/link && mkfifo %s/up/a/fifo", top, top);
    sh("ln %s/up/a/b/c/d/deepfile %s/up/a/hard", top, top);
    return 0;
}

static int teardown(void **state)
{
    sh("rm -rf %s", top);
    return 0;
}

static void changes(int fan)
{
    char up[128], p[256];
    snprintf(up, sizeof(up), "%s/up", top);
    dt_tracker *t = tracker(fan, 0);
    dt_target g;
    target(&g, "c1", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    settle(t, "c1");
    expect_du(t, "c1", up);

    dt_stats s0, s1;
    dt_lock(t);
    dt_get_stats(t, &s0);
    dt_unlock(t);
    assert_true(s0.first_walk_done);
    assert_true(s0.dirs >= 6);

    /* a file written deep down */
    snprintf(p, sizeof(p), "%s/up/a/b/c/d/new", top);
    write_file(p, 3 << 20, 0);
    expect_du(t, "c1", up);
    /* grown in place: no directory change (fanotify only: poll mode sees it
     * at the verification walk, documented) */
    if (fan) {
        write_file(p, 1 << 20, 1);
        expect_du(t, "c1", up);
        assert_int_equal(truncate(p, 1000), 0);
        expect_du(t, "c1", up);
    }
    /* deleted */
    assert_int_equal(unlink(p), 0);
    expect_du(t, "c1", up);
    /* a new subtree, renamed, moved, removed */
    sh("mkdir -p %s/up/n1/n2 && head -c 70000 /dev/zero > %s/up/n1/n2/z", top, top);
    expect_du(t, "c1", up);
    sh("mv %s/up/n1 %s/up/renamed", top, top);
    expect_du(t, "c1", up);
    sh("mv %s/up/renamed %s/up/a/b/moved", top, top);
    expect_du(t, "c1", up);
    /* after the first walk, changes cost re-reads of a few directories, not
     * walks */
    dt_lock(t);
    dt_get_stats(t, &s1);
    dt_unlock(t);
    if (fan) {
        assert_true(s1.rescans > 0);
        /* unless the kernel's event queue overflowed (a busy host: then
         * everything is re-read, by design) */
        if (s1.overflows == s0.overflows) {
            assert_true(s1.full_walks == s0.full_walks);
            assert_true(s1.stats - s0.stats < 2000);
        }
    }
    /* a hard link to a file that was counted as a plain file elsewhere: a
     * re-walk of that tree (documented) */
    sh("ln %s/up/a/b/moved/n2/z %s/up/e/zlink", top, top);
    expect_du(t, "c1", up);
    sh("rm -rf %s/up/a/b/moved %s/up/e/zlink", top, top);
    expect_du(t, "c1", up);

    dt_free(t);
}

static void test_changes_fanotify(void **state)
{
    if (!fanotify_ok())
        skip();
    changes(1);
}

static void test_changes_poll(void **state)
{
    changes(0);
}

static void test_max_dirs_exact(void **state)
{
    char up[128];
    snprintf(up, sizeof(up), "%s/up", top);
    /* hard links between an untracked subtree and the rest count twice
     * (documented): none here */
    sh("rm %s/up/a/hard", top);
    dt_tracker *t = tracker(0, 3);
    dt_target g;
    target(&g, "c2", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    settle(t, "c2");
    expect_du(t, "c2", up);
    dt_stats s;
    dt_lock(t);
    dt_get_stats(t, &s);
    dt_unlock(t);
    assert_true(s.dirs <= 3);
    assert_true(s.untracked > 0);
    dt_free(t);
    sh("ln %s/up/a/b/c/d/deepfile %s/up/a/hard", top, top);
}

static void test_shared_volume_and_logs(void **state)
{
    char up[128], vol[128], p[256];
    snprintf(up, sizeof(up), "%s/up", top);
    snprintf(vol, sizeof(vol), "%s/vol", top);
    snprintf(p, sizeof(p), "%s/vol/data", top);
    write_file(p, 200000, 0);
    snprintf(p, sizeof(p), "%s/logs/c3-json.log", top);
    write_file(p, 5000, 0);
    snprintf(p, sizeof(p), "%s/logs/c3-json.log.1", top);
    write_file(p, 70000, 0);
    snprintf(p, sizeof(p), "%s/logs/other-json.log", top); /* not c3's */
    write_file(p, 9000, 0);

    dt_tracker *t = tracker(fanotify_ok(), 0);
    dt_target g[2];
    target(&g[0], "c3", up);
    target(&g[1], "c4", "");
    for (int i = 0; i < 2; i++) {
        g[i].n_vols = 1;
        snprintf(g[i].vols[0].type, sizeof(g[i].vols[0].type), "volume");
        snprintf(g[i].vols[0].name, sizeof(g[i].vols[0].name), "v");
        snprintf(g[i].vols[0].source, sizeof(g[i].vols[0].source), "%s", vol);
    }
    assert_int_equal(dt_set_targets(t, g, 2), 0);
    settle(t, "c3");
    settle(t, "c4");
    du_totals dv;
    du_of(vol, &dv);
    dt_lock(t);
    const dt_ctr *a = dt_find(t, "c3"), *b = dt_find(t, "c4");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n_vols, 1);
    assert_true(a->vols[0].shared && b->vols[0].shared);
    assert_int_equal(a->vols[0].f.alloc, dv.alloc_bytes);
    assert_int_equal(b->volumes_alloc, dv.alloc_bytes);
    assert_string_equal(b->source, "none");
    assert_int_equal(b->writable.alloc, 0);
    assert_int_equal(a->logs.files, 2);
    struct stat s1, s2;
    char p1[256], p2[256];
    snprintf(p1, sizeof(p1), "%s/logs/c3-json.log", top);
    snprintf(p2, sizeof(p2), "%s/logs/c3-json.log.1", top);
    assert_int_equal(stat(p1, &s1), 0);
    assert_int_equal(stat(p2, &s2), 0);
    assert_int_equal(a->logs.apparent, 75000);
    assert_int_equal(a->logs.alloc, (uint64_t)(s1.st_blocks + s2.st_blocks) * 512);
    assert_int_equal(a->total_alloc, a->writable.alloc + a->volumes_alloc + a->logs.alloc);
    dt_unlock(t);

    /* the log grows: seen at the next interval */
    write_file(p1, 100000, 1);
    int ok = 0;
    for (int64_t end = ms_now() + 10000; ms_now() < end && !ok;) {
        dt_step(t, 20, 0);
        usleep(10000);
        dt_lock(t);
        ok = dt_find(t, "c3")->logs.apparent == 175000;
        dt_unlock(t);
    }
    assert_true(ok);

    /* c4 goes: the volume is no longer shared */
    assert_int_equal(dt_set_targets(t, g, 1), 0);
    dt_step(t, 0, 0);
    dt_lock(t);
    assert_null(dt_find(t, "c4"));
    assert_false(dt_find(t, "c3")->vols[0].shared);
    dt_unlock(t);
    dt_free(t);
}

static void test_vanishing_top(void **state)
{
    char gone[128];
    snprintf(gone, sizeof(gone), "%s/gone", top);
    sh("mkdir -p %s/x/y && head -c 50000 /dev/zero > %s/x/y/f", gone, gone);
    dt_tracker *t = tracker(fanotify_ok(), 0);
    dt_target g;
    target(&g, "c5", gone);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    settle(t, "c5");
    expect_du(t, "c5", gone);
    sh("rm -rf %s", gone);
    for (int i = 0; i < 10; i++) {
        dt_step(t, 60, 0);
        usleep(20000);
    }
    /* a missing top: not a crash, reported (zero) and the next interval
     * picks it up again if it comes back */
    dt_lock(t);
    const dt_ctr *c = dt_find(t, "c5");
    assert_non_null(c);
    dt_unlock(t);
    sh("mkdir -p %s && head -c 9000 /dev/zero > %s/f", gone, gone);
    expect_du(t, "c5", gone);
    dt_free(t);
}

static void test_deep_chain(void **state)
{
    char deep[128];
    snprintf(deep, sizeof(deep), "%s/deep", top);
    sh("mkdir -p %s && cd %s && for i in $(seq 600); do mkdir m && cd m && echo $i > f; done", deep,
       deep);
    dt_tracker *t = tracker(fanotify_ok(), 0);
    dt_target g;
    target(&g, "c6", deep);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    settle(t, "c6");
    expect_du(t, "c6", deep);
    dt_free(t);
}

/* A bind of /proc or /sys is no disk: counted 0, ready at once, not walked. */
static void test_pseudo_fs_not_walked(void **state)
{
    dt_tracker *t = tracker(fanotify_ok(), 0);
    dt_target g;
    target(&g, "c7", "");
    g.n_vols = 2;
    snprintf(g.vols[0].type, sizeof(g.vols[0].type), "bind");
    snprintf(g.vols[0].source, sizeof(g.vols[0].source), "/proc");
    snprintf(g.vols[1].type, sizeof(g.vols[1].type), "bind");
    snprintf(g.vols[1].source, sizeof(g.vols[1].source), "/sys");
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    settle(t, "c7");
    dt_stats s;
    dt_lock(t);
    const dt_ctr *c = dt_find(t, "c7");
    assert_int_equal(c->volumes_alloc, 0);
    dt_get_stats(t, &s);
    dt_unlock(t);
    assert_true(s.stats < 100);
    assert_int_equal(s.dirs, 0);
    dt_free(t);
}

/* Images: each image's layers (LowerDir without the container's -init
 * layer) once per image; layers shared by two images once in the total. */
static void test_image_layers(void **state)
{
    char l1[128], l2[128], l3[128], init[128], lower[600], p[256];
    snprintf(l1, sizeof(l1), "%s/layers/a/diff", top);
    snprintf(l2, sizeof(l2), "%s/layers/b/diff", top);
    snprintf(l3, sizeof(l3), "%s/layers/c/diff", top);
    snprintf(init, sizeof(init), "%s/layers/x-init/diff", top);
    sh("mkdir -p %s/sub %s %s %s", l1, l2, l3, init);
    snprintf(p, sizeof(p), "%s/sub/f", l1);
    write_file(p, 100000, 0);
    snprintf(p, sizeof(p), "%s/g", l2);
    write_file(p, 50000, 0);
    snprintf(p, sizeof(p), "%s/h", l3);
    write_file(p, 7000, 0);
    snprintf(p, sizeof(p), "%s/big", init);
    write_file(p, 900000, 0); /* the container's own: not the image's */
    du_totals d1, d2, d3;
    du_of(l1, &d1);
    du_of(l2, &d2);
    du_of(l3, &d3);

    dt_tracker *t = tracker(0, 0);
    dt_target g[2];
    target(&g[0], "c8", "");
    target(&g[1], "c9", "");
    snprintf(g[0].image_id, sizeof(g[0].image_id), "sha256:one");
    snprintf(g[0].image, sizeof(g[0].image), "one:latest");
    snprintf(g[1].image_id, sizeof(g[1].image_id), "sha256:two");
    snprintf(lower, sizeof(lower), "%s:%s:%s", init, l1, l2);
    g[0].lower = lower;
    char lower2[600];
    snprintf(lower2, sizeof(lower2), "%s:%s", l2, l3);
    g[1].lower = lower2;
    assert_int_equal(dt_set_targets(t, g, 2), 0);
    settle(t, "c8");
    settle(t, "c9");
    dt_step(t, 0, 0);
    size_t n = 0;
    dt_stats s;
    dt_lock(t);
    const dt_image *im = dt_images(t, &n);
    assert_int_equal(n, 2);
    const dt_image *one = strcmp(im[0].id, "sha256:one") == 0 ? &im[0] : &im[1];
    const dt_image *two = one == &im[0] ? &im[1] : &im[0];
    assert_true(one->ready && two->ready);
    assert_int_equal(one->layers, 2);
    assert_int_equal(one->f.alloc, d1.alloc_bytes + d2.alloc_bytes);
    assert_string_equal(one->name, "one:latest");
    assert_int_equal(two->f.alloc, d2.alloc_bytes + d3.alloc_bytes);
    dt_get_stats(t, &s);
    /* l2 is in both images: once in the total */
    assert_int_equal(s.images_alloc, d1.alloc_bytes + d2.alloc_bytes + d3.alloc_bytes);
    dt_unlock(t);
    /* c9 goes: image two and its own layer are forgotten */
    assert_int_equal(dt_set_targets(t, g, 1), 0);
    dt_step(t, 0, 0);
    dt_lock(t);
    dt_images(t, &n);
    assert_int_equal(n, 1);
    dt_get_stats(t, &s);
    assert_int_equal(s.images_alloc, d1.alloc_bytes + d2.alloc_bytes);
    dt_unlock(t);
    dt_free(t);
}

/* The Engine API fallback, with the request replaced by a function that
 * records which container was asked about. */
typedef struct size_calls {
    int n, per[3]; /* per[0] e1 (has an upper dir), per[1] e2, per[2] e3 */
    int fail;      /* e3's request fails */
} size_calls;

static int fake_size(void *arg, const char *id, int64_t *rw)
{
    size_calls *sc = arg;
    int k = strcmp(id, "e1") == 0 ? 0 : strcmp(id, "e2") == 0 ? 1 : 2;
    sc->n++;
    sc->per[k]++;
    if (k == 2 && sc->fail)
        return -EIO;
    *rw = k == 1 ? 123456789 : 4242;
    return 0;
}

static dt_tracker *size_tracker(size_calls *sc, int64_t interval_ms)
{
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = 0;
    o.interval_ms = interval_ms;
    o.verify_ms = 0; /* each container asked once */
    o.engine_size = 1;
    o.size_fn = fake_size;
    o.size_arg = sc;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    return t;
}

static void test_engine_size_fallback(void **state)
{
    char up[128], p[256];
    snprintf(up, sizeof(up), "%s/eup", top);
    snprintf(p, sizeof(p), "%s/eup/f", top);
    assert_int_equal(mkdir(up, 0755), 0);
    write_file(p, 30000, 0);
    dt_target g[3];
    target(&g[0], "e1", up);
    target(&g[1], "e2", "");
    target(&g[2], "e3", "");
    snprintf(g[1].driver, sizeof(g[1].driver), "vfs");
    snprintf(g[2].driver, sizeof(g[2].driver), "btrfs");

    /* one request per interval: with an hour's interval, one in all */
    size_calls sc = {0};
    dt_tracker *t = size_tracker(&sc, 3600000);
    assert_int_equal(dt_set_targets(t, g, 3), 0);
    for (int i = 0; i < 20; i++)
        dt_step(t, 0, 0);
    assert_int_equal(sc.n, 1);
    assert_int_equal(sc.per[0], 0);
    dt_lock(t);
    const dt_ctr *a = dt_find(t, "e2"), *b = dt_find(t, "e3");
    assert_true(strcmp(a->source, "engine-api") == 0 || strcmp(b->source, "engine-api") == 0);
    assert_true(strcmp(a->source, "none") == 0 || strcmp(b->source, "none") == 0);
    dt_unlock(t);
    dt_free(t);

    /* short interval: round-robin reaches both, each asked once (verify 0);
     * the overlay2 container keeps its du figure and is never asked */
    memset(&sc, 0, sizeof(sc));
    sc.fail = 1;
    t = size_tracker(&sc, 20);
    assert_int_equal(dt_set_targets(t, g, 3), 0);
    for (int64_t end = ms_now() + 10000; ms_now() < end && (sc.per[1] < 1 || sc.per[2] < 1);) {
        dt_step(t, 5, 0);
        usleep(5000);
    }
    settle(t, "e1");
    for (int i = 0; i < 10; i++) {
        dt_step(t, 5, 0);
        usleep(25000); /* more intervals: no more requests */
    }
    assert_int_equal(sc.per[0], 0);
    assert_int_equal(sc.per[1], 1);
    assert_int_equal(sc.per[2], 1);
    du_totals du;
    du_of(up, &du);
    dt_lock(t);
    const dt_ctr *o = dt_find(t, "e1");
    a = dt_find(t, "e2");
    b = dt_find(t, "e3");
    assert_string_equal(o->source, "overlay2-upper");
    assert_true(o->writable_files_known);
    assert_int_equal(o->writable.alloc, du.alloc_bytes);
    assert_int_equal(o->writable.files, 1);
    assert_string_equal(a->source, "engine-api");
    assert_false(a->writable_files_known);
    assert_int_equal(a->writable.alloc, 123456789);
    assert_int_equal(a->writable.apparent, 123456789);
    assert_int_equal(a->writable.files, 0);
    assert_int_equal(a->total_alloc, 123456789 + a->logs.alloc);
    assert_string_equal(b->source, "none"); /* its request failed */
    assert_int_equal(b->writable.alloc, 0);
    dt_unlock(t);
    dt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_fanotify),     cmocka_unit_test(test_changes_poll),
        cmocka_unit_test(test_max_dirs_exact),       cmocka_unit_test(test_shared_volume_and_logs),
        cmocka_unit_test(test_vanishing_top),        cmocka_unit_test(test_deep_chain),
        cmocka_unit_test(test_pseudo_fs_not_walked), cmocka_unit_test(test_image_layers),
        cmocka_unit_test(test_engine_size_fallback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
