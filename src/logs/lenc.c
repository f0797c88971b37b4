/*
 * lenc: helpers shared by the network log outputs' encoders: JSON strings
 * that are always valid UTF-8, RFC 3339 times, the one JSON document a
 * record becomes, gzip, and option checking. See lenc.h.
 *
 * The JSON string writer is the hot path of every JSON output: it copies
 * runs of plain ASCII in one append and only looks at a byte closely when it
 * is a quote, a backslash, a control character or the start of a multi-byte
 * sequence.
 */
#include "logs/lenc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return len >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void lenc_json_str(buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;

    buf_reserve(b, len + 2);
    buf_putc(b, '"');
    while (i < len) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (i > run)
            buf_append(b, s + run, i - run);
        if (c >= 0x80) {
            size_t k = utf8_seq(u + i, len - i);
            if (k == 0) {
                buf_append(b, replacement, 3);
                i++;
            } else {
                buf_append(b, s + i, k);
                i += k;
            }
        } else {
            char e[6] = {'\\', 0};
            size_t en = 2;
            switch (c) {
            case '"':
                e[1] = '"';
                break;
            case '\\':
                e[1] = '\\';
                break;
            case '\n':
                e[1] = 'n';
                break;
            case '\r':
                e[1] = 'r';
                break;
            case '\t':
                e[1] = 't';
                break;
            case '\b':
                e[1] = 'b';
                break;
            case '\f':
                e[1] = 'f';
                break;
            default:
                e[1] = 'u';
                e[2] = '0';
                e[3] = '0';
                e[4] = hex[c >> 4];
                e[5] = hex[c & 15];
                en = 6;
            }
            buf_append(b, e, en);
            i++;
        }
        run = i;
    }
    if (i > run)
        buf_append(b, s + run, i - run);
    buf_putc(b, '"');
}

void lenc_utf8(buf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    buf_reserve(b, len);
    while (i < len) {
        /* eight ASCII bytes at a time: most log text is ASCII */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, len - i);
        if (k) {
            i += k;
            continue;
        }
        if (i > run)
            buf_append(b, s + run, i - run);
        buf_append(b, replacement, 3);
        run = ++i;
    }
    if (i > run)
        buf_append(b, s + run, i - run);
}

void lenc_field_name(buf *b, const char *key, size_t len)
{
    if (len == 0) {
        buf_puts(b, "_empty");
        return;
    }
    if (key[0] == '_')
        buf_putc(b, 'x');
    size_t start = b->len;
    lenc_utf8(b, key, len);
    for (size_t i = start; i < b->len; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if (c == '.' || c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            b->data[i] = '_';
    }
}

/* Writes v as exactly n decimal digits (zero-padded) at p. */
static void put_digits(char *p, unsigned long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void lenc_rfc3339(buf *b, int64_t ts_ns, int frac)
{
    /* The date and time of the last second formatted, per thread: records
     * come in time order, so nearly every call reuses it (gmtime_r and a
     * formatted print per record were a tenth of an output's CPU). */
    static __thread int64_t last_sec = -1;
    static __thread char last[20]; /* "2025-11-25T16:22:44" */
    if (ts_ns < 0)
        ts_ns = 0;
    int64_t sec = ts_ns / 1000000000;
    unsigned long ns = (unsigned long)(ts_ns % 1000000000);
    if (sec != last_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        put_digits(last, (unsigned long)(tm.tm_year + 1900) % 10000, 4);
        last[4] = '-';
        put_digits(last + 5, (unsigned long)tm.tm_mon + 1, 2);
        last[7] = '-';
        put_digits(last + 8, (unsigned long)tm.tm_mday, 2);
        last[10] = 'T';
        put_digits(last + 11, (unsigned long)tm.tm_hour, 2);
        last[13] = ':';
        put_digits(last + 14, (unsigned long)tm.tm_min, 2);
        last[16] = ':';
        put_digits(last + 17, (unsigned long)tm.tm_sec, 2);
        last_sec = sec;
    }
    char tmp[32];
    memcpy(tmp, last, 19);
    size_t n = 19;
    if (frac == 3 || frac == 6 || frac == 9) {
        tmp[n++] = '.';
        unsigned long f = frac == 3 ? ns / 1000000 : frac == 6 ? ns / 1000 : ns;
        put_digits(tmp + n, f, frac);
        n += (size_t)frac;
    }
    tmp[n++] = 'Z';
    buf_append(b, tmp, n);
}

const char *lenc_stream_name(int stream)
{
    switch (stream) {
    case LREC_STDOUT:
        return "stdout";
    case LREC_STDERR:
        return "stderr";
    default:
        return "file";
    }
}

/* ---- the record document ------------------------------------------------- */

/* Writes ,"key":"val" when val is not empty; *first tracks the comma. */
static void kv_str(buf *b, int *first, const char *key, const char *val)
{
    if (!val || !val[0])
        return;
    if (!*first)
        buf_putc(b, ',');
    *first = 0;
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_puts(b, "\":");
    lenc_json_str(b, val, strlen(val));
}

static void put_key(buf *b, const char *k, size_t len, int safe)
{
    if (safe) {
        buf_putc(b, '"');
        lenc_field_name(b, k, len);
        buf_putc(b, '"');
    } else {
        lenc_json_str(b, k, len);
    }
}

/* Renames object keys recursively with lenc_field_name; for ES, where a
 * dotted key inside a parsed field is an object path as well. */
static json_t *safe_copy(json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            buf nk = BUF_INIT;
            const char *k = json_object_iter_key(it);
            lenc_field_name(&nk, k, json_object_iter_key_len(it));
            json_object_setn_new_nocheck(o, nk.data, nk.len, safe_copy(json_object_iter_value(it)));
            buf_free(&nk);
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(v); i++)
            json_array_append_new(a, safe_copy(json_array_get(v, i)));
        return a;
    }
    return json_incref(v);
}

