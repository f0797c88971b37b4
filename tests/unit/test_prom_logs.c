/*
 * test_prom_logs: the berth_logs_* families rendered from a hand-made
 * lpipe_stats (export/prom_logs.c). The expected text was generated from the
 * HELP and TYPE lines the agent served before the renderer moved out of
 * logs/lpipe.c, so it pins the output byte for byte: family order, texts,
 * label order and escaping, sample order and the lag ages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "export/prom_logs.h"

#define NOW 1796355387000000000LL

static const char want_full[] =
    "# HELP berth_logs_input_records_total Log records read from an input.\n"
    "# TYPE berth_logs_input_records_total counter\n"
    "berth_logs_input_records_total{id="
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",name=\"web-1\"} 11\n"
    "berth_logs_input_records_total{path=\"/var/log/a \\\"q\\\" \\\\b\\nc.log\"} 3\n"
    "# HELP berth_logs_input_bytes_total Message bytes read from an input.\n"
    "# TYPE berth_logs_input_bytes_total counter\n"
    "berth_logs_input_bytes_total{id="
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",name=\"web-1\"} 220\n"
    "berth_logs_input_bytes_total{path=\"/var/log/a \\\"q\\\" \\\\b\\nc.log\"} 30\n"
    "# HELP berth_logs_input_lag_bytes Bytes of an input not read yet.\n"
    "# TYPE berth_logs_input_lag_bytes gauge\n"
    "berth_logs_input_lag_bytes{id="
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",name=\"web-1\"} 0\n"
    "berth_logs_input_lag_bytes{path=\"/var/log/a \\\"q\\\" \\\\b\\nc.log\"} 4096\n"
    "# HELP berth_logs_input_lag_seconds Age of the last record read while the input is behind, "
    "else 0.\n"
    "# TYPE berth_logs_input_lag_seconds gauge\n"
    "berth_logs_input_lag_seconds{id="
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",name=\"web-1\"} 0\n"
    "berth_logs_input_lag_seconds{path=\"/var/log/a \\\"q\\\" \\\\b\\nc.log\"} 2.5\n"
    "# HELP berth_logs_output_records_sent_total Records the output acknowledged.\n"
    "# TYPE berth_logs_output_records_sent_total counter\n"
    "berth_logs_output_records_sent_total{output=\"es1\",type=\"elasticsearch\"} 101\n"
    "# HELP berth_logs_output_bytes_sent_total Message bytes the output acknowledged.\n"
    "# TYPE berth_logs_output_bytes_sent_total counter\n"
    "berth_logs_output_bytes_sent_total{output=\"es1\",type=\"elasticsearch\"} 102\n"
    "# HELP berth_logs_output_records_retried_total Records sent again (whole-batch failures and "
    "per-record RETRY).\n"
    "# TYPE berth_logs_output_records_retried_total counter\n"
    "berth_logs_output_records_retried_total{output=\"es1\",type=\"elasticsearch\"} 103\n"
    "# HELP berth_logs_output_records_rejected_total Records the receiver refused for good "
    "(dropped, logged).\n"
    "# TYPE berth_logs_output_records_rejected_total counter\n"
    "berth_logs_output_records_rejected_total{output=\"es1\",type=\"elasticsearch\"} 104\n"
    "# HELP berth_logs_output_records_dropped_total Records dropped from the full buffer "
    "(logs_full_policy drop_oldest).\n"
    "# TYPE berth_logs_output_records_dropped_total counter\n"
    "berth_logs_output_records_dropped_total{output=\"es1\",type=\"elasticsearch\"} 105\n"
    "# HELP berth_logs_output_errors_total Failed sends (connection, timeout, bad reply).\n"
    "# TYPE berth_logs_output_errors_total counter\n"
    "berth_logs_output_errors_total{output=\"es1\",type=\"elasticsearch\"} 106\n"
    "# HELP berth_logs_output_batches_total Batches acknowledged.\n"
    "# TYPE berth_logs_output_batches_total counter\n"
    "berth_logs_output_batches_total{output=\"es1\",type=\"elasticsearch\"} 107\n"
    "# HELP berth_logs_buffer_bytes Bytes in the output's disk buffer.\n"
    "# TYPE berth_logs_buffer_bytes gauge\n"
    "berth_logs_buffer_bytes{output=\"es1\",type=\"elasticsearch\"} 108\n"
    "# HELP berth_logs_output_lag_bytes Buffered bytes the output has not acknowledged.\n"
    "# TYPE berth_logs_output_lag_bytes gauge\n"
    "berth_logs_output_lag_bytes{output=\"es1\",type=\"elasticsearch\"} 109\n"
    "# HELP berth_logs_output_lag_seconds Age of the oldest record not acknowledged, 0 when caught "
    "up.\n"
    "# TYPE berth_logs_output_lag_seconds gauge\n"
    "berth_logs_output_lag_seconds{output=\"es1\",type=\"elasticsearch\"} 1.25\n"
    "# HELP berth_logs_parse_errors_total Lines that were not valid json-file JSON or ended "
    "without a newline (shipped raw).\n"
    "# TYPE berth_logs_parse_errors_total counter\n"
    "berth_logs_parse_errors_total 1\n"
    "# HELP berth_logs_invalid_utf8_total Records with invalid UTF-8 (shipped; outputs substitute "
    "U+FFFD).\n"
    "# TYPE berth_logs_invalid_utf8_total counter\n"
    "berth_logs_invalid_utf8_total 2\n"
    "# HELP berth_logs_truncated_total Lines cut at the line cap (logs_line_max).\n"
    "# TYPE berth_logs_truncated_total counter\n"
    "berth_logs_truncated_total 3\n"
    "# HELP berth_logs_partial_joined_total Docker partial lines (over 16 KiB) joined back.\n"
    "# TYPE berth_logs_partial_joined_total counter\n"
    "berth_logs_partial_joined_total 4\n"
    "# HELP berth_logs_rotations_total Rotations followed.\n"
    "# TYPE berth_logs_rotations_total counter\n"
    "berth_logs_rotations_total 5\n"
    "# HELP berth_logs_copytruncates_total Copy-truncates detected.\n"
    "# TYPE berth_logs_copytruncates_total counter\n"
    "berth_logs_copytruncates_total 6\n"
    "# HELP berth_logs_rotation_gaps_total Rotations where an unread rotated file could not be "
    "ordered (possible loss).\n"
    "# TYPE berth_logs_rotation_gaps_total counter\n"
    "berth_logs_rotation_gaps_total 7\n"
    "# HELP berth_logs_dropped_records_total Records dropped from full buffers.\n"
    "# TYPE berth_logs_dropped_records_total counter\n"
    "berth_logs_dropped_records_total 8\n"
    "# HELP berth_logs_dropped_bytes_total Bytes dropped from full buffers.\n"
    "# TYPE berth_logs_dropped_bytes_total counter\n"
    "berth_logs_dropped_bytes_total 9\n"
    "# HELP berth_logs_checkpoints_total Checkpoints written.\n"
    "# TYPE berth_logs_checkpoints_total counter\n"
    "berth_logs_checkpoints_total 10\n"
    "# HELP berth_logs_paused_cycles_total Reader cycles paused because a buffer was full.\n"
    "# TYPE berth_logs_paused_cycles_total counter\n"
    "berth_logs_paused_cycles_total 11\n"
    "# HELP berth_logs_paused 1 while reading is paused by a full buffer.\n"
    "# TYPE berth_logs_paused gauge\n"
    "berth_logs_paused 1\n"
    "# HELP berth_logs_inotify_wakeups_total Reader wakeups by inotify (the rest are polls every "
    "logs_poll).\n"
    "# TYPE berth_logs_inotify_wakeups_total counter\n"
    "berth_logs_inotify_wakeups_total 12\n"
    "# HELP berth_logs_inputs Inputs followed.\n"
    "# TYPE berth_logs_inputs gauge\n"
    "berth_logs_inputs 2\n";

static void fill(lpipe_stats *st, lpipe_in_stats *ins)
{
    memset(st, 0, sizeof(*st));
    memset(ins, 0, 2 * sizeof(*ins));
    st->on = 1;
    st->now_ns = NOW;
    ins[0].is_ctr = 1;
    snprintf(ins[0].id, sizeof(ins[0].id), "%s",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    snprintf(ins[0].name, sizeof(ins[0].name), "web-1");
    snprintf(ins[0].path, sizeof(ins[0].path), "/not/used/for/containers");
    ins[0].recs = 11;
    ins[0].bytes = 220;
    ins[0].lag_bytes = 0;
    ins[0].last_ts_ns = NOW - 7000000000LL; /* caught up: age 0 */
    snprintf(ins[1].path, sizeof(ins[1].path), "/var/log/a \"q\" \\b\nc.log");
    snprintf(ins[1].name, sizeof(ins[1].name), "not-used-for-files");
    ins[1].recs = 3;
    ins[1].bytes = 30;
    ins[1].lag_bytes = 4096;
    ins[1].last_ts_ns = NOW - 2500000000LL;
    st->ins = ins;
    st->nins = st->cap = 2;
    lpipe_out_stats *o = &st->out[0];
    snprintf(o->name, sizeof(o->name), "es1");
    snprintf(o->type, sizeof(o->type), "elasticsearch");
    o->sent = 101;
    o->sent_bytes = 102;
    o->retried = 103;
    o->rejected = 104;
    o->dropped = 105;
    o->errors = 106;
    o->batches = 107;
    o->buffer_bytes = 108;
    o->lag_bytes = 109;
    o->oldest_unsent_ts_ns = NOW - 1250000000LL;
    st->nout = 1;
    st->parse_errors = 1;
    st->invalid_utf8 = 2;
    st->truncated = 3;
    st->partial_joined = 4;
    st->rotations = 5;
    st->copytruncates = 6;
    st->gaps = 7;
    st->dropped = 8;
    st->dropped_bytes = 9;
    st->ck_writes = 10;
    st->paused_cycles = 11;
    st->paused = 1;
    st->wakeups = 12;
    st->inputs = 2;
}

