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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/zbxpush.h"
#include "export/prom_zabbix.h"
#include "agent/config.h"
#include "zabbix/active.h"
#include "zabbix/zbx.h"

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
        zbxpush_opts o = {0};
        snprintf(o.server, sizeof(o.server), "%s", bad[i]);
        assert_int_equal(zbxpush_start(NULL, &o, &a, err, sizeof(err)), -EINVAL);
        assert_null(a);
        assert_non_null(strstr(err, "zabbix_active"));
    }
    /* good ones start (an hour's interval: nothing is collected) and stop */
    static const char *good[] = {"127.0.0.1", "127.0.0.1:10051", "[::1]:10051", "::1",
                                 "zabbix.example.org:10051"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        zbxpush *a = NULL;
        zbxpush_opts o = {.interval_ms = 3600000, .host = "h"};
        snprintf(o.server, sizeof(o.server), "%s", good[i]);
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
    assert_string_equal(c.zbxpush.server, "");
    assert_true(c.zbxpush.interval_ms == 60000);
    const char txt[] = "zabbix_active zbx.example:10051\nzabbix_host docker-01\n"
                       "zabbix_active_interval 30s\nzabbix_active_items agent.ping,berth.*\n";
    assert_int_equal(cfg_parse(&c, txt, sizeof(txt) - 1, err, sizeof(err)), 0);
    assert_string_equal(c.zbxpush.server, "zbx.example:10051");
    assert_string_equal(c.zbxpush.host, "docker-01");
    assert_true(c.zbxpush.interval_ms == 30000);
    assert_string_equal(c.zbxpush.items, "agent.ping,berth.*");
    assert_int_equal(cfg_set(&c, "zabbix_active", "off", err, sizeof(err)), 0);
    assert_string_equal(c.zbxpush.server, "");
    assert_int_equal(cfg_set(&c, "zabbix_active_interval", "500ms", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&c, "zabbix_active", "a b", err, sizeof(err)), -EINVAL);
    const char bad[] = "zabbix_active :10051\n";
    assert_int_equal(cfg_parse(&c, bad, sizeof(bad) - 1, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1"));
}

/* The berth_zabbix_active_* families, byte for byte (as /metrics served
 * them before the render moved to export/prom_zabbix.c). */
static void t_prom_render(void **st)
{
    (void)st;
    zbx_active_stats s = {.up = 1,
                          .batches_sent = 3,
                          .batches_rejected = 1,
                          .batches_dropped = 2,
                          .values_sent = 120,
                          .values_processed = 118,
                          .values_failed = 2,
                          .values_dropped = 80,
                          .send_errors = 4,
                          .queue_batches = 5,
                          .last_exchange_s = 0.0125};
    buf b = BUF_INIT;
    prom_zabbix_render(&s, &b);
    assert_string_equal(
        b.data,
        "# HELP berth_zabbix_active_up 1 when the last exchange with the Zabbix server or proxy "
        "got a reply\n# TYPE berth_zabbix_active_up gauge\nberth_zabbix_active_up 1\n"
        "# HELP berth_zabbix_active_batches_sent_total batches the server answered with success\n"
        "# TYPE berth_zabbix_active_batches_sent_total counter\n"
        "berth_zabbix_active_batches_sent_total 3\n"
        "# HELP berth_zabbix_active_batches_rejected_total batches the server refused as a whole "
        "(response failed)\n# TYPE berth_zabbix_active_batches_rejected_total counter\n"
        "berth_zabbix_active_batches_rejected_total 1\n"
        "# HELP berth_zabbix_active_batches_dropped_total batches dropped from the full queue "
        "while the server was unreachable\n"
        "# TYPE berth_zabbix_active_batches_dropped_total counter\n"
        "berth_zabbix_active_batches_dropped_total 2\n"
        "# HELP berth_zabbix_active_values_sent_total values in batches the server answered with "
        "success\n# TYPE berth_zabbix_active_values_sent_total counter\n"
        "berth_zabbix_active_values_sent_total 120\n"
        "# HELP berth_zabbix_active_values_processed_total values the server reported "
        "processed\n# TYPE berth_zabbix_active_values_processed_total counter\n"
        "berth_zabbix_active_values_processed_total 118\n"
        "# HELP berth_zabbix_active_values_failed_total values the server reported failed "
        "(unknown host or item, not a trapper item)\n"
        "# TYPE berth_zabbix_active_values_failed_total counter\n"
        "berth_zabbix_active_values_failed_total 2\n"
        "# HELP berth_zabbix_active_values_dropped_total values in dropped batches\n"
        "# TYPE berth_zabbix_active_values_dropped_total counter\n"
        "berth_zabbix_active_values_dropped_total 80\n"
        "# HELP berth_zabbix_active_send_errors_total exchanges that failed (connect, I/O, "
        "timeout, malformed reply); retried\n"
        "# TYPE berth_zabbix_active_send_errors_total counter\n"
        "berth_zabbix_active_send_errors_total 4\n"
        "# HELP berth_zabbix_active_queue_batches batches waiting to be sent\n"
        "# TYPE berth_zabbix_active_queue_batches gauge\nberth_zabbix_active_queue_batches 5\n"
        "# HELP berth_zabbix_active_last_exchange_seconds duration of the last successful "
        "exchange\n# TYPE berth_zabbix_active_last_exchange_seconds gauge\n"
        "berth_zabbix_active_last_exchange_seconds 0.0125\n");
    buf_free(&b);
}

static void t_split_server(void **st)
{
    (void)st;
    static const struct {
        const char *in, *node, *port;
    } ok[] = {{"127.0.0.1", "127.0.0.1", "10051"}, {"zbx:10052", "zbx", "10052"},
              {"[::1]:10053", "::1", "10053"},     {"::1", "::1", "10051"},
              {"[fe80::1]", "fe80::1", "10051"},   {"h:065535", "h", "65535"}};
    char node[256], port[8];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(zbx_active_split_server(ok[i].in, node, sizeof(node), port, sizeof(port)),
                         0);
        assert_string_equal(node, ok[i].node);
        assert_string_equal(port, ok[i].port);
    }
    assert_int_equal(zbx_active_split_server("abcdef:1", node, 4, port, sizeof(port)), -EINVAL);
}

/* ---- one exchange against a loopback peer ---------------------------------- */

enum { PEER_OK, PEER_CLOSE, PEER_JUNK, PEER_SILENT, PEER_COMPRESSED };

typedef struct peer {
    int lfd, mode;
    pthread_t th;
    size_t got; /* bytes of the request read */
} peer;

static void frame_reply(buf *b, unsigned flags, const char *body)
{
    size_t n = strlen(body);
    buf_append(b, "ZBXD", 4);
    buf_putc(b, (char)flags);
    for (int i = 0; i < 4; i++)
        buf_putc(b, (char)((n >> (8 * i)) & 0xff));
    /* reserved: the uncompressed size, which a compressed frame must carry */
    buf_append(b, (flags & ZBX_FLAG_COMPRESSED) ? "\x64\0\0\0" : "\0\0\0\0", 4);
    buf_append(b, body, n);
}

static void *peer_run(void *arg)
{
    peer *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char tmp[65536];
    /* the request: header, then as many bytes as it announces */
    size_t need = 13;
    while (p->got < need) {
        ssize_t n = recv(fd, tmp + p->got, sizeof(tmp) - p->got, 0);
        if (n <= 0)
            break;
        p->got += (size_t)n;
        if (p->got >= 13)
            need = 13 + ((size_t)(unsigned char)tmp[5] | (size_t)(unsigned char)tmp[6] << 8 |
                         (size_t)(unsigned char)tmp[7] << 16);
    }
    buf b = BUF_INIT;
    if (p->mode == PEER_OK)
        frame_reply(&b, 1,
                    "{\"response\":\"success\",\"info\":\"processed: 2; failed: 0; total: 2; "
                    "seconds spent: 0.000055\"}");
    else if (p->mode == PEER_JUNK)
        frame_reply(&b, 1, "hello\x01");
    else if (p->mode == PEER_COMPRESSED)
        frame_reply(&b, 3, "x");
    else if (p->mode == PEER_CLOSE)
        frame_reply(&b, 1, "{\"response\":\"success\"}"), b.len -= 5;
    if (b.len)
        (void)!send(fd, b.data, b.len, MSG_NOSIGNAL);
    if (p->mode == PEER_SILENT)
        (void)!recv(fd, tmp, 1, 0); /* until the client gives up */
    buf_free(&b);
    close(fd);
    return NULL;
}

static int peer_start(peer *p, int mode, char *port, size_t cap)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(a);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->lfd, 4), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &sl), 0);
    snprintf(port, cap, "%u", (unsigned)ntohs(a.sin_port));
    return pthread_create(&p->th, NULL, peer_run, p);
}

