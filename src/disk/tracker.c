/*
 * tracker: per-container disk usage kept current (see tracker.h for what and
 * why; ARCHITECTURE.md "Disk" for the measurements behind the choices).
 *
 * Model. A tree (dt_root) is one host directory: a writable layer, or a
 * volume/bind source used by any number of containers (refcounted). Each of
 * its directories is a dt_node holding the sums of its own inode plus its
 * direct non-directory entries; a tree's figures are the sum over its nodes
 * (hard-linked files kept per node and counted once per tree when summing).
 * Re-reading a directory (scan) is: open it by an openat(O_NOFOLLOW) chain
 * from the tree's top, check its inode, getdents64 all names, one fstatat
 * per name; subdirectories are matched to child nodes by inode (renames keep
 * their subtree), new ones become nodes and are queued, vanished ones are
 * freed. The first walk is simply the top node queued.
 *
 * Work queue: an intrusive doubly linked list of nodes to scan, so a node
 * freed while queued leaves it in O(1). New children go to the front (depth
 * first), so the parent's descriptor is usually still in the small cache of
 * open directories (fdc) and a scan costs one openat, like du.
 *
 * Change detection: fanotify directory handles (node->fh, from
 * name_to_handle_at when the node is scanned) in a chained hash; a matched
 * node goes on the pending list (same links as the queue, queued == 2) and
 * moves to the front of the work queue at the next round (once a second in
 * the thread), so however many events name a directory it is read once per
 * round. In poll mode, the directory's mtime/ctime each interval. See
 * tracker.h.
 */
#include "disk/tracker.h"
#include "util/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "disk/du.h"
#include "docker/docker.h"
#include "metrics/store.h"
#include "util/log.h"

#define DT_FH_MAX     24
#define DT_FDC        16
#define DT_DENTS_BUF  (64 * 1024)
#define DT_GROWTH_N   7
#define DT_LOG_RELIST 6
#define DT_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

typedef struct dt_link {
    uint64_t ino, alloc, apparent;
    uint8_t reg;
} dt_link;

typedef struct dt_root dt_root;

typedef struct dt_node {
    struct dt_node *parent;
    struct dt_node **kids;
    uint32_t nkids, capkids;
    struct dt_node *qprev, *qnext; /* work queue */
    struct dt_node *hnext;         /* handle hash chain */
    dt_root *root;
    char *name; /* "" for the top */
    uint64_t ino;
    int64_t mtime_ns, ctime_ns;              /* poll mode */
    uint64_t self_alloc, self_apparent;      /* its own inode, from the parent's fstatat */
    uint64_t alloc, apparent, files, others; /* direct non-directories */
    dt_link *links;                          /* direct entries with st_nlink > 1 */
    uint32_t nlinks;
    uint32_t mark; /* scan generation, to find vanished children */
    uint8_t queued, hashed, fhlen;
    int32_t fhtype;
    unsigned char fh[DT_FH_MAX];
} dt_node;

enum { DT_R_NEW, DT_R_WALKING, DT_R_READY, DT_R_GONE };

struct dt_root {
    char *path;  /* host path, host_root prefixed */
    char *label; /* as given (for diagnostics) */
    dev_t dev;
    uint64_t fsid;
    dt_node *top;
    int is_file; /* a bind of a single file: stat'ed, no tree */
    int pseudo;  /* /proc, /sys, cgroupfs...: no disk, not walked (counts 0) */
    int state;
    int err;
    int watched; /* fanotify covers it */
    int users;   /* containers using it (this sync) */
    uint64_t pending, nodes, nlinks;
    uint64_t *link_inos; /* sorted, distinct: hard-linked inodes at the last sum */
    size_t n_link_inos;
    int relink; /* a new hard-linked inode appeared after the first walk */
    int dirty_sum;
    int64_t next_poll_ms, next_verify_ms;
    dt_figs figs;
    uint64_t errors;
    int64_t changed_ms;
    dt_root *next;
};

typedef struct dt_growth {
    int64_t t[DT_GROWTH_N];
    uint64_t v[DT_GROWTH_N];
    int n;
} dt_growth;

typedef struct dt_cont {
    dt_target tg; /* tg.lower not kept (NULL) */
    dt_root *writable;
    dt_root *vols[DT_MAX_VOLS];
    dt_figs logs;
    int logs_ok;
    /* the files being written (json-file's <id>-json.log, local's
     * local-logs/container.log): stat'ed each interval; the directory is
     * listed again when one is replaced or shrinks (rotation), or every
     * DT_LOG_RELIST intervals (compressed rotations appear later) */
    struct {
        char path[800];
        uint64_t ino;
        dt_figs f;
    } act[2];
    int n_act;
    dt_figs logs_rest; /* the other log files at the last listing */
    unsigned since_list;
    uint32_t seen;
    dt_growth g;
    int64_t eng_at; /* monotonic ms of the last Engine API size request, 0: never */
    int64_t eng_rw; /* its SizeRw, -1: none yet */
    uint64_t last_total;
    int64_t updated_ms;
} dt_cont;

typedef struct dt_layer {
    char *path;
    dt_figs f;
    int done, err;
} dt_layer;

typedef struct dt_img {
    char id[80];
    char name[256];
    size_t *layers; /* indexes into t->layers */
    size_t n_layers;
    uint32_t seen;
} dt_img;

