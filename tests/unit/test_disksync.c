/*
 * test_disksync: the agent's side of the disk tracker. The store's Docker
 * metadata becomes targets (containers with metadata only, in store order;
 * volumes and binds, not tmpfs; LowerDir copied), and the tracker's thread
 * follows the store through disksync_start: a container added to the store
 * is walked and published without anyone calling dt_set_targets. Also the
 * disk JSON renderer on that fixture: the agent's keys and berth df's
 * one-shot keys, pinned (one schema, two documented views).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/disksync.h"
#include "disk/du.h"
#include "disk/tracker.h"
#include "util/opt.h"
#include "export/json_disk.h"
#include "metrics/store.h"
#include "util/buf.h"

static char top[64];

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A container's metadata as the Docker watcher stores it. */
static void meta(store *s, const char *id, const char *name, const char *upper, const char *vol)
{
    char src[256], lower[256], logp[256];
    snprintf(src, sizeof(src), "%s/%s", top, vol);
    snprintf(lower, sizeof(lower), "%s/l/%s-init/diff:%s/l/layer1/diff", top, id, top);
    snprintf(logp, sizeof(logp), "%s/logs/%s-json.log", top, id);
    char *mounts[] = {
        "volume", "v1", "/data", src, /* volume */
        "tmpfs",  "",   "/run",  "",  /* not a tree */
        "bind",   src,  "/b",    src, /* the same source again */
    };
    bmeta m = {0};
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.state, sizeof(m.state), "running");
    snprintf(m.image, sizeof(m.image), "img:1");
    snprintf(m.image_id, sizeof(m.image_id), "sha256:img1");
    snprintf(m.graph_driver, sizeof(m.graph_driver), "overlay2");
    snprintf(m.upper_dir, sizeof(m.upper_dir), "%s/%s", top, upper);
    snprintf(m.log_path, sizeof(m.log_path), "%s", logp);
    m.mounts = mounts;
    m.n_mounts = 3;
    m.lower_dir = lower;
    st_lock(s);
    st_set_meta(s, &m);
    st_unlock(s);
}

static int setup(void **state)
{
    (void)state;
    strcpy(top, "/var/tmp/berth_ds_XXXXXX");
    assert_non_null(mkdtemp(top));
    sh("mkdir -p %s/u1/d %s/u2 %s/vol %s/logs %s/l/layer1/diff/bin", top, top, top, top, top);
    sh("head -c 11000 /dev/zero > %s/u1/d/f && head -c 3000 /dev/zero > %s/vol/v", top, top);
    sh("head -c 2000 /dev/zero > %s/l/layer1/diff/bin/sh && echo log > %s/logs/c1-json.log", top,
       top);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", top);
    return 0;
}

static void test_targets_from_store(void **state)
{
    (void)state;
    store *s = st_new(0);
    meta(s, "c2", "two", "u2", "vol");
    meta(s, "c1", "one", "u1", "vol");
    st_lock(s);
    st_get_or_add(s, "c0-no-meta"); /* a cgroup without metadata: no target */
    st_unlock(s);
    dt_target *v = NULL;
    size_t n = 0;
    assert_int_equal(disksync_targets(s, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].id, "c1"); /* store order (by id) */
    assert_string_equal(v[1].id, "c2");
    char want[256];
    snprintf(want, sizeof(want), "%s/u1", top);
    assert_string_equal(v[0].upper, want);
    assert_string_equal(v[0].driver, "overlay2");
    assert_string_equal(v[0].image_id, "sha256:img1");
    assert_string_equal(v[0].image, "img:1");
    assert_non_null(v[0].lower);
    assert_non_null(strstr(v[0].lower, "layer1/diff"));
    assert_int_equal(v[0].n_vols, 2); /* tmpfs left out */
    assert_string_equal(v[0].vols[0].type, "volume");
    assert_string_equal(v[0].vols[0].name, "v1");
    assert_string_equal(v[0].vols[1].type, "bind");
    disksync_targets_free(v, n);
    st_free(s);
}

/* The agent's path: the thread picks the containers up from the store. */
static void test_thread_follows_store(void **state)
{
    (void)state;
    store *s = st_new(0);
    meta(s, "c1", "one", "u1", "vol");
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = 0;
    o.interval_ms = 100;
    disksync *d = NULL;
    char err[128];
    assert_int_equal(disksync_new(&o, &d, err, sizeof(err)), 0);
    dt_tracker *t = disksync_tracker(d);
    assert_non_null(t);
    assert_int_equal(disksync_start(d, s, err, sizeof(err)), 0);
    du_totals want;
    du_walker *w = du_walker_new();
    char up[128];
    snprintf(up, sizeof(up), "%s/u1", top);
    assert_int_equal(du_walk(w, up, &want), 0);
    int seen = 0, two = 0;
    for (int64_t end = ms_now() + 15000; ms_now() < end && !seen;) {
        usleep(50000);
        dt_lock(t);
        const dt_ctr *c = dt_find(t, "c1");
        dt_stats st;
        dt_get_stats(t, &st);
        seen = c && c->ready && st.first_walk_done && c->writable.alloc == want.alloc_bytes;
        dt_unlock(t);
    }
    assert_true(seen);
    meta(s, "c2", "two", "u2", "vol"); /* a new container: copied within a second or so */
    for (int64_t end = ms_now() + 15000; ms_now() < end && !two;) {
        usleep(50000);
        dt_lock(t);
        const dt_ctr *c = dt_find(t, "c2");
        two = c && c->ready && c->n_vols == 2 && c->vols[0].shared;
        dt_unlock(t);
    }
    assert_true(two);
    disksync_stop(d);
    disksync_free(d);
    du_walker_free(w);
    st_free(s);
}

