/*
 * lpipe_opt: the log shipping keys (logs, log_*, logs_*, only), one row
 * each, written into lpipe_opts; see util/opt.h. docs/config.md shows them in the "Logs" section
 * (group "logs").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logs/lpipe.h"

static int check_dir(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)base;
    (void)r;
    if ((*vp)[0] != '/') {
        snprintf(err, errlen, "logs_buffer_dir: want an absolute path, got '%s'", *vp);
        return -EINVAL;
    }
    return 0;
}

/* NAME TYPE key=value...; checked in full when the pipeline starts */
static int check_output(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    const lpipe_opts *c = base;
    if (c->n_outputs == (size_t)r->max) {
        snprintf(err, errlen, "log_output: at most %d outputs", LPIPE_MAX_OUT);
        return -EINVAL;
    }
    const char *sp = strpbrk(*vp, " \t");
    if (!sp || !sp[strspn(sp, " \t")]) {
        snprintf(err, errlen, "log_output: want NAME TYPE key=value..., got '%s'", *vp);
        return -EINVAL;
    }
    return 0;
}

/* "only logs" also turns the pipeline on */
static int check_only(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)r;
    lpipe_opts *c = base;
    if (strcmp(*vp, "logs") != 0) {
        snprintf(err, errlen, "only: want logs, got '%s'", *vp);
        return -EINVAL;
    }
    c->enabled = 1;
    return 0;
}

static const char *const policies[] = {"pause", "drop_oldest", NULL};

/* "only" comes before "logs" so that a dump ("only logs", then "logs off")
 * reads back as it was written: only turns logs on, a later line wins. */
static const opt_row rows[] = {
    {.key = "only",
     .type = OPT_STR,
     OPT_FIELD(lpipe_opts, only),
     .arg = "logs",
     .help = "run only the log pipeline (no collector, services)",
     .doc = "`logs`: run only the log pipeline (`--only logs`)",
     .check = check_only},
    {.key = "logs",
     .type = OPT_BOOL,
     OPT_FIELD(lpipe_opts, enabled),
     .def = "off",
     .help = "ship container and file logs",
     .want = "on or off",
     .doc = "`on`: ship the json-file log of every container (found through the Engine API and "
            "its events; on the first start, what the files already hold is shipped too, "
            "stopped containers included) and the `log_files`"},
    {.key = "log_output",
     .type = OPT_REPEAT,
     .off = offsetof(lpipe_opts, outputs),
     .size = sizeof(((lpipe_opts *)0)->outputs[0]),
     .max = LPIPE_MAX_OUT,
     .noun = "outputs",
     .n_off = offsetof(lpipe_opts, n_outputs),
     .arg = "'NAME TYPE k=v...'",
     .help = "a log output (repeatable; default: NDJSON file in the buffer dir)",
     .doc_def = "the file output",
     .doc = "`NAME TYPE key=value ...`, repeatable (at most 8): one output each, with its own "
            "disk buffer and progress. Without any, berth writes NDJSON to "
            "`<logs_buffer_dir>/out.ndjson`.",
     .check = check_output},
    {.key = "log_files",
     .type = OPT_STR,
     OPT_FIELD(lpipe_opts, files),
     .arg = "GLOBS",
     .help = "plain files to ship, comma-separated globs",
     .doc = "comma-separated globs of plain files to ship (each line one record, stream "
            "`file`); `json-file:GLOB` reads files in Docker's json-file format. `PATH.1`-style "
            "rotated copies are followed through their live file."},
    {.key = "logs_containers",
     .type = OPT_STR,
     OPT_FIELD(lpipe_opts, containers),
     .arg = "GLOBS",
     .help = "only these container names (default all)",
     .doc_def = "all",
     .doc = "comma-separated globs of container names to follow (`web-*,api`); a container "
            "with the label `berth.logs=off` is never followed"},
    {.key = "logs_buffer_dir",
     .type = OPT_STR,
     OPT_FIELD(lpipe_opts, buffer_dir),
     .def = "/var/lib/berth/logs",
     .arg = "DIR",
     .help = "log buffers and checkpoints",
     .doc = "disk buffers, checkpoints (`state`) and the default output",
     .check = check_dir},
    {.key = "logs_buffer_max",
     .type = OPT_SIZE,
     OPT_FIELD(lpipe_opts, buffer_max),
     .min = 1 << 20,
     .max = 1ll << 50,
     .def = "1G",
     .help = "disk buffer per output",
     .want = "a size like 1G",
     .doc = "disk buffer per output (`k`, `M`, `G`; at least `1M`)"},
    {.key = "logs_full_policy",
     .type = OPT_ENUM,
     OPT_FIELD(lpipe_opts, full_policy),
     .def = "pause",
     .arg = "pause|drop_oldest",
     .help = "when a buffer is full",
     .want = "pause or drop_oldest",
     .names = policies,
     .doc = "when a buffer is full: `pause` reading (Docker's files wait) or `drop_oldest` "
            "(whole oldest segments, counted and logged)"},
    {.key = "logs_fsync",
     .type = OPT_BOOL,
     OPT_FIELD(lpipe_opts, sync),
     .def = "on",
     .help = "fdatasync buffers and checkpoints",
     .want = "on or off",
     .doc = "fdatasync the buffers and fsync the checkpoint each cycle; `off` survives SIGKILL "
            "but not power loss"},
    {.key = "logs_poll",
     .type = OPT_DURATION,
     OPT_FIELD(lpipe_opts, poll_ms),
     .min = 10,
     .max = 60000,
     .def = "100ms",
     .help = "idle inputs checked this often",
     .want = "a duration from 10ms to 60s",
     .doc = "how often idle inputs are checked for new lines, rotation and truncation when "
            "inotify has not woken berth first (it watches the inputs' directories)"},
    {.key = "logs_line_max",
     .type = OPT_SIZE,
     OPT_FIELD(lpipe_opts, line_max),
     .min = 1024,
     .max = 64 << 20,
     .def = "1M",
     .help = "longest record",
     .want = "a size like 1M",
     .doc = "longest record; longer lines (after joining Docker's 16 KiB pieces) are cut and "
            "flagged `truncated`"},
};

const opt_table lpipe_opt_table = {"logs", "logs", rows, OPT_NROWS(rows)};
