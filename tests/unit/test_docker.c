/*
 * test_docker: the Docker Engine API client.
 *
 * Parsers are checked against JSON captured from a real Docker 20.10 engine
 * (API 1.41) in tests/fixtures/docker/ (see the README there) and against
 * hand-made hostile input. The transport is checked against a fake engine:
 * a thread serving canned HTTP on a unix socket in a temporary directory,
 * which records every request path so tests can assert which API version
 * berth put in the URL. No test needs a real daemon.
 *
 * Fixtures are found relative to the repository root; run the binary from
 * there (./build/tests/test_docker), as `make unit` does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "docker/docker.h"
#include "util/buf.h"

#define FIXTURES "tests/fixtures/docker/"

/* ---- helpers ---------------------------------------------------------- */

static void read_fixture(const char *name, buf *b)
{
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    long n = buf_read_file(b, path, 16u << 20);
    if (n < 0)
        fail_msg("cannot read %s (%s); run the tests from the repository root", path,
                 strerror((int)-n));
}

static const bmeta *find_by_name(const bmeta *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

static void free_list(bmeta *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bmeta_clear(&v[i]);
    free(v);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- dk_version_cmp --------------------------------------------------- */

static void test_version_cmp(void **state)
{
    assert_true(dk_version_cmp("1.41", "1.9") > 0);
    assert_true(dk_version_cmp("1.9", "1.41") < 0);
    assert_int_equal(dk_version_cmp("1.41", "1.41"), 0);
    assert_int_equal(dk_version_cmp("1.41", "1.41.0"), 0);
    assert_true(dk_version_cmp("1.41.1", "1.41") > 0);
    assert_true(dk_version_cmp("2.0", "1.99") > 0);
    assert_true(dk_version_cmp("1.47", DK_API_MAX) == 0);
    assert_true(dk_version_cmp("1.52", DK_API_MAX) > 0);
    assert_true(dk_version_cmp("1.100", "1.47") > 0);
    assert_true(dk_version_cmp("", "1.0") < 0);
    assert_int_equal(dk_version_cmp(NULL, ""), 0);
    assert_int_equal(dk_version_cmp("1.41-rc1", "1.41"), 0);
    /* garbage and huge numbers must not crash or overflow */
    assert_int_equal(dk_version_cmp("abc", ""), 0);
    assert_true(dk_version_cmp("1.99999999999999999999999", "1.5") > 0);
}

/* ---- dk_parse_version ------------------------------------------------- */

static void test_parse_version_fixture(void **state)
{
    buf b = BUF_INIT;
    char api[16], min[16];
    read_fixture("version.json", &b);
    assert_int_equal(dk_parse_version(b.data, b.len, api, sizeof(api), min, sizeof(min)), 0);
    assert_string_equal(api, "1.41");
    assert_string_equal(min, "1.12");
    buf_free(&b);
}

static void test_parse_version_hostile(void **state)
{
    buf b = BUF_INIT;
    char api[16], min[16];
    /* an ApiVersion that would rewrite the URL path */
    read_fixture("version_hostile.json", &b);
    assert_int_equal(dk_parse_version(b.data, b.len, api, sizeof(api), min, sizeof(min)), -EINVAL);
    assert_string_equal(api, "");
    buf_free(&b);

    static const char *bad[] = {
        "",
        "[]",
        "{}",
        "{\"ApiVersion\":1.41}",
        "{\"ApiVersion\":\"\"}",
        "{\"ApiVersion\":\"1..41\"}",
        "{\"ApiVersion\":\"1.41.\"}",
        "{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"x\"}",
        "{\"ApiVersion\":\"1.41\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(
            dk_parse_version(bad[i], strlen(bad[i]), api, sizeof(api), min, sizeof(min)), -EINVAL);

    /* MinAPIVersion is optional (very old daemons) */
    const char *old = "{\"ApiVersion\":\"1.24\"}";
    assert_int_equal(dk_parse_version(old, strlen(old), api, sizeof(api), min, sizeof(min)), 0);
    assert_string_equal(api, "1.24");
    assert_string_equal(min, "");

    /* an output buffer too small is an error, never a truncated version */
    assert_int_equal(dk_parse_version(old, strlen(old), api, 4, min, sizeof(min)), -EINVAL);
}

/* ---- dk_parse_list ---------------------------------------------------- */

#define WEB_ID    "a39c79baed070fa06a4dab3edcb66628005d86eaa1a10cc1ebbc48569c655905"
#define SLOW_ID   "55fc7b931c2e5c77273b9c9e9b712237ef7b25755dc181b55af9e3d0950b5704"
#define IMAGE_ID  "sha256:88a85cad7171cf8eb6bf552e103082d5fddd520d491c483389ae7ec69de839c6"
#define RENAME_ID "08dbf4519bd5918cfa4cdb024fc9068458d82994580c59a60deb85beea8ca2d9"

static void test_parse_list_all(void **state)
{
    buf b = BUF_INIT;
    bmeta *v = NULL;
    size_t n = 0;
    read_fixture("list_all.json", &b);
    assert_int_equal(dk_parse_list(b.data, b.len, &v, &n), 0);
    assert_int_equal(n, 4);

    const bmeta *web = find_by_name(v, n, "berth-fx-web");
    assert_non_null(web);
    assert_string_equal(web->id, WEB_ID);
    assert_string_equal(web->image, "berth-test:latest");
    assert_string_equal(web->image_id, IMAGE_ID);
    assert_string_equal(web->state, "running");
    assert_string_equal(web->health, "healthy");
    assert_int_equal(web->created, 1795614947);
    assert_int_equal(web->n_labels, 3);
    assert_string_equal(bmeta_label(web, "com.example.team"), "ops");
    assert_string_equal(bmeta_label(web, "com.example.note"), "hello world");
    /* list does not carry these: defaults */
    assert_int_equal(web->pid, 0);
    assert_int_equal(web->started_at, 0);

    /* paused: Status is "Up 2 minutes (Paused)", no health shown */
    const bmeta *slow = find_by_name(v, n, "berth-fx-slow");
    assert_non_null(slow);
    assert_string_equal(slow->id, SLOW_ID);
    assert_string_equal(slow->state, "paused");
    assert_string_equal(slow->health, "");

    const bmeta *done = find_by_name(v, n, "berth-fx-done");
    assert_non_null(done);
    assert_string_equal(done->state, "exited");
    assert_string_equal(bmeta_label(done, "com.example.team"), "batch");
    assert_null(bmeta_label(done, "com.example.note"));
    assert_int_equal(done->created, 1795614948);

    const bmeta *flaky = find_by_name(v, n, "berth-fx-flaky");
    assert_non_null(flaky);
    assert_string_equal(flaky->state, "exited");
    assert_int_equal(flaky->created, 1795615092);

    free_list(v, n);
    buf_free(&b);
}

static void test_parse_list_running(void **state)
{
    buf b = BUF_INIT;
    bmeta *v = NULL;
    size_t n = 0;
    read_fixture("list_running.json", &b);
    assert_int_equal(dk_parse_list(b.data, b.len, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_non_null(find_by_name(v, n, "berth-fx-web"));
    assert_non_null(find_by_name(v, n, "berth-fx-slow"));
    free_list(v, n);
    buf_free(&b);

    assert_int_equal(dk_parse_list("[]", 2, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_null(v);
}

static void test_parse_list_hostile(void **state)
{
    buf b = BUF_INIT;
    bmeta *v = NULL;
    size_t n = 0;
    read_fixture("list_hostile.json", &b);
    assert_int_equal(dk_parse_list(b.data, b.len, &v, &n), 0);
    /* the entry whose Id is a number is dropped */
    assert_int_equal(n, 3);

    /* every field of the wrong type: defaults */
    assert_string_equal(v[0].id, "aaa");
    assert_string_equal(v[0].name, "");
    assert_string_equal(v[0].image, "");
    assert_string_equal(v[0].image_id, "");
    assert_string_equal(v[0].state, "");
    assert_string_equal(v[0].health, "");
    assert_int_equal(v[0].created, 0);
    assert_int_equal(v[0].n_labels, 0);

    /* Names[0] not a string; only string labels kept; 1.5e300 out of range */
    assert_string_equal(v[1].id, "bbb");
    assert_string_equal(v[1].name, "");
    assert_int_equal(v[1].n_labels, 1);
    assert_string_equal(bmeta_label(&v[1], "ok"), "yes");
    assert_int_equal(v[1].created, 0);
    assert_string_equal(v[1].health, "unhealthy");

    /* truncation: fixed fields stay terminated, UTF-8 is not cut in half */
    assert_int_equal(strlen(v[2].id), 64);
    assert_int_equal(strlen(v[2].name), 126); /* 126 'n', the 2-byte 'é' did not fit */
    assert_int_equal(v[2].name[0], 'n');
    assert_int_equal(strlen(v[2].image), sizeof(v[2].image) - 1);
    assert_string_equal(v[2].state, "runningrunningr");
    assert_string_equal(v[2].health, "starting");
    free_list(v, n);
    buf_free(&b);

    static const char *bad[] = {
        "",
        "{\"message\":\"page not found\"}",
        "[1,{\"Id\":\"x\"}]",
        "[{\"Id\":\"x\"},null]",
        "[{\"Id\":\"x\"}",
        "null",
        "\"[]\"",
    };
    static bmeta dummy;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = &dummy; /* must be reset */
        n = 99;
        assert_int_equal(dk_parse_list(bad[i], strlen(bad[i]), &v, &n), -EINVAL);
        assert_null(v);
        assert_int_equal(n, 0);
    }
}

/* Bounds: a list longer than DK_MAX_LIST is refused, labels beyond
 * DK_MAX_LABELS are dropped. */
static void test_parse_bounds(void **state)
{
    buf b = BUF_INIT;
    bmeta *v = NULL;
    size_t n = 0;
    buf_putc(&b, '[');
    for (unsigned i = 0; i <= DK_MAX_LIST; i++)
        buf_puts(&b, i ? ",{}" : "{}");
    buf_putc(&b, ']');
    assert_int_equal(dk_parse_list(b.data, b.len, &v, &n), -EINVAL);
    assert_null(v);

    bmeta m;
    buf_reset(&b);
    buf_puts(&b, "{\"Id\":\"x\",\"Config\":{\"Labels\":{");
    for (unsigned i = 0; i < DK_MAX_LABELS + 500; i++)
        buf_printf(&b, "%s\"k%u\":\"v\"", i ? "," : "", i);
    buf_puts(&b, "}}}");
    assert_int_equal(dk_parse_inspect(b.data, b.len, &m), 0);
    assert_int_equal(m.n_labels, DK_MAX_LABELS);
    assert_string_equal(bmeta_label(&m, "k0"), "v");
    bmeta_clear(&m);
    buf_free(&b);
}

/* ---- dk_parse_inspect ------------------------------------------------- */

static void inspect_fixture(const char *name, bmeta *m)
{
    buf b = BUF_INIT;
    read_fixture(name, &b);
    memset(m, 0, sizeof(*m));
    assert_int_equal(dk_parse_inspect(b.data, b.len, m), 0);
    buf_free(&b);
}

static void test_parse_inspect_running(void **state)
{
    bmeta m;
    inspect_fixture("inspect_running_healthy.json", &m);
    assert_string_equal(m.id, WEB_ID);
    assert_string_equal(m.name, "berth-fx-web");
    assert_string_equal(m.image, "berth-test:latest");
    assert_string_equal(m.image_id, IMAGE_ID);
    assert_string_equal(m.state, "running");
    assert_string_equal(m.health, "healthy");
    assert_int_equal(m.pid, 11270);
    assert_int_equal(m.started_at, 1795614947); /* 2026-11-25T13:55:47.735364388Z */
    assert_int_equal(m.created, 1795614947);    /* 2026-11-25T13:55:47.536803486Z */
    assert_int_equal(m.restart_count, 0);
    assert_int_equal(m.n_labels, 3);
    assert_string_equal(bmeta_label(&m, "com.example.note"), "hello world");
    bmeta_clear(&m);

    inspect_fixture("inspect_health_starting.json", &m);
    assert_string_equal(m.id, SLOW_ID);
    assert_string_equal(m.health, "starting");
    assert_int_equal(m.pid, 11334);
    bmeta_clear(&m);

    inspect_fixture("inspect_paused.json", &m);
    assert_string_equal(m.state, "paused");
    assert_string_equal(m.health, "unhealthy");
    bmeta_clear(&m);
}

static void test_parse_inspect_stopped(void **state)
{
    bmeta m;
    inspect_fixture("inspect_exited.json", &m);
    assert_string_equal(m.name, "berth-fx-done");
    assert_string_equal(m.state, "exited");
    assert_string_equal(m.health, ""); /* no healthcheck: no Health object */
    assert_int_equal(m.pid, 0);
    assert_int_equal(m.started_at, 1795614948);
    assert_string_equal(bmeta_label(&m, "com.example.team"), "batch");
    bmeta_clear(&m);

    inspect_fixture("inspect_restarted.json", &m);
    assert_string_equal(m.name, "berth-fx-flaky");
    assert_int_equal(m.restart_count, 2);
    assert_int_equal(m.created, 1795615092);
    assert_int_equal(m.started_at, 1795615093);
    bmeta_clear(&m);

    /* never started: Go's zero time "0001-01-01T00:00:00Z" means unknown */
    inspect_fixture("inspect_created.json", &m);
    assert_string_equal(m.state, "created");
    assert_int_equal(m.started_at, 0);
    assert_int_equal(m.created, 1795615102);
    assert_non_null(bmeta_label(&m, "com.example.empty"));
    assert_string_equal(bmeta_label(&m, "com.example.empty"), "");
    bmeta_clear(&m);
}

/* GET /containers/{id}/json?size=1 after `head -c 12345 /dev/zero > /f`:
 * SizeRw is the file's apparent size exactly (Docker sums apparent sizes) */
static void test_parse_size(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    int64_t rw = 0, rootfs = 0;
    read_fixture("inspect_size.json", &b);
    assert_int_equal(dk_parse_size(b.data, b.len, &rw, &rootfs), 0);
    assert_int_equal(rw, 12345);
    assert_true(rootfs > rw);
    buf_free(&b);
    /* an inspect without ?size=1 has neither field */
    read_fixture("inspect_exited.json", &b);
    assert_int_equal(dk_parse_size(b.data, b.len, &rw, &rootfs), 0);
    assert_int_equal(rw, -1);
    assert_int_equal(rootfs, -1);
    buf_free(&b);
    /* wrong types and negative values are absent, not garbage */
    static const char wrong[] = "{\"SizeRw\":\"12\",\"SizeRootFs\":-5}";
    assert_int_equal(dk_parse_size(wrong, sizeof(wrong) - 1, &rw, &rootfs), 0);
    assert_int_equal(rw, -1);
    assert_int_equal(rootfs, -1);
    static const char big[] = "{\"SizeRw\":9007199254740993}";
    assert_int_equal(dk_parse_size(big, sizeof(big) - 1, &rw, &rootfs), 0);
    assert_int_equal(rw, 9007199254740993LL);
    assert_int_equal(dk_parse_size("[]", 2, &rw, &rootfs), -EINVAL);
    assert_int_equal(dk_parse_size("{\"SizeRw\":1", 11, &rw, &rootfs), -EINVAL);
    assert_int_equal(rw, -1);
    assert_int_equal(dk_parse_size(NULL, 0, &rw, &rootfs), -EINVAL);
}

static void test_parse_inspect_hostile(void **state)
{
    bmeta m;
    buf b = BUF_INIT;

    inspect_fixture("inspect_wrong_types.json", &m);
    assert_string_equal(m.id, "abc");
    assert_string_equal(m.name, "");
    assert_string_equal(m.image, "");
    assert_string_equal(m.image_id, "");
    assert_string_equal(m.state, "");
    assert_string_equal(m.health, "");
    assert_int_equal(m.pid, 0);
    assert_int_equal(m.started_at, 0); /* month 13 */
    assert_int_equal(m.created, 0);
    assert_int_equal(m.restart_count, 0); /* 1e20 does not fit an int */
    bmeta_clear(&m);

    inspect_fixture("inspect_nulls.json", &m);
    assert_string_equal(m.name, "plain");
    assert_int_equal(m.created, 1795614947);
    assert_int_equal(m.restart_count, -3);
    bmeta_clear(&m);

    read_fixture("inspect_truncated.json", &b);
    memset(&m, 0, sizeof(m));
    assert_int_equal(dk_parse_inspect(b.data, b.len, &m), -EINVAL);
    assert_string_equal(m.id, "");
    assert_int_equal(m.n_labels, 0);
    buf_free(&b);

    read_fixture("error_404.json", &b);
    assert_int_equal(dk_parse_inspect(b.data, b.len, &m), -EINVAL);
    buf_free(&b);

    assert_int_equal(dk_parse_inspect("[]", 2, &m), -EINVAL);
    assert_int_equal(dk_parse_inspect("", 0, &m), -EINVAL);
    assert_int_equal(dk_parse_inspect(NULL, 0, &m), -EINVAL);

    /* numeric offsets, lowercase z, fraction of any length */
    static const struct {
        const char *json;
        int64_t created;
    } times[] = {
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25T14:55:47.5+01:00\"}", 1795614947},
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25T12:25:47-01:30\"}", 1795614947},
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25t13:55:47.1z\"}", 1795614947},
        {"{\"Id\":\"x\",\"Created\":\"1970-01-01T00:00:00Z\"}", 0},
        {"{\"Id\":\"x\",\"Created\":\"2000-02-29T00:00:00Z\"}", 951782400},
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25T13:55:47.Z\"}", 0},
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25T13:55:47\"}", 0},
        {"{\"Id\":\"x\",\"Created\":\"2026-11-25T13:55:47Zjunk\"}", 0},
        {"{\"Id\":\"x\",\"Created\":\"2026-02-30T00:00:00Z\"}", 0},
        {"{\"Id\":\"x\",\"Created\":\"9999-12-31T23:59:59+23:59\"}", 253402214459LL},
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        assert_int_equal(dk_parse_inspect(times[i].json, strlen(times[i].json), &m), 0);
        assert_int_equal(m.created, times[i].created);
        bmeta_clear(&m);
    }

    /* a missing Id is the wrong shape */
    const char *noid = "{\"Name\":\"/x\",\"Config\":{\"Labels\":{\"a\":\"b\"}}}";
    assert_int_equal(dk_parse_inspect(noid, strlen(noid), &m), -EINVAL);
    assert_int_equal(m.n_labels, 0);
}

