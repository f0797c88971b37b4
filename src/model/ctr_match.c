/* ctr_match: name, full id or unique id prefix. See ctr_match.h. */
#include "model/ctr_match.h"

#include <errno.h>
#include <string.h>

enum ctr_tier ctr_match_tier(const char *key, const char *id, const char *name)
{
    if (!key || !*key)
        return CTR_NONE;
    if (name && *name && strcmp(name, key) == 0)
        return CTR_NAME;
    if (!id)
        return CTR_NONE;
    size_t kl = strlen(key);
    /* No hex check on the key: ids are hex, so a non-hex key cannot be a
     * prefix of one anyway. */
    if (kl < CTR_MATCH_MIN_PREFIX || strncmp(id, key, kl) != 0)
        return CTR_NONE;
    return id[kl] ? CTR_PREFIX : CTR_ID;
}

void ctr_matcher_init(ctr_matcher *m, const char *key)
{
    m->key = key;
    m->best = CTR_NONE;
    m->at = 0;
    m->count = 0;
}

void ctr_matcher_add(ctr_matcher *m, size_t index, const char *id, const char *name)
{
    enum ctr_tier t = ctr_match_tier(m->key, id, name);
    if (t == CTR_NONE || t < m->best)
        return;
    if (t > m->best) {
        m->best = t;
        m->at = index;
        m->count = 0;
    }
    m->count++;
}

long ctr_matcher_result(const ctr_matcher *m)
{
    if (m->best == CTR_NONE)
        return -ENOENT;
    return m->count > 1 ? -EEXIST : (long)m->at;
}

long ctr_match(const char *key, const ctr_ref *v, size_t n)
{
    ctr_matcher m;
    ctr_matcher_init(&m, key);
    for (size_t i = 0; i < n; i++)
        ctr_matcher_add(&m, i, v[i].id, v[i].name);
    return ctr_matcher_result(&m);
}
