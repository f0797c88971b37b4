/*
 * json_disk: the disk tracker's figures in the JSON API: /api/v1/disk (what
 * `berth df --json` prints, with the same field names) and the "disk" object
 * of each container in /api/v1/containers. The one disk schema: berth df
 * without an agent runs the tracker once and renders here too, with
 * json_disk_opts.oneshot leaving out the fields its own walk never printed.
 * From data (the tracker and the store), never the engine.
 *
 * Totals reconcile with the host's view this way: writable layers + distinct
 * volumes and binds (a shared one once) + logs + distinct image layers is
 * what those directories hold on disk, i.e. what `du -s -B1 -x` over the
 * same directories says. It is not `df` of the filesystem: that also counts
 * everything else on it (other files, stopped-and-removed leftovers, the
 * filesystem's own metadata).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "disk/tracker.h"
#include "export/export.h"
#include "export/json_disk.h"
#include "metrics/store.h"
#include "util/xalloc.h"

static json_t *num(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *ctr_json(const st_entry *en, const dt_ctr *c, int full, int oneshot)
{
    json_t *j = json_object();
    if (full) {
        json_object_set_new(j, "id", json_string(en->id));
        json_object_set_new(j, "name", json_string(en->meta.name));
        json_object_set_new(j, "state", json_string(en->meta.state));
        json_object_set_new(j, "storage_driver", json_string(en->meta.graph_driver));
    }
    json_object_set_new(j, "ready", json_boolean(c->ready));
    json_object_set_new(j, "writable_source", json_string(c->source));
    json_object_set_new(j, "writable_bytes", num(c->writable.alloc));
    json_object_set_new(j, "writable_apparent_bytes", num(c->writable.apparent));
    if (c->writable_files_known || strcmp(c->source, "engine-api") != 0)
        json_object_set_new(j, "writable_files", num(c->writable.files)); /* SizeRw: no count */
    json_object_set_new(j, "volumes_bytes", num(c->volumes_alloc));
    if (!oneshot)
        json_object_set_new(j, "volumes_apparent_bytes", num(c->volumes_apparent));
    json_object_set_new(j, "logs_bytes", num(c->logs.alloc));
    if (!oneshot)
        json_object_set_new(j, "logs_apparent_bytes", num(c->logs.apparent));
    json_object_set_new(j, "log_files", num(c->logs.files));
    json_object_set_new(j, "total_bytes", num(c->total_alloc));
    if (!oneshot) {
        json_object_set_new(j, "growth_bytes_per_second", json_real(c->growth_bps));
        json_object_set_new(j, "updated_ms", json_integer(c->updated_ms));
    }
    json_t *vs = json_array();
    for (size_t k = 0; k < c->n_vols; k++) {
        const dt_vol *v = &c->vols[k];
        json_t *jv = json_object();
        json_object_set_new(jv, "name", json_string(v->name));
        if (!oneshot)
            json_object_set_new(jv, "type", json_string(v->type));
        json_object_set_new(jv, "source", json_string(v->source));
        json_object_set_new(jv, "bytes", num(v->f.alloc));
        if (!oneshot)
            json_object_set_new(jv, "apparent_bytes", num(v->f.apparent));
        json_object_set_new(jv, "files", num(v->f.files));
        json_object_set_new(jv, "shared", json_boolean(v->shared));
        json_array_append_new(vs, jv);
    }
    json_object_set_new(j, "volumes", vs);
    return j;
}

