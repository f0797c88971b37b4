/* config: defaults, the "key value" format, errors with line numbers, flags. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/config.h"

static void t_defaults_are_safe(void **st)
{
    (void)st;
    cfg c;
    cfg_defaults(&c);
    assert_string_equal(c.http.addr, "127.0.0.1");
    assert_int_equal(c.http.port, 9393);
    assert_true(c.engine.interval_ms == 1000 && c.engine.history_ms == 600000);
    assert_int_equal(c.engine.use_docker, 1);
    assert_int_equal(c.engine.n_label_allow, 0);
}

static void t_parse_file(void **st)
{
    (void)st;
    cfg c;
    char err[256];
    cfg_defaults(&c);
    const char txt[] = "# comment\n\nlisten [::1]:9500\ninterval 500ms   # trailing\r\n"
                       "history 1h\nlabel_allow a.b, c-d ,e\ndocker off\n";
    assert_int_equal(cfg_parse(&c, txt, sizeof(txt) - 1, err, sizeof(err)), 0);
    assert_string_equal(c.http.addr, "::1");
    assert_int_equal(c.http.port, 9500);
    assert_true(c.engine.interval_ms == 500 && c.engine.history_ms == 3600000);
    assert_int_equal(c.engine.n_label_allow, 3);
    assert_string_equal(c.engine.label_allow[1], "c-d");
    assert_int_equal(c.engine.use_docker, 0);
}

static void t_errors_name_the_line(void **st)
{
    (void)st;
    cfg c;
    char err[256];
    cfg_defaults(&c);
    const char bad_key[] = "listen 127.0.0.1:1\n\nnope 3\n";
    assert_int_equal(cfg_parse(&c, bad_key, sizeof(bad_key) - 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "nope"));
    const char bad_val[] = "interval fast\n";
    assert_int_equal(cfg_parse(&c, bad_val, sizeof(bad_val) - 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1"));
    const char no_val[] = "listen\n";
    assert_int_equal(cfg_parse(&c, no_val, sizeof(no_val) - 1, err, sizeof(err)), -EINVAL);
    const char nul[] = "listen 1\0x\n";
    assert_int_equal(cfg_parse(&c, nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "listen", "127.0.0.1:70000", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "interval", "10ms", err, sizeof(err)), -EINVAL);
}

static void t_durations(void **st)
{
    (void)st;
    int64_t ms;
    assert_int_equal(cfg_parse_duration("250ms", &ms), 0);
    assert_true(ms == 250);
    assert_int_equal(cfg_parse_duration("2", &ms), 0);
    assert_true(ms == 2000);
    assert_int_equal(cfg_parse_duration("1.5m", &ms), 0);
    assert_true(ms == 90000);
    assert_int_equal(cfg_parse_duration("-1s", &ms), -EINVAL);
    assert_int_equal(cfg_parse_duration("3d", &ms), -EINVAL);
}

static void t_disk_keys(void **st)
{
    (void)st;
    cfg c;
    char err[256];
    cfg_defaults(&c);
    assert_true(c.disk.enabled == 1 && c.disk.use_fanotify == 1);
    assert_true(c.disk.interval_ms == 10000 && c.disk.verify_ms == 3600000);
    const char txt[] = "disk_interval 2s\ndisk_verify 0\ndisk_fanotify off\ndisk_max_dirs 5000\n"
                       "disk off\n";
    assert_int_equal(cfg_parse(&c, txt, sizeof(txt) - 1, err, sizeof(err)), 0);
    assert_true(c.disk.interval_ms == 2000 && c.disk.verify_ms == 0);
    assert_true(c.disk.use_fanotify == 0 && c.disk.enabled == 0 && c.disk.max_dirs == 5000);
    assert_int_equal(cfg_set(&c, "disk_interval", "10ms", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "disk_verify", "5s", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "disk_max_dirs", "10", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "disk", "maybe", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "disk"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_defaults_are_safe),
        cmocka_unit_test(t_parse_file),
        cmocka_unit_test(t_errors_name_the_line),
        cmocka_unit_test(t_durations),
        cmocka_unit_test(t_disk_keys),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
