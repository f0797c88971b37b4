/*
 * test_lout_loki: the Loki push encoder (exact JSON, one stream per label
 * set, entries sorted by time per stream, ns timestamps as strings, never
 * the container id as a label) and the reading of a 400 reply into
 * per-stream rejections, on the error text Loki prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "logs/lenc.h"
#include "logs/lout.h"
#include "unit/lout_fixture.h"

static void test_push_exact(void **state)
{
    lrec r[3] = {fx_rec("b", 1), fx_rec("err", 3), fx_rec("a", 1)};
    r[1].stream = LREC_STDERR;
    r[2].ts_ns -= 1000; /* earlier: goes first in its stream */
    size_t so[3];
    buf b = BUF_INIT;
    assert_int_equal(lenc_loki_push(&b, r, 3, so), 2);
    assert_string_equal(b.data,
                        "{\"streams\":["
                        "{\"stream\":{\"compose_project\":\"shop\",\"compose_service\":\"front\","
                        "\"container_name\":\"web\",\"host\":\"h1\",\"image\":\"nginx:1.25\","
                        "\"stream\":\"stdout\"},\"values\":[[\"1764087764123455789\",\"a\"],"
                        "[\"1764087764123456789\",\"b\"]]},"
                        "{\"stream\":{\"compose_project\":\"shop\",\"compose_service\":\"front\","
                        "\"container_name\":\"web\",\"host\":\"h1\",\"image\":\"nginx:1.25\","
                        "\"stream\":\"stderr\"},\"values\":[[\"1764087764123456789\",\"err\"]]}]}");
    assert_int_equal(so[0], 0);
    assert_int_equal(so[1], 1);
    assert_int_equal(so[2], 0);
    assert_null(strstr(b.data, FX_ID));
    buf_free(&b);
}

static void test_push_file_and_empty(void **state)
{
    lrec r = fx_bare("x\xff", 2);
    size_t so[1];
    buf b = BUF_INIT;
    assert_int_equal(lenc_loki_push(&b, &r, 1, so), 1);
    assert_string_equal(b.data, "{\"streams\":[{\"stream\":{\"filename\":\"/var/log/app.log\","
                                "\"host\":\"h1\",\"stream\":\"file\"},\"values\":"
                                "[[\"1764087764123456789\",\"x\xef\xbf\xbd\"]]}]}");
    buf_reset(&b);
    assert_int_equal(lenc_loki_push(&b, NULL, 0, so), 0);
    assert_string_equal(b.data, "{\"streams\":[]}");
    buf_free(&b);
}

/* Many records over many streams: every stream's values are in time order
 * and every record appears once. */
static void test_push_many_sorted(void **state)
{
    enum { N = 2000 };
    static lrec r[N];
    static size_t so[N];
    static char names[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "c%d", i % 37);
        r[i] = fx_rec("m", 1);
        r[i].container_name = names[i];
        r[i].ts_ns = FX_TS + (int64_t)((i * 7919) % N);
    }
    buf b = BUF_INIT;
    assert_int_equal(lenc_loki_push(&b, r, N, so), 37);
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(j);
    json_t *streams = json_object_get(j, "streams");
    size_t i, total = 0;
    json_t *s;
    json_array_foreach(streams, i, s)
    {
        json_t *vals = json_object_get(s, "values");
        long long prev = 0;
        size_t k;
        json_t *v;
        json_array_foreach(vals, k, v)
        {
            long long t = atoll(json_string_value(json_array_get(v, 0)));
            assert_true(t >= prev);
            prev = t;
            total++;
        }
    }
    assert_int_equal(total, N);
    json_decref(j);
    buf_free(&b);
}

static void test_labels_text(void **state)
{
    lrec r = fx_rec("m", 1);
    r.container_name = "we\"b";
    buf b = BUF_INIT;
    lenc_loki_labels(&b, &r);
    assert_string_equal(b.data, "{compose_project=\"shop\", compose_service=\"front\", "
                                "container_name=\"we\\\"b\", host=\"h1\", image=\"nginx:1.25\", "
                                "stream=\"stdout\"}");
    buf_free(&b);
}

static void test_400_per_stream(void **state)
{
    lrec r[3] = {fx_rec("a", 1), fx_rec("b", 1), fx_rec("c", 1)};
    r[1].stream = LREC_STDERR;
    const char *body =
        "entry with timestamp 2025-11-25 16:22:44.123456789 +0000 UTC ignored, reason: 'entry "
        "out of order' for stream: {compose_project=\"shop\", compose_service=\"front\", "
        "container_name=\"web\", host=\"h1\", image=\"nginx:1.25\", stream=\"stderr\"},\n"
        "total ignored: 1 out of 3";
    uint8_t st[3];
    assert_int_equal(lenc_loki_400(body, strlen(body), r, 3, st), 1);
    assert_int_equal(st[0], LOUT_OK);
    assert_int_equal(st[1], LOUT_REJECT);
    assert_int_equal(st[2], LOUT_OK);
    /* "line too long" names the stream without a colon */
    const char *toolong = "max line size (256KB) exceeded while adding (300KB) size line for "
                          "stream {compose_project=\"shop\", compose_service=\"front\", "
                          "container_name=\"web\", host=\"h1\", image=\"nginx:1.25\", "
                          "stream=\"stdout\"}";
    assert_int_equal(lenc_loki_400(toolong, strlen(toolong), r, 3, st), 2);
    assert_int_equal(st[0], LOUT_REJECT);
    assert_int_equal(st[1], LOUT_OK);
    assert_int_equal(st[2], LOUT_REJECT);
    /* a 400 naming no stream (bad request as a whole): all rejected */
    const char *other = "error parsing labels: unexpected end";
    assert_int_equal(lenc_loki_400(other, strlen(other), r, 3, st), 3);
    assert_int_equal(st[0], LOUT_REJECT);
    assert_int_equal(st[2], LOUT_REJECT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_exact),       cmocka_unit_test(test_push_file_and_empty),
        cmocka_unit_test(test_push_many_sorted), cmocka_unit_test(test_labels_text),
        cmocka_unit_test(test_400_per_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
