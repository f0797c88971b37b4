/*
 * services: find every service listening in a container and probe it from
 * outside the container, without an agent or any command inside it.
 *
 * Three layers, each usable alone (the same split as cgroup/):
 *   - parsers (svc_parse.c): pure functions over the bytes of
 *     /proc/<pid>/net/{tcp,tcp6,udp,udp6}, sock_diag dump replies,
 *     cgroup.procs and an HTTP status line; unit tested on captured files and
 *     fuzzed;
 *   - namespace helper (ns/ns.h, ns_run): runs a function on a thread made for
 *     it inside a container's network namespace, shared by discovery and
 *     probes;
 *   - discovery (svc_discover.c): lists the listening sockets of the
 *     container's network namespace with NETLINK_SOCK_DIAG from a
 *     short-lived thread that setns()es into it (what ss -ltn does; it walks
 *     only the kernel's listening hash), falling back to /proc/<pid>/net/ of
 *     one of its processes when that is not possible; nothing runs in the
 *     container. Then finds the owning process of each listening socket by
 *     its inode in /proc/<p>/fd/;
 *   - probes (svc_probe.c): TCP connect and HTTP status probes made from
 *     inside the container's network namespace by a short-lived thread that
 *     setns()es into it, so the probe is local traffic of the container and
 *     the caller's threads never change namespace.
 *
 * Privileges: discovery reads other users' /proc/<p>/fd and /proc/<p>/net,
 * which needs root (CAP_SYS_PTRACE-level access to the processes); probes
 * and netlink discovery need CAP_SYS_ADMIN for setns(CLONE_NEWNET) into
 * another namespace (without it discovery falls back to /proc/<pid>/net,
 * which costs a walk of the whole TCP established hash per read). Run
 * berth as root on the host, or in a container with --pid=host (or the host's
 * /proc under the host root) and --cap-add SYS_ADMIN (Docker's default
 * seccomp profile allows setns only with that capability).
 *
 * Nothing here prints, knows Docker or renders metrics.
 */
#ifndef BERTH_SVC_H
#define BERTH_SVC_H

#include <stddef.h>
#include <stdint.h>

enum { SVC_TCP = 1, SVC_UDP = 2 };

#define SVC_ADDR_MAX 46 /* INET6_ADDRSTRLEN: "ffff:...:255.255.255.255" + NUL */
#define SVC_COMM_MAX 16 /* TASK_COMM_LEN */

/* Bounds (every one is a hard cap, documented where it bites):
 * SVC_MAX_LISTENERS   listeners one container reports; callers size out[]
 *                     with it. Extra listeners are dropped after sorting, so
 *                     the lowest ports survive.
 * SVC_MAX_SOCKETS     listening sockets considered per discovery before
 *                     de-duplication (SO_REUSEPORT groups, prefork servers).
 * SVC_NET_FILE_MAX    bytes read of each /proc/<pid>/net file, and of each
 *                     netlink dump (four per discovery). The kernel
 *                     prints TCP listening sockets before connections, so a
 *                     busy container loses connections, not listeners; a
 *                     UDP table is one hash, so a container with more than
 *                     about 7000 UDP sockets may lose some UDP listeners.
 * SVC_FD_SCAN_MAX     /proc/<p>/fd entries read per discovery, summed over
 *                     processes (one readlink each, about 1 us). Listeners
 *                     whose owner is not found within it keep pid 0.
 * SVC_PROBE_BATCH_MAX probes in one batch (one container's listeners). */
#define SVC_MAX_LISTENERS   256
#define SVC_MAX_SOCKETS     1024
#define SVC_NET_FILE_MAX    (1024 * 1024)
#define SVC_FD_SCAN_MAX     65536
#define SVC_PROBE_BATCH_MAX 256

/* One listening socket. */
typedef struct svc_listener {
    int proto;               /* SVC_TCP or SVC_UDP */
    int v6;                  /* read from tcp6/udp6 (a v4-mapped address stays v6) */
    char addr[SVC_ADDR_MAX]; /* local address as text: "0.0.0.0", "::", "127.0.0.1", "::1" */
    int port;                /* local port, 1..65535 */
    uint64_t inode;          /* socket inode: "socket:[inode]" in /proc/<p>/fd */
    unsigned sock_uid;       /* socket owner from the table, as the reader's user ns sees it */
    int pid;                 /* owning process (host pid), 0 when not found */
    char comm[SVC_COMM_MAX]; /* its /proc/<p>/comm, "" when not found */
    unsigned uid;            /* its effective uid from /proc/<p>/status */
    int netns_pid;           /* process whose network namespace the table was read from:
                                pass it to the probes */
} svc_listener;

