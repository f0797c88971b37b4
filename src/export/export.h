/*
 * export: renders the store for the outside world.
 *   - prom.c: Prometheus text format 0.0.4 with cAdvisor's metric names and
 *     labels (id = cgroup path, name, image, container_label_* from an allow
 *     list), plus berth's own series;
 *   - json.c: the JSON API (/api/v1/containers) and `berth ps --json`.
 * Renderers append to a buf and never do I/O. The caller holds no lock:
 * renderers take the store lock themselves for the time of the render.
 */
#ifndef BERTH_EXPORT_H
#define BERTH_EXPORT_H

#include "core/engine.h"
#include "util/buf.h"

typedef struct export_opts {
    const char *const *label_allow; /* Docker label keys exported as container_label_* */
    size_t n_label_allow;
} export_opts;

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void prom_render(engine *e, const export_opts *o, buf *out);
/* Escapes a label value per the text format (\\, \", \n). */
void prom_escape(buf *out, const char *s);
/* "# HELP name help" and "# TYPE name type" lines; help is written as is. */
void prom_family(buf *b, const char *name, const char *type, const char *help);
/* A family with one unlabelled sample: the self-monitoring series. */
void prom_scalar(buf *b, const char *name, const char *type, const char *help, double v);
/* Maps a Docker label key to a Prometheus label name suffix ([a-zA-Z0-9_]). */
void prom_sanitize_name(buf *out, const char *s);

/* JSON array of containers. all: include containers without a live cgroup.
 * filter: NULL, or an id prefix or exact name to select one container. */
void json_render_containers(engine *e, int all, const char *filter, buf *out);
/* {"host":..., "containers": n, ...} summary */
void json_render_host(engine *e, buf *out);
/* History of one container as {"fields":[...],"samples":[[ts,...],...]};
 * returns 0, or -ENOENT when no container matches. */
int json_render_history(engine *e, const char *filter, int64_t from_ms, int64_t to_ms, buf *out);
/* The same, keeping only the last record of every step_ms bucket (step_ms
 * 0: every record). */
int json_render_history_step(engine *e, const char *filter, int64_t from_ms, int64_t to_ms,
                             int64_t step_ms, buf *out);

/* Disk tracker figures (prom_disk.c, json_disk.c). prom_render_disk is
 * called by prom_render with the store locked. json_render_disk returns -1
 * when disk tracking is off. json_add_disk sets obj's (a json_t *) "disk"
 * member for one entry; store locked by the caller. */
void prom_render_disk(engine *e, store *st, buf *out);
int json_render_disk(engine *e, buf *out);
void json_add_disk(engine *e, const st_entry *en, void *obj);

#endif
