/*
 * cgroup layout: which cgroup hierarchies are mounted where.
 *
 * Detected from mountinfo rather than assumed at /sys/fs/cgroup, because
 * hosts differ (v1, hybrid with a v2 "unified" mount for PSI, pure v2) and
 * because inside berth's own container the host's tree sits under a prefix
 * (--host-root). With a host root, the host's init mountinfo
 * (<root>/proc/1/mountinfo) is read, so the mount points are the host's and
 * get the prefix added.
 */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"

static const char *const ctrl_names[CG_NCTRL] = {"cpu",  "cpuacct", "memory", "blkio",
                                                 "pids", "cpuset",  NULL};

/* Copies a mountinfo field, decoding the kernel's octal escapes (\040). */
static void copy_unescaped(char *dst, size_t cap, const char *s, const char *e)
{
    size_t n = 0;
    while (s < e && n + 1 < cap) {
        if (*s == '\\' && e - s >= 4 && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            dst[n++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 4;
        } else {
            dst[n++] = *s++;
        }
    }
    dst[n] = '\0';
}

static unsigned parse_ctrls(const char *s, const char *e)
{
    unsigned mask = 0;
    while (s < e) {
        const char *c = memchr(s, ',', (size_t)(e - s));
        const char *te = c ? c : e;
        for (int i = 0; ctrl_names[i]; i++) {
            size_t n = strlen(ctrl_names[i]);
            if ((size_t)(te - s) == n && memcmp(s, ctrl_names[i], n) == 0)
                mask |= 1u << i;
        }
        s = c ? c + 1 : e;
    }
    return mask;
}

size_t cg_parse_mountinfo(const char *text, size_t len, cg_mount *out, size_t max)
{
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        /* Fields: id parent maj:min root mountpoint opts [optional...] - fstype src superopts */
        const char *f[6];
        const char *fe[6];
        const char *q = p;
        int k = 0;
        while (k < 6 && q < le) {
            while (q < le && *q == ' ')
                q++;
            f[k] = q;
            while (q < le && *q != ' ')
                q++;
            fe[k] = q;
            if (f[k] < fe[k])
                k++;
        }
        const char *sep = NULL;
        for (const char *s = q; s + 2 < le; s++) {
            if (s[0] == ' ' && s[1] == '-' && s[2] == ' ') {
                sep = s + 3;
                break;
            }
        }
        if (k == 6 && sep) {
            const char *t = sep, *te = memchr(sep, ' ', (size_t)(le - sep));
            if (te) {
                const char *src = te + 1;
                const char *srce = memchr(src, ' ', (size_t)(le - src));
                const char *opts = srce ? srce + 1 : le;
                int v2 = (te - t == 7 && memcmp(t, "cgroup2", 7) == 0);
                int v1 = (te - t == 6 && memcmp(t, "cgroup", 6) == 0);
                if (v1 || v2) {
                    cg_mount *m = &out[n++];
                    copy_unescaped(m->root, sizeof(m->root), f[3], fe[3]);
                    copy_unescaped(m->mountpoint, sizeof(m->mountpoint), f[4], fe[4]);
                    m->v2 = v2;
                    m->ctrls = v1 ? parse_ctrls(opts, le) : 0;
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    return n;
}

const char *cg_mode_name(enum cg_mode m)
{
    switch (m) {
    case CG_MODE_V1:
        return "v1";
    case CG_MODE_HYBRID:
        return "hybrid";
    case CG_MODE_V2:
        return "v2";
    default:
        return "none";
    }
}

int cg_layout_from_mountinfo(const char *text, size_t len, const char *host_root, cg_layout *out,
                             char *err, size_t errlen)
{
    cg_mount mounts[64];
    size_t n = cg_parse_mountinfo(text, len, mounts, 64);
    memset(out, 0, sizeof(*out));
    if (host_root && *host_root && strcmp(host_root, "/") != 0) {
        snprintf(out->host_root, sizeof(out->host_root), "%s", host_root);
        size_t hl = strlen(out->host_root);
        if (hl && out->host_root[hl - 1] == '/')
            out->host_root[hl - 1] = '\0';
    }
    unsigned have = 0;
    const char *unified = NULL;
    for (size_t i = 0; i < n; i++) {
        if (mounts[i].v2) {
            if (!unified)
                unified = mounts[i].mountpoint;
            continue;
        }
        for (int c = 0; c < CG_UNIFIED; c++) {
            if ((mounts[i].ctrls & (1u << c)) && !(have & (1u << c))) {
                snprintf(out->dir[c], CG_PATH_MAX, "%s%s", out->host_root, mounts[i].mountpoint);
                have |= 1u << c;
            }
        }
    }
    if (unified)
        snprintf(out->dir[CG_UNIFIED], CG_PATH_MAX, "%s%s", out->host_root, unified);
    if (have && unified)
        out->mode = CG_MODE_HYBRID;
    else if (have)
        out->mode = CG_MODE_V1;
    else if (unified) {
        out->mode = CG_MODE_V2;
        for (int c = 0; c < CG_UNIFIED; c++)
            memcpy(out->dir[c], out->dir[CG_UNIFIED], CG_PATH_MAX);
    } else {
        if (err)
            snprintf(err, errlen, "no cgroup or cgroup2 mount found in mountinfo");
        return -ENOENT;
    }
    return 0;
}

int cg_layout_detect(const char *host_root, cg_layout *out, char *err, size_t errlen)
{
    char path[CG_PATH_MAX + 32];
    buf b = BUF_INIT;
    if (host_root && *host_root && strcmp(host_root, "/") != 0)
        snprintf(path, sizeof(path), "%s/proc/1/mountinfo", host_root);
    else
        snprintf(path, sizeof(path), "/proc/self/mountinfo");
    long r = buf_read_file(&b, path, 1 << 20);
    if (r < 0) {
        if (err)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror((int)-r));
        buf_free(&b);
        return (int)r;
    }
    int rc = cg_layout_from_mountinfo(b.data, b.len, host_root, out, err, errlen);
    buf_free(&b);
    if (rc == 0) {
        struct stat st;
        /* the host's network namespace is init's; when init is not ours to
         * inspect (a sandboxed host), berth's own, which on a host is the same */
        snprintf(path, sizeof(path), "%s/proc/1/ns/net", out->host_root);
        if (stat(path, &st) == 0 || (!out->host_root[0] && stat("/proc/self/ns/net", &st) == 0))
            out->host_netns = (unsigned long long)st.st_ino;
    }
    if (rc == 0 && out->host_root[0]) {
        /* The hierarchy discovery walks must be there: without the host's
         * /sys/fs/cgroup mounted under the host root (berth in a container),
         * berth would run and silently see no container at all. */
        const char *walk = out->mode == CG_MODE_V2 ? out->dir[CG_UNIFIED] : out->dir[CG_MEMORY];
        struct stat st;
        if (walk[0] && stat(walk, &st) != 0) {
            rc = -errno;
            if (err)
                snprintf(err, errlen,
                         "host root %s: %s: %s (mount the host's /sys/fs/cgroup there, read-only)",
                         out->host_root, walk, strerror(-rc));
        }
    }
    return rc;
}
