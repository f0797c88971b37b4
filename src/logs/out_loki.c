/*
 * out_loki: Grafana Loki output through the push API (JSON format).
 *
 *   log_output loki loki url=http://127.0.0.1:3100 [compress=gzip] [tenant=ID]
 *
 * A batch is one POST /loki/api/v1/push of
 *   {"streams":[{"stream":{LABELS},"values":[["<ns>","<line>"],...]},...]}
 * Labels are the low-cardinality tags only: host, container_name, image,
 * compose_project, compose_service, swarm_service, stream, and filename for
 * plain files; never the container id (a new stream per container start
 * would explode Loki's index). Entries of one stream go in time order, as
 * Loki wants them. The line is the raw message.
 *
 * Replies: 204 (or any 2xx) is delivered. 400 is Loki refusing entries for
 * good (out of order, too old, line too long) while storing the others of
 * the same push: the streams the body names are rejected, the rest OK.
 * 429 and 5xx are a negative errno (back off, send the batch again).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lenc.h"
#include "net/httpc.h"
#include "logs/lout.h"
#include "util/opt.h"

/* ---- encoder --------------------------------------------------------------- */

/* Label names in sorted order (Loki prints them sorted). */
enum { L_CPROJ, L_CSERV, L_CNAME, L_FILE, L_HOST, L_IMAGE, L_STREAM, L_SWARM, L_N };
static const char *const label_names[L_N] = {
    "compose_project", "compose_service", "container_name", "filename", "host",
    "image",           "stream",          "swarm_service",
};

static const char *label_val(const lrec *r, int k)
{
    switch (k) {
    case L_CPROJ:
        return r->compose_project;
    case L_CSERV:
        return r->compose_service;
    case L_CNAME:
        return r->container_name;
    case L_FILE:
        return r->stream == LREC_FILE ? r->path : "";
    case L_HOST:
        return r->host;
    case L_IMAGE:
        return r->image;
    case L_STREAM:
        return lenc_stream_name(r->stream);
    default:
        return r->swarm_service;
    }
}

/* Go's strconv.Quote for the ASCII range; other bytes as they are (U+FFFD
 * for invalid UTF-8), which is what Loki prints for printable text. */
