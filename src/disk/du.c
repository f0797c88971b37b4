/*
 * du: the walker behind berth's per-container disk usage (see du.h for the
 * exact semantics, which are GNU du's with -s -B1 -x).
 *
 * Shape of the walk: an explicit stack of frames, one per directory on the
 * current path. Entering a directory reads all its names at once with
 * getdents64() into the frame's own buffer (packed, NUL-separated), as fts
 * does; the frame keeps the directory's descriptor so that each child is
 * fstatat()'ed and, if a directory, openat()'ed relative to it. Per entry the
 * cost is exactly one fstatat(); per directory one openat(), getdents64()
 * until it returns 0, and one close(). No fdopendir (which would add fstat
 * and fcntl per directory), no path strings built, no chdir.
 *
 * Descriptor bound (invariant): open descriptors are root's (frame 0, never
 * closed) plus a contiguous run of the deepest frames, [low_open, depth), at
 * most DU_MAX_OPEN_FDS in all. Pushing past the bound closes frame low_open
 * (its names are already in memory, so nothing is lost). When the walk pops
 * back to a closed frame t, every frame 1..t is closed; they are reopened
 * with openat() one name at a time from root (O_NOFOLLOW|O_DIRECTORY, so a
 * symlink swapped in is refused), the deepest DU_MAX_OPEN_FDS - 1 are kept and
 * each kept one is checked by fstat() against the (dev, ino) it had when it
 * was entered. A mismatch or failure counts one error and skips what was left
 * of those frames. For a chain of depth D this costs about D^2 / (2 * 31)
 * openat() in all (65,000 for D = 2000): nothing at ordinary depths.
 *
 * Memory: the stack holds, for each directory on the current path, all its
 * names (about the directory's size in bytes; buffers are kept across walks
 * and freed by du_walker_free). The hard-link set is open addressing with
 * linear probing over 16-byte slots (dev, ino), at most half full: 32 to 64
 * bytes per inode with st_nlink > 1, and only those. (0, 0) marks an empty
 * slot; a real (0, 0) key is kept in a flag.
 */
#include "disk/du.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DU_DENTS_BUF  (64 * 1024)
#define DU_LINKS_MIN  1024
#define DU_NAMES_MIN  4096
#define DU_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

typedef struct du_frame {
    int fd;    /* -1 when closed (evicted or done) */
    dev_t dev; /* identity when entered, checked on reopen */
    ino_t ino;
    size_t name_off; /* this directory's name in the parent frame's names */
    char *names;     /* packed NUL-terminated names, "." and ".." left out */
    size_t len, cap;
    size_t pos; /* next name to visit; pos >= len: frame done */
} du_frame;

typedef struct du_key {
    uint64_t dev, ino;
} du_key;

struct du_walker {
    du_frame *st; /* st[0] is root; grows, buffers reused across walks */
    size_t depth, cap;
    size_t low_open; /* frames [low_open, depth) are open, plus frame 0 */
    size_t nopen;
    du_key *links; /* hard-link set, nlink > 1 non-directories only */
    size_t nslots, nused;
    bool has_zero;
    char *dents; /* getdents64 scratch, DU_DENTS_BUF bytes */
};

/* ---- hard-link set ---- */

