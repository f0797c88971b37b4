/*
 * json_disk: the one disk JSON schema, rendered from data (the tracker and
 * the store), for the agent's /api/v1/disk, the "disk" object of each
 * container in /api/v1/containers, and berth df (with an agent it reads
 * /api/v1/disk; without one it runs the tracker once and renders here).
 */
#ifndef BERTH_EXPORT_JSON_DISK_H
#define BERTH_EXPORT_JSON_DISK_H

#include "disk/tracker.h"
#include "metrics/store.h"
#include "util/buf.h"

struct json_t;

typedef struct json_disk_opts {
    const char *source; /* the document's "source": "agent", or "walk" for berth df's own run */
    /* berth df's one-shot run: the fields it never printed are left out
     * (apparent bytes of volumes, logs and images, a volume's type, image
     * file counts, growth and update time: a single run has no history), so
     * `berth df --json` without an agent keeps its keys */
    int oneshot;
} json_disk_opts;

/* The /api/v1/disk document (a json_t the caller json_decref's), or NULL
 * when t is NULL. Takes the store lock, then the tracker's. */
struct json_t *json_disk_doc(store *st, dt_tracker *t, const json_disk_opts *o);
/* The agent's document appended to out; -1 when t is NULL (tracking off). */
int json_disk_render(store *st, dt_tracker *t, buf *out);
/* Sets obj's (a json_t *) "disk" to en's figures when the tracker has them. */
void json_disk_add(dt_tracker *t, const st_entry *en, void *obj);

/* The document of doc's rows[0..n) (references taken), in that order, for
 * a filtered or sorted view (berth df NAME): "source" as doc's,
 * "containers" the rows, "images" doc's when with_images (else []), and
 * "totals" recomputed over what is shown: writable and logs summed, each
 * volume source once, images_bytes doc's when with_images (else 0), and
 * their sum. A new reference; NULL only when out of memory. */
struct json_t *json_disk_select(struct json_t *doc, struct json_t *const *rows, size_t n,
                                int with_images);

#endif
