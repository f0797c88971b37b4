/*
 * test_tmpl: release/env/tmpl against ground truth written by hand: text
 * passes through untouched, placeholders with and without defaults, the
 * escape, the errors with their exact line and column, values holding NUL
 * bytes, and tmpl_keys.
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

#include "release/env/tmpl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The environment every test renders against. */
static const struct {
    const char *key;
    const char *value;
    size_t len;
} vars[] = {
    {"HOST", "db.local", 8}, {"PORT", "5432", 4}, {"EMPTY", "", 0},
    {"NUL", "a\0b", 3},      {"_x1", "under", 5},
};

static int lookups;

static const char *look(const char *key, size_t *len, void *arg)
{
    (void)arg;
    lookups++;
    for (size_t i = 0; i < N(vars); i++)
        if (strcmp(vars[i].key, key) == 0) {
            *len = vars[i].len;
            return vars[i].value;
        }
    return NULL;
}

/* Renders s; returns the rc, the output in *out (caller frees) and err. */
static int render(const char *s, buf *out, char *err, size_t errlen)
{
    err[0] = '\0';
    return tmpl_render(s, strlen(s), look, NULL, out, err, errlen);
}

static void assert_renders(const char *s, const char *want)
{
    buf out = BUF_INIT;
    char err[256];
    int rc = render(s, &out, err, sizeof(err));
    if (rc != 0)
        fail_msg("render '%s': %s", s, err);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    buf_free(&out);
}

