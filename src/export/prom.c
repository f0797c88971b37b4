/*
 * prom: /metrics in Prometheus text format 0.0.4, cAdvisor-compatible.
 *
 * Names and label sets follow cAdvisor (container_cpu_usage_seconds_total,
 * container_memory_working_set_bytes, ... with id, image, name) so existing
 * dashboards and alerts work unchanged. Series whose source the kernel does
 * not provide (PSI off, no swap accounting) are omitted, never zero-filled.
 *
 * Speed: a scrape of 1,000 containers is ~40 families x 1,000 lines. Each
 * container's label set is escaped once and cached in its store entry
 * (rebuilt when its metadata changes), so a line costs a memcpy plus a
 * number; families are table-driven so every family is one contiguous
 * group, as the format requires.
 */
#include "export/export.h"
#include "cgroup/cgroup.h"
#include "export/prom_disk.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "export/promtext.h"
#include "metrics/store.h"

/* Caches the label set without the closing brace: {id="...",image="...",name="..." */

static void build_labels(st_entry *en, const export_opts *o)
{
    buf b = BUF_INIT;
    buf_puts(&b, "{id=\"");
    prom_escape(&b, en->cgpath);
    buf_puts(&b, "\",image=\"");
    prom_escape(&b, en->has_meta ? en->meta.image : "");
    buf_puts(&b, "\",name=\"");
    prom_escape(&b, en->has_meta ? en->meta.name : "");
    buf_putc(&b, '"');
    for (size_t i = 0; o && i < o->n_label_allow; i++) {
        const char *v = en->has_meta ? bmeta_label(&en->meta, o->label_allow[i]) : NULL;
        if (!v)
            continue;
        buf_puts(&b, ",container_label_");
        prom_sanitize_name(&b, o->label_allow[i]);
        buf_puts(&b, "=\"");
        prom_escape(&b, v);
        buf_putc(&b, '"');
    }
    free(en->prom_labels);
    en->prom_labels = buf_detach(&b);
    en->prom_labels_gen = en->meta_gen;
}

/* name{labels[,extra]} value\n */
static void sample_start(buf *b, const char *name, const char *labels, const char *extra)
{
    buf_puts(b, name);
    buf_puts(b, labels);
    if (extra) {
        buf_putc(b, ',');
        buf_puts(b, extra);
    }
    buf_puts(b, "} ");
}

enum scale { SC_ONE, SC_NS, SC_US };

/* Per-container scalar families read straight from a bsample field. */
typedef struct fam_def {
    const char *name, *type, *help, *extra;
    uint32_t need;
    size_t off; /* offsetof(bsample, field) */
    enum scale scale;
} fam_def;

