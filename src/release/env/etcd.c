/*
 * etcd: the transport half of the etcd v3 JSON-gateway client (the parsers
 * are in etcd_parse.c). One kept-alive libcurl easy handle per client, so a
 * run of requests to the same endpoint reuses one connection.
 *
 * Failover: the endpoints are tried in turn starting at the one that last
 * answered, each at most once per call; a transport error, a 5xx or gRPC
 * code 14 (unavailable) moves to the next. Auth: the token is fetched on
 * first use and once more when etcd calls it invalid (code 16, or code 3
 * "user name is empty" that a lost token gives), then the request is
 * retried once. The password and token never go into err.
 */
#include "release/env/etcd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/clock.h"

#define TOKEN_MAX 1024

struct etcd {
    CURL *h;
    char *eps[ETCD_MAX_ENDPOINTS];
    size_t n_eps;
    size_t cur;
    char *user, *password, *ca, *cert, *key;
    int timeout_ms;
    char token[TOKEN_MAX];
    atomic_int cancel;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
}

static char *xstrdup_opt(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *p = strdup(s);
    if (!p)
        *bad = 1;
    return p;
}

void etcd_free(etcd *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    for (size_t i = 0; i < c->n_eps; i++)
        free(c->eps[i]);
    free(c->user);
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c->ca);
    free(c->cert);
    free(c->key);
    memset(c->token, 0, sizeof(c->token));
    free(c);
}

int etcd_new(const etcd_opts *o, etcd **out, char *err, size_t errlen)
{
    int bad = 0;
    int rc = -EINVAL;
    *out = NULL;
    if (!o || !o->endpoints || !*o->endpoints) {
        seterr(err, errlen, "etcd: no endpoints");
        return -EINVAL;
    }
    etcd *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    const char *p = o->endpoints;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && p[n - 1] == '/')
            n--;
        if (n == 0 || c->n_eps == ETCD_MAX_ENDPOINTS ||
            !((n > 7 && strncmp(p, "http://", 7) == 0) ||
              (n > 8 && strncmp(p, "https://", 8) == 0)) ||
            memchr(p, ' ', n)) {
            seterr(err, errlen,
                   "etcd: bad endpoint list '%s' (want up to %u http[s]://host:port, "
                   "comma-separated)",
                   o->endpoints, ETCD_MAX_ENDPOINTS);
            goto out;
        }
        c->eps[c->n_eps] = strndup(p, n);
        if (!c->eps[c->n_eps]) {
            rc = -ENOMEM;
            goto out;
        }
        c->n_eps++;
        if (!e)
            break;
        p = e + 1;
    }
    if (c->n_eps == 0) {
        seterr(err, errlen, "etcd: no endpoints in '%s'", o->endpoints);
        goto out;
    }
    if (o->user && !o->password) {
        seterr(err, errlen, "etcd: user %s without a password", o->user);
        goto out;
    }
    c->user = xstrdup_opt(o->user, &bad);
    c->password = xstrdup_opt(o->password, &bad);
    c->ca = xstrdup_opt(o->ca, &bad);
    c->cert = xstrdup_opt(o->cert, &bad);
    c->key = xstrdup_opt(o->key, &bad);
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    c->h = curl_easy_init();
    if (bad || !c->h) {
        rc = -ENOMEM;
        goto out;
    }
    *out = c;
    return 0;
out:
    etcd_free(c);
    return rc;
}

const char *etcd_endpoint(const etcd *c)
{
    return c->eps[c->cur];
}

void etcd_cancel(etcd *c)
{
    atomic_store(&c->cancel, 1);
}

void etcd_reset_cancel(etcd *c)
{
    atomic_store(&c->cancel, 0);
}

/* ---- one HTTP exchange --------------------------------------------------- */

/* The state of one transfer, shared by the write and progress callbacks. */
typedef struct xfer {
    etcd *c;
    buf *body;   /* unary: the whole reply */
    size_t max;  /* bound on body (or on one line when streaming) */
    int too_big; /* body went over max */
    /* streaming (watch) */
    int stream;
    etcd_watch_cb cb;
    void *arg;
    int result; /* nonzero: why the stream was stopped */
    int64_t *compact_rev;
    int got_bytes;
    int idle_ms;
    int64_t last_ms;
    int canceled;
    int idled;
    char *err;
    size_t errlen;
} xfer;

