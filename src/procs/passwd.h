/*
 * passwd: user names as a container sees them. A process in a container
 * runs as a uid; its name is in the container's own /etc/passwd (the
 * image's, plus whatever the container wrote there), not the host's: uid
 * 101 is "nginx" in one image, "systemd-journal" on the host and
 * "messagebus" in another image. berth reads the container's file through
 * /proc/<pid>/root/etc/passwd of one of its processes, with symlinks
 * resolved inside the container's root (openat2 RESOLVE_IN_ROOT), so a
 * container cannot point berth at a host file.
 *
 * Two layers:
 *   - a pure parser of passwd text (pw_parse_line, pw_parse): unit tested
 *     and fuzzed (fuzz/fuzz_procs.c);
 *   - a cache (pw_cache) of parsed files, one per container, re-read only
 *     when the file changes (its inode, size or mtime, one fstatat per
 *     lookup) or the container restarts (its process is another one), so a
 *     services pass over hundreds of containers reads no passwd file at all
 *     in the steady state.
 *
 * Bounds: PW_FILE_MAX bytes are read of a file, PW_MAX_USERS entries kept
 * per container, PW_CACHE_MAX containers cached (the least recently used is
 * evicted). When a name cannot be found (no such uid, no file, the process
 * is gone) the caller shows the decimal uid.
 */
#ifndef BERTH_PASSWD_H
#define BERTH_PASSWD_H

#include <stddef.h>
#include <stdint.h>

#define PW_NAME_MAX  33 /* 32 characters (useradd's limit) + NUL */
#define PW_FILE_MAX  (1024 * 1024)
#define PW_MAX_USERS 8192
#define PW_CACHE_MAX 4096

typedef struct pw_entry {
    unsigned uid;
    char name[PW_NAME_MAX]; /* printable ASCII; other bytes shown as '?' */
} pw_entry;

/*
 * Parses one passwd line "name:password:uid:gid:gecos:home:shell" (without
 * its newline). Returns 0 with e filled, or -EINVAL: fewer than 3 fields, an
 * empty name, a name longer than PW_NAME_MAX - 1, a uid that is not a
 * decimal number below 2^32, NIS lines ("+", "-", "+name"), comments.
 */
int pw_parse_line(const char *line, size_t len, pw_entry *e);

/* Parses a whole file; fills up to max entries in file order (malformed
 * lines skipped) and returns how many. */
size_t pw_parse(const char *buf, size_t len, pw_entry *out, size_t max);

/* The first entry of e[0..n) with this uid (as getpwuid answers), or NULL. */
const pw_entry *pw_find(const pw_entry *e, size_t n, unsigned uid);

typedef struct pw_cache pw_cache;

pw_cache *pw_cache_new(void);
void pw_cache_free(pw_cache *c);

/*
 * Writes the name of uid in the container identified by key (its id) into
 * name (cap bytes), reading the container's passwd through process pid
 * (host_root: "" or the host's / when berth runs in a container). Returns
 * 0 when found, else -ENOENT (uid not listed, no readable file, process
 * gone) with name set to the decimal uid. Not thread-safe: one cache per
 * thread.
 */
int pw_cache_name(pw_cache *c, const char *host_root, const char *key, int pid, unsigned uid,
                  char *name, size_t cap);

/* Reads <host_root>/proc/<pid>/root/etc/passwd with symlinks resolved in
 * the container's root, up to PW_FILE_MAX bytes, into a malloc'd buffer
 * (*out, NUL-terminated, *len bytes; the caller frees it); the file's
 * identity (device, inode, size, mtime in ns) in ident. Returns 0 or a
 * negative errno (-EINVAL when it is not a regular file). */
int pw_read_container(const char *host_root, int pid, char **out, size_t *len, uint64_t ident[4]);

#endif
