/* store and export: rates from two samples, the sweep, label escaping and
 * the JSON rows ps reads from an agent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/view.h"
#include "export/export.h"
#include "metrics/store.h"
#include "model/ctr_match.h"

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

#define ID_A "abc1230000000000000000000000000000000000000000000000000000000000"
#define ID_B "abc4560000000000000000000000000000000000000000000000000000000000"
#define ID_C "def0000000000000000000000000000000000000000000000000000000000000"

static void t_ctr_match_rules(void **st)
{
    (void)st;
    /* C is named like A's id prefix: a name beats a prefix */
    const ctr_ref v[] = {{ID_A, "web"}, {ID_B, NULL}, {ID_C, "abc1"}};
    assert_int_equal(ctr_match("web", v, 3), 0);
    assert_int_equal(ctr_match("abc1", v, 3), 2);  /* name, not A's prefix */
    assert_int_equal(ctr_match("abc12", v, 3), 0); /* unique prefix */
    assert_int_equal(ctr_match("abc", v, 3), -EEXIST);
    assert_int_equal(ctr_match(ID_B, v, 3), 1);       /* full id */
    assert_int_equal(ctr_match("de", v, 3), -ENOENT); /* under 3: names only */
    assert_int_equal(ctr_match("def", v, 3), 2);
    assert_int_equal(ctr_match("zzz", v, 3), -ENOENT);
    assert_int_equal(ctr_match("", v, 3), -ENOENT);
    assert_int_equal(ctr_match(NULL, v, 3), -ENOENT);
    assert_int_equal(ctr_match(ID_A "0", v, 3), -ENOENT); /* longer than an id */
    assert_int_equal(ctr_match("we", v, 3), -ENOENT);     /* names are never prefixes */
    /* a full id beats another id it is a prefix of (cannot happen with
     * 64-digit ids, but the tiers say so) */
    const ctr_ref w[] = {{"abcd", NULL}, {"abcde", NULL}};
    assert_int_equal(ctr_match("abcd", w, 2), 0);
    /* two containers with one name (a stale entry): ambiguous, not the first */
    const ctr_ref d[] = {{ID_A, "x"}, {ID_C, "x"}};
    assert_int_equal(ctr_match("x", d, 2), -EEXIST);
    assert_int_equal(ctr_match_tier("abc", ID_A, "web"), CTR_PREFIX);
    assert_int_equal(ctr_match_tier("web", ID_A, "web"), CTR_NAME);
    assert_int_equal(ctr_match_tier(ID_A, ID_A, ""), CTR_ID);
    assert_int_equal(ctr_match_tier("ab", ID_A, "web"), CTR_NONE);
}

static int running(const st_entry *e)
{
    return e->cgpath[0] != '\0';
}

static void t_resolve(void **st)
{
    (void)st;
    store *s = st_new(0);
    st_lock(s);
    bmeta m = {0};
    snprintf(m.id, sizeof(m.id), "%s", ID_A);
    snprintf(m.name, sizeof(m.name), "web");
    st_set_meta(s, &m);
    snprintf(m.id, sizeof(m.id), "%s", ID_C);
    snprintf(m.name, sizeof(m.name), "abc4"); /* looks like B's id prefix */
    st_set_meta(s, &m);
    st_entry *b = st_get_or_add(s, ID_B); /* no metadata: no name */
    snprintf(b->cgpath, sizeof(b->cgpath), "/docker/%s", ID_B);
    st_entry *e = NULL;
    assert_int_equal(st_resolve(s, "web", &e), 0);
    assert_string_equal(e->id, ID_A);
    assert_int_equal(st_resolve(s, "abc4", &e), 0); /* exact name beats prefix */
    assert_string_equal(e->id, ID_C);
    assert_int_equal(st_resolve(s, "abc45", &e), 0);
    assert_ptr_equal(e, b);
    assert_int_equal(st_resolve(s, "abc", &e), -EEXIST); /* ambiguous prefix */
    assert_null(e);
    assert_int_equal(st_resolve(s, "ab", &e), -ENOENT); /* short prefix */
    assert_null(e);
    assert_int_equal(st_resolve(s, "nosuch", &e), -ENOENT); /* missing */
    assert_int_equal(st_resolve(s, ID_C, &e), 0);
    assert_string_equal(st_name(e), "abc4");
    /* only the candidates the caller keeps: "abc" is then unique */
    assert_int_equal(st_resolve_if(s, "abc", running, &e), 0);
    assert_ptr_equal(e, b);
    assert_int_equal(st_resolve_if(s, "web", running, &e), -ENOENT);
    /* an empty name is no name: the short id is not matched as one */
    assert_int_equal(st_resolve(s, b->short_id, &e), 0);
    assert_ptr_equal(e, b);
    st_unlock(s);
    st_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rates),           cmocka_unit_test(t_sorted_lookup),
        cmocka_unit_test(t_prom_escape),     cmocka_unit_test(t_rows_from_agent_json),
        cmocka_unit_test(t_ctr_match_rules), cmocka_unit_test(t_resolve),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
