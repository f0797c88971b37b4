/*
 * prom_disk: the disk tracker's figures in /metrics (called by prom_render
 * with the store locked; takes the tracker's lock itself, store first).
 *
 * container_fs_usage_bytes is cAdvisor's name and meaning for Docker: the
 * writable layer plus the container's log files (cAdvisor adds the
 * container's directory under /var/lib/docker/containers; berth counts the
 * log files in it, which is nearly all of it). Volumes are berth's own
 * series, one line per volume with shared="true" when several containers
 * use it (sum by volume, not by container, to count it once). Series are
 * only written for containers whose trees have been walked once: a figure
 * still being counted is omitted, never shown low.
 *
 * The writable figures come from du of overlay2's upper directory, or for
 * other storage drivers from the engine's SizeRw (apparent-size-like, no
 * file count): berth_container_fs_writable_source_info says which, per
 * container, with source="overlay2-upper" or "engine-api".
 */
#include <stddef.h>
#include <string.h>

#include "disk/tracker.h"
#include "export/export.h"
#include "export/prom_disk.h"
#include "export/promtext.h"
#include "metrics/store.h"

typedef struct disk_fam {
    const char *name, *type, *help;
    size_t off; /* into dt_ctr, a uint64_t or (growth) double */
    int is_double;
} disk_fam;

#define C(field) offsetof(dt_ctr, field)
static const disk_fam ctr_fams[] = {
    {"berth_container_fs_writable_bytes", "gauge",
     "Bytes allocated by the container's writable layer (du -B1 -x of the overlay2 upper dir).",
     C(writable.alloc), 0},
    {"berth_container_fs_writable_apparent_bytes", "gauge",
     "Apparent size of the container's writable layer (du -b).", C(writable.apparent), 0},
    {"berth_container_fs_writable_files", "gauge", "Regular files in the writable layer.",
     C(writable.files), 0},
    {"berth_container_fs_logs_bytes", "gauge",
     "Bytes allocated by the container's log files, rotated ones included.", C(logs.alloc), 0},
    {"berth_container_fs_logs_apparent_bytes", "gauge", "Apparent size of the container's logs.",
     C(logs.apparent), 0},
    {"berth_container_fs_logs_files", "gauge", "The container's log files.", C(logs.files), 0},
    {"berth_container_fs_volumes_bytes", "gauge",
     "Bytes allocated by all the container's volumes and bind mounts (shared ones in full).",
     C(volumes_alloc), 0},
    {"berth_container_fs_total_bytes", "gauge",
     "Writable layer + volumes + logs, allocated bytes (shared volumes in full).", C(total_alloc),
     0},
    {"berth_container_fs_growth_bytes_per_second", "gauge",
     "Change of berth_container_fs_total_bytes per second over about the last minute.",
     C(growth_bps), 1},
};
#undef C

static void put_value(buf *b, const dt_ctr *c, const disk_fam *f)
{
    const char *p = (const char *)c + f->off;
    if (f->is_double) {
        double v;
        memcpy(&v, p, sizeof(v));
        buf_put_double(b, v);
    } else {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        buf_put_u64(b, v);
    }
    buf_putc(b, '\n');
}

