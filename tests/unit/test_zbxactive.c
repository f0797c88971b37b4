/*
 * test_zbxactive: the pure parts of Zabbix active mode (agent/zbxpush.c,
 * zabbix/active.c, export/zbxitems.c): which keys zabbix_active_items
 * selects, and which server addresses are accepted (checked before the
 * thread touches the store, so no store is needed). The loop itself is driven end to end against a
 * strict receiver in tests/integration/test_services.sh (t_zabbix_active_*).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/zbxpush.h"
#include "util/config.h"

static void t_selected(void **st)
{
    (void)st;
    assert_true(zbxitems_selected(NULL, "agent.ping"));
    assert_true(zbxitems_selected("", "berth.container.cpu"));
    const char *l = " agent.ping, berth.container.memory* ,berth.service.up,,";
    assert_true(zbxitems_selected(l, "agent.ping"));
    assert_true(zbxitems_selected(l, "berth.container.memory"));
    assert_true(zbxitems_selected(l, "berth.container.memory.limit"));
    assert_true(zbxitems_selected(l, "berth.service.up"));
    assert_false(zbxitems_selected(l, "berth.service.latency"));
    assert_false(zbxitems_selected(l, "berth.container.cpu"));
    assert_false(zbxitems_selected(l, "agent.pin"));   /* no prefix without '*' */
    assert_false(zbxitems_selected(l, "agent.ping2")); /* nor a longer name */
    assert_true(zbxitems_selected("*", "anything"));
    assert_true(zbxitems_selected("berth.*", "berth.volumes.discovery"));
    assert_false(zbxitems_selected("berth.*", "agent.version"));
}

static void t_server_addresses(void **st)
{
    (void)st;
    static const char *bad[] = {"",     ":10051", "host:0", "host:65536", "host:x",
                                "[::1", "[::1]x", "[::1]:", "[]:10051",   "host:10051x"};
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        zbxpush *a = (zbxpush *)1;
        zbxpush_opts o = {.server = bad[i]};
        assert_int_equal(zbxpush_start(NULL, &o, &a, err, sizeof(err)), -EINVAL);
        assert_null(a);
        assert_non_null(strstr(err, "zabbix_active"));
    }
    /* good ones start (an hour's interval: nothing is collected) and stop */
    static const char *good[] = {"127.0.0.1", "127.0.0.1:10051", "[::1]:10051", "::1",
                                 "zabbix.example.org:10051"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        zbxpush *a = NULL;
        zbxpush_opts o = {.server = good[i], .interval_ms = 3600000, .host = "h"};
        assert_int_equal(zbxpush_start(NULL, &o, &a, err, sizeof(err)), 0);
        zbx_active_stats s;
        zbxpush_get_stats(a, &s);
        assert_int_equal(s.batches_sent, 0);
        buf b = BUF_INIT;
        zbxpush_render_prom(a, &b);
        assert_non_null(strstr(b.data, "\nberth_zabbix_active_up 0\n"));
        assert_non_null(strstr(b.data, "# TYPE berth_zabbix_active_values_failed_total counter"));
        buf_free(&b);
        zbxpush_stop(a);
    }
}

static void t_config_keys(void **st)
{
    (void)st;
    cfg c;
    char err[256];
    cfg_defaults(&c);
    assert_string_equal(c.zabbix_active, "");
    assert_true(c.zabbix_active_interval_ms == 60000);
    const char txt[] = "zabbix_active zbx.example:10051\nzabbix_host docker-01\n"
                       "zabbix_active_interval 30s\nzabbix_active_items agent.ping,berth.*\n";
    assert_int_equal(cfg_parse(&c, txt, sizeof(txt) - 1, err, sizeof(err)), 0);
    assert_string_equal(c.zabbix_active, "zbx.example:10051");
    assert_string_equal(c.zabbix_host, "docker-01");
    assert_true(c.zabbix_active_interval_ms == 30000);
    assert_string_equal(c.zabbix_active_items, "agent.ping,berth.*");
    assert_int_equal(cfg_set(&c, "zabbix_active", "off", err, sizeof(err)), 0);
    assert_string_equal(c.zabbix_active, "");
    assert_int_equal(cfg_set(&c, "zabbix_active_interval", "500ms", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "zabbix_active", "a b", err, sizeof(err)), -EINVAL);
    const char bad[] = "zabbix_active :10051\n";
    assert_int_equal(cfg_parse(&c, bad, sizeof(bad) - 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_selected),
                                       cmocka_unit_test(t_server_addresses),
                                       cmocka_unit_test(t_config_keys)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
