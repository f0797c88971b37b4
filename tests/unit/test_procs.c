/* procs: /proc/<pid>/stat parsing, including a comm with spaces and ')'. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "procs/procs.h"

static void t_stat(void **st)
{
    (void)st;
    /* captured from a busybox container, then a hostile comm */
    const char a[] = "11245 (yes) R 11218 11197 11197 0 -1 4194560 95 0 0 0 1180 12 0 0 20 0 1 0 "
                     "1234567 1597440 276 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 "
                     "0 0 0\n";
    pt_proc p;
    assert_int_equal(pt_parse_stat(a, sizeof(a) - 1, &p), 0);
    assert_int_equal(p.pid, 11245);
    assert_int_equal(p.ppid, 11218);
    assert_string_equal(p.comm, "yes");
    assert_int_equal(p.state, 'R');
    assert_true(p.utime_ticks == 1180 && p.stime_ticks == 12);
    assert_true(p.threads == 1 && p.start_ticks == 1234567);
    assert_true(p.rss_bytes == 276ull * (uint64_t)sysconf(_SC_PAGESIZE));
    const char b[] = "7 (a) b (c)) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 3 0 99 0 10 0\n";
    assert_int_equal(pt_parse_stat(b, sizeof(b) - 1, &p), 0);
    assert_string_equal(p.comm, "a) b (c)");
    assert_true(p.utime_ticks == 5 && p.threads == 3 && p.start_ticks == 99);
    assert_int_equal(pt_parse_stat("garbage", 7, &p), -EINVAL);
    assert_int_equal(pt_parse_stat("1 (x) S 1 2", 11, &p), -EINVAL); /* truncated */
}

static void t_read_self(void **st)
{
    (void)st;
    pt_proc p;
    assert_int_equal(pt_read("", getpid(), &p), 0);
    assert_int_equal(p.pid, getpid());
    assert_int_equal(p.uid, geteuid());
    assert_non_null(strstr(p.cmdline, "test_procs"));
    assert_int_equal(pt_read("", 0x7ffffff0, &p), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_stat), cmocka_unit_test(t_read_self)};
    return cmocka_run_group_tests_name("procs", tests, NULL, NULL);
}
