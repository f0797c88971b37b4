/*
 * test_lview: the dashboard's log tail (logs/lview.c) on a json-file log
 * captured from Docker 24 (tests/fixtures/logs/json-file.log: six lines of
 * a container with quotes, a tab, replaced UTF-8 and stderr, then a line
 * that is not JSON with a raw invalid byte, and a line still being
 * written). The JSON is pinned byte for byte: it is what the route
 * /api/v1/containers/{key}/logs answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "logs/lview.h"

#define FIX "tests/fixtures/logs/json-file.log"

#define L1                                                                                         \
    "{\"time\":\"2026-12-04T03:40:59.263315774Z\",\"stream\":\"stdout\",\"line\":\"line 1 "        \
    "\\\"q\\\" \\\\ tab\\tx\"}"
#define L2                                                                                         \
    "{\"time\":\"2026-12-04T03:40:59.263426158Z\",\"stream\":\"stdout\",\"line\":\"line 2 "        \
    "\\\"q\\\" \\\\ tab\\tx\"}"
#define L3                                                                                         \
    "{\"time\":\"2026-12-04T03:40:59.263434360Z\",\"stream\":\"stdout\",\"line\":\"line 3 "        \
    "\\\"q\\\" \\\\ tab\\tx\"}"
#define L4                                                                                         \
    "{\"time\":\"2026-12-04T03:40:59.265278458Z\",\"stream\":\"stdout\",\"line\":\"line 30 "       \
    "\\\"q\\\" \\\\ tab\\tx\"}"
#define L5                                                                                         \
    "{\"time\":\"2026-12-04T03:40:59.265282053Z\",\"stream\":\"stdout\",\"line\":\"bad "           \
    "\xef\xbf\xbd utf8\"}"
#define L6 "{\"time\":\"2026-12-04T03:40:59.265307050Z\",\"stream\":\"stderr\",\"line\":\"err1\"}"
#define L7 "{\"parse_error\":true,\"line\":\"not json \xef\xbf\xbd at all\"}"

static char *tail_of(const char *path, long tail, size_t max_bytes)
{
    buf b = BUF_INIT;
    lview_tail_json(path, "web-\"1\"", tail, max_bytes, &b);
    buf_putc(&b, '\0');
    return buf_detach(&b);
}

static void t_all(void **state)
{
    (void)state;
    char *s = tail_of(FIX, 100, 512 * 1024);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[" L1 "," L2 "," L3 "," L4 "," L5
                           "," L6 "," L7 "]}");
    free(s);
}

static void t_last(void **state)
{
    (void)state;
    char *s = tail_of(FIX, 2, 512 * 1024);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[" L6 "," L7 "]}");
    free(s);
    s = tail_of(FIX, 1, 512 * 1024);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[" L7 "]}");
    free(s);
}

/* only the file's last bytes are read: the first line there is cut, so
 * it is left out even when more lines are asked for */
static void t_cut(void **state)
{
    (void)state;
    /* the last 3 lines and a bit of the one before */
    size_t back =
        strlen("not json \xff at all\n{\"log\":\"still being wri") +
        strlen("{\"log\":\"bad \\ufffd utf8\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-"
               "04T03:40:59.265282053Z\"}\n") +
        strlen("{\"log\":\"err1\\n\",\"stream\":\"stderr\",\"time\":\"2026-12-04T03:40:"
               "59.26530705Z\"}\n") +
        5;
    char *s = tail_of(FIX, 100, back);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[" L5 "," L6 "," L7 "]}");
    free(s);
}

static void t_no_file(void **state)
{
    (void)state;
    char *s = tail_of("tests/fixtures/logs/does-not-exist.log", 100, 512 * 1024);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[]}");
    free(s);
    s = tail_of(NULL, 100, 512 * 1024);
    assert_string_equal(s, "{\"name\":\"web-\\\"1\\\"\",\"lines\":[]}");
    free(s);
}

static void t_render_edges(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    lview_render(NULL, 0, 0, "x", 10, &b);
    lview_render("no newline yet", 14, 0, "x", 10, &b);
    lview_render("cut line only\n", 14, 1, "x", 10, &b);
    lview_render("\n\n", 2, 0, "x", 1, &b);
    buf_putc(&b, '\0');
    assert_string_equal(b.data,
                        "{\"name\":\"x\",\"lines\":[]}{\"name\":\"x\",\"lines\":[]}"
                        "{\"name\":\"x\",\"lines\":[]}"
                        "{\"name\":\"x\",\"lines\":[{\"parse_error\":true,\"line\":\"\"}]}");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_all),     cmocka_unit_test(t_last),         cmocka_unit_test(t_cut),
        cmocka_unit_test(t_no_file), cmocka_unit_test(t_render_edges),
    };
    return cmocka_run_group_tests_name("lview", tests, NULL, NULL);
}
