/*
 * tree: the tracked trees in memory and the re-read of one directory.
 *
 * Model. A tree (dt_root) is one host directory: a writable layer, or a
 * volume/bind source used by any number of containers (refcounted). Each of
 * its directories is a dt_node holding the sums of its own inode plus its
 * direct non-directory entries; a tree's figures are the sum over its nodes
 * (hard-linked files kept per node and counted once per tree when summing).
 * Re-reading a directory (dt_scan) is: open it by an openat(O_NOFOLLOW)
 * chain from the tree's top, check its inode, getdents64 all names, one
 * fstatat per name; subdirectories are matched to child nodes by inode
 * (renames keep their subtree), new ones become nodes and are queued,
 * vanished ones are freed. The first walk is simply the top node queued.
 *
 * Work queue: an intrusive doubly linked list of nodes to scan, so a node
 * freed while queued leaves it in O(1). New children go to the front (depth
 * first), so the parent's descriptor is usually still in the small cache of
 * open directories (fdc) and a scan costs one openat, like du.
 *
 * The handle hash (fanotify directory handles -> nodes) lives here because
 * freeing a node must take it out; watch.c fills it and looks events up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "disk/dt_int.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- handle hash ---- */

static uint64_t fh_hash(uint64_t fsid, int32_t type, const unsigned char *fh, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ fsid ^ (uint64_t)(uint32_t)type << 32;
    for (size_t i = 0; i < len; i++)
        h = (h ^ fh[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static void hash_grow(dt_tracker *t)
{
    size_t nb = t->hbuckets ? t->hbuckets * 2 : 1024;
    dt_node **h = calloc(nb, sizeof(*h));
    if (!h)
        return; /* keep the old table: longer chains, still correct */
    for (size_t i = 0; i < t->hbuckets; i++) {
        for (dt_node *n = t->hash[i], *nx; n; n = nx) {
            nx = n->hnext;
            size_t b = fh_hash(n->root->fsid, n->fhtype, n->fh, n->fhlen) & (nb - 1);
            n->hnext = h[b];
            h[b] = n;
        }
    }
    free(t->hash);
    t->hash = h;
    t->hbuckets = nb;
}

void dt_hash_add(dt_tracker *t, dt_node *n)
{
    if (t->hcount + 1 > t->hbuckets)
        hash_grow(t);
    if (!t->hbuckets)
        return;
    size_t b = fh_hash(n->root->fsid, n->fhtype, n->fh, n->fhlen) & (t->hbuckets - 1);
    n->hnext = t->hash[b];
    t->hash[b] = n;
    n->hashed = 1;
    t->hcount++;
}

void dt_hash_del(dt_tracker *t, dt_node *n)
{
    if (!n->hashed)
        return;
    size_t b = fh_hash(n->root->fsid, n->fhtype, n->fh, n->fhlen) & (t->hbuckets - 1);
    for (dt_node **p = &t->hash[b]; *p; p = &(*p)->hnext) {
        if (*p == n) {
            *p = n->hnext;
            break;
        }
    }
    n->hashed = 0;
    t->hcount--;
}

dt_node *dt_hash_find(dt_tracker *t, uint64_t fsid, int32_t type, const unsigned char *fh,
                      size_t len)
{
    if (!t->hbuckets)
        return NULL;
    size_t b = fh_hash(fsid, type, fh, len) & (t->hbuckets - 1);
    for (dt_node *n = t->hash[b]; n; n = n->hnext)
        if (n->fhlen == len && n->fhtype == type && n->root->fsid == fsid &&
            memcmp(n->fh, fh, len) == 0)
            return n;
    return NULL;
}

/* ---- queue ---- */

void dt_p_del(dt_tracker *t, dt_node *n)
{
    if (n->qprev)
        n->qprev->qnext = n->qnext;
    else
        t->phead = n->qnext;
    if (n->qnext)
        n->qnext->qprev = n->qprev;
    n->qprev = n->qnext = NULL;
    n->queued = 0;
}

/* A directory an event named: re-read at the next round (once, however
 * many events name it meanwhile). */
void dt_p_push(dt_tracker *t, dt_node *n)
{
    if (n->queued)
        return;
    n->queued = 2;
    n->qprev = NULL;
    n->qnext = t->phead;
    if (t->phead)
        t->phead->qprev = n;
    t->phead = n;
}

void dt_q_push(dt_tracker *t, dt_node *n, int front)
{
    if (n->queued == 2)
        dt_p_del(t, n);
    if (n->queued)
        return;
    n->queued = 1;
    n->root->pending++;
    t->qlen++;
    if (!t->qhead) {
        n->qprev = n->qnext = NULL;
        t->qhead = t->qtail = n;
    } else if (front) {
        n->qprev = NULL;
        n->qnext = t->qhead;
        t->qhead->qprev = n;
        t->qhead = n;
    } else {
        n->qnext = NULL;
        n->qprev = t->qtail;
        t->qtail->qnext = n;
        t->qtail = n;
    }
}

static void q_del(dt_tracker *t, dt_node *n)
{
    if (n->queued == 2) {
        dt_p_del(t, n);
        return;
    }
    if (!n->queued)
        return;
    if (n->qprev)
        n->qprev->qnext = n->qnext;
    else
        t->qhead = n->qnext;
    if (n->qnext)
        n->qnext->qprev = n->qprev;
    else
        t->qtail = n->qprev;
    n->qprev = n->qnext = NULL;
    n->queued = 0;
    n->root->pending--;
    t->qlen--;
}

/* ---- descriptor cache ---- */

static void fdc_drop_node(dt_tracker *t, const dt_node *n)
{
    for (int i = 0; i < DT_FDC; i++)
        if (t->fdc[i].n == n) {
            close(t->fdc[i].fd);
            t->fdc[i].n = NULL;
        }
}

void dt_fdc_clear(dt_tracker *t)
{
    for (int i = 0; i < DT_FDC; i++)
        if (t->fdc[i].n) {
            close(t->fdc[i].fd);
            t->fdc[i].n = NULL;
        }
}

static int fdc_get(dt_tracker *t, const dt_node *n)
{
    for (int i = 0; i < DT_FDC; i++)
        if (t->fdc[i].n == n) {
            t->fdc[i].use = ++t->fdc_clock;
            return t->fdc[i].fd;
        }
    return -1;
}

/* Caches fd for n (the cache owns it from here on). */
static void fdc_put(dt_tracker *t, dt_node *n, int fd)
{
    int victim = 0;
    for (int i = 0; i < DT_FDC; i++) {
        if (!t->fdc[i].n) {
            victim = i;
            break;
        }
        if (t->fdc[i].use < t->fdc[victim].use)
            victim = i;
    }
    if (t->fdc[victim].n)
        close(t->fdc[victim].fd);
    t->fdc[victim].n = n;
    t->fdc[victim].fd = fd;
    t->fdc[victim].use = ++t->fdc_clock;
}

/* ---- nodes ---- */

static dt_node *node_new(dt_tracker *t, dt_root *r, dt_node *parent, const char *name, uint64_t ino)
{
    dt_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = strdup(name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    n->root = r;
    n->parent = parent;
    n->ino = ino;
    r->nodes++;
    t->st.dirs++;
    return n;
}

int dt_stack_push(dt_stack *s, dt_node *n)
{
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 64;
        dt_node **v = realloc(s->v, c * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = c;
    }
    s->v[s->n++] = n;
    return 0;
}

/* Frees n and its subtree (iteratively: trees may be deep). */
void dt_node_free_tree(dt_tracker *t, dt_node *top)
{
    if (!top)
        return;
    dt_stack st = {0};
    dt_node *n = top;
    for (;;) {
        if (n) {
            for (uint32_t i = 0; i < n->nkids; i++)
                if (dt_stack_push(&st, n->kids[i]) < 0)
                    abort(); /* cannot free without memory: nothing sane left */
            q_del(t, n);
            dt_hash_del(t, n);
            fdc_drop_node(t, n);
            n->root->nlinks -= n->nlinks;
            n->root->nodes--;
            t->st.dirs--;
            free(n->kids);
            free(n->links);
            free(n->name);
            free(n);
        }
        if (!st.n)
            break;
        n = dt_stack_pop(&st);
    }
    free(st.v);
}

static int node_add_kid(dt_node *p, dt_node *k)
{
    if (p->nkids == p->capkids) {
        uint32_t c = p->capkids ? p->capkids * 2 : 4;
        dt_node **v = realloc(p->kids, c * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->kids = v;
        p->capkids = c;
    }
    p->kids[p->nkids++] = k;
    return 0;
}

/* Builds n's host path into out (cap bytes). Returns 0 or -ENAMETOOLONG. */
int dt_node_path(const dt_node *n, char *out, size_t cap)
{
    const dt_node *chain[512];
    size_t d = 0;
    for (const dt_node *p = n; p->parent; p = p->parent) {
        if (d == 512)
            return -ENAMETOOLONG;
        chain[d++] = p;
    }
    size_t len = strlen(n->root->path);
    if (len + 1 > cap)
        return -ENAMETOOLONG;
    memcpy(out, n->root->path, len + 1);
    while (d > 0) {
        const char *nm = chain[--d]->name;
        size_t l = strlen(nm);
        if (len + 1 + l + 1 > cap)
            return -ENAMETOOLONG;
        out[len++] = '/';
        memcpy(out + len, nm, l + 1);
        len += l;
    }
    return 0;
}

/*
 * Opens node n (a descriptor the caller closes, not cached) by openat from
 * the nearest cached ancestor (or the tree's top path), each step
 * O_NOFOLLOW. Intermediate directories are cached. Returns fd or -errno.
 */
static int node_open(dt_tracker *t, dt_node *n)
{
    dt_node *chain[4096];
    size_t d = 0;
    int fd = -1;
    dt_node *p = n;
    while (p) {
        int c = fdc_get(t, p);
        if (c >= 0) {
            fd = c;
            break;
        }
        if (d == 4096)
            return -ELOOP; /* deeper than any sane tree: treated as unreadable */
        chain[d++] = p;
        p = p->parent;
    }
    if (d == 0) {
        int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        return r < 0 ? -errno : r;
    }
    int cur = fd; /* borrowed from the cache, or -1: start at the top path */
    for (size_t i = d; i-- > 0;) {
        dt_node *c = chain[i];
        int nfd =
            c->parent ? openat(cur, c->name, DT_OPEN_FLAGS) : open(c->root->path, DT_OPEN_FLAGS);
        if (nfd < 0)
            return -errno;
        if (i == 0)
            return nfd;
        fdc_put(t, c, nfd);
        cur = nfd;
    }
    return -EINVAL; /* not reached */
}

/* ---- scanning ---- */

int dt_names_load(dt_tracker *t, int fd, size_t *len)
{
    return du_read_names(fd, t->dents, DT_DENTS_BUF, &t->names, &t->names_cap, len);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int ino_known(const dt_root *r, uint64_t ino)
{
    return r->link_inos &&
           bsearch(&ino, r->link_inos, r->n_link_inos, sizeof(uint64_t), cmp_u64) != NULL;
}

static void add_stat(dt_node *n, const struct stat *sb)
{
    n->alloc += (uint64_t)sb->st_blocks * 512u;
    n->apparent += sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    if (S_ISREG(sb->st_mode))
        n->files++;
    else if (!S_ISDIR(sb->st_mode))
        n->others++;
}

static dt_node *kid_by_ino(dt_node *n, uint64_t ino)
{
    /* children are few per directory in practice; linear is fine and the
     * mark makes each found once */
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->ino == ino)
            return n->kids[i];
    return NULL;
}

static void root_reset(dt_tracker *t, dt_root *r, int err)
{
    dt_node_free_tree(t, r->top);
    r->top = NULL;
    memset(&r->figs, 0, sizeof(r->figs));
    r->err = err;
    r->state = DT_R_GONE;
    r->changed_ms = clock_wall_ms();
    t->changed = 1;
}

/* Re-reads one directory. Returns the fstatat calls made. */
/* Opens n for a re-read and fstats it into *sb. Returns the descriptor, or
 * -errno; -ESTALE when a directory other than the top has another inode
 * (or device) under its name than the one its node was made for. */
static int scan_open(dt_tracker *t, dt_node *n, struct stat *sb)
{
    int fd = node_open(t, n);
    if (fd < 0)
        return fd;
    if (fstat(fd, sb) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (n->parent && (sb->st_ino != n->ino || sb->st_dev != n->root->dev)) {
        close(fd);
        return -ESTALE;
    }
    return fd;
}

/* n could not be opened (e from scan_open). Returns the cost (1). */
static uint64_t scan_unreadable(dt_tracker *t, dt_node *n, int e)
{
    dt_root *r = n->root;
    if (!n->parent) {
        root_reset(t, r, e);
        return 1;
    }
    if (e == -EACCES || e == -EPERM) {
        /* counted (its own inode, from the parent), not read: du's
         * "cannot read directory" */
        n->alloc = n->apparent = n->files = n->others = 0;
        r->errors++;
        t->st.errors++;
        r->dirty_sum = 1;
        return 1;
    }
    /* moved, replaced or gone: the parent's re-read settles it */
    dt_q_push(t, n->parent, 0);
    return 1;
}

/* The top's own inode comes from its fstat, not from a parent's fstatat. */
static void scan_top(dt_tracker *t, dt_node *n, const struct stat *sb)
{
    if (n->ino && n->ino != sb->st_ino)
        dt_hash_del(t, n); /* the top was replaced: new handle below */
    n->ino = sb->st_ino;
    n->root->dev = sb->st_dev;
    n->self_alloc = (uint64_t)sb->st_blocks * 512u;
    n->self_apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
}

/* Past max_dirs: subdirectory nm of n is summed by a walk into n's own
 * figures at every re-read of n. Returns the cost. */
static uint64_t scan_untracked(dt_tracker *t, dt_node *n, const char *nm)
{
    char path[4096];
    du_totals dt;
    size_t pl;
    uint64_t cost = 0;
    if (dt_node_path(n, path, sizeof(path)) == 0 &&
        (pl = strlen(path)) + strlen(nm) + 2 <= sizeof(path)) {
        path[pl] = '/';
        strcpy(path + pl + 1, nm);
        du_walker_reset(t->w);
        if (du_walk(t->w, path, &dt) == 0) { /* counts its top too */
            n->alloc += dt.alloc_bytes;
            n->apparent += dt.apparent_bytes;
            n->files += dt.files;
            n->others += dt.others;
            cost += dt.files + dt.dirs + dt.others;
        }
    }
    t->st.untracked++;
    return cost;
}

/* Subdirectory nm (stat'ed in sb) of n: matched to a child node by inode
 * (a rename keeps its subtree), else a new node queued in front (depth
 * first). Returns the extra cost (a walk past the bound). */
static uint64_t scan_subdir(dt_tracker *t, dt_node *n, const char *nm, const struct stat *sb,
                            uint32_t gen)
{
    dt_root *r = n->root;
    dt_node *k = kid_by_ino(n, sb->st_ino);
    if (k && k->mark == gen)
        k = NULL; /* a second name for one inode cannot be a directory */
    if (k) {
        k->mark = gen;
        k->self_alloc = (uint64_t)sb->st_blocks * 512u;
        k->self_apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
        if (strcmp(k->name, nm) != 0) { /* renamed in place */
            char *s = strdup(nm);
            if (s) {
                free(k->name);
                k->name = s;
                fdc_drop_node(t, k);
            }
        }
        return 0;
    }
    if (t->st.dirs >= t->o.max_dirs)
        return scan_untracked(t, n, nm);
    k = node_new(t, r, n, nm, sb->st_ino);
    if (!k || node_add_kid(n, k) < 0) {
        if (k)
            dt_node_free_tree(t, k);
        r->errors++;
        t->st.errors++;
        return 0;
    }
    k->mark = gen;
    k->self_alloc = (uint64_t)sb->st_blocks * 512u;
    k->self_apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    dt_q_push(t, k, 1);
    return 0;
}

/* A non-directory with more than one name: kept per node, counted once per
 * tree by root_sum. *capl is n->links' capacity during this re-read. */
static void scan_link(dt_node *n, const struct stat *sb, uint32_t *capl)
{
    dt_root *r = n->root;
    if (n->nlinks == *capl) {
        uint32_t c = *capl ? *capl * 2 : 8;
        dt_link *l = realloc(n->links, c * sizeof(*l));
        if (!l) {
            r->errors++;
            return;
        }
        n->links = l;
        *capl = c;
    }
    dt_link *l = &n->links[n->nlinks++];
    l->ino = sb->st_ino;
    l->alloc = (uint64_t)sb->st_blocks * 512u;
    l->apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    l->reg = S_ISREG(sb->st_mode);
    r->nlinks++;
    /* a link made after the first walk: its other name may sit in a
     * directory that did not change (link() touches only the new name's
     * directory), still counted as a plain file there */
    if (r->state == DT_R_READY && !ino_known(r, l->ino))
        r->relink = 1;
}

/* One name of n (open as fd). Returns the cost: its fstatat, plus a walk
 * past the bound. */
static uint64_t scan_entry(dt_tracker *t, dt_node *n, int fd, const char *nm, uint32_t gen,
                           uint32_t *capl)
{
    dt_root *r = n->root;
    struct stat sb;
    if (fstatat(fd, nm, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        r->errors++;
        t->st.errors++;
        return 1;
    }
    if (sb.st_dev != r->dev)
        return 1; /* du -x: other filesystems count for nothing */
    if (S_ISDIR(sb.st_mode))
        return 1 + scan_subdir(t, n, nm, &sb, gen);
    if (sb.st_nlink > 1)
        scan_link(n, &sb, capl);
    else
        add_stat(n, &sb);
    return 1;
}

/* Children of n not seen in re-read gen are gone: freed with their
 * subtrees. */
static void scan_vanished(dt_tracker *t, dt_node *n, uint32_t gen)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < n->nkids; i++) {
        if (n->kids[i]->mark == gen)
            n->kids[j++] = n->kids[i];
        else
            dt_node_free_tree(t, n->kids[i]);
    }
    n->nkids = j;
}

uint64_t dt_scan(dt_tracker *t, dt_node *n)
{
    dt_root *r = n->root;
    uint64_t cost = 0;
    q_del(t, n);
    struct stat sb;
    int fd = scan_open(t, n, &sb);
    if (fd < 0)
        return scan_unreadable(t, n, fd);
    cost++;
    if (!n->parent)
        scan_top(t, n, &sb);
    if (!n->hashed && t->fan_fd >= 0 && r->watched)
        dt_watch_node(t, n, fd);
    n->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    n->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec;
    n->alloc = n->apparent = n->files = n->others = 0;
    r->nlinks -= n->nlinks;
    n->nlinks = 0;
    uint32_t gen = ++t->gen;
    size_t len = 0;
    if (dt_names_load(t, fd, &len) < 0) {
        r->errors++;
        t->st.errors++;
    }
    uint32_t capl = 0;
    for (size_t off = 0; off < len;) {
        const char *nm = t->names + off;
        off += strlen(nm) + 1;
        cost += scan_entry(t, n, fd, nm, gen, &capl);
    }
    close(fd);
    scan_vanished(t, n, gen);
    r->dirty_sum = 1;
    t->st.stats += cost;
    if (r->state == DT_R_READY)
        t->st.rescan_stats += cost;
    return cost;
}

typedef struct dt_lset {
    uint64_t *v;
    size_t mask;
} dt_lset;

/* 1 if ino was new in the set. */
static int lset_add(dt_lset *s, uint64_t ino)
{
    uint64_t key = ino + 1; /* 0 marks empty */
    for (size_t i = (key * 0x9e3779b97f4a7c15ull) & s->mask;; i = (i + 1) & s->mask) {
        if (s->v[i] == key)
            return 0;
        if (!s->v[i]) {
            s->v[i] = key;
            return 1;
        }
    }
}

void dt_root_sum(dt_tracker *t, dt_root *r)
{
    dt_figs f = {0};
    dt_lset ls = {0};
    if (r->nlinks) {
        size_t n = 16;
        while (n < r->nlinks * 2)
            n *= 2;
        ls.v = calloc(n, sizeof(*ls.v));
        ls.mask = n - 1;
    }
    dt_stack st = {0};
    dt_node *n = r->top;
    while (n) {
        f.alloc += n->self_alloc + n->alloc;
        f.apparent += n->self_apparent + n->apparent;
        f.files += n->files;
        for (uint32_t i = 0; i < n->nlinks; i++) {
            const dt_link *l = &n->links[i];
            if (ls.v && !lset_add(&ls, l->ino))
                continue;
            f.alloc += l->alloc;
            f.apparent += l->apparent;
            f.files += l->reg;
        }
        for (uint32_t i = 0; i < n->nkids; i++)
            if (dt_stack_push(&st, n->kids[i]) < 0)
                goto out; /* keep the old figures; retried next time */
        n = dt_stack_pop(&st);
    }
    if (f.alloc != r->figs.alloc || f.apparent != r->figs.apparent || f.files != r->figs.files) {
        r->changed_ms = clock_wall_ms();
        t->changed = 1;
    }
    r->figs = f;
    r->dirty_sum = 0;
    /* keep the distinct hard-linked inodes for ino_known */
    free(r->link_inos);
    r->link_inos = NULL;
    r->n_link_inos = 0;
    if (ls.v) {
        size_t k = 0;
        for (size_t i = 0; i <= ls.mask; i++)
            if (ls.v[i])
                ls.v[k++] = ls.v[i] - 1;
        qsort(ls.v, k, sizeof(uint64_t), cmp_u64);
        r->link_inos = ls.v;
        r->n_link_inos = k;
        ls.v = NULL;
    }
out:
    free(st.v);
    free(ls.v);
}

/* Queues every node of r (verification walk, overflow). */
void dt_root_queue_all(dt_tracker *t, dt_root *r)
{
    log_debug("disk", "re-walking %s", r->label);
    dt_stack st = {0};
    for (dt_node *n = r->top; n; n = dt_stack_pop(&st)) {
        dt_q_push(t, n, 0);
        for (uint32_t i = 0; i < n->nkids; i++)
            if (dt_stack_push(&st, n->kids[i]) < 0) {
                free(st.v);
                return;
            }
    }
    free(st.v);
    t->st.full_walks++;
}

/* A bind of a single file: no tree, one lstat each interval. */
void dt_root_stat_file(dt_tracker *t, dt_root *r)
{
    struct stat sb;
    dt_figs f = {0};
    if (lstat(r->path, &sb) == 0) {
        f.alloc = (uint64_t)sb.st_blocks * 512u;
        f.apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
        f.files = S_ISREG(sb.st_mode);
    }
    if (memcmp(&f, &r->figs, sizeof(f)) != 0) {
        r->figs = f;
        r->changed_ms = clock_wall_ms();
        t->changed = 1;
    }
}

static void root_free(dt_tracker *t, dt_root *r)
{
    dt_node_free_tree(t, r->top);
    free(r->link_inos);
    free(r->path);
    free(r->label);
    free(r);
}

void dt_roots_free(dt_tracker *t)
{
    while (t->roots) {
        dt_root *r = t->roots;
        t->roots = r->next;
        root_free(t, r);
    }
}

/* Filesystems that hold no disk data (binds of /proc, /sys, cgroups... are
 * common in monitoring containers): walking them would cost much and mean
 * nothing, and their directories change all the time. */
static int pseudo_fs(long type)
{
    static const long types[] = {
        0x9fa0,     /* proc */
        0x62656572, /* sysfs */
        0x27e0eb,   /* cgroup */
        0x63677270, /* cgroup2 */
        0x1cd1,     /* devpts */
        0x64626720, /* debugfs */
        0x74726163, /* tracefs */
        0x73636673, /* securityfs */
        0xcafe4a11, /* bpf */
        0x6165676c, /* pstore */
        0x62656570, /* configfs */
        0x65735543, /* fusectl */
        0x19800202, /* mqueue */
        0x6e736673, /* nsfs */
        0x42494e4d, /* binfmt_misc */
        0xde5e81e4, /* efivarfs */
        0xf97cff8c, /* selinuxfs */
        0x0187,     /* autofs */
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if ((long)(uint32_t)type == types[i])
            return 1;
    return 0;
}

void dt_root_start(dt_tracker *t, dt_root *r)
{
    struct stat sb;
    struct statfs sf;
    r->state = DT_R_WALKING;
    r->err = 0;
    if (lstat(r->path, &sb) != 0) {
        root_reset(t, r, -errno);
        return;
    }
    r->dev = sb.st_dev;
    if (!S_ISDIR(sb.st_mode)) {
        r->is_file = 1;
        r->figs.alloc = (uint64_t)sb.st_blocks * 512u;
        r->figs.apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
        r->figs.files = S_ISREG(sb.st_mode);
        r->state = DT_R_READY;
        t->changed = 1;
        return;
    }
    _Static_assert(sizeof(sf.f_fsid) == sizeof(r->fsid), "fsid is 8 bytes");
    if (statfs(r->path, &sf) == 0) {
        memcpy(&r->fsid, &sf.f_fsid, sizeof(r->fsid));
        if (pseudo_fs((long)sf.f_type)) {
            r->pseudo = 1;
            memset(&r->figs, 0, sizeof(r->figs));
            r->state = DT_R_READY;
            t->changed = 1;
            log_debug("disk", "%s is not a disk filesystem: counted as 0", r->label);
            return;
        }
    }
    dt_watch_root(t, r);
    r->top = node_new(t, r, NULL, "", 0);
    if (!r->top) {
        root_reset(t, r, -ENOMEM);
        return;
    }
    dt_q_push(t, r->top, 0);
    t->st.full_walks++;
    log_debug("disk", "walking %s", r->label);
    int64_t now = clock_mono_ms();
    r->next_poll_ms = now + t->o.interval_ms;
    r->next_verify_ms = t->o.verify_ms > 0 ? now + t->o.verify_ms : INT64_MAX;
}

dt_root *dt_root_get(dt_tracker *t, const char *path)
{
    char full[768];
    snprintf(full, sizeof(full), "%s%s", t->host_root, path);
    for (dt_root *r = t->roots; r; r = r->next)
        if (strcmp(r->path, full) == 0)
            return r;
    dt_root *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->path = strdup(full);
    r->label = strdup(path);
    if (!r->path || !r->label) {
        free(r->path);
        free(r->label);
        free(r);
        return NULL;
    }
    r->next = t->roots;
    t->roots = r;
    t->st.roots++;
    dt_root_start(t, r);
    return r;
}

void dt_roots_gc(dt_tracker *t)
{
    for (dt_root **p = &t->roots; *p;) {
        dt_root *r = *p;
        if (r->users > 0) {
            p = &r->next;
            continue;
        }
        *p = r->next;
        root_free(t, r);
        t->st.roots--;
    }
}