/* ---- dk_parse_event --------------------------------------------------- */

static void test_parse_event_fixture(void **state)
{
    buf b = BUF_INIT;
    read_fixture("events.jsonl", &b);
    int containers = 0, others = 0, seen_rename = 0, seen_health = 0;
    char *line = b.data, *end = b.data + b.len;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        dk_event ev;
        int rc = dk_parse_event(line, len, &ev);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            others++;
            assert_string_equal(ev.id, "");
        } else {
            containers++;
            assert_int_equal(strlen(ev.id), 64);
            assert_true(ev.time_nano > 1795614947000000000LL);
            assert_true(ev.time_nano < 1795614951000000000LL);
            if (strcmp(ev.action, "rename") == 0) {
                seen_rename = 1;
                assert_string_equal(ev.id, RENAME_ID);
                assert_string_equal(ev.name, "berth-fx-renamed");
                assert_string_equal(ev.old_name, "berth-fx-tmp");
                assert_int_equal(ev.time_nano, 1795614948543806899LL);
            } else {
                assert_string_equal(ev.old_name, "");
            }
            if (strcmp(ev.action, "health_status: healthy") == 0) {
                seen_health = 1;
                assert_string_equal(ev.id, WEB_ID);
                assert_string_equal(ev.name, "berth-fx-web");
            }
        }
        line += len + 1;
    }
    assert_int_equal(containers, 24);
    assert_int_equal(others, 6); /* network connect/disconnect */
    assert_true(seen_rename);
    assert_true(seen_health);
    buf_free(&b);
}

