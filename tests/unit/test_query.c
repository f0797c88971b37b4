/* query: windowed mean, min, max and percentile over history rings filled
 * by hand with known samples, per container, per key and per label set. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/query.h"
#include "metrics/store.h"

#define T0 1700000000000ll /* wall ms of the first sample */

static st_entry *add(store *s, const char *id, const char *name, const char *svc)
{
    bmeta m = {0};
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.name, sizeof(m.name), "%s", name);
    char k[] = "com.docker.compose.service", v[32];
    snprintf(v, sizeof(v), "%s", svc);
    char *lv[2] = {k, v};
    m.labels = lv;
    m.n_labels = 1;
    st_set_meta(s, &m);
    st_entry *e = st_get(s, id);
    snprintf(e->cgpath, sizeof(e->cgpath), "/docker/%s", id);
    e->hist = ring_new(ST_H_NFIELDS, 600000);
    return e;
}

/* One sample a second from T0: CPU at cores(i) over the second before
 * sample i, memory mem(i), 1000 B/s received. */
static void feed(st_entry *e, int n, double (*cores)(int), uint64_t (*mem)(int))
{
    uint64_t cpu_ns = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            cpu_ns += (uint64_t)(cores(i) * 1e9);
        bsample b = {0};
        b.wall_ms = T0 + i * 1000;
        b.cpu_total_ns = cpu_ns;
        b.mem_usage = mem ? mem(i) : 0;
        b.n_ifaces = 1;
        snprintf(b.ifaces[0].name, sizeof(b.ifaces[0].name), "eth0");
        b.ifaces[0].rx_bytes = (uint64_t)i * 1000;
        st_commit(e, &b);
    }
}

static double one(int i)
{
    (void)i;
    return 1.0;
}
static double three(int i)
{
    (void)i;
    return 3.0;
}
static double step(int i)
{
    return i <= 10 ? 0.0 : 2.0;
}
static uint64_t mem_ramp(int i)
{
    return 1000 + (uint64_t)i * 10;
}

#define ID_A "a100000000000000000000000000000000000000000000000000000000000001"
#define ID_B "a200000000000000000000000000000000000000000000000000000000000002"
#define ID_C "c300000000000000000000000000000000000000000000000000000000000003"

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9)
        fail_msg("got %.12g, want %.12g", got, want);
}

static void t_steady(void **st)
{
    (void)st;
    store *s = st_new(600000);
    st_lock(s);
    st_entry *a = add(s, ID_A, "web-1", "web");
    feed(a, 31, one, mem_ramp); /* exactly 1.0 CPU for 30 s */
    double scratch[64];
    query_window w = {.field = QUERY_CPU_CORES,
                      .to_ms = T0 + 30000,
                      .window_ms = 30000,
                      .pct = 95,
                      .scratch = scratch,
                      .cap = 64};
    query_stats q;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_int_equal(q.n, 30); /* 31 samples, 30 intervals */
    assert_int_equal(q.containers, 1);
    near(q.mean, 1.0);
    near(q.min, 1.0);
    near(q.max, 1.0);
    assert_true(q.pct_valid);
    near(q.pct, 1.0);
    /* a gauge: one point per record in [to - 10 s, to]: 1200 .. 1300 */
    w.field = QUERY_MEM_USAGE;
    w.window_ms = 10000;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_int_equal(q.n, 11);
    near(q.mean, 1250);
    near(q.min, 1200);
    near(q.max, 1300);
    near(q.pct, 1300); /* rank ceil(0.95 * 11) = 11 */
    /* a byte rate, per second */
    w.field = QUERY_NET_RX;
    assert_int_equal(query_entry(a, &w, &q), 0);
    near(q.mean, 1000.0);
    /* no percentile without scratch; a window with no record */
    w.scratch = NULL;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_false(q.pct_valid);
    w.to_ms = T0 - 1;
    assert_int_equal(query_entry(a, &w, &q), -ENODATA);
    assert_int_equal(q.n, 0);
    /* bad arguments */
    w.to_ms = T0 + 30000;
    w.field = QUERY_NFIELDS;
    assert_int_equal(query_entry(a, &w, &q), -EINVAL);
    w.field = QUERY_CPU_CORES;
    w.scratch = scratch;
    w.pct = 101;
    assert_int_equal(query_entry(a, &w, &q), -EINVAL);
    st_unlock(s);
    st_free(s);
}