static int dump_cb(const char *p, size_t n, void *data)
{
    buf_append(data, p, n);
    return 0;
}

/* Appends a parsed field's value: its JSON text when it is valid JSON (keys
 * made safe for ES when asked), else the text as a string. */
static void put_field_val(buf *b, const char *v, size_t len, int safe)
{
    json_error_t je;
    json_t *j = NULL;
    if (len > 0)
        j = json_loadb(v, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) {
        lenc_json_str(b, v, len);
        return;
    }
    if (safe && (json_is_object(j) || json_is_array(j))) {
        json_t *c = safe_copy(j);
        json_decref(j);
        j = c;
    }
    json_dump_callback(j, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
}

void lenc_doc(buf *b, const lrec *r, int safe)
{
    buf_puts(b, "{\"@timestamp\":\"");
    lenc_rfc3339(b, r->ts_ns, 9);
    buf_puts(b, "\",\"message\":");
    lenc_json_str(b, r->msg, r->msg_len);
    buf_puts(b, ",\"stream\":\"");
    buf_puts(b, lenc_stream_name(r->stream));
    buf_putc(b, '"');
    if (r->host && r->host[0]) {
        buf_puts(b, ",\"host\":{\"name\":");
        lenc_json_str(b, r->host, strlen(r->host));
        buf_putc(b, '}');
    }
    if ((r->container_id && r->container_id[0]) || (r->container_name && r->container_name[0]) ||
        (r->image && r->image[0]) || (r->image_id && r->image_id[0]) || r->nlabels) {
        int first = 1;
        buf_puts(b, ",\"container\":{");
        kv_str(b, &first, "id", r->container_id);
        kv_str(b, &first, "name", r->container_name);
        if ((r->image && r->image[0]) || (r->image_id && r->image_id[0])) {
            int f2 = 1;
            buf_puts(b, first ? "\"image\":{" : ",\"image\":{");
            first = 0;
            kv_str(b, &f2, "name", r->image);
            kv_str(b, &f2, "id", r->image_id);
            buf_putc(b, '}');
        }
        if (r->nlabels) {
            buf_puts(b, first ? "\"labels\":{" : ",\"labels\":{");
            for (size_t i = 0; i < r->nlabels; i++) {
                if (i)
                    buf_putc(b, ',');
                put_key(b, r->labels[i].key, r->labels[i].key_len, safe);
                buf_putc(b, ':');
                lenc_json_str(b, r->labels[i].val, r->labels[i].val_len);
            }
            buf_putc(b, '}');
        }
        buf_putc(b, '}');
    }
    if ((r->compose_project && r->compose_project[0]) ||
        (r->compose_service && r->compose_service[0])) {
        int first = 1;
        buf_puts(b, ",\"compose\":{");
        kv_str(b, &first, "project", r->compose_project);
        kv_str(b, &first, "service", r->compose_service);
        buf_putc(b, '}');
    }
    if ((r->swarm_service && r->swarm_service[0]) || (r->swarm_task && r->swarm_task[0])) {
        int first = 1;
        buf_puts(b, ",\"swarm\":{");
        kv_str(b, &first, "service", r->swarm_service);
        kv_str(b, &first, "task", r->swarm_task);
        buf_putc(b, '}');
    }
    if (r->path && r->path[0]) {
        buf_puts(b, ",\"log\":{\"file\":{\"path\":");
        lenc_json_str(b, r->path, strlen(r->path));
        buf_puts(b, "}}");
    }
    if (r->nfields) {
        buf_puts(b, ",\"fields\":{");
        for (size_t i = 0; i < r->nfields; i++) {
            if (i)
                buf_putc(b, ',');
            put_key(b, r->fields[i].key, r->fields[i].key_len, safe);
            buf_putc(b, ':');
            put_field_val(b, r->fields[i].val, r->fields[i].val_len, safe);
        }
        buf_putc(b, '}');
    }
    buf_putc(b, '}');
}

/* ---- options -------------------------------------------------------------- */

int lenc_opts_check(const lout_cfg *c, const char *const *allowed, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->nopts; i++) {
        size_t k = 0;
        while (allowed[k] && strcmp(allowed[k], c->key[i]) != 0)
            k++;
        if (!allowed[k]) {
            snprintf(err, errlen, "output %s (%s): unknown option '%s'", c->name, c->type,
                     c->key[i]);
            return -EINVAL;
        }
    }
    return 0;
}

const char *lenc_opt(const lout_cfg *c, const char *key, const char *def)
{
    for (size_t i = 0; i < c->nopts; i++)
        if (strcmp(c->key[i], key) == 0)
            return c->val[i];
    return def;
}

int lenc_opt_bool(const char *v, int *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
        *out = 0;
        return 0;
    }
    return -EINVAL;
}
