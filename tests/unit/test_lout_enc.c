/*
 * test_lout_enc: the helpers every JSON log output shares (lenc.c): JSON
 * strings that stay valid whatever a container prints, RFC 3339 times,
 * ES-safe field names, the record document, gzip, option checks.
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
#include <zlib.h>

#include "logs/lenc.h"
#include "util/gzip.h"
#include "unit/lout_fixture.h"

static void expect_json_str(const char *in, size_t len, const char *want)
{
    buf b = BUF_INIT;
    lenc_json_str(&b, in, len);
    assert_string_equal(b.data, want);
    /* and jansson reads it back as a string */
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    assert_non_null(j);
    assert_true(json_is_string(j));
    json_decref(j);
    buf_free(&b);
}

static void test_json_str_plain(void **state)
{
    expect_json_str("hello", 5, "\"hello\"");
    expect_json_str("", 0, "\"\"");
    expect_json_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    expect_json_str("t\tn\nr\r", 6, "\"t\\tn\\nr\\r\"");
    expect_json_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    expect_json_str("a\0b", 3, "\"a\\u0000b\"");
}

static void test_json_str_utf8(void **state)
{
    /* valid multi-byte sequences pass through */
    expect_json_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* each invalid byte becomes U+FFFD */
    expect_json_str("a\xff"
                    "b",
                    3,
                    "\"a\xef\xbf\xbd"
                    "b\"");
    expect_json_str("\xc3", 1, "\"\xef\xbf\xbd\"");                                 /* truncated */
    expect_json_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* overlong */
    expect_json_str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    expect_json_str("\xf4\x90\x80\x80", 4,
                    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* > U+10FFFF */
}

static void test_json_str_garbage(void **state)
{
    /* every byte value, twice: the result is always valid JSON */
    char in[512];
    for (int i = 0; i < 512; i++)
        in[i] = (char)(i & 255);
    buf b = BUF_INIT;
    lenc_json_str(&b, in, sizeof(in));
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    assert_non_null(j);
    assert_true(json_string_length(j) > 256);
    json_decref(j);
    buf_free(&b);
}

static void test_rfc3339(void **state)
{
    buf b = BUF_INIT;
    lenc_rfc3339(&b, FX_TS, 9);
    assert_string_equal(b.data, "2025-11-25T16:22:44.123456789Z");
    buf_reset(&b);
    lenc_rfc3339(&b, FX_TS, 6);
    assert_string_equal(b.data, "2025-11-25T16:22:44.123456Z");
    buf_reset(&b);
    lenc_rfc3339(&b, FX_TS, 3);
    assert_string_equal(b.data, "2025-11-25T16:22:44.123Z");
    buf_reset(&b);
    lenc_rfc3339(&b, 5, 0);
    assert_string_equal(b.data, "1970-01-01T00:00:00Z");
    buf_reset(&b);
    lenc_rfc3339(&b, -5, 9);
    assert_string_equal(b.data, "1970-01-01T00:00:00.000000000Z");
    buf_free(&b);
}

static void test_field_name(void **state)
{
    struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"com.docker.compose.project", "com_docker_compose_project"},
        {"", "_empty"},
        {"_id", "x_id"},
        {"a\"b\\c\nd", "a_b_c_d"},
        {"ok-name", "ok-name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf b = BUF_INIT;
        lenc_field_name(&b, cases[i].in, strlen(cases[i].in));
        assert_string_equal(b.data, cases[i].want);
        buf_free(&b);
    }
}

static void test_doc_full(void **state)
{
    lrec r = fx_rec("GET / 200", 9);
    buf b = BUF_INIT;
    lenc_doc(&b, &r, 0);
    assert_string_equal(
        b.data, "{\"@timestamp\":\"2025-11-25T16:22:44.123456789Z\",\"message\":\"GET / 200\","
                "\"stream\":\"stdout\",\"host\":{\"name\":\"h1\"},\"container\":{\"id\":\"" FX_ID
                "\",\"name\":\"web\",\"image\":{\"name\":\"nginx:1.25\",\"id\":\"" FX_IMG
                "\"},\"labels\":{\"com.example.team\":\"ops\"}},"
                "\"compose\":{\"project\":\"shop\",\"service\":\"front\"}}");
    buf_reset(&b);
    lenc_doc(&b, &r, 1); /* safe names: the label's dots go */
    assert_non_null(strstr(b.data, "\"labels\":{\"com_example_team\":\"ops\"}"));
    buf_free(&b);
}

