/*
 * out_gelf: Graylog GELF 1.1 over TCP.
 *
 *   log_output gl gelf host=127.0.0.1 port=12201 [tls=on ca=FILE]
 *
 * Each record is one GELF JSON message followed by a NUL byte (GELF TCP
 * framing); GELF over TCP has no compression and no acknowledgement, so a
 * batch counts as delivered once all of it is written to the socket (see
 * conn.h for how a dead peer is found before a batch is written into it).
 * JSON escaping guarantees the message holds no raw NUL byte.
 *
 * Fields follow Docker's own gelf log driver where it has one
 * (_container_id, _container_name, _image_name, _image_id), so existing
 * Graylog streams and dashboards keep working; the rest are _stream,
 * _compose_project, _compose_service, _swarm_service, _swarm_task, _path,
 * and one _<key> per allow-listed label and per parsed field (names reduced
 * to GELF's [A-Za-z0-9_.-]). level: 6 (info) for stdout, 3 (error) for
 * stderr. timestamp: seconds with microseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "logs/lenc.h"
#include "net/conn.h"
#include "logs/lout.h"
#include "util/opt.h"

/* ---- encoder --------------------------------------------------------------- */

static void add_str(buf *b, const char *key, const char *val)
{
    if (!val || !val[0])
        return;
    buf_puts(b, ",\"");
    buf_puts(b, key);
    buf_puts(b, "\":");
    lenc_json_str(b, val, strlen(val));
}

/* ,"_<name>": with the name reduced to [A-Za-z0-9_.-]; "_id" is reserved
 * by GELF, so it becomes "_id_". */
static void add_key(buf *b, const char *prefix, const char *k, size_t len)
{
    buf_puts(b, ",\"_");
    buf_puts(b, prefix);
    size_t start = b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        buf_putc(b, ok ? (char)c : '_');
    }
    if (b->len == start && !prefix[0])
        buf_puts(b, "empty");
    if (!prefix[0] && b->len - start == 2 && memcmp(b->data + start, "id", 2) == 0)
        buf_putc(b, '_');
    buf_puts(b, "\":");
}

/* Appends a field's JSON text as a GELF string: a JSON string decoded
 * first (so "a\\"b" stays a"b), anything else as its text. */
static void put_text(buf *b, const char *v, size_t len)
{
    if (len >= 2 && v[0] == '"') {
        json_error_t je;
        json_t *j = json_loadb(v, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (json_is_string(j)) {
            lenc_json_str(b, json_string_value(j), json_string_length(j));
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    lenc_json_str(b, v, len);
}

/* Whether s[0..len) is exactly a JSON number. */
static int json_number(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len)
        return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return 0;
    }
    if (i < len && s[i] == '.') {
        size_t d = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    return i == len;
}

void lenc_gelf(buf *b, const lrec *r)
{
    buf_puts(b, "{\"version\":\"1.1\",\"host\":");
    const char *host = r->host && r->host[0] ? r->host : "unknown";
    lenc_json_str(b, host, strlen(host));
    buf_puts(b, ",\"short_message\":");
    /* GELF requires a non-empty short_message */
    if (r->msg_len)
        lenc_json_str(b, r->msg, r->msg_len);
    else
        buf_puts(b, "\"(empty)\"");
    int64_t ts = r->ts_ns < 0 ? 0 : r->ts_ns;
    buf_printf(b, ",\"timestamp\":%lld.%06lld", (long long)(ts / 1000000000),
               (long long)(ts % 1000000000 / 1000));
    buf_printf(b, ",\"level\":%d", r->stream == LREC_STDERR ? 3 : 6);
    add_str(b, "_container_id", r->container_id);
    add_str(b, "_container_name", r->container_name);
    add_str(b, "_image_name", r->image);
    add_str(b, "_image_id", r->image_id);
    add_str(b, "_stream", lenc_stream_name(r->stream));
    add_str(b, "_compose_project", r->compose_project);
    add_str(b, "_compose_service", r->compose_service);
    add_str(b, "_swarm_service", r->swarm_service);
    add_str(b, "_swarm_task", r->swarm_task);
    add_str(b, "_path", r->path);
    for (size_t i = 0; i < r->nlabels; i++) {
        add_key(b, "label_", r->labels[i].key, r->labels[i].key_len);
        lenc_json_str(b, r->labels[i].val, r->labels[i].val_len);
    }
    /* GELF values are strings or numbers: a parsed field's JSON text goes
     * as a number when it is one, else as the text of its JSON. */
    for (size_t i = 0; i < r->nfields; i++) {
        const lrec_kv *f = &r->fields[i];
        add_key(b, "", f->key, f->key_len);
        /* short and without exponent, so every parser's int64/double
         * holds it (a 60-digit number or 1e9999 is valid JSON that jansson
         * and many others refuse); anything else goes as a string */
        if (f->val_len <= 18 && json_number(f->val, f->val_len) &&
            !memchr(f->val, 'e', f->val_len) && !memchr(f->val, 'E', f->val_len)) {
            buf_append(b, f->val, f->val_len);
        } else {
            put_text(b, f->val, f->val_len);
        }
    }
    buf_putc(b, '}');
}

/* ---- transport: shared by the stream outputs ----------------------------- */

typedef struct gelf_out {
    conn *net;
    buf out;
} gelf_out;

static const char *const gelf_keys[] = {
    "host", "port", "timeout", "tls", "ca", "tls_verify", NULL,
};

static void gelf_destroy(void *state)
{
    gelf_out *o = state;
    if (!o)
        return;
    conn_free(o->net);
    buf_free(&o->out);
    free(o);
}

static int gelf_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    int rc = lenc_opts_check(c, gelf_keys, err, errlen);
    if (rc < 0)
        return rc;
    conn *net = NULL;
    rc = lout_conn_from_cfg(c, "12201", "12201", &net, err, errlen);
    if (rc < 0)
        return rc;
    gelf_out *o = calloc(1, sizeof(*o));
    if (!o) {
        conn_free(net);
        return -ENOMEM;
    }
    o->net = net;
    *state = o;
    return 0;
}

static int gelf_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err, size_t errlen)
{
    gelf_out *o = state;
    buf_reset(&o->out);
    for (size_t i = 0; i < n; i++) {
        lenc_gelf(&o->out, &recs[i]);
        buf_putc(&o->out, '\0');
    }
    int rc = conn_ready(o->net, err, errlen);
    if (rc == 0)
        rc = conn_write(o->net, o->out.data, o->out.len, err, errlen);
    if (rc < 0)
        return rc;
    memset(st, LOUT_OK, n);
    return 0;
}

const lout_ops lout_gelf_ops = {
    .type = "gelf",
    .create = gelf_create,
    .send = gelf_send,
    .destroy = gelf_destroy,
};
