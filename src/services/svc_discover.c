/*
 * svc_discover: which services listen in one container, and which process
 * owns each (see svc.h).
 *
 * Why netlink first: every read of /proc/<pid>/net/tcp or tcp6 walks every
 * bucket of the kernel's global TCP established hash (sized by RAM: about
 * 6 ms of CPU per container on a 24 GiB host), although only listeners are
 * wanted. A NETLINK_SOCK_DIAG dump with idiag_states = TCP_LISTEN walks only
 * the listening hash (what ss -ltn does). A netlink socket lists the
 * sockets of the namespace it was created in, so it is created by a
 * short-lived thread inside the container's namespace (ns_run), which
 * also runs the four dumps (tcp, tcp6, udp, udp6) and exits: nothing runs in
 * the container and no agent thread changes namespace.
 *
 * Why /proc as fallback: /proc/<pid>/net/tcp is rendered for the network
 * namespace of <pid>, so reading it through any process of the container
 * gives the container's sockets without setns() (no CAP_SYS_ADMIN needed),
 * and it works on kernels without udp_diag. Both sources fill the same
 * svc_listener fields the same way; everything after (owners, sorting,
 * de-duplication, the host rule) is shared.
 *
 * The owner of a socket is found the way ss -p and lsof do it:
 * /proc/<p>/fd/N links to "socket:[INODE]" for the socket's inode, which is
 * also the table's inode column and the dump's idiag_inode.
 *
 * Cost per discovery (the agent runs it every 10 s per container): one
 * thread and four dumps of at most SVC_NET_FILE_MAX bytes each (or four
 * table reads of that bound), then one readlink per descriptor of the
 * container's processes until every listener has an owner or
 * SVC_FD_SCAN_MAX descriptors were read. Memory: one SVC_MAX_SOCKETS array
 * of listeners (about 100 KiB), one 32 KiB netlink receive buffer or one
 * read buffer, freed on return.
 *
 * What is not the container's own is left out: in the host's namespace
 * (--network host) every listener no container process owns, and anywhere
 * an unowned listener on 127.0.0.11 (Docker's embedded DNS, see DOCKER_DNS).
 *
 * Processes come and go during a scan: a pid that vanished between
 * cgroup.procs and here is skipped; if the namespace process vanishes while
 * its tables are read, the next pid is used and the scan restarts.
 */
#include "services/svc.h"
#include "ns/ns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"

#define MOD "services"

/* Docker's embedded DNS server for user-defined networks listens on this
 * address (TCP and UDP, random ports) inside every such container, through
 * sockets dockerd holds from outside the container: not a service of the
 * container, and a new port at every start. Dropped when no process of the
 * container owns it. */
#define DOCKER_DNS "127.0.0.11"

int svc_read_pids(const char *path, int *pids, size_t max)
{
    buf b = BUF_INIT;
    /* pids have at most 7 digits (pid_max 4194304), plus a newline */
    long r = buf_read_file(&b, path, max * 12 + 16);
    int rc = (int)r;
    if (r < 0)
        goto out;
    rc = (int)svc_parse_pids(b.data, b.len, pids, max);
out:
    buf_free(&b);
    return rc;
}

static const struct {
    const char *name;
    int proto, v6;
} tables[] = {
    {"tcp", SVC_TCP, 0},
    {"tcp6", SVC_TCP, 1},
    {"udp", SVC_UDP, 0},
    {"udp6", SVC_UDP, 1},
};

static int pid_alive(const char *root, int pid)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/proc/%d", root, pid);
    return stat(path, &st) == 0;
}

/* Reads the four tables of pid into raw[]. Returns 0, -ESRCH when the
 * process vanished (try another), or another negative errno. A missing
 * tcp6/udp6 (kernel without IPv6) is not an error. */
static int read_tables(const char *root, int pid, buf *b, svc_listener *raw, size_t *nraw)
{
    char path[512];

    *nraw = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        snprintf(path, sizeof(path), "%s/proc/%d/net/%s", root, pid, tables[t].name);
        long r = buf_read_file(b, path, SVC_NET_FILE_MAX);
        if (r < 0) {
            if (r != -ENOENT && r != -ESRCH)
                return (int)r;
            if (t == 0 || !pid_alive(root, pid))
                return -ESRCH;
            continue; /* the process is there: no IPv6 in this kernel */
        }
        if ((size_t)r >= SVC_NET_FILE_MAX)
            log_debug(MOD, "pid %d: net/%s longer than %d bytes, rest ignored", pid, tables[t].name,
                      SVC_NET_FILE_MAX);
        *nraw += svc_parse_proc_net(b->data, b->len, tables[t].proto, tables[t].v6, raw + *nraw,
                                    SVC_MAX_SOCKETS - *nraw);
    }
    return 0;
}

