/*
 * passwd: uid -> user name from a container's own /etc/passwd. See
 * passwd.h for why and the bounds.
 *
 * Cache invariants:
 *   - entries v[0..n) each own their users array (nusers <= PW_MAX_USERS);
 *   - total is the sum of nusers and never exceeds PW_CACHE_USERS after a
 *     lookup returns: the least recently used containers are evicted first;
 *   - an entry is valid for (key, pid, file identity); the identity is
 *     checked again at most every PW_RECHECK_MS, so a file edited in the
 *     container is seen within that time, and a restart (another pid) at
 *     once.
 */
#include "procs/passwd.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PW_CACHE_USERS (128 * 1024) /* entries in all containers: ~5 MiB */
#define PW_RECHECK_MS  2000

int pw_parse_line(const char *line, size_t len, pw_entry *e)
{
    const char *c1 = memchr(line, ':', len);
    if (!c1 || c1 == line)
        return -EINVAL;
    size_t nl = (size_t)(c1 - line);
    if (nl >= PW_NAME_MAX || line[0] == '+' || line[0] == '-' || line[0] == '#')
        return -EINVAL;
    const char *end = line + len;
    const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
    if (!c2)
        return -EINVAL;
    const char *u = c2 + 1;
    uint64_t uid = 0;
    const char *p = u;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        uid = uid * 10 + (uint64_t)(*p - '0');
        if (uid > UINT32_MAX - 1) /* (uid_t)-1 is "no user" */
            return -EINVAL;
    }
    if (p == u || (p < end && *p != ':'))
        return -EINVAL;
    for (size_t i = 0; i < nl; i++) {
        unsigned char ch = (unsigned char)line[i];
        e->name[i] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    e->name[nl] = '\0';
    e->uid = (unsigned)uid;
    return 0;
}

size_t pw_parse(const char *buf, size_t len, pw_entry *out, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - (buf + i)) : len - i;
        if (ll && buf[i + ll - 1] == '\r')
            ll--;
        if (pw_parse_line(buf + i, ll, &out[n]) == 0)
            n++;
        i += (nl ? (size_t)(nl - (buf + i)) + 1 : len - i);
    }
    return n;
}

const pw_entry *pw_find(const pw_entry *e, size_t n, unsigned uid)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].uid == uid)
            return &e[i];
    return NULL;
}

/* ---- reading a container's file ---------------------------------------- */

/* Opens etc/passwd under the container's root with symlinks resolved
 * inside it. Without openat2 (kernels before 5.6), falls back to refusing
 * symlinks on the way (etc and passwd must be a directory and a file). */
