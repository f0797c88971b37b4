/*
 * images: the image layers of the containers' overlay2 LowerDir. Each
 * distinct layer directory (the container's own "-init" layer left out) is
 * walked once with du: layers are read-only. An image's figure is the sum
 * of its layers; publish counts each distinct layer once in the totals.
 * Layers no image uses any more are forgotten, so image churn does not
 * grow memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/dt_int.h"

static size_t layer_index(dt_tracker *t, const char *path)
{
    for (size_t i = 0; i < t->n_layers; i++)
        if (strcmp(t->layers[i].path, path) == 0)
            return i;
    if (t->n_layers == t->cap_layers) {
        size_t c = t->cap_layers ? t->cap_layers * 2 : 32;
        dt_layer *v = realloc(t->layers, c * sizeof(*v));
        if (!v)
            return SIZE_MAX;
        t->layers = v;
        t->cap_layers = c;
    }
    dt_layer *l = &t->layers[t->n_layers];
    memset(l, 0, sizeof(*l));
    l->path = strdup(path);
    if (!l->path)
        return SIZE_MAX;
    return t->n_layers++;
}

void dt_image_note(dt_tracker *t, const dt_target *tg)
{
    if (!tg->image_id[0] || !tg->lower || !tg->lower[0])
        return;
    for (size_t i = 0; i < t->n_imgs; i++)
        if (strcmp(t->imgs[i].id, tg->image_id) == 0) {
            t->imgs[i].seen = t->gen;
            return;
        }
    if (t->n_imgs == t->cap_imgs) {
        size_t c = t->cap_imgs ? t->cap_imgs * 2 : 16;
        dt_img *v = realloc(t->imgs, c * sizeof(*v));
        if (!v)
            return;
        t->imgs = v;
        t->cap_imgs = c;
    }
    dt_img *im = &t->imgs[t->n_imgs];
    memset(im, 0, sizeof(*im));
    snprintf(im->id, sizeof(im->id), "%s", tg->image_id);
    snprintf(im->name, sizeof(im->name), "%s", tg->image);
    im->seen = t->gen;
    /* LowerDir: the container's own "-init" layer first, then the image's */
    char *s = strdup(tg->lower), *save = NULL;
    if (!s)
        return;
    size_t cap = 8;
    im->layers = malloc(cap * sizeof(size_t));
    if (!im->layers) {
        free(s);
        return;
    }
    for (char *p = strtok_r(s, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        size_t pl = strlen(p);
        if (pl > 10 && strcmp(p + pl - 10, "-init/diff") == 0)
            continue;
        char full[768];
        snprintf(full, sizeof(full), "%s%s", t->host_root, p);
        size_t li = layer_index(t, full);
        if (li == SIZE_MAX)
            continue;
        if (im->n_layers == cap) {
            cap *= 2;
            size_t *v = realloc(im->layers, cap * sizeof(*v));
            if (!v)
                break;
            im->layers = v;
        }
        im->layers[im->n_layers++] = li;
    }
    free(s);
    t->n_imgs++;
}

uint64_t dt_layers_walk(dt_tracker *t, uint64_t budget)
{
    uint64_t cost = 0;
    for (size_t i = 0; i < t->n_layers && (!budget || cost < budget); i++) {
        dt_layer *l = &t->layers[i];
        if (l->done)
            continue;
        du_totals dt;
        du_walker_reset(t->w);
        l->err = du_walk(t->w, l->path, &dt);
        if (l->err == 0) {
            l->f.alloc = dt.alloc_bytes;
            l->f.apparent = dt.apparent_bytes;
            l->f.files = dt.files;
        }
        l->done = 1;
        cost += dt.files + dt.dirs + dt.others;
        t->st.stats += dt.files + dt.dirs + dt.others;
        t->changed = 1;
    }
    return cost;
}

/* Forgets layers no image uses any more (image churn must not grow memory). */
void dt_layers_gc(dt_tracker *t)
{
    if (!t->n_layers)
        return;
    size_t *map = calloc(t->n_layers, sizeof(*map)); /* old index -> new index + 1 */
    if (!map)
        return;
    for (size_t i = 0; i < t->n_imgs; i++)
        for (size_t k = 0; k < t->imgs[i].n_layers; k++)
            map[t->imgs[i].layers[k]] = 1;
    size_t j = 0;
    for (size_t i = 0; i < t->n_layers; i++) {
        if (!map[i]) {
            free(t->layers[i].path);
            continue;
        }
        t->layers[j] = t->layers[i];
        map[i] = ++j;
    }
    t->n_layers = j;
    for (size_t i = 0; i < t->n_imgs; i++)
        for (size_t k = 0; k < t->imgs[i].n_layers; k++)
            t->imgs[i].layers[k] = map[t->imgs[i].layers[k]] - 1;
    free(map);
}

void dt_images_free(dt_tracker *t)
{
    for (size_t i = 0; i < t->n_imgs; i++)
        free(t->imgs[i].layers);
    free(t->imgs);
    t->imgs = NULL;
    t->n_imgs = t->cap_imgs = 0;
    for (size_t i = 0; i < t->n_layers; i++)
        free(t->layers[i].path);
    free(t->layers);
    t->layers = NULL;
    t->n_layers = t->cap_layers = 0;
}
