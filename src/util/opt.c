/*
 * opt: the generic half of the options tables (see opt.h): parse a value by
 * its row's type, store it at the row's offset, and render the same rows as
 * defaults, a dump in file format, --help lines and docs/config.md's table.
 * Nothing here knows a key: the rows do.
 */
#include "util/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0))
        return -EINVAL;
    double mul;
    if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mul = 1000;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -EINVAL;
    /* The bound is on the result, not on the number written: cfg_dump
     * writes milliseconds, so "633997406" (seconds) must read back as
     * "633997406000ms". 1e9 hours, what the old bound on the number let
     * through with the largest unit, stays the largest. */
    if (!(v * mul <= 3.6e15))
        return -EINVAL;
    *ms = (int64_t)(v * mul);
    return 0;
}

int opt_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-')
        return -EINVAL;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1ull << 10;
    else if (*end == 'm' || *end == 'M')
        mul = 1ull << 20;
    else if (*end == 'g' || *end == 'G')
        mul = 1ull << 30;
    else if (*end)
        return -EINVAL;
    if (mul > 1 && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
        return -EINVAL;
    if (v > (1ull << 50) / mul)
        return -EINVAL;
    *out = v * mul;
    return 0;
}

int opt_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Numbers are stored in fields of 1, 2, 4 or 8 bytes, signed or not: the
 * row says which (size, and OPT_UINT/OPT_SIZE for unsigned). */
static void put_num(void *p, size_t size, int64_t v)
{
    switch (size) {
    case 1: {
        int8_t x = (int8_t)v;
        memcpy(p, &x, 1);
        break;
    }
    case 2: {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
    }
}

static int64_t get_num(const void *p, size_t size, int is_unsigned)
{
    switch (size) {
    case 1: {
        int8_t x;
        memcpy(&x, p, 1);
        return is_unsigned ? (int64_t)(uint8_t)x : x;
    }
    case 2: {
        int16_t x;
        memcpy(&x, p, 2);
        return is_unsigned ? (int64_t)(uint16_t)x : x;
    }
    case 4: {
        int32_t x;
        memcpy(&x, p, 4);
        return is_unsigned ? (int64_t)(uint32_t)x : x;
    }
    default: {
        int64_t x;
        memcpy(&x, p, 8);
        return x;
    }
    }
}

static int want(const opt_row *r, const char *v, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: want %s, got '%s'", r->key, r->want ? r->want : "a value", v);
    return -EINVAL;
}

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (n >= cap) {
        snprintf(err, errlen, "%s: value longer than %zu bytes", key, cap - 1);
        return -EINVAL;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int set_list(const opt_row *r, char *base, const char *v, char *err, size_t errlen)
{
    char *s = base + r->off;
    if (set_str(s, r->size, v, r->key, err, errlen))
        return -EINVAL;
    const char **list = (const char **)(void *)(base + r->list_off);
    size_t *n = (size_t *)(void *)(base + r->n_off);
    *n = 0;
    char *save = NULL;
    /* tabs and CRs separate as blanks do: the line parser strips them at the end of
     * a line, so an item ending in one would not read back as dumped */
    for (char *t = strtok_r(s, ", \t\r", &save); t; t = strtok_r(NULL, ", \t\r", &save)) {
        if (*n == (size_t)r->max) {
            snprintf(err, errlen, "%s: at most %lld %s", r->key, (long long)r->max,
                     r->noun ? r->noun : "values");
            return -EINVAL;
        }
        list[(*n)++] = t;
    }
    return 0;
}

static int set_repeat(const opt_row *r, char *base, const char *v, char *err, size_t errlen)
{
    size_t *n = (size_t *)(void *)(base + r->n_off);
    if (*n == (size_t)r->max) {
        snprintf(err, errlen, "%s: at most %lld %s", r->key, (long long)r->max,
                 r->noun ? r->noun : "values");
        return -EINVAL;
    }
    if (set_str(base + r->off + *n * r->size, r->size, v, r->key, err, errlen) < 0)
        return -EINVAL;
    (*n)++;
    return 0;
}

int opt_set(const opt_row *r, void *basev, const char *v, char *err, size_t errlen)
{
    char *base = basev;
    char *p = base + r->off;
    if (r->check) {
        int c = r->check(basev, r, &v, err, errlen);
        if (c != 0)
            return c < 0 ? c : 0;
    }
    switch (r->type) {
    case OPT_BOOL:
        if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
            put_num(p, r->size, 1);
        else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
            put_num(p, r->size, 0);
        else
            return want(r, v, err, errlen);
        return 0;
    case OPT_DURATION: {
        int64_t ms;
        if (opt_parse_duration(v, &ms) < 0 || (ms < r->min && !(r->zero_ok && ms == 0)) ||
            ms > r->max)
            return want(r, v, err, errlen);
        put_num(p, r->size, r->unit_ms > 1 ? ms / r->unit_ms : ms);
        return 0;
    }
    case OPT_SIZE: {
        uint64_t n;
        if (opt_parse_size(v, &n) < 0 || n < (uint64_t)r->min || n > (uint64_t)r->max)
            return want(r, v, err, errlen);
        put_num(p, r->size, (int64_t)n);
        return 0;
    }
    case OPT_INT:
    case OPT_UINT: {
        long n;
        if (opt_parse_long(v, (long)r->min, (long)r->max, &n) < 0)
            return want(r, v, err, errlen);
        put_num(p, r->size, n);
        return 0;
    }
    case OPT_STR:
        return set_str(p, r->size, v, r->key, err, errlen);
    case OPT_ENUM:
        for (int i = 0; r->names[i]; i++)
            if (strcmp(v, r->names[i]) == 0) {
                put_num(p, r->size, i);
                return 0;
            }
        return want(r, v, err, errlen);
    case OPT_LIST:
        return set_list(r, base, v, err, errlen);
    case OPT_REPEAT:
        return set_repeat(r, base, v, err, errlen);
    }
    return -EINVAL;
}

const opt_row *opt_find(const opt_table *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].key, key) == 0)
            return &t->rows[i];
    return NULL;
}