void prom_disk_render(dt_tracker *t, store *st, buf *b)
{
    if (!t)
        return;
    dt_lock(t);
    /* cAdvisor's series: writable layer + logs */
    int header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        const dt_ctr *c;
        if (!en->has_meta || !en->prom_labels || !(c = dt_find(t, en->id)) || !c->ready)
            continue;
        if (!header) {
            prom_family(b, "container_fs_usage_bytes", "gauge",
                        "Number of bytes that are consumed by the container on this filesystem "
                        "(writable layer + log files).");
            header = 1;
        }
        buf_puts(b, "container_fs_usage_bytes");
        buf_puts(b, en->prom_labels);
        buf_puts(b, "} ");
        buf_put_u64(b, c->writable.alloc + c->logs.alloc);
        buf_putc(b, '\n');
    }
    for (size_t f = 0; f < sizeof(ctr_fams) / sizeof(ctr_fams[0]); f++) {
        header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            const dt_ctr *c;
            if (!en->has_meta || !en->prom_labels || !(c = dt_find(t, en->id)) || !c->ready)
                continue;
            if (f < 3 && strcmp(c->source, "none") == 0)
                continue; /* no writable layer figure for this storage driver */
            if (f == 2 && !c->writable_files_known)
                continue; /* engine-api: SizeRw has no file count */
            if (!header) {
                prom_family(b, ctr_fams[f].name, ctr_fams[f].type, ctr_fams[f].help);
                header = 1;
            }
            buf_puts(b, ctr_fams[f].name);
            buf_puts(b, en->prom_labels);
            buf_puts(b, "} ");
            put_value(b, c, &ctr_fams[f]);
        }
    }
    header = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        const dt_ctr *c;
        if (!en->has_meta || !en->prom_labels || !(c = dt_find(t, en->id)) || !c->ready ||
            strcmp(c->source, "none") == 0)
            continue;
        if (!header) {
            prom_family(
                b, "berth_container_fs_writable_source_info", "gauge",
                "Where berth_container_fs_writable_bytes comes from: source=\"overlay2-upper\" "
                "(du -B1 -x of the upper dir) or \"engine-api\" (the engine's SizeRw, apparent "
                "bytes as Docker sums them, for other storage drivers).");
            header = 1;
        }
        buf_puts(b, "berth_container_fs_writable_source_info");
        buf_puts(b, en->prom_labels);
        buf_puts(b, ",source=\"");
        buf_puts(b, c->source); /* fixed words from the tracker: nothing to escape */
        buf_puts(b, "\"} 1\n");
    }
    static const struct {
        const char *name, *help;
        int which; /* 0 alloc, 1 apparent, 2 files */
    } vol_fams[] = {
        {"berth_container_fs_volume_bytes",
         "Bytes allocated by one volume or bind mount the container uses; shared=\"true\" when "
         "several containers use it (count it once: max by (volume))",
         0},
        {"berth_container_fs_volume_apparent_bytes", "Apparent size of one volume or bind mount.",
         1},
        {"berth_container_fs_volume_files", "Regular files in one volume or bind mount.", 2},
    };
    for (int f = 0; f < 3; f++) {
        header = 0;
        for (size_t i = 0; i < st->n; i++) {
            st_entry *en = st->v[i];
            const dt_ctr *c;
            if (!en->has_meta || !en->prom_labels || !(c = dt_find(t, en->id)) || !c->ready)
                continue;
            for (size_t k = 0; k < c->n_vols; k++) {
                const dt_vol *v = &c->vols[k];
                if (!header) {
                    prom_family(b, vol_fams[f].name, "gauge", vol_fams[f].help);
                    header = 1;
                }
                buf_puts(b, vol_fams[f].name);
                buf_puts(b, en->prom_labels);
                buf_puts(b, ",volume=\"");
                prom_escape(b, v->name);
                buf_puts(b, "\",type=\"");
                prom_escape(b, v->type);
                buf_puts(b, v->shared ? "\",shared=\"true\"} " : "\",shared=\"false\"} ");
                buf_put_u64(b, f == 0 ? v->f.alloc : f == 1 ? v->f.apparent : v->f.files);
                buf_putc(b, '\n');
            }
        }
    }
    size_t ni = 0;
    const dt_image *im = dt_images(t, &ni);
    header = 0;
    for (size_t i = 0; i < ni; i++) {
        if (!im[i].ready)
            continue;
        if (!header) {
            prom_family(
                b, "berth_image_fs_bytes", "gauge",
                "Bytes allocated by an image's layers (overlay2 lower dirs), each layer once "
                "per image; layers shared by images count in each (berth_images_fs_bytes "
                "counts them once).");
            header = 1;
        }
        buf_puts(b, "berth_image_fs_bytes{image=\"");
        prom_escape(b, im[i].name);
        buf_puts(b, "\",image_id=\"");
        prom_escape(b, im[i].id);
        buf_puts(b, "\"} ");
        buf_put_u64(b, im[i].f.alloc);
        buf_putc(b, '\n');
    }
    dt_stats s;
    dt_get_stats(t, &s);
    dt_unlock(t);
    prom_scalar(b, "berth_images_fs_bytes", "gauge",
                "Bytes allocated by the layers of the images containers use, each layer once.",
                (double)s.images_alloc);
    prom_scalar(b, "berth_disk_tracked_dirs", "gauge",
                "Directories the disk tracker holds a node for.", (double)s.dirs);
    prom_scalar(b, "berth_disk_first_walk_done", "gauge",
                "1 once every tracked tree has been walked once.", s.first_walk_done);
    prom_scalar(b, "berth_disk_events_total", "counter",
                "fanotify events read (whole filesystems).", (double)s.events);
    prom_scalar(b, "berth_disk_events_matched_total", "counter",
                "fanotify events in a tracked directory.", (double)s.events_matched);
    prom_scalar(b, "berth_disk_overflows_total", "counter",
                "fanotify queue overflows (every tracked directory's times compared after each).",
                (double)s.overflows);
    prom_scalar(b, "berth_disk_rescans_total", "counter",
                "Directories re-read after a change (first and verification walks excluded).",
                (double)s.rescans);
    prom_scalar(b, "berth_disk_stat_calls_total", "counter", "fstatat calls made by the tracker.",
                (double)s.stats);
    prom_scalar(b, "berth_disk_rescan_stat_calls_total", "counter",
                "fstatat calls made re-reading directories of trees already walked (changes).",
                (double)s.rescan_stats);
    prom_scalar(b, "berth_disk_full_walks_total", "counter",
                "Trees walked in full (first walk, verification, queue overflow).",
                (double)s.full_walks);
    prom_scalar(b, "berth_disk_errors_total", "counter",
                "Entries not stat'ed or directories not read (vanished, permission).",
                (double)s.errors);
    prom_scalar(b, "berth_disk_cpu_seconds_total", "counter",
                "CPU time of the disk tracker thread.", s.cpu_seconds);
    prom_family(b, "berth_disk_info", "gauge", "How disk changes are detected; always 1.");
    buf_printf(b, "berth_disk_info{mode=\"%s\"} 1\n", s.mode ? s.mode : "");
}