struct dt_tracker {
    dt_opts o;
    char host_root[256];
    /* owned by the working thread */
    dt_root *roots;
    dt_cont *conts;
    size_t n_conts, cap_conts;
    dt_img *imgs;
    size_t n_imgs, cap_imgs;
    dt_layer *layers;
    size_t n_layers, cap_layers;
    dt_node *qhead, *qtail;
    size_t qlen;
    dt_node *phead; /* changed directories waiting for the next round (queued == 2) */
    int poll_all;   /* the event queue overflowed: check every tree's directories */
    dt_node **hash;
    size_t hbuckets, hcount;
    struct {
        dt_node *n;
        int fd;
        uint64_t use;
    } fdc[DT_FDC];
    uint64_t fdc_clock;
    char *dents;
    char *names;
    size_t names_cap;
    du_walker *w;
    int fan_fd;
    dev_t marked[64];
    size_t n_marked;
    uint32_t gen;
    int64_t next_interval_ms, last_publish_ms;
    uint64_t interval_no;
    int changed;
    dk_client *dk; /* Engine API size fallback (o.engine_size without o.size_fn) */
    size_t eng_rr; /* round-robin position over containers without an upper dir */
    dt_stats st;   /* working copy */
    /* thread */
    pthread_t thread;
    int running, stop;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    store *store;
    uint64_t store_sig;
    int synced; /* targets came from Docker (or tests set them) */
    int64_t started_ms;
    /* published, under lock */
    pthread_mutex_t lock;
    dt_ctr *pub;
    size_t n_pub;
    dt_image *pub_img;
    size_t n_pub_img;
    dt_stats pub_st;
};

void dt_opts_defaults(dt_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->interval_ms = 10000;
    o->verify_ms = 3600000;
    o->use_fanotify = 1;
    o->max_dirs = 1000000;
    o->slice_stats = 4096;
}

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

static void hash_add(dt_tracker *t, dt_node *n)
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

static void hash_del(dt_tracker *t, dt_node *n)
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

