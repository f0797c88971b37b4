/*
 * du: exact disk usage of one directory tree, the figures of
 * `du -s -B1 -x DIR` (GNU coreutils), computed in-process.
 *
 * berth reports per-container disk usage (writable layer, volumes, logs) and
 * wants it current, so the walk must cost no more than du itself: one
 * fstatat() per entry (the floor, since st_blocks is needed for every entry),
 * plus openat() and getdents64() per directory, nothing else.
 *
 * Semantics (all matched exactly against GNU du 9.1, see tests/unit/test_du.c):
 *   - symlinks are never followed (fstatat AT_SYMLINK_NOFOLLOW, openat
 *     O_NOFOLLOW|O_DIRECTORY); a root that is a symlink counts as one entry;
 *   - an entry whose st_dev differs from root's is excluded entirely, like
 *     du -x: a mount point inside the tree counts for nothing, not even its
 *     own directory inode (find -xdev would list it, du does not);
 *   - a non-directory with st_nlink > 1 is counted once per (st_dev, st_ino)
 *     per walker until du_walker_reset(); later names of it count nowhere,
 *     not even in files/others (so files counts inodes, not names);
 *   - a directory that can be stat'ed but not opened or read is counted (its
 *     own size) and adds one to errors, like du's "cannot read directory";
 *     an entry that cannot be stat'ed (vanished, EACCES on the parent) adds
 *     one to errors and nothing else.
 *
 * Threads: a walker is used by one thread at a time; separate walkers are
 * independent.
 */
#ifndef BERTH_DISK_DU_H
#define BERTH_DISK_DU_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bound on the directory descriptors one walk holds open: root plus the
 * deepest DU_MAX_OPEN_FDS - 1 directories of the current path. Deeper
 * ancestors are closed (their entries are already in memory) and reopened
 * with openat() from the nearest open ancestor, checked by (dev, ino), when
 * the walk returns to them.
 */
#define DU_MAX_OPEN_FDS 32

typedef struct du_totals {
    uint64_t alloc_bytes;    /* st_blocks * 512, each inode once (hard links): du -s -B1 -x */
    uint64_t apparent_bytes; /* st_size of every counted entry, directories included:
                                exactly du -s -b -x (coreutils 9.1) */
    uint64_t files;          /* regular files (inodes, not names) */
    uint64_t dirs;           /* directories, root included */
    uint64_t others;         /* symlinks, fifos, sockets, devices */
    uint64_t errors;         /* entries that could not be stat'ed or directories not read */
} du_totals;

/* Reusable state: the hard-link set and the directory stack with its buffers. */
typedef struct du_walker du_walker;

/* Returns a walker the caller frees with du_walker_free(), or NULL (ENOMEM). */
du_walker *du_walker_new(void);
void du_walker_free(du_walker *w);

/*
 * Walks root (borrowed) and fills *out (zeroed first). Iterative: any depth
 * works; at most DU_MAX_OPEN_FDS descriptors are open at once. Hard links
 * already seen by this walker (in earlier walks too) are not counted again.
 * Returns 0, or a negative errno when root itself cannot be stat'ed or (a
 * directory) opened; -ENOMEM when memory runs out mid-walk (*out then holds
 * what was counted so far). Errors below root are counted in out->errors.
 */
int du_walk(du_walker *w, const char *root, du_totals *out);

/* Reads every name in directory fd except "." and ".." into *names
 * (packed, each NUL-terminated; grown with realloc, *cap its size), *len
 * the bytes used. dents is getdents64 scratch of dents_len bytes. Returns 0,
 * -ENOMEM, or another negative errno (the names read so far are kept). */
int du_read_names(int fd, char *dents, size_t dents_len, char **names, size_t *cap, size_t *len);

/* Forgets the hard links seen so far (keeps the memory for reuse). */
void du_walker_reset(du_walker *w);

#endif