static int is_token_error(int code, const char *msg)
{
    return code == 16 || (code == 3 && strstr(msg, "user name is empty"));
}

static int stream_line(xfer *x, const char *line, size_t len)
{
    int code;
    char msg[256];
    etcd_watch_msg m;
    if (len == 0)
        return 0;
    if (etcd_parse_error(line, len, &code, msg, sizeof(msg))) {
        seterr(x->err, x->errlen, "etcd %s: watch: %s (code %d)", etcd_endpoint(x->c), msg, code);
        return is_token_error(code, msg) ? -EKEYEXPIRED : code == 14 ? -EAGAIN : -EIO;
    }
    int rc = etcd_parse_watch(line, len, &m, x->err, x->errlen);
    if (rc < 0)
        return rc;
    if (m.canceled) {
        if (m.compact_revision > 0) {
            if (x->compact_rev)
                *x->compact_rev = m.compact_revision;
            seterr(x->err, x->errlen, "etcd %s: watch start revision compacted (now %lld)",
                   etcd_endpoint(x->c), (long long)m.compact_revision);
            rc = -ESTALE;
        } else {
            seterr(x->err, x->errlen, "etcd %s: watch canceled by the server: %s",
                   etcd_endpoint(x->c), m.cancel_reason ? m.cancel_reason : "no reason given");
            rc = -ECONNABORTED;
        }
    } else if (m.n_events > 0) {
        rc = x->cb(&m, x->arg);
    }
    etcd_watch_msg_clear(&m);
    return rc;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    x->got_bytes = 1;
    x->last_ms = clock_mono_ms();
    if (!x->stream) {
        if (x->body->len + n > x->max) {
            x->too_big = 1;
            return 0;
        }
        buf_append(x->body, p, n);
        return n;
    }
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t take = nl ? (size_t)(nl - (p + i)) : n - i;
        if (x->body->len + take > x->max) {
            x->too_big = 1;
            return 0;
        }
        buf_append(x->body, p + i, take);
        i += take;
        if (!nl)
            break;
        i++;
        int rc = stream_line(x, x->body->data, x->body->len);
        buf_reset(x->body);
        if (rc) {
            x->result = rc;
            return 0;
        }
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    xfer *x = ud;
    if (atomic_load(&x->c->cancel)) {
        x->canceled = 1;
        return 1;
    }
    if (x->stream && x->idle_ms > 0 && clock_mono_ms() - x->last_ms > x->idle_ms) {
        x->idled = 1;
        return 1;
    }
    return 0;
}

/* POSTs req to path on endpoint i. 0 with *status, or a negative errno for
 * a transport failure (err filled). */
static int post_one(etcd *c, size_t i, const char *path, const char *req, int auth, xfer *x,
                    long *status)
{
    char url[1024];
    char hdr[TOKEN_MAX + 32];
    struct curl_slist *hl = NULL;
    CURL *h = c->h;
    int rc = 0;
    snprintf(url, sizeof(url), "%s%s", c->eps[i], path);
    curl_easy_reset(h);
    hl = curl_slist_append(hl, "Content-Type: application/json");
    if (auth && c->token[0]) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", c->token);
        hl = curl_slist_append(hl, hdr);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
    if (!x->stream)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
    if (c->cert)
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
    if (c->key)
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
    x->last_ms = clock_mono_ms();
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hl);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (x->canceled) {
        seterr(x->err, x->errlen, "etcd %s: canceled", c->eps[i]);
        return -ECANCELED;
    }
    if (x->result)
        return x->result;
    if (x->idled) {
        seterr(x->err, x->errlen, "etcd %s: watch idle for %d ms", c->eps[i], x->idle_ms);
        return -ETIMEDOUT;
    }
    if (x->too_big) {
        seterr(x->err, x->errlen, "etcd %s%s: reply over %zu bytes", c->eps[i], path, x->max);
        return -EPROTO;
    }
    if (cc == CURLE_OK)
        return 0;
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        rc = -ECONNREFUSED;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = -ETIMEDOUT;
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        rc = -EHOSTUNREACH;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        rc = -EACCES;
        break;
    default:
        rc = -ECONNRESET;
        break;
    }
    seterr(x->err, x->errlen, "etcd %s: %s", c->eps[i], curl_easy_strerror(cc));
    return rc;
}