#define F(field) offsetof(bsample, field)
static const fam_def sample_fams[] = {
    {"container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
     "cpu=\"total\"", BS_HAS_CPU, F(cpu_total_ns), SC_NS},
    {"container_cpu_user_seconds_total", "counter", "Cumulative user cpu time consumed in seconds.",
     NULL, BS_HAS_CPU, F(cpu_user_ns), SC_NS},
    {"container_cpu_system_seconds_total", "counter",
     "Cumulative system cpu time consumed in seconds.", NULL, BS_HAS_CPU, F(cpu_system_ns), SC_NS},
    {"container_cpu_cfs_periods_total", "counter",
     "Number of elapsed enforcement period intervals.", NULL, BS_HAS_CFS, F(cfs_periods), SC_ONE},
    {"container_cpu_cfs_throttled_periods_total", "counter",
     "Number of throttled period intervals.", NULL, BS_HAS_CFS, F(cfs_throttled_periods), SC_ONE},
    {"container_cpu_cfs_throttled_seconds_total", "counter",
     "Total time duration the container has been throttled.", NULL, BS_HAS_CFS, F(cfs_throttled_ns),
     SC_NS},
    {"container_memory_usage_bytes", "gauge",
     "Current memory usage in bytes, including all memory regardless of when it was accessed", NULL,
     BS_HAS_MEM, F(mem_usage), SC_ONE},
    {"container_memory_working_set_bytes", "gauge",
     "Current working set in bytes (usage minus inactive file cache).", NULL, BS_HAS_MEM,
     F(mem_working_set), SC_ONE},
    {"container_memory_rss", "gauge", "Size of RSS (anonymous memory) in bytes.", NULL, BS_HAS_MEM,
     F(mem_rss), SC_ONE},
    {"container_memory_cache", "gauge", "Number of bytes of page cache memory.", NULL, BS_HAS_MEM,
     F(mem_cache), SC_ONE},
    {"container_memory_swap", "gauge", "Container swap usage in bytes.", NULL, BS_HAS_SWAP,
     F(mem_swap), SC_ONE},
    /* cAdvisor types this a counter; a gauge here keeps promtool's "_total" lint quiet
     * while the name stays the one dashboards query. */
    {"container_memory_failcnt", "gauge", "Number of memory usage hits limits", NULL,
     BS_HAS_FAILCNT, F(mem_failcnt), SC_ONE},
    {"container_oom_events_total", "counter",
     "Count of out of memory kills in the container (cgroup oom_kill).", NULL, BS_HAS_OOM,
     F(oom_kills), SC_ONE},
    {"container_fs_reads_bytes_total", "counter", "Cumulative count of bytes read, all devices.",
     NULL, BS_HAS_BLKIO, F(blk_read_bytes), SC_ONE},
    {"container_fs_writes_bytes_total", "counter",
     "Cumulative count of bytes written, all devices.", NULL, BS_HAS_BLKIO, F(blk_write_bytes),
     SC_ONE},
    {"container_fs_reads_total", "counter", "Cumulative count of reads completed, all devices.",
     NULL, BS_HAS_BLKIO, F(blk_read_ops), SC_ONE},
    {"container_fs_writes_total", "counter", "Cumulative count of writes completed, all devices.",
     NULL, BS_HAS_BLKIO, F(blk_write_ops), SC_ONE},
    {"container_threads", "gauge", "Number of tasks (threads) in the container (pids.current).",
     NULL, BS_HAS_PIDS, F(pids), SC_ONE},
    {"container_pressure_cpu_waiting_seconds_total", "counter",
     "Total time duration tasks in the container have waited due to CPU congestion.", NULL,
     BS_HAS_PSI_CPU_SOME, F(psi_us[BS_PSI_CPU][BS_PSI_SOME]), SC_US},
    {"container_pressure_cpu_stalled_seconds_total", "counter",
     "Total time duration no tasks in the container could make progress due to CPU congestion.",
     NULL, BS_HAS_PSI_CPU_FULL, F(psi_us[BS_PSI_CPU][BS_PSI_FULL]), SC_US},
    {"container_pressure_memory_waiting_seconds_total", "counter",
     "Total time duration tasks in the container have waited due to memory congestion.", NULL,
     BS_HAS_PSI_MEM_SOME, F(psi_us[BS_PSI_MEM][BS_PSI_SOME]), SC_US},
    {"container_pressure_memory_stalled_seconds_total", "counter",
     "Total time duration no tasks in the container could make progress due to memory "
     "congestion.",
     NULL, BS_HAS_PSI_MEM_FULL, F(psi_us[BS_PSI_MEM][BS_PSI_FULL]), SC_US},
    {"container_pressure_io_waiting_seconds_total", "counter",
     "Total time duration tasks in the container have waited due to IO congestion.", NULL,
     BS_HAS_PSI_IO_SOME, F(psi_us[BS_PSI_IO][BS_PSI_SOME]), SC_US},
    {"container_pressure_io_stalled_seconds_total", "counter",
     "Total time duration no tasks in the container could make progress due to IO congestion.",
     NULL, BS_HAS_PSI_IO_FULL, F(psi_us[BS_PSI_IO][BS_PSI_FULL]), SC_US},
};
#undef F

