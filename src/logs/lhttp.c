/*
 * lhttp: libcurl POST with a persistent handle. See lhttp.h.
 */
#include "logs/lhttp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "logs/lenc.h"
#include "util/config.h"

struct lhttp {
    CURL *curl;
    int timeout_ms;
    char *ca;
    int verify;
    char *userpwd;
    char *header;
    buf *reply; /* during a request */
    int too_big;
};

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

int lhttp_new(const lhttp_opts *o, lhttp **out, char *err, size_t errlen)
{
    lhttp *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h);
        snprintf(err, errlen, "curl_easy_init failed");
        return -ENOMEM;
    }
    h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    h->ca = dup_or_null(o->ca);
    h->verify = o->verify;
    if (o->user && o->user[0]) {
        size_t n = strlen(o->user) + (o->password ? strlen(o->password) : 0) + 2;
        h->userpwd = malloc(n);
        if (h->userpwd)
            snprintf(h->userpwd, n, "%s:%s", o->user, o->password ? o->password : "");
    }
    h->header = dup_or_null(o->header);
    *out = h;
    return 0;
}

void lhttp_free(lhttp *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h->ca);
    free(h->userpwd);
    free(h->header);
    free(h);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
    lhttp *h = data;
    size_t n = size * nmemb;
    if (h->reply->len + n > LHTTP_REPLY_MAX) {
        h->too_big = 1;
        return 0; /* aborts the transfer */
    }
    buf_append(h->reply, p, n);
    return n;
}

int lhttp_post(lhttp *h, const char *url, const char *ctype, int gzip, const void *body, size_t len,
               long *status, buf *reply, char *err, size_t errlen)
{
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL;
    char ct[128];
    int rc = 0;

    buf_reset(reply);
    h->reply = reply;
    h->too_big = 0;
    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
    hdrs = curl_slist_append(hdrs, ct);
    if (gzip)
        hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
    if (h->header)
        hdrs = curl_slist_append(hdrs, h->header);
    /* no "Expect: 100-continue" round trip before big bodies */
    hdrs = curl_slist_append(hdrs, "Expect:");

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* the reply may be compressed if the server likes; curl decodes it */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (h->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
    if (!h->verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (h->userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
    }

    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (h->too_big) {
            snprintf(err, errlen, "POST %s: reply larger than %u bytes", url, LHTTP_REPLY_MAX);
            rc = -EMSGSIZE;
        } else {
            snprintf(err, errlen, "POST %s: %s", url, curl_easy_strerror(cc));
            rc = cc == CURLE_OPERATION_TIMEDOUT     ? -ETIMEDOUT
                 : cc == CURLE_COULDNT_CONNECT      ? -ECONNREFUSED
                 : cc == CURLE_COULDNT_RESOLVE_HOST ? -EHOSTUNREACH
                 : cc == CURLE_URL_MALFORMAT        ? -EINVAL
                                                    : -EIO;
        }
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
out:
    curl_slist_free_all(hdrs);
    h->reply = NULL;
    return rc;
}

int lhttp_from_cfg(const lout_cfg *c, const char *path, const char *header, char *url_out,
                   size_t url_len, int *gzip, lhttp **out, char *err, size_t errlen)
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
    if (cfg_parse_duration(lenc_opt(c, "timeout", "30s"), &tmo) < 0 || tmo < 100) {
        snprintf(err, errlen, "output %s: timeout: want a duration like 30s", c->name);
        return -EINVAL;
    }
    lhttp_opts ho = {
        .timeout_ms = (int)tmo,
        .ca = lenc_opt(c, "ca", NULL),
        .verify = verify,
        .user = lenc_opt(c, "user", NULL),
        .password = lenc_opt(c, "password", NULL),
        .header = header,
    };
    return lhttp_new(&ho, out, err, errlen);
}

int lhttp_post_buf(lhttp *h, const char *url, const char *ctype, int gzip, const buf *body, buf *gz,
                   long *status, buf *reply, char *err, size_t errlen)
{
    if (!gzip)
        return lhttp_post(h, url, ctype, 0, body->data, body->len, status, reply, err, errlen);
    buf_reset(gz);
    int rc = lenc_gzip(gz, body->data, body->len);
    if (rc < 0) {
        snprintf(err, errlen, "gzip failed");
        return rc;
    }
    return lhttp_post(h, url, ctype, 1, gz->data, gz->len, status, reply, err, errlen);
}

int lhttp_status_errno(long status)
{
    if (status == 429)
        return -EAGAIN;
    if (status == 413)
        return -EMSGSIZE;
    if (status == 401 || status == 403)
        return -EACCES;
    if (status >= 500)
        return -EIO;
    return -EPROTO;
}
