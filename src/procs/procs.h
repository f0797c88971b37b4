/*
 * procs: the process table of one container, read from the kernel: its pids
 * from the cgroup's cgroup.procs, each process's /proc/<pid>/stat, status
 * and cmdline. Nothing runs inside the container, so `berth ps NAME` works
 * for images without ps (or without a shell).
 *
 * The parser is pure and fuzzed; the reader tolerates processes exiting
 * between the pid list and their files (they are skipped).
 */
#ifndef BERTH_PROCS_H
#define BERTH_PROCS_H

#include <stddef.h>
#include <stdint.h>

#define PT_COMM_MAX 16
#define PT_CMD_MAX  256

typedef struct pt_proc {
    int pid, ppid;
    char state; /* R, S, D, Z... */
    char comm[PT_COMM_MAX];
    char cmdline[PT_CMD_MAX]; /* arguments joined by spaces; [comm] for kernel-less/zombies */
    unsigned uid;             /* effective uid */
    uint64_t utime_ticks, stime_ticks; /* USER_HZ */
    uint64_t start_ticks;              /* since boot */
    uint64_t rss_bytes;
    uint64_t threads;
} pt_proc;

/* Parses /proc/<pid>/stat. comm may hold spaces and parentheses: it ends at
 * the last ')'. Returns 0 or -EINVAL. */
int pt_parse_stat(const char *buf, size_t len, pt_proc *p);

/* Reads one process under host_root ("" on the host). Returns 0, or -ENOENT
 * when it exited. */
int pt_read(const char *host_root, int pid, pt_proc *p);

#endif
