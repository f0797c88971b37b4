/*
 * config: the configuration file format and the composition of options
 * tables (util/opt.h) into one struct, generic: nothing here knows a key or
 * a subsystem. The caller names the tables and where each one's struct sits
 * in its own (an opt_part list; the agent's is agent/config.c).
 *
 * The file is "key value" lines, '#' comments, blank lines ignored (the
 * style of redis.conf and haproxy.cfg: no quoting rules to get wrong).
 * Unknown keys and bad values are rejected with the line number. Every key
 * is also a command-line flag: --key value, with '_' spelled '-'
 * (--host-root, --label-allow).
 */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/opt.h"

/* The row of key in any table of parts, or NULL; *base (may be NULL) gets
 * the row's table's struct inside the composed struct c. */
const opt_row *config_find(const opt_part *parts, void *c, const char *key, void **base);
/* Zeroes c (size bytes) and stores every row's default. */
void config_defaults(const opt_part *parts, void *c, size_t size);
/* Applies one key/value; returns 0 or -EINVAL with err filled. */
int config_set(const opt_part *parts, void *c, const char *key, const char *value, char *err,
               size_t errlen);
/* Parses a config file's text (pure, fuzzed). err names the line. */
int config_parse(const opt_part *parts, void *c, const char *buf, size_t len, char *err,
                 size_t errlen);
int config_load_file(const opt_part *parts, void *c, const char *path, char *err, size_t errlen);
/* Writes every key with its current value, in file format (config_parse
 * reads it back to the same values; an empty value is written as "# key"). */
void config_dump(const opt_part *parts, const void *c, buf *out);
/* --help lines of every table / docs/config.md's rows of one group ("main",
 * "logs") or of every group when group is NULL. */
void config_help(const opt_part *parts, buf *out);
void config_markdown(const opt_part *parts, const char *group, buf *out);

#endif
