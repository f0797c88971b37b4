/* jsonw: JSON string encoding for log records. See jsonw.h. */
#include "util/jsonw.h"

#include <stdint.h>
#include <string.h>

static const char hexd[] = "0123456789abcdef";

/* SWAR: nonzero when some byte of w is < 0x20, '"', '\\' or >= 0x80. */
static inline uint64_t special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"');
    uint64_t bs = w ^ (ones * '\\');
    uint64_t lo = w - ones * 0x20;   /* high bit set where byte < 0x20 */
    uint64_t zq = (q - ones) & ~q;   /* high bit set where byte == '"' */
    uint64_t zb = (bs - ones) & ~bs; /* ... == '\\' */
    return (w | lo | zq | zb) & high;
}

/* 1 for bytes that need more than copying: control, '"', '\\', >= 0x80 */
static int special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* Length of a valid UTF-8 sequence at p (2..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t k;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 1;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 2;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 3;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (k >= n)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((p[j] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
        return 0;
    return k + 1;
}

size_t jsonw_str(buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t bad = 0;
    /* worst case: every byte becomes \u00XX (6) or U+FFFD (3 bytes) */
    buf_reserve(b, n * 6 + 2);
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t st = i;
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (special8(w))
                break;
            i += 8;
        }
        while (i < n && !special(p[i]))
            i++;
        memcpy(o, p + st, i - st);
        o += i - st;
        if (i >= n)
            break;
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = utf8_len(p + i, n - i);
            if (l) {
                memcpy(o, p + i, l);
                o += l;
                i += l;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
                bad++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexd[c >> 4];
            *o++ = hexd[c & 15];
        }
        i++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return bad;
}

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

void jsonw_time(buf *b, long long ns)
{
    /* by hand, not strftime/printf: this runs once per record */
    long long sec = ns / 1000000000LL;
    long frac = (long)(ns % 1000000000LL);
    if (frac < 0) {
        frac += 1000000000L;
        sec--;
    }
    long long days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* civil_from_days (Hinnant) */
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    if (y < 0 || y > 9999) {
        buf_puts(b, "0000-01-01T00:00:00.000000000Z");
        return;
    }
    buf_reserve(b, 31);
    char *o = b->data + b->len;
    put2(o, (int)(y / 100));
    put2(o + 2, (int)(y % 100));
    o[4] = '-';
    put2(o + 5, m);
    o[7] = '-';
    put2(o + 8, d);
    o[10] = 'T';
    put2(o + 11, (int)(rem / 3600));
    o[13] = ':';
    put2(o + 14, (int)(rem / 60 % 60));
    o[16] = ':';
    put2(o + 17, (int)(rem % 60));
    o[19] = '.';
    for (int k = 28; k >= 20; k--) {
        o[k] = (char)('0' + frac % 10);
        frac /= 10;
    }
    o[29] = 'Z';
    b->len += 30;
    b->data[b->len] = '\0';
}
