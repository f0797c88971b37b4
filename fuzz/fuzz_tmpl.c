/* libFuzzer target: release/env/tmpl. The whole input is a template; it is
 * rendered with a lookup that knows a few keys (one empty, one holding a
 * NUL), rendered again with a lookup that knows every key, and its keys
 * listed; the agreement between the three is checked with abort():
 *
 *   - tmpl_keys fails exactly when rendering with every key set fails, with
 *     the same message, and names one key per lookup of that render
 *   - a render that succeeds with few keys succeeds with all of them
 *   - a failed render leaves out as it was and fills err with "line "
 *   - a template without '{' renders to itself
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz {
    size_t lookups;
    size_t keys;
} fz;

static const char *look_few(const char *key, size_t *len, void *arg)
{
    static const struct {
        const char *k, *v;
        size_t n;
    } vars[] = {{"A", "alpha", 5}, {"B", "", 0}, {"C", "c\0c", 3}, {"PORT", "{{A}}", 5}};
    ((fz *)arg)->lookups++;
    if (strlen(key) == 0 || strlen(key) > 255)
        abort();
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(vars[i].k, key) == 0) {
            *len = vars[i].n;
            return vars[i].v;
        }
    return NULL;
}

/* Every key is set, to its own name. */
static const char *look_all(const char *key, size_t *len, void *arg)
{
    ((fz *)arg)->lookups++;
    *len = strlen(key);
    return key;
}

static void count(const char *key, void *arg)
{
    if (strlen(key) == 0 || strlen(key) > 255)
        abort();
    ((fz *)arg)->keys++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    char err1[512], err2[512], err3[512], small[8];
    fz few = {0, 0}, all = {0, 0}, keys = {0, 0};
    buf out = BUF_INIT, out2 = BUF_INIT;

    buf_puts(&out, "pre");
    err1[0] = '\0';
    int r1 = tmpl_render(t, size, look_few, &few, &out, err1, sizeof(err1));
    if (r1 != 0 && r1 != -EINVAL)
        abort();
    if (r1 < 0 && (out.len != 3 || strcmp(out.data, "pre") != 0 || strncmp(err1, "line ", 5)))
        abort();
    if (r1 == 0 && memcmp(out.data, "pre", 3) != 0)
        abort();
    if (r1 == 0 && !memchr(t, '{', size) &&
        (out.len != size + 3 || memcmp(out.data + 3, t, size) != 0))
        abort();

    err2[0] = '\0';
    int r2 = tmpl_render(t, size, look_all, &all, &out2, err2, sizeof(err2));
    if (r1 == 0 && r2 != 0)
        abort();
    if (r2 < 0 && (out2.len != 0 || strncmp(err2, "line ", 5)))
        abort();

    err3[0] = '\0';
    int r3 = tmpl_keys(t, size, count, &keys, err3, sizeof(err3));
    if (r3 != r2)
        abort();
    if (r3 < 0 && strcmp(err2, err3) != 0)
        abort();
    if (r3 == 0 && keys.keys != all.lookups)
        abort();
    if (few.lookups > keys.keys && r3 == 0)
        abort();

    /* a small err buffer is truncated, never overrun */
    tmpl_keys(t, size, count, &keys, small, sizeof(small));
    tmpl_keys(t, size, count, &keys, NULL, 0);

    buf_free(&out);
    buf_free(&out2);
    return 0;
}