static void test_parse_event_hostile(void **state)
{
    dk_event ev;
    buf b = BUF_INIT;
    read_fixture("event_wrong_types.json", &b);
    assert_int_equal(dk_parse_event(b.data, b.len, &ev), -EINVAL);
    buf_free(&b);

    static const char *bad[] = {
        "",
        "[]",
        "{}",
        "{\"Type\":1}",
        "{\"Type\":\"container\"}",
        "{\"Type\":\"container\",\"Action\":\"start\"}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"x\"}",
        "\"start\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dk_parse_event(bad[i], strlen(bad[i]), &ev), -EINVAL);

    const char *img = "{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"busybox\"}}";
    assert_int_equal(dk_parse_event(img, strlen(img), &ev), 1);

    /* minimal, seconds only, long Action truncated, pre-1.22 style fields */
    const char *min = "{\"Type\":\"container\",\"status\":\"exec_start: sh -c 'a very long command "
                      "line that does not fit'\",\"id\":\"abc\",\"time\":1795614947}";
    assert_int_equal(dk_parse_event(min, strlen(min), &ev), 0);
    assert_string_equal(ev.id, "abc");
    assert_int_equal(strlen(ev.action), sizeof(ev.action) - 1);
    assert_true(strncmp(ev.action, "exec_start: sh -c", 17) == 0);
    assert_int_equal(ev.time_nano, 1795614947000000000LL);
    assert_string_equal(ev.name, "");
}

/* ---- fake engine ------------------------------------------------------ */

enum ev_mode { EV_FIXTURE, EV_HUGE, EV_HANG, EV_ERROR, EV_GARBAGE };

typedef struct fake_engine {
    char dir[64];
    char sock[80]; /* dir + "/docker.sock" fits, and fits sun_path */
    int lfd;
    pthread_t th;
    atomic_int stop;
    const char *version; /* body of GET /version */
    atomic_int ev_mode;  /* enum ev_mode; the test switches it between requests */
    buf events;          /* EV_FIXTURE payload */
    atomic_int huge_list;
    pthread_mutex_t mu;
    char paths[32][512];
    int npaths;
} fake_engine;

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

static void respond(int fd, int status, const char *reason, const char *body)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr),
             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             status, reason, strlen(body));
    if (send_str(fd, hdr) == 0)
        send_str(fd, body);
}

