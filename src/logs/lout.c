/*
 * lout: the table of log outputs and option lookup shared by all of them.
 * Each output registers here by name; see lout.h for the contract.
 */
#include <string.h>

#include "logs/lout.h"

/* Each output file defines one of these; keep the list sorted. */
extern const lout_ops lout_elasticsearch_ops;
extern const lout_ops lout_file_ops;
extern const lout_ops lout_gelf_ops;
extern const lout_ops lout_loki_ops;
extern const lout_ops lout_redis_ops;
extern const lout_ops lout_syslog_ops;

static const lout_ops *const registry[] = {
    &lout_elasticsearch_ops, &lout_file_ops,  &lout_gelf_ops,
    &lout_loki_ops,          &lout_redis_ops, &lout_syslog_ops,
};

const lout_ops *lout_find(const char *type)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (strcmp(registry[i]->type, type) == 0)
            return registry[i];
    return NULL;
}

const char *lout_opt(const lout_cfg *c, const char *key)
{
    for (size_t i = 0; i < c->nopts; i++)
        if (strcmp(c->key[i], key) == 0)
            return c->val[i];
    return NULL;
}
