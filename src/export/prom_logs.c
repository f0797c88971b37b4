/*
 * prom_logs: berth_logs_* from an lpipe_stats. Three tables, as prom.c's
 * sample_fams is one: the per-input families (labelled id and name for a
 * container, path for a plain file), the per-output families (labelled
 * output and type) and the pipeline's unlabelled series. A new figure is a
 * field in lpipe_stats plus one row here. Each family is written whole
 * (HELP, TYPE, then one sample per input or output, in the pipeline's
 * order), families in the order of the tables; that order and the texts are
 * part of the output scrapers and tests see, so rows are only appended.
 *
 * Output and type names are written unescaped: a name is letters, digits,
 * '-' and '_' (lpipe_parse_output) and a type is a registered output type.
 */
#include "export/prom_logs.h"

#include <stddef.h>
#include <stdint.h>

/* prom_family, prom_escape: export/export.h today (moving to promtext.h) */
#include "export/promtext.h"

/* How a row's value is read: a u64 at off, or the age in seconds of the
 * time at ts_off while the u64 at off (bytes behind) is not 0, else 0. */
enum { V_U64, V_AGE };

typedef struct fam {
    const char *name, *type, *help;
    int kind;
    size_t off, ts_off;
} fam;

static const fam in_fams[] = {
    {"berth_logs_input_records_total", "counter", "Log records read from an input.", V_U64,
     offsetof(lpipe_in_stats, recs), 0},
    {"berth_logs_input_bytes_total", "counter", "Message bytes read from an input.", V_U64,
     offsetof(lpipe_in_stats, bytes), 0},
    {"berth_logs_input_lag_bytes", "gauge", "Bytes of an input not read yet.", V_U64,
     offsetof(lpipe_in_stats, lag_bytes), 0},
    {"berth_logs_input_lag_seconds", "gauge",
     "Age of the last record read while the input is behind, else 0.", V_AGE,
     offsetof(lpipe_in_stats, lag_bytes), offsetof(lpipe_in_stats, last_ts_ns)},
};

static const fam out_fams[] = {
    {"berth_logs_output_records_sent_total", "counter", "Records the output acknowledged.", V_U64,
     offsetof(lpipe_out_stats, sent), 0},
    {"berth_logs_output_bytes_sent_total", "counter", "Message bytes the output acknowledged.",
     V_U64, offsetof(lpipe_out_stats, sent_bytes), 0},
    {"berth_logs_output_records_retried_total", "counter",
     "Records sent again (whole-batch failures and per-record RETRY).", V_U64,
     offsetof(lpipe_out_stats, retried), 0},
    {"berth_logs_output_records_rejected_total", "counter",
     "Records the receiver refused for good (dropped, logged).", V_U64,
     offsetof(lpipe_out_stats, rejected), 0},
    {"berth_logs_output_records_dropped_total", "counter",
     "Records dropped from the full buffer (logs_full_policy drop_oldest).", V_U64,
     offsetof(lpipe_out_stats, dropped), 0},
    {"berth_logs_output_errors_total", "counter", "Failed sends (connection, timeout, bad reply).",
     V_U64, offsetof(lpipe_out_stats, errors), 0},
    {"berth_logs_output_batches_total", "counter", "Batches acknowledged.", V_U64,
     offsetof(lpipe_out_stats, batches), 0},
    {"berth_logs_buffer_bytes", "gauge", "Bytes in the output's disk buffer.", V_U64,
     offsetof(lpipe_out_stats, buffer_bytes), 0},
    {"berth_logs_output_lag_bytes", "gauge", "Buffered bytes the output has not acknowledged.",
     V_U64, offsetof(lpipe_out_stats, lag_bytes), 0},
    {"berth_logs_output_lag_seconds", "gauge",
     "Age of the oldest record not acknowledged, 0 when caught up.", V_AGE,
     offsetof(lpipe_out_stats, lag_bytes), offsetof(lpipe_out_stats, oldest_unsent_ts_ns)},
};