/* ---- netlink (sock_diag) ------------------------------------------------- */

#define NL_RECV_MAX (32 * 1024) /* the kernel fills dump replies up to 32 KiB */

/* What the namespace thread fills. */
typedef struct nl_job {
    int pid;
    svc_listener *raw;
    size_t nraw;
    char *rbuf;
    int ran; /* the thread got into the namespace */
} nl_job;

/* One SOCK_DIAG_BY_FAMILY dump on a fresh socket (so that a dump cut short
 * at the bounds leaves nothing pending for the next one), appended to
 * raw[]. Runs inside the namespace. Returns 0 or a negative errno. */
static int nl_dump(nl_job *j, int family, int proto)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    struct sockaddr_nl sa;
    size_t total = 0;
    int rc = 0;

    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -errno;
    /* a dump is answered at once; never hang a discovery on it */
    struct timeval tv = {2, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&req, 0, sizeof(req));
    req.nlh.nlmsg_len = sizeof(req);
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = 1;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = proto == SVC_TCP ? IPPROTO_TCP : IPPROTO_UDP;
    /* TCP: the listening hash only; UDP: unconnected (TCP_CLOSE) sockets */
    req.r.idiag_states = proto == SVC_TCP ? 1u << 10 : 1u << 7;
    memset(&sa, 0, sizeof(sa));
    sa.nl_family = AF_NETLINK;
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        goto out;
    }
    for (;;) {
        struct iovec iov = {j->rbuf, NL_RECV_MAX};
        struct msghdr mh;
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        ssize_t k = recvmsg(fd, &mh, 0);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto out;
        }
        if (mh.msg_flags & MSG_TRUNC) {
            rc = -EMSGSIZE;
            goto out;
        }
        size_t got = 0;
        int r = svc_parse_diag(j->rbuf, (size_t)k, proto, j->raw + j->nraw,
                               SVC_MAX_SOCKETS - j->nraw, &got);
        j->nraw += got;
        if (r < 0) {
            rc = r;
            goto out;
        }
        if (r == 1)
            break;
        if (k == 0) {
            rc = -EIO; /* no end of dump: do not trust a partial list */
            goto out;
        }
        total += (size_t)k;
        if (total >= SVC_NET_FILE_MAX || j->nraw >= SVC_MAX_SOCKETS) {
            log_debug(MOD,
                      "pid %d: sock_diag dump longer than %d bytes or %d sockets, rest ignored",
                      j->pid, SVC_NET_FILE_MAX, SVC_MAX_SOCKETS);
            break;
        }
    }
out:
    close(fd);
    return rc;
}

/* ns_run callback: the four dumps, inside the namespace. */
static int nl_dump_all(void *arg)
{
    static const struct {
        int family, proto;
    } dumps[] = {
        {AF_INET, SVC_TCP},
        {AF_INET6, SVC_TCP},
        {AF_INET, SVC_UDP},
        {AF_INET6, SVC_UDP},
    };
    nl_job *j = arg;
    j->ran = 1;
    for (size_t d = 0; d < sizeof(dumps) / sizeof(dumps[0]); d++) {
        int r = nl_dump(j, dumps[d].family, dumps[d].proto);
        /* a kernel without IPv6 has no AF_INET6 sockets to list */
        if (r == -EAFNOSUPPORT && dumps[d].family == AF_INET6)
            continue;
        if (r < 0)
            return r;
    }
    return 0;
}

/* The listening sockets of pid's namespace through sock_diag, into raw[].
 * Returns 0, -ESRCH when the process vanished (its ns/net is gone), or
 * another negative errno (the caller falls back to the tables). */
static int read_netlink(const char *root, int pid, svc_listener *raw, size_t *nraw)
{
    nl_job j = {.pid = pid, .raw = raw, .nraw = 0, .rbuf = malloc(NL_RECV_MAX), .ran = 0};
    *nraw = 0;
    if (!j.rbuf)
        return -ENOMEM;
    int rc = ns_run(pid, root, nl_dump_all, &j, NULL, 0);
    free(j.rbuf);
    if (rc == 0)
        *nraw = j.nraw;
    else if (rc == -ENOENT && !j.ran)
        rc = -ESRCH; /* <root>/proc/<pid>/ns/net missing, not a dump error */
    return rc;
}

