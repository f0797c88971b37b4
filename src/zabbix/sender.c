/*
 * zbx sender: batch encoder and reply parser of the Zabbix sender protocol.
 * See sender.h. The encoder writes JSON by hand rather than through jansson:
 * a batch is appended to value by value on the hot path of active mode, and
 * writing the bytes directly costs one pass over each string instead of a
 * tree of allocations and a dump.
 */
#include "zabbix/sender.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zabbix/zbx.h"

#define HDR       ZBX_HDR_MIN
#define OPEN_JSON "{\"request\":\"sender data\",\"data\":["
#define CLOSE_MAX 64 /* "],\"clock\":<20 digits>,\"ns\":<9 digits>}" */

void zbx_sbatch_init(zbx_sbatch *b)
{
    static const char hdr[HDR] = {'Z', 'B', 'X', 'D', ZBX_FLAG_PROTOCOL};
    memset(b, 0, sizeof(*b));
    buf_append(&b->frame, hdr, HDR);
    buf_puts(&b->frame, OPEN_JSON);
}

void zbx_sbatch_free(zbx_sbatch *b)
{
    buf_free(&b->frame);
    b->nvalues = 0;
    b->finished = 0;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid,
 * as in RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* Appends s as a JSON string, quotes included. */
static void put_jstr(buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    buf_reserve(out, len + 2);
    buf_putc(out, '"');
    size_t run = 0; /* start of the current run of bytes copied as is */
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        size_t n = 1;
        const char *esc = NULL;
        char u[7];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == 0)
            esc = "\xef\xbf\xbd"; /* the server's strings are C strings: NUL would cut */
        else if (c < 0x20 || c == 0x7f) {
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        } else if (c >= 0x80) {
            n = utf8_len(p + i, len - i);
            if (n == 0) {
                esc = "\xef\xbf\xbd"; /* U+FFFD for one bad byte */
                n = 1;
            }
        }
        if (esc) {
            buf_append(out, s + run, i - run);
            buf_puts(out, esc);
            run = i + n;
        }
        i += n;
    }
    buf_append(out, s + run, len - run);
    buf_putc(out, '"');
}

/* Appends pre, the clock and ,"ns":ns without printf: the hot path of a
 * batch (two numbers per value). A negative clock or ns is written as 0. */
static void put_clock(buf *out, const char *pre, int64_t clock, long ns)
{
    buf_puts(out, pre);
    buf_put_u64(out, clock > 0 ? (unsigned long long)clock : 0);
    buf_append(out, ",\"ns\":", 6);
    buf_put_u64(out, ns > 0 ? (unsigned long long)ns : 0);
}

int zbx_sbatch_add(zbx_sbatch *b, const char *host, size_t hostlen, const char *key, size_t keylen,
                   const char *value, size_t valuelen, int64_t clock, long ns)
{
    if (b->finished)
        return -EINVAL;
    size_t mark = b->frame.len;
    if (b->nvalues)
        buf_putc(&b->frame, ',');
    buf_puts(&b->frame, "{\"host\":");
    put_jstr(&b->frame, host, hostlen);
    buf_puts(&b->frame, ",\"key\":");
    put_jstr(&b->frame, key, keylen);
    buf_puts(&b->frame, ",\"value\":");
    put_jstr(&b->frame, value, valuelen);
    put_clock(&b->frame, ",\"clock\":", clock, ns);
    buf_putc(&b->frame, '}');
    if (b->frame.len + CLOSE_MAX > ZBX_SENDER_MAX_FRAME) {
        b->frame.len = mark;
        b->frame.data[mark] = '\0';
        return -E2BIG;
    }
    b->nvalues++;
    return 0;
}

int zbx_sbatch_finish(zbx_sbatch *b, int64_t clock, long ns)
{
    if (b->finished)
        return -EINVAL;
    buf_printf(&b->frame, "],\"clock\":%lld,\"ns\":%ld}", (long long)clock, ns);
    uint32_t n = (uint32_t)(b->frame.len - HDR);
    unsigned char *h = (unsigned char *)b->frame.data;
    for (int i = 0; i < 4; i++) {
        h[5 + i] = (unsigned char)(n >> (8 * i));
        h[9 + i] = 0;
    }
    b->finished = 1;
    return 0;
}