static void assert_fails(const char *s, const char *want_err)
{
    buf out = BUF_INIT;
    char err[512];
    buf_puts(&out, "kept");
    assert_int_equal(render(s, &out, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, want_err);
    /* out is left as it was */
    assert_string_equal(out.data, "kept");
    assert_int_equal(out.len, 4);
    buf_free(&out);
}

static void test_plain(void **state)
{
    (void)state;
    assert_renders("", "");
    assert_renders("hello, world\n", "hello, world\n");
    assert_renders("port = 80\n\ttabs\r\n", "port = 80\n\ttabs\r\n");
    /* appends to what out already holds */
    buf out = BUF_INIT;
    char err[128];
    buf_puts(&out, "x=");
    assert_int_equal(render("{{PORT}};", &out, err, sizeof(err)), 0);
    assert_string_equal(out.data, "x=5432;");
    buf_free(&out);
}

static void test_key(void **state)
{
    (void)state;
    assert_renders("{{HOST}}", "db.local");
    assert_renders("host={{HOST}}:{{PORT}}\n", "host=db.local:5432\n");
    assert_renders("{{HOST}}{{HOST}}", "db.localdb.local");
    assert_renders("{{_x1}}", "under");
}

static void test_blanks(void **state)
{
    (void)state;
    assert_renders("{{ HOST }}", "db.local");
    assert_renders("{{\tPORT\t}}", "5432");
    assert_renders("{{  PORT \t }}", "5432");
    assert_renders("{{ PORT |9}}", "5432");
    assert_renders("{{ MISSING \t| x }}", " x ");
}

static void test_default(void **state)
{
    (void)state;
    /* unset: the default, literally */
    assert_renders("{{MISSING|8080}}", "8080");
    assert_renders("{{MISSING| a b }}", " a b ");
    assert_renders("{{MISSING|a|b}}", "a|b");
    assert_renders("{{MISSING|{x}}", "{x");
    assert_renders("{{MISSING|a}b}}", "a}b");
    assert_renders("{{MISSING|{{}}", "{{");
    assert_renders("{{MISSING|\\{{}}", "\\{{");
    assert_renders("{{MISSING|line1\nline2}}", "line1\nline2");
    /* the first "}}" closes: the third '}' is text */
    assert_renders("{{MISSING|x}}}", "x}");
    /* set: the value */
    assert_renders("{{PORT|8080}}", "5432");
    /* set to "" is set: the default is not used */
    assert_renders("[{{EMPTY|fallback}}]", "[]");
    assert_renders("[{{EMPTY}}]", "[]");
}

static void test_empty_default(void **state)
{
    (void)state;
    assert_renders("[{{MISSING|}}]", "[]");
    assert_renders("[{{MISSING |}}]", "[]");
    assert_renders("[{{MISSING|}}}]", "[}]");
}

static void test_escape(void **state)
{
    (void)state;
    assert_renders("\\{{HOST}}", "{{HOST}}");
    assert_renders("a\\{{b", "a{{b");
    assert_renders("\\{{{HOST}}", "{{{HOST}}");
    assert_renders("\\{{\\{{", "{{{{");
    /* the first backslash is literal, the second escapes */
    assert_renders("\\\\{{HOST}}", "\\{{HOST}}");
    /* an escape then a real placeholder */
    assert_renders("\\{{ {{PORT}}", "{{ 5432");
}

static void test_lone_backslash(void **state)
{
    (void)state;
    assert_renders("\\", "\\");
    assert_renders("a\\b\\n", "a\\b\\n");
    assert_renders("\\{", "\\{");
    assert_renders("\\{x", "\\{x");
    assert_renders("C:\\{{PORT}}", "C:{{PORT}}");
    assert_renders("\\ {{PORT}}", "\\ 5432");
}

static void test_single_braces(void **state)
{
    (void)state;
    assert_renders("{", "{");
    assert_renders("}", "}");
    assert_renders("{ HOST }", "{ HOST }");
    assert_renders("{x}{y}", "{x}{y}");
    assert_renders("a{", "a{");
    assert_renders("{ {PORT} }", "{ {PORT} }");
    assert_renders("{\"k\": {\"v\": 1}}", "{\"k\": {\"v\": 1}}");
}

static void test_close_outside(void **state)
{
    (void)state;
    assert_renders("}}", "}}");
    assert_renders("a}}b", "a}}b");
    assert_renders("}}{{PORT}}}}", "}}5432}}");
}

static void test_unterminated(void **state)
{
    (void)state;
    assert_fails("{{", "line 1, column 1: \"{{\" without a closing \"}}\"");
    assert_fails("ab{{HOST", "line 1, column 3: \"{{\" without a closing \"}}\"");
    assert_fails("{{HOST}", "line 1, column 1: \"{{\" without a closing \"}}\"");
    assert_fails("{{HOST} }", "line 1, column 1: \"{{\" without a closing \"}}\"");
    assert_fails("{{PORT}} {{HOST|x", "line 1, column 10: \"{{\" without a closing \"}}\"");
}

static void test_invalid_key(void **state)
{
    (void)state;
    assert_fails("{{a-b}}", "line 1, column 1: KEY 'a-b': want an environment variable name, "
                            "[A-Za-z_][A-Za-z0-9_]*");
    assert_fails("x {{1A}}", "line 1, column 3: KEY '1A': want an environment variable name, "
                             "[A-Za-z_][A-Za-z0-9_]*");
    assert_fails("{{A B}}", "line 1, column 1: after KEY 'A' want '|' or \"}}\"");
    assert_fails("{{A\n}}", "line 1, column 1: KEY 'A\\x0a': want an environment variable name, "
                            "[A-Za-z_][A-Za-z0-9_]*");
    /* "{{{A}}}": the body is "{A" */
    assert_fails("{{{A}}}", "line 1, column 1: KEY '{A': want an environment variable name, "
                            "[A-Za-z_][A-Za-z0-9_]*");
    /* 255 bytes is the limit */
    char key[300], t[320];
    memset(key, 'K', 256);
    key[256] = '\0';
    snprintf(t, sizeof(t), "{{%s|d}}", key + 1);
    assert_renders(t, "d");
    snprintf(t, sizeof(t), "{{%s|d}}", key);
    buf out = BUF_INIT;
    char err[512];
    assert_int_equal(render(t, &out, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1, column 1: KEY '"));
    assert_non_null(strstr(err, "longer than 255 bytes"));
    buf_free(&out);
    /* a NUL byte inside the braces */
    static const char nul[] = "{{A\0B}}";
    assert_int_equal(tmpl_render(nul, sizeof(nul) - 1, look, NULL, &out, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(
        err, "line 1, column 1: KEY holds a NUL byte: want an environment variable name");
    buf_free(&out);
}

static void test_empty_placeholder(void **state)
{
    (void)state;
    assert_fails("{{}}", "line 1, column 1: no KEY: want {{KEY}} or {{KEY|default}}");
    assert_fails("{{ \t }}", "line 1, column 1: no KEY: want {{KEY}} or {{KEY|default}}");
    assert_fails("{{|x}}", "line 1, column 1: no KEY: want {{KEY}} or {{KEY|default}}");
}

static void test_unset(void **state)
{
    (void)state;
    assert_fails("{{MISSING}}", "line 1, column 1: KEY 'MISSING' is unset and has no default");
    assert_fails("{{PORT}}{{ MISSING }}",
                 "line 1, column 9: KEY 'MISSING' is unset and has no default");
}

static void test_multiline(void **state)
{
    (void)state;
    assert_fails("a\nb\n  x{{MISSING}}\n",
                 "line 3, column 4: KEY 'MISSING' is unset and has no default");
    assert_fails("host={{HOST}}\nport={{PORT}}\n\tuser={{a.b}}\n",
                 "line 3, column 7: KEY 'a.b': want an environment variable name, "
                 "[A-Za-z_][A-Za-z0-9_]*");
    assert_fails("\n\n\n{{", "line 4, column 1: \"{{\" without a closing \"}}\"");
    /* a newline in a default counts: the error after it is on line 2 */
    assert_fails("{{X|a\nb}} {{}}", "line 2, column 5: no KEY: want {{KEY}} or {{KEY|default}}");
    /* the column of a "{{" right after "\r\n" */
    assert_fails("a\r\n{{ }}", "line 2, column 1: no KEY: want {{KEY}} or {{KEY|default}}");
}

static void test_nul_values(void **state)
{
    (void)state;
    buf out = BUF_INIT;
    char err[128];
    assert_int_equal(render("<{{NUL}}>", &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.data, "<a\0b>", 5);
    buf_free(&out);
    /* NULs in the template's text and default pass through too */
    static const char t[] = "x\0y{{MISSING|\0z}}{{NUL}}";
    assert_int_equal(tmpl_render(t, sizeof(t) - 1, look, NULL, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, "x\0y\0za\0b", 8);
    buf_free(&out);
}

static void test_small_err(void **state)
{
    (void)state;
    buf out = BUF_INIT;
    char err[8];
    memset(err, 'z', sizeof(err));
    assert_int_equal(tmpl_render("{{a-b}}", 7, look, NULL, &out, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 1,");
    assert_int_equal(tmpl_render("{{a-b}}", 7, look, NULL, &out, NULL, 0), -EINVAL);
    buf_free(&out);
}

static void test_linear(void **state)
{
    (void)state;
    /* 1 MiB of "{{" with no close, and of "\{" and of placeholders: these
     * would take minutes if any scan started over */
    size_t n = 1u << 20;
    char *t = malloc(n + 16);
    memset(t, '{', n);
    buf out = BUF_INIT;
    char err[128];
    assert_int_equal(tmpl_render(t, n, look, NULL, &out, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 1, column 1: \"{{\" without a closing \"}}\"");
    for (size_t i = 0; i + 1 < n; i += 2) {
        t[i] = '\\';
        t[i + 1] = '{';
    }
    assert_int_equal(tmpl_render(t, n, look, NULL, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, n);
    buf_free(&out);
    size_t k = 0;
    while (k + 8 <= n) {
        memcpy(t + k, "{{PORT}}", 8);
        k += 8;
    }
    lookups = 0;
    assert_int_equal(tmpl_render(t, k, look, NULL, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, k / 2);
    assert_int_equal(lookups, (int)(k / 8));
    buf_free(&out);
    free(t);
}

/* tmpl_keys collects into a buf, one key a line. */
static void collect(const char *key, void *arg)
{
    buf_puts(arg, key);
    buf_putc(arg, '\n');
}

static void test_keys(void **state)
{
    (void)state;
    buf got = BUF_INIT;
    char err[256];
    static const char t[] = "{{B}} {{ A |x}} \\{{C}} {{B}}\n{{MISSING}} }} {{D|}}";
    lookups = 0;
    assert_int_equal(tmpl_keys(t, sizeof(t) - 1, collect, &got, err, sizeof(err)), 0);
    /* in order, repeats included, escapes skipped, unset keys named */
    assert_string_equal(got.data, "B\nA\nB\nMISSING\nD\n");
    /* without rendering */
    assert_int_equal(lookups, 0);
    buf_free(&got);
    assert_int_equal(tmpl_keys("plain", 5, collect, &got, err, sizeof(err)), 0);
    assert_int_equal(got.len, 0);
    buf_free(&got);
}

static void test_keys_error(void **state)
{
    (void)state;
    buf got = BUF_INIT;
    char err[256];
    static const char t[] = "{{A}}\n  {{a-b}} {{C}}";
    assert_int_equal(tmpl_keys(t, sizeof(t) - 1, collect, &got, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 2, column 3: KEY 'a-b': want an environment variable name, "
                             "[A-Za-z_][A-Za-z0-9_]*");
    /* the keys before the error were already named */
    assert_string_equal(got.data, "A\n");
    buf_free(&got);
    assert_int_equal(tmpl_keys("x{{A", 4, collect, &got, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 1, column 2: \"{{\" without a closing \"}}\"");
    assert_int_equal(tmpl_keys("{{}}", 4, collect, &got, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 1, column 1: no KEY: want {{KEY}} or {{KEY|default}}");
    buf_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),          cmocka_unit_test(test_key),
        cmocka_unit_test(test_blanks),         cmocka_unit_test(test_default),
        cmocka_unit_test(test_empty_default),  cmocka_unit_test(test_escape),
        cmocka_unit_test(test_lone_backslash), cmocka_unit_test(test_single_braces),
        cmocka_unit_test(test_close_outside),  cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_invalid_key),    cmocka_unit_test(test_empty_placeholder),
        cmocka_unit_test(test_unset),          cmocka_unit_test(test_multiline),
        cmocka_unit_test(test_nul_values),     cmocka_unit_test(test_small_err),
        cmocka_unit_test(test_linear),         cmocka_unit_test(test_keys),
        cmocka_unit_test(test_keys_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
