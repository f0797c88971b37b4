/*
 * docker: the transport half of the docker module (see docker.h for the
 * contract, docker_parse.c for the JSON side).
 *
 * Every request, short or streaming, goes through one libcurl easy handle
 * driven by one multi handle per client. The multi interface is used even
 * for plain GETs for two reasons: the multi keeps the connection cache, so
 * successive requests reuse one keep-alive connection to the daemon; and
 * curl_multi_poll() can be interrupted from another thread with
 * curl_multi_wakeup(), which is what makes dk_cancel() prompt (the easy
 * interface only notices an abort at its next progress call, up to a second
 * later on an idle event stream).
 *
 * Bounds: ordinary bodies are capped at DK_MAX_BODY, one event at
 * DK_MAX_EVENT, error bodies at ERR_BODY_MAX. Ordinary requests have a
 * connect and a total timeout; the event stream only a connect timeout.
 *
 * Invariants:
 *  - c->easy is never attached to c->multi outside run_transfer();
 *  - c->multi is written only under c->mu, and only freed by
 *    dk_client_free(), so dk_cancel() may wake it at any time;
 *  - c->api is "" or a string that passed dk_parse_version()'s check, so it
 *    is safe to paste into a URL path.
 */
#include "docker/docker.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/log.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

#define DEFAULT_HOST       "unix:///var/run/docker.sock"
#define CONNECT_TIMEOUT_MS 5000L
#define TOTAL_TIMEOUT_MS   10000L /* a busy daemon can take seconds to list */
#define POLL_MS            1000   /* backstop; dk_cancel wakes the poll at once */
#define ERR_BODY_MAX       (64u * 1024)
#define MAX_ID_LEN         256
#define URL_MAX            1024

struct dk_client {
    char host[sizeof(((struct sockaddr_un *)0)->sun_path) + 8]; /* "unix://..." */
    char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char api[16]; /* negotiated version or "" */
    CURL *easy;   /* lazily created, reused for keep-alive */
    CURLM *multi; /* lazily created under mu */
    pthread_mutex_t mu;
    atomic_int cancelled;
    char curlerr[CURL_ERROR_SIZE];
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int dk_client_new(const char *host, dk_client **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!host) {
        host = getenv("DOCKER_HOST");
        if (!host || !*host)
            host = DEFAULT_HOST;
    }
    if (strncmp(host, "unix://", 7) != 0) {
        set_err(err, errlen, "docker host %.200s: only unix:// sockets are supported", host);
        return -EPROTONOSUPPORT;
    }
    const char *path = host + 7;
    dk_client *c = calloc(1, sizeof(*c));
    if (!c) {
        set_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (!*path || strlen(path) >= sizeof(c->sock)) {
        set_err(err, errlen, "docker host %.200s: socket path is empty or too long", host);
        free(c);
        return -EINVAL;
    }
    memcpy(c->sock, path, strlen(path) + 1);
    snprintf(c->host, sizeof(c->host), "unix://%s", c->sock);
    pthread_mutex_init(&c->mu, NULL);
    atomic_init(&c->cancelled, 0);
    *out = c;
    return 0;
}

void dk_client_free(dk_client *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *dk_api_version(const dk_client *c)
{
    return c->api;
}

void dk_cancel(dk_client *c)
{
    pthread_mutex_lock(&c->mu);
    atomic_store(&c->cancelled, 1);
    if (c->multi)
        curl_multi_wakeup(c->multi);
    pthread_mutex_unlock(&c->mu);
}

/* Prepares c->easy for a GET of path: fresh options, same connections. */
static int prepare(dk_client *c, const char *path, int streaming, char *err, size_t errlen)
{
    if (!c->easy) {
        c->easy = curl_easy_init();
        if (!c->easy)
            goto nomem;
    }
    if (!c->multi) {
        CURLM *m = curl_multi_init();
        if (!m)
            goto nomem;
        pthread_mutex_lock(&c->mu);
        c->multi = m;
        pthread_mutex_unlock(&c->mu);
    }
    char url[URL_MAX];
    int n = snprintf(url, sizeof(url), "http://localhost%s", path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        set_err(err, errlen, "request path too long");
        return -EINVAL;
    }
    CURL *e = c->easy;
    curl_easy_reset(e);
    c->curlerr[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->sock);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curlerr);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    /* The event stream is idle for as long as nothing happens on the host:
     * no total timeout and no low-speed limit (both off unless set). */
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, streaming ? 0L : TOTAL_TIMEOUT_MS);
    return 0;
nomem:
    set_err(err, errlen, "cannot initialise libcurl");
    return -ENOMEM;
}

/* Runs the prepared transfer to completion. When cancellable, dk_cancel()
 * aborts it with -ECANCELED; otherwise *res is libcurl's result. */