static size_t link_hash(uint64_t dev, uint64_t ino, size_t mask)
{
    uint64_t z = ino ^ (dev * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (size_t)(z ^ (z >> 31)) & mask;
}

/* nslots is a power of two; key is not (0, 0); there is a free slot. */
static bool link_put(du_key *slots, size_t nslots, uint64_t dev, uint64_t ino)
{
    size_t mask = nslots - 1;
    for (size_t i = link_hash(dev, ino, mask);; i = (i + 1) & mask) {
        if (slots[i].dev == dev && slots[i].ino == ino)
            return false;
        if (slots[i].dev == 0 && slots[i].ino == 0) {
            slots[i].dev = dev;
            slots[i].ino = ino;
            return true;
        }
    }
}

/* 1: first time seen, 0: seen before, -ENOMEM. */
static int link_insert(du_walker *w, uint64_t dev, uint64_t ino)
{
    if (dev == 0 && ino == 0) {
        bool seen = w->has_zero;
        w->has_zero = true;
        return seen ? 0 : 1;
    }
    if ((w->nused + 1) * 2 > w->nslots) {
        size_t n = w->nslots ? w->nslots * 2 : DU_LINKS_MIN;
        du_key *s = calloc(n, sizeof(*s));
        if (!s)
            return -ENOMEM;
        for (size_t i = 0; i < w->nslots; i++)
            if (w->links[i].dev || w->links[i].ino)
                link_put(s, n, w->links[i].dev, w->links[i].ino);
        free(w->links);
        w->links = s;
        w->nslots = n;
    }
    if (!link_put(w->links, w->nslots, dev, ino))
        return 0;
    w->nused++;
    return 1;
}

/* ---- walker ---- */

du_walker *du_walker_new(void)
{
    du_walker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->dents = malloc(DU_DENTS_BUF);
    if (!w->dents) {
        free(w);
        return NULL;
    }
    return w;
}

void du_walker_free(du_walker *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->cap; i++)
        free(w->st[i].names);
    free(w->st);
    free(w->links);
    free(w->dents);
    free(w);
}

void du_walker_reset(du_walker *w)
{
    if (w->links)
        memset(w->links, 0, w->nslots * sizeof(*w->links));
    w->nused = 0;
    w->has_zero = false;
}

/* Adds one stat'ed entry to *out unless it is a hard link seen before. */
static int account(du_walker *w, const struct stat *sb, du_totals *out)
{
    if (!S_ISDIR(sb->st_mode) && sb->st_nlink > 1) {
        int r = link_insert(w, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino);
        if (r <= 0)
            return r;
    }
    out->alloc_bytes += (uint64_t)sb->st_blocks * 512u;
    out->apparent_bytes += sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    if (S_ISREG(sb->st_mode))
        out->files++;
    else if (S_ISDIR(sb->st_mode))
        out->dirs++;
    else
        out->others++;
    return 0;
}

/*
 * Reads every name of f->fd into f->names. Returns 0, -ENOMEM, or another
 * negative errno from getdents64 (the names read so far are kept).
 */
static int load_names(du_walker *w, du_frame *f)
{
    f->pos = 0;
    return du_read_names(f->fd, w->dents, DU_DENTS_BUF, &f->names, &f->cap, &f->len);
}

int du_read_names(int fd, char *dents, size_t dents_len, char **names, size_t *cap, size_t *len)
{
    *len = 0;
    for (;;) {
        ssize_t n = getdents64(fd, dents, dents_len);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *d = (const struct dirent64 *)(dents + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
                continue;
            size_t l = strlen(nm) + 1;
            if (*len + l > *cap) {
                size_t c = *cap ? *cap : DU_NAMES_MIN;
                while (c < *len + l)
                    c *= 2;
                char *p = realloc(*names, c);
                if (!p)
                    return -ENOMEM;
                *names = p;
                *cap = c;
            }
            memcpy(*names + *len, nm, l);
            *len += l;
        }
    }
}

/* Pushes an open directory (fd owned from here on). Returns 0 or -ENOMEM. */
static int push(du_walker *w, int fd, const struct stat *sb, size_t name_off)
{
    if (w->depth == w->cap) {
        size_t c = w->cap ? w->cap * 2 : 64;
        du_frame *s = realloc(w->st, c * sizeof(*s));
        if (!s) {
            close(fd);
            return -ENOMEM;
        }
        memset(s + w->cap, 0, (c - w->cap) * sizeof(*s));
        w->st = s;
        w->cap = c;
    }
    if (w->depth > 0 && w->nopen >= DU_MAX_OPEN_FDS) {
        /* evict the shallowest open frame below the top; never root */
        du_frame *e = &w->st[w->low_open];
        close(e->fd);
        e->fd = -1;
        w->low_open++;
        w->nopen--;
    }
    du_frame *f = &w->st[w->depth];
    f->fd = fd;
    f->dev = sb->st_dev;
    f->ino = sb->st_ino;
    f->name_off = name_off;
    f->len = f->pos = 0;
    if (w->depth == 0)
        w->low_open = 1;
    w->depth++;
    w->nopen++;
    return 0;
}

