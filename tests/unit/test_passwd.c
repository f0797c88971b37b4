/*
 * test_passwd: user names from a container's /etc/passwd (procs/passwd.c).
 * The parser is pinned on the files of real images (busybox, Debian,
 * Alpine's nginx user) and on the lines getpwuid skips; the cache is run
 * against this process's own root (the host's /etc/passwd, which has root).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "procs/passwd.h"

static void t_line(void **st)
{
    (void)st;
    pw_entry e;
    const char *l = "root:x:0:0:root:/root:/bin/sh";
    assert_int_equal(pw_parse_line(l, strlen(l), &e), 0);
    assert_string_equal(e.name, "root");
    assert_int_equal(e.uid, 0);
    l = "nobody:x:65534:65534:nobody:/:/bin/false";
    assert_int_equal(pw_parse_line(l, strlen(l), &e), 0);
    assert_int_equal(e.uid, 65534);
    /* only three fields are needed (uid), the rest may be missing */
    l = "svc:x:1234";
    assert_int_equal(pw_parse_line(l, strlen(l), &e), 0);
    assert_string_equal(e.name, "svc");
    assert_int_equal(e.uid, 1234);
    /* the largest uid; (uid_t)-1 is "no user" */
    l = "big:x:4294967294:0::/:";
    assert_int_equal(pw_parse_line(l, strlen(l), &e), 0);
    assert_true(e.uid == 4294967294u);
    /* a name with odd bytes is shown safely */
    l = "a\x1b[31m\xc3\xa9:x:5:5::/:";
    assert_int_equal(pw_parse_line(l, strlen(l), &e), 0);
    assert_string_equal(e.name, "a?[31m??");
    static const char *bad[] = {
        "",
        ":x:0:0::/:",
        "root",
        "root:x",
        "root:x::0::/:",
        "root:x:-1:0",
        "root:x:12a:0",
        "x:x:4294967295:0",
        "x:x:99999999999999999999:0",
        "+::::::",
        "+nis:x:0:0",
        "-bad",
        "#c:x:0:0",
        "a-name-that-is-longer-than-thirty-two:x:1:1",
        "root:x: 0:0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pw_parse_line(bad[i], strlen(bad[i]), &e), -EINVAL);
}

static void t_file(void **st)
{
    (void)st;
    /* Debian 12's base file, shortened, with CRLF on one line, a blank
     * line, a comment, a duplicate uid (getpwuid takes the first) and a
     * last line without a newline */
    const char f[] = "root:x:0:0:root:/root:/bin/bash\n"
                     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\r\n"
                     "\n"
                     "# comment\n"
                     "nginx:x:101:101:nginx user:/nonexistent:/bin/false\n"
                     "toor:x:0:0::/root:/bin/sh\n"
                     "svc:x:1234:1234::/:/bin/sh";
    pw_entry e[16];
    size_t n = pw_parse(f, sizeof(f) - 1, e, 16);
    assert_int_equal(n, 5);
    assert_string_equal(e[1].name, "daemon");
    assert_string_equal(pw_find(e, n, 0)->name, "root");
    assert_string_equal(pw_find(e, n, 101)->name, "nginx");
    assert_string_equal(pw_find(e, n, 1234)->name, "svc");
    assert_null(pw_find(e, n, 4321));
    /* max is honoured */
    assert_int_equal(pw_parse(f, sizeof(f) - 1, e, 2), 2);
    assert_int_equal(pw_parse("", 0, e, 16), 0);
}

static void t_cache_self(void **st)
{
    (void)st;
    pw_cache *c = pw_cache_new();
    char name[PW_NAME_MAX];
    assert_int_equal(pw_cache_name(c, "", "self", getpid(), 0, name, sizeof(name)), 0);
    assert_string_equal(name, "root");
    /* a uid nobody has: the number */
    assert_int_equal(pw_cache_name(c, "", "self", getpid(), 4000000000u, name, sizeof(name)),
                     -ENOENT);
    assert_string_equal(name, "4000000000");
    /* a process that does not exist: the number, and no stale entry */
    assert_int_equal(pw_cache_name(c, "", "gone", 0x7ffffff0, 0, name, sizeof(name)), -ENOENT);
    assert_string_equal(name, "0");
    /* many containers: bounded, still answers */
    for (int i = 0; i < PW_CACHE_MAX + 10; i++) {
        char key[32];
        snprintf(key, sizeof(key), "c%d", i);
        pw_cache_name(c, "", key, getpid(), 0, name, sizeof(name));
    }
    assert_int_equal(pw_cache_name(c, "", "self", getpid(), 0, name, sizeof(name)), 0);
    pw_cache_free(c);
}

static void t_read_identity(void **st)
{
    (void)st;
    char *text = NULL;
    size_t len = 0;
    uint64_t id[4], id2[4];
    assert_int_equal(pw_read_container("", getpid(), &text, &len, id), 0);
    assert_non_null(strstr(text, "root:"));
    assert_int_equal(strlen(text), len);
    free(text);
    assert_int_equal(pw_read_container("", getpid(), &text, &len, id2), 0);
    free(text);
    assert_memory_equal(id, id2, sizeof(id));
    text = NULL;
    assert_true(pw_read_container("/nonexistent-root", getpid(), &text, &len, id) < 0);
    assert_null(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_line), cmocka_unit_test(t_file),
                                       cmocka_unit_test(t_cache_self),
                                       cmocka_unit_test(t_read_identity)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
