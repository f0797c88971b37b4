/*
 * config: the agent's composition of the subsystems' options tables (see
 * config.h). The order of cfg_parts is the order of `berth agent --help`,
 * cfg_dump and docs/config.md; the parsing is util/config.c's.
 */
#include "agent/config.h"

#include <stdio.h>
#include <string.h>

const opt_part cfg_parts[] = {
    {&httpd_opt_table, offsetof(cfg, http)},  {&engine_opt_table, offsetof(cfg, engine)},
    {&agent_opt_table, offsetof(cfg, agent)}, {&svcmon_opt_table, offsetof(cfg, services)},
    {&zbx_opt_table, offsetof(cfg, zabbix)},  {&zbxpush_opt_table, offsetof(cfg, zbxpush)},
    {&dt_opt_table, offsetof(cfg, disk)},     {&lpipe_opt_table, offsetof(cfg, logs)},
    {&envq_opt_table, offsetof(cfg, etcd)},   {NULL, 0},
};

const opt_row *cfg_find(const char *key)
{
    return config_find(cfg_parts, NULL, key, NULL);
}

void *cfg_base(cfg *c, const opt_row *r)
{
    for (size_t t = 0; cfg_parts[t].t; t++)
        if (r >= cfg_parts[t].t->rows && r < cfg_parts[t].t->rows + cfg_parts[t].t->n)
            return (char *)c + cfg_parts[t].off;
    return NULL;
}

void cfg_defaults(cfg *c)
{
    config_defaults(cfg_parts, c, sizeof(*c));
}

int cfg_set(cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
    return config_set(cfg_parts, c, key, v, err, errlen);
}

int cfg_parse(cfg *c, const char *text, size_t len, char *err, size_t errlen)
{
    return config_parse(cfg_parts, c, text, len, err, errlen);
}

int cfg_load_file(cfg *c, const char *path, char *err, size_t errlen)
{
    return config_load_file(cfg_parts, c, path, err, errlen);
}

int cfg_parse_duration(const char *s, int64_t *ms)
{
    return opt_parse_duration(s, ms);
}

void cfg_dump_buf(const cfg *c, buf *out)
{
    config_dump(cfg_parts, c, out);
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
    config_help(cfg_parts, out);
}

void cfg_markdown(const char *group, buf *out)
{
    config_markdown(cfg_parts, group, out);
}

void cfg_copy(cfg *dst, const cfg *src)
{
    *dst = *src;
    const engine_opts *s = &src->engine;
    for (size_t i = 0; i < s->n_label_allow; i++)
        dst->engine.label_allow[i] =
            dst->engine.label_allow_buf + (s->label_allow[i] - s->label_allow_buf);
}
