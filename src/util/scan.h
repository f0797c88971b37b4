/*
 * scan: the two token helpers every parser of kernel text files needs
 * (cgroup, proc net tables). Bounded by an end pointer: the buffers are not
 * NUL-terminated.
 */
#ifndef BERTH_SCAN_H
#define BERTH_SCAN_H

/* First byte at or after p that is not a space or tab (or e). */
static inline const char *scan_skip_space(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* First space or tab at or after p (or e). */
static inline const char *scan_skip_token(const char *p, const char *e)
{
    while (p < e && *p != ' ' && *p != '\t')
        p++;
    return p;
}

#endif
