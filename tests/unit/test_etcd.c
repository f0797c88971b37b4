/*
 * test_etcd: the pure half of release/env/etcd on replies captured from a
 * real etcd 3.4.23 (tests/fixtures/etcd/, see the README there for the
 * commands), plus hand-made hostile replies and base64 / prefix_end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "release/env/etcd.h"
#include "util/buf.h"

#define FIXTURES "tests/fixtures/etcd/"

static void read_fixture(const char *name, buf *b)
{
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    long n = buf_read_file(b, path, 1u << 20);
    if (n < 0)
        fail_msg("cannot read %s (%s); run the tests from the repository root", path,
                 strerror((int)-n));
}

/* Line i (0-based) of a fixture, into out. */
static void fixture_line(const char *name, int i, buf *out)
{
    buf b = BUF_INIT;
    read_fixture(name, &b);
    const char *p = b.data;
    for (int k = 0; k < i; k++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    const char *e = strchr(p, '\n');
    buf_append(out, p, e ? (size_t)(e - p) : strlen(p));
    buf_free(&b);
}

static void test_range_prefix(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    etcd_range r;
    char err[256];
    read_fixture("range_prefix.json", &b);
    assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), 0);
    assert_int_equal(r.revision, 5);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.more, 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.kvs[0].key, "/app/a");
    assert_string_equal(r.kvs[0].value, "alpha");
    assert_int_equal(r.kvs[0].value_len, 5);
    assert_int_equal(r.kvs[0].create_rev, 2);
    assert_int_equal(r.kvs[0].version, 1);
    assert_string_equal(r.kvs[1].key, "/app/b");
    assert_string_equal(r.kvs[1].value, "beta2");
    assert_int_equal(r.kvs[1].create_rev, 3);
    assert_int_equal(r.kvs[1].mod_rev, 4);
    assert_int_equal(r.kvs[1].version, 2);
    /* An empty value is omitted by etcd: "" of length 0. */
    assert_string_equal(r.kvs[2].key, "/app/empty");
    assert_string_equal(r.kvs[2].value, "");
    assert_int_equal(r.kvs[2].value_len, 0);
    assert_int_equal(r.kvs[2].lease, 0);
    etcd_range_clear(&r);
    assert_null(r.kvs);
    etcd_range_clear(NULL);
    buf_free(&b);
}

static void test_range_one_empty_limit(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    etcd_range r;
    char err[256];
    read_fixture("range_one.json", &b);
    assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.count, 1);
    etcd_range_clear(&r);
    buf_reset(&b);
    read_fixture("range_empty.json", &b);
    assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.revision, 5);
    etcd_range_clear(&r);
    buf_reset(&b);
    read_fixture("range_limit.json", &b);
    assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.more, 1);
    etcd_range_clear(&r);
    buf_free(&b);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int code;
        const char *msg;
    } cases[] = {
        {"error_compacted.json", 11, "etcdserver: mvcc: required revision has been compacted"},
        {"error_future_rev.json", 11, "etcdserver: mvcc: required revision is a future revision"},
        {"error_empty_key.json", 3, "etcdserver: key is not provided"},
        {"error_invalid_token.json", 16, "etcdserver: invalid auth token"},
        {"error_no_token.json", 3, "etcdserver: user name is empty"},
        {"error_auth_failed.json", 3,
         "etcdserver: authentication failed, invalid user ID or password"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf b = BUF_INIT;
        int code;
        char msg[256], err[256];
        etcd_range r;
        read_fixture(cases[i].file, &b);
        assert_int_equal(etcd_parse_error(b.data, b.len, &code, msg, sizeof(msg)), 1);
        assert_int_equal(code, cases[i].code);
        assert_string_equal(msg, cases[i].msg);
        /* The other parsers do not take an error for their reply. */
        assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), -EPROTO);
        buf_free(&b);
    }
    /* Not errors. */
    buf b = BUF_INIT;
    int code = 7;
    char msg[64];
    read_fixture("range_prefix.json", &b);
    assert_int_equal(etcd_parse_error(b.data, b.len, &code, msg, sizeof(msg)), 0);
    assert_int_equal(code, 0);
    assert_int_equal(etcd_parse_error("nope", 4, &code, msg, sizeof(msg)), 0);
    /* A stream's error shape. */
    const char *se = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"unavailable\"}}";
    assert_int_equal(etcd_parse_error(se, strlen(se), &code, msg, sizeof(msg)), 1);
    assert_int_equal(code, 14);
    assert_string_equal(msg, "unavailable");
    buf_free(&b);
}

