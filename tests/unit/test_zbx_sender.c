/*
 * test_zbx_sender: the Zabbix sender protocol encoder and reply parser
 * (zabbix/sender.c), pinned on the examples of Zabbix's protocol page
 * ("Zabbix sender protocol": the request with per-value clock/ns and the
 * "processed: 1; failed: 0; total: 1; seconds spent: 0.060753" reply).
 * Every encoded frame is decoded again with jansson, so an escaping bug
 * shows as invalid JSON or a changed value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zabbix/sender.h"
#include "zabbix/zbx.h"

/* Checks the frame's header and returns its JSON, parsed. */
static json_t *decode(const zbx_sbatch *b)
{
    const unsigned char *p = (const unsigned char *)b->frame.data;
    assert_true(b->frame.len >= ZBX_HDR_MIN);
    assert_memory_equal(p, "ZBXD\x01", 5);
    uint32_t n = (uint32_t)p[5] | (uint32_t)p[6] << 8 | (uint32_t)p[7] << 16 | (uint32_t)p[8] << 24;
    assert_int_equal(n, b->frame.len - ZBX_HDR_MIN);
    assert_memory_equal(p + 9, "\0\0\0\0", 4);
    zbx_header h;
    assert_int_equal(zbx_parse_header(p, b->frame.len, &h), 0);
    assert_int_equal(h.datalen, n);
    json_error_t e;
    json_t *j = json_loadb(b->frame.data + ZBX_HDR_MIN, n, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("invalid JSON: %s: %s", e.text, b->frame.data + ZBX_HDR_MIN);
    return j;
}

static void test_encode_documented_example(void **state)
{
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    assert_int_equal(
        zbx_sbatch_add(&b, "h1", 2, "trap", 4, "test value", 10, 1516710794, 592397170), 0);
    assert_int_equal(
        zbx_sbatch_add(&b, "h1", 2, "trap", 4, "test value", 10, 1516710795, 192399456), 0);
    assert_int_equal(zbx_sbatch_finish(&b, 1516712029, 873386094), 0);
    assert_int_equal(b.nvalues, 2);
    /* the exact bytes: compact, in the documented field order */
    const char *want = "{\"request\":\"sender data\",\"data\":["
                       "{\"host\":\"h1\",\"key\":\"trap\",\"value\":\"test value\","
                       "\"clock\":1516710794,\"ns\":592397170},"
                       "{\"host\":\"h1\",\"key\":\"trap\",\"value\":\"test value\","
                       "\"clock\":1516710795,\"ns\":192399456}],"
                       "\"clock\":1516712029,\"ns\":873386094}";
    assert_string_equal(b.frame.data + ZBX_HDR_MIN, want);
    json_t *j = decode(&b);
    assert_string_equal(json_string_value(json_object_get(j, "request")), "sender data");
    assert_int_equal(json_array_size(json_object_get(j, "data")), 2);
    json_decref(j);
    /* finished means finished */
    assert_int_equal(zbx_sbatch_add(&b, "h", 1, "k", 1, "v", 1, 1, 0), -EINVAL);
    assert_int_equal(zbx_sbatch_finish(&b, 1, 0), -EINVAL);
    zbx_sbatch_free(&b);
}

static void test_frame_at_send_time(void **state)
{
    /* a queued batch is framed with the send time, the values keep theirs */
    zbx_sbatch b, f;
    zbx_sbatch_init(&b);
    zbx_sbatch_add(&b, "h", 1, "k", 1, "v", 1, 100, 7);
    buf out = BUF_INIT;
    buf_puts(&out, "x"); /* appended, not replaced */
    assert_int_equal(zbx_sbatch_frame(&b, 160, 9, &out), 0);
    zbx_sbatch_init(&f);
    zbx_sbatch_add(&f, "h", 1, "k", 1, "v", 1, 100, 7);
    zbx_sbatch_finish(&f, 160, 9);
    assert_int_equal(out.len, f.frame.len + 1);
    assert_memory_equal(out.data + 1, f.frame.data, f.frame.len);
    /* again, later: b is unchanged */
    buf_reset(&out);
    zbx_sbatch_frame(&b, 170, 0, &out);
    assert_non_null(
        strstr(out.data + ZBX_HDR_MIN, "\"clock\":100,\"ns\":7}],\"clock\":170,\"ns\":0}"));
    assert_int_equal(zbx_sbatch_frame(&f, 1, 0, &out), -EINVAL);
    buf_free(&out);
    zbx_sbatch_free(&b);
    zbx_sbatch_free(&f);
}

static void test_encode_empty_batch(void **state)
{
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    zbx_sbatch_finish(&b, 5, 6);
    json_t *j = decode(&b);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "clock")), 5);
    json_decref(j);
    zbx_sbatch_free(&b);
}

