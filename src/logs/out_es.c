/*
 * out_es: Elasticsearch / OpenSearch output through the _bulk API.
 *
 *   log_output es elasticsearch url=http://127.0.0.1:9200 index=logs-%Y.%m.%d
 *
 * A batch is one POST /_bulk with an NDJSON body (Content-Type
 * application/x-ndjson; gzip with compress=gzip): per record an action line
 * and the record's document (lenc_doc, with field names made safe for
 * mappings: a dot in a label key would be an object path to ES and clash
 * with a sibling value). The index comes from a strftime pattern over the
 * record's own UTC time, so a late record lands in its day's index.
 *
 * Duplicates: with dedup=on (the default) each record gets a "create" with
 * an _id derived from the record, so a batch sent again after a lost reply
 * gives 409 for what ES already has, which counts as delivered.
 *
 * Replies: a 200 carries one status per item. 2xx and 409 are OK; 429 and
 * 5xx items are retried (LOUT_RETRY); other 4xx items (a mapping conflict)
 * can never succeed and are rejected. A 429 or 5xx for the whole request, a
 * reply that is not a bulk reply, or a transport error is a negative errno:
 * the pipeline backs off and sends the batch again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "logs/lenc.h"
#include "net/httpc.h"
#include "logs/lout.h"
#include "util/opt.h"

/* ---- encoder --------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void lenc_es_id(const lrec *r, char id[33])
{
    const char *src = r->container_id && r->container_id[0] ? r->container_id : r->path;
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    for (int k = 0; k < 2; k++) {
        if (src)
            h[k] = fnv1a(h[k], src, strlen(src));
        h[k] = fnv1a(h[k], &r->stream, sizeof(r->stream));
        h[k] = fnv1a(h[k], &r->seq, sizeof(r->seq));
        h[k] = fnv1a(h[k], &r->ts_ns, sizeof(r->ts_ns));
        h[k] = fnv1a(h[k], r->msg, r->msg_len);
    }
    snprintf(id, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* strftime of a pattern from the config: the pattern is the user's, and
 * only % conversions of strftime's own are expanded. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t expand(char *out, size_t cap, const char *pattern, const struct tm *tm)
{
    return strftime(out, cap, pattern, tm);
}
#pragma GCC diagnostic pop

/* Appends the index name of time ts_ns: strftime of the pattern in UTC. */
static void put_index(buf *b, const char *pattern, int64_t ts_ns)
{
    char name[256];
    if (ts_ns < 0)
        ts_ns = 0;
    time_t sec = (time_t)(ts_ns / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = expand(name, sizeof(name), pattern, &tm);
    if (n == 0)
        lenc_json_str(b, pattern, strlen(pattern));
    else
        lenc_json_str(b, name, n);
}

void lenc_es_bulk(buf *b, const lrec *recs, size_t n, const lenc_es_opts *o)
{
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, o->dedup ? "{\"create\":{\"_index\":" : "{\"index\":{\"_index\":");
        put_index(b, o->index, recs[i].ts_ns);
        if (o->dedup) {
            char id[33];
            lenc_es_id(&recs[i], id);
            buf_puts(b, ",\"_id\":\"");
            buf_append(b, id, 32);
            buf_putc(b, '"');
        }
        buf_puts(b, "}}\n");
        lenc_doc(b, &recs[i], 1);
        buf_putc(b, '\n');
    }
}

int lenc_es_reply(const char *text, size_t len, size_t n, uint8_t *st, char *err, size_t errlen)
{
    json_error_t je;
    int bad = 0;
    int noted = 0;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        snprintf(err, errlen, "bulk reply is not JSON: %s", je.text);
        return -EPROTO;
    }
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items) || json_array_size(items) != n) {
        snprintf(err, errlen, "bulk reply has %zu items for %zu records",
                 json_is_array(items) ? json_array_size(items) : 0, n);
        bad = -EPROTO;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(items, i);
        /* {"create": {"status": 201, ...}}: one key, the action */
        if (!json_is_object(it) || json_object_size(it) != 1) {
            snprintf(err, errlen, "bulk reply item %zu is not an action object", i);
            bad = -EPROTO;
            goto out;
        }
        json_t *res = json_object_iter_value(json_object_iter(it));
        json_t *status = json_object_get(res, "status");
        if (!json_is_integer(status)) {
            snprintf(err, errlen, "bulk reply item %zu has no status", i);
            bad = -EPROTO;
            goto out;
        }
        json_int_t s = json_integer_value(status);
        if ((s >= 200 && s < 300) || s == 409) {
            st[i] = LOUT_OK;
            continue;
        }
        st[i] = (s == 429 || s >= 500) ? LOUT_RETRY : LOUT_REJECT;
        bad++;
        if (!noted) {
            json_t *e = json_object_get(res, "error");
            const char *type = json_string_value(json_object_get(e, "type"));
            const char *reason = json_string_value(json_object_get(e, "reason"));
            snprintf(err, errlen, "item %zu: status %lld %s: %s", i, (long long)s,
                     type ? type : (json_is_string(e) ? json_string_value(e) : "error"),
                     reason ? reason : "");
            noted = 1;
        }
    }
