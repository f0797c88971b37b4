/* opt: the options tables: every row's default, bounds, the dump -> parse
 * round trip, unknown keys with their line, and docs/config.md generated. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "agent/config.h"
#include "util/opt.h"

/* Every row's default parses under its own type; keys are unique across the
 * tables and their flags fit cmd/flags.c's buffer. */
static void t_rows_are_sane(void **st)
{
    (void)st;
    size_t nkeys = 0;
    for (size_t t = 0; cfg_parts[t].t; t++) {
        const opt_table *tb = cfg_parts[t].t;
        assert_non_null(tb->group);
        for (size_t i = 0; i < tb->n; i++) {
            const opt_row *r = &tb->rows[i];
            char err[256];
            cfg *c = calloc(1, sizeof(*c));
            if (r->def) {
                if (opt_set(r, cfg_base(c, r), r->def, err, sizeof(err)) != 0)
                    fail_msg("%s: default '%s': %s", r->key, r->def, err);
            }
            free(c);
            assert_true(strlen(r->key) + 3 < 64);
            assert_non_null(r->help);
            assert_non_null(r->doc);
            assert_ptr_equal(cfg_find(r->key), r);
            if (r->type == OPT_ENUM)
                assert_non_null(r->names);
            nkeys++;
        }
    }
    assert_true(nkeys >= 38); /* the 37 keys of before, control_token_file */
}

static int dump_has(const char *d, const char *key)
{
    char a[96], b[96];
    snprintf(a, sizeof(a), "\n%s ", key);
    snprintf(b, sizeof(b), "\n# %s\n", key);
    char *nd = malloc(strlen(d) + 2);
    nd[0] = '\n';
    strcpy(nd + 1, d);
    int ok = strstr(nd, a) || strstr(nd, b);
    free(nd);
    return ok;
}

/* cfg_dump writes every key, and parsing what it wrote gives the same
 * configuration (same dump, same fields). */
static void t_dump_round_trip(void **st)
{
    (void)st;
    static cfg a, b;
    char err[256];
    cfg_defaults(&a);
    const char txt[] = "listen [::1]:9500\ninterval 250ms\nhistory 1h\nhost_root /host\n"
                       "docker_host unix:///x.sock\ndocker off\nlabel_allow a.b,c\n"
                       "log_level debug\nhttp_max_connections 7\nhttp_timeout 30s\n"
                       "services off\nservices_interval 2s\nprobe_timeout 500ms\n"
                       "probe_http web:80:/h\nprobe_ignore *:22\nzabbix_listen 127.0.0.1:10050\n"
                       "zabbix_allow 10.0.0.0/8\nzabbix_active zbx:10051\nzabbix_host h1\n"
                       "zabbix_active_interval 5s\nzabbix_active_items agent.ping\n"
                       "logs on\nlogs_buffer_dir /tmp/b\nlogs_buffer_max 64M\n"
                       "logs_full_policy drop_oldest\nlog_files /var/log/*.log\n"
                       "logs_containers web-*\nlog_output a file path=/x\nlog_output b file\n"
                       "logs_poll 50ms\nlogs_fsync off\nlogs_line_max 2048\nonly logs\n"
                       "disk off\ndisk_interval 2s\ndisk_verify 0\ndisk_fanotify off\n"
                       "disk_max_dirs 5000\ncontrol_token_file /etc/berth/token\n";
    assert_int_equal(cfg_parse(&a, txt, sizeof(txt) - 1, err, sizeof(err)), 0);
    buf da = BUF_INIT, db = BUF_INIT;
    cfg_dump_buf(&a, &da);
    buf_putc(&da, '\0');
    for (size_t t = 0; cfg_parts[t].t; t++)
        for (size_t i = 0; i < cfg_parts[t].t->n; i++)
            if (!dump_has(da.data, cfg_parts[t].t->rows[i].key))
                fail_msg("dump lacks %s:\n%s", cfg_parts[t].t->rows[i].key, da.data);
    cfg_defaults(&b);
    if (cfg_parse(&b, da.data, strlen(da.data), err, sizeof(err)) != 0)
        fail_msg("%s\n%s", err, da.data);
    cfg_dump_buf(&b, &db);
    buf_putc(&db, '\0');
    assert_string_equal(da.data, db.data);
    assert_string_equal(b.http.addr, "::1");
    assert_int_equal(b.http.port, 9500);
    assert_true(b.engine.interval_ms == 250 && b.engine.history_ms == 3600000 &&
                b.http.timeout_s == 30);
    assert_true(b.engine.n_label_allow == 2 && strcmp(b.engine.label_allow[1], "c") == 0);
    assert_true(b.logs.n_outputs == 2 && strcmp(b.logs.outputs[1], "b file") == 0);
    assert_true(b.logs.buffer_max == 64u << 20 && b.logs.line_max == 2048);
    assert_true(b.logs.full_policy == 1 && b.logs.sync == 0 && b.logs.enabled == 1);
    assert_true(b.disk.enabled == 0 && b.disk.verify_ms == 0 && b.disk.max_dirs == 5000);
    assert_string_equal(b.zabbix.listen, "127.0.0.1:10050");
    assert_string_equal(b.logs.only, "logs");
    assert_string_equal(b.agent.control_token_file, "/etc/berth/token");

    /* the defaults round-trip too (empty strings are written "# key") */
    buf_free(&da);
    buf_free(&db);
    cfg_defaults(&a);
    cfg_dump_buf(&a, &da);
    buf_putc(&da, '\0');
    assert_non_null(strstr(da.data, "zabbix_listen off\n"));
    assert_non_null(strstr(da.data, "# host_root\n"));
    cfg_defaults(&b);
    assert_int_equal(cfg_parse(&b, da.data, strlen(da.data), err, sizeof(err)), 0);
    cfg_dump_buf(&b, &db);
    buf_putc(&db, '\0');
    assert_string_equal(da.data, db.data);
    buf_free(&da);
    buf_free(&db);
}