static void test_txn(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    int ok;
    int64_t rev;
    etcd_range *rs;
    size_t n;
    char err[256];
    read_fixture("txn_ranges.json", &b);
    assert_int_equal(etcd_parse_txn(b.data, b.len, &ok, &rev, &rs, &n, err, sizeof(err)), 0);
    assert_int_equal(ok, 1);
    assert_int_equal(rev, 6);
    assert_int_equal(n, 2); /* the put response is skipped */
    assert_int_equal(rs[0].n, 3);
    assert_int_equal(rs[0].revision, 5);
    assert_string_equal(rs[0].kvs[2].key, "/app/empty");
    assert_int_equal(rs[1].n, 0);
    for (size_t i = 0; i < n; i++)
        etcd_range_clear(&rs[i]);
    free(rs);
    buf_reset(&b);
    read_fixture("txn_failed.json", &b);
    assert_int_equal(etcd_parse_txn(b.data, b.len, &ok, &rev, &rs, &n, err, sizeof(err)), 0);
    assert_int_equal(ok, 0);
    assert_int_equal(rev, 6);
    assert_int_equal(n, 0);
    assert_null(rs);
    buf_free(&b);
    /* A bad kv in the second range: -EPROTO, nothing returned (ASan: no leak). */
    const char *bad = "{\"header\":{\"revision\":\"3\"},\"succeeded\":true,\"responses\":["
                      "{\"response_range\":{\"header\":{},\"kvs\":[{\"key\":\"YQ==\"}]}},"
                      "{\"response_range\":{\"header\":{},\"kvs\":[{\"key\":\"!!\"}]}}]}";
    assert_int_equal(etcd_parse_txn(bad, strlen(bad), &ok, &rev, &rs, &n, err, sizeof(err)),
                     -EPROTO);
    assert_null(rs);
    assert_int_equal(n, 0);
}

static void test_header(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    int64_t rev, del;
    char err[256];
    read_fixture("put.json", &b);
    assert_int_equal(etcd_parse_header(b.data, b.len, &rev, NULL, err, sizeof(err)), 0);
    assert_int_equal(rev, 2);
    buf_reset(&b);
    read_fixture("deleterange.json", &b);
    assert_int_equal(etcd_parse_header(b.data, b.len, &rev, &del, err, sizeof(err)), 0);
    assert_int_equal(rev, 7);
    assert_int_equal(del, 1);
    buf_reset(&b);
    read_fixture("compaction.json", &b);
    assert_int_equal(etcd_parse_header(b.data, b.len, &rev, &del, err, sizeof(err)), 0);
    assert_int_equal(rev, 10);
    assert_int_equal(del, 0);
    buf_reset(&b);
    read_fixture("error_empty_key.json", &b);
    assert_int_equal(etcd_parse_header(b.data, b.len, &rev, &del, err, sizeof(err)), -EPROTO);
    buf_free(&b);
}

static void test_auth(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    char tok[64], err[256];
    read_fixture("auth.json", &b);
    assert_int_equal(etcd_parse_auth(b.data, b.len, tok, sizeof(tok), err, sizeof(err)), 0);
    assert_string_equal(tok, "fxoTndMYcAvcGMqH.24");
    /* Too small a buffer: refused, not truncated. */
    assert_int_equal(etcd_parse_auth(b.data, b.len, tok, 8, err, sizeof(err)), -EPROTO);
    buf_free(&b);
    const char *ctl = "{\"token\":\"a\\r\\nX-Evil: 1\"}";
    assert_int_equal(etcd_parse_auth(ctl, strlen(ctl), tok, sizeof(tok), err, sizeof(err)),
                     -EPROTO);
}

