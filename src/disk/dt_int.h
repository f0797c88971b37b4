/*
 * dt_int: the disk tracker's private types, shared by its files and by
 * nothing else (the interface is tracker.h):
 *   tree.c     the trees: handle hash, work queue, descriptor cache, nodes,
 *              the re-read of one directory (dt_scan) and the sums
 *   watch.c    change detection, two back ends that only report (below)
 *   dlogs.c    container log files
 *   images.c   image layers
 *   tracker.c  targets, publish, the step, the thread and the readers
 * Everything here runs on the tracker's working thread (or a
 * single-threaded test) except what tracker.c touches under t->lock.
 * The types come first and the files call one another only through the
 * prototypes below, so the split makes no circle between them.
 */
#ifndef BERTH_DISK_DT_INT_H
#define BERTH_DISK_DT_INT_H

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "disk/du.h"
#include "disk/tracker.h"

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
    int watched; /* fanotify covers it (else the poll back end checks it) */
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
    size_t eng_rr; /* round-robin position over containers without an upper dir */
    dt_stats st;   /* working copy */
    /* thread */
    pthread_t thread;
    int running, stop;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    dt_sync_fn sync; /* dt_start's: brings the targets, once a second */
    void *sync_arg;
    int synced; /* targets came from Docker (or tests set them) */
    /* published, under lock */
    pthread_mutex_t lock;
    dt_ctr *pub;
    size_t n_pub;
    dt_image *pub_img;
    size_t n_pub_img;
    dt_stats pub_st;
};

/* ---- tree.c ---- */

/* The explicit stack of the depth-first passes over a tree (trees may be
 * deep: no recursion). Freed by the caller (free(s.v)). */
typedef struct dt_stack {
    dt_node **v;
    size_t n, cap;
} dt_stack;
/* -ENOMEM leaves the stack as it was. */
int dt_stack_push(dt_stack *s, dt_node *n);
static inline dt_node *dt_stack_pop(dt_stack *s)
{
    return s->n ? s->v[--s->n] : NULL;
}

/* handle hash: fanotify directory handles -> nodes */
void dt_hash_add(dt_tracker *t, dt_node *n);
void dt_hash_del(dt_tracker *t, dt_node *n);
dt_node *dt_hash_find(dt_tracker *t, uint64_t fsid, int32_t type, const unsigned char *fh,
                      size_t len);
/* pending list (queued == 2): named by an event, moved to the work queue
 * at the next round */
void dt_p_push(dt_tracker *t, dt_node *n);
void dt_p_del(dt_tracker *t, dt_node *n);
/* work queue (queued == 1); front: depth first */
void dt_q_push(dt_tracker *t, dt_node *n, int front);
void dt_fdc_clear(dt_tracker *t);
void dt_node_free_tree(dt_tracker *t, dt_node *top);
int dt_node_path(const dt_node *n, char *out, size_t cap);
int dt_names_load(dt_tracker *t, int fd, size_t *len);
/* Re-reads one directory. Returns the fstatat calls made. */
uint64_t dt_scan(dt_tracker *t, dt_node *n);
void dt_root_sum(dt_tracker *t, dt_root *r);
void dt_root_queue_all(dt_tracker *t, dt_root *r);
/* (Re)starts a tree: stat its top, mark it for events, queue its top. */
void dt_root_start(dt_tracker *t, dt_root *r);
dt_root *dt_root_get(dt_tracker *t, const char *path);
void dt_roots_gc(dt_tracker *t);
void dt_roots_free(dt_tracker *t);
/* A bind of a single file: one lstat, figures updated in place. */
void dt_root_stat_file(dt_tracker *t, dt_root *r);

/* ---- watch.c: change detection ----
 *
 * Two back ends behind these few calls, as Redis's ae.c hides epoll and
 * kqueue behind aeApiPoll. Both only REPORT: a changed directory goes on
 * the pending list (fanotify) or the work queue (poll), a tree that came
 * back is returned to the caller; neither starts, resets nor sums a tree
 * (tracker.c's step does, so the detectors never call back into tree.c's
 * lifecycle).
 *   fanotify  dt_watch_open at dt_new (when dt_opts.use_fanotify and the
 *             kernel allows it: root, Linux >= 5.9), dt_watch_root per
 *             tree (one filesystem mark), dt_watch_node per scanned
 *             directory (its handle into the hash), dt_watch_read
 *   poll      dt_poll_root, every interval, for each tree not watched
 * How the back end is chosen, per tree: fanotify when dt_watch_open got a
 * descriptor and the tree's filesystem took the mark and gives handles of
 * at most DT_FH_MAX bytes (r->watched); otherwise that tree is polled.
 * After a fanotify queue overflow every tree is polled once. */
void dt_watch_open(dt_tracker *t);
void dt_watch_close(dt_tracker *t);
void dt_watch_root(dt_tracker *t, dt_root *r);
void dt_watch_node(dt_tracker *t, dt_node *n, int fd);
void dt_watch_read(dt_tracker *t, int wait_ms);
/* Returns 1 when r, gone, has a top again (the caller starts it again);
 * else queues r's directories whose mtime or ctime moved and returns 0. */
int dt_poll_root(dt_tracker *t, dt_root *r);

/* ---- dlogs.c ---- */
void dt_logs_poll(dt_tracker *t, dt_cont *c);

/* ---- images.c ---- */
void dt_image_note(dt_tracker *t, const dt_target *tg);
/* Walks layers not walked yet (read-only: once). Returns fstatat calls. */
uint64_t dt_layers_walk(dt_tracker *t, uint64_t budget);
void dt_layers_gc(dt_tracker *t);
void dt_images_free(dt_tracker *t);

#endif
