/*
 * agent_opt: the keys of the agent itself rather than of one subsystem
 * (log_level, control_token_file), written into agent_opts (agent/config.h);
 * see util/opt.h. --config is a flag only (cmd/flags.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/config.h"

static int check_level(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)base;
    (void)r;
    const char *v = *vp;
    if (strcmp(v, "debug") && strcmp(v, "info") && strcmp(v, "warn") && strcmp(v, "error")) {
        snprintf(err, errlen, "log_level: want debug, info, warn or error, got '%s'", v);
        return -EINVAL;
    }
    return 0;
}

static const opt_row rows[] = {
    {.key = "log_level",
     .type = OPT_STR,
     OPT_FIELD(agent_opts, log_level),
     .def = "info",
     .arg = "LEVEL",
     .help = "debug, info, warn, error",
     .doc = "`debug`, `info`, `warn`, `error` (stderr)",
     .check = check_level},
    {.key = "control_token_file",
     .type = OPT_STR,
     OPT_FIELD(agent_opts, control_token_file),
     .arg = "FILE",
     .help = "file holding the bearer token of the control routes (default off)",
     .doc_def = "off",
     .doc = "a file holding the bearer token that control routes need (`Authorization: Bearer "
            "TOKEN`); without it control routes do not exist. The token is read once at start "
            "and never logged. Refused with a `listen` address other than loopback (no TLS "
            "yet). No control route exists yet."},
};

const opt_table agent_opt_table = {"agent", "main", rows, OPT_NROWS(rows)};
