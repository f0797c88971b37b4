/* export: /metrics and the JSON API rendered from a store built by hand
 * (no engine, no Docker, no cgroup tree): exact series lines, one HELP and
 * TYPE per family, label escaping and the allow list, all=1 against running
 * only, and the one-container answers of the API and the dashboard. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "export/export.h"
#include "metrics/store.h"

#define ID_A "aaa1110000000000000000000000000000000000000000000000000000000001"
#define ID_B "aaa2220000000000000000000000000000000000000000000000000000000002"
#define ID_C "ccc0000000000000000000000000000000000000000000000000000000000003"

static void set_meta(store *s, const char *id, const char *name, const char *state,
                     const char *const *labels, size_t n_labels)
{
    bmeta m = {0};
    snprintf(m.id, sizeof(m.id), "%s", id);
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.image, sizeof(m.image), "img/%s:1", name);
    snprintf(m.image_id, sizeof(m.image_id), "sha256:%s", name);
    snprintf(m.state, sizeof(m.state), "%s", state);
    m.created = 1700000000;
    m.started_at = 1700000100;
    m.restart_count = 2;
    char *lv[8];
    for (size_t i = 0; i < 2 * n_labels; i++)
        lv[i] = (char *)labels[i]; /* bmeta_copy copies; nothing is written */
    m.labels = n_labels ? lv : NULL;
    m.n_labels = n_labels;
    st_set_meta(s, &m);
}

static bsample sample(int64_t t_s, uint64_t cpu_ns)
{
    bsample b = {0};
    b.wall_ms = t_s * 1000;
    b.mono_ns = t_s * 1000000000ll;
    b.has = BS_HAS_CPU | BS_HAS_MEM | BS_HAS_NET | BS_HAS_PIDS;
    b.cpu_total_ns = cpu_ns;
    b.cpu_user_ns = cpu_ns / 2;
    b.cpu_system_ns = cpu_ns / 4;
    b.mem_usage = 4096;
    b.mem_working_set = 2048;
    b.pids = 3;
    b.n_ifaces = 2;
    snprintf(b.ifaces[0].name, sizeof(b.ifaces[0].name), "lo");
    b.ifaces[0].rx_bytes = 7;
    snprintf(b.ifaces[1].name, sizeof(b.ifaces[1].name), "eth0");
    b.ifaces[1].rx_bytes = (uint64_t)t_s * 100;
    b.ifaces[1].tx_bytes = 50;
    return b;
}

/* A: running "web", two samples 1 s apart (0.5 cores), limits, labels
 * (one value with a quote, a backslash and a newline), a probed service;
 * B: running "db", one sample, no limits; C: "old", exited, no cgroup. */
static store *fixture(void)
{
    store *s = st_new(60000);
    st_lock(s);
    static const char *const la[] = {"com.docker.compose.service", "web",    "note",
                                     "say \"hi\"\\\nbye",          "secret", "s3"};
    static const char *const lb[] = {"secret", "s4"};
    set_meta(s, ID_A, "web", "running", la, 3);
    set_meta(s, ID_B, "db", "running", lb, 1);
    set_meta(s, ID_C, "old", "exited", NULL, 0);

    st_entry *a = st_get(s, ID_A);
    snprintf(a->cgpath, sizeof(a->cgpath), "/docker/%s", ID_A);
    a->spec.cpu_quota_us = 50000;
    a->spec.cpu_period_us = 100000;
    a->spec.cpu_shares = 1024;
    a->spec.mem_limit = 67108864;
    a->spec.pids_limit = 100;
    bsample s1 = sample(1700000200, 1000000000ull), s2 = sample(1700000201, 1500000000ull);
    st_commit(a, &s1);
    st_commit(a, &s2);
    st_service sv = {.proto = 1, .port = 80, .pid = 42, .listening = 1, .probed = 1, .up = 1};
    snprintf(sv.addr, sizeof(sv.addr), "0.0.0.0");
    snprintf(sv.process, sizeof(sv.process), "nginx");
    snprintf(sv.user, sizeof(sv.user), "root");
    sv.latency_s = 0.25;
    sv.since_ms = 1700000150000;
    sv.checked_ms = 1700000201000;
    st_set_services(a, &sv, 1, 8);

    st_entry *b = st_get(s, ID_B);
    snprintf(b->cgpath, sizeof(b->cgpath), "/docker/%s", ID_B);
    b->spec.cpu_quota_us = -1;
    bsample s3 = sample(1700000201, 3000000000ull);
    st_commit(b, &s3);

    s->host.ncpu = 4;
    s->host.mem_total = 8000000000ull;
    st_unlock(s);
    return s;
}