/* ---- pure parsers ------------------------------------------------------ */

/* Parses the text of /proc/<pid>/net/tcp, tcp6 (proto SVC_TCP) or udp, udp6
 * (proto SVC_UDP), v6 telling which of the pair it is. Keeps TCP sockets in
 * state 0A (LISTEN) and UDP sockets in state 07 (unconnected) with a zero
 * remote address and port; fills proto, v6, addr, port, inode, sock_uid and
 * zeroes the rest. Addresses are the kernel's hex: IPv4 one 32-bit word and
 * IPv6 four, each printed as a host-order integer, so the words are turned
 * back into memory as they were printed (correct on either endianness).
 * The header line and malformed lines are skipped; a last line without a
 * newline counts only if its inode is followed by a field separator (a cut
 * inode would name another socket). Fills up to max entries and returns how
 * many. */
size_t svc_parse_proc_net(const char *buf, size_t len, int proto, int v6, svc_listener *out,
                          size_t max);

/* Parses the bytes of NETLINK_SOCK_DIAG replies to a SOCK_DIAG_BY_FAMILY
 * dump (a run of netlink messages, as one recv() returns them) for proto
 * SVC_TCP or SVC_UDP. Keeps exactly what svc_parse_proc_net keeps: TCP
 * sockets in state TCP_LISTEN, UDP sockets in state TCP_CLOSE (7) with a zero
 * remote address and port, a non-zero local port; v6 is 1 for an AF_INET6
 * socket (a v4-mapped address stays v6, printed "::ffff:a.b.c.d"), and
 * addr, port, inode and sock_uid are filled as from the /proc tables. Sets
 * *n to the listeners stored (at most max; further ones are framed and
 * dropped). Returns 1 when the dump ended (NLMSG_DONE, or an NLMSG_ERROR
 * ACK), 0 when more messages are to come, the kernel's negative errno from
 * an NLMSG_ERROR or a failed NLMSG_DONE, -EBADMSG when a message length does
 * not fit the buffer, -EINVAL for a bad proto. */
int svc_parse_diag(const char *buf, size_t len, int proto, svc_listener *out, size_t max,
                   size_t *n);

/* Parses cgroup.procs (one decimal pid per line). Fills up to max positive
 * pids and returns how many; malformed lines are skipped. */
size_t svc_parse_pids(const char *buf, size_t len, int *out, size_t max);

/* Parses the start of an HTTP response: "HTTP/1.x NNN ...\r\n". Returns the
 * status (100..999), -EAGAIN when no line end has arrived yet, or -EINVAL
 * when the first line is not a status line. */
int svc_parse_http_status(const char *buf, size_t len);

/* Parses the "Uid:" line of /proc/<pid>/status; returns 0 and the effective
 * uid (the second column), or -EINVAL. */
int svc_parse_status_uid(const char *buf, size_t len, unsigned *euid);

/* ---- discovery ------------------------------------------------------------ */

/* Reads a cgroup.procs file into pids (up to max). Returns the number read or
 * a negative errno (-ENOENT when the cgroup is gone). */
int svc_read_pids(const char *path, int *pids, size_t max);

/* Discovers the listening sockets of one container. host_root is "" (or
 * NULL) on the host, or e.g. "/host" when berth runs in a container with the
 * host's /proc there. pids are the container's processes (from
 * cgroup.procs); the first one whose net tables can be read gives the
 * network namespace (normally pids[0], the container's main process), and
 * its pid is stored in every listener's netns_pid.
 *
 * Each socket's owner is the first process in pids holding it (a prefork
 * server's parent, when pids are in cgroup.procs order). The same address,
 * port and protocol found more than once (SO_REUSEPORT, or a socket shared
 * by several processes) is reported once; 0.0.0.0 and :: stay two
 * listeners. Results are sorted by protocol, port, v6 and address.
 *
 * When the namespace is the host's (a --network host container), only
 * listeners owned by the given processes are reported, since the others are
 * the host's services. Unowned listeners on 127.0.0.11 (Docker's embedded
 * DNS on user-defined networks, held by dockerd) are left out too. A
 * namespace shared by several containers (--network container:X, pods)
 * shows every container the same sockets: owners come only from pids, so a
 * sibling's listeners appear with pid 0. Processes vanishing mid-scan are
 * skipped.
 *
 * Returns 0 with *n set (possibly 0), or a negative errno when no pid's net
 * tables could be read (-ESRCH when npids is 0). Thread-safe: no shared
 * state. */
