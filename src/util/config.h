/*
 * config: the agent's configuration (struct cfg, the composition of every
 * subsystem's options) and its file format.
 *
 * The file is "key value" lines, '#' comments, blank lines ignored (the
 * style of redis.conf and haproxy.cfg: no quoting rules to get wrong).
 * Unknown keys and bad values are rejected with the line number. Every key
 * is also a command-line flag: --key value, with '_' spelled '-'
 * (--host-root, --label-allow).
 *
 * What a key is (type, bounds, default, help, flag aliases) is one row of
 * its subsystem's table (util/opt.h; disk/dt_opt.c, logs/lpipe_opt.c, ...):
 * cfg_defaults, cfg_set, cfg_dump, `berth agent --help` and docs/config.md
 * all come from the rows listed in cfg_tables. Adding an option is one row
 * and its field below.
 */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/opt.h"

#define CFG_MAX_LABELS      32
#define CFG_MAX_LOG_OUTPUTS 8

typedef struct cfg {
    char listen_addr[64];  /* "127.0.0.1" */
    int listen_port;       /* 9393 */
    int64_t interval_ms;   /* 1000 */
    int64_t history_ms;    /* 600000 */
    char host_root[256];   /* "" = / */
    char docker_host[256]; /* "" = $DOCKER_HOST or the default socket */
    int docker;            /* 1 */
    char label_allow_buf[1024];
    const char *label_allow[CFG_MAX_LABELS];
    size_t n_label_allow;
    char log_level[16];           /* "info" */
    unsigned http_max_conns;      /* 64 */
    unsigned http_timeout_s;      /* 10 */
    int services;                 /* 1: discover and probe services in containers */
    int64_t services_interval_ms; /* 10000 */
    int64_t probe_timeout_ms;     /* 1000 */
    char zabbix_listen[80];       /* "" = off; e.g. "127.0.0.1:10050" */
    char zabbix_allow[512];       /* Zabbix Server= allow list, "127.0.0.1,::1" */
    char probe_http[1024];        /* "NAME:PORT:/path[:STATUS],..." ("*" = all) */
    char probe_ignore[512];       /* "NAME:PORT,..." */

    /* Zabbix active mode (agent/zbxpush.h) */
    char zabbix_active[256];           /* "" = off; server/proxy HOST[:PORT] to push to */
    char zabbix_host[256];             /* host name in Zabbix, "" = gethostname() */
    int64_t zabbix_active_interval_ms; /* 60000 */
    char zabbix_active_items[1024];    /* "" = all; "key,prefix*,..." */
    /* log shipping (src/logs/) */
    int logs;                  /* 0: off (default); on with "logs on" or --only logs */
    char logs_buffer_dir[256]; /* "/var/lib/berth/logs" */
    uint64_t logs_buffer_max;  /* bytes per output buffer, 1 GiB */
    int logs_full_policy;      /* 0 pause (default), 1 drop_oldest */
    char log_files[1024];      /* comma-separated globs of plain files */
    char logs_containers[512]; /* comma-separated name globs; "" = every container */
    char log_output[CFG_MAX_LOG_OUTPUTS][1024]; /* "NAME TYPE k=v ..." */
    size_t n_log_output;
    int64_t logs_poll_ms;         /* 100 */
    int logs_fsync;               /* 1 */
    uint64_t logs_line_max;       /* 1 MiB */
    char only[32];                /* "" or "logs": run only that part of the agent */
    char control_token_file[256]; /* "" = control routes off; else the bearer token's file */
    /* disk tracker (disk/tracker.h) */
    int disk;                 /* 1: keep per-container disk usage current */
    int64_t disk_interval_ms; /* 10000: logs and polled trees re-checked, figures published */
    int64_t disk_verify_ms;   /* 3600000: full re-walk of each tree; 0 = never */
    int disk_fanotify;        /* 1: fanotify when the kernel allows it, else poll */
    long disk_max_dirs;       /* 1000000: directories tracked one by one */
} cfg;

/* A row's storage in struct cfg: CFG_FIELD(disk_interval_ms). */
#define CFG_FIELD(f) .off = offsetof(cfg, f), .size = sizeof(((cfg *)0)->f)

/* The tables, one per subsystem, in the order --help and docs list them;
 * every row's offset is into struct cfg. NULL-terminated. */
extern const opt_table *const cfg_tables[];
extern const opt_table httpd_opt_table, engine_opt_table, agent_opt_table, svcmon_opt_table,
    zbx_opt_table, zbxpush_opt_table, dt_opt_table, lpipe_opt_table;
/* The row of key in any table, or NULL. */
const opt_row *cfg_find(const char *key);

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

#endif
