/* config: defaults, the "key value" format, errors with line numbers, flags. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/config.h"
#include "cmd/cmd.h"

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
    /* tabs and CRs separate list items as blanks do, so no item ends in
     * what the line parser strips: the dump reads back as written (fuzz) */
    const char tabs[] = "label_allow\t,x\r\t,y\n";
    assert_int_equal(cfg_parse(&c, tabs, sizeof(tabs) - 1, err, sizeof(err)), 0);
    assert_int_equal(c.engine.n_label_allow, 2);
    assert_string_equal(c.engine.label_allow[0], "x");
    assert_string_equal(c.engine.label_allow[1], "y");
    /* a duration's bound is on its value, so the dump (milliseconds) of a
     * long one written in seconds reads back; an address with a blank is
     * refused (fuzz_config found both) */
    const char longd[] = "interval 633997406\n";
    assert_int_equal(cfg_parse(&c, longd, sizeof(longd) - 1, err, sizeof(err)), 0);
    assert_true(c.engine.interval_ms == 633997406000LL);
    const char msd[] = "interval 633997406000ms\n";
    assert_int_equal(cfg_parse(&c, msd, sizeof(msd) - 1, err, sizeof(err)), 0);
    const char blank[] = "listen [\t x]:9\n";
    assert_int_equal(cfg_parse(&c, blank, sizeof(blank) - 1, err, sizeof(err)), -EINVAL);
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

/* The flags write into the same embedded structs as the file: cmd/flags.c
 * walks agent/config.c's parts with each table's own base. */
static void t_flags_reach_the_subsystems(void **st)
{
    (void)st;
    static cfg c;
    cfg_defaults(&c);
    char *argv[] = {"berth",
                    "--no-disk",
                    "--disk-interval=5s",
                    "--listen",
                    "[::1]:9000",
                    "--label-allow",
                    "a,b",
                    "--no-services",
                    "--logs-poll",
                    "50ms",
                    "--zabbix-active",
                    "zbx:10051",
                    "--only",
                    "logs",
                    "--host_root",
                    "/x"};
    int argc = (int)(sizeof(argv) / sizeof(argv[0]));
    int i = 1;
    for (int k = 0; k < 8; k++, i++)
        assert_int_equal(cmd_config_flag(&c, argc, argv, &i), 1);
    assert_int_equal(cmd_config_flag(&c, argc, argv, &i), 0); /* --host_root stays unknown */
    assert_int_equal(i, argc - 2);
    assert_int_equal(c.disk.enabled, 0);
    assert_true(c.disk.interval_ms == 5000);
    assert_string_equal(c.http.addr, "::1");
    assert_int_equal(c.http.port, 9000);
    assert_int_equal(c.engine.n_label_allow, 2);
    assert_string_equal(c.engine.label_allow[1], "b");
    assert_int_equal(c.services.enabled, 0);
    assert_true(c.logs.poll_ms == 50);
    assert_string_equal(c.zbxpush.server, "zbx:10051");
    assert_string_equal(c.logs.only, "logs");
    assert_int_equal(c.logs.enabled, 1);
}

/* A subsystem started without the agent (berth df, tests) gets the same
 * defaults from its table as the agent's cfg: there is no second copy. */
static void t_table_defaults_are_the_agents(void **st)
{
    (void)st;
    static cfg c;
    cfg_defaults(&c);
    dt_opts d;
    memset(&d, 0, sizeof(d)); /* padding too: compared as memory */
    opt_defaults(&dt_opt_table, &d);
    assert_memory_equal(&d, &c.disk, sizeof(d));
    static lpipe_opts l;
    memset(&l, 0, sizeof(l));
    opt_defaults(&lpipe_opt_table, &l);
    assert_memory_equal(&l, &c.logs, sizeof(l));
    assert_true(l.line_max == 1u << 20 && l.poll_ms == 100 && l.buffer_max == 1ull << 30);
    assert_true(d.interval_ms == 10000 && d.max_dirs == 1000000 && d.use_fanotify == 1);
    /* cfg_copy points the copy's label list into its own buffer */
    char err[256];
    assert_int_equal(cfg_set(&c, "label_allow", "x,y", err, sizeof(err)), 0);
    static cfg k;
    cfg_copy(&k, &c);
    assert_ptr_equal(k.engine.label_allow[1], k.engine.label_allow_buf + 2);
    assert_string_equal(k.engine.label_allow[1], "y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_defaults_are_safe),
        cmocka_unit_test(t_parse_file),
        cmocka_unit_test(t_errors_name_the_line),
        cmocka_unit_test(t_durations),
        cmocka_unit_test(t_disk_keys),
        cmocka_unit_test(t_flags_reach_the_subsystems),
        cmocka_unit_test(t_table_defaults_are_the_agents),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
