/*
 * httpc: libcurl POST with a persistent handle. See httpc.h.
 */
#include "net/httpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/gzip.h"

struct httpc {
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

int httpc_new(const httpc_opts *o, httpc **out, char *err, size_t errlen)
{
    httpc *h = calloc(1, sizeof(*h));
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

void httpc_free(httpc *h)
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
    httpc *h = data;
    size_t n = size * nmemb;
    if (h->reply->len + n > LHTTP_REPLY_MAX) {
        h->too_big = 1;
        return 0; /* aborts the transfer */
    }
    buf_append(h->reply, p, n);
    return n;
}

int httpc_post(httpc *h, const char *url, const char *ctype, int gzip, const void *body, size_t len,
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

int httpc_post_buf(httpc *h, const char *url, const char *ctype, int gzip, const buf *body, buf *gz,
                   long *status, buf *reply, char *err, size_t errlen)
{
    if (!gzip)
        return httpc_post(h, url, ctype, 0, body->data, body->len, status, reply, err, errlen);
    buf_reset(gz);
    int rc = gzip_buf(gz, body->data, body->len);
    if (rc < 0) {
        snprintf(err, errlen, "gzip failed");
        return rc;
    }
    return httpc_post(h, url, ctype, 1, gz->data, gz->len, status, reply, err, errlen);
}

int httpc_status_errno(long status)
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