static dt_node *hash_find(dt_tracker *t, uint64_t fsid, int32_t type, const unsigned char *fh,
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

static void p_del(dt_tracker *t, dt_node *n)
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
static void p_push(dt_tracker *t, dt_node *n)
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

static void q_push(dt_tracker *t, dt_node *n, int front)
{
    if (n->queued == 2)
        p_del(t, n);
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
        p_del(t, n);
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

static void fdc_clear(dt_tracker *t)
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

/* Frees n and its subtree (iteratively: trees may be deep). */
static void node_free_tree(dt_tracker *t, dt_node *top)
{
    if (!top)
        return;
    dt_node **stack = NULL;
    size_t sn = 0, sc = 0;
    dt_node *n = top;
    for (;;) {
        if (n) {
            for (uint32_t i = 0; i < n->nkids; i++) {
                if (sn == sc) {
                    sc = sc ? sc * 2 : 64;
                    dt_node **s = realloc(stack, sc * sizeof(*s));
                    if (!s)
                        abort(); /* cannot free without memory: nothing sane left */
                    stack = s;
                }
                stack[sn++] = n->kids[i];
            }
            q_del(t, n);
            hash_del(t, n);
            fdc_drop_node(t, n);
            n->root->nlinks -= n->nlinks;
            n->root->nodes--;
            t->st.dirs--;
            free(n->kids);
            free(n->links);
            free(n->name);
            free(n);
        }
        if (!sn)
            break;
        n = stack[--sn];
    }
    free(stack);
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
static int node_path(const dt_node *n, char *out, size_t cap)
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

static int names_load(dt_tracker *t, int fd, size_t *len)
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
    node_free_tree(t, r->top);
    r->top = NULL;
    memset(&r->figs, 0, sizeof(r->figs));
    r->err = err;
    r->state = DT_R_GONE;
    r->changed_ms = clock_wall_ms();
    t->changed = 1;
}

/* Re-reads one directory. Returns the fstatat calls made. */
static uint64_t scan(dt_tracker *t, dt_node *n)
{
    dt_root *r = n->root;
    uint64_t cost = 0;
    q_del(t, n);
    int fd = node_open(t, n);
    struct stat sb;
    int e = fd < 0 ? fd : fstat(fd, &sb) != 0 ? -errno : 0;
    if (!e && n->parent && (sb.st_ino != n->ino || sb.st_dev != r->dev))
        e = -ESTALE;
    if (e) {
        if (fd >= 0)
            close(fd);
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
        q_push(t, n->parent, 0);
        return 1;
    }
    cost++;
    if (!n->parent) {
        if (n->ino && n->ino != sb.st_ino)
            hash_del(t, n); /* the top was replaced: new handle below */
        n->ino = sb.st_ino;
        r->dev = sb.st_dev;
        n->self_alloc = (uint64_t)sb.st_blocks * 512u;
        n->self_apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0u;
    }
    if (!n->hashed && t->fan_fd >= 0 && r->watched) {
        struct {
            struct file_handle h;
            unsigned char b[DT_FH_MAX];
        } fh;
        int mnt;
        fh.h.handle_bytes = DT_FH_MAX;
        if (name_to_handle_at(fd, "", &fh.h, &mnt, AT_EMPTY_PATH) == 0) {
            n->fhlen = (uint8_t)fh.h.handle_bytes;
            n->fhtype = fh.h.handle_type;
            memcpy(n->fh, fh.h.f_handle, n->fhlen);
            hash_add(t, n);
        }
        if (!n->hashed) {
            /* no handle for it: events cannot be matched, so poll this tree */
            log_info("disk", "no file handle for a directory of %s (%s): polled", r->label,
                     strerror(errno));
            r->watched = 0;
        }
    }
    n->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    n->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec;
    n->alloc = n->apparent = n->files = n->others = 0;
    r->nlinks -= n->nlinks;
    n->nlinks = 0;
    uint32_t gen = ++t->gen;
    size_t len = 0;
    int rc = names_load(t, fd, &len);
    if (rc < 0) {
        r->errors++;
        t->st.errors++;
    }
    uint32_t capl = 0;
    for (size_t off = 0; off < len;) {
        const char *nm = t->names + off;
        off += strlen(nm) + 1;
        cost++;
        if (fstatat(fd, nm, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            r->errors++;
            t->st.errors++;
            continue;
        }
        if (sb.st_dev != r->dev)
            continue; /* du -x: other filesystems count for nothing */
        if (S_ISDIR(sb.st_mode)) {
            dt_node *k = kid_by_ino(n, sb.st_ino);
            if (k && k->mark == gen)
                k = NULL; /* a second name for one inode cannot be a directory */
            if (k) {
                k->mark = gen;
                k->self_alloc = (uint64_t)sb.st_blocks * 512u;
                k->self_apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0u;
                if (strcmp(k->name, nm) != 0) { /* renamed in place */
                    char *s = strdup(nm);
                    if (s) {
                        free(k->name);
                        k->name = s;
                        fdc_drop_node(t, k);
                    }
                }
                continue;
            }
            if (t->st.dirs >= t->o.max_dirs) {
                /* past the bound: summed by a walk at every re-read of n */
                char path[4096];
                du_totals dt;
                size_t pl;
                if (node_path(n, path, sizeof(path)) == 0 &&
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
                continue;
            }
            k = node_new(t, r, n, nm, sb.st_ino);
            if (!k || node_add_kid(n, k) < 0) {
                if (k)
                    node_free_tree(t, k);
                r->errors++;
                t->st.errors++;
                continue;
            }
            k->mark = gen;
            k->self_alloc = (uint64_t)sb.st_blocks * 512u;
            k->self_apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0u;
            q_push(t, k, 1);
            continue;
        }
        if (sb.st_nlink > 1) {
            if (n->nlinks == capl) {
                capl = capl ? capl * 2 : 8;
                dt_link *l = realloc(n->links, capl * sizeof(*l));
                if (!l) {
                    r->errors++;
                    continue;
                }
                n->links = l;
            }
            dt_link *l = &n->links[n->nlinks++];
            l->ino = sb.st_ino;
            l->alloc = (uint64_t)sb.st_blocks * 512u;
            l->apparent = sb.st_size > 0 ? (uint64_t)sb.st_size : 0u;
            l->reg = S_ISREG(sb.st_mode);
            r->nlinks++;
            /* a link made after the first walk: its other name may sit in a
             * directory that did not change (link() touches only the new
             * name's directory), still counted as a plain file there */
            if (r->state == DT_R_READY && !ino_known(r, l->ino))
                r->relink = 1;
            continue;
        }
        add_stat(n, &sb);
    }
    close(fd);
    /* children not seen this time are gone */
    uint32_t j = 0;
    for (uint32_t i = 0; i < n->nkids; i++) {
        if (n->kids[i]->mark == gen)
            n->kids[j++] = n->kids[i];
        else
            node_free_tree(t, n->kids[i]);
    }
    n->nkids = j;
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

static void root_sum(dt_tracker *t, dt_root *r)
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
    dt_node **stack = NULL;
    size_t sn = 0, sc = 0;
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
        for (uint32_t i = 0; i < n->nkids; i++) {
            if (sn == sc) {
                sc = sc ? sc * 2 : 64;
                dt_node **s = realloc(stack, sc * sizeof(*s));
                if (!s)
                    goto out; /* keep the old figures; retried next time */
                stack = s;
            }
            stack[sn++] = n->kids[i];
        }
        n = sn ? stack[--sn] : NULL;
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
    free(stack);
    free(ls.v);
}

/* Queues every node of r (verification walk, overflow). */
static void root_queue_all(dt_tracker *t, dt_root *r)
{
    log_debug("disk", "re-walking %s", r->label);
    dt_node **stack = NULL;
    size_t sn = 0, sc = 0;
    for (dt_node *n = r->top; n; n = sn ? stack[--sn] : NULL) {
        q_push(t, n, 0);
        for (uint32_t i = 0; i < n->nkids; i++) {
            if (sn == sc) {
                sc = sc ? sc * 2 : 64;
                dt_node **s = realloc(stack, sc * sizeof(*s));
                if (!s) {
                    free(stack);
                    return;
                }
                stack = s;
            }
            stack[sn++] = n->kids[i];
        }
    }
    free(stack);
    t->st.full_walks++;
}

/* Marks the filesystem holding r for fanotify events (once per st_dev). */
static void root_watch(dt_tracker *t, dt_root *r)
{
    r->watched = 0;
    if (t->fan_fd < 0 || r->is_file)
        return;
    for (size_t i = 0; i < t->n_marked; i++)
        if (t->marked[i] == r->dev) {
            r->watched = 1;
            return;
        }
    if (t->n_marked == sizeof(t->marked) / sizeof(t->marked[0]))
        return;
    uint64_t mask =
        FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_MODIFY | FAN_ONDIR;
    if (fanotify_mark(t->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, r->path) !=
        0) {
        log_info("disk", "fanotify refuses %s (%s): polled every interval", r->label,
                 strerror(errno));
        /* remember the refusal as a mark with no effect: do not ask again */
        return;
    }
    t->marked[t->n_marked++] = r->dev;
    r->watched = 1;
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

static void root_start(dt_tracker *t, dt_root *r)
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
    root_watch(t, r);
    r->top = node_new(t, r, NULL, "", 0);
    if (!r->top) {
        root_reset(t, r, -ENOMEM);
        return;
    }
    q_push(t, r->top, 0);
    t->st.full_walks++;
    log_debug("disk", "walking %s", r->label);
    int64_t now = clock_mono_ms();
    r->next_poll_ms = now + t->o.interval_ms;
    r->next_verify_ms = t->o.verify_ms > 0 ? now + t->o.verify_ms : INT64_MAX;
}

static dt_root *root_get(dt_tracker *t, const char *path)
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
    root_start(t, r);
    return r;
}

static void roots_gc(dt_tracker *t)
{
    for (dt_root **p = &t->roots; *p;) {
        dt_root *r = *p;
        if (r->users > 0) {
            p = &r->next;
            continue;
        }
        *p = r->next;
        node_free_tree(t, r->top);
        free(r->link_inos);
        free(r->path);
        free(r->label);
        free(r);
        t->st.roots--;
    }
}

/* Poll mode: stat every directory of r, queue those whose mtime/ctime moved. */
static void root_poll(dt_tracker *t, dt_root *r)
{
    if (r->pseudo)
        return;
    if (r->is_file) {
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
        return;
    }
    if (r->state == DT_R_GONE) {
        struct stat sb;
        if (lstat(r->path, &sb) == 0) /* came back */
            root_start(t, r);
        return;
    }
    dt_node **stack = NULL;
    size_t sn = 0, sc = 0;
    char path[4096];
    for (dt_node *n = r->top; n; n = sn ? stack[--sn] : NULL) {
        struct stat sb;
        if (!n->queued && node_path(n, path, sizeof(path)) == 0) {
            t->st.stats++;
            if (lstat(path, &sb) != 0 ||
                (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != n->mtime_ns ||
                (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec != n->ctime_ns)
                q_push(t, n, 0);
        }
        for (uint32_t i = 0; i < n->nkids; i++) {
            if (sn == sc) {
                sc = sc ? sc * 2 : 64;
                dt_node **s = realloc(stack, sc * sizeof(*s));
                if (!s) {
                    free(stack);
                    return;
                }
                stack = s;
            }
            stack[sn++] = n->kids[i];
        }
    }
    free(stack);
}

/* ---- fanotify ---- */

static void fan_read(dt_tracker *t, int wait_ms)
{
    if (t->fan_fd < 0) {
        if (wait_ms > 0)
            poll(NULL, 0, wait_ms);
        return;
    }
    struct pollfd p = {.fd = t->fan_fd, .events = POLLIN};
    if (wait_ms > 0 && poll(&p, 1, wait_ms) <= 0)
        return;
    char buf[16384] __attribute__((aligned(8)));
    for (int rounds = 0; rounds < 64; rounds++) {
        ssize_t len = read(t->fan_fd, buf, sizeof(buf));
        if (len <= 0)
            return;
        /* Records are packed: event_len need not keep the next one
         * aligned (names make it odd), so fields are copied out, never
         * read through a cast pointer. */
        for (size_t off = 0; off + sizeof(struct fanotify_event_metadata) <= (size_t)len;) {
            struct fanotify_event_metadata m;
            memcpy(&m, buf + off, sizeof(m));
            if (m.event_len < sizeof(m) || off + m.event_len > (size_t)len)
                break;
            const char *ev = buf + off;
            off += m.event_len;
            t->st.events++;
            if (m.mask & FAN_Q_OVERFLOW) {
                /* events were lost: compare every directory's mtime/ctime
                 * (a stat per directory, not per entry); a file grown in
                 * place meanwhile shows at its next write or the
                 * verification walk */
                t->st.overflows++;
                t->poll_all = 1;
                continue;
            }
            for (size_t io = m.metadata_len;
                 io + sizeof(struct fanotify_event_info_header) <= m.event_len;) {
                struct fanotify_event_info_header h;
                memcpy(&h, ev + io, sizeof(h));
                if (h.len == 0 || io + h.len > m.event_len)
                    break;
                size_t fid_off = offsetof(struct fanotify_event_info_fid, handle);
                if ((h.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
                     h.info_type == FAN_EVENT_INFO_TYPE_DFID) &&
                    h.len >= fid_off + sizeof(struct file_handle)) {
                    uint64_t fsid;
                    struct file_handle fh;
                    unsigned char bytes[DT_FH_MAX];
                    memcpy(&fsid, ev + io + offsetof(struct fanotify_event_info_fid, fsid),
                           sizeof(fsid));
                    memcpy(&fh, ev + io + fid_off, sizeof(fh));
                    if (fh.handle_bytes <= DT_FH_MAX &&
                        fid_off + sizeof(fh) + fh.handle_bytes <= h.len) {
                        memcpy(bytes, ev + io + fid_off + sizeof(fh), fh.handle_bytes);
                        dt_node *n = hash_find(t, fsid, fh.handle_type, bytes, fh.handle_bytes);
                        if (n) {
                            t->st.events_matched++;
                            if (!n->queued && n->root->state == DT_R_READY)
                                t->st.rescans++;
                            p_push(t, n);
                        }
                    }
                }
                io += h.len;
            }
        }
        if ((size_t)len < sizeof(buf) / 2)
            return;
    }
}

/* ---- logs ---- */

static void figs_of(const struct stat *sb, dt_figs *f)
{
    f->alloc = (uint64_t)sb->st_blocks * 512u;
    f->apparent = sb->st_size > 0 ? (uint64_t)sb->st_size : 0u;
    f->files = S_ISREG(sb->st_mode);
}

/* One stat per file being written; 0 if the figures could be updated so,
 * -1 when the directory must be listed again. */
static int logs_fast(dt_tracker *t, dt_cont *c, dt_figs *f)
{
    if (!c->logs_ok || c->since_list >= DT_LOG_RELIST)
        return -1;
    *f = c->logs_rest;
    for (int i = 0; i < c->n_act; i++) {
        struct stat sb;
        t->st.stats++;
        if (lstat(c->act[i].path, &sb) != 0 || (uint64_t)sb.st_ino != c->act[i].ino ||
            (uint64_t)sb.st_size < c->act[i].f.apparent)
            return -1;
        figs_of(&sb, &c->act[i].f);
        f->alloc += c->act[i].f.alloc;
        f->apparent += c->act[i].f.apparent;
        f->files += c->act[i].f.files;
    }
    c->since_list++;
    return 0;
}

static void logs_poll(dt_tracker *t, dt_cont *c)
{
    char dir[768], prefix[256];
    dt_figs f = {0};
    if (logs_fast(t, c, &f) == 0)
        goto done;
    c->n_act = 0;
    c->since_list = 0;
    if (c->tg.log_path[0]) {
        snprintf(dir, sizeof(dir), "%s%s", t->host_root, c->tg.log_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            return;
        *slash = '\0';
        snprintf(prefix, sizeof(prefix), "%s", slash + 1);
    } else {
        snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/%s", t->host_root, c->tg.id);
        snprintf(prefix, sizeof(prefix), "%s-json.log", c->tg.id);
    }
    int fd = open(dir, DT_OPEN_FLAGS);
    if (fd < 0) {
        c->logs_ok = errno == ENOENT; /* no logs (yet): zero, known */
        goto done;
    }
    size_t len = 0, pl = strlen(prefix);
    if (names_load(t, fd, &len) < 0)
        t->st.errors++;
    for (size_t off = 0; off < len;) {
        const char *nm = t->names + off;
        off += strlen(nm) + 1;
        struct stat sb;
        if (strncmp(nm, prefix, pl) != 0 || fstatat(fd, nm, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(sb.st_mode))
            continue;
        t->st.stats++;
        f.alloc += (uint64_t)sb.st_blocks * 512u;
        f.apparent += (uint64_t)sb.st_size;
        f.files++;
        if (strcmp(nm, prefix) == 0) {
            snprintf(c->act[c->n_act].path, sizeof(c->act[0].path), "%s/%s", dir, nm);
            c->act[c->n_act].ino = sb.st_ino;
            figs_of(&sb, &c->act[c->n_act].f);
            c->n_act++;
        }
    }
    close(fd);
    char local[800];
    snprintf(local, sizeof(local), "%s/local-logs", dir);
    du_totals dt;
    du_walker_reset(t->w);
    if (du_walk(t->w, local, &dt) == 0) {
        struct stat sb;
        f.alloc += dt.alloc_bytes;
        f.apparent += dt.apparent_bytes;
        f.files += dt.files;
        snprintf(c->act[c->n_act].path, sizeof(c->act[0].path), "%s/container.log", local);
        if (lstat(c->act[c->n_act].path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            c->act[c->n_act].ino = sb.st_ino;
            figs_of(&sb, &c->act[c->n_act].f);
            c->n_act++;
        }
    }
    c->logs_rest = f;
    for (int i = 0; i < c->n_act; i++) {
        c->logs_rest.alloc -= c->act[i].f.alloc;
        c->logs_rest.apparent -= c->act[i].f.apparent;
        c->logs_rest.files -= c->act[i].f.files;
    }
    c->logs_ok = 1;
done:
    if (memcmp(&f, &c->logs, sizeof(f)) != 0) {
        c->logs = f;
        c->updated_ms = clock_wall_ms();
        t->changed = 1;
    }
}

/* ---- images ---- */

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

static void image_note(dt_tracker *t, const dt_target *tg)
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

/* Walks layers not walked yet (read-only: once). Returns fstatat calls. */
static uint64_t layers_walk(dt_tracker *t, uint64_t budget)
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
static void layers_gc(dt_tracker *t)
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

/* ---- targets ---- */

int dt_set_targets(dt_tracker *t, const dt_target *v, size_t n)
{
    uint32_t gen = ++t->gen;
    if (!t->store)
        t->synced = 1; /* called directly (tests): these are the targets */
    for (dt_root *r = t->roots; r; r = r->next)
        r->users = 0;
    for (size_t i = 0; i < n; i++) {
        dt_cont *c = NULL;
        for (size_t k = 0; k < t->n_conts; k++)
            if (strcmp(t->conts[k].tg.id, v[i].id) == 0) {
                c = &t->conts[k];
                break;
            }
        if (!c) {
            if (t->n_conts == t->cap_conts) {
                size_t cap = t->cap_conts ? t->cap_conts * 2 : 32;
                dt_cont *nv = realloc(t->conts, cap * sizeof(*nv));
                if (!nv)
                    return -ENOMEM;
                t->conts = nv;
                t->cap_conts = cap;
            }
            c = &t->conts[t->n_conts++];
            memset(c, 0, sizeof(*c));
            c->eng_rw = -1;
            t->changed = 1;
        }
        c->tg = v[i];
        c->tg.lower = NULL;
        c->seen = gen;
        c->writable = v[i].upper[0] ? root_get(t, v[i].upper) : NULL;
        if (c->writable)
            c->writable->users++;
        if (c->tg.n_vols > DT_MAX_VOLS)
            c->tg.n_vols = DT_MAX_VOLS;
        for (size_t k = 0; k < c->tg.n_vols; k++) {
            c->vols[k] = root_get(t, v[i].vols[k].source);
            if (c->vols[k])
                c->vols[k]->users++;
        }
        image_note(t, &v[i]);
    }
    /* drop containers not listed (their roots lose a user) */
    size_t j = 0;
    for (size_t k = 0; k < t->n_conts; k++) {
        if (t->conts[k].seen == gen)
            t->conts[j++] = t->conts[k];
        else
            t->changed = 1;
    }
    t->n_conts = j;
    /* images no container uses any more are forgotten (layers stay walked) */
    j = 0;
    for (size_t k = 0; k < t->n_imgs; k++) {
        if (t->imgs[k].seen == gen)
            t->imgs[j++] = t->imgs[k];
        else
            free(t->imgs[k].layers);
    }
    t->n_imgs = j;
    layers_gc(t);
    roots_gc(t);
    /* new containers: logs at once */
    for (size_t k = 0; k < t->n_conts; k++)
        if (!t->conts[k].logs_ok)
            logs_poll(t, &t->conts[k]);
    return 0;
}

/* ---- publishing ---- */

static int cmp_ctr(const void *a, const void *b)
{
    return strcmp(((const dt_ctr *)a)->id, ((const dt_ctr *)b)->id);
}

static double growth(dt_growth *g, int64_t now, uint64_t v)
{
    if (g->n == 0 || now - g->t[g->n - 1] >= 10000) {
        if (g->n == DT_GROWTH_N) {
            memmove(g->t, g->t + 1, (DT_GROWTH_N - 1) * sizeof(g->t[0]));
            memmove(g->v, g->v + 1, (DT_GROWTH_N - 1) * sizeof(g->v[0]));
            g->n--;
        }
        g->t[g->n] = now;
        g->v[g->n] = v;
        g->n++;
    }
    if (g->n < 2 || now - g->t[0] <= 0)
        return 0;
    return ((double)v - (double)g->v[0]) * 1000.0 / (double)(now - g->t[0]);
}

static int root_ready(const dt_root *r)
{
    return r && (r->state == DT_R_READY || r->state == DT_R_GONE);
}

static void publish(dt_tracker *t)
{
    int64_t now = clock_mono_ms();
    dt_ctr *pub = calloc(t->n_conts ? t->n_conts : 1, sizeof(*pub));
    dt_image *img = calloc(t->n_imgs ? t->n_imgs : 1, sizeof(*img));
    if (!pub || !img) {
        free(pub);
        free(img);
        return;
    }
    for (size_t i = 0; i < t->n_conts; i++) {
        dt_cont *c = &t->conts[i];
        dt_ctr *p = &pub[i];
        snprintf(p->id, sizeof(p->id), "%s", c->tg.id);
        p->ready = c->logs_ok;
        if (c->writable) {
            snprintf(p->source, sizeof(p->source), "%s-upper",
                     c->tg.driver[0] ? c->tg.driver : "overlay2");
            p->writable = c->writable->figs;
            p->writable_files_known = 1;
            p->ready &= root_ready(c->writable);
        } else if (c->eng_rw >= 0) {
            /* Docker's SizeRw: apparent sizes of the layer's changes */
            snprintf(p->source, sizeof(p->source), "engine-api");
            p->writable.alloc = p->writable.apparent = (uint64_t)c->eng_rw;
        } else
            snprintf(p->source, sizeof(p->source), "none");
        p->logs = c->logs;
        p->vols = calloc(c->tg.n_vols ? c->tg.n_vols : 1, sizeof(*p->vols));
        for (size_t k = 0; p->vols && k < c->tg.n_vols; k++) {
            dt_vol *v = &p->vols[k];
            snprintf(v->type, sizeof(v->type), "%s", c->tg.vols[k].type);
            snprintf(v->name, sizeof(v->name), "%s", c->tg.vols[k].name);
            snprintf(v->source, sizeof(v->source), "%s", c->tg.vols[k].source);
            if (c->vols[k]) {
                v->shared = c->vols[k]->users > 1;
                v->ready = root_ready(c->vols[k]);
                v->f = c->vols[k]->figs;
            }
            p->ready &= v->ready;
            p->volumes_alloc += v->f.alloc;
            p->volumes_apparent += v->f.apparent;
            p->n_vols++;
        }
        p->total_alloc = p->writable.alloc + p->volumes_alloc + p->logs.alloc;
        if (p->ready)
            p->growth_bps = growth(&c->g, now, p->total_alloc);
        if (p->total_alloc != c->last_total) {
            c->last_total = p->total_alloc;
            c->updated_ms = clock_wall_ms();
        }
        int64_t u = c->updated_ms;
        if (c->writable && c->writable->changed_ms > u)
            u = c->writable->changed_ms;
        p->updated_ms = u;
    }
    qsort(pub, t->n_conts, sizeof(*pub), cmp_ctr);
    dt_stats st = t->st;
    /* before the first targets arrive there is nothing walked, not "done";
     * once done it stays so: containers created later show as counting on
     * their own (dt_ctr.ready) */
    if (!t->st.first_walk_done && t->synced) {
        int walking = 0;
        for (dt_root *r = t->roots; r && !walking; r = r->next)
            walking = r->state == DT_R_WALKING;
        t->st.first_walk_done = !walking;
    }
    st.first_walk_done = t->st.first_walk_done;
    /* images: each layer once per image; distinct layers once in the totals */
    uint8_t *counted = calloc(t->n_layers ? t->n_layers : 1, 1);
    for (size_t i = 0; i < t->n_imgs; i++) {
        dt_image *d = &img[i];
        snprintf(d->id, sizeof(d->id), "%s", t->imgs[i].id);
        snprintf(d->name, sizeof(d->name), "%s", t->imgs[i].name);
        d->ready = 1;
        for (size_t k = 0; k < t->imgs[i].n_layers; k++) {
            size_t li = t->imgs[i].layers[k];
            const dt_layer *l = &t->layers[li];
            d->ready &= l->done;
            d->f.alloc += l->f.alloc;
            d->f.apparent += l->f.apparent;
            d->f.files += l->f.files;
            d->layers++;
            if (counted && !counted[li]) {
                counted[li] = 1;
                st.images_alloc += l->f.alloc;
                st.images_apparent += l->f.apparent;
                st.images_files += l->f.files;
            }
        }
    }
    free(counted);
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        t->st.cpu_seconds = st.cpu_seconds = (double)ru.ru_utime.tv_sec +
                                             ru.ru_utime.tv_usec / 1e6 +
                                             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    pthread_mutex_lock(&t->lock);
    dt_ctr *old = t->pub;
    size_t n_old = t->n_pub;
    dt_image *old_img = t->pub_img;
    t->pub = pub;
    t->n_pub = t->n_conts;
    t->pub_img = img;
    t->n_pub_img = t->n_imgs;
    t->pub_st = st;
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n_old; i++)
        free(old[i].vols);
    free(old);
    free(old_img);
    t->last_publish_ms = now;
    t->changed = 0;
}

/* ---- Engine API fallback for writable layers without an upper dir ---- */

/* At most one request per call (one call per interval): the next container
 * in round-robin order without an upper directory whose figure is missing
 * or older than verify_ms. Runs on the tracker thread; dt_lock is not held
 * (publish takes it afterwards). */
static void engine_poll(dt_tracker *t)
{
    if ((!t->o.size_fn && !t->dk) || !t->n_conts)
        return;
    int64_t now = clock_mono_ms();
    dt_cont *c = NULL;
    for (size_t k = 0; k < t->n_conts; k++) {
        size_t i = (t->eng_rr + k) % t->n_conts;
        dt_cont *x = &t->conts[i];
        if (x->writable)
            continue;
        if (x->eng_at && (t->o.verify_ms <= 0 || now - x->eng_at < t->o.verify_ms))
            continue;
        c = x;
        t->eng_rr = i + 1;
        break;
    }
    if (!c)
        return;
    char id[sizeof(c->tg.id)], err[512] = "";
    snprintf(id, sizeof(id), "%s", c->tg.id);
    int64_t rw = -1, rootfs = -1;
    int rc = t->o.size_fn ? t->o.size_fn(t->o.size_arg, id, &rw)
                          : dk_container_size(t->dk, id, &rw, &rootfs, err, sizeof(err));
    c->eng_at = now > 0 ? now : 1;
    if (rc < 0 || rw < 0) {
        t->st.errors++;
        log_debug("disk", "writable layer size of %.12s from the Engine API: %s", id,
                  rc < 0 ? (err[0] ? err : strerror(-rc)) : "no SizeRw in the answer");
        return;
    }
    if (rw != c->eng_rw) {
        c->eng_rw = rw;
        t->changed = 1;
    }
}

/* ---- the step ---- */

size_t dt_step(dt_tracker *t, int wait_ms, uint64_t budget)
{
    fan_read(t, t->qhead || t->phead ? 0 : wait_ms);
    /* changes go before first walks of other trees: a big first walk must
     * not delay them */
    while (t->phead) {
        dt_node *n = t->phead;
        p_del(t, n);
        q_push(t, n, 1);
    }
    int64_t now = clock_mono_ms();
    if (t->poll_all) {
        t->poll_all = 0;
        for (dt_root *r = t->roots; r; r = r->next)
            if (r->state == DT_R_READY && r->top)
                root_poll(t, r);
    }
    int due = now >= t->next_interval_ms;
    if (due) {
        t->next_interval_ms = now + t->o.interval_ms;
        t->interval_no++;
        for (size_t i = 0; i < t->n_conts; i++)
            logs_poll(t, &t->conts[i]);
        engine_poll(t);
    }
    for (dt_root *r = t->roots; r; r = r->next) {
        if (r->state == DT_R_GONE || r->is_file) {
            if (due)
                root_poll(t, r);
            continue;
        }
        if (due && r->state == DT_R_READY && r->top &&
            (!r->watched || t->interval_no % DT_LOG_RELIST == 0)) {
            /* the top itself deleted, moved or replaced: its events are in
             * its parent, which is not tracked; one lstat per tree per
             * interval catches it */
            struct stat sb;
            if (lstat(r->path, &sb) != 0 || sb.st_ino != r->top->ino || sb.st_dev != r->dev) {
                node_free_tree(t, r->top);
                r->top = NULL;
                root_start(t, r);
                continue;
            }
        }
        if (r->state == DT_R_READY && !r->watched && now >= r->next_poll_ms) {
            r->next_poll_ms = now + t->o.interval_ms;
            root_poll(t, r);
        }
        if (r->state == DT_R_READY && r->top && now >= r->next_verify_ms) {
            r->next_verify_ms = now + t->o.verify_ms;
            root_queue_all(t, r);
        }
    }
    uint64_t cost = 0;
    while (t->qhead && (!budget || cost < budget))
        cost += scan(t, t->qhead);
    if (!budget)
        cost += layers_walk(t, 0);
    else if (cost < budget)
        cost += layers_walk(t, budget - cost); /* a layer at a time: may pass it once */
    fdc_clear(t);
    for (dt_root *r = t->roots; r; r = r->next) {
        if (r->relink && r->top) {
            /* re-read in the next slices; until then the other name may
             * count twice */
            r->relink = 0;
            root_queue_all(t, r);
        }
        if (r->dirty_sum && r->top)
            root_sum(t, r);
        if (r->state == DT_R_WALKING && r->pending == 0 && r->top) {
            r->state = DT_R_READY;
            t->changed = 1;
        }
    }
    size_t left = t->qlen;
    if (t->changed || due || now - t->last_publish_ms >= 1000)
        publish(t);
    return left;
}

/* ---- lifecycle ---- */

int dt_new(const dt_opts *o, dt_tracker **out, char *err, size_t errlen)
{
    dt_tracker *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->o = *o;
    if (t->o.interval_ms <= 0)
        t->o.interval_ms = 10000;
    if (!t->o.max_dirs)
        t->o.max_dirs = 1000000;
    if (!t->o.slice_stats)
        t->o.slice_stats = 4096;
    snprintf(t->host_root, sizeof(t->host_root), "%s",
             o->host_root && strcmp(o->host_root, "/") ? o->host_root : "");
    t->fan_fd = -1;
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->stop_lock, NULL);
    pthread_cond_init(&t->stop_cond, NULL);
    t->dents = malloc(DT_DENTS_BUF);
    t->w = du_walker_new();
    if (!t->dents || !t->w) {
        dt_free(t);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->st.mode = "poll";
    if (o->use_fanotify) {
        t->fan_fd =
            fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_NONBLOCK | FAN_CLOEXEC,
                          O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (t->fan_fd >= 0)
            t->st.mode = "fanotify";
        else
            log_info("disk", "fanotify unavailable (%s): directories are polled every %lld ms",
                     strerror(errno), (long long)t->o.interval_ms);
    }
    if (o->engine_size && !o->size_fn) {
        /* not fatal: without it such containers show source "none" */
        char why[256];
        if (dk_client_new(o->docker_host, &t->dk, why, sizeof(why)) < 0)
            log_warn("disk", "no Engine API size fallback for writable layers: %s", why);
    }
    t->pub_st = t->st;
    *out = t;
    return 0;
}

void dt_free(dt_tracker *t)
{
    if (!t)
        return;
    dt_stop(t);
    fdc_clear(t);
    while (t->roots) {
        dt_root *r = t->roots;
        t->roots = r->next;
        node_free_tree(t, r->top);
        free(r->link_inos);
        free(r->path);
        free(r->label);
        free(r);
    }
    for (size_t i = 0; i < t->n_imgs; i++)
        free(t->imgs[i].layers);
    free(t->imgs);
    for (size_t i = 0; i < t->n_layers; i++)
        free(t->layers[i].path);
    free(t->layers);
    free(t->conts);
    free(t->hash);
    free(t->dents);
    free(t->names);
    du_walker_free(t->w);
    dk_client_free(t->dk);
    if (t->fan_fd >= 0)
        close(t->fan_fd);
    for (size_t i = 0; i < t->n_pub; i++)
        free(t->pub[i].vols);
    free(t->pub);
    free(t->pub_img);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_destroy(&t->stop_lock);
    pthread_cond_destroy(&t->stop_cond);
    free(t);
}

/* Copies the Docker side of the store into targets when it changed. */
static void sync_from_store(dt_tracker *t)
{
    store *s = t->store;
    st_lock(s);
    uint64_t sig = s->n * 1000003u;
    for (size_t i = 0; i < s->n; i++)
        sig = sig * 31 + s->v[i]->meta_gen + (uint64_t)s->v[i]->has_meta * 7;
    if (sig == t->store_sig && t->n_conts) {
        st_unlock(s);
        return;
    }
    dt_target *v = calloc(s->n ? s->n : 1, sizeof(*v));
    size_t n = 0, with_meta = 0;
    for (size_t i = 0; i < s->n; i++)
        with_meta += s->v[i]->has_meta;
    /* the Docker watcher fills the store after we start: containers with
     * metadata (or 10 s without any, a host with none) mean we have them */
    if (with_meta || clock_mono_ms() - t->started_ms > 10000)
        t->synced = 1;
    for (size_t i = 0; v && i < s->n; i++) {
        const st_entry *e = s->v[i];
        if (!e->has_meta)
            continue;
        dt_target *g = &v[n++];
        snprintf(g->id, sizeof(g->id), "%s", e->id);
        snprintf(g->upper, sizeof(g->upper), "%s", e->meta.upper_dir);
        snprintf(g->driver, sizeof(g->driver), "%s", e->meta.graph_driver);
        snprintf(g->log_path, sizeof(g->log_path), "%s", e->meta.log_path);
        snprintf(g->image_id, sizeof(g->image_id), "%s", e->meta.image_id);
        snprintf(g->image, sizeof(g->image), "%s", e->meta.image);
        g->lower = e->meta.lower_dir ? strdup(e->meta.lower_dir) : NULL;
        for (size_t k = 0; k < e->meta.n_mounts && g->n_vols < DT_MAX_VOLS; k++) {
            char *const *m = e->meta.mounts + BM_MOUNT_FIELDS * k;
            if (strcmp(m[BM_MOUNT_TYPE], "volume") && strcmp(m[BM_MOUNT_TYPE], "bind"))
                continue;
            snprintf(g->vols[g->n_vols].type, sizeof(g->vols[0].type), "%s", m[BM_MOUNT_TYPE]);
            snprintf(g->vols[g->n_vols].name, sizeof(g->vols[0].name), "%s", m[BM_MOUNT_NAME]);
            snprintf(g->vols[g->n_vols].source, sizeof(g->vols[0].source), "%s",
                     m[BM_MOUNT_SOURCE]);
            g->n_vols++;
        }
    }
    t->store_sig = sig;
    st_unlock(s);
    if (v)
        dt_set_targets(t, v, n);
    for (size_t i = 0; v && i < n; i++)
        free(v[i].lower);
    free(v);
}

static void *dt_main(void *arg)
{
    dt_tracker *t = arg;
    /* below the collector and HTTP workers: a first walk of a big host
     * takes what is left over */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
        log_debug("disk", "setpriority: %s", strerror(errno));
    int64_t next_sync = 0, next_round = 0;
    for (;;) {
        pthread_mutex_lock(&t->stop_lock);
        int stop = t->stop;
        pthread_mutex_unlock(&t->stop_lock);
        if (stop)
            break;
        int64_t now = clock_mono_ms();
        if (now >= next_sync) {
            sync_from_store(t);
            next_sync = now + 1000;
        }
        if (now >= next_round || t->qhead) {
            if (dt_step(t, 0, t->o.slice_stats))
                continue; /* a walk in slices: events and stop between them */
            next_round = now + 1000;
        }
        /* Between rounds only read events (so the kernel's queue never
         * fills): the directories they name wait in the pending list for
         * the next round. At most one round of re-reads per second: a file
         * written continuously costs one scan of its directory per second. */
        int64_t wait = next_round - clock_mono_ms();
        uint64_t ev = t->st.events;
        fan_read(t, (int)(wait < 1 ? 1 : wait > 1000 ? 1000 : wait));
        /* a busy filesystem sends events all the time: read them in batches
         * (at most 5 wake-ups a second; the kernel holds 16384 events, so
         * this keeps up with 80,000 a second) */
        wait = next_round - clock_mono_ms();
        if (t->st.events != ev && wait > 0) {
            struct timespec ts = {0, (wait > 200 ? 200 : wait) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int dt_start(dt_tracker *t, store *s, char *err, size_t errlen)
{
    t->store = s;
    t->started_ms = clock_mono_ms();
    if (pthread_create(&t->thread, NULL, dt_main, t) != 0) {
        snprintf(err, errlen, "cannot start the disk tracker thread");
        return -EAGAIN;
    }
    t->running = 1;
    pthread_setname_np(t->thread, "berth-disk"); /* for perf/strace -p by thread */
    return 0;
}

void dt_stop(dt_tracker *t)
{
    if (!t || !t->running)
        return;
    pthread_mutex_lock(&t->stop_lock);
    t->stop = 1;
    pthread_cond_broadcast(&t->stop_cond);
    pthread_mutex_unlock(&t->stop_lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}

/* ---- readers ---- */

void dt_lock(dt_tracker *t)
{
    pthread_mutex_lock(&t->lock);
}

void dt_unlock(dt_tracker *t)
{
    pthread_mutex_unlock(&t->lock);
}

const dt_ctr *dt_find(const dt_tracker *t, const char *id)
{
    size_t lo = 0, hi = t->n_pub;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->pub[mid].id, id);
        if (c == 0)
            return &t->pub[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const dt_ctr *dt_ctrs(const dt_tracker *t, size_t *n)
{
    *n = t->n_pub;
    return t->pub;
}

const dt_image *dt_images(const dt_tracker *t, size_t *n)
{
    *n = t->n_pub_img;
    return t->pub_img;
}

void dt_get_stats(const dt_tracker *t, dt_stats *st)
{
    *st = t->pub_st;
}
