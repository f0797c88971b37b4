/*
 * engine_opt: the collector's keys (interval, history, where the host and
 * Docker are, which labels are exported), one row each, written into
 * engine_opts; see util/opt.h.
 * These are also the other subsystems' keys: the agent hands them on.
 */
#include <stdint.h>

#include "core/engine.h"

static const opt_row rows[] = {
    {.key = "interval",
     .type = OPT_DURATION,
     OPT_FIELD(engine_opts, interval_ms),
     .min = 100,
     .max = INT64_MAX,
     .def = "1s",
     .help = "collection interval",
     .want = "a duration like 1s or 10m (at least 100ms)",
     .doc = "collection interval (at least `100ms`)"},
    {.key = "history",
     .type = OPT_DURATION,
     OPT_FIELD(engine_opts, history_ms),
     .min = 0,
     .max = 86400000,
     .def = "10m",
     .help = "in-memory history per container",
     .want = "a duration like 1s or 10m (at most 24h)",
     .doc = "in-memory history per container (at most `24h`); `0s` disables it"},
    {.key = "host_root",
     .type = OPT_STR,
     OPT_FIELD(engine_opts, host_root),
     .arg = "DIR",
     .help = "host's / mounted at DIR (berth in a container)",
     .doc_def = "`/`",
     .doc = "where the host's `/` is mounted when berth runs in a container (`/sys/fs/cgroup` "
            "and `/proc` are read under it; the host's `/proc/1/mountinfo` is used to find "
            "cgroups)"},
    {.key = "docker_host",
     .type = OPT_STR,
     OPT_FIELD(engine_opts, docker_host),
     .arg = "URL",
     .help = "Docker API socket (default $DOCKER_HOST or unix:///var/run/docker.sock)",
     .doc_def = "`$DOCKER_HOST` or `unix:///var/run/docker.sock`",
     .doc = "Docker Engine API socket"},
    {.key = "docker",
     .type = OPT_BOOL,
     OPT_FIELD(engine_opts, use_docker),
     .def = "on",
     .help = "use the Docker API (off: cgroups only)",
     .want = "on or off",
     .neg = "--no-docker",
     .doc = "`off`: cgroups only, containers named by short id (`--no-docker`)"},
    {.key = "label_allow",
     .type = OPT_LIST,
     OPT_FIELD(engine_opts, label_allow_buf),
     .max = ENGINE_MAX_LABELS,
     .noun = "labels",
     .list_off = offsetof(engine_opts, label_allow),
     .n_off = offsetof(engine_opts, n_label_allow),
     .arg = "K1,K2",
     .help = "Docker labels exported as container_label_*",
     .doc = "comma-separated Docker label keys exported as `container_label_<key>` (sanitised "
            "to `[a-zA-Z0-9_]`). Off by default: labels are the usual source of cardinality "
            "explosions."},
};

const opt_table engine_opt_table = {"engine", "main", rows, OPT_NROWS(rows)};
