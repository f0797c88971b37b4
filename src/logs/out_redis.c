/*
 * out_redis: records pushed onto a Redis list, as Logstash's redis input
 * (data_type => "list", codec json) reads them.
 *
 *   log_output rd redis host=127.0.0.1 port=6379 key=logs [password=..] [db=N]
 *
 * A batch is one RPUSH key doc1 doc2 ... (RESP written by hand: it is a few
 * length-prefixed strings), each doc the record's JSON document (lenc_doc:
 * "@timestamp" and "message" as Logstash expects). RPUSH is atomic: the
 * integer reply means every value of the batch is in the list, an error
 * reply (-OOM, -READONLY, -WRONGTYPE...) means none is, so either the whole
 * batch is delivered or the pipeline retries it. A batch is delivered only
 * when the reply arrives; a connection lost before it means the batch may
 * or may not be there (at least once: sent again).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lenc.h"
#include "net/conn.h"
#include "logs/lout.h"
#include "util/opt.h"

/* ---- encoder --------------------------------------------------------------- */

static void bulk(buf *b, const char *s, size_t len)
{
    buf_putc(b, '$');
    buf_put_u64(b, len);
    buf_puts(b, "\r\n");
    buf_append(b, s, len);
    buf_puts(b, "\r\n");
}

void lenc_resp_cmd(buf *b, int argc, const char *const *argv)
{
    buf_putc(b, '*');
    buf_put_u64(b, (unsigned long long)argc);
    buf_puts(b, "\r\n");
    for (int i = 0; i < argc; i++)
        bulk(b, argv[i], strlen(argv[i]));
}

void lenc_redis_rpush(buf *b, const char *key, const lrec *recs, size_t n)
{
    buf doc = BUF_INIT;
    buf_putc(b, '*');
    buf_put_u64(b, n + 2);
    buf_puts(b, "\r\n");
    bulk(b, "RPUSH", 5);
    bulk(b, key, strlen(key));
    for (size_t i = 0; i < n; i++) {
        buf_reset(&doc);
        lenc_doc(&doc, &recs[i], 0);
        bulk(b, doc.data, doc.len);
    }
    buf_free(&doc);
}

/* ---- reply parser ------------------------------------------------------------ */

/* Finds the CRLF ending the line at p[0..len): its offset, -EAGAIN when
 * there is none yet, -EPROTO when a bare CR or LF or an overlong line. */
static long line_end(const char *p, size_t len)
{
    size_t max = len < LENC_RESP_MAX ? len : LENC_RESP_MAX;
    for (size_t i = 0; i < max; i++) {
        if (p[i] == '\r') {
            if (i + 1 >= len)
                return -EAGAIN;
            return p[i + 1] == '\n' ? (long)i : -EPROTO;
        }
        if (p[i] == '\n')
            return -EPROTO;
    }
    return len >= LENC_RESP_MAX ? -EPROTO : -EAGAIN;
}

static int parse_int(const char *s, size_t len, long long *out)
{
    long long v = 0;
    size_t i = 0;
    int neg = 0;
    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len || len - i > 18)
        return -EPROTO;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EPROTO;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static long parse_at(const char *p, size_t len, lenc_resp *out, int depth)
{
    if (len == 0)
        return -EAGAIN;
    if (depth > 8)
        return -EPROTO;
    long e = line_end(p + 1, len - 1);
    if (e < 0)
        return e;
    const char *line = p + 1;
    size_t ll = (size_t)e;
    size_t used = 1 + ll + 2;
    out->type = (unsigned char)p[0];
    out->str = NULL;
    out->len = 0;
    out->ival = 0;
    switch (p[0]) {
    case '+':
    case '-':
        out->str = line;
        out->len = ll;
        return (long)used;
    case ':':
        return parse_int(line, ll, &out->ival) < 0 ? -EPROTO : (long)used;
    case '$': {
        if (parse_int(line, ll, &out->ival) < 0 || out->ival < -1 ||
            out->ival > (long long)LENC_RESP_MAX)
            return -EPROTO;
        if (out->ival == -1)
            return (long)used;
        size_t bl = (size_t)out->ival;
        if (len - used < bl + 2)
            return -EAGAIN;
        if (p[used + bl] != '\r' || p[used + bl + 1] != '\n')
            return -EPROTO;
        out->str = p + used;
        out->len = bl;
        return (long)(used + bl + 2);
    }
    case '*': {
        if (parse_int(line, ll, &out->ival) < 0 || out->ival < -1 || out->ival > 1024 * 1024)
            return -EPROTO;
        for (long long i = 0; i < out->ival; i++) {
            lenc_resp el;
            long r = parse_at(p + used, len - used, &el, depth + 1);
            if (r < 0)
                return r;
            used += (size_t)r;
        }
        return (long)used;
    }
    default:
        return -EPROTO;
    }
}

long lenc_resp_parse(const char *p, size_t len, lenc_resp *out)
{
    return parse_at(p, len, out, 0);
}

/* ---- transport ------------------------------------------------------------- */