static void peer_join(peer *p)
{
    pthread_join(p->th, NULL);
    close(p->lfd);
}

/* One exchange of a two-value batch with a peer in mode; returns rc. */
static int exchange_with(int mode, int timeout_ms, int cancel, char *err, size_t errlen,
                         zbx_sender_reply *r, size_t *got)
{
    peer p;
    char port[8], server[32];
    assert_int_equal(peer_start(&p, mode, port, sizeof(port)), 0);
    snprintf(server, sizeof(server), "127.0.0.1:%s", port);
    conn *c = NULL;
    conn_opts co = {.host = "127.0.0.1", .port = port, .timeout_ms = timeout_ms};
    assert_int_equal(conn_new(&co, &c, err, errlen), 0);
    int efd = eventfd(cancel ? 1 : 0, EFD_NONBLOCK);
    conn_set_cancel(c, efd);
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    assert_int_equal(zbx_sbatch_add(&b, "h", 1, "agent.ping", 10, "1", 1, 1700000000, 0), 0);
    assert_int_equal(zbx_sbatch_add(&b, "h", 1, "agent.version", 13, "1.0", 3, 1700000000, 0), 0);
    buf frame = BUF_INIT;
    assert_int_equal(zbx_sbatch_frame(&b, 1700000001, 0, &frame), 0);
    int rc = zbx_active_exchange(c, server, timeout_ms, &frame, r, err, errlen);
    if (cancel || rc == -ECONNREFUSED) {
        /* the peer may still wait in accept: connect once to release it */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)atoi(port)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        (void)!connect(fd, (struct sockaddr *)&a, sizeof(a));
        close(fd);
    }
    peer_join(&p);
    if (got)
        *got = p.got;
    if (got && rc == 0)
        assert_int_equal(*got, frame.len); /* the peer read the whole frame */
    buf_free(&frame);
    zbx_sbatch_free(&b);
    conn_free(c);
    close(efd);
    return rc;
}

