/*
 * svcmon_opt: the service discovery and probe keys (services, probe_*),
 * one row each, written into svcmon_opts; see util/opt.h.
 */
#include "core/svcmon.h"

static const opt_row rows[] = {
    {.key = "services",
     .type = OPT_BOOL,
     OPT_FIELD(svcmon_opts, enabled),
     .def = "on",
     .help = "discover and probe services in containers",
     .want = "on or off",
     .neg = "--no-services",
     .doc = "discover what listens in each container and probe it (`--no-services`)"},
    {.key = "services_interval",
     .type = OPT_DURATION,
     OPT_FIELD(svcmon_opts, interval_ms),
     .min = 100,
     .max = 3600000,
     .def = "10s",
     .help = "service discovery and probe interval",
     .want = "a duration from 100ms to 1h",
     .doc = "how often services are discovered and probed"},
    {.key = "probe_timeout",
     .type = OPT_DURATION,
     OPT_FIELD(svcmon_opts, probe_timeout_ms),
     .min = 100,
     .max = 60000,
     .def = "1s",
     .help = "timeout of one probe",
     .want = "a duration from 100ms to 60s",
     .doc = "timeout of one probe"},
    {.key = "probe_http",
     .type = OPT_STR,
     OPT_FIELD(svcmon_opts, probe_http),
     .arg = "LIST",
     .help = "HTTP probes, NAME:PORT:/path[:STATUS],... (* = every container)",
     .doc = "HTTP probes by container name, `NAME:PORT:/path[:STATUS]`, comma-separated; `*` "
            "for every container (as the `berth.probe.http` label)"},
    {.key = "probe_ignore",
     .type = OPT_STR,
     OPT_FIELD(svcmon_opts, probe_ignore),
     .arg = "LIST",
     .help = "ports neither listed nor probed, NAME:PORT,...",
     .doc = "ports neither listed nor probed, `NAME:PORT`, comma-separated; `*` for every "
            "container (as `berth.probe.ignore`)"},
};

const opt_table svcmon_opt_table = {"services", "main", rows, OPT_NROWS(rows)};