int svc_discover(const char *host_root, const int *pids, size_t npids, svc_listener *out,
                 size_t max, size_t *n);

/* How svc_discover_via finds the sockets: netlink with /proc as fallback
 * (what svc_discover does), or only one of the two (tests, diagnosis). */
enum { SVC_VIA_ANY = 0, SVC_VIA_NETLINK = 1, SVC_VIA_PROC = 2 };

/* svc_discover with the socket source chosen by via. SVC_VIA_NETLINK
 * returns netlink's error (e.g. -EPERM without CAP_SYS_ADMIN, -EINVAL when
 * ns/net is not a namespace) instead of falling back. */
int svc_discover_via(int via, const char *host_root, const int *pids, size_t npids,
                     svc_listener *out, size_t max, size_t *n);

/* ---- probes --------------------------------------------------------------- */

enum { SVC_PROBE_TCP = 0, SVC_PROBE_HTTP = 1 };

#define SVC_PROBE_TIMEOUT_DEFAULT 1000  /* ms, when timeout_ms is 0 */
#define SVC_PROBE_TIMEOUT_MAX     60000 /* ms */

/* One probe. addr and port are the listener's: a wildcard address ("0.0.0.0",
 * "::", "") is probed at 127.0.0.1 / ::1 inside the namespace; "::" falls back
 * to 127.0.0.1 when the namespace has no IPv6 loopback (Docker disables IPv6
 * in containers by default, yet "::" sockets still accept IPv4). A specific
 * address is probed as is: inside the namespace that is local traffic (an
 * IPv6 link-local address carries no scope in /proc and fails with EINVAL). */
typedef struct svc_probe_req {
    int kind; /* SVC_PROBE_TCP: connect; SVC_PROBE_HTTP: connect + GET path */
    char addr[SVC_ADDR_MAX];
    int port;
    int timeout_ms;    /* whole probe; 0: SVC_PROBE_TIMEOUT_DEFAULT; capped */
    char path[128];    /* HTTP: request target, "" for "/" */
    int expect_status; /* HTTP: required status; 0 accepts 200..399 */
} svc_probe_req;

typedef struct svc_probe_result {
    int up;                  /* 1: connected (and, for HTTP, the status matched) */
    int err;                 /* 0 when up; else a positive errno (ECONNREFUSED, ETIMEDOUT,
                                EPROTO for a bad or unexpected HTTP status, ...) */
    int http_status;         /* status received, 0 if none */
    uint64_t latency_ns;     /* CLOCK_MONOTONIC from connect() to connected (TCP) or to
                                the status line (HTTP); on failure, time until it failed */
    char addr[SVC_ADDR_MAX]; /* the address actually probed */
    char error[96];          /* "" when up; else e.g. "connect: Connection refused" */
} svc_probe_result;

/* Runs n probes (at most SVC_PROBE_BATCH_MAX) from inside the network
 * namespace of netns_pid (<host_root>/proc/<pid>/ns/net). Opens the
 * namespace file, then starts one thread that setns()es into it and runs all
 * probes concurrently with non-blocking sockets and poll(); the call returns
 * after joining it, i.e. after at most the largest timeout (plus the HTTP
 * drain, also within that timeout). The calling thread never changes
 * namespace and no probe ever runs from the caller's namespace.
 *
 * Returns 0 when the probes ran (each result says up or down), or a negative
 * errno when they could not (namespace gone: -ENOENT; no CAP_SYS_ADMIN:
 * -EPERM; thread creation failed), in which case every result is down with
 * that error. Blocking: call it from a worker thread, never an event loop. */
int svc_probe_batch(int netns_pid, const char *host_root, const svc_probe_req *reqs, size_t n,
                    svc_probe_result *results);

/* One TCP connect probe: a batch of one. Returns as svc_probe_batch. */
int svc_probe_tcp(int netns_pid, const char *host_root, const char *addr, int port, int timeout_ms,
                  svc_probe_result *r);

/* One HTTP probe: GET path HTTP/1.0 with "Host: localhost", status compared
 * with expect_status (0: 200..399). Returns as svc_probe_batch. */
int svc_probe_http(int netns_pid, const char *host_root, const char *addr, int port,
                   const char *path, int expect_status, int timeout_ms, svc_probe_result *r);

#endif