void opt_defaults(const opt_table *t, void *base)
{
    for (size_t i = 0; i < t->n; i++) {
        const opt_row *r = &t->rows[i];
        char err[256];
        if (r->def && opt_set(r, base, r->def, err, sizeof(err)) < 0)
            abort(); /* a table's own default is wrong: test_opt catches it first */
    }
}

void opt_flag_name(const char *key, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[o++] = '-';
    out[o++] = '-';
    for (const char *p = key; *p && o + 1 < outlen; p++)
        out[o++] = *p == '_' ? '-' : *p;
    out[o] = '\0';
}

static int row_empty(const opt_row *r, const void *basev)
{
    const char *base = basev;
    if (r->type == OPT_STR)
        return base[r->off] == '\0';
    if (r->type == OPT_LIST || r->type == OPT_REPEAT)
        return *(const size_t *)(const void *)(base + r->n_off) == 0;
    return 0;
}

void opt_dump_value(const opt_row *r, const void *basev, buf *out)
{
    const char *base = basev;
    const char *p = base + r->off;
    if (r->dump) {
        r->dump(basev, r, out);
        return;
    }
    switch (r->type) {
    case OPT_BOOL:
        buf_puts(out, get_num(p, r->size, 0) ? "on" : "off");
        break;
    case OPT_DURATION: {
        int64_t v = get_num(p, r->size, 0);
        if (r->unit_ms == 1000)
            buf_printf(out, "%llds", (long long)v);
        else
            buf_printf(out, "%lldms", (long long)(r->unit_ms > 1 ? v * r->unit_ms : v));
        break;
    }
    case OPT_SIZE:
    case OPT_UINT:
        buf_printf(out, "%llu", (unsigned long long)get_num(p, r->size, 1));
        break;
    case OPT_INT:
        buf_printf(out, "%lld", (long long)get_num(p, r->size, 0));
        break;
    case OPT_STR:
        buf_puts(out, p[0] ? p : (r->empty ? r->empty : ""));
        break;
    case OPT_ENUM: {
        int64_t v = get_num(p, r->size, 0);
        int n = 0;
        while (r->names[n])
            n++;
        buf_puts(out, v >= 0 && v < n ? r->names[v] : "?");
        break;
    }
    case OPT_LIST: {
        const char *const *list = (const char *const *)(const void *)(base + r->list_off);
        size_t n = *(const size_t *)(const void *)(base + r->n_off);
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_putc(out, ',');
            buf_puts(out, list[i]);
        }
        break;
    }
    case OPT_REPEAT:
        break; /* one line per value: opt_dump */
    }
}

void opt_dump(const opt_table *t, const void *basev, buf *out)
{
    const char *base = basev;
    for (size_t i = 0; i < t->n; i++) {
        const opt_row *r = &t->rows[i];
        if (r->type == OPT_REPEAT) {
            size_t n = *(const size_t *)(const void *)(base + r->n_off);
            if (!n)
                buf_printf(out, "# %s\n", r->key);
            for (size_t j = 0; j < n; j++)
                buf_printf(out, "%s %s\n", r->key, base + r->off + j * r->size);
            continue;
        }
        if (!r->dump && row_empty(r, basev) && !r->empty) {
            buf_printf(out, "# %s\n", r->key); /* empty: a line needs a value */
            continue;
        }
        buf_printf(out, "%s ", r->key);
        opt_dump_value(r, basev, out);
        buf_putc(out, '\n');
    }
}

static const char *type_arg(const opt_row *r)
{
    if (r->arg)
        return r->arg;
    switch (r->type) {
    case OPT_BOOL:
        return "on|off";
    case OPT_DURATION:
        return "DURATION";
    case OPT_SIZE:
        return "SIZE";
    case OPT_INT:
    case OPT_UINT:
        return "N";
    case OPT_LIST:
        return "LIST";
    default:
        return "VALUE";
    }
}

void opt_help(const opt_table *t, buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const opt_row *r = &t->rows[i];
        char flag[96], col[160];
        opt_flag_name(r->key, flag, sizeof(flag));
        snprintf(col, sizeof(col), "%s %s", flag, type_arg(r));
        if (strlen(col) <= 24)
            buf_printf(out, "  %-24s %s", col, r->help ? r->help : "");
        else
            buf_printf(out, "  %s  %s", col, r->help ? r->help : "");
        if (r->def && r->neg)
            buf_printf(out, " (default %s; %s: off)", r->def, r->neg);
        else if (r->def)
            buf_printf(out, " (default %s)", r->def);
        else if (r->neg)
            buf_printf(out, " (%s: off)", r->neg);
        buf_putc(out, '\n');
    }
}

void opt_markdown(const opt_table *t, buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const opt_row *r = &t->rows[i];
        buf_printf(out, "| `%s` | ", r->key);
        if (r->doc_def)
            buf_puts(out, r->doc_def);
        else if (r->def)
            buf_printf(out, "`%s`", r->def);
        else
            buf_puts(out, "none");
        buf_printf(out, " | %s |\n", r->doc ? r->doc : (r->help ? r->help : ""));
    }
}