/* Maps an etcd error reply to an errno. */
static int map_code(int code, const char *msg)
{
    switch (code) {
    case 11:
        return strstr(msg, "compacted") ? -ESTALE : -ERANGE;
    case 16:
    case 7:
        return -EACCES;
    case 5:
        return -ENOENT;
    case 3:
        return strstr(msg, "authentication failed") || strstr(msg, "user name is empty") ? -EACCES
                                                                                         : -EINVAL;
    case 14:
        return -EAGAIN;
    case 9:
        return -EBUSY;
    default:
        return -EIO;
    }
}

/* POSTs req with failover. A streaming xfer (watch) fails over only when
 * no byte arrived. On 0, x->body holds the reply of a 2xx; an etcd error
 * reply is turned into its errno here with err naming the endpoint. */
static int post(etcd *c, const char *path, const char *req, int auth, xfer *x)
{
    int rc = -ECONNREFUSED;
    size_t start = c->cur;
    for (size_t k = 0; k < c->n_eps; k++) {
        size_t i = (start + k) % c->n_eps;
        long status = 0;
        buf_reset(x->body);
        x->too_big = x->result = x->got_bytes = 0;
        if (atomic_load(&c->cancel)) {
            seterr(x->err, x->errlen, "etcd: canceled");
            return -ECANCELED;
        }
        rc = post_one(c, i, path, req, auth, x, &status);
        c->cur = i;
        if (rc == -ECONNREFUSED || rc == -ETIMEDOUT || rc == -EHOSTUNREACH || rc == -ECONNRESET ||
            rc == -EAGAIN) {
            if (x->stream && x->got_bytes && rc != -EAGAIN)
                return rc;
            continue;
        }
        if (rc != 0)
            return rc; /* a watch callback's own value included */
        int code = 0;
        char msg[256] = "";
        int is_err =
            !x->stream && etcd_parse_error(x->body->data, x->body->len, &code, msg, sizeof(msg));
        if (status >= 500 || (is_err && code == 14)) {
            seterr(x->err, x->errlen, "etcd %s%s: HTTP %ld %s", c->eps[i], path, status, msg);
            rc = -EAGAIN;
            continue;
        }
        if (is_err) {
            seterr(x->err, x->errlen, "etcd %s%s: %s (code %d)", c->eps[i], path, msg, code);
            rc = map_code(code, msg);
            if (is_token_error(code, msg))
                rc = -EKEYEXPIRED; /* the caller re-authenticates */
            return rc;
        }
        if (status != 200 && !x->stream) {
            seterr(x->err, x->errlen, "etcd %s%s: HTTP %ld", c->eps[i], path, status);
            return -EPROTO;
        }
        return 0;
    }
    if (rc == -EAGAIN)
        rc = -ECONNREFUSED; /* every endpoint unavailable */
    return rc;
}

static int authenticate(etcd *c, char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    int rc;
    /* jansson would do, but the two strings are all there is: escape by hand. */
    buf_puts(&req, "{\"name\":\"");
    for (const char *s = c->user; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(&req, '\\');
        if ((unsigned char)*s < 0x20)
            buf_printf(&req, "\\u%04x", (unsigned char)*s);
        else
            buf_putc(&req, *s);
    }
    buf_puts(&req, "\",\"password\":\"");
    for (const char *s = c->password; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(&req, '\\');
        if ((unsigned char)*s < 0x20)
            buf_printf(&req, "\\u%04x", (unsigned char)*s);
        else
            buf_putc(&req, *s);
    }
    buf_puts(&req, "\"}");
    xfer x = {.c = c, .body = &body, .max = 1u << 20, .err = err, .errlen = errlen};
    c->token[0] = '\0';
    rc = post(c, "/v3/auth/authenticate", req.data, 0, &x);
    if (rc == -EKEYEXPIRED || rc == -EINVAL)
        rc = -EACCES;
    if (rc == 0)
        rc = etcd_parse_auth(body.data, body.len, c->token, sizeof(c->token), err, errlen);
    if (rc == -EACCES)
        seterr(err, errlen, "etcd %s: authentication of user %s failed", etcd_endpoint(c), c->user);
    memset(req.data, 0, req.len);
    buf_free(&req);
    buf_free(&body);
    return rc;
}

/* One request with auth: the token first when there is none, and once
 * more when etcd says it is no longer valid. */
