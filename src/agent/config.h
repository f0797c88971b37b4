/*
 * config: the agent's configuration, the composition of every subsystem's
 * options struct (struct cfg), and the list of tables it is made of.
 *
 * Each subsystem's options struct is the one home of its options: its table
 * (disk/dt_opt.c, logs/lpipe_opt.c, ...; util/opt.h) writes straight into
 * it, and the agent's job start hands the struct to the subsystem. Adding an
 * option is one row and the field the subsystem reads. The keys several
 * subsystems share (host_root, docker_host, docker, label_allow, interval,
 * history) are the engine's (cfg.engine); the job starts hand them on
 * (agent/agent.c). The file format and the generic walk are util/config.h;
 * cfg_defaults, cfg_set, cfg_dump, `berth agent --help` and docs/config.md
 * all come from cfg_parts.
 */
#ifndef BERTH_AGENT_CONFIG_H
#define BERTH_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "agent/zbxpush.h"
#include "core/engine.h"
#include "core/svcmon.h"
#include "disk/tracker.h"
#include "logs/lpipe.h"
#include "net/httpd.h"
#include "release/env/envq.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/opt.h"
#include "zabbix/zbx.h"

/* The agent's own keys (agent/agent_opt.c), not one subsystem's. */
typedef struct agent_opts {
    char log_level[16];           /* "info" */
    char control_token_file[256]; /* "" = control routes off; else the bearer token's file */
} agent_opts;

typedef struct cfg {
    httpd_opts http;        /* listen, http_* (net/httpd_opt.c) */
    engine_opts engine;     /* interval, history and the shared keys (core/engine_opt.c) */
    agent_opts agent;       /* log_level, control_token_file (agent/agent_opt.c) */
    svcmon_opts services;   /* services, services_interval, probe_* (core/svcmon_opt.c) */
    zbx_listen_opts zabbix; /* zabbix_listen, zabbix_allow (zabbix/zbx_opt.c) */
    zbxpush_opts zbxpush;   /* zabbix_active, zabbix_host, zabbix_active_* (agent/zbxpush_opt.c) */
    dt_opts disk;           /* disk, disk_* (disk/dt_opt.c) */
    lpipe_opts logs;        /* logs, log_*, logs_*, only (logs/lpipe_opt.c) */
    envq_opts etcd;         /* etcd_endpoints, etcd_prefix, etcd_* (release/env/envq_opt.c) */
} cfg;

extern const opt_table agent_opt_table;
/* The tables, one per subsystem, in the order --help and docs list them,
 * each with where its struct sits in struct cfg. Ends with {NULL, 0}. */
extern const opt_part cfg_parts[];
/* The row of key in any table, or NULL. */
const opt_row *cfg_find(const char *key);
/* Where the struct of the table holding r sits in c (r must be one of
 * cfg_parts' rows): what opt_set(r, ...) writes into. */
void *cfg_base(cfg *c, const opt_row *r);

void cfg_defaults(cfg *c);
/* Applies one key/value; returns 0 or -EINVAL with err filled. */
int cfg_set(cfg *c, const char *key, const char *value, char *err, size_t errlen);
/* Parses a config file's text (pure, fuzzed). err names the line. */
int cfg_parse(cfg *c, const char *buf, size_t len, char *err, size_t errlen);
int cfg_load_file(cfg *c, const char *path, char *err, size_t errlen);
/* "500ms", "1s", "10m", "1h" -> milliseconds; -EINVAL when malformed. */
int cfg_parse_duration(const char *s, int64_t *ms);
/* Writes every key with its current value, in file format (cfg_parse reads
 * it back to the same values; an empty value is written as "# key"). */
void cfg_dump(const cfg *c, char *out, size_t outlen);
void cfg_dump_buf(const cfg *c, buf *out);
/* --help lines of every table / docs/config.md's rows of one group ("main",
 * "logs") or of every group when group is NULL. */
void cfg_help(buf *out);
void cfg_markdown(const char *group, buf *out);
/* Points the copy's label_allow list into its own buffer (after dst = *src). */
void cfg_copy(cfg *dst, const cfg *src);

#endif