int zbx_sbatch_frame(const zbx_sbatch *b, int64_t clock, long ns, buf *out)
{
    if (b->finished)
        return -EINVAL;
    size_t start = out->len;
    buf_reserve(out, b->frame.len + CLOSE_MAX);
    buf_append(out, b->frame.data, b->frame.len);
    buf_printf(out, "],\"clock\":%lld,\"ns\":%ld}", (long long)clock, ns);
    uint32_t n = (uint32_t)(out->len - start - HDR);
    unsigned char *h = (unsigned char *)out->data + start;
    for (int i = 0; i < 4; i++) {
        h[5 + i] = (unsigned char)(n >> (8 * i));
        h[9 + i] = 0;
    }
    return 0;
}

void zbx_key_param(buf *out, const char *s)
{
    size_t len = strlen(s);
    int quote =
        len > 0 && (s[0] == '"' || s[0] == '[' || s[0] == ' ' || strchr(s, ',') || strchr(s, ']'));
    if (!quote) {
        buf_append(out, s, len);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            buf_putc(out, '\\');
        buf_putc(out, s[i]);
    }
    buf_putc(out, '"');
}

/* ---- the reply ------------------------------------------------------------ */

static void safe_copy(char *out, size_t outlen, const char *in, size_t inlen)
{
    size_t i = 0;
    for (size_t k = 0; k < inlen && i + 1 < outlen; k++)
        out[i++] = (in[k] >= 0x20 && in[k] < 0x7f) ? in[k] : '?';
    out[i] = '\0';
}

/* Decimal integer at s[0..len) with spaces around; 0 or -EINVAL. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
    size_t i = 0;
    uint64_t x = 0;
    while (i < len && s[i] == ' ')
        i++;
    size_t start = i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == start)
        return -EINVAL;
    while (i < len && s[i] == ' ')
        i++;
    if (i != len)
        return -EINVAL;
    *v = x;
    return 0;
}

int zbx_sender_parse_info(const char *s, size_t len, zbx_sender_reply *r)
{
    int have = 0;
    r->seconds_spent = -1;
    for (size_t i = 0; i < len;) {
        const char *semi = memchr(s + i, ';', len - i);
        size_t end = semi ? (size_t)(semi - s) : len;
        const char *colon = memchr(s + i, ':', end - i);
        if (colon) {
            size_t ns = i, ne = (size_t)(colon - s);
            while (ns < ne && s[ns] == ' ')
                ns++;
            while (ne > ns && s[ne - 1] == ' ')
                ne--;
            const char *name = s + ns;
            size_t nl = ne - ns;
            const char *val = colon + 1;
            size_t vl = end - (size_t)(colon + 1 - s);
            uint64_t v;
            if (nl == 9 && memcmp(name, "processed", 9) == 0 && parse_u64(val, vl, &v) == 0) {
                r->processed = v;
                have |= 1;
            } else if (nl == 6 && memcmp(name, "failed", 6) == 0 && parse_u64(val, vl, &v) == 0) {
                r->failed = v;
                have |= 2;
            } else if (nl == 5 && memcmp(name, "total", 5) == 0 && parse_u64(val, vl, &v) == 0) {
                r->total = v;
                have |= 4;
            } else if (nl == 13 && memcmp(name, "seconds spent", 13) == 0 && vl < 64) {
                char tmp[64], *e;
                memcpy(tmp, val, vl);
                tmp[vl] = '\0';
                double d = strtod(tmp, &e);
                while (*e == ' ')
                    e++;
                if (e != tmp && *e == '\0' && d >= 0 && d < 1e9)
                    r->seconds_spent = d;
            }
        }
        i = end + 1;
    }
    r->has_counts = have == 7;
    return r->has_counts ? 0 : -EINVAL;
}

int zbx_sender_parse_reply(const char *body, size_t len, zbx_sender_reply *r)
{
    int rc = -EINVAL;
    memset(r, 0, sizeof(*r));
    r->seconds_spent = -1;
    json_t *root = json_loadb(body, len, 0, NULL);
    const json_t *resp = json_object_get(root, "response");
    const json_t *info = json_object_get(root, "info");
    if (!json_is_object(root) || !json_is_string(resp))
        goto out;
    safe_copy(r->response, sizeof(r->response), json_string_value(resp), json_string_length(resp));
    r->success = strcmp(json_string_value(resp), "success") == 0;
    if (json_is_string(info)) {
        safe_copy(r->info, sizeof(r->info), json_string_value(info), json_string_length(info));
        zbx_sender_parse_info(json_string_value(info), json_string_length(info), r);
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