static int open_in_root(int rootfd)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    long fd = syscall(SYS_openat2, rootfd, "etc/passwd", &how, sizeof(how));
    if (fd >= 0)
        return (int)fd;
    if (errno != ENOSYS)
        return -errno;
    int etc = openat(rootfd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (etc < 0)
        return -errno;
    int f = openat(etc, "passwd", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(etc);
    return f < 0 ? -e : f;
}

/* Opens the container's passwd (a regular file) and fills its identity.
 * Returns the descriptor or a negative errno. */
static int open_passwd(const char *host_root, int pid, uint64_t ident[4])
{
    char path[512];
    snprintf(path, sizeof(path), "%s/proc/%d/root", host_root ? host_root : "", pid);
    int rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -errno;
    int fd = open_in_root(rootfd);
    close(rootfd);
    if (fd < 0)
        return fd;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (e) {
        close(fd);
        return -e;
    }
    ident[0] = (uint64_t)st.st_dev;
    ident[1] = (uint64_t)st.st_ino;
    ident[2] = (uint64_t)st.st_size;
    ident[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    return fd;
}

/* Identity only (the cache's cheap check). */
static int passwd_ident(const char *host_root, int pid, uint64_t ident[4])
{
    int fd = open_passwd(host_root, pid, ident);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

int pw_read_container(const char *host_root, int pid, char **out, size_t *len, uint64_t ident[4])
{
    int rc = 0;
    char *b = NULL;
    int fd = open_passwd(host_root, pid, ident);
    if (fd < 0)
        return fd;
    b = malloc(PW_FILE_MAX + 1);
    if (!b) {
        rc = -ENOMEM;
        goto out;
    }
    size_t n = 0;
    while (n < PW_FILE_MAX) {
        ssize_t r = read(fd, b + n, PW_FILE_MAX - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    b = NULL;
out:
    free(b);
    close(fd);
    return rc;
}

/* ---- the cache ------------------------------------------------------------ */

typedef struct pw_cent {
    char key[65];
    int pid;
    uint64_t ident[4];
    int64_t checked_ms;
    uint64_t used; /* LRU clock */
    int readable;  /* 0: no file (names are uids) */
    pw_entry *users;
    size_t nusers;
} pw_cent;

struct pw_cache {
    pw_cent *v;
    size_t n, cap;
    size_t total;
    uint64_t clock;
};

pw_cache *pw_cache_new(void)
{
    return calloc(1, sizeof(pw_cache));
}

void pw_cache_free(pw_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].users);
    free(c->v);
    free(c);
}

static void drop(pw_cache *c, size_t i)
{
    c->total -= c->v[i].nusers;
    free(c->v[i].users);
    c->v[i] = c->v[--c->n];
}

/* Evicts least recently used entries other than keep until the cache fits
 * (PW_CACHE_MAX entries, PW_CACHE_USERS users). */
static void evict(pw_cache *c, const pw_cent *keep)
{
    while (c->n > PW_CACHE_MAX || c->total > PW_CACHE_USERS) {
        size_t lru = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (&c->v[i] != keep && (lru == c->n || c->v[i].used < c->v[lru].used))
                lru = i;
        if (lru == c->n)
            return;
        drop(c, lru);
    }
}

static void load(pw_cent *e, const char *host_root, size_t *total)
{
    char *text = NULL;
    size_t len = 0;
    *total -= e->nusers;
    free(e->users);
    e->users = NULL;
    e->nusers = 0;
    e->readable = 0;
    if (pw_read_container(host_root, e->pid, &text, &len, e->ident) < 0)
        return;
    /* at most one entry per line: size the array from the line count */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (lines > PW_MAX_USERS)
        lines = PW_MAX_USERS;
    e->users = malloc(lines * sizeof(*e->users));
    if (e->users) {
        e->nusers = pw_parse(text, len, e->users, lines);
        e->readable = 1;
        *total += e->nusers;
    }
    free(text);
}

int pw_cache_name(pw_cache *c, const char *host_root, const char *key, int pid, unsigned uid,
                  char *name, size_t cap)
{
    pw_cent *e = NULL;
    int64_t now = clock_mono_ms();
    for (size_t i = 0; i < c->n && !e; i++)
        if (strcmp(c->v[i].key, key) == 0)
            e = &c->v[i];
    if (!e) {
        if (c->n == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 16;
            pw_cent *nv = realloc(c->v, ncap * sizeof(*nv));
            if (!nv)
                goto numeric;
            c->v = nv;
            c->cap = ncap;
        }
        e = &c->v[c->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->pid = pid;
        e->checked_ms = now;
        load(e, host_root, &c->total);
    } else if (e->pid != pid || now - e->checked_ms >= PW_RECHECK_MS) {
        uint64_t id[4] = {0, 0, 0, 0};
        int same = passwd_ident(host_root, pid, id) == 0 && memcmp(id, e->ident, sizeof(id)) == 0 &&
                   e->readable;
        e->pid = pid;
        e->checked_ms = now;
        if (!same)
            load(e, host_root, &c->total);
    }
    e->used = ++c->clock;
    const pw_entry *u = pw_find(e->users, e->nusers, uid);
    if (u) {
        snprintf(name, cap, "%s", u->name);
        evict(c, e);
        return 0;
    }
    evict(c, e);
numeric:
    snprintf(name, cap, "%u", uid);
    return -ENOENT;
}
