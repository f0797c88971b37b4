/*
 * test_lout_redis: the RESP encoder (exact RPUSH bytes with binary-safe
 * lengths) and the reply parser (every reply type, partial input, garbage),
 * plus the output against a fake Redis on 127.0.0.1 that answers an
 * integer, an error, garbage, or closes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "logs/lenc.h"
#include "logs/lout.h"
#include "unit/lout_fixture.h"

extern const lout_ops lout_redis_ops;

static void test_rpush_exact(void **state)
{
    lrec r[2] = {fx_bare("a", 1), fx_bare("b\r\n", 3)};
    r[0].path = r[1].path = "";
    buf b = BUF_INIT;
    lenc_redis_rpush(&b, "logs", r, 2);
    const char *d1 = "{\"@timestamp\":\"2025-11-25T16:22:44.123456789Z\",\"message\":\"a\","
                     "\"stream\":\"file\",\"host\":{\"name\":\"h1\"}}";
    const char *d2 = "{\"@timestamp\":\"2025-11-25T16:22:44.123456789Z\",\"message\":\"b\\r\\n\","
                     "\"stream\":\"file\",\"host\":{\"name\":\"h1\"}}";
    char want[1024];
    snprintf(want, sizeof(want), "*4\r\n$5\r\nRPUSH\r\n$4\r\nlogs\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
             strlen(d1), d1, strlen(d2), d2);
    assert_string_equal(b.data, want);
    buf_reset(&b);
    const char *argv[] = {"AUTH", "s3cret"};
    lenc_resp_cmd(&b, 2, argv);
    assert_string_equal(b.data, "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n");
    buf_free(&b);
}

static void test_resp_parse(void **state)
{
    lenc_resp r;
    assert_int_equal(lenc_resp_parse(":42\r\n", 5, &r), 5);
    assert_int_equal(r.type, LENC_RESP_INT);
    assert_int_equal(r.ival, 42);
    assert_int_equal(lenc_resp_parse(":-3\r\n", 5, &r), 5);
    assert_int_equal(r.ival, -3);
    assert_int_equal(lenc_resp_parse("+OK\r\n", 5, &r), 5);
    assert_int_equal(r.type, LENC_RESP_STATUS);
    assert_int_equal(r.len, 2);
    const char *e = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_int_equal(lenc_resp_parse(e, strlen(e), &r), (long)strlen(e));
    assert_int_equal(r.type, LENC_RESP_ERROR);
    assert_memory_equal(r.str, "WRONGTYPE", 9);
    assert_int_equal(lenc_resp_parse("$3\r\na\r\n\r\n", 9, &r), 9);
    assert_int_equal(r.len, 3);
    assert_memory_equal(r.str, "a\r\n", 3);
    assert_int_equal(lenc_resp_parse("$-1\r\n", 5, &r), 5);
    assert_int_equal(r.ival, -1);
    assert_int_equal(lenc_resp_parse("*2\r\n:1\r\n$1\r\nx\r\n", 15, &r), 15);
    assert_int_equal(r.type, LENC_RESP_ARRAY);
    assert_int_equal(r.ival, 2);
}

static void test_resp_partial_and_garbage(void **state)
{
    const char *full = "*2\r\n:1\r\n$5\r\nhello\r\n";
    lenc_resp r;
    for (size_t i = 0; i < strlen(full); i++)
        assert_int_equal(lenc_resp_parse(full, i, &r), -EAGAIN);
    assert_int_equal(lenc_resp_parse(full, strlen(full), &r), (long)strlen(full));
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\n",
        ":12a\r\n",
        ":\r\n",
        "$5\r\nhelloXX",
        "$-2\r\n",
        "+OK\n",
        ":1\rx",
        "*-5\r\n",
        ":99999999999999999999\r\n",
        "$99999999999\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(lenc_resp_parse(bad[i], strlen(bad[i]), &r), -EPROTO);
    /* deep nesting is refused, not recursed into */
    char deep[80];
    for (int i = 0; i < 20; i++)
        memcpy(deep + 4 * i, "*1\r\n", 4);
    assert_int_equal(lenc_resp_parse(deep, sizeof(deep), &r), -EPROTO);
}

/* ---- the output against a fake Redis -------------------------------------- */

typedef struct fake {
    int lfd;
    int port;
    const char *answer; /* NULL: close without answering */
    size_t got;         /* bytes of the last command read */
} fake;

static void *fake_main(void *arg)
{
    fake *f = arg;
    int c = accept(f->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    /* read one RPUSH: until the expected number of CRLF-terminated parts */
    char buf_[65536];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(c, buf_ + n, sizeof(buf_) - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        lenc_resp dummy;
        if (lenc_resp_parse(buf_, n, &dummy) > 0)
            break;
    }
    f->got = n;
    if (f->answer)
        (void)!write(c, f->answer, strlen(f->answer));
    close(c);
    return NULL;
}

static void fake_start(fake *f, pthread_t *t)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    getsockname(f->lfd, (struct sockaddr *)&a, &al);
    f->port = ntohs(a.sin_port);
    pthread_create(t, NULL, fake_main, f);
}

static int send_one(int port, uint8_t *st, char *err, size_t errlen)
{
    lout_cfg c;
    memset(&c, 0, sizeof(c));
    strcpy(c.name, "rd");
    strcpy(c.type, "redis");
    c.nopts = 3;
    strcpy(c.key[0], "port");
    snprintf(c.val[0], sizeof(c.val[0]), "%d", port);
    strcpy(c.key[1], "key");
    strcpy(c.val[1], "logs");
    strcpy(c.key[2], "timeout");
    strcpy(c.val[2], "2s");
    void *s = NULL;
    assert_int_equal(lout_redis_ops.create(&c, &s, err, errlen), 0);
    lrec r[2] = {fx_rec("a", 1), fx_rec("b", 1)};
    int rc = lout_redis_ops.send(s, r, 2, st, err, errlen);
    lout_redis_ops.destroy(s);
    return rc;
}

static void test_output_replies(void **state)
{
    struct {
        const char *answer;
        int want_ok;
    } cases[] = {
        {":2\r\n", 1},
        {"-OOM command not allowed when used memory > 'maxmemory'\r\n", 0},
        {"garbage\r\n", 0},
        {NULL, 0}, /* closed before replying */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake f = {.answer = cases[i].answer};
        pthread_t t;
        fake_start(&f, &t);
        uint8_t st[2] = {9, 9};
        char err[256] = "";
        int rc = send_one(f.port, st, err, sizeof(err));
        pthread_join(t, NULL);
        close(f.lfd);
        assert_true(f.got > 0);
        if (cases[i].want_ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(st[0], LOUT_OK);
            assert_int_equal(st[1], LOUT_OK);
        } else {
            assert_true(rc < 0);
            assert_true(err[0] != '\0');
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpush_exact),
        cmocka_unit_test(test_resp_parse),
        cmocka_unit_test(test_resp_partial_and_garbage),
        cmocka_unit_test(test_output_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