static const char stream_hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

static int send_chunk(int fd, const char *p, size_t n)
{
    char len[32];
    snprintf(len, sizeof(len), "%zx\r\n", n);
    if (send_str(fd, len) || send_all(fd, p, n) || send_str(fd, "\r\n"))
        return -1;
    return 0;
}

/* Waits until the client closes the connection or the test stops us. */
static void wait_hangup(fake_engine *f, int fd)
{
    char tmp[256];
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0 && recv(fd, tmp, sizeof(tmp), 0) <= 0)
            return;
    }
}

static void serve_events(fake_engine *f, int fd)
{
    static const size_t odd[] = {1, 7, 13, 2, 97, 5, 331, 3, 64};
    static const char one[] =
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" WEB_ID
        "\",\"Attributes\":{\"name\":\"web\"}},\"time\":1795614947,\"timeNano\":1}\n";
    switch ((enum ev_mode)atomic_load(&f->ev_mode)) {
    case EV_FIXTURE: {
        /* Odd HTTP chunks, each its own write, so objects and lines straddle
         * the pieces libcurl hands to the write callback. */
        if (send_str(fd, stream_hdr))
            return;
        size_t off = 0;
        for (size_t i = 0; off < f->events.len; i++) {
            size_t n = odd[i % (sizeof(odd) / sizeof(odd[0]))];
            if (n > f->events.len - off)
                n = f->events.len - off;
            if (send_chunk(fd, f->events.data + off, n))
                return;
            off += n;
            sleep_ms(1);
        }
        send_str(fd, "0\r\n\r\n");
        return;
    }
    case EV_HUGE: {
        static char blob[64 * 1024];
        memset(blob, 'a', sizeof(blob));
        if (send_str(fd, stream_hdr) || send_chunk(fd, one, strlen(one)))
            return;
        const char *head = "{\"Type\":\"container\",\"Action\":\"start\",\"x\":\"";
        if (send_chunk(fd, head, strlen(head)))
            return;
        for (int i = 0; i < 32; i++) /* 2 MiB, twice the bound */
            if (send_chunk(fd, blob, sizeof(blob)))
                return;
        send_chunk(fd, "\"}\n", 3);
        send_str(fd, "0\r\n\r\n");
        return;
    }
    case EV_HANG:
        if (send_str(fd, stream_hdr) || send_chunk(fd, one, strlen(one)))
            return;
        wait_hangup(f, fd);
        return;
    case EV_ERROR:
        respond(fd, 500, "Internal Server Error", "{\"message\":\"boom: events unavailable\"}\n");
        return;
    case EV_GARBAGE:
        if (send_str(fd, stream_hdr) || send_chunk(fd, one, strlen(one)) ||
            send_chunk(fd, "x{}", 3))
            return;
        wait_hangup(f, fd);
        return;
    }
}

