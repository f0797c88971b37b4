/*
 * test_lout_gelf: GELF 1.1 messages (exact JSON; Docker gelf driver field
 * names; level from the stream; seconds with microseconds; never a raw NUL
 * inside a message, since NUL frames messages on TCP).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "logs/lenc.h"
#include "unit/lout_fixture.h"

static void test_gelf_exact(void **state)
{
    lrec r = fx_rec("hello", 5);
    r.stream = LREC_STDERR;
    buf b = BUF_INIT;
    lenc_gelf(&b, &r);
    assert_string_equal(b.data,
                        "{\"version\":\"1.1\",\"host\":\"h1\",\"short_message\":\"hello\","
                        "\"timestamp\":1764087764.123456,\"level\":3,\"_container_id\":\"" FX_ID
                        "\",\"_container_name\":\"web\",\"_image_name\":\"nginx:1.25\","
                        "\"_image_id\":\"" FX_IMG "\",\"_stream\":\"stderr\","
                        "\"_compose_project\":\"shop\",\"_compose_service\":\"front\","
                        "\"_label_com.example.team\":\"ops\"}");
    buf_free(&b);
}

static void test_gelf_fields_and_edge(void **state)
{
    lrec_kv f[] = {
        {"n", 1, "-12.25", 6},  {"s", 1, "\"a\\\"b\"", 6}, {"o", 1, "{\"k\":1}", 7},
        {"id", 2, "\"x\"", 3},  {"bad key!", 8, "01", 2},  {"", 0, "true", 4},
        {"big", 3, "1e999", 5},
    };
    lrec r = fx_bare("", 0);
    r.fields = f;
    r.nfields = 7;
    buf b = BUF_INIT;
    lenc_gelf(&b, &r);
    assert_string_equal(b.data,
                        "{\"version\":\"1.1\",\"host\":\"h1\",\"short_message\":\"(empty)\","
                        "\"timestamp\":1764087764.123456,\"level\":6,\"_stream\":\"file\","
                        "\"_path\":\"/var/log/app.log\",\"_n\":-12.25,\"_s\":\"a\\\"b\","
                        "\"_o\":\"{\\\"k\\\":1}\",\"_id_\":\"x\",\"_bad_key_\":\"01\","
                        "\"_empty\":\"true\",\"_big\":\"1e999\"}");
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(j);
    json_decref(j);
    buf_free(&b);
}

static void test_gelf_no_nul(void **state)
{
    char m[256];
    for (int i = 0; i < 256; i++)
        m[i] = (char)i;
    lrec r = fx_rec(m, sizeof(m));
    buf b = BUF_INIT;
    lenc_gelf(&b, &r);
    assert_null(memchr(b.data, '\0', b.len));
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &je);
    assert_non_null(j);
    json_decref(j);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gelf_exact),
        cmocka_unit_test(test_gelf_fields_and_edge),
        cmocka_unit_test(test_gelf_no_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
