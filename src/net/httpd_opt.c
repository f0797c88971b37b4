/*
 * httpd_opt: the agent's HTTP server keys (listen, http_*), one row each,
 * written into httpd_opts (which httpd_start reads); see util/opt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/httpd.h"

/* "ADDR:PORT", "[v6]:PORT" or ":PORT" (loopback stays the default address) */
static int check_listen(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)r;
    httpd_opts *c = base;
    const char *v = *vp;
    const char *colon = strrchr(v, ':');
    long port;
    if (!colon || opt_parse_long(colon + 1, 0, 65535, &port) < 0) {
        snprintf(err, errlen, "listen: want ADDR:PORT, got '%s'", v);
        return -EINVAL;
    }
    size_t al = (size_t)(colon - v);
    const char *a = v;
    if (al >= 2 && v[0] == '[' && v[al - 1] == ']') {
        a++;
        al -= 2;
    }
    if (al >= sizeof(c->addr)) {
        snprintf(err, errlen, "listen: address too long");
        return -EINVAL;
    }
    /* no address has blanks or control bytes; one would not even read
     * back from cfg_dump (the line parser strips blanks) */
    for (size_t i = 0; i < al; i++)
        if ((unsigned char)a[i] <= ' ' || a[i] == 0x7f) {
            snprintf(err, errlen, "listen: want ADDR:PORT, got '%s'", v);
            return -EINVAL;
        }
    if (al) {
        memcpy(c->addr, a, al);
        c->addr[al] = '\0';
    }
    c->port = (int)port;
    return 1;
}

static void dump_listen(const void *base, const opt_row *r, buf *out)
{
    (void)r;
    const httpd_opts *c = base;
    if (strchr(c->addr, ':'))
        buf_printf(out, "[%s]:%d", c->addr, c->port);
    else
        buf_printf(out, "%s:%d", c->addr, c->port);
}

static const opt_row rows[] = {
    {.key = "listen",
     .type = OPT_STR,
     OPT_FIELD(httpd_opts, addr),
     .def = "127.0.0.1:9393",
     .arg = "ADDR:PORT",
     .help = "HTTP address",
     .doc = "HTTP address and port (`[::1]:9393` for IPv6). Anything but loopback exposes "
            "container names and labels: put it behind a firewall or proxy.",
     .check = check_listen,
     .dump = dump_listen},
    {.key = "http_max_connections",
     .type = OPT_UINT,
     OPT_FIELD(httpd_opts, max_conns),
     .min = 1,
     .max = 10000,
     .def = "64",
     .help = "simultaneous HTTP connections",
     .want = "1..10000",
     .doc = "simultaneous HTTP connections; more are refused"},
    {.key = "http_timeout",
     .type = OPT_DURATION,
     OPT_FIELD(httpd_opts, timeout_s),
     .min = 1000,
     .max = 3600000,
     .unit_ms = 1000,
     .def = "10s",
     .help = "idle HTTP connection timeout",
     .want = "a duration from 1s to 1h",
     .doc = "idle HTTP connections are closed after this"},
};

const opt_table httpd_opt_table = {"httpd", "main", rows, OPT_NROWS(rows)};