static void serve_huge_body(int fd)
{
    static char blob[1 << 20];
    memset(blob, ' ', sizeof(blob));
    char hdr[160];
    snprintf(hdr, sizeof(hdr),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %u\r\n"
             "Connection: close\r\n\r\n",
             70u << 20);
    if (send_str(fd, hdr))
        return;
    for (int i = 0; i < 70; i++)
        if (send_all(fd, blob, sizeof(blob)))
            return;
}

static void serve_conn(fake_engine *f, int fd)
{
    char req[4096], path[512];
    size_t got = 0;
    while (!memmem(req, got, "\r\n\r\n", 4)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (got == sizeof(req) || poll(&p, 1, 2000) <= 0)
            return;
        ssize_t r = recv(fd, req + got, sizeof(req) - got, 0);
        if (r <= 0)
            return;
        got += (size_t)r;
    }
    req[got < sizeof(req) ? got : sizeof(req) - 1] = '\0';
    if (sscanf(req, "GET %511s ", path) != 1) {
        respond(fd, 400, "Bad Request", "{\"message\":\"bad request\"}");
        return;
    }
    pthread_mutex_lock(&f->mu);
    if (f->npaths < 32)
        snprintf(f->paths[f->npaths++], sizeof(f->paths[0]), "%s", path);
    pthread_mutex_unlock(&f->mu);

    if (strcmp(path, "/version") == 0) {
        respond(fd, 200, "OK", f->version);
    } else if (strstr(path, "/events?")) {
        serve_events(f, fd);
    } else if (strstr(path, "/containers/json")) {
        if (atomic_load(&f->huge_list))
            serve_huge_body(fd);
        else
            respond(fd, 200, "OK", "[{\"Id\":\"" WEB_ID "\",\"Names\":[\"/web\"]}]");
    } else if (strstr(path, "/containers/nope/json")) {
        respond(fd, 404, "Not Found", "{\"message\":\"No such container: nope\"}\n");
    } else if (strstr(path, "/json?size=1")) {
        respond(fd, 200, "OK",
                "{\"Id\":\"" WEB_ID "\",\"Name\":\"/web\",\"SizeRw\":777,\"SizeRootFs\":9999}");
    } else if (strstr(path, "/containers/")) {
        respond(fd, 200, "OK", "{\"Id\":\"" WEB_ID "\",\"Name\":\"/web\"}");
    } else {
        respond(fd, 404, "Not Found", "page not found");
    }
}

