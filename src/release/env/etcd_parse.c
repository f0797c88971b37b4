/*
 * etcd_parse: the pure half of the etcd client. Every function takes one
 * whole reply body of the v3 JSON gateway and fills a struct; no I/O, so
 * each is unit-tested on captured replies (tests/fixtures/etcd/) and fuzzed.
 *
 * The gateway's encoding (research/release-side.md section 1): bytes are
 * standard base64, int64 are JSON strings (numbers are accepted too, in
 * case a proxy re-encodes), and a field at its zero value is omitted, so a
 * missing number is 0, a missing value is empty, a missing event type is
 * PUT and a missing bool is false. Anything of the wrong JSON type is
 * -EPROTO: a reply we half understand is worse than none.
 */
#include "release/env/etcd.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EPROTO;
}

/* ---- base64 -------------------------------------------------------------- */

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t etcd_b64_encode(const void *in, size_t n, char *out)
{
    const unsigned char *p = in;
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64_alpha[v >> 18];
        out[o++] = b64_alpha[(v >> 12) & 63];
        out[o++] = b64_alpha[(v >> 6) & 63];
        out[o++] = b64_alpha[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        out[o++] = b64_alpha[v >> 18];
        out[o++] = b64_alpha[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64_alpha[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int etcd_b64_decode(const char *in, size_t n, char *out, size_t *outlen)
{
    size_t o = 0;
    if (n % 4)
        return -EPROTO;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            if (c == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad) /* "ab=c": data after padding */
                return -EPROTO;
            v[j] = b64_val(c);
            if (v[j] < 0)
                return -EPROTO;
        }
        unsigned w =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[o++] = (char)(w >> 16);
        if (pad < 2)
            out[o++] = (char)(w >> 8);
        if (pad < 1)
            out[o++] = (char)w;
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* ---- field helpers ------------------------------------------------------- */

/* An int64 field: a JSON string of decimal digits (the gateway's form) or a
 * JSON integer; missing or null = 0. */
static int get_i64(const json_t *obj, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(obj, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return -EPROTO;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > 20 || strlen(s) != len)
        return -EPROTO;
    const char *d = s[0] == '-' ? s + 1 : s;
    if (!*d)
        return -EPROTO;
    for (const char *q = d; *q; q++)
        if (*q < '0' || *q > '9')
            return -EPROTO;
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return -EPROTO;
    *out = (int64_t)x;
    return 0;
}

/* A bool field; missing or null = 0. */
static int get_bool(const json_t *obj, const char *name, int *out)
{
    const json_t *v = json_object_get(obj, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return -EPROTO;
    *out = json_is_true(v);
    return 0;
}

/* A bytes field decoded into a malloc'd NUL-terminated string of at most
 * max bytes; missing = "" (etcd omits an empty value). */
static int get_bytes(const json_t *obj, const char *name, size_t max, char **out, size_t *outlen)
{
    const json_t *v = json_object_get(obj, name);
    const char *s = "";
    size_t len = 0;
    *out = NULL;
    *outlen = 0;
    if (v && !json_is_null(v)) {
        if (!json_is_string(v))
            return -EPROTO;
        s = json_string_value(v);
        len = json_string_length(v);
    }
    if (len / 4 * 3 > max + 2)
        return -EPROTO;
    char *p = malloc(len / 4 * 3 + 1);
    if (!p)
        return -ENOMEM;
    size_t n;
    if (etcd_b64_decode(s, len, p, &n) < 0 || n > max) {
        free(p);
        return -EPROTO;
    }
    *out = p;
    *outlen = n;
    return 0;
}

static json_t *load(const char *buf, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, 0, &je);
    if (!root) {
        fail(err, errlen, "etcd reply is not JSON: %s (line %d)", je.text, je.line);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        fail(err, errlen, "etcd reply is not a JSON object");
        return NULL;
    }
    return root;
}

/* header.revision of obj; no header = -EPROTO when required, else 0. */
static int get_header_rev(const json_t *obj, int required, int64_t *rev)
{
    const json_t *h = json_object_get(obj, "header");
    *rev = 0;
    if (!h)
        return required ? -EPROTO : 0;
    if (!json_is_object(h))
        return -EPROTO;
    return get_i64(h, "revision", rev);
}

/* ---- clear --------------------------------------------------------------- */

void etcd_kv_clear(etcd_kv *kv)
{
    if (!kv)
        return;
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof(*kv));
}

void etcd_range_clear(etcd_range *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        etcd_kv_clear(&r->kvs[i]);
    free(r->kvs);
    memset(r, 0, sizeof(*r));
}

void etcd_watch_msg_clear(etcd_watch_msg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_events; i++)
        etcd_kv_clear(&m->events[i].kv);
    free(m->events);
    free(m->cancel_reason);
    memset(m, 0, sizeof(*m));
}

/* ---- kv and range -------------------------------------------------------- */

/* One mvccpb.KeyValue. A key must be present and hold no NUL (etcd_kv has
 * no key length, so such a key could not be told from its prefix). */
static int parse_kv(const json_t *o, etcd_kv *kv, char *err, size_t errlen)
{
    size_t klen;
    int rc;
    memset(kv, 0, sizeof(*kv));
    if (!json_is_object(o))
        return fail(err, errlen, "etcd kv is not an object");
    if (!json_object_get(o, "key"))
        return fail(err, errlen, "etcd kv without a key");
    rc = get_bytes(o, "key", ETCD_MAX_KEY, &kv->key, &klen);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0 || klen == 0 || memchr(kv->key, '\0', klen)) {
        rc = fail(err, errlen, "etcd kv with a bad key (base64, empty, over %u bytes or a NUL)",
                  ETCD_MAX_KEY);
        goto out;
    }
    rc = get_bytes(o, "value", ETCD_MAX_VALUE, &kv->value, &kv->value_len);
    if (rc == -ENOMEM)
        goto out;
    if (rc < 0) {
        rc = fail(err, errlen, "etcd kv %s: bad value (base64 or over %u bytes)", kv->key,
                  ETCD_MAX_VALUE);
        goto out;
    }
    if (get_i64(o, "create_revision", &kv->create_rev) < 0 ||
        get_i64(o, "mod_revision", &kv->mod_rev) < 0 || get_i64(o, "version", &kv->version) < 0 ||
        get_i64(o, "lease", &kv->lease) < 0) {
        rc = fail(err, errlen, "etcd kv %s: a revision, version or lease is not an int64", kv->key);
        goto out;
    }
    return 0;
out:
    etcd_kv_clear(kv);
    return rc;
}

/* A RangeResponse object (top level or a txn's response_range). */
static int parse_range_obj(const json_t *o, etcd_range *out, char *err, size_t errlen)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(o))
        return fail(err, errlen, "etcd range reply is not an object");
    if (get_header_rev(o, 1, &out->revision) < 0)
        return fail(err, errlen, "etcd range reply without a valid header");
    if (get_i64(o, "count", &out->count) < 0 || get_bool(o, "more", &out->more) < 0)
        return fail(err, errlen, "etcd range reply: bad count or more");
    const json_t *kvs = json_object_get(o, "kvs");
    if (!kvs || json_is_null(kvs))
        return 0;
    if (!json_is_array(kvs))
        return fail(err, errlen, "etcd range reply: kvs is not an array");
    size_t n = json_array_size(kvs);
    if (n == 0)
        return 0;
    out->kvs = calloc(n, sizeof(*out->kvs));
    if (!out->kvs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        rc = parse_kv(json_array_get(kvs, i), &out->kvs[i], err, errlen);
        if (rc < 0)
            goto out;
        out->n++;
    }
    return 0;