static void test_encode_escaping_round_trips(void **state)
{
    /* quotes, backslashes, control characters, DEL, valid UTF-8 of
     * 2, 3 and 4 bytes, and an LLD value as JSON inside a string */
    static const char v[] = "a\"b\\c\n\r\t\x01\x1f\x7fz \xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 "
                            "[{\"{#CONTAINER.NAME}\":\"web\"}]";
    size_t vl = sizeof(v) - 1;
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    assert_int_equal(zbx_sbatch_add(&b, "h\"ost", 5, "k[\"a,b\"]", 8, v, vl, 1, 2), 0);
    zbx_sbatch_finish(&b, 3, 4);
    json_error_t e;
    json_t *j = json_loadb(b.frame.data + ZBX_HDR_MIN, b.frame.len - ZBX_HDR_MIN, 0, &e);
    assert_non_null(j);
    json_t *it = json_array_get(json_object_get(j, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "host")), "h\"ost");
    assert_string_equal(json_string_value(json_object_get(it, "key")), "k[\"a,b\"]");
    json_t *jv = json_object_get(it, "value");
    assert_int_equal(json_string_length(jv), vl);
    assert_memory_equal(json_string_value(jv), v, vl);
    assert_int_equal(json_integer_value(json_object_get(it, "clock")), 1);
    assert_int_equal(json_integer_value(json_object_get(it, "ns")), 2);
    json_decref(j);
    zbx_sbatch_free(&b);
}

static void test_encode_invalid_utf8_replaced(void **state)
{
    /* a lone continuation byte, an overlong '/', a surrogate, a cut
     * sequence at the end: each bad byte becomes U+FFFD, the rest stays */
    static const char v[] = "x\x80y\xc0\xafz\xed\xa0\x80w\0v\xe2\x82";
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    zbx_sbatch_add(&b, "h", 1, "k", 1, v, sizeof(v) - 1, 1, 0);
    zbx_sbatch_finish(&b, 1, 0);
    json_t *j = decode(&b); /* jansson rejects invalid UTF-8: this is the check */
    const char *got =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), 0), "value"));
    assert_non_null(got);
    assert_non_null(strstr(got, "x\xef\xbf\xbdy"));
    assert_non_null(strstr(got, "w\xef\xbf\xbdv")); /* NUL */
    assert_int_equal(got[0], 'x');
    json_decref(j);
    zbx_sbatch_free(&b);
}

static void test_encode_cap(void **state)
{
    /* values are refused, not cut, once the frame would pass the cap */
    size_t vl = 1 << 20;
    char *v = malloc(vl);
    memset(v, 'a', vl);
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    int rc = 0;
    size_t added = 0;
    while ((rc = zbx_sbatch_add(&b, "h", 1, "k", 1, v, vl, 1, 0)) == 0)
        added++;
    assert_int_equal(rc, -E2BIG);
    assert_int_equal(added, 15);
    size_t len = b.frame.len;
    /* a small value still fits */
    assert_int_equal(zbx_sbatch_add(&b, "h", 1, "k", 1, "1", 1, 1, 0), 0);
    assert_true(b.frame.len > len);
    zbx_sbatch_finish(&b, 1, 0);
    assert_true(b.frame.len <= ZBX_SENDER_MAX_FRAME);
    json_t *j = decode(&b);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 16);
    json_decref(j);
    zbx_sbatch_free(&b);
    free(v);
}

static void test_key_param(void **state)
{
    static const struct {
        const char *in, *out;
    } c[] = {
        {"web", "web"},     {"my_app.1-x", "my_app.1-x"}, {"", ""},
        {"a,b", "\"a,b\""}, {"a]b", "\"a]b\""},           {"\"q", "\"\\\"q\""},
        {"[x", "\"[x\""},   {" lead", "\" lead\""},       {"in\"side", "in\"side"},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        buf b = BUF_INIT;
        zbx_key_param(&b, c[i].in);
        assert_string_equal(b.data ? b.data : "", c[i].out);
        /* and Zabbix's key parser reads it back */
        if (c[i].in[0]) {
            buf k = BUF_INIT;
            static zbx_key key;
            buf_printf(&k, "x[%s]", b.data);
            assert_int_equal(zbx_parse_key(k.data, k.len, &key), 0);
            assert_int_equal(key.nparams, 1);
            assert_string_equal(key.params[0], c[i].in);
            buf_free(&k);
        }
        buf_free(&b);
    }
}

