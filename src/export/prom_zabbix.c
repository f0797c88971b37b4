/*
 * prom_zabbix: berth_zabbix_active_* from a stats snapshot. See
 * prom_zabbix.h. One family per counter, in a fixed order that /metrics
 * readers and the tests rely on.
 *
 * prom_scalar comes from export/export.h for now; it moves to the shared
 * Prometheus text helpers (export/promtext.h) in a parallel change.
 */
#include "export/prom_zabbix.h"

#include "export/promtext.h"

void prom_zabbix_render(const zbx_active_stats *s, buf *out)
{
    prom_scalar(out, "berth_zabbix_active_up", "gauge",
                "1 when the last exchange with the Zabbix server or proxy got a reply", s->up);
    prom_scalar(out, "berth_zabbix_active_batches_sent_total", "counter",
                "batches the server answered with success", (double)s->batches_sent);
    prom_scalar(out, "berth_zabbix_active_batches_rejected_total", "counter",
                "batches the server refused as a whole (response failed)",
                (double)s->batches_rejected);
    prom_scalar(out, "berth_zabbix_active_batches_dropped_total", "counter",
                "batches dropped from the full queue while the server was unreachable",
                (double)s->batches_dropped);
    prom_scalar(out, "berth_zabbix_active_values_sent_total", "counter",
                "values in batches the server answered with success", (double)s->values_sent);
    prom_scalar(out, "berth_zabbix_active_values_processed_total", "counter",
                "values the server reported processed", (double)s->values_processed);
    prom_scalar(out, "berth_zabbix_active_values_failed_total", "counter",
                "values the server reported failed (unknown host or item, not a trapper item)",
                (double)s->values_failed);
    prom_scalar(out, "berth_zabbix_active_values_dropped_total", "counter",
                "values in dropped batches", (double)s->values_dropped);
    prom_scalar(out, "berth_zabbix_active_send_errors_total", "counter",
                "exchanges that failed (connect, I/O, timeout, malformed reply); retried",
                (double)s->send_errors);
    prom_scalar(out, "berth_zabbix_active_queue_batches", "gauge", "batches waiting to be sent",
                (double)s->queue_batches);
    prom_scalar(out, "berth_zabbix_active_last_exchange_seconds", "gauge",
                "duration of the last successful exchange", s->last_exchange_s);
}
