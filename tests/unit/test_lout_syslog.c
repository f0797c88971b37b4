/*
 * test_lout_syslog: RFC 5424 messages in RFC 6587 octet-counted frames
 * (exact bytes: PRI, header fields cut to their RFC lengths, structured
 * data escaping, MSG as UTF-8 with or without BOM, the frame length
 * counting bytes not characters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lenc.h"
#include "unit/lout_fixture.h"

static const lenc_syslog_opts dflt = {.facility = 3, .bom = 0, .sd_id = "berth@32473"};

/* Checks b is exactly one frame "LEN SP MSG" and returns MSG. */
static const char *frame_msg(const buf *b)
{
    char *end;
    unsigned long n = strtoul(b->data, &end, 10);
    assert_true(*end == ' ');
    assert_int_equal(n, b->len - (size_t)(end + 1 - b->data));
    return end + 1;
}

static void test_syslog_exact(void **state)
{
    lrec r = fx_rec("GET / 200", 9);
    buf b = BUF_INIT;
    lenc_syslog(&b, &r, &dflt);
    const char *msg =
        "<30>1 2025-11-25T16:22:44.123456Z h1 web 0123456789ab stdout "
        "[berth@32473 container_id=\"" FX_ID "\" container_name=\"web\" image=\"nginx:1.25\" "
        "image_id=\"" FX_IMG "\" stream=\"stdout\" compose_project=\"shop\" "
        "compose_service=\"front\"][label@32473 com.example.team=\"ops\"] GET / 200";
    char want[1024];
    snprintf(want, sizeof(want), "%zu %s", strlen(msg), msg);
    assert_string_equal(b.data, want);
    assert_string_equal(frame_msg(&b), msg);
    buf_free(&b);
}

static void test_syslog_stderr_file_bom(void **state)
{
    lrec r = fx_bare("caf\xc3\xa9\xff\nnext", 11);
    lenc_syslog_opts o = {.facility = 16, .bom = 1, .sd_id = "x@1"};
    buf b = BUF_INIT;
    lenc_syslog(&b, &r, &o);
    const char *msg = "<134>1 2025-11-25T16:22:44.123456Z h1 berth - file "
                      "[x@1 stream=\"file\" path=\"/var/log/app.log\"] "
                      "\xef\xbb\xbf"
                      "caf\xc3\xa9\xef\xbf\xbd\nnext";
    assert_string_equal(frame_msg(&b), msg);
    /* the count is in bytes: 4 multi-byte characters counted by their bytes */
    assert_int_equal(strtoul(b.data, NULL, 10), strlen(msg));
    buf_reset(&b);
    r = fx_rec("x", 1);
    r.stream = LREC_STDERR;
    lenc_syslog(&b, &r, &dflt);
    assert_true(strncmp(frame_msg(&b), "<27>1 ", 6) == 0);
    buf_free(&b);
}

static void test_syslog_escaping(void **state)
{
    static const lrec_kv lab[] = {
        {"a key=with]\"stuff-and-a-very-long-name-beyond-32", 48, "v\"a]l\\ue", 8},
    };
    lrec r = fx_rec("m", 1);
    r.container_name = "a name with spaces and more than forty-eight characters in it";
    r.image = "img\"]\\";
    r.labels = lab;
    buf b = BUF_INIT;
    lenc_syslog(&b, &r, &dflt);
    const char *m = frame_msg(&b);
    /* APP-NAME: 48 PRINTUSASCII */
    assert_non_null(strstr(m, " h1 a_name_with_spaces_and_more_than_forty-eight_cha 0123"));
    assert_non_null(strstr(m, " image=\"img\\\"\\]\\\\\" "));
    assert_non_null(
        strstr(m, "[label@32473 a_key_with__stuff-and-a-very-lon=\"v\\\"a\\]l\\\\ue\"]"));
    buf_free(&b);
}

static void test_syslog_huge(void **state)
{
    size_t n = 1u << 20;
    char *m = malloc(n);
    memset(m, 'y', n);
    lrec r = fx_rec(m, n);
    buf b = BUF_INIT;
    lenc_syslog(&b, &r, &dflt);
    const char *msg = frame_msg(&b);
    assert_int_equal(strlen(msg) - (strrchr(msg, ']') + 2 - msg), n);
    free(m);
    buf_free(&b);
}

static void test_syslog_max_message(void **state)
{
    /* cut at 5 bytes would split the 2-byte character at 4..5: cut before */
    lrec r = fx_bare("abcd\xc3\xa9xyz", 9);
    r.path = "";
    lenc_syslog_opts o = {.facility = 3, .sd_id = "x@1", .max_msg = 5};
    buf b = BUF_INIT;
    lenc_syslog(&b, &r, &o);
    const char *m = frame_msg(&b);
    assert_string_equal(strrchr(m, ']') + 2, "abcd");
    buf_reset(&b);
    o.max_msg = 6;
    lenc_syslog(&b, &r, &o);
    m = frame_msg(&b);
    assert_string_equal(strrchr(m, ']') + 2, "abcd\xc3\xa9");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syslog_exact),       cmocka_unit_test(test_syslog_stderr_file_bom),
        cmocka_unit_test(test_syslog_escaping),    cmocka_unit_test(test_syslog_huge),
        cmocka_unit_test(test_syslog_max_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
