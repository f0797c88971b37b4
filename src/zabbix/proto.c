/*
 * zbx proto: the pure half of the Zabbix agent module. Everything a peer
 * sends is interpreted here, from bytes in memory to structs, with no I/O,
 * so each function has unit tests on documented examples and a libFuzzer
 * target (fuzz/fuzz_zabbix.c). See zbx.h for the protocol and the limits.
 *
 * Key parsing follows Zabbix's own parameter scanner (zbx_num_param and
 * zbx_get_param in libs/zbxparam) rather than the prose of the manual, so a
 * key means to berth what it means to a Zabbix agent, including the corner
 * cases: spaces before a parameter are skipped but not after an unquoted
 * one, "\"" is the only escape, an array keeps its inner text as written.
 */
#include "zabbix/zbx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- header --------------------------------------------------------------- */

static uint64_t get_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int zbx_parse_header(const unsigned char *data, size_t len, zbx_header *h)
{
    static const unsigned char magic[4] = {'Z', 'B', 'X', 'D'};
    size_t n = len < 4 ? len : 4;

    if (len == 0)
        return -EAGAIN;
    if (memcmp(data, magic, n) != 0)
        return -EINVAL;
    if (len < 5)
        return -EAGAIN;

    unsigned flags = data[4];
    if (!(flags & ZBX_FLAG_PROTOCOL) ||
        (flags & ~(ZBX_FLAG_PROTOCOL | ZBX_FLAG_COMPRESSED | ZBX_FLAG_LARGE)))
        return -EINVAL;
    size_t w = (flags & ZBX_FLAG_LARGE) ? 8 : 4;
    size_t hdrlen = 5 + 2 * w;
    if (len < hdrlen)
        return -EAGAIN;

    uint64_t datalen = get_le(data + 5, w);
    uint64_t reserved = get_le(data + 5 + w, w);
    if (datalen > ZBX_PROTO_MAX)
        return -EMSGSIZE;
    if (flags & ZBX_FLAG_COMPRESSED) {
        if (reserved == 0)
            return -EINVAL; /* nothing can decompress to 0 bytes */
        if (reserved > ZBX_PROTO_MAX)
            return -EMSGSIZE;
    }
    h->flags = flags;
    h->hdrlen = hdrlen;
    h->datalen = datalen;
    h->reserved = reserved;
    return 0;
}

void zbx_encode(buf *out, const char *payload, size_t len)
{
    unsigned char hdr[ZBX_HDR_MIN] = {'Z', 'B', 'X', 'D', ZBX_FLAG_PROTOCOL};
    put_le32(hdr + 5, (uint32_t)len);
    put_le32(hdr + 9, 0);
    buf_reserve(out, sizeof(hdr) + len);
    buf_append(out, hdr, sizeof(hdr));
    if (len)
        buf_append(out, payload, len);
}

/* ---- item keys --------------------------------------------------------- */

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Output cursor for one parameter: appends with the size check. */
typedef struct pout {
    char *p;
    size_t n;
} pout;

static int put(pout *o, char c)
{
    if (o->n + 1 >= ZBX_KEY_PARAM_MAX)
        return -E2BIG;
    o->p[o->n++] = c;
    return 0;
}

/* After a closing quote or bracket: spaces, then one of the stop chars or
 * the end. Returns the index of that char (len at the end) or -1. */
static long after_close(const char *s, size_t len, size_t i, const char *stops)
{
    while (i < len && s[i] == ' ')
        i++;
    if (i == len || strchr(stops, s[i]))
        return (long)i;
    return -1;
}

/*
 * Parses the inside of an array starting just after its '['; leaves *pi on
 * the matching ']'. Copies the elements as written: quoted ones with their
 * quotes and escapes, commas between elements, no spaces before elements.
 */
static int parse_array(const char *s, size_t len, size_t *pi, pout *o)
{
    size_t i = *pi;
    int rc;

    for (;;) {
        while (i < len && s[i] == ' ')
            i++;
        if (i == len)
            return -EINVAL; /* missing ']' */
        char c = s[i];
        if (c == '[')
            return -EINVAL; /* arrays do not nest */
        if (c == '"') {
            if ((rc = put(o, c)) < 0)
                return rc;
            for (i++;; i++) {
                if (i == len)
                    return -EINVAL;
                if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"') {
                    if ((rc = put(o, '\\')) < 0 || (rc = put(o, '"')) < 0)
                        return rc;
                    i++;
                    continue;
                }
                if ((rc = put(o, s[i])) < 0)
                    return rc;
                if (s[i] == '"')
                    break;
            }
            long j = after_close(s, len, i + 1, ",]");
            if (j < 0 || (size_t)j == len)
                return -EINVAL;
            i = (size_t)j;
        } else if (c != ',' && c != ']') {
            while (i < len && s[i] != ',' && s[i] != ']') {
                if ((rc = put(o, s[i])) < 0)
                    return rc;
                i++;
            }
            if (i == len)
                return -EINVAL;
        }
        if (s[i] == ']') {
            *pi = i;
            return 0;
        }
        if ((rc = put(o, ',')) < 0) /* s[i] == ',' */
            return rc;
        i++;
    }
}

