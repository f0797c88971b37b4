/*
 * tracker: per-container disk usage kept current in the background (dt_*).
 *
 * What it tracks, per container: the writable layer (overlay2's upper
 * directory), every volume and bind mount (one tracked tree per host path,
 * however many containers use it; shared ones are marked), and the log files
 * (json-file <id>-json.log with its rotations, the local driver's
 * local-logs/). Figures are du -s -B1 -x's (allocated bytes, hard links once
 * per tree, no other filesystems, symlinks never followed), apparent bytes
 * and regular-file counts.
 *
 * How (see ARCHITECTURE.md "Disk"): every tracked tree is held in memory as
 * one node per directory with the sums of its own inode and its
 * non-directory entries. The first walk fills the nodes (in bounded slices);
 * after that only directories known to have changed are re-read:
 *   - fanotify mode (root, Linux >= 5.9): one FAN_MARK_FILESYSTEM mark per
 *     filesystem reports create/delete/move/modify with the parent
 *     directory's file handle; the handle is looked up in a hash of the
 *     nodes' handles (no syscall) and that directory alone is re-read.
 *     Writes made by containers through overlayfs land in the upper
 *     directory as ordinary VFS operations, so they are reported (checked on
 *     Linux 6.18). A queue overflow re-reads everything.
 *   - poll mode (no fanotify, or a filesystem that refuses the mark): each
 *     interval every tracked directory is stat'ed and the ones whose mtime or
 *     ctime moved are re-read. Files that grow in place without a directory
 *     change are seen at the next verification walk.
 * Every tree is re-walked fully every verify interval as a safety net
 * (mmap writes make no fanotify event).
 *
 * Where the containers come from is not the tracker's business: a test or
 * berth df calls dt_set_targets, the agent's thread a dt_sync_fn
 * (agent/disksync.c, from the store); the Engine API size of a writable
 * layer comes in through dt_opts.size_fn. disk/ includes neither the store
 * nor the Docker client.
 *
 * Files: tracker.c (this interface, targets, publish, the thread), tree.c,
 * watch.c, dlogs.c, images.c; their shared types are in dt_int.h.
 *
 * Threads: dt_start runs one thread (nice 10) that owns every tree; readers
 * take dt_lock and read the published figures (a snapshot swapped in whole),
 * so a render never waits for a walk. Lock order: store lock, then dt_lock.
 *
 * Memory: per tracked directory one dt_node (about 150 bytes plus its name
 * and 8 bytes per subdirectory), plus 24 bytes per hard-linked file; per
 * container one dt_ctr in the snapshot. Bound: max_dirs nodes in all; past
 * it a new directory's subtree is summed with a full walk at every re-read
 * of its parent instead of being tracked node by node (counted in stats).
 */
#ifndef BERTH_DISK_TRACKER_H
#define BERTH_DISK_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#define DT_MAX_VOLS 16

typedef struct dt_figs {
    uint64_t alloc;    /* du -B1 */
    uint64_t apparent; /* du -b */
    uint64_t files;    /* regular files */
} dt_figs;

/* A volume or bind mount as published. */
typedef struct dt_vol {
    char type[8]; /* "volume" or "bind" */
    char name[128];
    char source[256];
    int shared; /* used by more than one container */
    int ready;
    dt_figs f;
} dt_vol;

/* One container's figures as published. */
typedef struct dt_ctr {
    char id[65];
    int ready; /* every tree walked at least once */
    /* where the writable figure comes from: "overlay2-upper" (du of the
     * upper directory), "engine-api" (the engine's SizeRw, for storage
     * drivers without an upper directory: apparent-size-like as Docker
     * computes it, not du's blocks, so alloc == apparent and files is 0,
     * unknown) or "none" (no figure yet, or no way to get one) */
    char source[24];
    dt_figs writable;         /* zero when source is "none" */
    int writable_files_known; /* 0 for "engine-api" and "none" */
    dt_figs logs;             /* log files, rotated ones included */
    dt_vol *vols;             /* owned */
    size_t n_vols;
    uint64_t volumes_alloc, volumes_apparent; /* sums over this container's volumes */
    uint64_t total_alloc; /* writable + volumes + logs (shared volumes in full) */
    double growth_bps;    /* total_alloc change per second over about the last minute */
    int64_t updated_ms;   /* wall time of the last change of any figure */
} dt_ctr;

/* An image's layers (overlay2 lower directories), walked once (read-only). */
typedef struct dt_image {
    char id[80];
    char name[256];
    int ready;
    unsigned layers;
    dt_figs f;
} dt_image;

typedef struct dt_stats {
    const char *mode; /* "fanotify", "poll" */
    uint64_t roots, dirs;
    uint64_t events, events_matched, overflows;
    uint64_t rescans;      /* directory re-reads after the first walk */
    uint64_t stats;        /* fstatat calls, all walks included */
    uint64_t rescan_stats; /* of which re-reads of trees already walked (changes) */
    uint64_t full_walks;   /* trees walked in full (first walk, verification, overflow) */
    uint64_t errors;       /* entries not stat'ed or directories not read */
    uint64_t untracked;    /* directories summed by walk past max_dirs */
    double cpu_seconds;    /* tracker thread CPU time */
    int first_walk_done;   /* every tree known at start walked once (stays 1) */
    /* images: distinct layers once */
    uint64_t images_alloc, images_apparent, images_files;
} dt_stats;