json_t *json_disk_doc(store *st, dt_tracker *t, const json_disk_opts *jo)
{
    if (!t)
        return NULL;
    json_t *o = json_object(), *arr = json_array(), *imgs = json_array();
    uint64_t tw = 0, tl = 0, tv = 0;
    /* distinct volume sources for the total, each once */
    size_t nsrc = 0, capsrc = 0;
    const char **srcs = NULL;
    st_lock(st);
    dt_lock(t);
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        const dt_ctr *c;
        if (!en->has_meta || !(c = dt_find(t, en->id)))
            continue;
        json_array_append_new(arr, ctr_json(en, c, 1, jo->oneshot));
        tw += c->writable.alloc;
        tl += c->logs.alloc;
        for (size_t k = 0; k < c->n_vols; k++) {
            size_t s = 0;
            while (s < nsrc && strcmp(srcs[s], c->vols[k].source) != 0)
                s++;
            if (s < nsrc)
                continue;
            if (nsrc == capsrc) {
                capsrc = capsrc ? capsrc * 2 : 16;
                const char **v = xrealloc(srcs, capsrc * sizeof(*v));
                srcs = v;
            }
            srcs[nsrc++] = c->vols[k].source;
            tv += c->vols[k].f.alloc;
        }
    }
    size_t ni = 0;
    const dt_image *im = dt_images(t, &ni);
    for (size_t i = 0; i < ni; i++) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(im[i].id));
        json_object_set_new(j, "name", json_string(im[i].name));
        json_object_set_new(j, "ready", json_boolean(im[i].ready));
        json_object_set_new(j, "layers", json_integer(im[i].layers));
        json_object_set_new(j, "bytes", num(im[i].f.alloc));
        if (!jo->oneshot) {
            json_object_set_new(j, "apparent_bytes", num(im[i].f.apparent));
            json_object_set_new(j, "files", num(im[i].f.files));
        }
        json_array_append_new(imgs, j);
    }
    dt_stats s;
    dt_get_stats(t, &s);
    dt_unlock(t);
    st_unlock(st);
    free(srcs);
    json_object_set_new(o, "source", json_string(jo->source));
    json_object_set_new(o, "mode", json_string(s.mode ? s.mode : ""));
    /* ready once the agent's first walk is done; a container created since
     * and still being counted has its own "ready": false */
    json_object_set_new(o, "ready", json_boolean(s.first_walk_done));
    json_object_set_new(o, "containers", arr);
    json_object_set_new(o, "images", imgs);
    json_t *tot = json_object();
    json_object_set_new(tot, "writable_bytes", num(tw));
    json_object_set_new(tot, "volumes_bytes", num(tv));
    json_object_set_new(tot, "logs_bytes", num(tl));
    json_object_set_new(tot, "images_bytes", num(s.images_alloc));
    json_object_set_new(tot, "total_bytes", num(tw + tv + tl + s.images_alloc));
    json_object_set_new(o, "totals", tot);
    return o;
}

int json_disk_render(store *st, dt_tracker *t, buf *out)
{
    json_disk_opts jo = {.source = "agent"};
    json_t *o = json_disk_doc(st, t, &jo);
    if (!o)
        return -1;
    char *str = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (str) {
        buf_puts(out, str);
        free(str);
    }
    json_decref(o);
    return 0;
}

void json_disk_add(dt_tracker *t, const st_entry *en, void *obj)
{
    if (!t || !en->has_meta)
        return;
    dt_lock(t);
    const dt_ctr *c = dt_find(t, en->id);
    if (c)
        json_object_set_new((json_t *)obj, "disk", ctr_json(en, c, 0, 0));
    dt_unlock(t);
}

static uint64_t jnum(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

json_t *json_disk_select(json_t *doc, json_t *const *rows, size_t n, int with_images)
{
    uint64_t tw = 0, tv = 0, tl = 0;
    json_t *seen = json_object(); /* volume sources counted */
    json_t *o = json_object(), *arr = json_array(), *tot = json_object();
    if (!seen || !o || !arr || !tot) {
        json_decref(seen);
        json_decref(o);
        json_decref(arr);
        json_decref(tot);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        tw += jnum(rows[i], "writable_bytes");
        tl += jnum(rows[i], "logs_bytes");
        size_t vi;
        json_t *v;
        json_array_foreach(json_object_get(rows[i], "volumes"), vi, v)
        {
            const char *src = json_string_value(json_object_get(v, "source"));
            if (!src || json_object_get(seen, src))
                continue;
            json_object_set_new(seen, src, json_true());
            tv += jnum(v, "bytes");
        }
        json_array_append(arr, rows[i]);
    }
    json_decref(seen);
    json_t *images = with_images ? json_object_get(doc, "images") : NULL;
    uint64_t ti = with_images ? jnum(json_object_get(doc, "totals"), "images_bytes") : 0;
    json_object_set(o, "source", json_object_get(doc, "source"));
    json_object_set_new(o, "containers", arr);
    json_object_set_new(o, "images", images ? json_incref(images) : json_array());
    json_object_set_new(tot, "writable_bytes", json_integer((json_int_t)tw));
    json_object_set_new(tot, "volumes_bytes", json_integer((json_int_t)tv));
    json_object_set_new(tot, "logs_bytes", json_integer((json_int_t)tl));
    json_object_set_new(tot, "images_bytes", json_integer((json_int_t)ti));
    json_object_set_new(tot, "total_bytes", json_integer((json_int_t)(tw + tv + tl + ti)));
    json_object_set_new(o, "totals", tot);
    return o;
}