static export_src src_of(store *s)
{
    export_src x = {.st = s, .cg_mode = CG_MODE_V2};
    x.stats.cycles = 12;
    x.stats.docker_up = 1;
    snprintf(x.stats.docker_api, sizeof(x.stats.docker_api), "1.43");
    return x;
}

static const char *const allow[] = {"com.docker.compose.service", "note"};

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void has_line(const char *text, const char *line)
{
    char want[1024];
    snprintf(want, sizeof(want), "\n%s\n", line);
    if (!strstr(text, want))
        fail_msg("missing line: %s", line);
}

#define LA                                                                                         \
    "{id=\"/docker/" ID_A "\",image=\"img/web:1\",name=\"web\","                                   \
    "container_label_com_docker_compose_service=\"web\","                                          \
    "container_label_note=\"say \\\"hi\\\"\\\\\\nbye\""
#define LB "{id=\"/docker/" ID_B "\",image=\"img/db:1\",name=\"db\""

static void t_prom(void **st)
{
    (void)st;
    store *s = fixture();
    export_src x = src_of(s);
    export_opts o = {.label_allow = allow, .n_label_allow = 2};
    buf b = BUF_INIT;
    prom_render(&x, &o, &b);
    const char *t = b.data;
    has_line(t, "container_cpu_usage_seconds_total" LA ",cpu=\"total\"} 1.5");
    has_line(t, "container_cpu_usage_seconds_total" LB ",cpu=\"total\"} 3");
    has_line(t, "container_cpu_user_seconds_total" LA "} 0.75");
    has_line(t, "container_memory_working_set_bytes" LA "} 2048");
    has_line(t, "container_network_receive_bytes_total" LA ",interface=\"eth0\"} 170000020100");
    has_line(t, "container_network_receive_bytes_total" LA ",interface=\"lo\"} 7");
    has_line(t, "container_spec_cpu_quota" LA "} 50000");
    has_line(t, "container_spec_memory_limit_bytes" LA "} 67108864");
    has_line(t, "container_spec_memory_limit_bytes" LB "} 0");
    has_line(t, "container_threads_max" LA "} 100");
    has_line(t, "container_start_time_seconds" LA "} 1700000100");
    has_line(t, "container_last_seen" LA "} 1700000201");
    has_line(t, "berth_container_info" LA
                ",image_id=\"sha256:web\",state=\"running\",health=\"\",runtime=\"docker\"} 1");
    has_line(t, "berth_service_up" LA ",proto=\"tcp\",addr=\"0.0.0.0\",port=\"80\","
                "process=\"nginx\"} 1");
    has_line(t, "berth_service_probe_seconds" LA ",proto=\"tcp\",addr=\"0.0.0.0\",port=\"80\","
                "process=\"nginx\"} 0.25");
    has_line(t, "berth_container_restarts" LB "} 2");
    has_line(t, "machine_cpu_cores 4");
    has_line(t, "berth_containers 2");
    has_line(t, "berth_collect_cycles_total 12");
    has_line(t, "berth_docker_up 1");
    assert_non_null(strstr(t, "\nberth_build_info{version=\""));
    assert_non_null(strstr(t, "\",cgroup_mode=\"v2\",docker_api=\"1.43\"} 1\n"));
    /* B has no CPU quota (-1): no container_spec_cpu_quota line for it */
    assert_null(strstr(t, "container_spec_cpu_quota" LB));
    /* the exited container without a cgroup is not in /metrics; labels off
     * the allow list never are */
    assert_null(strstr(t, "name=\"old\""));
    assert_null(strstr(t, "secret"));
    /* every family is one group with one HELP and one TYPE line */
    const char *fams[] = {"container_cpu_usage_seconds_total",
                          "container_network_receive_bytes_total",
                          "container_spec_memory_limit_bytes",
                          "berth_container_info",
                          "berth_service_up",
                          "berth_containers"};
    for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
        char h[160];
        snprintf(h, sizeof(h), "# HELP %s ", fams[i]);
        assert_int_equal(count(t, h), 1);
        snprintf(h, sizeof(h), "# TYPE %s ", fams[i]);
        assert_int_equal(count(t, h), 1);
    }
    /* HELP/TYPE lines of families no container has are left out */
    assert_null(strstr(t, "container_memory_swap"));
    assert_null(strstr(t, "berth_disk_"));
    assert_int_equal(t[b.len - 1], '\n');

    /* the label cache follows metadata changes, and the allow list decides */
    buf b2 = BUF_INIT;
    export_opts none = {0};
    st_lock(s);
    st_get(s, ID_A)->meta_gen++;
    st_unlock(s);
    prom_render(&x, &none, &b2);
    has_line(b2.data, "container_memory_working_set_bytes{id=\"/docker/" ID_A
                      "\",image=\"img/web:1\",name=\"web\"} 2048");
    assert_null(strstr(b2.data, "container_label_"));
    buf_free(&b2);
    buf_free(&b);
    st_free(s);
}

