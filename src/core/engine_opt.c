/*
 * engine_opt: the collector's keys (interval, history, where the host and
 * Docker are, which labels are exported), one row each; see util/opt.h.
 */
#include <stdint.h>

#include "util/config.h"

static const opt_row rows[] = {
    {.key = "interval",
     .type = OPT_DURATION,
     CFG_FIELD(interval_ms),
     .min = 100,
     .max = INT64_MAX,
     .def = "1s",
     .help = "collection interval",
     .want = "a duration like 1s or 10m (at least 100ms)",
     .doc = "collection interval (at least `100ms`)"},
    {.key = "history",
     .type = OPT_DURATION,
     CFG_FIELD(history_ms),
     .min = 0,
     .max = 86400000,
     .def = "10m",
     .help = "in-memory history per container",
     .want = "a duration like 1s or 10m (at most 24h)",
     .doc = "in-memory history per container (at most `24h`); `0s` disables it"},
    {.key = "host_root",
     .type = OPT_STR,
     CFG_FIELD(host_root),
     .arg = "DIR",
     .help = "host's / mounted at DIR (berth in a container)",
     .doc_def = "`/`",
     .doc = "where the host's `/` is mounted when berth runs in a container (`/sys/fs/cgroup` "
            "and `/proc` are read under it; the host's `/proc/1/mountinfo` is used to find "
            "cgroups)"},
    {.key = "docker_host",
     .type = OPT_STR,
     CFG_FIELD(docker_host),
     .arg = "URL",
     .help = "Docker API socket (default $DOCKER_HOST or unix:///var/run/docker.sock)",
     .doc_def = "`$DOCKER_HOST` or `unix:///var/run/docker.sock`",
     .doc = "Docker Engine API socket"},
    {.key = "docker",
     .type = OPT_BOOL,
     CFG_FIELD(docker),
     .def = "on",
     .help = "use the Docker API (off: cgroups only)",
     .want = "on or off",
     .neg = "--no-docker",
     .doc = "`off`: cgroups only, containers named by short id (`--no-docker`)"},
    {.key = "label_allow",
     .type = OPT_LIST,
     CFG_FIELD(label_allow_buf),
     .max = CFG_MAX_LABELS,
     .noun = "labels",
     .list_off = offsetof(cfg, label_allow),
     .n_off = offsetof(cfg, n_label_allow),
     .arg = "K1,K2",
     .help = "Docker labels exported as container_label_*",
     .doc = "comma-separated Docker label keys exported as `container_label_<key>` (sanitised "
            "to `[a-zA-Z0-9_]`). Off by default: labels are the usual source of cardinality "
            "explosions."},
};

const opt_table engine_opt_table = {"engine", "main", rows, OPT_NROWS(rows)};
