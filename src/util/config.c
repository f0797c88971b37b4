/*
 * config: the file parser and the walk over a caller's list of options
 * tables (see config.h). The keys are rows in their subsystems' tables and
 * the list is the caller's (agent/config.c): this file knows neither.
 */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const opt_row *config_find(const opt_part *parts, void *c, const char *key, void **base)
{
    for (size_t t = 0; parts[t].t; t++) {
        const opt_row *r = opt_find(parts[t].t, key);
        if (r) {
            if (base)
                *base = (char *)c + parts[t].off;
            return r;
        }
    }
    return NULL;
}

void config_defaults(const opt_part *parts, void *c, size_t size)
{
    memset(c, 0, size);
    for (size_t t = 0; parts[t].t; t++)
        opt_defaults(parts[t].t, (char *)c + parts[t].off);
}

int config_set(const opt_part *parts, void *c, const char *key, const char *v, char *err,
               size_t errlen)
{
    void *base;
    const opt_row *r = config_find(parts, c, key, &base);
    if (!r) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -EINVAL;
    }
    return opt_set(r, base, v, err, errlen) < 0 ? -EINVAL : 0;
}

int config_parse(const opt_part *parts, void *c, const char *text, size_t len, char *err,
                 size_t errlen)
{
    size_t pos = 0;
    int lineno = 0;
    char line[1024];
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (ll >= sizeof(line)) {
            snprintf(err, errlen, "line %d: longer than %zu bytes", lineno, sizeof(line) - 1);
            return -EINVAL;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        pos += ll + (nl ? 1 : 0);
        if (memchr(line, '\0', ll)) {
            snprintf(err, errlen, "line %d: NUL byte", lineno);
            return -EINVAL;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *k = line;
        while (*k == ' ' || *k == '\t' || *k == '\r')
            k++;
        char *end = k + strlen(k);
        while (end > k && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        if (!*k)
            continue;
        char *v = k;
        while (*v && *v != ' ' && *v != '\t')
            v++;
        if (*v)
            *v++ = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v) {
            snprintf(err, errlen, "line %d: key '%s' has no value", lineno, k);
            return -EINVAL;
        }
        char e2[256];
        if (config_set(parts, c, k, v, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -EINVAL;
        }
    }
    return 0;
}

int config_load_file(const opt_part *parts, void *c, const char *path, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    long r = buf_read_file(&b, path, 1 << 20);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror((int)-r));
        buf_free(&b);
        return (int)r;
    }
    char e2[300];
    int rc = config_parse(parts, c, b.data, b.len, e2, sizeof(e2));
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    buf_free(&b);
    return rc;
}

void config_dump(const opt_part *parts, const void *c, buf *out)
{
    for (size_t t = 0; parts[t].t; t++)
        opt_dump(parts[t].t, (const char *)c + parts[t].off, out);
}

void config_help(const opt_part *parts, buf *out)
{
    for (size_t t = 0; parts[t].t; t++)
        opt_help(parts[t].t, out);
}

void config_markdown(const opt_part *parts, const char *group, buf *out)
{
    buf_puts(out, "| key | default | meaning |\n|---|---|---|\n");
    for (size_t t = 0; parts[t].t; t++)
        if (!group || strcmp(parts[t].t->group, group) == 0)
            opt_markdown(parts[t].t, out);
}
