/*
 * xalloc: berth's one out-of-memory policy, the one util/buf.h states:
 * allocation failure aborts. berth's allocations are small and bounded (a
 * buffer, a store entry, a label), a failure means the host is out of
 * memory, and an agent that limps on with half its state is worse than one
 * that stops and is restarted. Code that can refuse one large request
 * gracefully (a batch, a walk) calls malloc itself and returns -ENOMEM.
 *
 * Static inline: no call cost over the inline `if (!p) abort();` they replace.
 */
#ifndef BERTH_UTIL_XALLOC_H
#define BERTH_UTIL_XALLOC_H

#include <stdlib.h>
#include <string.h>

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p && n)
        abort();
    return p;
}

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p && n && size)
        abort();
    return p;
}

static inline void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n);
    if (!p && n)
        abort();
    return p;
}

static inline char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

#endif
