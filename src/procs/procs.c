/* procs: a container's process table from /proc. See procs.h. */
#include "procs/procs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int pt_parse_stat(const char *buf, size_t len, pt_proc *p)
{
    /* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
     *  cmajflt utime stime cutime cstime priority nice threads itrealvalue
     *  starttime vsize rss ..." */
    const char *open = memchr(buf, '(', len);
    const char *close = NULL;
    for (const char *q = buf + len; q > buf; q--) {
        if (q[-1] == ')') {
            close = q - 1;
            break;
        }
    }
    if (!open || !close || close < open)
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    long long pid = 0;
    for (const char *q = buf; q < open; q++) {
        if (*q >= '0' && *q <= '9' && pid < 1000000000)
            pid = pid * 10 + (*q - '0');
    }
    p->pid = (int)pid;
    size_t cl = (size_t)(close - open - 1);
    if (cl >= PT_COMM_MAX)
        cl = PT_COMM_MAX - 1;
    memcpy(p->comm, open + 1, cl);
    p->comm[cl] = '\0';
    /* fields after ')': index 0 = state (field 3 of stat) */
    const char *q = close + 1, *end = buf + len;
    unsigned long long f[22] = {0};
    int k = 0;
    while (q < end && k < 22) {
        while (q < end && *q == ' ')
            q++;
        if (q >= end)
            break;
        if (k == 0) {
            p->state = *q;
        } else {
            unsigned long long v = 0;
            int neg = *q == '-';
            if (neg)
                q++;
            while (q < end && *q >= '0' && *q <= '9') {
                if (v < 1844674407370955161ull)
                    v = v * 10 + (unsigned long long)(*q - '0');
                q++;
            }
            f[k] = neg ? 0 : v;
        }
        while (q < end && *q != ' ')
            q++;
        k++;
    }
    if (k < 22)
        return -EINVAL;
    /* after ')': 0 state, 1 ppid, 11 utime, 12 stime, 17 num_threads,
     * 19 starttime, 21 rss (pages) */
    p->ppid = (int)f[1];
    p->utime_ticks = f[11];
    p->stime_ticks = f[12];
    p->threads = f[17];
    p->start_ticks = f[19];
    long page = sysconf(_SC_PAGESIZE);
    p->rss_bytes = f[21] * (uint64_t)(page > 0 ? page : 4096);
    return 0;
}

static long rd(const char *path, char *dst, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, dst, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    dst[n] = '\0';
    return (long)n;
}

int pt_read(const char *host_root, int pid, pt_proc *p)
{
    char path[512], b[4096];
    const char *root = host_root ? host_root : "";
    snprintf(path, sizeof(path), "%s/proc/%d/stat", root, pid);
    long n = rd(path, b, sizeof(b));
    if (n <= 0)
        return n < 0 ? (int)n : -ENOENT;
    if (pt_parse_stat(b, (size_t)n, p) < 0)
        return -EINVAL;
    snprintf(path, sizeof(path), "%s/proc/%d/status", root, pid);
    if ((n = rd(path, b, sizeof(b))) > 0) {
        const char *u = strstr(b, "\nUid:");
        unsigned real, eff;
        if (u && sscanf(u + 5, "%u %u", &real, &eff) == 2)
            p->uid = eff;
    }
    snprintf(path, sizeof(path), "%s/proc/%d/cmdline", root, pid);
    if ((n = rd(path, b, sizeof(b))) > 0) {
        size_t m = (size_t)n;
        while (m > 0 && b[m - 1] == '\0')
            m--;
        for (size_t i = 0; i < m; i++)
            if (b[i] == '\0' || b[i] == '\n')
                b[i] = ' ';
        snprintf(p->cmdline, sizeof(p->cmdline), "%.*s", (int)m, b);
    }
    if (!p->cmdline[0])
        snprintf(p->cmdline, sizeof(p->cmdline), "[%s]", p->comm);
    return 0;
}
