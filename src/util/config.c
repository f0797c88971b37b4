/*
 * config: the file parser and the glue between struct cfg and the options
 * tables (see config.h). The keys themselves are rows in their subsystems'
 * tables; this file only knows which tables the agent is made of.
 */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const opt_table *const cfg_tables[] = {
    &httpd_opt_table,  &engine_opt_table, &agent_opt_table,
    &svcmon_opt_table, &zbx_opt_table,    &zbxpush_opt_table,
    &dt_opt_table,     &lpipe_opt_table,  NULL,
};

const opt_row *cfg_find(const char *key)
{
    for (size_t t = 0; cfg_tables[t]; t++) {
        const opt_row *r = opt_find(cfg_tables[t], key);
        if (r)
            return r;
    }
    return NULL;
}

void cfg_defaults(cfg *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t t = 0; cfg_tables[t]; t++)
        opt_defaults(cfg_tables[t], c);
}

int cfg_parse_duration(const char *s, int64_t *ms)
{
    return opt_parse_duration(s, ms);
}

int cfg_set(cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
    const opt_row *r = cfg_find(key);
    if (!r) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -EINVAL;
    }
    return opt_set(r, c, v, err, errlen) < 0 ? -EINVAL : 0;
}

int cfg_parse(cfg *c, const char *text, size_t len, char *err, size_t errlen)
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
        if (cfg_set(c, k, v, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -EINVAL;
        }
    }
    return 0;
}

int cfg_load_file(cfg *c, const char *path, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    long r = buf_read_file(&b, path, 1 << 20);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror((int)-r));
        buf_free(&b);
        return (int)r;
    }
    char e2[300];
    int rc = cfg_parse(c, b.data, b.len, e2, sizeof(e2));
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    buf_free(&b);
    return rc;
}

void cfg_dump_buf(const cfg *c, buf *out)
{
    for (size_t t = 0; cfg_tables[t]; t++)
        opt_dump(cfg_tables[t], c, out);
}

void cfg_dump(const cfg *c, char *out, size_t outlen)
{
    buf b = BUF_INIT;
    cfg_dump_buf(c, &b);
    if (outlen)
        snprintf(out, outlen, "%.*s", (int)b.len, b.data ? b.data : "");
    buf_free(&b);
}

void cfg_help(buf *out)
{
    for (size_t t = 0; cfg_tables[t]; t++)
        opt_help(cfg_tables[t], out);
}

void cfg_markdown(const char *group, buf *out)
{
    buf_puts(out, "| key | default | meaning |\n|---|---|---|\n");
    for (size_t t = 0; cfg_tables[t]; t++)
        if (!group || strcmp(cfg_tables[t]->group, group) == 0)
            opt_markdown(cfg_tables[t], out);
}