static void *fake_main(void *arg)
{
    fake_engine *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_conn(f, fd);
        close(fd);
    }
    return NULL;
}

static fake_engine *fake_start(const char *version)
{
    fake_engine *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/berth-dk-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
    f->version = version;
    pthread_mutex_init(&f->mu, NULL);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(f->lfd >= 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
    return f;
}

static void fake_stop(fake_engine *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->th, NULL);
    close(f->lfd);
    unlink(f->sock);
    rmdir(f->dir);
    buf_free(&f->events);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static void fake_path(fake_engine *f, int i, char *out, size_t outlen)
{
    pthread_mutex_lock(&f->mu);
    snprintf(out, outlen, "%s", i < f->npaths ? f->paths[i] : "");
    pthread_mutex_unlock(&f->mu);
}

static dk_client *fake_client(fake_engine *f)
{
    char host[160], err[256];
    dk_client *c = NULL;
    snprintf(host, sizeof(host), "unix://%s", f->sock);
    assert_int_equal(dk_client_new(host, &c, err, sizeof(err)), 0);
    return c;
}

#define V141      "{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}"
#define V152      "{\"ApiVersion\":\"1.52\",\"MinAPIVersion\":\"1.44\"}"
#define V_TOO_NEW "{\"ApiVersion\":\"1.55\",\"MinAPIVersion\":\"1.50\"}"

/* ---- client construction ---------------------------------------------- */

static void test_client_new(void **state)
{
    dk_client *c = NULL;
    char err[256] = "";
    assert_int_equal(dk_client_new("tcp://127.0.0.1:2375", &c, err, sizeof(err)), -EPROTONOSUPPORT);
    assert_null(c);
    assert_non_null(strstr(err, "only unix://"));
    assert_int_equal(dk_client_new("unix://", &c, err, sizeof(err)), -EINVAL);

    setenv("DOCKER_HOST", "ssh://host", 1);
    assert_int_equal(dk_client_new(NULL, &c, err, sizeof(err)), -EPROTONOSUPPORT);
    unsetenv("DOCKER_HOST");
    assert_int_equal(dk_client_new(NULL, &c, err, sizeof(err)), 0);
    assert_string_equal(dk_api_version(c), "");
    dk_client_free(c);
    dk_client_free(NULL);

    /* nobody listening: a clear error, never -ENOENT (that means 404) */
    assert_int_equal(dk_client_new("unix:///nonexistent/berth/docker.sock", &c, err, sizeof(err)),
                     0);
    int rc = dk_negotiate(c, err, sizeof(err));
    assert_int_equal(rc, -ECONNREFUSED);
    assert_non_null(strstr(err, "cannot connect to the Docker daemon at "
                                "unix:///nonexistent/berth/docker.sock"));
    dk_client_free(c);
}

/* ---- negotiation ------------------------------------------------------ */

static void test_negotiate_a_old_daemon(void **state)
{
    fake_engine *f = fake_start(V141);
    dk_client *c = fake_client(f);
    char err[256] = "", path[512];
    bmeta *v = NULL;
    size_t n = 0;
    assert_int_equal(dk_negotiate(c, err, sizeof(err)), 0);
    assert_string_equal(dk_api_version(c), "1.41");
    assert_int_equal(dk_list(c, 1, &v, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "web");
    free_list(v, n);
    fake_path(f, 0, path, sizeof(path));
    assert_string_equal(path, "/version");
    fake_path(f, 1, path, sizeof(path));
    assert_string_equal(path, "/v1.41/containers/json?all=1");
    dk_client_free(c);
    fake_stop(f);
}

static void test_negotiate_b_new_daemon(void **state)
{
    fake_engine *f = fake_start(V152);
    dk_client *c = fake_client(f);
    char err[256] = "", path[512];
    bmeta m;
    assert_int_equal(dk_negotiate(c, err, sizeof(err)), 0);
    assert_string_equal(dk_api_version(c), DK_API_MAX);
    assert_int_equal(dk_inspect(c, "web", &m, err, sizeof(err)), 0);
    assert_string_equal(m.id, WEB_ID);
    assert_string_equal(m.name, "web");
    bmeta_clear(&m);
    fake_path(f, 1, path, sizeof(path));
    assert_string_equal(path, "/v1.47/containers/web/json");
    dk_client_free(c);
    fake_stop(f);
}

/* GET /containers/{id}/json?size=1 through the transport */
static void test_container_size(void **state)
{
    fake_engine *f = fake_start(V141);
    dk_client *c = fake_client(f);
    char err[256] = "", path[512];
    int64_t rw = 0, rootfs = 0;
    assert_int_equal(dk_container_size(c, "web", &rw, &rootfs, err, sizeof(err)), 0);
    assert_int_equal(rw, 777);
    assert_int_equal(rootfs, 9999);
    fake_path(f, 1, path, sizeof(path));
    assert_string_equal(path, "/v1.41/containers/web/json?size=1");
    assert_int_equal(dk_container_size(c, "nope", &rw, &rootfs, err, sizeof(err)), -ENOENT);
    assert_int_equal(rw, -1);
    assert_int_equal(dk_container_size(c, "", &rw, &rootfs, err, sizeof(err)), -EINVAL);
    dk_client_free(c);
    fake_stop(f);
}

static void test_negotiate_c_too_new(void **state)
{
    fake_engine *f = fake_start(V_TOO_NEW);
    dk_client *c = fake_client(f);
    char err[256] = "";
    assert_int_equal(dk_negotiate(c, err, sizeof(err)), -EPROTONOSUPPORT);
    assert_non_null(strstr(err, "1.50"));
    assert_non_null(strstr(err, DK_API_MAX));
    assert_string_equal(dk_api_version(c), "");
    /* and a lazy negotiation fails the same way */
    bmeta *v = NULL;
    size_t n = 0;
    assert_int_equal(dk_list(c, 0, &v, &n, err, sizeof(err)), -EPROTONOSUPPORT);
    assert_null(v);
    dk_client_free(c);
    fake_stop(f);
}

static void test_negotiate_bad_answer(void **state)
{
    fake_engine *f = fake_start("{\"ApiVersion\":\"1.41/../x\"}");
    dk_client *c = fake_client(f);
    char err[256] = "";
    assert_int_equal(dk_negotiate(c, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "malformed"));
    assert_string_equal(dk_api_version(c), "");
    dk_client_free(c);
    fake_stop(f);
}

/* ---- requests --------------------------------------------------------- */

static void test_lazy_negotiate_and_inspect(void **state)
{
    fake_engine *f = fake_start(V141);
    dk_client *c = fake_client(f);
    char err[256] = "", path[512];
    bmeta m;
    /* no dk_negotiate: the first request negotiates */
    assert_int_equal(dk_inspect(c, "nope", &m, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "404"));
    assert_non_null(strstr(err, "No such container: nope"));
    assert_string_equal(m.id, "");
    fake_path(f, 0, path, sizeof(path));
    assert_string_equal(path, "/version");
    fake_path(f, 1, path, sizeof(path));
    assert_string_equal(path, "/v1.41/containers/nope/json");

    /* an id cannot rewrite the path */
    assert_int_equal(dk_inspect(c, "a/../b?c d", &m, err, sizeof(err)), 0);
    bmeta_clear(&m);
    fake_path(f, 2, path, sizeof(path));
    assert_string_equal(path, "/v1.41/containers/a%2F..%2Fb%3Fc%20d/json");

    assert_int_equal(dk_inspect(c, "", &m, err, sizeof(err)), -EINVAL);
    dk_client_free(c);
    fake_stop(f);
}

static void test_body_cap(void **state)
{
    fake_engine *f = fake_start(V141);
    atomic_store(&f->huge_list, 1);
    dk_client *c = fake_client(f);
    char err[256] = "";
    bmeta *v = NULL;
    size_t n = 0;
    assert_int_equal(dk_list(c, 0, &v, &n, err, sizeof(err)), -EMSGSIZE);
    assert_non_null(strstr(err, "exceeds 64 MiB"));
    assert_null(v);
    dk_client_free(c);
    fake_stop(f);
}

/* ---- events ----------------------------------------------------------- */

typedef struct ev_log {
    dk_event ev[64];
    atomic_int n;
    int stop_after; /* 0: never */
} ev_log;

static int ev_collect(const dk_event *ev, void *arg)
{
    ev_log *l = arg;
    int i = atomic_load(&l->n);
    if (i < 64)
        l->ev[i] = *ev;
    atomic_store(&l->n, i + 1);
    return l->stop_after && i + 1 >= l->stop_after;
}

static void test_events_odd_chunks(void **state)
{
    fake_engine *f = fake_start(V141);
    read_fixture("events.jsonl", &f->events);
    dk_client *c = fake_client(f);
    char err[256] = "", path[512];
    static ev_log l;
    memset(&l, 0, sizeof(l));

    /* the stream ends when the fake closes it: every container event seen */
    assert_int_equal(dk_events(c, 1795614947, ev_collect, &l, err, sizeof(err)), -ECONNRESET);
    assert_non_null(strstr(err, "ended"));
    assert_int_equal(atomic_load(&l.n), 24);
    assert_string_equal(l.ev[0].action, "create");
    assert_string_equal(l.ev[0].id, WEB_ID);
    assert_string_equal(l.ev[0].name, "berth-fx-web");
    assert_int_equal(l.ev[0].time_nano, 1795614947545633531LL);
    int renames = 0;
    for (int i = 0; i < 24; i++) {
        if (strcmp(l.ev[i].action, "rename") == 0) {
            renames++;
            assert_string_equal(l.ev[i].name, "berth-fx-renamed");
            assert_string_equal(l.ev[i].old_name, "berth-fx-tmp");
        }
    }
    assert_int_equal(renames, 1);
    assert_string_equal(l.ev[23].action, "exec_die");
    fake_path(f, 1, path, sizeof(path));
    assert_string_equal(
        path, "/v1.41/events?since=1795614947&filters=%7B%22type%22%3A%5B%22container%22%5D%7D");

    /* the callback stops the stream: 0 */
    memset(&l, 0, sizeof(l));
    l.stop_after = 3;
    assert_int_equal(dk_events(c, 0, ev_collect, &l, err, sizeof(err)), 0);
    assert_int_equal(atomic_load(&l.n), 3);
    assert_string_equal(l.ev[1].action, "start"); /* network connect skipped */
    assert_string_equal(l.ev[2].action, "create");
    assert_string_equal(l.ev[2].id, SLOW_ID);
    fake_path(f, 2, path, sizeof(path));
    assert_string_equal(path, "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D");

    dk_client_free(c);
    fake_stop(f);
}

static void test_events_oversized(void **state)
{
    fake_engine *f = fake_start(V141);
    atomic_store(&f->ev_mode, EV_HUGE);
    dk_client *c = fake_client(f);
    char err[256] = "";
    static ev_log l;
    memset(&l, 0, sizeof(l));
    assert_int_equal(dk_events(c, 0, ev_collect, &l, err, sizeof(err)), -EMSGSIZE);
    assert_non_null(strstr(err, "larger than 1024 KiB"));
    assert_int_equal(atomic_load(&l.n), 1); /* the one before it was delivered */
    dk_client_free(c);
    fake_stop(f);
}

static void test_events_http_error_and_garbage(void **state)
{
    fake_engine *f = fake_start(V141);
    atomic_store(&f->ev_mode, EV_ERROR);
    dk_client *c = fake_client(f);
    char err[256] = "";
    static ev_log l;
    memset(&l, 0, sizeof(l));
    assert_int_equal(dk_events(c, 0, ev_collect, &l, err, sizeof(err)), -EIO);
    assert_non_null(strstr(err, "HTTP 500"));
    assert_non_null(strstr(err, "boom: events unavailable"));
    assert_int_equal(atomic_load(&l.n), 0);

    atomic_store(&f->ev_mode, EV_GARBAGE);
    assert_int_equal(dk_events(c, 0, ev_collect, &l, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "unexpected byte 0x78"));
    assert_int_equal(atomic_load(&l.n), 1);
    dk_client_free(c);
    fake_stop(f);
}

typedef struct ev_thread {
    dk_client *c;
    ev_log *log;
    int rc;
    char err[256];
} ev_thread;

static void *ev_thread_main(void *arg)
{
    ev_thread *t = arg;
    t->rc = dk_events(t->c, 0, ev_collect, t->log, t->err, sizeof(t->err));
    return NULL;
}

static void test_events_cancel(void **state)
{
    fake_engine *f = fake_start(V141);
    atomic_store(&f->ev_mode, EV_HANG);
    dk_client *c = fake_client(f);
    static ev_log l;
    memset(&l, 0, sizeof(l));
    ev_thread t = {.c = c, .log = &l};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ev_thread_main, &t), 0);

    /* wait until the stream is live and idle */
    int64_t deadline = now_ms() + 5000;
    while (atomic_load(&l.n) < 1 && now_ms() < deadline)
        sleep_ms(2);
    assert_int_equal(atomic_load(&l.n), 1);
    sleep_ms(50);

    int64_t t0 = now_ms();
    dk_cancel(c);
    pthread_join(th, NULL);
    int64_t took = now_ms() - t0;
    assert_int_equal(t.rc, -ECANCELED);
    assert_true(took < 200);

    /* sticky: a later dk_events on this client returns at once */
    char err[256];
    assert_int_equal(dk_events(c, 0, ev_collect, &l, err, sizeof(err)), -ECANCELED);
    /* other requests still work */
    bmeta m;
    assert_int_equal(dk_inspect(c, "web", &m, err, sizeof(err)), 0);
    bmeta_clear(&m);
    dk_client_free(c);
    fake_stop(f);
}