static void test_lease(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    int64_t id, ttl;
    char err[256];
    read_fixture("lease_grant.json", &b);
    assert_int_equal(etcd_parse_lease(b.data, b.len, &id, &ttl, err, sizeof(err)), 0);
    assert_int_equal(id, 2324035809992805906LL);
    assert_int_equal(ttl, 60);
    buf_reset(&b);
    read_fixture("lease_keepalive.json", &b);
    assert_int_equal(etcd_parse_lease(b.data, b.len, &id, &ttl, err, sizeof(err)), 0);
    assert_int_equal(id, 2324035809992805906LL);
    assert_int_equal(ttl, 60);
    buf_reset(&b);
    read_fixture("lease_keepalive_expired.json", &b);
    assert_int_equal(etcd_parse_lease(b.data, b.len, &id, &ttl, err, sizeof(err)), 0);
    assert_int_equal(id, 2324035809992805906LL);
    assert_int_equal(ttl, 0);
    buf_free(&b);
}

static void test_watch(void **state)
{
    (void)state;
    etcd_watch_msg m;
    char err[256];
    buf b = BUF_INIT;
    fixture_line("watch_stream.txt", 0, &b);
    assert_int_equal(etcd_parse_watch(b.data, b.len, &m, err, sizeof(err)), 0);
    assert_int_equal(m.created, 1);
    assert_int_equal(m.revision, 7);
    assert_int_equal(m.watch_id, 0);
    assert_int_equal(m.n_events, 0);
    etcd_watch_msg_clear(&m);
    buf_reset(&b);
    fixture_line("watch_stream.txt", 1, &b);
    assert_int_equal(etcd_parse_watch(b.data, b.len, &m, err, sizeof(err)), 0);
    assert_int_equal(m.revision, 8);
    assert_int_equal(m.n_events, 1);
    assert_int_equal(m.events[0].type, ETCD_EV_PUT);
    assert_string_equal(m.events[0].kv.key, "/w/x");
    assert_string_equal(m.events[0].kv.value, "one");
    assert_int_equal(m.events[0].kv.mod_rev, 8);
    etcd_watch_msg_clear(&m);
    buf_reset(&b);
    fixture_line("watch_stream.txt", 3, &b);
    assert_int_equal(etcd_parse_watch(b.data, b.len, &m, err, sizeof(err)), 0);
    assert_int_equal(m.n_events, 1);
    assert_int_equal(m.events[0].type, ETCD_EV_DELETE);
    assert_string_equal(m.events[0].kv.key, "/w/x");
    assert_int_equal(m.events[0].kv.mod_rev, 10);
    assert_int_equal(m.events[0].kv.value_len, 0);
    etcd_watch_msg_clear(&m);
    buf_reset(&b);
    fixture_line("watch_compacted.txt", 1, &b);
    assert_int_equal(etcd_parse_watch(b.data, b.len, &m, err, sizeof(err)), 0);
    assert_int_equal(m.canceled, 1);
    assert_int_equal(m.compact_revision, 7);
    assert_int_equal(m.revision, 0);
    etcd_watch_msg_clear(&m);
    buf_free(&b);
    const char *reason = "{\"result\":{\"header\":{},\"canceled\":true,\"cancel_reason\":\"x\"}}";
    assert_int_equal(etcd_parse_watch(reason, strlen(reason), &m, err, sizeof(err)), 0);
    assert_string_equal(m.cancel_reason, "x");
    etcd_watch_msg_clear(&m);
}

