/*
 * test_lframe: the log buffer payloads (logs/lframe.c). What the reader
 * encodes, a sender decodes to the same tags, labels and record; every cut
 * of a valid payload is refused without a leak (a buffer file is outside
 * input after a crash); the bytes of the format stay what the buffers
 * already on disk hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lframe.h"

static const char *const tags[LFRAME_NTAGS] = {
    "host1", "0123abcd", "web-1",         "nginx:1.25",        "sha256:beef",
    "shop",  "frontend", "shop_frontend", "shop_frontend.1.x", "/var/lib/x-json.log"};

static void put_src(buf *b)
{
    char *lab[4] = {"team", "ops", "empty", ""};
    lframe_put_source(b, 7, LFRAME_SRC_JSON, tags, lab, 2);
}

static void t_source_roundtrip(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    put_src(&b);
    uint32_t id = 0;
    lframe_src s;
    assert_int_equal(lframe_get_source(b.data, b.len, &id, &s), 0);
    assert_int_equal(id, 7);
    assert_int_equal(s.used, 1);
    assert_int_equal(s.flags, LFRAME_SRC_JSON);
    for (int k = 0; k < LFRAME_NTAGS; k++)
        assert_string_equal(s.str[k], tags[k]);
    assert_int_equal(s.nlab, 2);
    assert_string_equal(s.lab[0].key, "team");
    assert_int_equal(s.lab[0].key_len, 4);
    assert_string_equal(s.lab[0].val, "ops");
    assert_int_equal(s.lab[0].val_len, 3);
    assert_string_equal(s.lab[1].key, "empty");
    assert_string_equal(s.lab[1].val, "");
    assert_int_equal(s.lab[1].val_len, 0);
    lframe_src_free(&s);
    assert_int_equal(s.used, 0);
    assert_null(s.lab);
    buf_free(&b);
}

/* the layout the buffers on disk already hold: 'S', u32 src, u8 flags,
 * then u16 little-endian lengths */
static void t_source_bytes(void **state)
{
    (void)state;
    const char *empty[LFRAME_NTAGS] = {"h", "", "", "", "", "", "", "", "", "p"};
    buf b = BUF_INIT;
    lframe_put_source(&b, 0x01020304, 0, empty, NULL, 0);
    static const unsigned char want[] = {
        'S', 4, 3,   2, 1, /* src, host order (little-endian here) */
        0,                 /* flags */
        1,   0, 'h',       /* host */
        0,   0, 0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 8 empty tags */
        1,   0, 'p',                                        /* path */
        0,   0};                                            /* no labels */
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    buf_free(&b);
}

static void t_source_cut(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    put_src(&b);
    for (size_t n = 0; n < b.len; n++) {
        char *q = malloc(n ? n : 1); /* exact size: ASan sees a read past the end */
        memcpy(q, b.data, n);
        uint32_t id;
        lframe_src s;
        assert_int_equal(lframe_get_source(q, n, &id, &s), -EINVAL);
        assert_int_equal(s.used, 0);
        assert_null(s.lab);
        free(q);
    }
    /* an 'L' is not an 'S' */
    char l[LFRAME_LHDR] = {'L'};
    uint32_t id;
    lframe_src s;
    assert_int_equal(lframe_get_source(l, sizeof(l), &id, &s), -EINVAL);
    buf_free(&b);
}

/* a string over 65535 bytes is cut there, and the payload still decodes */
static void t_source_long(void **state)
{
    (void)state;
    char *big = malloc(70001);
    memset(big, 'x', 70000);
    big[70000] = '\0';
    const char *t[LFRAME_NTAGS];
    for (int k = 0; k < LFRAME_NTAGS; k++)
        t[k] = k == 9 ? big : "";
    buf b = BUF_INIT;
    lframe_put_source(&b, 1, 0, t, NULL, 0);
    uint32_t id;
    lframe_src s;
    assert_int_equal(lframe_get_source(b.data, b.len, &id, &s), 0);
    assert_int_equal(strlen(s.str[9]), 65535);
    lframe_src_free(&s);
    buf_free(&b);
    free(big);
}

static void t_line_roundtrip(void **state)
{
    (void)state;
    char hdr[LFRAME_LHDR];
    lframe_line_hdr(hdr, 2, 3, 42, 1796355387806416961LL, 99);
    buf b = BUF_INIT;
    buf_append(&b, hdr, sizeof(hdr));
    buf_append(&b, "hello\0world", 11);
    lrec r;
    memset(&r, 0, sizeof(r));
    r.host = "kept";
    uint32_t src = 0;
    assert_int_equal(lframe_get_line(b.data, b.len, &src, &r), 0);
    assert_int_equal(src, 42);
    assert_int_equal(r.stream, 2);
    assert_int_equal(r.flags, 3);
    assert_true(r.ts_ns == 1796355387806416961LL);
    assert_int_equal(r.seq, 99);
    assert_int_equal(r.msg_len, 11);
    assert_memory_equal(r.msg, "hello\0world", 11);
    assert_ptr_equal(r.msg, b.data + LFRAME_LHDR);
    assert_string_equal(r.host, "kept"); /* the tags are the caller's */
    assert_int_equal(hdr[3], 0);
    /* an empty message */
    assert_int_equal(lframe_get_line(b.data, LFRAME_LHDR, &src, &r), 0);
    assert_int_equal(r.msg_len, 0);
    /* too short, or not an 'L' */
    for (size_t n = 0; n < LFRAME_LHDR; n++)
        assert_int_equal(lframe_get_line(b.data, n, &src, &r), -EINVAL);
    b.data[0] = 'S';
    assert_int_equal(lframe_get_line(b.data, b.len, &src, &r), -EINVAL);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_source_roundtrip), cmocka_unit_test(t_source_bytes),
        cmocka_unit_test(t_source_cut),       cmocka_unit_test(t_source_long),
        cmocka_unit_test(t_line_roundtrip),
    };
    return cmocka_run_group_tests_name("lframe", tests, NULL, NULL);
}