static void t_exchange(void **st)
{
    (void)st;
    char err[256] = "";
    zbx_sender_reply r;
    size_t got;
    assert_int_equal(exchange_with(PEER_OK, 5000, 0, err, sizeof(err), &r, &got), 0);
    assert_true(r.success);
    assert_true(r.has_counts);
    assert_int_equal(r.processed, 2);

    assert_int_equal(exchange_with(PEER_CLOSE, 5000, 0, err, sizeof(err), &r, NULL), -ECONNRESET);
    assert_non_null(strstr(err, ": connection closed before a full reply"));
    assert_true(strncmp(err, "reply from 127.0.0.1:", 21) == 0);

    assert_int_equal(exchange_with(PEER_JUNK, 5000, 0, err, sizeof(err), &r, NULL), -EPROTO);
    assert_non_null(strstr(err, " is not a sender response: \"hello?\""));

    assert_int_equal(exchange_with(PEER_COMPRESSED, 5000, 0, err, sizeof(err), &r, NULL), -EPROTO);
    assert_non_null(strstr(err, "bad reply header from 127.0.0.1:"));
    assert_non_null(strstr(err, " (compressed)"));

    /* a peer that never answers: the exchange's deadline ends it */
    assert_int_equal(exchange_with(PEER_SILENT, 200, 0, err, sizeof(err), &r, NULL), -ETIMEDOUT);
    assert_non_null(strstr(err, ": Connection timed out"));

    /* stop asked: the cancel descriptor is readable */
    int rc = exchange_with(PEER_SILENT, 5000, 1, err, sizeof(err), &r, NULL);
    assert_int_equal(rc, -ECANCELED);
}

static void t_exchange_refused(void **st)
{
    (void)st;
    /* a port nobody listens on: bind one, close it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    close(fd);
    char port[8], server[32], err[256];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));
    snprintf(server, sizeof(server), "127.0.0.1:%s", port);
    conn *c = NULL;
    conn_opts co = {.host = "127.0.0.1", .port = port, .timeout_ms = 2000};
    assert_int_equal(conn_new(&co, &c, err, sizeof(err)), 0);
    buf frame = BUF_INIT;
    buf_puts(&frame, "x");
    zbx_sender_reply r;
    assert_int_equal(zbx_active_exchange(c, server, 2000, &frame, &r, err, sizeof(err)),
                     -ECONNREFUSED);
    char want[96];
    snprintf(want, sizeof(want), "connect to %s: Connection refused", server);
    assert_string_equal(err, want);
    conn_free(c);
    /* a name that does not resolve */
    co.host = "no-such-host.invalid";
    assert_int_equal(conn_new(&co, &c, err, sizeof(err)), 0);
    assert_int_equal(
        zbx_active_exchange(c, "no-such-host.invalid:10051", 2000, &frame, &r, err, sizeof(err)),
        -EHOSTUNREACH);
    assert_true(strncmp(err, "cannot resolve no-such-host.invalid: ", 37) == 0);
    conn_free(c);
    buf_free(&frame);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_selected),        cmocka_unit_test(t_server_addresses),
        cmocka_unit_test(t_config_keys),     cmocka_unit_test(t_prom_render),
        cmocka_unit_test(t_split_server),    cmocka_unit_test(t_exchange),
        cmocka_unit_test(t_exchange_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
