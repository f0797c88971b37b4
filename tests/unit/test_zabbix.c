/*
 * test_zabbix: the Zabbix agent module. The pure parsers are pinned on the
 * examples of Zabbix's documentation (header layout, item key syntax,
 * 7.0 "passive checks" JSON); the server is driven on 127.0.0.1 with raw
 * sockets the way a Zabbix server, an old headerless server, a port scanner
 * or a hostile neighbour would talk to it. If zabbix_get is installed
 * (Debian: zabbix-proxy-sqlite3), the real client is run against it too.
 *
 * Set BERTH_TEST_DEBUG=1 to see the module's log lines on stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/log.h"
#include "zabbix/zbx.h"

/* ---- header ------------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Builds a header with the given flags and lengths; returns its size. */
static size_t mkhdr(unsigned char *h, unsigned flags, uint64_t datalen, uint64_t reserved)
{
    size_t w = (flags & ZBX_FLAG_LARGE) ? 8 : 4;
    memcpy(h, "ZBXD", 4);
    h[4] = (unsigned char)flags;
    put_le(h + 5, datalen, w);
    put_le(h + 5 + w, reserved, w);
    return 5 + 2 * w;
}

static void test_header_normal(void **state)
{
    unsigned char h[32];
    zbx_header z;
    size_t n = mkhdr(h, 0x01, 10, 0);
    assert_int_equal(n, ZBX_HDR_MIN);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_int_equal(z.flags, 0x01);
    assert_int_equal(z.hdrlen, 13);
    assert_int_equal(z.datalen, 10);
    assert_int_equal(z.reserved, 0);

    /* extra bytes after the header (the body) do not matter */
    assert_int_equal(zbx_parse_header(h, sizeof(h), &z), 0);
    assert_int_equal(z.datalen, 10);

    /* the documented example: 1 is 01/00/00/00 */
    static const unsigned char doc[] = {'Z', 'B', 'X', 'D', 1, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(zbx_parse_header(doc, sizeof(doc), &z), 0);
    assert_int_equal(z.datalen, 1);

    /* uncompressed: reserved is ignored, as Zabbix does */
    n = mkhdr(h, 0x01, 5, 77);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_int_equal(z.datalen, 5);
}

static void test_header_large_and_compressed(void **state)
{
    unsigned char h[32];
    zbx_header z;
    size_t n = mkhdr(h, 0x05, 300, 0);
    assert_int_equal(n, ZBX_HDR_MAX);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_int_equal(z.hdrlen, 21);
    assert_int_equal(z.datalen, 300);
    assert_int_equal(z.flags, ZBX_FLAG_PROTOCOL | ZBX_FLAG_LARGE);

    n = mkhdr(h, 0x03, 20, 100);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_true(z.flags & ZBX_FLAG_COMPRESSED);
    assert_int_equal(z.reserved, 100);

    n = mkhdr(h, 0x07, 20, 100);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_int_equal(z.hdrlen, 21);
}

static void test_header_bad(void **state)
{
    unsigned char h[32];
    zbx_header z;

    assert_int_equal(zbx_parse_header((const unsigned char *)"ZBXE\x01", 5, &z), -EINVAL);
    assert_int_equal(zbx_parse_header((const unsigned char *)"GET / HTTP/1.1", 14, &z), -EINVAL);
    assert_int_equal(zbx_parse_header((const unsigned char *)"zb", 2, &z), -EINVAL);
    /* flags without 0x01, or with unknown bits */
    size_t n = mkhdr(h, 0x00, 1, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EINVAL);
    n = mkhdr(h, 0x02, 1, 1);
    assert_int_equal(zbx_parse_header(h, n, &z), -EINVAL);
    n = mkhdr(h, 0x09, 1, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EINVAL);
    n = mkhdr(h, 0x81, 1, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EINVAL);
}

static void test_header_truncated(void **state)
{
    unsigned char h[32];
    zbx_header z;
    size_t n = mkhdr(h, 0x01, 3, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(zbx_parse_header(h, i, &z), -EAGAIN);
    n = mkhdr(h, 0x05, 3, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(zbx_parse_header(h, i, &z), -EAGAIN);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
}

static void test_header_lengths(void **state)
{
    unsigned char h[32];
    zbx_header z;

    /* 1 GiB is the protocol's limit: exactly it parses, one more does not */
    size_t n = mkhdr(h, 0x01, ZBX_PROTO_MAX, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    n = mkhdr(h, 0x01, ZBX_PROTO_MAX + 1, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EMSGSIZE);
    n = mkhdr(h, 0x01, 0xffffffffu, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EMSGSIZE);
    n = mkhdr(h, 0x05, UINT64_MAX, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EMSGSIZE);
    n = mkhdr(h, 0x05, 16ull << 30, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EMSGSIZE);
    /* lying compressed sizes: 0 bytes uncompressed, or past the limit */
    n = mkhdr(h, 0x03, 10, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), -EINVAL);
    n = mkhdr(h, 0x03, 10, ZBX_PROTO_MAX + 1);
    assert_int_equal(zbx_parse_header(h, n, &z), -EMSGSIZE);
    /* an empty body is a valid header (the request is then an empty key) */
    n = mkhdr(h, 0x01, 0, 0);
    assert_int_equal(zbx_parse_header(h, n, &z), 0);
    assert_int_equal(z.datalen, 0);
}

static void test_encode(void **state)
{
    buf b = BUF_INIT;
    zbx_header z;
    zbx_encode(&b, "1", 1);
    assert_int_equal(b.len, 14);
    assert_memory_equal(b.data,
                        "ZBXD\x01\x01\0\0\0\0\0\0\0"
                        "1",
                        14);
    assert_int_equal(zbx_parse_header((unsigned char *)b.data, b.len, &z), 0);
    buf_reset(&b);
    zbx_encode(&b, "", 0);
    assert_int_equal(b.len, 13);
    assert_int_equal(zbx_parse_header((unsigned char *)b.data, b.len, &z), 0);
    assert_int_equal(z.datalen, 0);
    buf_free(&b);
}

/* ---- item keys ---------------------------------------------------------- */

static zbx_key *key_parse(const char *s, int want_rc)
{
    static zbx_key k; /* 33 KiB: not on the test's stack */
    memset(&k, 0x5a, sizeof(k));
    int rc = zbx_parse_key(s, strlen(s), &k);
    if (rc != want_rc)
        fail_msg("zbx_parse_key(%s) = %d, want %d", s, rc, want_rc);
    return &k;
}

static void test_key_documented(void **state)
{
    zbx_key *k = key_parse("agent.ping", 0);
    assert_string_equal(k->name, "agent.ping");
    assert_int_equal(k->nparams, 0);

    k = key_parse("vfs.fs.size[/,free]", 0);
    assert_string_equal(k->name, "vfs.fs.size");
    assert_int_equal(k->nparams, 2);
    assert_string_equal(k->params[0], "/");
    assert_string_equal(k->params[1], "free");
    assert_int_equal(k->type[1], ZBX_PARAM_STRING);

    k = key_parse("system.run[\"echo \\\"a,b\\\"\",wait]", 0);
    assert_string_equal(k->name, "system.run");
    assert_int_equal(k->nparams, 2);
    assert_string_equal(k->params[0], "echo \"a,b\"");
    assert_string_equal(k->params[1], "wait");

    k = key_parse("key[a,[b,c],d]", 0);
    assert_int_equal(k->nparams, 3);
    assert_string_equal(k->params[0], "a");
    assert_string_equal(k->params[1], "b,c");
    assert_int_equal(k->type[1], ZBX_PARAM_ARRAY);
    assert_string_equal(k->params[2], "d");

    k = key_parse("key[,x,]", 0);
    assert_int_equal(k->nparams, 3);
    assert_string_equal(k->params[0], "");
    assert_int_equal(k->type[0], ZBX_PARAM_EMPTY);
    assert_string_equal(k->params[1], "x");
    assert_string_equal(k->params[2], "");

    k = key_parse("key[]", 0);
    assert_int_equal(k->nparams, 1);
    assert_string_equal(k->params[0], "");

    k = key_parse("key[\"\"]", 0);
    assert_int_equal(k->nparams, 1);
    assert_string_equal(k->params[0], "");
    assert_int_equal(k->type[0], ZBX_PARAM_STRING);

    /* net.tcp.service[ftp,,155] from the manual: an empty middle param */
    k = key_parse("net.tcp.service[ftp,,155]", 0);
    assert_int_equal(k->nparams, 3);
    assert_string_equal(k->params[1], "");
    assert_string_equal(k->params[2], "155");
}

static void test_key_spacing_and_arrays(void **state)
{
    /* spaces before a param are skipped, after an unquoted one kept */
    zbx_key *k = key_parse("key[ a , \"b\" ,c ]", 0);
    assert_int_equal(k->nparams, 3);
    assert_string_equal(k->params[0], "a ");
    assert_string_equal(k->params[1], "b");
    assert_string_equal(k->params[2], "c ");

    /* inside quotes: brackets and commas are text, only \" is an escape */
    k = key_parse("key[\"[x],y\",\"a\\b\"]", 0);
    assert_string_equal(k->params[0], "[x],y");
    assert_string_equal(k->params[1], "a\\b");

    /* an array keeps its inner text: quotes kept, spaces before elements not */
    k = key_parse("key[[ \"a,b\", c\"d ], e]", 0);
    assert_int_equal(k->nparams, 2);
    assert_string_equal(k->params[0], "\"a,b\",c\"d ");
    assert_string_equal(k->params[1], "e");
    k = key_parse("key[[]]", 0);
    assert_int_equal(k->nparams, 1);
    assert_int_equal(k->type[0], ZBX_PARAM_ARRAY);
    assert_string_equal(k->params[0], "");
    k = key_parse("key[[a,,b]]", 0);
    assert_string_equal(k->params[0], "a,,b");

    /* an unquoted param may contain quotes and '[' after its first char */
    k = key_parse("key[a\"b,c[d]", 0);
    assert_string_equal(k->params[0], "a\"b");
    assert_string_equal(k->params[1], "c[d");
    /* UTF-8 passes through */
    k = key_parse("key[\xc3\xa9t\xc3\xa9]", 0);
    assert_string_equal(k->params[0], "\xc3\xa9t\xc3\xa9");
}

static void test_key_bad(void **state)
{
    static const char *const bad[] = {
        "",           "[a]",       "key[",        "key]",         "key[a",     "key[a]b",
        "key[a]]",    "key[\"a]",  "key[\"a\"b]", "key[[a,[b]]]", "key[[a]b]", "key[a,[b]",
        "ke y",       "key[a][b]", "key{a}",      "key[\"a\\\"]", "key]a[",    "key[]]",
        "key[[\"a]]", "агент",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        key_parse(bad[i], -EINVAL);
    zbx_key *k = key_parse("key", 0);
    assert_int_equal(zbx_parse_key("key[a\0b]", 8, k), -EINVAL);
    assert_int_equal(zbx_parse_key(NULL, 0, k), -EINVAL);
}

static void test_key_limits(void **state)
{
    char s[40000];
    zbx_key *k;

    /* 255-byte name fits, 256 does not */
    memset(s, 'n', 255);
    s[255] = '\0';
    k = key_parse(s, 0);
    assert_int_equal(strlen(k->name), 255);
    memset(s, 'n', 256);
    s[256] = '\0';
    key_parse(s, -E2BIG);

    /* 32 params fit, 33 do not */
    strcpy(s, "k[");
    for (int i = 0; i < 32; i++)
        strcat(s, i ? ",p" : "p");
    strcat(s, "]");
    k = key_parse(s, 0);
    assert_int_equal(k->nparams, 32);
    s[strlen(s) - 1] = '\0';
    strcat(s, ",p]");
    key_parse(s, -E2BIG);

    /* 1023 bytes per param fit, 1024 do not (quoted and array too) */
    strcpy(s, "k[");
    memset(s + 2, 'x', 1023);
    strcpy(s + 2 + 1023, "]");
    k = key_parse(s, 0);
    assert_int_equal(strlen(k->params[0]), 1023);
    strcpy(s, "k[");
    memset(s + 2, 'x', 1024);
    strcpy(s + 2 + 1024, "]");
    key_parse(s, -E2BIG);
    strcpy(s, "k[\"");
    memset(s + 3, 'x', 1024);
    strcpy(s + 3 + 1024, "\"]");
    key_parse(s, -E2BIG);
    strcpy(s, "k[[");
    memset(s + 3, 'x', 1024);
    strcpy(s + 3 + 1024, "]]");
    key_parse(s, -E2BIG);
}

/* ---- requests ----------------------------------------------------------- */

static void test_request_legacy(void **state)
{
    zbx_request r;
    const char *body = "vfs.fs.size[/,free]\r\n";
    assert_int_equal(zbx_parse_request(body, strlen(body), &r), 0);
    assert_int_equal(r.json, 0);
    assert_int_equal(r.nitems, 1);
    assert_int_equal(r.items[0].len, strlen("vfs.fs.size[/,free]"));
    assert_memory_equal(r.items[0].key, "vfs.fs.size[/,free]", r.items[0].len);
    zbx_request_free(&r);

    /* not a JSON object: a legacy key, even if it starts with '{' */
    assert_int_equal(zbx_parse_request("{\"request\":", 11, &r), 0);
    assert_int_equal(r.json, 0);
    zbx_request_free(&r);
    assert_int_equal(zbx_parse_request("[1,2]", 5, &r), 0);
    assert_int_equal(r.json, 0);
    zbx_request_free(&r);
    assert_int_equal(zbx_parse_request("", 0, &r), 0);
    assert_int_equal(r.nitems, 1);
    assert_int_equal(r.items[0].len, 0);
    zbx_request_free(&r);
}

static void test_request_json(void **state)
{
    zbx_request r;
    const char *body = "{\"request\":\"passive checks\",\"data\":[{\"key\":\"agent.version\","
                       "\"timeout\":3},{\"key\":\"k[a,\\\"b\\\"]\",\"timeout\":\"4s\"},"
                       "{\"key\":\"x\"}]}";
    assert_int_equal(zbx_parse_request(body, strlen(body), &r), 0);
    assert_int_equal(r.json, 1);
    assert_int_equal(r.nitems, 3);
    assert_string_equal(r.items[0].key, "agent.version");
    assert_int_equal(r.items[0].timeout_s, 3);
    assert_string_equal(r.items[1].key, "k[a,\"b\"]");
    assert_int_equal(r.items[1].len, 8);
    assert_int_equal(r.items[1].timeout_s, 4);
    assert_int_equal(r.items[2].timeout_s, 0);
    zbx_request_free(&r);

    static const char *const bad[] = {
        "{}",
        "{\"request\":\"active checks\",\"data\":[{\"key\":\"a\"}]}",
        "{\"request\":\"passive checks\"}",
        "{\"request\":\"passive checks\",\"data\":[]}",
        "{\"request\":\"passive checks\",\"data\":{\"key\":\"a\"}}",
        "{\"request\":\"passive checks\",\"data\":[{\"key\":1}]}",
        "{\"request\":\"passive checks\",\"data\":[\"a\"]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(zbx_parse_request(bad[i], strlen(bad[i]), &r), -EINVAL);
        assert_int_equal(r.json, 1);
        assert_true(r.error[0] != '\0');
        zbx_request_free(&r);
    }

    buf b = BUF_INIT;
    buf_puts(&b, "{\"request\":\"passive checks\",\"data\":[");
    for (unsigned i = 0; i <= ZBX_MAX_ITEMS; i++)
        buf_printf(&b, "%s{\"key\":\"k%u\",\"timeout\":3}", i ? "," : "", i);
    buf_puts(&b, "]}");
    assert_int_equal(zbx_parse_request(b.data, b.len, &r), -E2BIG);
    zbx_request_free(&r);
    buf_free(&b);
}

/* ---- allow list --------------------------------------------------------- */

static int allowed(const zbx_allow *a, const char *ip)
{
    struct sockaddr_in in4 = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, ip, &in4.sin_addr) == 1)
        return zbx_allow_match(a, (struct sockaddr *)&in4);
    assert_int_equal(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1);
    return zbx_allow_match(a, (struct sockaddr *)&in6);
}

static void test_allow(void **state)
{
    zbx_allow *a = NULL;
    char err[256];
    const char *spec = " 127.0.0.1, ::1,10.1.0.0/16 ,,fd00::/8, 192.168.1.77/24";
    assert_int_equal(zbx_allow_new(spec, strlen(spec), &a, err, sizeof(err)), 0);
    assert_true(allowed(a, "127.0.0.1"));
    assert_false(allowed(a, "127.0.0.2"));
    assert_true(allowed(a, "::1"));
    assert_true(allowed(a, "10.1.255.3"));
    assert_false(allowed(a, "10.2.0.1"));
    assert_true(allowed(a, "fd12:3456::1"));
    assert_false(allowed(a, "fe80::1"));
    assert_true(allowed(a, "192.168.1.1"));     /* host bits of the entry ignored */
    assert_true(allowed(a, "::ffff:10.1.2.3")); /* dual-stack listener */
    assert_false(allowed(a, "::ffff:10.2.2.3"));
    zbx_allow_free(a);

    assert_int_equal(zbx_allow_new("0.0.0.0/0,::/0", 14, &a, err, sizeof(err)), 0);
    assert_true(allowed(a, "203.0.113.9"));
    assert_true(allowed(a, "2001:db8::1"));
    zbx_allow_free(a);

    assert_int_equal(zbx_allow_new("10.0.0.0/12", 11, &a, err, sizeof(err)), 0);
    assert_true(allowed(a, "10.15.255.255"));
    assert_false(allowed(a, "10.16.0.0"));
    zbx_allow_free(a);

    static const char *const bad[] = {
        "zabbix.example.com",
        "10.0.0.1/33",
        "::1/129",
        "10.0.0.1/",
        "10.0.0.1/-1",
        "1.2.3",
        " , ",
        "10.0.0.0/8x",
        "127.0.0.1,host",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a = (zbx_allow *)1;
        assert_int_equal(zbx_allow_new(bad[i], strlen(bad[i]), &a, err, sizeof(err)), -EINVAL);
        assert_null(a);
        assert_true(err[0] != '\0');
    }
}

/* ---- the server ---------------------------------------------------------- */

/* test.echo[...] -> "name|p1|p2"; test.fail -> -EIO "broken";
 * test.badutf8 -> invalid UTF-8; test.bare -> -ENOTSUP, no reason;
 * test.big[N] -> N bytes of 'v';
 * some.key[a,b] -> "value of a and b"; anything else -> unsupported. */
static int test_cb(const zbx_key *k, buf *out, void *arg)
{
    (void)arg;
    if (strcmp(k->name, "test.echo") == 0) {
        buf_puts(out, k->name);
        for (unsigned i = 0; i < k->nparams; i++)
            buf_printf(out, "|%s", k->params[i]);
        return 0;
    }
    if (strcmp(k->name, "some.key") == 0 && k->nparams == 2) {
        buf_printf(out, "value of %s and %s", k->params[0], k->params[1]);
        return 0;
    }
    if (strcmp(k->name, "test.fail") == 0) {
        buf_puts(out, "broken");
        return -EIO;
    }
    if (strcmp(k->name, "test.badutf8") == 0) {
        buf_puts(out, "\xff\xfe");
        return 0;
    }
    if (strcmp(k->name, "test.bare") == 0)
        return -ENOTSUP;
    if (strcmp(k->name, "test.big") == 0 && k->nparams == 1) {
        size_t n = strtoul(k->params[0], NULL, 10);
        buf_reserve(out, n);
        memset(out->data, 'v', n);
        out->len = n;
        out->data[n] = '\0';
        return 0;
    }
    buf_puts(out, "Unsupported item key.");
    return -ENOTSUP;
}

static zbx_server *start_opts(const zbx_opts *o)
{
    zbx_server *s = NULL;
    char err[256];
    int rc = zbx_start(o, test_cb, NULL, &s, err, sizeof(err));
    if (rc != 0)
        fail_msg("zbx_start: %d %s", rc, err);
    assert_non_null(s);
    assert_true(zbx_port(s) > 0);
    return s;
}

static zbx_server *start_default(void)
{
    zbx_opts o = {.port = 0, .hostname = "test-host", .version = "9.9.9-test"};
    return start_opts(&o);
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads until EOF (or error/timeout); returns bytes read, -1 on a timeout. */
static long read_all(int fd, buf *out)
{
    char tmp[4096];
    for (;;) {
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n > 0) {
            buf_append(out, tmp, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -1;
        return (long)out->len;
    }
}

/* Sends data, optionally half-closes, reads the answer until EOF. Returns
 * bytes read (-1 if the server did not close within 10 s). */
static long exchange(int port, const void *data, size_t len, int half_close, buf *out)
{
    buf_reset(out);
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (half_close)
        shutdown(fd, SHUT_WR);
    long r = read_all(fd, out);
    close(fd);
    return r;
}

/* Strips and checks the reply header; the payload replaces out's content. */
static void unframe(buf *out)
{
    zbx_header h;
    assert_true(out->len >= ZBX_HDR_MIN);
    assert_int_equal(zbx_parse_header((unsigned char *)out->data, out->len, &h), 0);
    assert_int_equal(h.flags, ZBX_FLAG_PROTOCOL);
    assert_int_equal(h.hdrlen + h.datalen, out->len);
    memmove(out->data, out->data + h.hdrlen, (size_t)h.datalen);
    out->len = (size_t)h.datalen;
    out->data[out->len] = '\0';
}

/* One framed request, the unframed reply in out. */
static void zreq(int port, const char *payload, size_t len, buf *out)
{
    buf req = BUF_INIT;
    zbx_encode(&req, payload, len);
    assert_true(exchange(port, req.data, req.len, 0, out) > 0);
    unframe(out);
    buf_free(&req);
}

static void zreq_str(int port, const char *payload, buf *out)
{
    zreq(port, payload, strlen(payload), out);
}

static void assert_notsupported(const buf *b, const char *reason)
{
    size_t n = sizeof(ZBX_NOTSUPPORTED); /* including the NUL */
    assert_true(b->len >= n);
    assert_memory_equal(b->data, ZBX_NOTSUPPORTED, n);
    if (reason)
        assert_string_equal(b->data + n, reason);
}

static void test_server_legacy(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;
    zbx_stats st;

    zreq_str(port, "agent.ping", &b);
    assert_string_equal(b.data, "1");
    zreq_str(port, "agent.version", &b);
    assert_string_equal(b.data, "9.9.9-test");
    zreq_str(port, "agent.hostname\n", &b);
    assert_string_equal(b.data, "test-host");
    zreq_str(port, "test.echo[/,\"a,b\",[x,y]]", &b);
    assert_string_equal(b.data, "test.echo|/|a,b|x,y");
    zreq_str(port, "some.key[a,b]\r\n", &b);
    assert_string_equal(b.data, "value of a and b");

    /* headerless, as old servers send it: ended by "\n", or by FIN */
    const char *raw = "test.echo[raw]\n";
    assert_true(exchange(port, raw, strlen(raw), 0, &b) > 0);
    unframe(&b);
    assert_string_equal(b.data, "test.echo|raw");
    raw = "agent.ping";
    assert_true(exchange(port, raw, strlen(raw), 1, &b) > 0);
    unframe(&b);
    assert_string_equal(b.data, "1");

    zbx_get_stats(s, &st);
    assert_int_equal(st.requests, 7);
    assert_int_equal(st.notsupported, 0);
    assert_int_equal(st.bad_requests, 0);
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_notsupported(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;
    zbx_stats st;

    zreq_str(port, "no.such.key[1]", &b);
    assert_notsupported(&b, "Unsupported item key.");
    zreq_str(port, "test.bare", &b);
    assert_notsupported(&b, "Unsupported item key.");
    zreq_str(port, "test.fail", &b);
    assert_notsupported(&b, "broken");
    zreq_str(port, "key[\"unterminated]", &b);
    assert_notsupported(&b, "Invalid item key format.");
    zreq_str(port, "agent.ping[x]", &b);
    assert_notsupported(&b, "Item does not allow parameters.");
    zreq_str(port, "", &b);
    assert_notsupported(&b, "Invalid item key format.");
    /* an HTTP request line is only a bad key */
    const char *http = "GET / HTTP/1.0\r\n\r\n";
    assert_true(exchange(port, http, strlen(http), 0, &b) > 0);
    unframe(&b);
    assert_notsupported(&b, "Invalid item key format.");

    zbx_get_stats(s, &st);
    assert_int_equal(st.requests, 7);
    assert_int_equal(st.notsupported, 7);
    buf_free(&b);
    zbx_stop(s);
}

static json_t *json_reply(int port, const char *req, buf *b)
{
    zreq_str(port, req, b);
    json_error_t je;
    json_t *j = json_loadb(b->data, b->len, 0, &je);
    if (!j)
        fail_msg("reply is not JSON (%s): %s", je.text, b->data);
    assert_string_equal(json_string_value(json_object_get(j, "version")), ZBX_PROTO_VERSION);
    assert_int_equal(json_integer_value(json_object_get(j, "variant")), 2);
    return j;
}

static const char *item_field(const json_t *j, size_t i, const char *field)
{
    const json_t *it = json_array_get(json_object_get(j, "data"), i);
    assert_non_null(it);
    return json_string_value(json_object_get(it, field));
}

static void test_server_json(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;

    json_t *j = json_reply(port,
                           "{\"request\":\"passive checks\",\"data\":["
                           "{\"key\":\"agent.ping\",\"timeout\":3},"
                           "{\"key\":\"test.echo[\\\"q,uoted\\\",é]\",\"timeout\":3}]}",
                           &b);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 2);
    assert_string_equal(item_field(j, 0, "value"), "1");
    assert_string_equal(item_field(j, 1, "value"), "test.echo|q,uoted|é");
    assert_null(json_object_get(j, "error"));
    json_decref(j);

    /* per-item errors, in the order asked */
    j = json_reply(port,
                   "{\"request\":\"passive checks\",\"data\":[{\"key\":\"nope\",\"timeout\":3},"
                   "{\"key\":\"test.badutf8\",\"timeout\":3},{\"key\":\"a[\",\"timeout\":3},"
                   "{\"key\":\"agent.hostname\",\"timeout\":3}]}",
                   &b);
    assert_string_equal(item_field(j, 0, "error"), "Unsupported item key.");
    assert_null(item_field(j, 0, "value"));
    assert_string_equal(item_field(j, 1, "error"), "Value is not valid UTF-8.");
    assert_string_equal(item_field(j, 2, "error"), "Invalid item key format.");
    assert_string_equal(item_field(j, 3, "value"), "test-host");
    json_decref(j);

    /* a request that is not "passive checks": a top-level error */
    j = json_reply(port, "{\"request\":\"active checks\",\"host\":\"h\"}", &b);
    assert_non_null(json_string_value(json_object_get(j, "error")));
    assert_null(json_object_get(j, "data"));
    json_decref(j);

    zbx_stats st;
    zbx_get_stats(s, &st);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.notsupported, 3);
    assert_int_equal(st.bad_requests, 1);
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_refuses_outsiders(void **state)
{
    zbx_opts o = {.port = 0, .allow = "10.255.255.1"};
    zbx_server *s = start_opts(&o);
    int port = zbx_port(s);
    buf b = BUF_INIT, req = BUF_INIT;
    zbx_stats st;

    zbx_encode(&req, "agent.ping", 10);
    assert_int_equal(exchange(port, req.data, req.len, 0, &b), 0);
    assert_int_equal(exchange(port, req.data, req.len, 0, &b), 0);
    zbx_get_stats(s, &st);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.requests, 0);
    zbx_stop(s);

    /* and a CIDR that covers loopback lets it in */
    o.allow = "10.255.255.1, 127.0.0.0/8";
    s = start_opts(&o);
    zreq_str(zbx_port(s), "agent.ping", &b);
    assert_string_equal(b.data, "1");
    zbx_stop(s);
    buf_free(&b);
    buf_free(&req);
}

static void test_server_huge_announced_length(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;
    unsigned char h[64];
    zbx_stats st;

    /* 100 MB announced, a few bytes sent: closed without a reply */
    size_t n = mkhdr(h, 0x01, 100u << 20, 0);
    memcpy(h + n, "agent.ping", 10);
    assert_int_equal(exchange(port, h, n + 10, 0, &b), 0);
    /* the same with the large-packet header, and past the 1 GiB limit */
    n = mkhdr(h, 0x05, 5ull << 30, 0);
    assert_int_equal(exchange(port, h, n, 0, &b), 0);
    /* just over max_request (64 KiB) */
    n = mkhdr(h, 0x01, 64 * 1024 + 1, 0);
    assert_int_equal(exchange(port, h, n, 0, &b), 0);
    zbx_get_stats(s, &st);
    assert_int_equal(st.bad_requests, 3);

    /* still serving */
    zreq_str(port, "agent.ping", &b);
    assert_string_equal(b.data, "1");
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_max_request_body(void **state)
{
    zbx_opts o = {.port = 0, .max_request = 2048};
    zbx_server *s = start_opts(&o);
    int port = zbx_port(s);
    buf b = BUF_INIT, big = BUF_INIT;

    /* exactly max_request is read and answered */
    buf_puts(&big, "test.echo[");
    while (big.len < 2047)
        buf_putc(&big, 'x');
    buf_putc(&big, ']');
    assert_int_equal(big.len, 2048);
    zreq(port, big.data, big.len, &b);
    assert_notsupported(&b, "Item key is longer than berth's limits."); /* 2037 > 1023 */

    /* a headerless line longer than max_request is closed */
    buf_reset(&big);
    while (big.len < 3000)
        buf_putc(&big, 'k');
    buf_putc(&big, '\n');
    assert_int_equal(exchange(port, big.data, big.len, 0, &b), 0);
    zbx_stats st;
    zbx_get_stats(s, &st);
    assert_int_equal(st.bad_requests, 1);
    buf_free(&big);
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_slow_client_times_out(void **state)
{
    zbx_opts o = {.port = 0, .timeout_s = 1};
    zbx_server *s = start_opts(&o);
    int port = zbx_port(s);
    buf b = BUF_INIT;
    zbx_stats st;

    /* one byte of a header, then silence: closed at the deadline */
    assert_int_equal(exchange(port, "Z", 1, 0, &b), 0);
    /* a headerless key without its newline */
    assert_int_equal(exchange(port, "agent.pi", 8, 0, &b), 0);
    /* a connection that sends nothing at all */
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(read_all(fd, &b), 0);
    close(fd);
    zbx_get_stats(s, &st);
    assert_int_equal(st.timeouts, 3);
    assert_int_equal(st.requests, 0);

    zreq_str(port, "agent.ping", &b);
    assert_string_equal(b.data, "1");
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_garbage(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;
    unsigned char h[32];
    zbx_stats st;

    static const unsigned char junk[] = {0x00, 0xff, 0x13, 'g', 'a', 'r', 0x01, '\n'};
    assert_int_equal(exchange(port, junk, sizeof(junk), 0, &b), 0);
    /* a TLS ClientHello (Zabbix with TLSConnect=psk) */
    static const unsigned char tls[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0, 0, 1, 0};
    assert_int_equal(exchange(port, tls, sizeof(tls), 0, &b), 0);
    /* bad flags */
    size_t n = mkhdr(h, 0x09, 4, 0);
    memcpy(h + n, "abcd", 4);
    assert_int_equal(exchange(port, h, n + 4, 0, &b), 0);
    /* compressed */
    n = mkhdr(h, 0x03, 4, 10);
    memcpy(h + n, "x\x9c\x03\x00", 4);
    assert_int_equal(exchange(port, h, n + 4, 0, &b), 0);
    /* a truncated body, then FIN */
    n = mkhdr(h, 0x01, 10, 0);
    memcpy(h + n, "agent", 5);
    assert_int_equal(exchange(port, h, n + 5, 1, &b), 0);
    /* a truncated header, then FIN */
    assert_int_equal(exchange(port, "ZBXD\x01\x05", 6, 1, &b), 0);
    zbx_get_stats(s, &st);
    assert_int_equal(st.bad_requests, 6);

    /* connect and close without a word (a port check): not an error */
    assert_int_equal(exchange(port, "", 0, 1, &b), 0);
    zbx_get_stats(s, &st);
    assert_int_equal(st.bad_requests, 6);
    assert_int_equal(st.requests, 0);

    zreq_str(port, "agent.ping", &b);
    assert_string_equal(b.data, "1");
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_idle_flood(void **state)
{
    zbx_server *s = start_default(); /* max_conns 32 */
    int port = zbx_port(s);
    int fds[100];
    buf b = BUF_INIT;

    for (int i = 0; i < 100; i++) {
        fds[i] = tcp_connect(port);
        assert_true(fds[i] >= 0);
    }
    /* a normal request is eventually served (at once: the oldest idle
     * connections make room); retry in case it raced the flood */
    int served = 0;
    for (int attempt = 0; attempt < 50 && !served; attempt++) {
        buf req = BUF_INIT;
        zbx_encode(&req, "agent.ping", 10);
        if (exchange(port, req.data, req.len, 0, &b) > 0) {
            unframe(&b);
            served = strcmp(b.data, "1") == 0;
        }
        buf_free(&req);
        if (!served) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(served);
    zbx_stats st;
    zbx_get_stats(s, &st);
    assert_true(st.evicted >= 100 - 32);
    for (int i = 0; i < 100; i++)
        close(fds[i]);
    buf_free(&b);
    zbx_stop(s);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_server_big_reply(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT, req = BUF_INIT;

    /* exactly ZBX_MAX_REPLY (4 MiB) does not fit the socket buffers at
     * once: the rest is sent as the client reads, which it starts late */
    zbx_encode(&req, "test.big[4194304]", 17);
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, req.data, req.len, MSG_NOSIGNAL), (ssize_t)req.len);
    sleep_ms(300);
    assert_true(read_all(fd, &b) > 0);
    close(fd);
    unframe(&b);
    assert_int_equal(b.len, ZBX_MAX_REPLY);
    assert_int_equal(b.data[ZBX_MAX_REPLY - 1], 'v');

    /* over ZBX_MAX_REPLY: not supported instead */
    zreq_str(port, "test.big[5000000]", &b);
    assert_notsupported(&b, "Value is too long.");

    /* JSON: the reply as a whole is bounded too */
    json_t *j = json_reply(port,
                           "{\"request\":\"passive checks\",\"data\":["
                           "{\"key\":\"test.big[3000000]\",\"timeout\":3},"
                           "{\"key\":\"test.big[3000000]\",\"timeout\":3}]}",
                           &b);
    assert_int_equal(strlen(item_field(j, 0, "value")), 3000000);
    assert_string_equal(item_field(j, 1, "error"), "Value does not fit in one reply.");
    json_decref(j);
    buf_free(&req);
    buf_free(&b);
    zbx_stop(s);
}

static void test_server_reply_not_taken(void **state)
{
    zbx_opts o = {.port = 0, .timeout_s = 1};
    zbx_server *s = start_opts(&o);
    buf req = BUF_INIT, b = BUF_INIT;
    zbx_stats st;

    /* a 4 MiB reply to a client that never reads, with a tiny window: the
     * server cannot finish sending and gives up at the deadline */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)zbx_port(s))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    zbx_encode(&req, "test.big[4194304]", 17);
    assert_int_equal(send(fd, req.data, req.len, MSG_NOSIGNAL), (ssize_t)req.len);
    for (int i = 0; i < 200; i++) {
        zbx_get_stats(s, &st);
        if (st.timeouts)
            break;
        sleep_ms(50);
    }
    assert_int_equal(st.timeouts, 1);
    close(fd);

    zreq_str(zbx_port(s), "agent.ping", &b);
    assert_string_equal(b.data, "1");
    buf_free(&req);
    buf_free(&b);
    zbx_stop(s);
}

static void test_stop_with_open_connections(void **state)
{
    zbx_server *s = start_default();
    int port = zbx_port(s);
    int fds[6];
    buf b = BUF_INIT;

    for (int i = 0; i < 6; i++) {
        fds[i] = tcp_connect(port);
        assert_true(fds[i] >= 0);
    }
    assert_int_equal(send(fds[5], "ZBXD\x01", 5, MSG_NOSIGNAL), 5); /* mid-request */
    sleep_ms(50);
    zbx_stop(s);
    for (int i = 0; i < 6; i++) {
        buf_reset(&b);
        assert_int_equal(read_all(fds[i], &b), 0); /* closed, nothing sent */
        close(fds[i]);
    }
    assert_int_equal(tcp_connect(port), -1); /* nobody listens */
    buf_free(&b);
}

static void test_bad_options(void **state)
{
    zbx_server *s = (zbx_server *)1;
    char err[256];
    zbx_opts o = {.port = 70000};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), -EINVAL);
    assert_null(s);
    o = (zbx_opts){.addr = "localhost"};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "localhost"));
    o = (zbx_opts){.allow = "zabbix.example.com"};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "zabbix.example.com"));
    o = (zbx_opts){.max_request = 10};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), -EINVAL);

    /* the port in use */
    zbx_server *a = start_default();
    o = (zbx_opts){.port = zbx_port(a)};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), -EADDRINUSE);
    zbx_stop(a);
    zbx_stop(NULL);

    /* no callback: only agent.* answers */
    o = (zbx_opts){.port = 0};
    assert_int_equal(zbx_start(&o, NULL, NULL, &s, err, sizeof(err)), 0);
    buf b = BUF_INIT;
    zreq_str(zbx_port(s), "agent.ping", &b);
    assert_string_equal(b.data, "1");
    zreq_str(zbx_port(s), "test.echo", &b);
    assert_notsupported(&b, "Unsupported item key.");
    buf_free(&b);
    zbx_stop(s);
}

