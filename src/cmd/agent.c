/*
 * berth agent: the daemon's front end. Flags and --help only: the options
 * are the rows of the subsystems' tables (agent/config.h), the wiring and
 * the routes are agent/agent.c's.
 *
 *   --help                  the usage line and every option, from the tables
 *   --help-config=markdown  docs/config.md's generated tables (hidden;
 *                           scripts/gen-config-docs.sh), "=markdown:GROUP"
 *                           for one of them ("main", "logs")
 */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cmd/cmd.h"

static void agent_usage(FILE *f)
{
    buf b = BUF_INIT;
    cfg_help(&b);
    fprintf(f,
            "usage: berth agent [options]\n"
            "  --config FILE            config file ('key value' lines, see docs/config.md)\n"
            "%.*s",
            (int)b.len, b.data ? b.data : "");
    buf_free(&b);
}

/* "markdown" or "markdown:GROUP": 0 when printed, -1 when not a form. */
static int help_config(const char *v)
{
    const char *group = NULL;
    if (strncmp(v, "markdown:", 9) == 0)
        group = v + 9;
    else if (strcmp(v, "markdown") != 0)
        return -1;
    buf b = BUF_INIT;
    cfg_markdown(group, &b);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    buf_free(&b);
    return 0;
}

int cmd_agent(int argc, char **argv)
{
    cfg c;
    if (cmd_args_begin(&c, argc, argv) < 0)
        return 2;
    int i = 0, r;
    while ((r = cmd_next_arg(&c, argc, argv, &i)) > 0) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            agent_usage(stdout);
            return 0;
        }
        const char *v = cmd_flag_value("--help-config", argc, argv, &i);
        if (v) {
            if (help_config(v) == 0)
                return 0;
            fprintf(stderr, "berth agent: --help-config: want markdown[:GROUP], got '%s'\n", v);
            return 2;
        }
        fprintf(stderr, "berth agent: unknown option '%s'\n", argv[i]);
        agent_usage(stderr);
        return 2;
    }
    if (r < 0)
        return 2;
    agent *a;
    char err[256];
    if (agent_new(&c, &a, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth agent: %s\n", err);
        return 1;
    }
    int rc = agent_run(a);
    agent_free(a);
    return rc;
}