static int run_transfer(dk_client *c, int cancellable, CURLcode *res)
{
    int rc = 0, running = 1;
    *res = CURLE_OK;
    if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK)
        return -EIO;
    for (;;) {
        if (cancellable && atomic_load(&c->cancelled)) {
            rc = -ECANCELED;
            break;
        }
        if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
            rc = -EIO;
            break;
        }
        if (!running)
            break;
        if (curl_multi_poll(c->multi, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
            rc = -EIO;
            break;
        }
    }
    if (rc == 0) {
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(c->multi, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->easy)
                *res = msg->data.result;
    }
    curl_multi_remove_handle(c->multi, c->easy);
    return rc;
}

/* Turns a failed libcurl result into an errno-style code and a message. */
static int curl_failure(dk_client *c, const char *path, CURLcode res, char *err, size_t errlen)
{
    const char *why = c->curlerr[0] ? c->curlerr : curl_easy_strerror(res);
    long oserr = 0;
    switch (res) {
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
        set_err(err, errlen, "cannot connect to the Docker daemon at %s: %s", c->host,
                oserr ? strerror((int)oserr) : why);
        /* Never -ENOENT: dk_inspect reserves it for "no such container". */
        return oserr == EACCES ? -EACCES : -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        set_err(err, errlen, "GET %s: timed out: %s", path, why);
        return -ETIMEDOUT;
    default:
        set_err(err, errlen, "GET %s: %s", path, why);
        return -EIO;
    }
}

/* Docker's error bodies are {"message":"..."}; anything else is shown as
 * text, cut short and with control bytes replaced. */
static void http_message(const char *body, size_t len, char *out, size_t outlen)
{
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    const char *m = json_string_value(json_object_get(j, "message"));
    if (m) {
        snprintf(out, outlen, "%s", m);
    } else {
        size_t n = len < outlen - 1 ? len : outlen - 1;
        for (size_t i = 0; i < n; i++)
            out[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
        while (n > 0 && out[n - 1] == ' ')
            n--;
        out[n] = '\0';
    }
    json_decref(j);
}

static int http_failure(const char *path, long status, const buf *body, char *err, size_t errlen)
{
    char msg[512];
    http_message(body->data ? body->data : "", body->len, msg, sizeof(msg));
    set_err(err, errlen, "GET %s: HTTP %ld%s%s", path, status, msg[0] ? ": " : "", msg);
    return status == 404 ? -ENOENT : -EIO;
}

typedef struct body_sink {
    buf *b;
    size_t max;
    int overflow;
} body_sink;

static size_t body_write(char *p, size_t size, size_t nmemb, void *arg)
{
    body_sink *s = arg;
    size_t n = size * nmemb;
    if (n > s->max - s->b->len) {
        s->overflow = 1;
        return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
    }
    buf_append(s->b, p, n);
    return n;
}

/* GET path into body (replaced). Returns 0 only for a 2xx answer. */
static int get(dk_client *c, const char *path, buf *body, char *err, size_t errlen)
{
    body_sink sink = {body, DK_MAX_BODY, 0};
    CURLcode res;
    long status = 0;
    buf_reset(body);
    int rc = prepare(c, path, 0, err, errlen);
    if (rc)
        return rc;
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &sink);
    rc = run_transfer(c, 0, &res);
    if (rc) {
        set_err(err, errlen, "GET %s: libcurl multi interface failed", path);
        goto out;
    }
    if (sink.overflow) {
        set_err(err, errlen, "GET %s: response body exceeds %u MiB", path,
                DK_MAX_BODY / (1024 * 1024));
        rc = -EMSGSIZE;
        goto out;
    }
    if (res != CURLE_OK) {
        rc = curl_failure(c, path, res, err, errlen);
        goto out;
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400 || status < 200) {
        rc = http_failure(path, status, body, err, errlen);
        goto out;
    }
out:
    curl_easy_reset(c->easy); /* drop pointers to this stack frame */
    return rc;
}

int dk_negotiate(dk_client *c, char *err, size_t errlen)
{
    char api[16], minapi[16];
    buf body = BUF_INIT;
    int rc = get(c, "/version", &body, err, errlen);
    if (rc)
        goto out;
    if (dk_parse_version(body.data, body.len, api, sizeof(api), minapi, sizeof(minapi))) {
        set_err(err, errlen, "GET /version: malformed answer from the Docker daemon");
        rc = -EPROTO;
        goto out;
    }
    if (minapi[0] && dk_version_cmp(minapi, DK_API_MAX) > 0) {
        set_err(err, errlen,
                "the Docker daemon requires API version %s or newer, berth speaks at most %s",
                minapi, DK_API_MAX);
        rc = -EPROTONOSUPPORT;
        goto out;
    }
    snprintf(c->api, sizeof(c->api), "%s", dk_version_cmp(api, DK_API_MAX) < 0 ? api : DK_API_MAX);
    log_debug("docker", "daemon API %s (min %s), using %s", api, minapi[0] ? minapi : "?", c->api);
out:
    buf_free(&body);
    return rc;
}