static void t_step_and_percentiles(void **st)
{
    (void)st;
    store *s = st_new(600000);
    st_lock(s);
    st_entry *a = add(s, ID_A, "web-1", "web");
    feed(a, 21, step, NULL); /* 10 s at 0 cores, then 10 s at 2 */
    double scratch[64];
    query_window w = {.field = QUERY_CPU_CORES,
                      .to_ms = T0 + 20000,
                      .window_ms = 20000,
                      .pct = 50,
                      .scratch = scratch,
                      .cap = 64};
    query_stats q;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_int_equal(q.n, 20);
    near(q.max, 2.0);
    near(q.min, 0.0);
    near(q.mean, 1.0);
    near(q.pct, 0.0); /* nearest rank 10 of 20 is still a 0 */
    w.pct = 95;
    assert_int_equal(query_entry(a, &w, &q), 0);
    near(q.pct, 2.0);
    w.pct = 0;
    assert_int_equal(query_entry(a, &w, &q), 0);
    near(q.pct, 0.0);
    /* the last 5 s only see the busy part */
    w.window_ms = 5000;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_int_equal(q.n, 5);
    near(q.min, 2.0);
    /* scratch too small for the percentile: the other figures still come */
    w.window_ms = 20000;
    w.cap = 4;
    assert_int_equal(query_entry(a, &w, &q), -ENOBUFS);
    assert_int_equal(q.n, 20);
    near(q.mean, 1.0);
    assert_false(q.pct_valid);
    st_unlock(s);
    st_free(s);
}

static void t_counter_reset(void **st)
{
    (void)st;
    store *s = st_new(600000);
    st_lock(s);
    st_entry *a = add(s, ID_A, "web-1", "web");
    uint64_t cpu[] = {0, 1000000000ull, 2000000000ull, 100, 1000000100ull};
    for (int i = 0; i < 5; i++) {
        bsample b = {0};
        b.wall_ms = T0 + i * 1000;
        b.cpu_total_ns = cpu[i];
        st_commit(a, &b);
    }
    query_window w = {.field = QUERY_CPU_CORES, .to_ms = T0 + 4000, .window_ms = 4000};
    query_stats q;
    assert_int_equal(query_entry(a, &w, &q), 0);
    assert_int_equal(q.n, 3); /* the pair across the restart gives no point */
    near(q.mean, 1.0);
    near(q.min, 1.0);
    st_unlock(s);
    st_free(s);
}

static void t_key_and_labels(void **st)
{
    (void)st;
    store *s = st_new(600000);
    st_lock(s);
    feed(add(s, ID_A, "web-1", "web"), 11, one, NULL);
    feed(add(s, ID_B, "web-2", "web"), 11, three, NULL);
    feed(add(s, ID_C, "db-1", "db"), 11, step, NULL);
    st_get_or_add(s, "e000000000000000000000000000000000000000000000000000000000000004");
    double scratch[64];
    query_window w = {.field = QUERY_CPU_CORES,
                      .to_ms = T0 + 10000,
                      .window_ms = 10000,
                      .pct = 95,
                      .scratch = scratch,
                      .cap = 64};
    query_stats q;
    assert_int_equal(query_key(s, "web-2", &w, &q), 0);
    near(q.mean, 3.0);
    assert_int_equal(query_key(s, "a1", &w, &q), -ENOENT); /* short prefix */
    assert_int_equal(query_key(s, "a10", &w, &q), 0);
    near(q.mean, 1.0);
    assert_int_equal(query_key(s, "nosuch", &w, &q), -ENOENT);
    /* an entry without history (no cgroup yet) has no data */
    assert_int_equal(query_key(s, "e00", &w, &q), -ENODATA);

    /* the app: both web replicas pooled, the db left out */
    const char *const web[] = {"com.docker.compose.service", "web"};
    assert_int_equal(query_labels(s, web, 1, &w, &q), 0);
    assert_int_equal(q.containers, 2);
    assert_int_equal(q.n, 20);
    near(q.mean, 2.0);
    near(q.min, 1.0);
    near(q.max, 3.0);
    near(q.pct, 3.0);
    const char *const none[] = {"com.docker.compose.service", "cache"};
    assert_int_equal(query_labels(s, none, 1, &w, &q), -ENODATA);
    assert_int_equal(q.containers, 0);
    /* no labels: every container with metadata */
    assert_int_equal(query_labels(s, NULL, 0, &w, &q), 0);
    assert_int_equal(q.containers, 3);
    st_unlock(s);
    st_free(s);
}

static void t_names(void **st)
{
    (void)st;
    for (int i = 0; i < QUERY_NFIELDS; i++)
        assert_int_equal(query_field_by_name(query_field_name((enum query_field)i)), i);
    assert_int_equal(query_field_by_name("nope"), -1);
    assert_true(query_field_is_rate(QUERY_CPU_CORES));
    assert_false(query_field_is_rate(QUERY_MEM_USAGE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_steady),        cmocka_unit_test(t_step_and_percentiles),
        cmocka_unit_test(t_counter_reset), cmocka_unit_test(t_key_and_labels),
        cmocka_unit_test(t_names),
    };
    return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