/* Says once per process why discovery reads /proc instead of netlink (the
 * only state kept across calls; the fallback itself is decided per call). */
static void log_fallback_once(int pid, int err)
{
    static atomic_int said;
    char tmp[80];
    if (atomic_exchange(&said, 1) == 0)
        log_debug(MOD, "pid %d: sock_diag unavailable (%s), reading /proc/<pid>/net instead", pid,
                  strerror_r(-err, tmp, sizeof(tmp)));
}

/* 1 when pid's network namespace is the host's (that of <root>/proc/1). */
static int in_host_netns(const char *root, int pid)
{
    char path[512];
    struct stat a, h;
    snprintf(path, sizeof(path), "%s/proc/%d/ns/net", root, pid);
    if (stat(path, &a) != 0)
        return 0;
    snprintf(path, sizeof(path), "%s/proc/1/ns/net", root);
    /* init's namespace; when init is not ours to inspect (a sandboxed host)
     * berth's own, which on the host is the same (as cg_layout_detect) */
    if (stat(path, &h) != 0 && (root[0] || stat("/proc/self/ns/net", &h) != 0))
        return 0;
    return a.st_ino == h.st_ino && a.st_dev == h.st_dev;
}

/* Inode index: raw[] positions sorted by inode, for bsearch from fd links. */
typedef struct ino_ix {
    uint64_t inode;
    size_t at;
} ino_ix;

static int cmp_ino(const void *a, const void *b)
{
    const ino_ix *x = a, *y = b;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Parses "socket:[123]"; returns 1 and the inode. */
static int socket_inode(const char *s, uint64_t *ino)
{
    static const char pre[] = "socket:[";
    if (strncmp(s, pre, sizeof(pre) - 1) != 0)
        return 0;
    s += sizeof(pre) - 1;
    uint64_t v = 0;
    const char *d = s;
    while (*s >= '0' && *s <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
    }
    if (s == d || s[0] != ']' || s[1] != '\0')
        return 0;
    *ino = v;
    return 1;
}

/* Reads pid's fd links, giving pid to every raw listener whose inode it
 * holds and that has no owner yet. Spends *budget; decrements *unowned. */
static void scan_fds(const char *root, int pid, svc_listener *raw, const ino_ix *ix, size_t nix,
                     size_t *budget, size_t *unowned)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/proc/%d/fd", root, pid);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return; /* vanished, or a kernel thread */
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while (*budget > 0 && *unowned > 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        (*budget)--;
        char lnk[64];
        ssize_t k = readlinkat(dirfd(d), de->d_name, lnk, sizeof(lnk) - 1);
        if (k <= 0)
            continue; /* closed meanwhile */
        lnk[k] = '\0';
        ino_ix key = {0, 0};
        if (!socket_inode(lnk, &key.inode))
            continue;
        const ino_ix *hit = bsearch(&key, ix, nix, sizeof(*ix), cmp_ino);
        if (!hit)
            continue;
        /* inodes are unique per socket, but be exact about neighbours */
        while (hit > ix && hit[-1].inode == key.inode)
            hit--;
        for (; hit < ix + nix && hit->inode == key.inode; hit++) {
            if (raw[hit->at].pid == 0) {
                raw[hit->at].pid = pid;
                (*unowned)--;
            }
        }
    }
    closedir(d);
}

/* comm and effective uid of pid; leaves them empty/0 if it vanished. */
static void read_owner(const char *root, int pid, buf *b, svc_listener *l)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/proc/%d/comm", root, pid);
    if (buf_read_file(b, path, 256) > 0) {
        size_t n = b->len;
        while (n > 0 && (b->data[n - 1] == '\n'))
            n--;
        if (n >= sizeof(l->comm))
            n = sizeof(l->comm) - 1;
        memcpy(l->comm, b->data, n);
        l->comm[n] = '\0';
    }
    snprintf(path, sizeof(path), "%s/proc/%d/status", root, pid);
    if (buf_read_file(b, path, 4096) > 0)
        svc_parse_status_uid(b->data, b->len, &l->uid);
}

/* Sort key: protocol, port, v6, address; within one key owned first, then
 * by inode, so de-duplication keeps an owned entry. */
