/* lout_net: the connection options the network outputs share (see lout.h). */
#include "logs/lout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logs/lenc.h"
#include "net/conn.h"
#include "net/httpc.h"
#include "util/opt.h"

int lout_conn_from_cfg(const lout_cfg *c, const char *port, const char *tls_port, conn **out,
                       char *err, size_t errlen)
{
    int t = 0, verify = 1;
    int64_t tmo = 10000;
    if (lenc_opt_bool(lenc_opt(c, "tls", "off"), &t) < 0 ||
        lenc_opt_bool(lenc_opt(c, "tls_verify", "on"), &verify) < 0) {
        snprintf(err, errlen, "output %s: tls and tls_verify want on or off", c->name);
        return -EINVAL;
    }
    if (opt_parse_duration(lenc_opt(c, "timeout", "10s"), &tmo) < 0 || tmo < 100) {
        snprintf(err, errlen, "output %s: timeout: want a duration like 10s", c->name);
        return -EINVAL;
    }
    conn_opts no = {
        .host = lenc_opt(c, "host", "127.0.0.1"),
        .port = lenc_opt(c, "port", t ? tls_port : port),
        .timeout_ms = (int)tmo,
        .tls = t,
        .ca = lenc_opt(c, "ca", NULL),
        .verify = verify,
    };
    return conn_new(&no, out, err, errlen);
}

int lout_httpc_from_cfg(const lout_cfg *c, const char *path, const char *header, char *url_out,
                        size_t url_len, int *gzip, httpc **out, char *err, size_t errlen)
{
    const char *url = lenc_opt(c, "url", NULL);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        snprintf(err, errlen, "output %s: url=http(s)://HOST:PORT is required", c->name);
        return -EINVAL;
    }
    size_t ul = strlen(url);
    while (ul > 0 && url[ul - 1] == '/')
        ul--;
    snprintf(url_out, url_len, "%.*s%s", (int)ul, url, path);
    const char *comp = lenc_opt(c, "compress", "none");
    if (strcmp(comp, "gzip") != 0 && strcmp(comp, "none") != 0) {
        snprintf(err, errlen, "output %s: compress=%s: want gzip or none", c->name, comp);
        return -EINVAL;
    }
    *gzip = strcmp(comp, "gzip") == 0;
    int verify = 1;
    if (lenc_opt_bool(lenc_opt(c, "tls_verify", "on"), &verify) < 0) {
        snprintf(err, errlen, "output %s: tls_verify wants on or off", c->name);
        return -EINVAL;
    }
    int64_t tmo = 30000;
    if (opt_parse_duration(lenc_opt(c, "timeout", "30s"), &tmo) < 0 || tmo < 100) {
        snprintf(err, errlen, "output %s: timeout: want a duration like 30s", c->name);
        return -EINVAL;
    }
    httpc_opts ho = {
        .timeout_ms = (int)tmo,
        .ca = lenc_opt(c, "ca", NULL),
        .verify = verify,
        .user = lenc_opt(c, "user", NULL),
        .password = lenc_opt(c, "password", NULL),
        .header = header,
    };
    return httpc_new(&ho, out, err, errlen);
}