out:
    json_decref(root);
    return bad;
}

/* ---- transport ------------------------------------------------------------- */

typedef struct es_out {
    char name[64];
    char url[1100]; /* .../_bulk?filter_path=... */
    char index[256];
    int dedup;
    int gzip;
    httpc *http;
    buf body;
    buf gz;
    buf reply;
} es_out;

static const char *const es_keys[] = {
    "url", "index", "compress", "dedup", "user", "password", "ca", "tls_verify", "timeout", NULL,
};

/* An index name ES accepts: lower case, none of \ / * ? " < > | space , #,
 * not starting with - _ +. Checked on the pattern with a sample time. */
static int index_ok(const char *pattern, char *why, size_t whylen)
{
    char name[256];
    struct tm tm;
    time_t t = 0;
    gmtime_r(&t, &tm);
    size_t n = expand(name, sizeof(name), pattern, &tm);
    if (n == 0) {
        snprintf(why, whylen, "expands to nothing");
        return 0;
    }
    if (name[0] == '-' || name[0] == '_' || name[0] == '+') {
        snprintf(why, whylen, "must not start with '-', '_' or '+'");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((c >= 'A' && c <= 'Z') || strchr("\\/*?\"<>| ,#:", c) || c < 0x20) {
            snprintf(why, whylen, "must be lower case without \\ / * ? \" < > | space , # :");
            return 0;
        }
    }
    return 1;
}

static void es_destroy(void *state)
{
    es_out *o = state;
    if (!o)
        return;
    httpc_free(o->http);
    buf_free(&o->body);
    buf_free(&o->gz);
    buf_free(&o->reply);
    free(o);
}

static int es_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    int rc = lenc_opts_check(c, es_keys, err, errlen);
    if (rc < 0)
        return rc;
    es_out *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    snprintf(o->name, sizeof(o->name), "%s", c->name);
    snprintf(o->index, sizeof(o->index), "%s", lenc_opt(c, "index", "logs-%Y.%m.%d"));
    char why[128];
    if (!index_ok(o->index, why, sizeof(why))) {
        snprintf(err, errlen, "output %s: index=%s: %s", c->name, o->index, why);
        rc = -EINVAL;
        goto fail;
    }
    o->dedup = 1;
    if (lenc_opt_bool(lenc_opt(c, "dedup", "on"), &o->dedup) < 0) {
        snprintf(err, errlen, "output %s: dedup wants on or off", c->name);
        rc = -EINVAL;
        goto fail;
    }
    /* filter_path: only what the parser reads, which keeps a 10k-item reply small */
    rc = lout_httpc_from_cfg(c, "/_bulk?filter_path=errors,items.*.status,items.*.error", NULL,
                             o->url, sizeof(o->url), &o->gzip, &o->http, err, errlen);
    if (rc < 0)
        goto fail;
    *state = o;
    return 0;
fail:
    es_destroy(o);
    return rc;
}

static int es_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err, size_t errlen)
{
    es_out *o = state;
    lenc_es_opts eo = {.index = o->index, .dedup = o->dedup};
    long status = 0;
    int rc;

    if (n == 0)
        return 0;
    buf_reset(&o->body);
    lenc_es_bulk(&o->body, recs, n, &eo);
    rc = httpc_post_buf(o->http, o->url, "application/x-ndjson", o->gzip, &o->body, &o->gz, &status,
                        &o->reply, err, errlen);
    if (rc < 0)
        return rc;
    if (status == 200) {
        rc = lenc_es_reply(o->reply.data, o->reply.len, n, st, err, errlen);
        return rc < 0 ? rc : 0;
    }
    snprintf(err, errlen, "POST _bulk: HTTP %ld: %.200s", status, o->reply.data);
    return httpc_status_errno(status);
}

const lout_ops lout_elasticsearch_ops = {
    .type = "elasticsearch",
    .create = es_create,
    .send = es_send,
    .destroy = es_destroy,
};
