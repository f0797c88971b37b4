/*
 * test_lout_es: the Elasticsearch _bulk encoder (exact NDJSON bytes, index
 * from the record's own date, dedup ids) and the bulk reply parser (per-item
 * statuses inside a 200, garbage, item count mismatches), on replies shaped
 * like Elasticsearch's documentation examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "logs/lenc.h"
#include "logs/lout.h"
#include "unit/lout_fixture.h"

extern const lout_ops lout_elasticsearch_ops;

static void test_bulk_exact(void **state)
{
    lrec r[2] = {fx_bare("one", 3), fx_bare("two", 3)};
    r[1].ts_ns += 86400LL * 1000000000; /* next day: next index */
    lenc_es_opts o = {.index = "logs-%Y.%m.%d", .dedup = 0};
    buf b = BUF_INIT;
    lenc_es_bulk(&b, r, 2, &o);
    assert_string_equal(
        b.data, "{\"index\":{\"_index\":\"logs-2025.11.25\"}}\n"
                "{\"@timestamp\":\"2025-11-25T16:22:44.123456789Z\",\"message\":\"one\",\"stream\":"
                "\"file\","
                "\"host\":{\"name\":\"h1\"},\"log\":{\"file\":{\"path\":\"/var/log/app.log\"}}}\n"
                "{\"index\":{\"_index\":\"logs-2025.11.26\"}}\n"
                "{\"@timestamp\":\"2025-11-26T16:22:44.123456789Z\",\"message\":\"two\",\"stream\":"
                "\"file\","
                "\"host\":{\"name\":\"h1\"},\"log\":{\"file\":{\"path\":\"/var/log/app.log\"}}}\n");
    buf_free(&b);
}

static void test_bulk_dedup_ids(void **state)
{
    lrec a = fx_rec("same", 4), b2 = fx_rec("same", 4);
    char ida[33], idb[33];
    lenc_es_id(&a, ida);
    lenc_es_id(&b2, idb);
    assert_string_equal(ida, idb); /* same record, same id: a resend is a 409 */
    assert_int_equal(strlen(ida), 32);
    b2.seq++;
    lenc_es_id(&b2, idb);
    assert_string_not_equal(ida, idb); /* the next identical line is another doc */

    lenc_es_opts o = {.index = "logs", .dedup = 1};
    buf b = BUF_INIT;
    lenc_es_bulk(&b, &a, 1, &o);
    char want[128];
    snprintf(want, sizeof(want), "{\"create\":{\"_index\":\"logs\",\"_id\":\"%s\"}}\n", ida);
    assert_memory_equal(b.data, want, strlen(want));
    /* the source line: safe label names */
    assert_non_null(strstr(b.data, "\"labels\":{\"com_example_team\":\"ops\"}"));
    buf_free(&b);
}

/* Every line of a bulk body is JSON, action and source alternate, and the
 * body ends with a newline, whatever the messages hold. */
static void test_bulk_shape_garbage(void **state)
{
    char msgs[3][300];
    lrec r[3];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 300; i++)
            msgs[k][i] = (char)((i * (k + 7)) & 255);
        r[k] = fx_rec(msgs[k], 300);
    }
    lenc_es_opts o = {.index = "logs-%Y", .dedup = 1};
    buf b = BUF_INIT;
    lenc_es_bulk(&b, r, 3, &o);
    assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
    int lines = 0;
    for (char *p = b.data, *nl; (nl = memchr(p, '\n', b.len - (size_t)(p - b.data))); p = nl + 1) {
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &je);
        assert_non_null(j);
        assert_true((lines % 2 == 0) == (json_object_get(j, "create") != NULL));
        json_decref(j);
        lines++;
    }
    assert_int_equal(lines, 6);
    buf_free(&b);
}

static void test_huge_message(void **state)
{
    size_t n = 4u << 20;
    char *m = malloc(n);
    memset(m, 'x', n);
    m[n / 2] = '"';
    lrec r = fx_rec(m, n);
    lenc_es_opts o = {.index = "logs", .dedup = 0};
    buf b = BUF_INIT;
    lenc_es_bulk(&b, &r, 1, &o);
    char *nl = memchr(b.data, '\n', b.len);
    json_error_t je;
    json_t *j = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(j);
    assert_int_equal(json_string_length(json_object_get(j, "message")), n);
    json_decref(j);
    free(m);
    buf_free(&b);
}

