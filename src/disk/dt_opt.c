/*
 * dt_opt: the disk tracker's keys (disk, disk_*), one row each, written
 * into dt_opts; see util/opt.h. These rows are the keys' only defaults
 * (opt_defaults); the fields that are not keys default to 0.
 */
#include "disk/tracker.h"
#include "util/opt.h"

static const opt_row rows[] = {
    {.key = "disk",
     .type = OPT_BOOL,
     OPT_FIELD(dt_opts, enabled),
     .def = "on",
     .help = "track per-container disk usage",
     .want = "on or off",
     .neg = "--no-disk",
     .doc = "keep every container's disk usage current in the background (`--no-disk`): "
            "writable layer, volumes, logs, image layers; see ARCHITECTURE.md \"Disk\""},
    {.key = "disk_interval",
     .type = OPT_DURATION,
     OPT_FIELD(dt_opts, interval_ms),
     .min = 1000,
     .max = 3600000,
     .def = "10s",
     .help = "logs re-read and polled trees checked",
     .want = "a duration from 1s to 1h",
     .doc = "logs re-read, tops of trees checked, polled trees compared (1s to 1h). Changes "
            "seen by fanotify show within about 2 s regardless"},
    {.key = "disk_verify",
     .type = OPT_DURATION,
     OPT_FIELD(dt_opts, verify_ms),
     .min = 60000,
     .max = 7 * 86400000LL,
     .zero_ok = 1,
     .def = "1h",
     .help = "full re-walk of each tree (0 = never)",
     .want = "0 or a duration from 1m to 168h",
     .doc = "every tree is re-walked in full this often, as a safety net for what events cannot "
            "show (mmap writes); `0` never, else 1m to 168h. Also how often a writable layer "
            "without an overlay2 upper dir (other storage drivers) is asked of the engine again "
            "(`SizeRw`, at most one request per `disk_interval`; `0`: once)"},
    {.key = "disk_fanotify",
     .type = OPT_BOOL,
     OPT_FIELD(dt_opts, use_fanotify),
     .def = "on",
     .help = "fanotify change detection (off: poll)",
     .want = "on or off",
     .doc = "detect changes with a fanotify filesystem mark (needs root, Linux >= 5.9); `off`, "
            "or when refused: poll every directory's mtime each `disk_interval`"},
    {.key = "disk_max_dirs",
     .type = OPT_INT,
     OPT_FIELD(dt_opts, max_dirs),
     .min = 1000,
     .max = 100000000,
     .def = "1000000",
     .help = "directories tracked one by one",
     .want = "1000..100000000",
     .doc = "directories tracked one by one (about 230 bytes each); past it subtrees are summed "
            "by walking"},
};

const opt_table dt_opt_table = {"disk", "main", rows, OPT_NROWS(rows)};
