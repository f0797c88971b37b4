/*
 * test_web: the history endpoints' time range (?since=&until=&step=),
 * parsed from the raw query string (web/range.h), and the SSE hub's bound
 * on clients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "web/range.h"
#include "web/sse.h"

#define NOW 1795624113725LL

static int parse(const char *q, web_range *r, char *err)
{
    return web_parse_range(q, strlen(q), NOW, r, err, 160);
}

static void test_defaults(void **state)
{
    web_range r;
    char err[160];
    assert_int_equal(parse("", &r, err), 0);
    assert_true(r.since_ms == NOW - 600000);
    assert_true(r.until_ms == NOW);
    assert_true(r.step_ms == 0);
    /* unknown keys (cache busters) are ignored */
    assert_int_equal(parse("_=123&all=1", &r, err), 0);
    assert_true(r.since_ms == NOW - 600000);
}

static void test_forms(void **state)
{
    web_range r;
    char err[160];
    assert_int_equal(parse("since=600", &r, err), 0); /* bare: seconds ago */
    assert_true(r.since_ms == NOW - 600000);
    assert_int_equal(parse("since=10m", &r, err), 0);
    assert_true(r.since_ms == NOW - 600000);
    assert_int_equal(parse("since=90s&until=30s", &r, err), 0);
    assert_true(r.since_ms == NOW - 90000 && r.until_ms == NOW - 30000);
    assert_int_equal(parse("since=1h", &r, err), 0);
    assert_true(r.since_ms == NOW - 3600000);
    assert_int_equal(parse("since=1500ms", &r, err), 0);
    assert_true(r.since_ms == NOW - 1500);
    assert_int_equal(parse("since=1795624000", &r, err), 0); /* unix seconds */
    assert_true(r.since_ms == 1795624000000LL);
    assert_int_equal(parse("since=1795624000123&until=1795624100000", &r, err), 0); /* ms */
    assert_true(r.since_ms == 1795624000123LL && r.until_ms == 1795624100000LL);
    assert_int_equal(parse("step=5s", &r, err), 0);
    assert_true(r.step_ms == 5000);
    assert_int_equal(parse("step=10", &r, err), 0);
    assert_true(r.step_ms == 10000);
    assert_int_equal(parse("step=0", &r, err), 0);
    assert_true(r.step_ms == 0);
    assert_int_equal(parse("step=1h", &r, err), 0);
    /* the order of keys does not matter, nor a trailing '&' */
    assert_int_equal(parse("step=2s&since=1m&", &r, err), 0);
    assert_true(r.step_ms == 2000 && r.since_ms == NOW - 60000);
}

static void test_errors(void **state)
{
    static const char *const bad[] = {
        "since=",
        "since",
        "since=-5",
        "since=5x",
        "since=5 s",
        "since=1.5s",
        "since=%31",
        "since=5d",
        "until=abc",
        "step=2h",
        "step=3601",
        "step=-1",
        "since=1&since=2",
        "since=10s&until=1m", /* since > until */
        "since=99999999999999999999999",
        "step=99999999999999999s",
        "since=0x10",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        web_range r = {1, 2, 3};
        char err[160] = "";
        if (parse(bad[i], &r, err) != -EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(err[0] != '\0');
        assert_true(r.since_ms == 1 && r.until_ms == 2 && r.step_ms == 3); /* untouched */
    }
    char err[160];
    web_range r;
    parse("since=1&since=2", &r, err);
    assert_string_equal(err, "since given twice");
}

/* The query is not NUL-terminated at len: nothing past len is read. */
static void test_len(void **state)
{
    web_range r;
    char err[160];
    const char q[] = "since=5sGARBAGE";
    assert_int_equal(web_parse_range(q, 8, NOW, &r, err, sizeof(err)), 0);
    assert_true(r.since_ms == NOW - 5000);
}

/* Beyond max_clients a stream is refused and counted; a closed hub refuses
 * everything. (Streaming itself is tested end to end in
 * tests/integration/test_dashboard.sh.) */
static void test_hub_bound(void **state)
{
    sse_hub *h = sse_new(2);
    httpd_resp r1 = {0}, r2 = {0}, r3 = {0};
    assert_int_equal(sse_attach(h, &r1), 0);
    assert_int_equal(sse_attach(h, &r2), 0);
    assert_int_equal(sse_attach(h, &r3), -EBUSY);
    assert_null(r3.stream);
    sse_publish(h, "data: {}\n\n", 10);
    sse_publish(h, "data: {}\n\n", 10); /* replaces the first: 2 clients, 2 drops */
    sse_stats st;
    sse_get_stats(h, &st);
    assert_int_equal(st.clients, 2);
    assert_int_equal(st.refused, 1);
    assert_true(st.dropped == 2);
    /* a client reads the preamble, then only the newest frame */
    char out[64];
    long n = r1.stream->read(r1.stream_arg, out, sizeof(out));
    assert_true(n > 0 && memcmp(out, "retry:", 6) == 0);
    n = r1.stream->read(r1.stream_arg, out, sizeof(out));
    assert_int_equal(n, 10);
    assert_int_equal(r1.stream->read(r1.stream_arg, out, sizeof(out)), 0);
    sse_close_all(h);
    assert_true(r2.stream->read(r2.stream_arg, out, sizeof(out)) < 0);
    httpd_resp r4 = {0};
    assert_int_equal(sse_attach(h, &r4), -ESHUTDOWN);
    r1.stream->close(r1.stream_arg);
    r2.stream->close(r2.stream_arg);
    sse_get_stats(h, &st);
    assert_int_equal(st.clients, 0);
    sse_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),  cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_len),
        cmocka_unit_test(test_hub_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