static void test_doc_bare(void **state)
{
    lrec r = fx_bare("x", 1);
    buf b = BUF_INIT;
    lenc_doc(&b, &r, 0);
    assert_string_equal(b.data, "{\"@timestamp\":\"2025-11-25T16:22:44.123456789Z\",\"message\":"
                                "\"x\",\"stream\":\"file\",\"host\":{\"name\":\"h1\"},"
                                "\"log\":{\"file\":{\"path\":\"/var/log/app.log\"}}}");
    buf_free(&b);
}

static void test_doc_fields(void **state)
{
    lrec_kv f[] = {
        {"level", 5, "\"warn\"", 6},
        {"n", 1, "42", 2},
        {"ctx", 3, "{\"a.b\":1,\"\":[{\"c.d\":true}]}", 27},
        {"bad", 3, "{not json", 9},
        {"empty", 5, "", 0},
    };
    lrec r = fx_bare("m", 1);
    r.path = "";
    r.fields = f;
    r.nfields = 5;
    buf b = BUF_INIT;
    lenc_doc(&b, &r, 1);
    assert_non_null(strstr(b.data, ",\"fields\":{\"level\":\"warn\",\"n\":42,"
                                   "\"ctx\":{\"a_b\":1,\"_empty\":[{\"c_d\":true}]},"
                                   "\"bad\":\"{not json\",\"empty\":\"\"}}"));
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(j);
    json_decref(j);
    buf_free(&b);
}

static void test_gzip_roundtrip(void **state)
{
    buf in = BUF_INIT, out = BUF_INIT;
    for (int i = 0; i < 10000; i++)
        buf_printf(&in, "line %d\n", i);
    assert_int_equal(gzip_buf(&out, in.data, in.len), 0);
    assert_true(out.len < in.len / 3);
    assert_int_equal((unsigned char)out.data[0], 0x1f); /* gzip magic */
    assert_int_equal((unsigned char)out.data[1], 0x8b);
    char *back = malloc(in.len + 1);
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)out.data;
    z.avail_in = (uInt)out.len;
    z.next_out = (Bytef *)back;
    z.avail_out = (uInt)in.len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, in.len);
    assert_memory_equal(back, in.data, in.len);
    inflateEnd(&z);
    free(back);
    buf_free(&in);
    buf_free(&out);
}

static void test_opts(void **state)
{
    lout_cfg c;
    memset(&c, 0, sizeof(c));
    strcpy(c.name, "o");
    strcpy(c.type, "t");
    c.nopts = 2;
    strcpy(c.key[0], "url");
    strcpy(c.val[0], "http://x");
    strcpy(c.key[1], "bogus");
    static const char *const allowed[] = {"url", NULL};
    char err[128];
    assert_int_equal(lenc_opts_check(&c, allowed, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "bogus"));
    c.nopts = 1;
    assert_int_equal(lenc_opts_check(&c, allowed, err, sizeof(err)), 0);
    assert_string_equal(lenc_opt(&c, "url", "d"), "http://x");
    assert_string_equal(lenc_opt(&c, "nope", "d"), "d");
    int v = -1;
    assert_int_equal(lenc_opt_bool("on", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(lenc_opt_bool("off", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(lenc_opt_bool("maybe", &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_str_plain),   cmocka_unit_test(test_json_str_utf8),
        cmocka_unit_test(test_json_str_garbage), cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_field_name),       cmocka_unit_test(test_doc_full),
        cmocka_unit_test(test_doc_bare),         cmocka_unit_test(test_doc_fields),
        cmocka_unit_test(test_gzip_roundtrip),   cmocka_unit_test(test_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