static int cmp_listener(const void *a, const void *b)
{
    const svc_listener *x = a, *y = b;
    if (x->proto != y->proto)
        return x->proto - y->proto;
    if (x->port != y->port)
        return x->port - y->port;
    if (x->v6 != y->v6)
        return x->v6 - y->v6;
    int c = strcmp(x->addr, y->addr);
    if (c)
        return c;
    if ((x->pid == 0) != (y->pid == 0))
        return x->pid == 0 ? 1 : -1;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

static int same_key(const svc_listener *x, const svc_listener *y)
{
    return x->proto == y->proto && x->port == y->port && x->v6 == y->v6 &&
           strcmp(x->addr, y->addr) == 0;
}

int svc_discover(const char *host_root, const int *pids, size_t npids, svc_listener *out,
                 size_t max, size_t *n)
{
    return svc_discover_via(SVC_VIA_ANY, host_root, pids, npids, out, max, n);
}

int svc_discover_via(int via, const char *host_root, const int *pids, size_t npids,
                     svc_listener *out, size_t max, size_t *n)
{
    const char *root = host_root ? host_root : "";
    svc_listener *raw = NULL;
    ino_ix *ix = NULL;
    buf b = BUF_INIT;
    size_t nraw = 0, nix = 0;
    int netns_pid = 0;
    int rc = -ESRCH;

    *n = 0;
    if (!pids || npids == 0)
        return -ESRCH;
    raw = calloc(SVC_MAX_SOCKETS, sizeof(*raw));
    if (!raw) {
        rc = -ENOMEM;
        goto out;
    }

    /* 1. the sockets of the first process whose namespace can be listed:
     * through netlink, else its /proc tables (which also tell a vanished
     * process, ESRCH, from a real error) */
    for (size_t i = 0; i < npids; i++) {
        int r = -ENOSYS;
        if (via != SVC_VIA_PROC) {
            r = read_netlink(root, pids[i], raw, &nraw);
            if (r != 0 && via == SVC_VIA_NETLINK) {
                if (r != -ESRCH || rc == -ESRCH)
                    rc = r;
                continue;
            }
            if (r != 0 && r != -ESRCH)
                log_fallback_once(pids[i], r);
        }
        if (r != 0)
            r = read_tables(root, pids[i], &b, raw, &nraw);
        if (r == 0) {
            netns_pid = pids[i];
            break;
        }
        if (r != -ESRCH || rc == -ESRCH)
            rc = r; /* keep the most telling error (EACCES over ESRCH) */
    }
    if (!netns_pid)
        goto out;

    /* 2. owners, through an inode index over raw[] */
    ix = calloc(nraw ? nraw : 1, sizeof(*ix));
    if (!ix) {
        rc = -ENOMEM;
        goto out;
    }
    size_t unowned = 0;
    for (size_t i = 0; i < nraw; i++) {
        raw[i].netns_pid = netns_pid;
        if (raw[i].inode == 0)
            continue;
        ix[nix].inode = raw[i].inode;
        ix[nix].at = i;
        nix++;
        unowned++;
    }
    qsort(ix, nix, sizeof(*ix), cmp_ino);
    size_t budget = SVC_FD_SCAN_MAX;
    for (size_t i = 0; i < npids && budget > 0 && unowned > 0; i++)
        scan_fds(root, pids[i], raw, ix, nix, &budget, &unowned);
    if (budget == 0 && unowned > 0)
        log_debug(MOD, "pid %d: %zu listeners without owner after reading %d descriptors",
                  netns_pid, unowned, SVC_FD_SCAN_MAX);
    for (size_t i = 0; i < nraw; i++) {
        if (raw[i].pid == 0 || raw[i].comm[0])
            continue;
        read_owner(root, raw[i].pid, &b, &raw[i]);
        for (size_t j = i + 1; j < nraw; j++) {
            if (raw[j].pid == raw[i].pid) {
                memcpy(raw[j].comm, raw[i].comm, sizeof(raw[j].comm));
                raw[j].uid = raw[i].uid;
            }
        }
    }

    /* 3. sort, collapse duplicates, drop the host's own listeners */
    int host_ns = in_host_netns(root, netns_pid);
    qsort(raw, nraw, sizeof(*raw), cmp_listener);
    size_t k = 0;
    for (size_t i = 0; i < nraw && k < max; i++) {
        if (i > 0 && same_key(&raw[i], &raw[i - 1]))
            continue;
        if (host_ns && raw[i].pid == 0)
            continue;
        if (raw[i].pid == 0 && strcmp(raw[i].addr, DOCKER_DNS) == 0)
            continue;
        out[k++] = raw[i];
    }
    *n = k;
    rc = 0;
out:
    free(ix);
    free(raw);
    buf_free(&b);
    return rc;
}