static int call(etcd *c, const char *path, const char *req, xfer *x)
{
    int rc;
    if (c->user && !c->token[0]) {
        rc = authenticate(c, x->err, x->errlen);
        if (rc < 0)
            return rc;
    }
    rc = post(c, path, req, 1, x);
    if (rc == -EKEYEXPIRED && c->user) {
        rc = authenticate(c, x->err, x->errlen);
        if (rc < 0)
            return rc;
        rc = post(c, path, req, 1, x);
    }
    if (rc == -EKEYEXPIRED)
        rc = -EACCES;
    return rc;
}

static int unary(etcd *c, const char *path, const char *req, buf *body, char *err, size_t errlen)
{
    xfer x = {.c = c, .body = body, .max = ETCD_MAX_BODY, .err = err, .errlen = errlen};
    return call(c, path, req, &x);
}

/* ---- request bodies ------------------------------------------------------ */

static void put_b64(buf *b, const char *name, const void *p, size_t n)
{
    buf_printf(b, "\"%s\":\"", name);
    buf_reserve(b, 4 * ((n + 2) / 3) + 1);
    b->len += etcd_b64_encode(p, n, b->data + b->len);
    buf_putc(b, '"');
}

static int check_key(const char *key, char *err, size_t errlen)
{
    if (!key || !*key || strlen(key) > ETCD_MAX_KEY) {
        seterr(err, errlen, "etcd: a key must be 1 to %u bytes", ETCD_MAX_KEY);
        return -EINVAL;
    }
    return 0;
}

/* "key":..,"range_end":.. of a key or a prefix. */
static void put_range(buf *b, const char *key, int prefix)
{
    size_t n = strlen(key);
    put_b64(b, "key", key, n);
    if (prefix) {
        char *end = malloc(n + 1);
        size_t el;
        if (!end)
            abort();
        etcd_prefix_end(key, n, end, &el);
        buf_putc(b, ',');
        put_b64(b, "range_end", end, el);
        free(end);
    }
}