static void pop(du_walker *w)
{
    du_frame *f = &w->st[w->depth - 1];
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
        w->nopen--;
    }
    w->depth--;
    if (w->low_open > w->depth)
        w->low_open = w->depth;
}

/*
 * The top frame t is closed, hence so are 1..t: reopen the chain from root,
 * keeping the deepest ones. Returns 0, or -1 after marking every frame from
 * the first unreachable one to t as done.
 */
static int reopen(du_walker *w)
{
    size_t t = w->depth - 1;
    size_t keep = t + 2 > DU_MAX_OPEN_FDS ? t + 2 - DU_MAX_OPEN_FDS : 1;
    int pfd = w->st[0].fd;
    w->low_open = w->depth;
    for (size_t i = 1; i <= t; i++) {
        du_frame *f = &w->st[i];
        const char *name = w->st[i - 1].names + f->name_off;
        int fd = openat(pfd, name, DU_OPEN_FLAGS);
        struct stat sb;
        bool ok = fd >= 0;
        if (ok && i >= keep)
            ok = fstat(fd, &sb) == 0 && sb.st_dev == f->dev && sb.st_ino == f->ino;
        if (i - 1 >= 1 && i - 1 < keep) /* a link of the chain that is not kept */
            close(pfd);
        if (!ok) {
            if (fd >= 0)
                close(fd);
            for (size_t j = i; j <= t; j++)
                w->st[j].pos = w->st[j].len;
            return -1;
        }
        if (i >= keep) {
            f->fd = fd;
            w->nopen++;
            if (w->low_open > i)
                w->low_open = i;
        }
        pfd = fd;
    }
    return 0;
}

static void unwind(du_walker *w)
{
    while (w->depth > 0)
        pop(w);
    w->nopen = 0;
}

int du_walk(du_walker *w, const char *root, du_totals *out)
{
    struct stat sb;
    int rc = 0;
    memset(out, 0, sizeof(*out));

    int fd = open(root, DU_OPEN_FLAGS);
    if (fd < 0) {
        if (errno != ENOTDIR && errno != ELOOP)
            return -errno;
        /* not a directory (or a symlink): one entry, like du -s FILE */
        if (fstatat(AT_FDCWD, root, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            return -errno;
        return account(w, &sb, out);
    }
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    const dev_t root_dev = sb.st_dev;
    w->depth = w->nopen = 0;
    if ((rc = account(w, &sb, out)) < 0 || (rc = push(w, fd, &sb, 0)) < 0)
        goto out;
    if ((rc = load_names(w, &w->st[0])) < 0) {
        if (rc == -ENOMEM)
            goto out;
        out->errors++;
        rc = 0;
    }

    while (w->depth > 0) {
        du_frame *f = &w->st[w->depth - 1];
        if (f->pos >= f->len) {
            pop(w);
            continue;
        }
        if (f->fd < 0) {
            if (reopen(w) < 0)
                out->errors++;
            continue;
        }
        size_t off = f->pos;
        const char *name = f->names + off;
        f->pos += strlen(name) + 1;
        if (fstatat(f->fd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            out->errors++; /* vanished, or not permitted */
            continue;
        }
        if (sb.st_dev != root_dev)
            continue; /* -x: a mount point counts for nothing */
        if ((rc = account(w, &sb, out)) < 0)
            goto out;
        if (!S_ISDIR(sb.st_mode))
            continue;
        int cfd = openat(f->fd, name, DU_OPEN_FLAGS);
        if (cfd < 0) {
            out->errors++; /* counted, not read: du's "cannot read directory" */
            continue;
        }
        if ((rc = push(w, cfd, &sb, off)) < 0)
            goto out;
        /* f may have moved: push can grow the stack */
        if ((rc = load_names(w, &w->st[w->depth - 1])) < 0) {
            if (rc == -ENOMEM)
                goto out;
            out->errors++;
            rc = 0;
        }
    }
out:
    unwind(w);
    return rc;
}