out:
    etcd_range_clear(out);
    return rc;
}

int etcd_parse_error(const char *buf, size_t len, int *code, char *msg, size_t msglen)
{
    json_t *root = load(buf, len, NULL, 0);
    int is = 0;
    *code = 0;
    if (msg && msglen)
        msg[0] = '\0';
    if (!root)
        return 0;
    const json_t *e = json_object_get(root, "error");
    const json_t *c = json_object_get(root, "code");
    const json_t *m = json_object_get(root, "message");
    if (json_is_object(e)) {
        /* A stream's error ({"error":{"grpc_code":N,"message":..}}). */
        c = json_object_get(e, "grpc_code");
        m = json_object_get(e, "message");
        e = NULL;
    }
    if (json_is_integer(c) && (json_is_string(m) || json_is_string(e))) {
        is = 1;
        json_int_t cv = json_integer_value(c);
        *code = cv < 0 || cv > INT_MAX ? -1 : (int)cv;
        const char *s = json_is_string(m) ? json_string_value(m) : json_string_value(e);
        if (msg && msglen)
            snprintf(msg, msglen, "%s", s);
    }
    json_decref(root);
    return is;
}

int etcd_parse_range(const char *buf, size_t len, etcd_range *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    int rc = parse_range_obj(root, out, err, errlen);
    json_decref(root);
    return rc;
}