static json_t *parse(const buf *b)
{
    json_error_t je;
    json_t *j = json_loadb(b->data, b->len, 0, &je);
    if (!j)
        fail_msg("bad JSON: %s", je.text);
    return j;
}

static void t_json_list(void **st)
{
    (void)st;
    store *s = fixture();
    export_src x = src_of(s);
    buf b = BUF_INIT;
    json_render_containers(&x, 0, NULL, &b);
    json_t *j = parse(&b);
    assert_int_equal(json_array_size(j), 2); /* running only */
    json_t *a = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(a, "name")), "web");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "labels"), "note")),
                        "say \"hi\"\\\nbye");
    json_t *cpu = json_object_get(a, "cpu");
    assert_true(json_real_value(json_object_get(cpu, "cores")) == 0.5);
    assert_true(json_real_value(json_object_get(cpu, "limit_cores")) == 0.5);
    assert_true(json_is_true(json_object_get(a, "rates_valid")));
    json_t *net = json_object_get(a, "network");
    assert_int_equal(json_integer_value(json_object_get(net, "rx_bytes")), 170000020100);
    assert_true(json_real_value(json_object_get(net, "rx_bytes_per_second")) == 100.0);
    json_t *sv = json_array_get(json_object_get(a, "services"), 0);
    assert_int_equal(json_integer_value(json_object_get(sv, "port")), 80);
    assert_false(json_is_true(json_object_get(json_array_get(j, 1), "rates_valid")));
    json_decref(j);

    /* all=1: the exited one too, with identity only */
    buf_reset(&b);
    json_render_containers(&x, 1, NULL, &b);
    j = parse(&b);
    assert_int_equal(json_array_size(j), 3);
    json_t *c = json_array_get(j, 2);
    assert_string_equal(json_string_value(json_object_get(c, "state")), "exited");
    assert_null(json_object_get(c, "cpu"));
    assert_null(json_object_get(c, "services"));
    json_decref(j);

    /* a filter: a name, a unique prefix, an ambiguous one (both listed) */
    buf_reset(&b);
    json_render_containers(&x, 1, "old", &b);
    j = parse(&b);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);
    buf_reset(&b);
    json_render_containers(&x, 0, "old", &b);
    assert_string_equal(b.data, "[]");
    buf_reset(&b);
    json_render_containers(&x, 1, "aaa", &b);
    j = parse(&b);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);

    buf_reset(&b);
    json_render_host(&x, &b);
    j = parse(&b);
    assert_int_equal(json_integer_value(json_object_get(j, "cpus")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "containers_running")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "cgroup_mode")), "v2");
    assert_string_equal(json_string_value(json_object_get(j, "docker_api")), "1.43");
    assert_int_equal(json_integer_value(json_object_get(j, "collect_cycles")), 12);
    json_decref(j);
    /* the object the dashboard's /api/v1/host extends dumps to the same
     * bytes as the rendered text it used to re-parse (precision 10 both) */
    json_t *ho = json_host_object(&x);
    char *hs = json_dumps(ho, JSON_COMPACT | JSON_REAL_PRECISION(10));
    assert_string_equal(hs, b.data);
    free(hs);
    json_decref(ho);
    buf_free(&b);
    st_free(s);
}