static void test_ipv6_loopback(void **state)
{
    zbx_server *s = NULL;
    char err[256];
    zbx_opts o = {.addr = "::1", .port = 0};
    if (zbx_start(&o, test_cb, NULL, &s, err, sizeof(err)) != 0)
        skip(); /* no IPv6 here */
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)zbx_port(s))};
    sa.sin6_addr = in6addr_loopback;
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    buf req = BUF_INIT, b = BUF_INIT;
    zbx_encode(&req, "agent.ping", 10);
    assert_int_equal(send(fd, req.data, req.len, MSG_NOSIGNAL), (ssize_t)req.len);
    assert_true(read_all(fd, &b) > 0);
    close(fd);
    unframe(&b);
    assert_string_equal(b.data, "1");
    buf_free(&req);
    buf_free(&b);
    zbx_stop(s);
}

/* ---- the real client ------------------------------------------------------ */

static const char *zabbix_get_path(void)
{
    static const char *const paths[] = {"/usr/bin/zabbix_get", "/usr/local/bin/zabbix_get"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    }
    return NULL;
}

/* Runs zabbix_get against port with key; its stdout in out. */
static int run_zabbix_get(const char *bin, int port, const char *key, buf *out)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s -s 127.0.0.1 -p %d -t 5 -k '%s' 2>&1", bin, port, key);
    buf_reset(out);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char tmp[1024];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(out, tmp, n);
    return pclose(f);
}

