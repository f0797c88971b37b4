/* flags: the option parsing shared by every subcommand. See cmd.h. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

const char *cmd_flag_value(const char *name, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        return ""; /* the caller reports the missing value */
    return argv[++*i];
}

int cmd_load_config(cfg *c, int argc, char **argv)
{
    for (int j = 1; j < argc; j++) {
        const char *v = cmd_flag_value("--config", argc, argv, &j);
        if (!v)
            continue;
        char err[512];
        if (cfg_load_file(c, v, err, sizeof(err)) < 0) {
            fprintf(stderr, "berth: config: %s\n", err);
            return -1;
        }
    }
    return 0;
}

/* Applies argv[*i] if it is --KEY VALUE or --KEY=VALUE for a key of keys
 * (NULL-terminated): 1 when applied, 0 when not one of them, -1 on error. */
static int flag_in(cfg *c, const char *const *keys, int argc, char **argv, int *i)
{
    for (int k = 0; keys[k]; k++) {
        char flag[64] = "--";
        size_t o = 2;
        for (const char *p = keys[k]; *p && o + 1 < sizeof(flag); p++)
            flag[o++] = *p == '_' ? '-' : *p;
        flag[o] = '\0';
        const char *v = cmd_flag_value(flag, argc, argv, i);
        if (!v)
            continue;
        if (!*v) {
            fprintf(stderr, "berth: option '%s' needs a value\n", flag);
            return -1;
        }
        if (strcmp(keys[k], "config") == 0)
            return 1; /* loaded by cmd_load_config */
        char err[512];
        if (cfg_set(c, keys[k], v, err, sizeof(err)) < 0) {
            fprintf(stderr, "berth: %s\n", err);
            return -1;
        }
        return 1;
    }
    return 0;
}

int cmd_config_flag(cfg *c, int argc, char **argv, int *i)
{
    static const char *const keys[] = {"listen",
                                       "interval",
                                       "history",
                                       "host_root",
                                       "docker_host",
                                       "docker",
                                       "label_allow",
                                       "log_level",
                                       "http_max_connections",
                                       "http_timeout",
                                       "services",
                                       "services_interval",
                                       "probe_timeout",
                                       "zabbix_listen",
                                       "zabbix_allow",
                                       "probe_http",
                                       "probe_ignore",
                                       "zabbix_active",
                                       "zabbix_host",
                                       "zabbix_active_interval",
                                       "zabbix_active_items",
                                       "logs",
                                       "logs_buffer_dir",
                                       "logs_buffer_max",
                                       "logs_full_policy",
                                       "logs_poll",
                                       "logs_fsync",
                                       "logs_line_max",
                                       "log_files",
                                       "logs_containers",
                                       "log_output",
                                       "only",
                                       "config",
                                       NULL};
    const char *a = argv[*i];
    if (strcmp(a, "--no-docker") == 0) {
        c->docker = 0;
        return 1;
    }
    if (strcmp(a, "--no-services") == 0) {
        c->services = 0;
        return 1;
    }
    if (strncmp(a, "--", 2) != 0)
        return 0;
    /* the disk tracker's keys (docs/config.md), in a table of their own */
    static const char *const disk_keys[] = {"disk",          "disk_interval", "disk_verify",
                                            "disk_fanotify", "disk_max_dirs", NULL};
    if (strcmp(a, "--no-disk") == 0) {
        c->disk = 0;
        return 1;
    }
    int r = flag_in(c, keys, argc, argv, i);
    return r ? r : flag_in(c, disk_keys, argc, argv, i);
}