/* /api/v1/containers/KEY: the same bytes as the element of the one-element
 * array the route used to strip the brackets off. */
static void t_json_one(void **st)
{
    (void)st;
    store *s = fixture();
    export_src x = src_of(s);
    const char *keys[] = {"web", "aaa1", ID_B, "old", "ccc"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        buf arr = BUF_INIT, one = BUF_INIT;
        json_render_containers(&x, 1, keys[i], &arr);
        assert_int_equal(json_render_container(&x, keys[i], &one), 0);
        assert_true(arr.len == one.len + 2 && arr.data[0] == '[' && arr.data[arr.len - 1] == ']');
        assert_memory_equal(arr.data + 1, one.data, one.len);
        buf_free(&arr);
        buf_free(&one);
    }
    buf b = BUF_INIT;
    assert_int_equal(json_render_container(&x, "aaa", &b), -EEXIST);
    assert_int_equal(json_render_container(&x, "aa", &b), -ENOENT);
    assert_int_equal(json_render_container(&x, "nosuch", &b), -ENOENT);
    assert_int_equal(b.len, 0); /* untouched on error */

    /* services of a running container, as the dashboard answers them */
    assert_int_equal(json_render_services(&x, "web", &b), 0);
    assert_string_equal(b.data, "{\"id\":\"" ID_A "\",\"name\":\"web\",\"services\":[{\"proto\":"
                                "\"tcp\",\"addr\":\"0.0.0.0\",\"port\":80,\"pid\":42,\"process\":"
                                "\"nginx\",\"uid\":0,\"user\":\"root\",\"listening\":true,"
                                "\"exposed\":false,\"probed\":true,\"up\":true,\"latency_seconds\":"
                                "0.25,\"error\":\"\",\"checked_ms\":1700000201000,\"since_ms\":"
                                "1700000150000}]}");
    buf_reset(&b);
    assert_int_equal(json_render_services(&x, "db", &b), 0);
    assert_string_equal(b.data, "{\"id\":\"" ID_B "\",\"name\":\"db\",\"services\":[]}");
    buf_reset(&b);
    assert_int_equal(json_render_services(&x, "old", &b), -ENOENT); /* not running */
    assert_int_equal(json_render_services(&x, "aaa", &b), -EEXIST);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    st_free(s);
}

/* The dashboard's services route used to render every running container,
 * parse the text back and re-dump one container's services: the direct
 * render must give the same bytes, awkward doubles included. */
static void old_services(const export_src *x, const char *key, buf *out)
{
    buf tmp = BUF_INIT;
    json_render_containers(x, 0, key, &tmp);
    json_t *arr = json_loadb(tmp.data, tmp.len, 0, NULL);
    buf_free(&tmp);
    assert_int_equal(json_array_size(arr), 1);
    json_t *c = json_array_get(arr, 0);
    json_t *svcs = json_object_get(c, "services");
    json_t *o = json_pack("{s:O,s:O,s:O}", "id", json_object_get(c, "id"), "name",
                          json_object_get(c, "name"), "services", svcs ? svcs : json_array());
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    json_decref(arr);
    buf_puts(out, s);
    free(s);
}