static void test_hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"header\":5}",
        "{\"header\":{\"revision\":\"12x\"}}",
        "{\"header\":{\"revision\":\"99999999999999999999\"}}",
        "{\"header\":{\"revision\":true}}",
        "{\"header\":{},\"kvs\":{}}",
        "{\"header\":{},\"kvs\":[{}]}",
        "{\"header\":{},\"kvs\":[{\"key\":\"\"}]}",
        "{\"header\":{},\"kvs\":[{\"key\":\"YQ\"}]}",
        "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"value\":\"Y===\"}]}",
        "{\"header\":{},\"kvs\":[{\"key\":\"YQBi\"}]}", /* a\0b */
        "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"version\":\"-\"}]}",
        "{\"header\":{},\"more\":\"yes\"}",
        "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\"},5]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        etcd_range r;
        char err[256] = "";
        assert_int_equal(etcd_parse_range(bad[i], strlen(bad[i]), &r, err, sizeof(err)), -EPROTO);
        assert_true(err[0] != '\0');
        assert_null(r.kvs);
    }
    /* Numbers instead of strings are accepted. */
    const char *num = "{\"header\":{\"revision\":42},\"count\":1,\"kvs\":[{\"key\":\"YQ==\","
                      "\"mod_revision\":41}]}";
    etcd_range r;
    char err[256];
    assert_int_equal(etcd_parse_range(num, strlen(num), &r, err, sizeof(err)), 0);
    assert_int_equal(r.revision, 42);
    assert_int_equal(r.kvs[0].mod_rev, 41);
    etcd_range_clear(&r);
    /* A value over ETCD_MAX_VALUE. */
    size_t big = (ETCD_MAX_VALUE + 3) / 3 * 4 + 8;
    buf b = BUF_INIT;
    buf_puts(&b, "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"value\":\"");
    for (size_t i = 0; i < big; i++)
        buf_putc(&b, 'A');
    buf_puts(&b, "\"}]}");
    assert_int_equal(etcd_parse_range(b.data, b.len, &r, err, sizeof(err)), -EPROTO);
    buf_free(&b);
    etcd_watch_msg m;
    const char *w[] = {"{\"result\":5}",
                       "{\"result\":{\"events\":[{\"type\":\"NOPE\",\"kv\":{}}]}}",
                       "{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\"}},{\"kv\":{}}]}}",
                       "{\"result\":{\"cancel_reason\":1}}"};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        assert_int_equal(etcd_parse_watch(w[i], strlen(w[i]), &m, err, sizeof(err)), -EPROTO);
        assert_null(m.events);
    }
    int64_t id, ttl;
    const char *l = "{\"TTL\":\"5\"}";
    assert_int_equal(etcd_parse_lease(l, strlen(l), &id, &ttl, err, sizeof(err)), -EPROTO);
}

static void test_b64(void **state)
{
    (void)state;
    static const struct {
        const char *plain, *enc;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    char out[32];
    size_t n;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(etcd_b64_encode(v[i].plain, strlen(v[i].plain), out), strlen(v[i].enc));
        assert_string_equal(out, v[i].enc);
        assert_int_equal(etcd_b64_decode(v[i].enc, strlen(v[i].enc), out, &n), 0);
        assert_int_equal(n, strlen(v[i].plain));
        assert_string_equal(out, v[i].plain);
    }
    const unsigned char bin[] = {0xff, 0x00, 0xfe, 0x80};
    etcd_b64_encode(bin, 4, out);
    assert_string_equal(out, "/wD+gA==");
    static const char *const bad[] = {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=AAA", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(etcd_b64_decode(bad[i], strlen(bad[i]), out, &n), -EPROTO);
}

static void test_prefix_end(void **state)
{
    (void)state;
    char out[16];
    size_t n;
    etcd_prefix_end("/app/", 5, out, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "/app0", 5);
    etcd_prefix_end("a\xff\xff", 3, out, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(out, "b", 1);
    etcd_prefix_end("\xff\xff", 2, out, &n);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0);
    etcd_prefix_end("", 0, out, &n);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_prefix), cmocka_unit_test(test_range_one_empty_limit),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_txn),
        cmocka_unit_test(test_header),       cmocka_unit_test(test_auth),
        cmocka_unit_test(test_lease),        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_hostile),      cmocka_unit_test(test_b64),
        cmocka_unit_test(test_prefix_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