static void put_scaled(buf *b, uint64_t v, enum scale sc)
{
    if (sc == SC_ONE) {
        buf_put_u64(b, v);
        return;
    }
    /* seconds with exact decimals: integer part, then 9 or 6 fractional digits */
    uint64_t div = sc == SC_NS ? 1000000000ull : 1000000ull;
    int digits = sc == SC_NS ? 9 : 6;
    buf_put_u64(b, v / div);
    uint64_t frac = v % div;
    if (frac) {
        char tmp[12] = {0};
        for (int i = digits - 1; i >= 0; i--) {
            tmp[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        int n = digits;
        while (n > 0 && tmp[n - 1] == '0')
            n--;
        buf_putc(b, '.');
        buf_append(b, tmp, (size_t)n);
    }
}

static int live(const st_entry *en)
{
    return en->cgpath[0] && en->collects > 0;
}

/* Network families, one line per interface. */
typedef struct net_def {
    const char *name, *help;
    size_t off;
} net_def;
#define N(field) offsetof(bnet_iface, field)
static const net_def net_fams[] = {
    {"container_network_receive_bytes_total", "Cumulative count of bytes received", N(rx_bytes)},
    {"container_network_receive_packets_total", "Cumulative count of packets received",
     N(rx_packets)},
    {"container_network_receive_errors_total",
     "Cumulative count of errors encountered while receiving", N(rx_errors)},
    {"container_network_receive_packets_dropped_total",
     "Cumulative count of packets dropped while receiving", N(rx_dropped)},
    {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
     N(tx_bytes)},
    {"container_network_transmit_packets_total", "Cumulative count of packets transmitted",
     N(tx_packets)},
    {"container_network_transmit_errors_total",
     "Cumulative count of errors encountered while transmitting", N(tx_errors)},
    {"container_network_transmit_packets_dropped_total",
     "Cumulative count of packets dropped while transmitting", N(tx_dropped)},
};
#undef N

static void render_containers(store *st, buf *b)
{
    for (size_t f = 0; f < sizeof(sample_fams) / sizeof(sample_fams[0]); f++) {
        const fam_def *d = &sample_fams[f];
        int header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            if (!live(en) || !(en->cur.has & d->need))
                continue;
            if (!header) {
                prom_family(b, d->name, d->type, d->help);
                header = 1;
            }
            sample_start(b, d->name, en->prom_labels, d->extra);
            put_scaled(b, *(const uint64_t *)((const char *)&en->cur + d->off), d->scale);
            buf_putc(b, '\n');
        }
    }
    for (size_t f = 0; f < sizeof(net_fams) / sizeof(net_fams[0]); f++) {
        const net_def *d = &net_fams[f];
        int header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            if (!live(en) || !(en->cur.has & BS_HAS_NET))
                continue;
            for (uint32_t k = 0; k < en->cur.n_ifaces; k++) {
                const bnet_iface *ifc = &en->cur.ifaces[k];
                if (!header) {
                    prom_family(b, d->name, "counter", d->help);
                    header = 1;
                }
                buf_puts(b, d->name);
                buf_puts(b, en->prom_labels);
                buf_puts(b, ",interface=\"");
                prom_escape(b, ifc->name);
                buf_puts(b, "\"} ");
                buf_put_u64(b, *(const uint64_t *)((const char *)ifc + d->off));
                buf_putc(b, '\n');
            }
        }
    }

    /* Limits (cAdvisor's container_spec_*): 0 means no limit, as in cAdvisor. */
    struct {
        const char *name, *help;
    } specs[] = {
        {"container_spec_cpu_quota", "CPU quota of the container (microseconds per period)."},
        {"container_spec_cpu_period", "CPU period of the container (microseconds)."},
        {"container_spec_cpu_shares", "CPU share of the container."},
        {"container_spec_memory_limit_bytes", "Memory limit for the container (0: none)."},
        {"container_spec_memory_swap_limit_bytes",
         "Memory plus swap limit for the container (0: none)."},
        {"container_threads_max", "Maximum number of tasks (pids.max, 0: none)."},
    };
    for (int s = 0; s < 6; s++) {
        int header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            if (!live(en))
                continue;
            const bspec *sp = &en->spec;
            uint64_t v;
            switch (s) {
            case 0:
                if (sp->cpu_quota_us < 0)
                    continue;
                v = (uint64_t)sp->cpu_quota_us;
                break;
            case 1:
                if (!sp->cpu_period_us)
                    continue;
                v = sp->cpu_period_us;
                break;
            case 2:
                if (!sp->cpu_shares)
                    continue;
                v = sp->cpu_shares;
                break;
            case 3:
                v = sp->mem_limit;
                break;
            case 4:
                v = sp->mem_swap_limit;
                break;
            default:
                v = sp->pids_limit;
                break;
            }
            if (!header) {
                prom_family(b, specs[s].name, "gauge", specs[s].help);
                header = 1;
            }
            sample_start(b, specs[s].name, en->prom_labels, NULL);
            buf_put_u64(b, v);
            buf_putc(b, '\n');
        }
    }

    int header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!live(en) || !en->has_meta || en->meta.started_at <= 0)
            continue;
        if (!header) {
            prom_family(b, "container_start_time_seconds", "gauge",
                        "Start time of the container since unix epoch in seconds.");
            header = 1;
        }
        sample_start(b, "container_start_time_seconds", en->prom_labels, NULL);
        buf_put_u64(b, (uint64_t)en->meta.started_at);
        buf_putc(b, '\n');
    }
    header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!live(en))
            continue;
        if (!header) {
            prom_family(b, "container_last_seen", "gauge",
                        "Last time a container was seen by the exporter");
            header = 1;
        }
        sample_start(b, "container_last_seen", en->prom_labels, NULL);
        put_scaled(b, (uint64_t)en->cur.wall_ms * 1000000ull, SC_NS);
        buf_putc(b, '\n');
    }

    /* berth's own per-container series */
    header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!live(en))
            continue;
        if (!header) {
            prom_family(b, "berth_container_info", "gauge",
                        "Container identity and state from the Docker API; always 1.");
            header = 1;
        }
        sample_start(b, "berth_container_info", en->prom_labels, NULL);
        b->len -= 2; /* reopen the label set */
        buf_puts(b, ",image_id=\"");
        prom_escape(b, en->has_meta ? en->meta.image_id : "");
        buf_puts(b, "\",state=\"");
        prom_escape(b, en->has_meta ? en->meta.state : "running");
        buf_puts(b, "\",health=\"");
        prom_escape(b, en->has_meta ? en->meta.health : "");
        buf_puts(b, "\",runtime=\"");
        buf_puts(b, cg_runtime_name((enum cg_runtime)en->runtime));
        buf_puts(b, "\"} 1\n");
    }
    /* services found listening in the container, and their probes */
    static const struct {
        const char *name, *type, *help;
        int probed_only;
    } svc_fams[] = {
        {"berth_service_listening", "gauge",
         "A socket listening in the container's network namespace; always 1.", 0},
        {"berth_service_up", "gauge",
         "1 when the last probe from inside the container's network namespace succeeded.", 1},
        {"berth_service_probe_seconds", "gauge", "Duration of the last probe.", 1},
    };
    for (int f = 0; f < 3; f++) {
        header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            if (!live(en))
                continue;
            for (size_t k = 0; k < en->n_svcs; k++) {
                const st_service *sv = &en->svcs[k];
                if (svc_fams[f].probed_only ? !sv->probed : !sv->listening)
                    continue;
                if (!header) {
                    prom_family(b, svc_fams[f].name, svc_fams[f].type, svc_fams[f].help);
                    header = 1;
                }
                buf_puts(b, svc_fams[f].name);
                buf_puts(b, en->prom_labels);
                buf_puts(b, sv->proto == 2 ? ",proto=\"udp\",addr=\"" : ",proto=\"tcp\",addr=\"");
                prom_escape(b, sv->addr);
                buf_puts(b, "\",port=\"");
                buf_put_u64(b, (uint64_t)sv->port);
                buf_puts(b, "\",process=\"");
                prom_escape(b, sv->process);
                buf_puts(b, "\"} ");
                if (f == 0)
                    buf_putc(b, '1');
                else if (f == 1)
                    buf_putc(b, sv->up ? '1' : '0');
                else
                    buf_put_double(b, sv->latency_s);
                buf_putc(b, '\n');
            }
        }
    }

    header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!live(en) || !en->has_meta)
            continue;
        if (!header) {
            prom_family(b, "berth_container_restarts", "gauge",
                        "Times the Docker engine restarted the container (RestartCount).");
            header = 1;
        }
        sample_start(b, "berth_container_restarts", en->prom_labels, NULL);
        buf_put_u64(b, (uint64_t)(en->meta.restart_count > 0 ? en->meta.restart_count : 0));
        buf_putc(b, '\n');
    }
}