/* Every bounded row refuses one below its minimum and one above its
 * maximum, with the key in the message. */
static void t_bounds(void **st)
{
    (void)st;
    static cfg c;
    char err[256], v[64];
    int checked = 0;
    for (size_t t = 0; cfg_parts[t].t; t++)
        for (size_t i = 0; i < cfg_parts[t].t->n; i++) {
            const opt_row *r = &cfg_parts[t].t->rows[i];
            cfg_defaults(&c);
            if (r->type == OPT_INT || r->type == OPT_UINT || r->type == OPT_SIZE) {
                snprintf(v, sizeof(v), "%lld", (long long)r->min - 1);
                assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), -EINVAL);
                assert_non_null(strstr(err, r->key));
                snprintf(v, sizeof(v), "%lld", (long long)r->max + 1);
                assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), -EINVAL);
                snprintf(v, sizeof(v), "%lld", (long long)r->min);
                assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), 0);
                checked++;
            } else if (r->type == OPT_DURATION) {
                int64_t unit = r->unit_ms > 1 ? r->unit_ms : 1;
                if (r->min > 1) {
                    snprintf(v, sizeof(v), "%lldms", (long long)r->min - 1);
                    assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), -EINVAL);
                    assert_non_null(strstr(err, r->key));
                }
                if (r->max < INT64_MAX) {
                    snprintf(v, sizeof(v), "%lldms", (long long)r->max + unit);
                    assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), -EINVAL);
                    snprintf(v, sizeof(v), "%lldms", (long long)r->max);
                    assert_int_equal(opt_set(r, cfg_base(&c, r), v, err, sizeof(err)), 0);
                }
                assert_int_equal(opt_set(r, cfg_base(&c, r), "0", err, sizeof(err)),
                                 r->min <= 0 || r->zero_ok ? 0 : -EINVAL);
                checked++;
            } else if (r->type == OPT_BOOL) {
                assert_int_equal(opt_set(r, cfg_base(&c, r), "maybe", err, sizeof(err)), -EINVAL);
                char want[96];
                snprintf(want, sizeof(want), "%s: want on or off, got 'maybe'", r->key);
                assert_string_equal(err, want);
                for (const char *const *s = (const char *const[]){"yes", "true", "on", NULL}; *s;
                     s++)
                    assert_int_equal(opt_set(r, cfg_base(&c, r), *s, err, sizeof(err)), 0);
            } else if (r->type == OPT_STR && !r->check) {
                char big[2048];
                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                assert_int_equal(opt_set(r, cfg_base(&c, r), big, err, sizeof(err)), -EINVAL);
                assert_non_null(strstr(err, "value longer than"));
            }
        }
    assert_true(checked >= 13);
    /* lists and repeats are bounded too */
    cfg_defaults(&c);
    for (int i = 0; i < LPIPE_MAX_OUT; i++)
        assert_int_equal(cfg_set(&c, "log_output", "a file", err, sizeof(err)), 0);
    assert_int_equal(cfg_set(&c, "log_output", "a file", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "log_output: at most 8 outputs");
    char labels[200] = "a";
    for (int i = 0; i < ENGINE_MAX_LABELS; i++)
        strcat(labels, ",b");
    assert_int_equal(cfg_set(&c, "label_allow", labels, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "label_allow: at most 32 labels");
}

/* The error texts are the ones berth always printed. */
static void t_messages(void **st)
{
    (void)st;
    static cfg c;
    char err[256];
    cfg_defaults(&c);
    const char txt[] = "# c\ninterval 1s\n\n  nope 3\n";
    assert_int_equal(cfg_parse(&c, txt, sizeof(txt) - 1, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "line 4: unknown key 'nope'");
    assert_int_equal(cfg_set(&c, "disk_interval", "10ms", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "disk_interval: want a duration from 1s to 1h, got '10ms'");
    assert_int_equal(cfg_set(&c, "interval", "10ms", err, sizeof(err)), -EINVAL);
    assert_string_equal(err,
                        "interval: want a duration like 1s or 10m (at least 100ms), got '10ms'");
    assert_int_equal(cfg_set(&c, "logs_full_policy", "x", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "logs_full_policy: want pause or drop_oldest, got 'x'");
    assert_int_equal(cfg_set(&c, "listen", "x", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "listen: want ADDR:PORT, got 'x'");
    assert_int_equal(cfg_set(&c, "logs_buffer_dir", "rel", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "logs_buffer_dir: want an absolute path, got 'rel'");
    assert_int_equal(cfg_set(&c, "log_level", "loud", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "log_level: want debug, info, warn or error, got 'loud'");
    assert_int_equal(cfg_set(&c, "disk_max_dirs", "1", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "disk_max_dirs: want 1000..100000000, got '1'");
    assert_int_equal(cfg_set(&c, "zabbix_listen", "off", err, sizeof(err)), 0);
    assert_string_equal(c.zabbix.listen, "");
}

/* --help lists every key as a flag; the neg aliases are shown. */
static void t_help(void **st)
{
    (void)st;
    buf b = BUF_INIT;
    cfg_help(&b);
    buf_putc(&b, '\0');
    for (size_t t = 0; cfg_parts[t].t; t++)
        for (size_t i = 0; i < cfg_parts[t].t->n; i++) {
            char flag[96], line[100];
            opt_flag_name(cfg_parts[t].t->rows[i].key, flag, sizeof(flag));
            snprintf(line, sizeof(line), "  %s ", flag);
            assert_non_null(strstr(b.data, line));
        }
    assert_non_null(strstr(b.data, "--no-docker"));
    assert_non_null(strstr(b.data, "--no-disk"));
    buf_free(&b);
}

/* docs/config.md's generated regions are what the tables give: run
 * scripts/gen-config-docs.sh after changing a row. */
static void t_docs_are_current(void **st)
{
    (void)st;
    buf doc = BUF_INIT;
    const char *paths[] = {"docs/config.md", "../docs/config.md", "../../docs/config.md"};
    long r = -1;
    for (size_t i = 0; i < 3 && r < 0; i++)
        r = buf_read_file(&doc, paths[i], 1 << 20);
    if (r < 0)
        fail_msg("docs/config.md not found (run from the repository)");
    buf_putc(&doc, '\0');
    const char *begin = "<!-- BEGIN generated: berth agent --help-config=markdown:";
    int regions = 0;
    for (const char *p = strstr(doc.data, begin); p; p = strstr(p + 1, begin)) {
        const char *g = p + strlen(begin);
        const char *ge = strstr(g, " -->\n");
        assert_non_null(ge);
        char group[32];
        snprintf(group, sizeof(group), "%.*s", (int)(ge - g), g);
        const char *body = ge + 5;
        const char *end = strstr(body, "<!-- END generated -->");
        assert_non_null(end);
        buf want = BUF_INIT;
        cfg_markdown(group, &want);
        if (want.len != (size_t)(end - body) || memcmp(want.data, body, want.len) != 0)
            fail_msg("docs/config.md: the %s table is stale: run scripts/gen-config-docs.sh",
                     group);
        buf_free(&want);
        regions++;
    }
    assert_int_equal(regions, 3); /* main, logs, etcd */
    buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rows_are_sane), cmocka_unit_test(t_dump_round_trip),
        cmocka_unit_test(t_bounds),        cmocka_unit_test(t_messages),
        cmocka_unit_test(t_help),          cmocka_unit_test(t_docs_are_current),
    };
    return cmocka_run_group_tests_name("opt", tests, NULL, NULL);
}
