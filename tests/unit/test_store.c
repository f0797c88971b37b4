/* store and export: rates from two samples, the sweep, label escaping and
 * the JSON rows ps reads from an agent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/view.h"
#include "export/export.h"
#include "metrics/store.h"

static void t_rates(void **st)
{
    (void)st;
    store *s = st_new(60000);
    st_lock(s);
    st_entry *e =
        st_get_or_add(s, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    assert_string_equal(e->short_id, "0123456789ab");
    assert_string_equal(st_name(e), "0123456789ab");
    bsample a = {0}, b = {0};
    a.mono_ns = 1000000000;
    a.cpu_total_ns = 5000000000ull;
    a.n_ifaces = 2;
    strcpy(a.ifaces[0].name, "lo");
    a.ifaces[0].rx_bytes = 999999; /* loopback is left out of totals */
    strcpy(a.ifaces[1].name, "eth0");
    a.ifaces[1].rx_bytes = 1000;
    b = a;
    b.mono_ns = 3000000000; /* 2 s later */
    b.cpu_total_ns = 6000000000ull;
    b.ifaces[0].rx_bytes = 5000000;
    b.ifaces[1].rx_bytes = 5000;
    b.cfs_periods = 20;
    b.cfs_throttled_periods = 5;
    st_commit(e, &a);
    st_rates r;
    st_rates_of(e, &r);
    assert_int_equal(r.valid, 0); /* one sample: no rate yet */
    st_commit(e, &b);
    st_rates_of(e, &r);
    assert_int_equal(r.valid, 1);
    assert_true(r.cpu_cores > 0.4999 && r.cpu_cores < 0.5001);
    assert_true(r.net_rx_bps > 1999.9 && r.net_rx_bps < 2000.1);
    assert_true(r.cpu_throttled_ratio > 0.2499 && r.cpu_throttled_ratio < 0.2501);
    /* a counter reset (container restarted in place) gives 0, not a huge rate */
    bsample c = b;
    c.mono_ns = 4000000000;
    c.cpu_total_ns = 10;
    st_commit(e, &c);
    st_rates_of(e, &r);
    assert_true(r.cpu_cores == 0.0);
    /* no cgroup and no metadata: swept */
    st_drop_cgroup(e);
    st_sweep(s);
    assert_int_equal(s->n, 0);
    st_unlock(s);
    st_free(s);
}

static void t_sorted_lookup(void **st)
{
    (void)st;
    store *s = st_new(0);
    char id[65];
    for (int i = 99; i >= 0; i--) {
        memset(id, 'a', 64);
        id[64] = '\0';
        id[0] = (char)('0' + i % 10);
        id[1] = (char)('0' + i / 10);
        st_get_or_add(s, id);
    }
    assert_int_equal(s->n, 100);
    for (size_t i = 1; i < s->n; i++)
        assert_true(strcmp(s->v[i - 1]->id, s->v[i]->id) < 0);
    memset(id, 'a', 64);
    id[0] = '7';
    id[1] = '4';
    assert_non_null(st_get(s, id));
    id[2] = 'b';
    assert_null(st_get(s, id));
    st_free(s);
}

static void t_prom_escape(void **st)
{
    (void)st;
    buf b = BUF_INIT;
    prom_escape(&b, "a\"b\\c\nd");
    assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
    buf_reset(&b);
    prom_sanitize_name(&b, "com.docker.compose-project/x");
    assert_string_equal(b.data, "com_docker_compose_project_x");
    buf_free(&b);
}

static void t_rows_from_agent_json(void **st)
{
    (void)st;
    const char j[] =
        "[{\"id\":\"abc\",\"name\":\"web\",\"image\":\"nginx\",\"state\":\"running\","
        "\"rates_valid\":true,\"cpu\":{\"cores\":0.5},\"memory\":{\"working_set_bytes\":1024,"
        "\"limit_bytes\":4096,\"oom_kills\":2},\"network\":{\"rx_bytes_per_second\":10},"
        "\"pids\":{\"current\":3}},{\"id\":\"def\",\"name\":\"old\",\"state\":\"exited\"}]";
    view_row *rows = NULL;
    long n = view_rows_from_json(j, sizeof(j) - 1, 0, &rows);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].name, "web");
    assert_true(rows[0].live && rows[0].rates);
    assert_true(rows[0].cpu_pct == 50.0 && rows[0].mem_pct == 25.0);
    assert_true(rows[0].oom_kills == 2 && rows[0].pids == 3);
    assert_false(rows[1].live);
    free(rows);
    assert_int_equal(view_rows_from_json("{\"x\":1}", 7, 0, &rows), -1);
    const char odd[] = "[{\"id\":5,\"cpu\":\"x\"}]"; /* wrong types: no crash */
    assert_int_equal(view_rows_from_json(odd, strlen(odd), 0, &rows), 1);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rates),
        cmocka_unit_test(t_sorted_lookup),
        cmocka_unit_test(t_prom_escape),
        cmocka_unit_test(t_rows_from_agent_json),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