static void keys(json_t *o, const char *want)
{
    char got[1024] = "";
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        (void)v;
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", got[0] ? "," : "", k);
    }
    assert_string_equal(got, want);
}

/* One renderer: the agent's document and berth df's one-shot view of it. */
static void test_json_disk_views(void **state)
{
    (void)state;
    store *s = st_new(0);
    meta(s, "c1", "one", "u1", "vol");
    meta(s, "c2", "two", "u2", "vol");
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = 0;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    dt_target *v = NULL;
    size_t n = 0;
    assert_int_equal(disksync_targets(s, &v, &n), 0);
    assert_int_equal(dt_set_targets(t, v, n), 0);
    disksync_targets_free(v, n);
    dt_settle(t);

    buf b = BUF_INIT;
    assert_int_equal(json_disk_render(s, t, &b), 0);
    json_t *a = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(a);
    keys(a, "source,mode,ready,containers,images,totals");
    assert_string_equal(json_string_value(json_object_get(a, "source")), "agent");
    json_t *c = json_array_get(json_object_get(a, "containers"), 0);
    keys(c, "id,name,state,storage_driver,ready,writable_source,writable_bytes,"
            "writable_apparent_bytes,writable_files,volumes_bytes,volumes_apparent_bytes,"
            "logs_bytes,logs_apparent_bytes,log_files,total_bytes,growth_bytes_per_second,"
            "updated_ms,volumes");
    keys(json_array_get(json_object_get(c, "volumes"), 0),
         "name,type,source,bytes,apparent_bytes,files,shared");
    keys(json_array_get(json_object_get(a, "images"), 0),
         "id,name,ready,layers,bytes,apparent_bytes,files");
    keys(json_object_get(a, "totals"),
         "writable_bytes,volumes_bytes,logs_bytes,images_bytes,total_bytes");

    json_disk_opts jo = {.source = "walk", .oneshot = 1};
    json_t *w = json_disk_doc(s, t, &jo);
    assert_non_null(w);
    assert_string_equal(json_string_value(json_object_get(w, "source")), "walk");
    json_t *cw = json_array_get(json_object_get(w, "containers"), 0);
    keys(cw, "id,name,state,storage_driver,ready,writable_source,writable_bytes,"
             "writable_apparent_bytes,writable_files,volumes_bytes,logs_bytes,log_files,"
             "total_bytes,volumes");
    keys(json_array_get(json_object_get(cw, "volumes"), 0), "name,source,bytes,files,shared");
    keys(json_array_get(json_object_get(w, "images"), 0), "id,name,ready,layers,bytes");
    /* the same figures in both */
    const char *same[] = {"writable_bytes", "volumes_bytes", "logs_bytes", "total_bytes"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_true(json_equal(json_object_get(c, same[i]), json_object_get(cw, same[i])));
    assert_true(json_is_true(json_object_get(cw, "ready")));
    assert_string_equal(json_string_value(json_object_get(cw, "writable_source")),
                        "overlay2-upper");
    /* the image: one layer (the -init one left out) */
    json_t *im = json_array_get(json_object_get(w, "images"), 0);
    assert_int_equal(json_integer_value(json_object_get(im, "layers")), 1);

    /* the "disk" object of /api/v1/containers: no identity fields */
    json_t *obj = json_object();
    st_lock(s);
    json_disk_add(t, st_get(s, "c1"), obj);
    st_unlock(s);
    json_t *dk = json_object_get(obj, "disk");
    assert_non_null(dk);
    assert_null(json_object_get(dk, "id"));
    assert_non_null(json_object_get(dk, "growth_bytes_per_second"));
    json_decref(obj);
    /* tracking off */
    buf_reset(&b);
    assert_int_equal(json_disk_render(s, NULL, &b), -1);
    assert_null(json_disk_doc(s, NULL, &jo));

    json_decref(a);
    json_decref(w);
    buf_free(&b);
    dt_free(t);
    st_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_from_store),
        cmocka_unit_test(test_thread_follows_store),
        cmocka_unit_test(test_json_disk_views),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
