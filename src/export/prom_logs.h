/*
 * prom_logs: the log pipeline's berth_logs_* families in Prometheus text
 * format, rendered from a copy of its figures (lpipe_get_stats), so the
 * renderer needs neither the pipeline nor its lock and can be unit-tested
 * on a hand-made lpipe_stats.
 */
#ifndef BERTH_PROM_LOGS_H
#define BERTH_PROM_LOGS_H

#include "logs/lpipe.h"
#include "util/buf.h"

/* Appends every berth_logs_* family; nothing when st is NULL or !st->on
 * (logs off). No I/O, no lock. */
void prom_render_logs(const lpipe_stats *st, buf *b);

#endif