/* Parses the parameter list s[0..len) (between the key's outer brackets). */
static int parse_params(const char *s, size_t len, zbx_key *k)
{
    size_t i = 0;
    int rc;

    for (;;) {
        if (k->nparams == ZBX_KEY_MAX_PARAMS)
            return -E2BIG;
        pout o = {k->params[k->nparams], 0};
        unsigned char type = ZBX_PARAM_EMPTY;

        while (i < len && s[i] == ' ')
            i++;
        if (i < len && s[i] == '"') {
            type = ZBX_PARAM_STRING;
            for (i++;; i++) {
                if (i == len)
                    return -EINVAL; /* missing closing quote */
                if (s[i] == '"')
                    break;
                if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
                    i++;
                if ((rc = put(&o, s[i])) < 0)
                    return rc;
            }
            long j = after_close(s, len, i + 1, ",");
            if (j < 0)
                return -EINVAL; /* text after the closing quote */
            i = (size_t)j;
        } else if (i < len && s[i] == '[') {
            type = ZBX_PARAM_ARRAY;
            i++;
            if ((rc = parse_array(s, len, &i, &o)) < 0)
                return rc;
            long j = after_close(s, len, i + 1, ",");
            if (j < 0)
                return -EINVAL;
            i = (size_t)j;
        } else if (i < len && s[i] != ',') {
            type = ZBX_PARAM_STRING;
            for (; i < len && s[i] != ','; i++) {
                if (s[i] == ']')
                    return -EINVAL; /* only the key's closing bracket */
                if ((rc = put(&o, s[i])) < 0)
                    return rc;
            }
        }
        o.p[o.n] = '\0';
        k->type[k->nparams++] = type;
        if (i == len)
            return 0;
        i++; /* s[i] == ',' */
    }
}

int zbx_parse_key(const char *s, size_t len, zbx_key *out)
{
    size_t n = 0;

    if (len == 0 || memchr(s, '\0', len))
        return -EINVAL;
    while (n < len && is_key_char(s[n]))
        n++;
    if (n == 0)
        return -EINVAL;
    if (n > ZBX_KEY_NAME_MAX)
        return -E2BIG;
    memcpy(out->name, s, n);
    out->name[n] = '\0';
    out->nparams = 0;
    if (n == len)
        return 0;
    if (s[n] != '[' || s[len - 1] != ']' || len - n < 2)
        return -EINVAL;
    return parse_params(s + n + 1, len - n - 2, out);
}

/* ---- requests -------------------------------------------------------------- */

/* "3", 3, "3s" (Zabbix's time suffix for seconds) -> 3; anything else 0. */
static unsigned parse_timeout(const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t t = json_integer_value(v);
        return t > 0 && t <= 3600 ? (unsigned)t : 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return 0;
    unsigned t = 0;
    for (; *s >= '0' && *s <= '9' && t <= 3600; s++)
        t = t * 10 + (unsigned)(*s - '0');
    if (*s == 's')
        s++;
    return *s == '\0' && t <= 3600 ? t : 0;
}

/* Copies printable ASCII of untrusted text into a message. */
static void safe_copy(char *out, size_t outlen, const char *in)
{
    size_t i = 0;
    for (; *in && i + 1 < outlen; in++)
        out[i++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
    out[i] = '\0';
}

static int parse_json(const json_t *root, zbx_request *r)
{
    const char *req = json_string_value(json_object_get(root, "request"));
    const json_t *data = json_object_get(root, "data");
    size_t off[ZBX_MAX_ITEMS];

    if (!req) {
        snprintf(r->error, sizeof(r->error), "cannot find the \"request\" tag");
        return -EINVAL;
    }
    if (strcmp(req, "passive checks") != 0) {
        char tmp[64];
        safe_copy(tmp, sizeof(tmp), req);
        snprintf(r->error, sizeof(r->error), "unknown request \"%s\"", tmp);
        return -EINVAL;
    }
    if (!json_is_array(data) || json_array_size(data) == 0) {
        snprintf(r->error, sizeof(r->error), "cannot find a non-empty \"data\" array");
        return -EINVAL;
    }
    if (json_array_size(data) > ZBX_MAX_ITEMS) {
        snprintf(r->error, sizeof(r->error), "more than %u items in one request", ZBX_MAX_ITEMS);
        return -E2BIG;
    }
    for (size_t i = 0; i < json_array_size(data); i++) {
        const json_t *it = json_array_get(data, i);
        const json_t *key = json_object_get(it, "key");
        if (!json_is_string(key)) {
            snprintf(r->error, sizeof(r->error), "item %zu has no \"key\" string", i + 1);
            return -EINVAL;
        }
        /* store holds the keys NUL-separated; pointers are set once it stops
         * growing */
        off[i] = r->store.len;
        buf_append(&r->store, json_string_value(key), json_string_length(key));
        buf_putc(&r->store, '\0');
        r->items[i].len = json_string_length(key);
        r->items[i].timeout_s = parse_timeout(json_object_get(it, "timeout"));
    }
    r->nitems = (unsigned)json_array_size(data);
    for (unsigned i = 0; i < r->nitems; i++)
        r->items[i].key = r->store.data + off[i];
    return 0;
}

int zbx_parse_request(const char *body, size_t len, zbx_request *out)
{
    int rc = 0;
    json_t *root = NULL;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i < len && body[i] == '{') {
        /* JSON_ALLOW_NUL off: a key with \u0000 is not JSON to us, as it is
         * not to Zabbix, and falls through to the legacy path */
        root = json_loadb(body, len, 0, NULL);
        if (json_is_object(root)) {
            out->json = 1;
            rc = parse_json(root, out);
            goto out;
        }
    }
    while (len && (body[len - 1] == '\r' || body[len - 1] == '\n'))
        len--;
    out->nitems = 1;
    out->items[0].key = body;
    out->items[0].len = len;
out:
    json_decref(root);
    return rc;
}

void zbx_request_free(zbx_request *r)
{
    if (!r)
        return;
    buf_free(&r->store);
    r->nitems = 0;
}