static void test_zabbix_get(void **state)
{
    const char *bin = zabbix_get_path();
    if (!bin)
        skip();
    zbx_server *s = start_default();
    int port = zbx_port(s);
    buf b = BUF_INIT;

    assert_int_equal(run_zabbix_get(bin, port, "agent.ping", &b), 0);
    assert_string_equal(b.data, "1\n");
    assert_int_equal(run_zabbix_get(bin, port, "some.key[a,b]", &b), 0);
    assert_string_equal(b.data, "value of a and b\n");
    assert_int_equal(run_zabbix_get(bin, port, "agent.version", &b), 0);
    assert_string_equal(b.data, "9.9.9-test\n");
    run_zabbix_get(bin, port, "no.such.key", &b);
    assert_non_null(strstr(b.data, "ZBX_NOTSUPPORTED"));
    assert_non_null(strstr(b.data, "Unsupported item key."));

    zbx_stats st;
    zbx_get_stats(s, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.bad_requests, 0);
    buf_free(&b);
    zbx_stop(s);
}

int main(void)
{
    const char *dbg = getenv("BERTH_TEST_DEBUG");
    log_set_level(dbg && *dbg ? LOG_DEBUG : LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_normal),
        cmocka_unit_test(test_header_large_and_compressed),
        cmocka_unit_test(test_header_bad),
        cmocka_unit_test(test_header_truncated),
        cmocka_unit_test(test_header_lengths),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_key_documented),
        cmocka_unit_test(test_key_spacing_and_arrays),
        cmocka_unit_test(test_key_bad),
        cmocka_unit_test(test_key_limits),
        cmocka_unit_test(test_request_legacy),
        cmocka_unit_test(test_request_json),
        cmocka_unit_test(test_allow),
        cmocka_unit_test(test_server_legacy),
        cmocka_unit_test(test_server_notsupported),
        cmocka_unit_test(test_server_json),
        cmocka_unit_test(test_server_refuses_outsiders),
        cmocka_unit_test(test_server_huge_announced_length),
        cmocka_unit_test(test_server_max_request_body),
        cmocka_unit_test(test_server_slow_client_times_out),
        cmocka_unit_test(test_server_garbage),
        cmocka_unit_test(test_server_idle_flood),
        cmocka_unit_test(test_server_big_reply),
        cmocka_unit_test(test_server_reply_not_taken),
        cmocka_unit_test(test_stop_with_open_connections),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_zabbix_get),
    };
    return cmocka_run_group_tests_name("zabbix", tests, NULL, NULL);
}