static int global_setup(void **state)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int global_teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_cmp),
        cmocka_unit_test(test_parse_version_fixture),
        cmocka_unit_test(test_parse_version_hostile),
        cmocka_unit_test(test_parse_list_all),
        cmocka_unit_test(test_parse_list_running),
        cmocka_unit_test(test_parse_list_hostile),
        cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_parse_inspect_running),
        cmocka_unit_test(test_parse_inspect_stopped),
        cmocka_unit_test(test_parse_inspect_hostile),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_container_size),
        cmocka_unit_test(test_parse_event_fixture),
        cmocka_unit_test(test_parse_event_hostile),
        cmocka_unit_test(test_client_new),
        cmocka_unit_test(test_negotiate_a_old_daemon),
        cmocka_unit_test(test_negotiate_b_new_daemon),
        cmocka_unit_test(test_negotiate_c_too_new),
        cmocka_unit_test(test_negotiate_bad_answer),
        cmocka_unit_test(test_lazy_negotiate_and_inspect),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_events_odd_chunks),
        cmocka_unit_test(test_events_oversized),
        cmocka_unit_test(test_events_http_error_and_garbage),
        cmocka_unit_test(test_events_cancel),
    };
    return cmocka_run_group_tests_name("docker", tests, global_setup, global_teardown);
}