void prom_render(const export_src *src, const export_opts *o, buf *b)
{
    store *st = src->st;
    const engine_stats es = src->stats;
    st_lock(st);
    size_t live_n = 0, hist_bytes = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!en->prom_labels || en->prom_labels_gen != en->meta_gen)
            build_labels(en, o);
        live_n += live(en);
        if (en->hist)
            hist_bytes += ring_bytes(en->hist);
    }
    render_containers(st, b);
    if (src->dt)
        prom_disk_render(src->dt, st, b);

    const cg_host *h = &st->host;
    if (h->ncpu)
        prom_scalar(b, "machine_cpu_cores", "gauge", "Number of logical CPU cores.", h->ncpu);
    if (h->mem_total)
        prom_scalar(b, "machine_memory_bytes", "gauge",
                    "Amount of memory installed on the machine.", (double)h->mem_total);
    if (h->cpu_total_ns) {
        prom_family(b, "berth_host_cpu_seconds_total", "counter",
                    "Host CPU time by mode, from /proc/stat.");
        const char *modes[] = {"user", "system", "idle"};
        uint64_t vals[] = {h->cpu_user_ns, h->cpu_system_ns, h->cpu_idle_ns};
        for (int i = 0; i < 3; i++) {
            buf_puts(b, "berth_host_cpu_seconds_total{mode=\"");
            buf_puts(b, modes[i]);
            buf_puts(b, "\"} ");
            put_scaled(b, vals[i], SC_NS);
            buf_putc(b, '\n');
        }
        prom_scalar(b, "berth_host_memory_available_bytes", "gauge",
                    "Host MemAvailable from /proc/meminfo.", (double)h->mem_available);
    }
    st_unlock(st);

    prom_scalar(b, "berth_containers", "gauge", "Containers with a live cgroup.", (double)live_n);
    prom_scalar(b, "berth_history_bytes", "gauge",
                "Heap bytes held by the per-container history rings.", (double)hist_bytes);
    prom_scalar(b, "berth_collect_cycles_total", "counter", "Collection cycles run.",
                (double)es.cycles);
    prom_scalar(b, "berth_collect_last_duration_seconds", "gauge",
                "Wall time of the last collection cycle.", es.last_cycle_seconds);
    prom_scalar(b, "berth_collect_cpu_seconds_total", "counter",
                "CPU time spent by the collector thread.", es.cycle_cpu_seconds);
    prom_scalar(b, "berth_collect_errors_total", "counter",
                "Collection cycles that could not walk the cgroup tree.",
                (double)es.collect_errors);
    prom_scalar(b, "berth_docker_up", "gauge", "1 while the Docker Engine API answers.",
                es.docker_up);
    prom_scalar(b, "berth_docker_events_total", "counter", "Docker events received.",
                (double)es.docker_events);
    prom_scalar(b, "berth_docker_errors_total", "counter",
                "Failed Docker API requests and broken event streams.", (double)es.docker_errors);
    prom_family(b, "berth_build_info", "gauge", "berth version and cgroup layout; always 1.");
    buf_printf(b, "berth_build_info{version=\"%s\",cgroup_mode=\"%s\",docker_api=\"", BERTH_VERSION,
               cg_mode_name((enum cg_mode)src->cg_mode));
    prom_escape(b, es.docker_api);
    buf_puts(b, "\"} 1\n");
}
