/*
 * cmd: one file per subcommand, each a thin front end over the core (the
 * engine, the store and the exporters). Only this layer prints to stdout.
 */
#ifndef BERTH_CMD_H
#define BERTH_CMD_H

#include "agent/config.h"

int cmd_agent(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_df(int argc, char **argv);
int cmd_env(int argc, char **argv);

/* If argv[*i] is "--name VALUE" or "--name=VALUE", returns VALUE (advancing
 * *i past it), "" when the value is missing (error printed); else NULL. */
const char *cmd_flag_value(const char *name, int argc, char **argv, int *i);
/* Loads every --config FILE named in argv into c, before other flags so that
 * flags override the file. Returns 0 or -1 (message printed). */
int cmd_load_config(cfg *c, int argc, char **argv);
/* Applies argv[*i] if it is a config flag (--listen, --interval, --history,
 * --host-root, --docker-host, --no-docker, --label-allow, --log-level, ...).
 * Returns 1 when consumed, 0 when not a config flag, -1 on a bad value. */
int cmd_config_flag(cfg *c, int argc, char **argv, int *i);

/*
 * The start every subcommand shares, instead of a copied preamble:
 *
 *   cfg c;
 *   if (cmd_args_begin(&c, argc, argv) < 0)   defaults, then every --config
 *       return 2;
 *   int i = 0, r;
 *   while ((r = cmd_next_arg(&c, argc, argv, &i)) > 0) {
 *       ... argv[i] is the command's own (config flags are applied) ...
 *   }
 *   if (r < 0)                                a bad config flag (printed)
 *       return 2;
 *
 * cmd_next_arg returns 1 with *i at the next argument that is not a config
 * flag, 0 when argv is done, -1 on a bad value; the command may advance *i
 * past a value it takes (cmd_flag_value).
 */
int cmd_args_begin(cfg *c, int argc, char **argv);
int cmd_next_arg(cfg *c, int argc, char **argv, int *i);

#endif
