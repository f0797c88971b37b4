/*
 * range: ?since=&until=&step= of the history endpoints. See range.h for the
 * accepted forms. The query is raw (httpd does no percent-decoding), and no
 * accepted value needs any: only digits and unit letters are valid.
 */
#include "web/range.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Parses a non-negative integer with an optional unit (ms, s, m, h) from
 * s[0..n). *has_unit tells whether a unit was given; *out is in ms when it
 * was, else the bare number. Returns 0 or -EINVAL. */
static int parse_value(const char *s, size_t n, int64_t *out, int *has_unit)
{
    size_t i = 0;
    int64_t v = 0;
    if (n == 0)
        return -EINVAL;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX / 1000 - 9) / 10) /* stays finite in ms and hours */
            return -EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return -EINVAL;
    const char *u = s + i;
    size_t ul = n - i;
    int64_t mult = 0;
    if (ul == 0)
        mult = 0;
    else if (ul == 2 && memcmp(u, "ms", 2) == 0)
        mult = 1;
    else if (ul == 1 && *u == 's')
        mult = 1000;
    else if (ul == 1 && *u == 'm')
        mult = 60 * 1000;
    else if (ul == 1 && *u == 'h')
        mult = 3600 * 1000;
    else
        return -EINVAL;
    if (mult && v > INT64_MAX / 4 / mult)
        return -EINVAL;
    *has_unit = mult != 0;
    *out = mult ? v * mult : v;
    return 0;
}

/* A since/until value to unix ms. */
static int parse_time(const char *s, size_t n, int64_t now_ms, int64_t *out)
{
    int64_t v;
    int unit;
    if (parse_value(s, n, &v, &unit) < 0)
        return -EINVAL;
    if (unit)
        *out = now_ms - v;
    else if (v < 1000000000LL)
        *out = now_ms - v * 1000;
    else if (v < 1000000000000LL)
        *out = v * 1000;
    else
        *out = v;
    return 0;
}

int web_parse_range(const char *q, size_t len, int64_t now_ms, web_range *out, char *err,
                    size_t errlen)
{
    int seen_since = 0, seen_until = 0, seen_step = 0;
    web_range r = {now_ms - WEB_RANGE_DEFAULT_MS, now_ms, 0};
    size_t i = 0;

    if (errlen)
        err[0] = '\0';
    while (i < len) {
        size_t end = i;
        while (end < len && q[end] != '&')
            end++;
        const char *kv = q + i;
        size_t kvl = end - i;
        const char *eq = memchr(kv, '=', kvl);
        size_t kl = eq ? (size_t)(eq - kv) : kvl;
        const char *v = eq ? eq + 1 : kv + kvl;
        size_t vl = eq ? kvl - kl - 1 : 0;
        int *seen = NULL;
        const char *name = NULL;
        int rc = 0;
        int64_t t = 0;
        int unit = 0;

        if (kl == 5 && memcmp(kv, "since", 5) == 0) {
            seen = &seen_since, name = "since";
            rc = parse_time(v, vl, now_ms, &t);
            r.since_ms = t;
        } else if (kl == 5 && memcmp(kv, "until", 5) == 0) {
            seen = &seen_until, name = "until";
            rc = parse_time(v, vl, now_ms, &t);
            r.until_ms = t;
        } else if (kl == 4 && memcmp(kv, "step", 4) == 0) {
            seen = &seen_step, name = "step";
            rc = parse_value(v, vl, &t, &unit);
            if (rc == 0 && !unit) {
                if (t > WEB_RANGE_MAX_STEP_MS / 1000)
                    rc = -EINVAL;
                else
                    t *= 1000;
            }
            if (rc == 0 && t > WEB_RANGE_MAX_STEP_MS)
                rc = -EINVAL;
            r.step_ms = t;
        }
        if (seen) {
            if (*seen) {
                snprintf(err, errlen, "%s given twice", name);
                return -EINVAL;
            }
            *seen = 1;
            if (rc < 0) {
                snprintf(err, errlen,
                         "bad %s: want a duration (90s, 10m, 1h), seconds ago, or a unix time",
                         name);
                return -EINVAL;
            }
        }
        i = end + 1;
    }
    if (r.since_ms > r.until_ms) {
        snprintf(err, errlen, "since is after until");
        return -EINVAL;
    }
    *out = r;
    return 0;
}