static void t_services_same_bytes(void **st)
{
    (void)st;
    store *s = fixture();
    st_lock(s);
    st_entry *a = st_get(s, ID_A);
    const double lat[] = {7.5281e-5, 0.1 + 0.2, 1.0 / 3.0, 123456.789012345678, 0, 1e-300};
    st_service sv[6];
    for (int i = 0; i < 6; i++) {
        sv[i] = a->svcs[0];
        sv[i].port = 80 + i;
        sv[i].latency_s = lat[i];
        sv[i].proto = i == 5 ? 2 : 1;
        sv[i].host_port = i == 2 ? 8080 : 0;
        snprintf(sv[i].error, sizeof(sv[i].error), "%s", i == 3 ? "refused \"x\"\n\x01" : "");
    }
    st_set_services(a, sv, 6, 8);
    st_unlock(s);
    export_src x = src_of(s);
    const char *keys[] = {"web", "db", "aaa2"};
    for (size_t i = 0; i < 3; i++) {
        buf want = BUF_INIT, got = BUF_INIT;
        old_services(&x, keys[i], &want);
        assert_int_equal(json_render_services(&x, keys[i], &got), 0);
        assert_string_equal(got.data, want.data);
        buf_free(&want);
        buf_free(&got);
    }
    st_free(s);
}

static void t_json_history(void **st)
{
    (void)st;
    store *s = fixture();
    st_lock(s);
    st_entry *a = st_get(s, ID_A);
    a->hist = ring_new(ST_H_NFIELDS, 60000);
    for (int i = 0; i < 4; i++) {
        bsample smp = sample(1700000300 + i, 1000000000ull * (uint64_t)i);
        st_commit(a, &smp);
    }
    st_unlock(s);
    export_src x = src_of(s);
    buf b = BUF_INIT;
    assert_int_equal(json_render_history(&x, "web", 0, INT64_MAX, &b), 0);
    json_t *j = parse(&b);
    assert_string_equal(json_string_value(json_object_get(j, "id")), ID_A);
    json_t *f = json_object_get(j, "fields");
    assert_int_equal(json_array_size(f), ST_H_NFIELDS + 1);
    assert_string_equal(json_string_value(json_array_get(f, 1)), "cpu_usec");
    json_t *rows = json_object_get(j, "samples");
    assert_int_equal(json_array_size(rows), 4);
    json_t *r3 = json_array_get(rows, 3);
    assert_int_equal(json_integer_value(json_array_get(r3, 0)), 1700000303000);
    assert_int_equal(json_integer_value(json_array_get(r3, 1)), 3000000);
    json_decref(j);
    buf_reset(&b);
    assert_int_equal(json_render_history_step(&x, "web", 0, INT64_MAX, 2000, &b), 0);
    j = parse(&b);
    assert_int_equal(json_array_size(json_object_get(j, "samples")), 2); /* last of each 2 s */
    json_decref(j);
    buf_reset(&b);
    /* a container without history has an empty list; one without a cgroup
     * has none; an ambiguous prefix names none */
    assert_int_equal(json_render_history(&x, "db", 0, INT64_MAX, &b), 0);
    assert_non_null(strstr(b.data, "\"samples\":[]"));
    assert_int_equal(json_render_history(&x, "old", 0, INT64_MAX, &b), -ENOENT);
    assert_int_equal(json_render_history(&x, "aaa", 0, INT64_MAX, &b), -EEXIST);
    buf_free(&b);
    st_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_prom),         cmocka_unit_test(t_json_list),
        cmocka_unit_test(t_json_one),     cmocka_unit_test(t_services_same_bytes),
        cmocka_unit_test(t_json_history),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