int etcd_parse_txn(const char *buf, size_t len, int *succeeded, int64_t *revision,
                   etcd_range **ranges, size_t *n, char *err, size_t errlen)
{
    int rc = 0;
    etcd_range *v = NULL;
    size_t nv = 0;
    *succeeded = 0;
    *revision = 0;
    *ranges = NULL;
    *n = 0;
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    if (get_header_rev(root, 1, revision) < 0) {
        rc = fail(err, errlen, "etcd txn reply without a valid header");
        goto out;
    }
    if (get_bool(root, "succeeded", succeeded) < 0) {
        rc = fail(err, errlen, "etcd txn reply: succeeded is not a bool");
        goto out;
    }
    const json_t *resp = json_object_get(root, "responses");
    if (!resp || json_is_null(resp))
        goto out;
    if (!json_is_array(resp)) {
        rc = fail(err, errlen, "etcd txn reply: responses is not an array");
        goto out;
    }
    size_t total = json_array_size(resp);
    if (total == 0)
        goto out;
    v = calloc(total, sizeof(*v));
    if (!v) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < total; i++) {
        const json_t *r = json_array_get(resp, i);
        if (!json_is_object(r)) {
            rc = fail(err, errlen, "etcd txn reply: response %zu is not an object", i);
            goto out;
        }
        const json_t *rr = json_object_get(r, "response_range");
        if (!rr)
            continue; /* a put or delete response */
        rc = parse_range_obj(rr, &v[nv], err, errlen);
        if (rc < 0)
            goto out;
        nv++;
    }
out:
    json_decref(root);
    if (rc < 0 || nv == 0) {
        for (size_t i = 0; i < nv; i++)
            etcd_range_clear(&v[i]);
        free(v);
        v = NULL;
        nv = 0;
    }
    if (rc < 0) {
        *succeeded = 0;
        *revision = 0;
    }
    *ranges = v;
    *n = nv;
    return rc;
}

int etcd_parse_header(const char *buf, size_t len, int64_t *revision, int64_t *deleted, char *err,
                      size_t errlen)
{
    int rc = 0;
    *revision = 0;
    if (deleted)
        *deleted = 0;
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    if (get_header_rev(root, 1, revision) < 0)
        rc = fail(err, errlen, "etcd reply without a valid header");
    else if (deleted && get_i64(root, "deleted", deleted) < 0)
        rc = fail(err, errlen, "etcd reply: deleted is not an int64");
    if (rc < 0) {
        *revision = 0;
        if (deleted)
            *deleted = 0;
    }
    json_decref(root);
    return rc;
}

int etcd_parse_auth(const char *buf, size_t len, char *token, size_t toklen, char *err,
                    size_t errlen)
{
    int rc = 0;
    if (toklen)
        token[0] = '\0';
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    const json_t *t = json_object_get(root, "token");
    if (!json_is_string(t) || json_string_length(t) == 0) {
        rc = fail(err, errlen, "etcd authenticate reply without a token");
        goto out;
    }
    size_t tl = json_string_length(t);
    const char *s = json_string_value(t);
    if (tl >= toklen || strlen(s) != tl) {
        rc = fail(err, errlen, "etcd authenticate reply: token too long or with a NUL");
        goto out;
    }
    /* The token goes into a header line: no control bytes. */
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            rc = fail(err, errlen, "etcd authenticate reply: token with a control byte");
            goto out;
        }
    memcpy(token, s, tl + 1);
out:
    json_decref(root);
    return rc;
}