static const fam pipe_fams[] = {
    {"berth_logs_parse_errors_total", "counter",
     "Lines that were not valid json-file JSON or ended without a newline (shipped raw).", V_U64,
     offsetof(lpipe_stats, parse_errors), 0},
    {"berth_logs_invalid_utf8_total", "counter",
     "Records with invalid UTF-8 (shipped; outputs substitute U+FFFD).", V_U64,
     offsetof(lpipe_stats, invalid_utf8), 0},
    {"berth_logs_truncated_total", "counter", "Lines cut at the line cap (logs_line_max).", V_U64,
     offsetof(lpipe_stats, truncated), 0},
    {"berth_logs_partial_joined_total", "counter",
     "Docker partial lines (over 16 KiB) joined back.", V_U64,
     offsetof(lpipe_stats, partial_joined), 0},
    {"berth_logs_rotations_total", "counter", "Rotations followed.", V_U64,
     offsetof(lpipe_stats, rotations), 0},
    {"berth_logs_copytruncates_total", "counter", "Copy-truncates detected.", V_U64,
     offsetof(lpipe_stats, copytruncates), 0},
    {"berth_logs_rotation_gaps_total", "counter",
     "Rotations where an unread rotated file could not be ordered (possible loss).", V_U64,
     offsetof(lpipe_stats, gaps), 0},
    {"berth_logs_dropped_records_total", "counter", "Records dropped from full buffers.", V_U64,
     offsetof(lpipe_stats, dropped), 0},
    {"berth_logs_dropped_bytes_total", "counter", "Bytes dropped from full buffers.", V_U64,
     offsetof(lpipe_stats, dropped_bytes), 0},
    {"berth_logs_checkpoints_total", "counter", "Checkpoints written.", V_U64,
     offsetof(lpipe_stats, ck_writes), 0},
    {"berth_logs_paused_cycles_total", "counter", "Reader cycles paused because a buffer was full.",
     V_U64, offsetof(lpipe_stats, paused_cycles), 0},
    {"berth_logs_paused", "gauge", "1 while reading is paused by a full buffer.", V_U64,
     offsetof(lpipe_stats, paused), 0},
    {"berth_logs_inotify_wakeups_total", "counter",
     "Reader wakeups by inotify (the rest are polls every logs_poll).", V_U64,
     offsetof(lpipe_stats, wakeups), 0},
    {"berth_logs_inputs", "gauge", "Inputs followed.", V_U64, offsetof(lpipe_stats, inputs), 0},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void value(buf *b, const fam *f, const void *row, int64_t now_ns)
{
    const char *base = row;
    uint64_t v = *(const uint64_t *)(const void *)(base + f->off);
    if (f->kind == V_U64) {
        buf_put_u64(b, v);
        return;
    }
    int64_t ts = *(const int64_t *)(const void *)(base + f->ts_off);
    buf_put_double(b, v && ts ? (double)(now_ns - ts) / 1e9 : 0.0);
}

static void in_labels(buf *b, const lpipe_in_stats *in)
{
    if (in->is_ctr) {
        buf_puts(b, "{id=\"");
        prom_escape(b, in->id);
        buf_puts(b, "\",name=\"");
        prom_escape(b, in->name);
        buf_puts(b, "\"}");
    } else {
        buf_puts(b, "{path=\"");
        prom_escape(b, in->path);
        buf_puts(b, "\"}");
    }
}

void prom_render_logs(const lpipe_stats *st, buf *b)
{
    if (!st || !st->on)
        return;
    for (size_t k = 0; k < N(in_fams); k++) {
        const fam *f = &in_fams[k];
        prom_family(b, f->name, f->type, f->help);
        for (size_t i = 0; i < st->nins; i++) {
            buf_puts(b, f->name);
            in_labels(b, &st->ins[i]);
            buf_putc(b, ' ');
            value(b, f, &st->ins[i], st->now_ns);
            buf_putc(b, '\n');
        }
    }
    for (size_t k = 0; k < N(out_fams); k++) {
        const fam *f = &out_fams[k];
        prom_family(b, f->name, f->type, f->help);
        for (size_t o = 0; o < st->nout; o++) {
            const lpipe_out_stats *s = &st->out[o];
            buf_printf(b, "%s{output=\"%s\",type=\"%s\"} ", f->name, s->name, s->type);
            value(b, f, s, st->now_ns);
            buf_putc(b, '\n');
        }
    }
    for (size_t k = 0; k < N(pipe_fams); k++) {
        const fam *f = &pipe_fams[k];
        prom_family(b, f->name, f->type, f->help);
        buf_puts(b, f->name);
        buf_putc(b, ' ');
        value(b, f, st, st->now_ns);
        buf_putc(b, '\n');
    }
}