static void test_reply_all_ok(void **state)
{
    const char *rep = "{\"took\":30,\"errors\":false,\"items\":["
                      "{\"create\":{\"_index\":\"test\",\"_id\":\"1\",\"status\":201}},"
                      "{\"create\":{\"_index\":\"test\",\"_id\":\"2\",\"status\":409,"
                      "\"error\":{\"type\":\"version_conflict_engine_exception\"}}},"
                      "{\"index\":{\"status\":200}}]}";
    uint8_t st[3] = {9, 9, 9};
    char err[256] = "";
    assert_int_equal(lenc_es_reply(rep, strlen(rep), 3, st, err, sizeof(err)), 0);
    assert_int_equal(st[0], LOUT_OK);
    assert_int_equal(st[1], LOUT_OK); /* 409: already there from an earlier try */
    assert_int_equal(st[2], LOUT_OK);
}

static void test_reply_partial(void **state)
{
    const char *rep =
        "{\"errors\":true,\"items\":["
        "{\"create\":{\"status\":201}},"
        "{\"create\":{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\","
        "\"reason\":\"rejected execution\"}}},"
        "{\"create\":{\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\","
        "\"reason\":\"failed to parse field [fields.n] of type [long]\"}}},"
        "{\"create\":{\"status\":503,\"error\":{\"type\":\"unavailable_shards_exception\"}}},"
        "{\"create\":{\"status\":404,\"error\":{\"type\":\"index_not_found_exception\"}}}]}";
    uint8_t st[5];
    char err[256] = "";
    assert_int_equal(lenc_es_reply(rep, strlen(rep), 5, st, err, sizeof(err)), 4);
    assert_int_equal(st[0], LOUT_OK);
    assert_int_equal(st[1], LOUT_RETRY);
    assert_int_equal(st[2], LOUT_REJECT);
    assert_int_equal(st[3], LOUT_RETRY);
    assert_int_equal(st[4], LOUT_REJECT);
    assert_non_null(strstr(err, "es_rejected_execution_exception"));
}

static void test_reply_bad(void **state)
{
    const char *bad[] = {
        "",
        "<html>502 Bad Gateway</html>",
        "{\"errors\":false}",
        "{\"items\":[{\"create\":{\"status\":201}}]}",            /* 1 item for 2 */
        "{\"items\":[{\"create\":{\"status\":201}},{\"x\":{}}]}", /* no status */
        "{\"items\":[{\"create\":{\"status\":201}},{\"a\":{\"status\":1},\"b\":{}}]}",
        "{\"items\":[{\"create\":{\"status\":201}},7]}",
        "{\"items\":[{\"create\":{\"status\":201}},{\"create\":{\"status\":\"201\"}}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t st[2];
        char err[256] = "";
        assert_int_equal(lenc_es_reply(bad[i], strlen(bad[i]), 2, st, err, sizeof(err)), -EPROTO);
        assert_true(err[0] != '\0');
    }
}

static void test_create_options(void **state)
{
    lout_cfg c;
    void *s = NULL;
    char err[256];
    memset(&c, 0, sizeof(c));
    strcpy(c.name, "es");
    strcpy(c.type, "elasticsearch");
    assert_int_equal(lout_elasticsearch_ops.create(&c, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "url"));
    c.nopts = 2;
    strcpy(c.key[0], "url");
    strcpy(c.val[0], "http://127.0.0.1:9");
    strcpy(c.key[1], "index");
    strcpy(c.val[1], "Logs-%Y");
    assert_int_equal(lout_elasticsearch_ops.create(&c, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "lower case"));
    strcpy(c.val[1], "logs-%Y.%m");
    assert_int_equal(lout_elasticsearch_ops.create(&c, &s, err, sizeof(err)), 0);
    /* nothing listens on port 9: the whole batch fails, nothing is marked */
    lrec r = fx_rec("m", 1);
    uint8_t st = 9;
    assert_true(lout_elasticsearch_ops.send(s, &r, 1, &st, err, sizeof(err)) < 0);
    lout_elasticsearch_ops.destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_exact),         cmocka_unit_test(test_bulk_dedup_ids),
        cmocka_unit_test(test_bulk_shape_garbage), cmocka_unit_test(test_huge_message),
        cmocka_unit_test(test_reply_all_ok),       cmocka_unit_test(test_reply_partial),
        cmocka_unit_test(test_reply_bad),          cmocka_unit_test(test_create_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