int etcd_parse_lease(const char *buf, size_t len, int64_t *id, int64_t *ttl, char *err,
                     size_t errlen)
{
    int rc = 0;
    *id = 0;
    *ttl = 0;
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    const json_t *o = root;
    const json_t *res = json_object_get(root, "result"); /* keepalive is a stream */
    if (res) {
        if (!json_is_object(res)) {
            rc = fail(err, errlen, "etcd lease reply: result is not an object");
            goto out;
        }
        o = res;
    }
    const json_t *e = json_object_get(o, "error"); /* LeaseGrantResponse.error */
    if (json_is_string(e) && json_string_length(e) > 0) {
        rc = fail(err, errlen, "etcd lease: %s", json_string_value(e));
        goto out;
    }
    if (!json_object_get(o, "ID") || get_i64(o, "ID", id) < 0 || get_i64(o, "TTL", ttl) < 0) {
        rc = fail(err, errlen, "etcd lease reply without a valid ID or TTL");
        goto out;
    }
    if (*ttl < 0)
        *ttl = 0;
out:
    if (rc < 0)
        *id = *ttl = 0;
    json_decref(root);
    return rc;
}

static int parse_event(const json_t *o, etcd_event *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    if (!json_is_object(o))
        return fail(err, errlen, "etcd watch event is not an object");
    const json_t *t = json_object_get(o, "type");
    if (!t || json_is_null(t))
        ev->type = ETCD_EV_PUT;
    else if (json_is_string(t) && strcmp(json_string_value(t), "PUT") == 0)
        ev->type = ETCD_EV_PUT;
    else if (json_is_string(t) && strcmp(json_string_value(t), "DELETE") == 0)
        ev->type = ETCD_EV_DELETE;
    else if (json_is_integer(t) && json_integer_value(t) >= 0 && json_integer_value(t) <= 1)
        ev->type = (etcd_ev_type)json_integer_value(t);
    else
        return fail(err, errlen, "etcd watch event of an unknown type");
    return parse_kv(json_object_get(o, "kv"), &ev->kv, err, errlen);
}

int etcd_parse_watch(const char *buf, size_t len, etcd_watch_msg *out, char *err, size_t errlen)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    json_t *root = load(buf, len, err, errlen);
    if (!root)
        return -EPROTO;
    const json_t *r = json_object_get(root, "result");
    if (!json_is_object(r)) {
        rc = fail(err, errlen, "etcd watch message without a result");
        goto out;
    }
    /* The compaction cancel's header has no revision: header optional. */
    if (get_header_rev(r, 0, &out->revision) < 0 || get_i64(r, "watch_id", &out->watch_id) < 0 ||
        get_bool(r, "created", &out->created) < 0 || get_bool(r, "canceled", &out->canceled) < 0 ||
        get_i64(r, "compact_revision", &out->compact_revision) < 0) {
        rc = fail(err, errlen, "etcd watch message: a field of the wrong type");
        goto out;
    }
    const json_t *cr = json_object_get(r, "cancel_reason");
    if (cr && !json_is_null(cr)) {
        if (!json_is_string(cr)) {
            rc = fail(err, errlen, "etcd watch message: cancel_reason is not a string");
            goto out;
        }
        out->cancel_reason = strdup(json_string_value(cr));
        if (!out->cancel_reason) {
            rc = -ENOMEM;
            goto out;
        }
    }
    const json_t *evs = json_object_get(r, "events");
    if (!evs || json_is_null(evs))
        goto out;
    if (!json_is_array(evs)) {
        rc = fail(err, errlen, "etcd watch message: events is not an array");
        goto out;
    }
    size_t n = json_array_size(evs);
    if (n == 0)
        goto out;
    out->events = calloc(n, sizeof(*out->events));
    if (!out->events) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = parse_event(json_array_get(evs, i), &out->events[i], err, errlen);
        if (rc < 0)
            goto out;
        out->n_events++;
    }
out:
    if (rc < 0)
        etcd_watch_msg_clear(out);
    json_decref(root);
    return rc;
}

void etcd_prefix_end(const char *key, size_t len, char *out, size_t *outlen)
{
    for (size_t i = len; i > 0; i--) {
        unsigned char c = (unsigned char)key[i - 1];
        if (c < 0xff) {
            memcpy(out, key, i - 1);
            out[i - 1] = (char)(c + 1);
            *outlen = i;
            return;
        }
    }
    out[0] = '\0';
    *outlen = 1;
}
