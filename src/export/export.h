/*
 * export: renders the store for the outside world.
 *   - prom.c: Prometheus text format 0.0.4 with cAdvisor's metric names and
 *     labels (id = cgroup path, name, image, container_label_* from an allow
 *     list), plus berth's own series;
 *   - json.c: the JSON API (/api/v1/containers) and `berth ps --json`.
 * Renderers append to a buf and never do I/O. The caller holds no lock:
 * renderers take the store lock themselves for the time of the render.
 *
 * Renderers take an export_src (what they read) rather than the engine, so
 * they can be tested on a store built by hand: the agent fills one with
 * engine_export_src() per request, a test fills the fields itself.
 */
#ifndef BERTH_EXPORT_H
#define BERTH_EXPORT_H

#include "metrics/store.h"
#include "model/view.h"
#include "export/promtext.h"
#include "util/buf.h"

typedef struct export_opts {
    const char *const *label_allow; /* Docker label keys exported as container_label_* */
    size_t n_label_allow;
} export_opts;

/* /metrics. The text format helpers (prom_escape, prom_family, ...) are in
 * export/promtext.h, included above. */
void prom_render(const export_src *src, const export_opts *o, buf *out);

/* JSON array of containers. all: include containers without a live cgroup.
 * filter: NULL for all, else a key as st_resolve takes it (name, full id or
 * id prefix): the array holds the one container it names, nothing, or,
 * when it is ambiguous, every candidate at the strongest tier. */
void json_render_containers(const export_src *src, int all, const char *filter, buf *out);
/* One container as a JSON object, the element json_render_containers(src,
 * 1, key) would give: /api/v1/containers/KEY. Returns 0, -ENOENT (the
 * route answers 404 {"error":"no such container"}) or -EEXIST (409
 * {"error":"ambiguous id prefix"}); out is untouched on error. */
int json_render_container(const export_src *src, const char *key, buf *out);
/* {"id":...,"name":...,"services":[...]} of one running container:
 * /api/v1/containers/KEY/services. Returns 0, -ENOENT or -EEXIST as above. */
int json_render_services(const export_src *src, const char *key, buf *out);
/* {"host":..., "containers": n, ...} summary */
void json_render_host(const export_src *src, buf *out);
/* The same summary as a jansson object (a new reference), for a route that
 * adds its own members to it (the dashboard's /api/v1/host). */
struct json_t *json_host_object(const export_src *src);
/* History of one container with a cgroup as {"fields":[...],"samples":
 * [[ts,...],...]}; key as st_resolve takes it. Returns 0, -ENOENT when no
 * container matches or -EEXIST when the key is ambiguous. */
int json_render_history(const export_src *src, const char *key, int64_t from_ms, int64_t to_ms,
                        buf *out);
/* The same, keeping only the last record of every step_ms bucket (step_ms
 * 0: every record). */
int json_render_history_step(const export_src *src, const char *key, int64_t from_ms, int64_t to_ms,
                             int64_t step_ms, buf *out);

/* The disk tracker's figures: export/prom_disk.h and export/json_disk.h. */

#endif
