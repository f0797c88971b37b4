/*
 * prom_zabbix: the Prometheus families of berth's Zabbix active mode
 * (berth_zabbix_active_*), rendered from a snapshot of the job's counters
 * (zbx_active_stats, zabbix/active.h) taken by the caller, so the job
 * (agent/zbxpush.c) writes no Prometheus text of its own and the output is
 * unit-tested without a thread.
 */
#ifndef BERTH_PROM_ZABBIX_H
#define BERTH_PROM_ZABBIX_H

#include "util/buf.h"
#include "zabbix/active.h"

/* Appends the berth_zabbix_active_* families of s to out. */
void prom_zabbix_render(const zbx_active_stats *s, buf *out);

#endif