/* What the tracker is asked to follow, one per container (from the store's
 * Docker metadata, or built by a test). */
typedef struct dt_target {
    char id[65];
    char upper[256]; /* writable layer directory, "" if none */
    char driver[16];
    char log_path[256]; /* json-file log; "" = /var/lib/docker/containers/<id>/<id>-json.log */
    char image_id[80];
    char image[256];
    char *lower; /* owned or NULL: overlay2 LowerDir (':'-separated) */
    size_t n_vols;
    struct {
        char type[8], name[128], source[256];
    } vols[DT_MAX_VOLS];
} dt_target;

/* Asks for a container's writable layer size (SizeRw) when it has no upper
 * directory; returns 0 and fills *size_rw, or a negative errno. disk/ makes
 * no Engine API call itself: engine_size without a size_fn means no
 * fallback. The agent's comes from agent/disksync.c (which opens its
 * client on docker_host), berth df's from cmd/df.c, the tests' are fakes. */
typedef int (*dt_size_fn)(void *arg, const char *id, int64_t *size_rw);

/* The tracker's options; the keys are dt_opt_table's rows (disk/dt_opt.c),
 * which are also their only defaults: opt_defaults(&dt_opt_table, &o) on a
 * zeroed struct. host_root, docker_host and engine_size are the engine's
 * keys, handed on by whoever starts the tracker. */
typedef struct dt_opts {
    int enabled;           /* the "disk" key: the agent runs the tracker at all (not read here) */
    int64_t interval_ms;   /* logs poll, poll-mode check, publish (default 10 s) */
    int64_t verify_ms;     /* full re-walk of each tree (default 1 h, 0 = never) */
    int use_fanotify;      /* 1: try fanotify, else poll mode */
    uint64_t max_dirs;     /* node bound (default 1,000,000) */
    uint32_t slice_stats;  /* fstatat calls per slice between event checks (0: 4096) */
    const char *host_root; /* prefix for paths ("" or NULL: /) */
    /* Engine API fallback for writable layers without an upper directory
     * (storage drivers other than overlay2): GET /containers/{id}/json?size=1
     * makes the engine walk the layer, so at most one such request is made
     * per interval (round-robin over those containers) and each container is
     * asked again only after verify_ms (0: once). The request runs on the
     * tracker thread without dt_lock held. */
    int engine_size;         /* 1: use the fallback (default 0) */
    const char *docker_host; /* for the tracker's own dk_client; NULL: $DOCKER_HOST or default */
    dt_size_fn size_fn;      /* tests: replaces the Engine API call */
    void *size_arg;
} dt_opts;

typedef struct dt_tracker dt_tracker;

/* Brings the targets (dt_start's thread calls it once a second): calls
 * dt_set_targets when the containers changed, and returns 1 once the list
 * is known to be the real one (before, a first walk of nothing is not
 * "done"), else 0. The agent's is agent/disksync.c (from the store's Docker
 * metadata); the tracker knows nothing of where the list comes from. */
typedef int (*dt_sync_fn)(dt_tracker *t, void *arg);

struct opt_table; /* util/opt.h */
extern const struct opt_table dt_opt_table;
int dt_new(const dt_opts *o, dt_tracker **out, char *err, size_t errlen);
void dt_free(dt_tracker *t);

/* Replaces the set of followed containers (the targets are copied; lower
 * strings are borrowed for the call). Trees no container uses any more are
 * dropped. Tracker thread or single-threaded tests only. */
int dt_set_targets(dt_tracker *t, const dt_target *v, size_t n);

/* One pass of work on the calling thread: read pending events (waiting up to
 * wait_ms for the first), re-read changed directories and walk new trees
 * until the queue is empty or budget fstatat calls were made (0: no
 * bound), poll logs and poll-mode trees when due, publish. Returns the number
 * of directories still queued. */
size_t dt_step(dt_tracker *t, int wait_ms, uint64_t budget);

/* A one-shot run (berth df without an agent): dt_step until nothing is
 * queued, then the size hook asked once for every container without an
 * upper directory (dt_step asks one per interval), then publish. Calling
 * thread; no dt_start. */
void dt_settle(dt_tracker *t);

/* Starts the thread, which calls sync(t, arg) once a second (see
 * dt_sync_fn). */
int dt_start(dt_tracker *t, dt_sync_fn sync, void *arg, char *err, size_t errlen);
void dt_stop(dt_tracker *t);

/* Readers: hold the lock while using what the getters return. */
void dt_lock(dt_tracker *t);
void dt_unlock(dt_tracker *t);
const dt_ctr *dt_find(const dt_tracker *t, const char *id);
const dt_ctr *dt_ctrs(const dt_tracker *t, size_t *n);
const dt_image *dt_images(const dt_tracker *t, size_t *n);
void dt_get_stats(const dt_tracker *t, dt_stats *st);

#endif