typedef struct redis_out {
    conn *net;
    char key[256];
    char password[256];
    char db[16];
    unsigned long authed_on; /* conn_connects() when AUTH/SELECT were sent */
    buf out;
    buf in;
} redis_out;

static const char *const redis_keys[] = {
    "host", "port", "key", "password", "db", "timeout", "tls", "ca", "tls_verify", NULL,
};

static void redis_destroy(void *state)
{
    redis_out *o = state;
    if (!o)
        return;
    conn_free(o->net);
    buf_free(&o->out);
    buf_free(&o->in);
    free(o);
}

static int redis_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    int rc = lenc_opts_check(c, redis_keys, err, errlen);
    if (rc < 0)
        return rc;
    const char *key = lenc_opt(c, "key", "berth");
    const char *db = lenc_opt(c, "db", "");
    if (!key[0] || strlen(key) >= 256) {
        snprintf(err, errlen, "output %s: key: want a list name", c->name);
        return -EINVAL;
    }
    if (db[0] && strspn(db, "0123456789") != strlen(db)) {
        snprintf(err, errlen, "output %s: db: want a number", c->name);
        return -EINVAL;
    }
    conn *net = NULL;
    rc = lout_conn_from_cfg(c, "6379", "6379", &net, err, errlen);
    if (rc < 0)
        return rc;
    redis_out *o = calloc(1, sizeof(*o));
    if (!o) {
        conn_free(net);
        return -ENOMEM;
    }
    o->net = net;
    snprintf(o->key, sizeof(o->key), "%s", key);
    snprintf(o->password, sizeof(o->password), "%s", lenc_opt(c, "password", ""));
    snprintf(o->db, sizeof(o->db), "%s", db);
    *state = o;
    return 0;
}

/* Reads one whole reply into o->in; 0 or a negative errno. */
static int read_reply(redis_out *o, lenc_resp *r, char *err, size_t errlen)
{
    buf_reset(&o->in);
    for (;;) {
        long p = lenc_resp_parse(o->in.data ? o->in.data : "", o->in.len, r);
        if (p > 0) {
            if ((size_t)p != o->in.len) {
                snprintf(err, errlen, "redis: unexpected bytes after the reply");
                conn_close(o->net);
                return -EPROTO;
            }
            return 0;
        }
        if (p != -EAGAIN) {
            snprintf(err, errlen, "redis: garbage reply: %.60s", o->in.data);
            conn_close(o->net);
            return -EPROTO;
        }
        buf_reserve(&o->in, 4096);
        long n = conn_read(o->net, o->in.data + o->in.len, o->in.cap - o->in.len - 1, err, errlen);
        if (n < 0)
            return (int)n;
        o->in.len += (size_t)n;
        o->in.data[o->in.len] = '\0';
    }
}

/* Sends one command and checks its reply is not an error. */
static int simple_cmd(redis_out *o, int argc, const char *const *argv, char *err, size_t errlen)
{
    lenc_resp r;
    buf_reset(&o->out);
    lenc_resp_cmd(&o->out, argc, argv);
    int rc = conn_write(o->net, o->out.data, o->out.len, err, errlen);
    if (rc == 0)
        rc = read_reply(o, &r, err, errlen);
    if (rc == 0 && r.type == LENC_RESP_ERROR) {
        snprintf(err, errlen, "redis %s: %.*s", argv[0], (int)(r.len > 200 ? 200 : r.len), r.str);
        conn_close(o->net);
        return -EACCES;
    }
    return rc;
}

static int redis_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err,
                      size_t errlen)
{
    redis_out *o = state;
    lenc_resp r;
    int rc = conn_ready(o->net, err, errlen);
    if (rc < 0)
        return rc;
    if (o->authed_on != conn_connects(o->net)) {
        if (o->password[0]) {
            const char *argv[] = {"AUTH", o->password};
            if ((rc = simple_cmd(o, 2, argv, err, errlen)) < 0)
                return rc;
        }
        if (o->db[0]) {
            const char *argv[] = {"SELECT", o->db};
            if ((rc = simple_cmd(o, 2, argv, err, errlen)) < 0)
                return rc;
        }
        o->authed_on = conn_connects(o->net);
    }
    if (n == 0)
        return 0;
    buf_reset(&o->out);
    lenc_redis_rpush(&o->out, o->key, recs, n);
    rc = conn_write(o->net, o->out.data, o->out.len, err, errlen);
    if (rc == 0)
        rc = read_reply(o, &r, err, errlen);
    if (rc < 0)
        return rc;
    if (r.type == LENC_RESP_INT) {
        memset(st, LOUT_OK, n);
        return 0;
    }
    if (r.type == LENC_RESP_ERROR)
        snprintf(err, errlen, "redis RPUSH: %.*s", (int)(r.len > 200 ? 200 : r.len), r.str);
    else
        snprintf(err, errlen, "redis RPUSH: unexpected reply type '%c'", r.type);
    /* nothing was pushed: the pipeline backs off and sends it again */
    return r.type == LENC_RESP_ERROR ? -EAGAIN : -EPROTO;
}

const lout_ops lout_redis_ops = {
    .type = "redis",
    .create = redis_create,
    .send = redis_send,
    .destroy = redis_destroy,
};
