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

/* Every key of every options table is a flag, --key-name VALUE or
 * --key-name=VALUE ('_' spelled '-'); a BOOL row's `neg` alias (--no-docker)
 * sets it off. The rows are walked with the exact spelling, so --host_root
 * stays unknown as it always was. */
int cmd_config_flag(cfg *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0)
        return 0;
    for (size_t t = 0; cfg_parts[t].t; t++) {
        const opt_table *tb = cfg_parts[t].t;
        void *base = (char *)c + cfg_parts[t].off;
        for (size_t k = 0; k < tb->n; k++) {
            const opt_row *r = &tb->rows[k];
            if (r->neg && strcmp(a, r->neg) == 0) {
                char err[256];
                return opt_set(r, base, "off", err, sizeof(err)) < 0 ? -1 : 1;
            }
            char flag[64];
            opt_flag_name(r->key, flag, sizeof(flag));
            const char *v = cmd_flag_value(flag, argc, argv, i);
            if (!v)
                continue;
            if (!*v) {
                fprintf(stderr, "berth: option '%s' needs a value\n", flag);
                return -1;
            }
            char err[512];
            if (opt_set(r, base, v, err, sizeof(err)) < 0) {
                fprintf(stderr, "berth: %s\n", err);
                return -1;
            }
            return 1;
        }
    }
    /* --etcd URL[,URL...]: the short spelling of --etcd-endpoints */
    const char *v = cmd_flag_value("--etcd", argc, argv, i);
    if (v) {
        char err[512];
        const opt_row *r = cfg_find("etcd_endpoints");
        if (!*v || opt_set(r, cfg_base(c, r), v, err, sizeof(err)) < 0) {
            fprintf(stderr, "berth: %s\n", *v ? err : "option '--etcd' needs a value");
            return -1;
        }
        return 1;
    }
    v = cmd_flag_value("--config", argc, argv, i);
    if (v) {
        if (!*v) {
            fprintf(stderr, "berth: option '--config' needs a value\n");
            return -1;
        }
        return 1; /* loaded by cmd_load_config */
    }
    return 0;
}

int cmd_args_begin(cfg *c, int argc, char **argv)
{
    cfg_defaults(c);
    return cmd_load_config(c, argc, argv);
}

int cmd_next_arg(cfg *c, int argc, char **argv, int *i)
{
    while (++*i < argc) {
        int r = cmd_config_flag(c, argc, argv, i);
        if (r < 0)
            return -1;
        if (r == 0)
            return 1;
    }
    return 0;
}
