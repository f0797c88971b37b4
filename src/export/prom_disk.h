/*
 * prom_disk: the disk tracker's families in /metrics, from data: the
 * tracker and the store (locked by the caller; the tracker's lock is taken
 * here, store first). prom_render calls it when a tracker is set.
 */
#ifndef BERTH_EXPORT_PROM_DISK_H
#define BERTH_EXPORT_PROM_DISK_H

#include "disk/tracker.h"
#include "metrics/store.h"
#include "util/buf.h"

/* Nothing when t is NULL (disk tracking off). */
void prom_disk_render(dt_tracker *t, store *st, buf *out);

#endif