static void t_full(void **state)
{
    (void)state;
    lpipe_stats st;
    lpipe_in_stats ins[2];
    fill(&st, ins);
    buf b = BUF_INIT;
    prom_render_logs(&st, &b);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, want_full);
    buf_free(&b);
}

/* logs off: /metrics carries no berth_logs_* at all (as before: the agent
 * called the renderer with a NULL pipeline) */
static void t_off(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    prom_render_logs(NULL, &b);
    assert_int_equal(b.len, 0);
    lpipe_stats st = {0};
    assert_int_equal(lpipe_get_stats(NULL, &st), -ENOENT);
    assert_int_equal(st.on, 0);
    prom_render_logs(&st, &b);
    assert_int_equal(b.len, 0);
    lpipe_stats_free(&st);
    buf_free(&b);
}

/* no inputs and no outputs yet: every family is still announced, the
 * labelled ones without samples */
static void t_empty(void **state)
{
    (void)state;
    lpipe_stats st;
    lpipe_in_stats ins[2];
    fill(&st, ins);
    st.nins = 0;
    st.nout = 0;
    buf b = BUF_INIT;
    prom_render_logs(&st, &b);
    buf_putc(&b, '\0');
    int helps = 0;
    for (const char *q = b.data; (q = strstr(q, "# HELP berth_logs_")); q++)
        helps++;
    assert_int_equal(helps, 28);
    assert_null(strstr(b.data, "{"));
    assert_non_null(strstr(b.data, "\nberth_logs_inputs 2\n"));
    assert_non_null(strstr(b.data, "# TYPE berth_logs_output_lag_seconds gauge\n# HELP "));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_full),
        cmocka_unit_test(t_off),
        cmocka_unit_test(t_empty),
    };
    return cmocka_run_group_tests_name("prom_logs", tests, NULL, NULL);
}
