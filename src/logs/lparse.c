/*
 * lparse: hand-written parsers for the log hot path (see lparse.h). A
 * json-file line is parsed in one pass without a JSON library: at 100 MB/s a
 * general DOM parser per line would cost more than everything else together.
 * Every read is bounds-checked against len; nothing is trusted.
 */
#include "logs/lparse.h"

#include <errno.h>
#include <string.h>

#define LP_MAX_DEPTH 64

static size_t skip_ws(const char *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses the string starting at b[i] == '"'. With out, unescapes into it
 * (*olen bytes). Returns the index after the closing quote, or 0 on error. */
static size_t parse_string(const char *b, size_t len, size_t i, char *out, size_t *olen)
{
    size_t o = 0;
    i++; /* opening quote */
    for (;;) {
        /* fast run of plain bytes, 8 at a time (SWAR: a byte equal to '"'
         * or '\\' becomes zero after the xor) */
        size_t s = i;
        while (i + 8 <= len) {
            const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
            uint64_t w;
            memcpy(&w, b + i, 8);
            uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
            if (((q - ones) & ~q & high) | ((bs - ones) & ~bs & high))
                break;
            i += 8;
        }
        while (i < len && b[i] != '"' && b[i] != '\\')
            i++;
        if (out && i > s) {
            memcpy(out + o, b + s, i - s);
            o += i - s;
        }
        if (i >= len)
            return 0;
        if (b[i] == '"')
            break;
        /* escape */
        if (i + 1 >= len)
            return 0;
        char c = b[i + 1];
        char r;
        switch (c) {
        case '"':
            r = '"';
            break;
        case '\\':
            r = '\\';
            break;
        case '/':
            r = '/';
            break;
        case 'b':
            r = '\b';
            break;
        case 'f':
            r = '\f';
            break;
        case 'n':
            r = '\n';
            break;
        case 'r':
            r = '\r';
            break;
        case 't':
            r = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (i + 6 > len || hex4(b + i + 2, &cp) < 0)
                return 0;
            i += 6;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (i + 6 <= len && b[i] == '\\' && b[i + 1] == 'u' && hex4(b + i + 2, &lo) == 0 &&
                    lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    cp = 0xFFFD; /* lone high surrogate */
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            /* 6 escaped bytes (12 for a pair) always cover <= 4 output bytes */
            if (out)
                o += put_utf8(out + o, cp);
            continue;
        }
        default:
            return 0;
        }
        if (out)
            out[o++] = r;
        i += 2;
    }
    if (olen)
        *olen = o;
    return i + 1;
}

/* Skips one JSON value at b[i]; returns the index after it, or 0. */
static size_t skip_value(const char *b, size_t len, size_t i, int depth)
{
    if (depth > LP_MAX_DEPTH)
        return 0;
    i = skip_ws(b, len, i);
    if (i >= len)
        return 0;
    char c = b[i];
    if (c == '"')
        return parse_string(b, len, i, NULL, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        i = skip_ws(b, len, i + 1);
        if (i < len && b[i] == close)
            return i + 1;
        for (;;) {
            if (c == '{') {
                i = skip_ws(b, len, i);
                if (i >= len || b[i] != '"')
                    return 0;
                i = parse_string(b, len, i, NULL, NULL);
                if (!i)
                    return 0;
                i = skip_ws(b, len, i);
                if (i >= len || b[i] != ':')
                    return 0;
                i++;
            }
            i = skip_value(b, len, i, depth + 1);
            if (!i)
                return 0;
            i = skip_ws(b, len, i);
            if (i >= len)
                return 0;
            if (b[i] == close)
                return i + 1;
            if (b[i] != ',')
                return 0;
            i++;
        }
    }
    if (c == 't' && len - i >= 4 && memcmp(b + i, "true", 4) == 0)
        return i + 4;
    if (c == 'f' && len - i >= 5 && memcmp(b + i, "false", 5) == 0)
        return i + 5;
    if (c == 'n' && len - i >= 4 && memcmp(b + i, "null", 4) == 0)
        return i + 4;
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t s = i;
        while (i < len && ((b[i] >= '0' && b[i] <= '9') || b[i] == '-' || b[i] == '+' ||
                           b[i] == '.' || b[i] == 'e' || b[i] == 'E'))
            i++;
        return i > s ? i : 0;
    }
    return 0;
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (p[k] < '0' || p[k] > '9')
            return -1;
        v = v * 10 + (p[k] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int lp_rfc3339(const char *b, size_t len, int64_t *ns)
{
    int Y, M, D, h, mi, s;
    if (len < 20 || digits(b, 4, &Y) || b[4] != '-' || digits(b + 5, 2, &M) || b[7] != '-' ||
        digits(b + 8, 2, &D) || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') ||
        digits(b + 11, 2, &h) || b[13] != ':' || digits(b + 14, 2, &mi) || b[16] != ':' ||
        digits(b + 17, 2, &s))
        return -EINVAL;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || s > 60)
        return -EINVAL;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && b[i] == '.') {
        i++;
        int nd = 0;
        while (i < len && b[i] >= '0' && b[i] <= '9') {
            if (nd < 9) {
                frac = frac * 10 + (b[i] - '0');
                nd++;
            }
            i++;
        }
        if (nd == 0)
            return -EINVAL;
        while (nd++ < 9)
            frac *= 10;
    }
    int64_t off = 0;
    if (i < len && (b[i] == 'Z' || b[i] == 'z')) {
        i++;
    } else if (i + 6 <= len && (b[i] == '+' || b[i] == '-') && b[i + 3] == ':') {
        int oh, om;
        if (digits(b + i + 1, 2, &oh) || digits(b + i + 4, 2, &om) || oh > 23 || om > 59)
            return -EINVAL;
        off = (int64_t)(oh * 3600 + om * 60) * (b[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -EINVAL;
    }
    if (i != len)
        return -EINVAL;
    int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + s - off;
    /* nanoseconds in 64 bits reach 2262-04-11: a later (or pre-1678) time
     * is refused rather than wrapped into a plausible-looking one */
    if (secs > INT64_MAX / 1000000000LL - 1 || secs < INT64_MIN / 1000000000LL + 1)
        return -ERANGE;
    *ns = secs * 1000000000LL + frac;
    return 0;
}

int lp_jsonfile(const char *b, size_t len, char *out, lp_jline *jl)
{
    memset(jl, 0, sizeof(*jl));
    size_t i = skip_ws(b, len, 0);
    if (i >= len || b[i] != '{')
        return -EINVAL;
    i = skip_ws(b, len, i + 1);
    if (i < len && b[i] == '}')
        return -EINVAL;
    for (;;) {
        if (i >= len || b[i] != '"')
            return -EINVAL;
        size_t ks = i + 1;
        size_t ke = parse_string(b, len, i, NULL, NULL);
        if (!ke)
            return -EINVAL;
        size_t kl = ke - 1 - ks;
        i = skip_ws(b, len, ke);
        if (i >= len || b[i] != ':')
            return -EINVAL;
        i = skip_ws(b, len, i + 1);
        if (i >= len)
            return -EINVAL;
        if (kl == 3 && memcmp(b + ks, "log", 3) == 0 && b[i] == '"') {
            size_t ol = 0;
            i = parse_string(b, len, i, out, &ol);
            if (!i)
                return -EINVAL;
            jl->has_log = 1;
            jl->partial = !(ol > 0 && out[ol - 1] == '\n');
            jl->msg_len = jl->partial ? ol : ol - 1;
        } else if (kl == 6 && memcmp(b + ks, "stream", 6) == 0 && b[i] == '"') {
            size_t vs = i + 1;
            i = parse_string(b, len, i, NULL, NULL);
            if (!i)
                return -EINVAL;
            size_t vl = i - 1 - vs;
            if (vl == 6 && memcmp(b + vs, "stdout", 6) == 0)
                jl->stream = LREC_STDOUT;
            else if (vl == 6 && memcmp(b + vs, "stderr", 6) == 0)
                jl->stream = LREC_STDERR;
        } else if (kl == 4 && memcmp(b + ks, "time", 4) == 0 && b[i] == '"') {
            size_t vs = i + 1;
            i = parse_string(b, len, i, NULL, NULL);
            if (!i)
                return -EINVAL;
            int64_t t;
            if (lp_rfc3339(b + vs, i - 1 - vs, &t) == 0)
                jl->ts_ns = t;
        } else {
            i = skip_value(b, len, i, 1);
            if (!i)
                return -EINVAL;
        }
        i = skip_ws(b, len, i);
        if (i >= len)
            return -EINVAL;
        if (b[i] == '}')
            break;
        if (b[i] != ',')
            return -EINVAL;
        i = skip_ws(b, len, i + 1);
    }
    if (skip_ws(b, len, i + 1) != len || !jl->has_log)
        return -EINVAL;
    return 0;
}

size_t lp_utf8_bad(const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0, bad = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            bad++;
            i++;
            continue;
        }
        size_t k;
        for (k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
                break;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (k <= n || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
            bad++;
            i++;
            continue;
        }
        i += n + 1;
    }
    return bad;
}

int lp_json_fields(const char *b, size_t len, lrec_kv *kv, size_t max)
{
    size_t n = 0;
    size_t i = skip_ws(b, len, 0);
    if (i >= len || b[i] != '{')
        return -EINVAL;
    i = skip_ws(b, len, i + 1);
    if (i < len && b[i] == '}')
        return skip_ws(b, len, i + 1) == len ? 0 : -EINVAL;
    for (;;) {
        if (i >= len || b[i] != '"')
            return -EINVAL;
        size_t ks = i + 1;
        size_t ke = parse_string(b, len, i, NULL, NULL);
        if (!ke)
            return -EINVAL;
        i = skip_ws(b, len, ke);
        if (i >= len || b[i] != ':')
            return -EINVAL;
        i = skip_ws(b, len, i + 1);
        size_t vs = i;
        i = skip_value(b, len, i, 1);
        if (!i)
            return -EINVAL;
        if (n < max) {
            kv[n].key = b + ks;
            kv[n].key_len = ke - 1 - ks;
            kv[n].val = b + vs;
            kv[n].val_len = i - vs;
            n++;
        }
        i = skip_ws(b, len, i);
        if (i >= len)
            return -EINVAL;
        if (b[i] == '}')
            break;
        if (b[i] != ',')
            return -EINVAL;
        i = skip_ws(b, len, i + 1);
    }
    if (skip_ws(b, len, i + 1) != len)
        return -EINVAL;
    return (int)n;
}