int etcd_get(etcd *c, const char *key, int prefix, int64_t rev, int64_t limit, etcd_range *out,
             char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    int rc = check_key(key, err, errlen);
    memset(out, 0, sizeof(*out));
    if (rc < 0)
        return rc;
    buf_putc(&req, '{');
    put_range(&req, key, prefix);
    if (rev > 0)
        buf_printf(&req, ",\"revision\":\"%lld\"", (long long)rev);
    if (limit > 0)
        buf_printf(&req, ",\"limit\":\"%lld\"", (long long)limit);
    buf_putc(&req, '}');
    rc = unary(c, "/v3/kv/range", req.data, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_range(body.data, body.len, out, err, errlen);
    buf_free(&req);
    buf_free(&body);
    return rc;
}

int etcd_get_many(etcd *c, const char *const *keys, const int *prefix, size_t n, int64_t rev,
                  etcd_range *outs, int64_t *revision, char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    etcd_range *rs = NULL;
    size_t nr = 0;
    int ok = 0;
    int rc = 0;
    *revision = 0;
    for (size_t i = 0; i < n; i++)
        memset(&outs[i], 0, sizeof(outs[i]));
    if (n == 0 || n > ETCD_MAX_TXN_OPS) {
        seterr(err, errlen, "etcd: get_many of %zu keys (1 to %u)", n, ETCD_MAX_TXN_OPS);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = check_key(keys[i], err, errlen)) < 0)
            return rc;
    /* A txn without compare always succeeds and reads at one revision.
     * A txn takes no revision: with rev, the ranges carry it each. */
    buf_puts(&req, "{\"success\":[");
    for (size_t i = 0; i < n; i++) {
        buf_puts(&req, i ? ",{\"request_range\":{" : "{\"request_range\":{");
        put_range(&req, keys[i], prefix ? prefix[i] : 1);
        if (rev > 0)
            buf_printf(&req, ",\"revision\":\"%lld\"", (long long)rev);
        buf_puts(&req, "}}");
    }
    buf_puts(&req, "]}");
    rc = unary(c, "/v3/kv/txn", req.data, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_txn(body.data, body.len, &ok, revision, &rs, &nr, err, errlen);
    if (rc == 0 && (!ok || nr != n)) {
        seterr(err, errlen, "etcd %s: txn of %zu ranges answered %zu", etcd_endpoint(c), n, nr);
        rc = -EPROTO;
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            outs[i] = rs[i];
        if (rev > 0)
            *revision = rev;
    } else {
        for (size_t i = 0; i < nr; i++)
            etcd_range_clear(&rs[i]);
        *revision = 0;
    }
    free(rs);
    buf_free(&req);
    buf_free(&body);
    return rc;
}

static const char *cmp_target(etcd_cmp_target t)
{
    switch (t) {
    case ETCD_CMP_VERSION:
        return "VERSION";
    case ETCD_CMP_CREATE:
        return "CREATE";
    case ETCD_CMP_MOD:
        return "MOD";
    default:
        return "VALUE";
    }
}

static const char *cmp_result(etcd_cmp_result r)
{
    switch (r) {
    case ETCD_CMP_EQUAL:
        return "EQUAL";
    case ETCD_CMP_GREATER:
        return "GREATER";
    case ETCD_CMP_LESS:
        return "LESS";
    default:
        return "NOT_EQUAL";
    }
}

int etcd_txn(etcd *c, const etcd_cmp *cmp, size_t ncmp, const etcd_op *ops, size_t nops,
             int *succeeded, int64_t *revision, char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    etcd_range *rs = NULL;
    size_t nr = 0;
    int rc = 0;
    *succeeded = 0;
    *revision = 0;
    if (nops > ETCD_MAX_TXN_OPS || ncmp > ETCD_MAX_TXN_OPS) {
        seterr(err, errlen, "etcd: txn of %zu compares and %zu ops (at most %u each)", ncmp, nops,
               ETCD_MAX_TXN_OPS);
        return -EINVAL;
    }
    buf_puts(&req, "{\"compare\":[");
    for (size_t i = 0; i < ncmp; i++) {
        if ((rc = check_key(cmp[i].key, err, errlen)) < 0)
            goto out;
        buf_puts(&req, i ? ",{" : "{");
        put_b64(&req, "key", cmp[i].key, strlen(cmp[i].key));
        buf_printf(&req, ",\"target\":\"%s\",\"result\":\"%s\",", cmp_target(cmp[i].target),
                   cmp_result(cmp[i].result));
        if (cmp[i].target == ETCD_CMP_VALUE)
            put_b64(&req, "value", cmp[i].value ? cmp[i].value : "", cmp[i].value_len);
        else
            buf_printf(&req, "\"%s\":\"%lld\"",
                       cmp[i].target == ETCD_CMP_VERSION  ? "version"
                       : cmp[i].target == ETCD_CMP_CREATE ? "create_revision"
                                                          : "mod_revision",
                       (long long)cmp[i].n);
        buf_putc(&req, '}');
    }
    buf_puts(&req, "],\"success\":[");
    for (size_t i = 0; i < nops; i++) {
        if ((rc = check_key(ops[i].key, err, errlen)) < 0)
            goto out;
        if (i)
            buf_putc(&req, ',');
        if (ops[i].type == ETCD_OP_PUT) {
            if (ops[i].value_len > ETCD_MAX_VALUE) {
                seterr(err, errlen, "etcd: value of %s over %u bytes", ops[i].key, ETCD_MAX_VALUE);
                rc = -EINVAL;
                goto out;
            }
            buf_puts(&req, "{\"request_put\":{");
            put_b64(&req, "key", ops[i].key, strlen(ops[i].key));
            buf_putc(&req, ',');
            put_b64(&req, "value", ops[i].value ? ops[i].value : "", ops[i].value_len);
            if (ops[i].lease)
                buf_printf(&req, ",\"lease\":\"%lld\"", (long long)ops[i].lease);
        } else {
            buf_puts(&req, "{\"request_delete_range\":{");
            put_range(&req, ops[i].key, ops[i].prefix);
        }
        buf_puts(&req, "}}");
    }
    buf_puts(&req, "]}");
    rc = unary(c, "/v3/kv/txn", req.data, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_txn(body.data, body.len, succeeded, revision, &rs, &nr, err, errlen);
    for (size_t i = 0; i < nr; i++)
        etcd_range_clear(&rs[i]);
    free(rs);
out:
    buf_free(&req);
    buf_free(&body);
    return rc;
}

int etcd_put(etcd *c, const char *key, const char *value, size_t len, int64_t lease,
             int64_t *revision, char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    int64_t rev = 0;
    int rc = check_key(key, err, errlen);
    if (rc < 0)
        return rc;
    if (len > ETCD_MAX_VALUE) {
        seterr(err, errlen, "etcd: value of %s over %u bytes", key, ETCD_MAX_VALUE);
        return -EINVAL;
    }
    buf_putc(&req, '{');
    put_b64(&req, "key", key, strlen(key));
    buf_putc(&req, ',');
    put_b64(&req, "value", value ? value : "", len);
    if (lease)
        buf_printf(&req, ",\"lease\":\"%lld\"", (long long)lease);
    buf_putc(&req, '}');
    rc = unary(c, "/v3/kv/put", req.data, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_header(body.data, body.len, &rev, NULL, err, errlen);
    if (revision)
        *revision = rev;
    buf_free(&req);
    buf_free(&body);
    return rc;
}

int etcd_delete(etcd *c, const char *key, int prefix, int64_t *deleted, int64_t *revision,
                char *err, size_t errlen)
{
    buf req = BUF_INIT, body = BUF_INIT;
    int64_t rev = 0, del = 0;
    int rc = check_key(key, err, errlen);
    if (rc < 0)
        return rc;
    buf_putc(&req, '{');
    put_range(&req, key, prefix);
    buf_putc(&req, '}');
    rc = unary(c, "/v3/kv/deleterange", req.data, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_header(body.data, body.len, &rev, &del, err, errlen);
    if (revision)
        *revision = rev;
    if (deleted)
        *deleted = del;
    buf_free(&req);
    buf_free(&body);
    return rc;
}

int etcd_lease_grant(etcd *c, int64_t ttl_s, int64_t *id, char *err, size_t errlen)
{
    char req[64];
    buf body = BUF_INIT;
    int64_t ttl;
    *id = 0;
    snprintf(req, sizeof(req), "{\"TTL\":\"%lld\"}", (long long)ttl_s);
    int rc = unary(c, "/v3/lease/grant", req, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_lease(body.data, body.len, id, &ttl, err, errlen);
    buf_free(&body);
    return rc;
}

int etcd_lease_keepalive(etcd *c, int64_t id, int64_t *ttl, char *err, size_t errlen)
{
    char req[64];
    buf body = BUF_INIT;
    int64_t rid;
    *ttl = 0;
    snprintf(req, sizeof(req), "{\"ID\":\"%lld\"}", (long long)id);
    int rc = unary(c, "/v3/lease/keepalive", req, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_lease(body.data, body.len, &rid, ttl, err, errlen);
    if (rc == 0 && *ttl == 0) {
        seterr(err, errlen, "etcd %s: lease %lld is gone", etcd_endpoint(c), (long long)id);
        rc = -ENOENT;
    }
    buf_free(&body);
    return rc;
}

int etcd_lease_revoke(etcd *c, int64_t id, char *err, size_t errlen)
{
    char req[64];
    buf body = BUF_INIT;
    int64_t rev;
    snprintf(req, sizeof(req), "{\"ID\":\"%lld\"}", (long long)id);
    int rc = unary(c, "/v3/lease/revoke", req, &body, err, errlen);
    if (rc == 0)
        rc = etcd_parse_header(body.data, body.len, &rev, NULL, err, errlen);
    buf_free(&body);
    return rc;
}

int etcd_watch(etcd *c, const char *key, int prefix, int64_t start_rev, int idle_ms,
               etcd_watch_cb cb, void *arg, int64_t *compact_rev, char *err, size_t errlen)
{
    buf req = BUF_INIT, line = BUF_INIT;
    int rc = check_key(key, err, errlen);
    if (compact_rev)
        *compact_rev = 0;
    if (rc < 0)
        return rc;
    buf_puts(&req, "{\"create_request\":{");
    put_range(&req, key, prefix);
    if (start_rev > 0)
        buf_printf(&req, ",\"start_revision\":\"%lld\"", (long long)start_rev);
    buf_puts(&req, ",\"progress_notify\":true}}");
    xfer x = {.c = c,
              .body = &line,
              .max = ETCD_MAX_MSG,
              .stream = 1,
              .cb = cb,
              .arg = arg,
              .compact_rev = compact_rev,
              .idle_ms = idle_ms,
              .err = err,
              .errlen = errlen};
    rc = call(c, "/v3/watch", req.data, &x);
    if (rc == 0) {
        if (line.len)
            seterr(err, errlen,
                   "etcd %s: watch stream ended (a partial message of %zu bytes dropped)",
                   etcd_endpoint(c), line.len);
        else
            seterr(err, errlen, "etcd %s: watch stream ended", etcd_endpoint(c));
        rc = -ECONNRESET;
    }
    buf_free(&req);
    buf_free(&line);
    return rc;
}
