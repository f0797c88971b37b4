/*
 * berth: an operations toolkit for Docker hosts. main() only dispatches to
 * a subcommand (src/cmd/) and does the process-wide set-up that libraries
 * require once: libcurl's global init, SIGPIPE ignored.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth <command> [options]\n"
               "\n"
               "commands:\n"
               "  agent     run the daemon: collect every container's cgroup metrics and serve\n"
               "            /metrics (Prometheus), /api/v1/containers (JSON) and /healthz\n"
               "  ps        one-shot table of containers with CPU, memory, network, block I/O\n"
               "  top       live full-screen view, refreshed every second\n"
               "  services  what listens in each container, probed from inside its network\n"
               "            namespace\n"
               "  df        disk used by each container: writable layer, volumes, logs\n"
               "  env       the layered configuration in etcd: show, explain, diff, history,\n"
               "            set, unset, import, export, rollback\n"
               "  version   print the version\n"
               "  help      this text\n"
               "\n"
               "Run 'berth <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (strcmp(cmd, "agent") == 0)
        rc = cmd_agent(argc - 1, argv + 1);
    else if (strcmp(cmd, "ps") == 0)
        rc = cmd_ps(argc - 1, argv + 1);
    else if (strcmp(cmd, "top") == 0)
        rc = cmd_top(argc - 1, argv + 1);
    else if (strcmp(cmd, "services") == 0)
        rc = cmd_services(argc - 1, argv + 1);
    else if (strcmp(cmd, "df") == 0)
        rc = cmd_df(argc - 1, argv + 1);
    else if (strcmp(cmd, "env") == 0)
        rc = cmd_env(argc - 1, argv + 1);
    else {
        fprintf(stderr, "berth: unknown command '%s'\n\n", cmd);
        usage(stderr);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