static void go_quote(buf *b, const char *s)
{
    buf_putc(b, '"');
    size_t start = b->len;
    lenc_utf8(b, s, strlen(s));
    /* escape in place by rebuilding the tail */
    buf tmp = BUF_INIT;
    buf_append(&tmp, b->data + start, b->len - start);
    b->len = start;
    for (size_t i = 0; i < tmp.len; i++) {
        unsigned char c = (unsigned char)tmp.data[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c == '\n') {
            buf_puts(b, "\\n");
        } else if (c == '\t') {
            buf_puts(b, "\\t");
        } else if (c == '\r') {
            buf_puts(b, "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(b, "\\x%02x", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_free(&tmp);
    buf_putc(b, '"');
}

void lenc_loki_labels(buf *b, const lrec *r)
{
    int first = 1;
    buf_putc(b, '{');
    for (int k = 0; k < L_N; k++) {
        const char *v = label_val(r, k);
        if (!v || !v[0])
            continue;
        if (!first)
            buf_puts(b, ", ");
        first = 0;
        buf_puts(b, label_names[k]);
        buf_putc(b, '=');
        go_quote(b, v);
    }
    buf_putc(b, '}');
}

/* The stream's label object as JSON: {"host":"a","stream":"stdout"}. */
static void labels_json(buf *b, const lrec *r)
{
    int first = 1;
    buf_putc(b, '{');
    for (int k = 0; k < L_N; k++) {
        const char *v = label_val(r, k);
        if (!v || !v[0])
            continue;
        if (!first)
            buf_putc(b, ',');
        first = 0;
        buf_putc(b, '"');
        buf_puts(b, label_names[k]);
        buf_puts(b, "\":");
        lenc_json_str(b, v, strlen(v));
    }
    buf_putc(b, '}');
}

typedef struct sort_ent {
    size_t stream;
    int64_t ts;
    size_t i;
} sort_ent;

static int cmp_ent(const void *a, const void *b)
{
    const sort_ent *x = a, *y = b;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

size_t lenc_loki_push(buf *b, const lrec *recs, size_t n, size_t *stream_of)
{
    /* Each record's label JSON, kept in one buffer with offsets; streams
     * are found by comparing those texts through a small hash table. */
    buf lab = BUF_INIT;
    size_t *off = malloc((n + 1) * sizeof(*off));
    size_t *first_rec = malloc((n + 1) * sizeof(*first_rec)); /* stream -> a record */
    size_t hsize = 16;
    while (hsize < 2 * n)
        hsize *= 2;
    size_t *table = malloc(hsize * sizeof(*table)); /* stream + 1, 0 = empty */
    sort_ent *ents = malloc((n + 1) * sizeof(*ents));
    size_t nstreams = 0;
    if (!off || !first_rec || !table || !ents)
        abort();
    memset(table, 0, hsize * sizeof(*table));

    for (size_t i = 0; i < n; i++) {
        off[i] = lab.len;
        labels_json(&lab, &recs[i]);
    }
    off[n] = lab.len;
    for (size_t i = 0; i < n; i++) {
        const char *t = lab.data + off[i];
        size_t tl = off[i + 1] - off[i];
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t k = 0; k < tl; k++)
            h = (h ^ (unsigned char)t[k]) * 0x100000001b3ULL;
        size_t slot = (size_t)h & (hsize - 1);
        for (;;) {
            if (table[slot] == 0) {
                table[slot] = ++nstreams;
                first_rec[nstreams - 1] = i;
                stream_of[i] = nstreams - 1;
                break;
            }
            size_t s = table[slot] - 1, j = first_rec[s];
            if (off[j + 1] - off[j] == tl && memcmp(lab.data + off[j], t, tl) == 0) {
                stream_of[i] = s;
                break;
            }
            slot = (slot + 1) & (hsize - 1);
        }
        ents[i].stream = stream_of[i];
        ents[i].ts = recs[i].ts_ns;
        ents[i].i = i;
    }
    qsort(ents, n, sizeof(*ents), cmp_ent);

    buf_puts(b, "{\"streams\":[");
    for (size_t k = 0; k < n; k++) {
        const sort_ent *e = &ents[k];
        int new_stream = k == 0 || ents[k - 1].stream != e->stream;
        if (new_stream) {
            if (k)
                buf_puts(b, "]},");
            size_t j = first_rec[e->stream];
            buf_puts(b, "{\"stream\":");
            buf_append(b, lab.data + off[j], off[j + 1] - off[j]);
            buf_puts(b, ",\"values\":[");
        } else {
            buf_putc(b, ',');
        }
        buf_puts(b, "[\"");
        buf_put_u64(b, (unsigned long long)(e->ts < 0 ? 0 : e->ts));
        buf_puts(b, "\",");
        lenc_json_str(b, recs[e->i].msg, recs[e->i].msg_len);
        buf_putc(b, ']');
    }
    if (n)
        buf_puts(b, "]}");
    buf_puts(b, "]}");

    buf_free(&lab);
    free(off);
    free(first_rec);
    free(table);
    free(ents);
    return nstreams;
}

size_t lenc_loki_400(const char *body, size_t len, const lrec *recs, size_t n, uint8_t *st)
{
    /* Loki names a stream by its label set as Prometheus prints it, after
     * "for stream: " (out of order, too old) or "for stream " (line too
     * long), so the label text itself is what is looked for. */
    size_t rejected = 0;
    buf lab = BUF_INIT;
    buf text = BUF_INIT;
    buf_append(&text, body, len); /* NUL-terminated copy for strstr */
    for (size_t i = 0; i < n; i++) {
        buf_reset(&lab);
        lenc_loki_labels(&lab, &recs[i]);
        st[i] = strstr(text.data, lab.data) ? LOUT_REJECT : LOUT_OK;
        rejected += st[i] == LOUT_REJECT;
    }
    if (rejected == 0) {
        for (size_t i = 0; i < n; i++)
            st[i] = LOUT_REJECT;
        rejected = n;
    }
    buf_free(&lab);
    buf_free(&text);
    return rejected;
}

/* ---- transport ------------------------------------------------------------- */

typedef struct loki_out {
    char url[1100];
    int gzip;
    httpc *http;
    size_t *stream_of;
    size_t cap;
    buf body, gz, reply;
} loki_out;

static const char *const loki_keys[] = {
    "url", "compress", "tenant", "user", "password", "ca", "tls_verify", "timeout", NULL,
};

static void loki_destroy(void *state)
{
    loki_out *o = state;
    if (!o)
        return;
    httpc_free(o->http);
    free(o->stream_of);
    buf_free(&o->body);
    buf_free(&o->gz);
    buf_free(&o->reply);
    free(o);
}

static int loki_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    int rc = lenc_opts_check(c, loki_keys, err, errlen);
    if (rc < 0)
        return rc;
    loki_out *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    char hdr[1100] = "";
    const char *tenant = lenc_opt(c, "tenant", NULL);
    if (tenant)
        snprintf(hdr, sizeof(hdr), "X-Scope-OrgID: %s", tenant);
    rc = lout_httpc_from_cfg(c, "/loki/api/v1/push", tenant ? hdr : NULL, o->url, sizeof(o->url),
                             &o->gzip, &o->http, err, errlen);
    if (rc < 0)
        goto fail;
    *state = o;
    return 0;
fail:
    loki_destroy(o);
    return rc;
}

static int loki_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err, size_t errlen)
{
    loki_out *o = state;
    long status = 0;
    int rc;

    if (n == 0)
        return 0;
    if (n > o->cap) {
        size_t *p = realloc(o->stream_of, n * sizeof(*p));
        if (!p)
            return -ENOMEM;
        o->stream_of = p;
        o->cap = n;
    }
    buf_reset(&o->body);
    lenc_loki_push(&o->body, recs, n, o->stream_of);
    rc = httpc_post_buf(o->http, o->url, "application/json", o->gzip, &o->body, &o->gz, &status,
                        &o->reply, err, errlen);
    if (rc < 0)
        return rc;
    if (status >= 200 && status < 300) {
        memset(st, LOUT_OK, n);
        return 0;
    }
    snprintf(err, errlen, "POST push: HTTP %ld: %.300s", status, o->reply.data);
    if (status == 400) {
        lenc_loki_400(o->reply.data, o->reply.len, recs, n, st);
        return 0;
    }
    return httpc_status_errno(status);
}

const lout_ops lout_loki_ops = {
    .type = "loki",
    .create = loki_create,
    .send = loki_send,
    .destroy = loki_destroy,
};
