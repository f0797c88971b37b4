/* sample: helpers for the shared data model. See sample.h. */
#include "model/sample.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void bmeta_clear(bmeta *m)
{
    for (size_t i = 0; i < 2 * m->n_labels; i++)
        free(m->labels[i]);
    free(m->labels);
    for (size_t i = 0; i < BM_MOUNT_FIELDS * m->n_mounts; i++)
        free(m->mounts[i]);
    free(m->mounts);
    free(m->lower_dir);
    memset(m, 0, sizeof(*m));
}

void bmeta_copy(bmeta *dst, const bmeta *src)
{
    *dst = *src;
    dst->labels = NULL;
    dst->n_labels = 0;
    dst->mounts = NULL;
    dst->n_mounts = 0;
    dst->lower_dir = NULL;
    if (src->lower_dir)
        dst->lower_dir = xstrdup(src->lower_dir);
    for (size_t i = 0; i < src->n_labels; i++)
        bmeta_add_label(dst, src->labels[2 * i], src->labels[2 * i + 1]);
    for (size_t i = 0; i < src->n_mounts; i++)
        bmeta_add_mount(dst, src->mounts[BM_MOUNT_FIELDS * i + BM_MOUNT_TYPE],
                        src->mounts[BM_MOUNT_FIELDS * i + BM_MOUNT_NAME],
                        src->mounts[BM_MOUNT_FIELDS * i + BM_MOUNT_DEST],
                        src->mounts[BM_MOUNT_FIELDS * i + BM_MOUNT_SOURCE]);
}

const char *bmeta_label(const bmeta *m, const char *key)
{
    for (size_t i = 0; i < m->n_labels; i++)
        if (strcmp(m->labels[2 * i], key) == 0)
            return m->labels[2 * i + 1];
    return NULL;
}

void bmeta_add_label(bmeta *m, const char *key, const char *value)
{
    char **l = xrealloc(m->labels, (m->n_labels + 1) * 2 * sizeof(char *));
    m->labels = l;
    l[2 * m->n_labels] = xstrdup(key);
    l[2 * m->n_labels + 1] = xstrdup(value);
    m->n_labels++;
}

void bmeta_add_mount(bmeta *m, const char *type, const char *name, const char *dest,
                     const char *source)
{
    char **v = xrealloc(m->mounts, (m->n_mounts + 1) * BM_MOUNT_FIELDS * sizeof(char *));
    m->mounts = v;
    const char *in[BM_MOUNT_FIELDS] = {type, name, dest, source};
    for (int i = 0; i < BM_MOUNT_FIELDS; i++) {
        char **slot = &v[BM_MOUNT_FIELDS * m->n_mounts + (size_t)i];
        *slot = xstrdup(in[i] ? in[i] : "");
    }
    m->n_mounts++;
}