static int ensure_negotiated(dk_client *c, char *err, size_t errlen)
{
    return c->api[0] ? 0 : dk_negotiate(c, err, errlen);
}

int dk_list(dk_client *c, int all, bmeta **out, size_t *n, char *err, size_t errlen)
{
    char path[64];
    buf body = BUF_INIT;
    *out = NULL;
    *n = 0;
    int rc = ensure_negotiated(c, err, errlen);
    if (rc)
        goto out;
    snprintf(path, sizeof(path), "/v%s/containers/json?all=%d", c->api, all ? 1 : 0);
    rc = get(c, path, &body, err, errlen);
    if (rc)
        goto out;
    if (dk_parse_list(body.data, body.len, out, n)) {
        set_err(err, errlen, "GET %s: malformed answer from the Docker daemon", path);
        rc = -EPROTO;
    }
out:
    buf_free(&body);
    return rc;
}

/* Percent-encodes everything but [A-Za-z0-9._-] so that no id or name can
 * change the request path. dst must hold 3 * strlen(src) + 1. */
static void path_escape(char *dst, const char *src)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *src; src++) {
        unsigned char ch = (unsigned char)*src;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '_' || ch == '-') {
            *dst++ = (char)ch;
        } else {
            *dst++ = '%';
            *dst++ = hex[ch >> 4];
            *dst++ = hex[ch & 15];
        }
    }
    *dst = '\0';
}

/* GET /containers/{id}/json<query> into body; path gets the request path
 * for error messages. 0 or a negative errno with err filled. */
static int get_container_json(dk_client *c, const char *id, const char *query, buf *body,
                              char *path, size_t pathlen, char *err, size_t errlen)
{
    char esc[3 * MAX_ID_LEN + 1];
    size_t idlen = id ? strlen(id) : 0;
    if (idlen == 0 || idlen > MAX_ID_LEN) {
        set_err(err, errlen, "container id must be 1 to %d characters", MAX_ID_LEN);
        return -EINVAL;
    }
    int rc = ensure_negotiated(c, err, errlen);
    if (rc)
        return rc;
    path_escape(esc, id);
    snprintf(path, pathlen, "/v%s/containers/%s/json%s", c->api, esc, query);
    return get(c, path, body, err, errlen);
}

int dk_inspect(dk_client *c, const char *id, bmeta *out, char *err, size_t errlen)
{
    char path[3 * MAX_ID_LEN + 64];
    buf body = BUF_INIT;
    memset(out, 0, sizeof(*out));
    int rc = get_container_json(c, id, "", &body, path, sizeof(path), err, errlen);
    if (rc == 0 && dk_parse_inspect(body.data, body.len, out)) {
        set_err(err, errlen, "GET %s: malformed answer from the Docker daemon", path);
        rc = -EPROTO;
    }
    buf_free(&body);
    return rc;
}

int dk_container_size(dk_client *c, const char *id, int64_t *size_rw, int64_t *size_rootfs,
                      char *err, size_t errlen)
{
    char path[3 * MAX_ID_LEN + 64];
    buf body = BUF_INIT;
    *size_rw = *size_rootfs = -1;
    int rc = get_container_json(c, id, "?size=1", &body, path, sizeof(path), err, errlen);
    if (rc == 0 && dk_parse_size(body.data, body.len, size_rw, size_rootfs)) {
        set_err(err, errlen, "GET %s: malformed answer from the Docker daemon", path);
        rc = -EPROTO;
    }
    buf_free(&body);
    return rc;
}

/*
 * The event stream. libcurl hands over the (de-chunked) body in pieces that
 * need not match objects, so ev_write() runs a small framing state machine:
 * outside an object only whitespace and '{' are allowed; inside, it tracks
 * string/escape state and bracket depth, and the object is complete when the
 * depth returns to zero. Only the object in progress is buffered, and never
 * more than DK_MAX_EVENT bytes of it.
 */
typedef struct ev_stream {
    dk_client *c;
    dk_event_cb cb;
    void *arg;
    buf obj;     /* the object being framed */
    buf errbody; /* body of an HTTP error answer, capped */
    long status; /* 0 until the first body byte */
    int depth;   /* bracket depth inside the object, 0 outside */
    int in_str;  /* inside a JSON string */
    int esc;     /* the previous byte was a backslash inside a string */
    int stopped; /* the callback asked to stop */
    int fail;    /* a framing error: negative code, msg filled */
    char msg[160];
} ev_stream;