static void test_reply_documented(void **state)
{
    const char *s = "{\"response\":\"success\",\"info\":\"processed: 1; failed: 0; total: 1; "
                    "seconds spent: 0.060753\"}";
    zbx_sender_reply r;
    assert_int_equal(zbx_sender_parse_reply(s, strlen(s), &r), 0);
    assert_true(r.success);
    assert_true(r.has_counts);
    assert_int_equal(r.processed, 1);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.total, 1);
    assert_true(r.seconds_spent > 0.0607 && r.seconds_spent < 0.0608);
    assert_string_equal(r.response, "success");
}

static void test_reply_failed_values(void **state)
{
    /* a Zabbix 6.0 server's reply when some items are unknown */
    const char *s = "{\"response\":\"success\",\"info\":\"processed: 3; failed: 17; total: 20; "
                    "seconds spent: 0.000111\"}";
    zbx_sender_reply r;
    assert_int_equal(zbx_sender_parse_reply(s, strlen(s), &r), 0);
    assert_int_equal(r.processed, 3);
    assert_int_equal(r.failed, 17);
    assert_int_equal(r.total, 20);
}

static void test_reply_refused_request(void **state)
{
    const char *s = "{\"response\":\"failed\",\"info\":\"cannot parse\\u0001 data\"}";
    zbx_sender_reply r;
    assert_int_equal(zbx_sender_parse_reply(s, strlen(s), &r), 0);
    assert_false(r.success);
    assert_false(r.has_counts);
    assert_string_equal(r.response, "failed");
    assert_string_equal(r.info, "cannot parse? data");
    /* no info at all */
    s = "{\"response\":\"success\"}";
    assert_int_equal(zbx_sender_parse_reply(s, strlen(s), &r), 0);
    assert_true(r.success);
    assert_false(r.has_counts);
}

static void test_reply_bad(void **state)
{
    static const char *bad[] = {
        "", "{", "[]", "{\"response\":1}", "{\"info\":\"processed: 1\"}", "null", "\"success\""};
    zbx_sender_reply r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(zbx_sender_parse_reply(bad[i], strlen(bad[i]), &r), -EINVAL);
}

static void test_info_variants(void **state)
{
    zbx_sender_reply r;
    const char *s = "total: 5;failed:1 ; processed :4; extra: x";
    memset(&r, 0, sizeof(r));
    assert_int_equal(zbx_sender_parse_info(s, strlen(s), &r), 0);
    assert_int_equal(r.processed, 4);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.total, 5);
    assert_true(r.seconds_spent < 0);
    /* missing or malformed counts */
    static const char *bad[] = {"processed: 1; failed: 0",
                                "processed: x; failed: 0; total: 1",
                                "processed: -1; failed: 0; total: 1",
                                "processed: 1 2; failed: 0; total: 1",
                                "processed: 99999999999999999999999; failed: 0; total: 1",
                                "",
                                ";;;"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&r, 0, sizeof(r));
        assert_int_equal(zbx_sender_parse_info(bad[i], strlen(bad[i]), &r), -EINVAL);
        assert_false(r.has_counts);
    }
    /* the largest count */
    s = "processed: 18446744073709551606; failed: 0; total: 1";
    assert_int_equal(zbx_sender_parse_info(s, strlen(s), &r), 0);
    assert_true(r.processed == 18446744073709551606ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_documented_example),
        cmocka_unit_test(test_encode_empty_batch),
        cmocka_unit_test(test_frame_at_send_time),
        cmocka_unit_test(test_encode_escaping_round_trips),
        cmocka_unit_test(test_encode_invalid_utf8_replaced),
        cmocka_unit_test(test_encode_cap),
        cmocka_unit_test(test_key_param),
        cmocka_unit_test(test_reply_documented),
        cmocka_unit_test(test_reply_failed_values),
        cmocka_unit_test(test_reply_refused_request),
        cmocka_unit_test(test_reply_bad),
        cmocka_unit_test(test_info_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