static void ev_dispatch(ev_stream *s)
{
    dk_event ev;
    int rc = dk_parse_event(s->obj.data, s->obj.len, &ev);
    if (rc == 0) {
        if (s->cb(&ev, s->arg))
            s->stopped = 1;
    } else if (rc < 0) {
        log_warn("docker", "skipping malformed event (%zu bytes)", s->obj.len);
    }
    buf_reset(&s->obj);
}

/* Appends p[0..n) to the object in progress, within the bound. */
static int ev_take(ev_stream *s, const char *p, size_t n)
{
    if (n > DK_MAX_EVENT - s->obj.len) {
        snprintf(s->msg, sizeof(s->msg), "docker event larger than %u KiB", DK_MAX_EVENT / 1024);
        s->fail = -EMSGSIZE;
        return -1;
    }
    buf_append(&s->obj, p, n);
    return 0;
}

/* Feeds one piece of the stream; returns -1 to stop (fail or stopped). */
static int ev_feed(ev_stream *s, const char *p, size_t n)
{
    size_t start = 0; /* first byte of p that belongs to the current object */
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (s->depth == 0) {
            if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
                continue;
            if (ch != '{') {
                snprintf(s->msg, sizeof(s->msg),
                         "docker event stream: unexpected byte 0x%02x between events",
                         (unsigned char)ch);
                s->fail = -EPROTO;
                return -1;
            }
            start = i;
            s->depth = 1;
            continue;
        }
        if (s->in_str) {
            if (s->esc)
                s->esc = 0;
            else if (ch == '\\')
                s->esc = 1;
            else if (ch == '"')
                s->in_str = 0;
            continue;
        }
        if (ch == '"') {
            s->in_str = 1;
        } else if (ch == '{' || ch == '[') {
            s->depth++;
        } else if (ch == '}' || ch == ']') {
            if (--s->depth == 0) {
                if (ev_take(s, p + start, i + 1 - start))
                    return -1;
                ev_dispatch(s);
                if (s->stopped)
                    return -1;
            }
        }
    }
    if (s->depth > 0 && ev_take(s, p + start, n - start))
        return -1;
    return 0;
}

static size_t ev_write(char *p, size_t size, size_t nmemb, void *arg)
{
    ev_stream *s = arg;
    size_t n = size * nmemb;
    if (s->status == 0)
        curl_easy_getinfo(s->c->easy, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status >= 400 || s->status < 200) {
        size_t room = ERR_BODY_MAX - s->errbody.len;
        buf_append(&s->errbody, p, n < room ? n : room);
        return n;
    }
    return ev_feed(s, p, n) ? 0 : n;
}

int dk_events(dk_client *c, int64_t since_unix, dk_event_cb cb, void *arg, char *err, size_t errlen)
{
    /* filters={"type":["container"]}, URL-encoded */
    static const char filt[] = "filters=%7B%22type%22%3A%5B%22container%22%5D%7D";
    char path[160];
    ev_stream s = {.c = c, .cb = cb, .arg = arg, .obj = BUF_INIT, .errbody = BUF_INIT};
    CURLcode res = CURLE_OK;
    int rc;

    if (atomic_load(&c->cancelled)) {
        set_err(err, errlen, "cancelled");
        return -ECANCELED;
    }
    rc = ensure_negotiated(c, err, errlen);
    if (rc)
        goto out;
    if (since_unix > 0)
        snprintf(path, sizeof(path), "/v%s/events?since=%lld&%s", c->api, (long long)since_unix,
                 filt);
    else
        snprintf(path, sizeof(path), "/v%s/events?%s", c->api, filt);
    rc = prepare(c, path, 1, err, errlen);
    if (rc)
        goto out;
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, ev_write);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &s);
    rc = run_transfer(c, 1, &res);

    /* The order matters: a stop or cancel makes libcurl report an error
     * that is not one. */
    if (s.stopped) {
        rc = 0;
    } else if (rc == -ECANCELED || atomic_load(&c->cancelled)) {
        set_err(err, errlen, "cancelled");
        rc = -ECANCELED;
    } else if (rc) {
        set_err(err, errlen, "GET %s: libcurl multi interface failed", path);
    } else if (s.fail) {
        set_err(err, errlen, "%s", s.msg);
        rc = s.fail;
    } else if (res != CURLE_OK) {
        rc = curl_failure(c, path, res, err, errlen);
    } else {
        long status = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 400 || status < 200) {
            rc = http_failure(path, status, &s.errbody, err, errlen);
        } else {
            set_err(err, errlen, "the Docker daemon ended the event stream%s",
                    s.depth ? " in the middle of an event" : "");
            rc = -ECONNRESET;
        }
    }
    curl_easy_reset(c->easy);
out:
    buf_free(&s.obj);
    buf_free(&s.errbody);
    return rc;
}
