/*
 * test_services: finding and probing the services that listen in a
 * container (src/services/).
 *
 *   - parsers, on tables captured from a busybox container on a Docker 20.10
 *     host (tests/fixtures/services/container/) and on hand-made edge cases
 *     (edge/, many/): see tests/fixtures/services/README.md;
 *   - the sock_diag reply parser, on dumps captured together with the /proc
 *     tables of the same container (netlink/), which must give the same
 *     listeners, and on messages built by hand;
 *   - discovery over a fixture /proc tree (root/): owners through fd links,
 *     de-duplication, vanished processes, a --network host container;
 *   - probes in this process's own network namespace (needs root for
 *     setns): up, refused, HTTP status, timeout, non-HTTP peer, batches;
 *   - live: real containers from berth-test:latest, discovered through
 *     netlink and through /proc (same listeners) and probed from inside their
 *     namespace; skipped without Docker or the image.
 *     Every container is labelled berth-test=1 and removed in the teardown.
 *
 * The live tests print the listeners they discover on stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "services/svc.h"
#include "util/buf.h"

#define FIX "tests/fixtures/services/"

static char *slurp(const char *name, size_t *len)
{
    buf b = BUF_INIT;
    char path[256];
    snprintf(path, sizeof(path), FIX "%s", name);
    long r = buf_read_file(&b, path, 1 << 22);
    assert_true(r >= 0);
    *len = b.len;
    return buf_detach(&b);
}

static size_t parse_file(const char *name, int proto, int v6, svc_listener *out, size_t max)
{
    size_t len;
    char *t = slurp(name, &len);
    size_t n = svc_parse_proc_net(t, len, proto, v6, out, max);
    free(t);
    return n;
}

static void expect(const svc_listener *l, int proto, int v6, const char *addr, int port,
                   uint64_t inode, unsigned uid)
{
    assert_int_equal(l->proto, proto);
    assert_int_equal(l->v6, v6);
    assert_string_equal(l->addr, addr);
    assert_int_equal(l->port, port);
    assert_true(l->inode == inode);
    assert_int_equal(l->sock_uid, uid);
    assert_int_equal(l->pid, 0);
}

/* ---- parsers on captured tables --------------------------------------------- */

/* httpd -p 127.0.0.1:8081 and -p 172.17.0.2:8082; one TIME_WAIT and one
 * ESTABLISHED connection are not listeners. */
static void t_container_tcp(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("container/tcp", SVC_TCP, 0, l, 8), 2);
    expect(&l[0], SVC_TCP, 0, "127.0.0.1", 8081, 986680, 0);
    expect(&l[1], SVC_TCP, 0, "172.17.0.2", 8082, 986035, 0);
}

/* nc -l -p 9000 and httpd -p 8080 on "::", httpd -p [::1]:8083; TIME_WAIT
 * and ESTABLISHED lines with v4-mapped and ::1 addresses are skipped. */
static void t_container_tcp6(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("container/tcp6", SVC_TCP, 1, l, 8), 3);
    expect(&l[0], SVC_TCP, 1, "::", 9000, 992032, 0);
    expect(&l[1], SVC_TCP, 1, "::1", 8083, 986683, 0);
    expect(&l[2], SVC_TCP, 1, "::", 8080, 986676, 0);
}

/* udhcpd on 0.0.0.0:67 (busybox nc here has no -u); udp6 is empty. */
static void t_container_udp(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("container/udp", SVC_UDP, 0, l, 8), 1);
    expect(&l[0], SVC_UDP, 0, "0.0.0.0", 67, 986043, 0);
    assert_int_equal(parse_file("container/udp6", SVC_UDP, 1, l, 8), 0);
}

/* The wrong flavour finds nothing rather than something wrong. */
static void t_wrong_flavour(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("container/tcp6", SVC_TCP, 0, l, 8), 0);
    assert_int_equal(parse_file("container/tcp", SVC_TCP, 1, l, 8), 0);
    assert_int_equal(parse_file("container/tcp", SVC_UDP, 0, l, 8), 0); /* no state 07 */
    assert_int_equal(svc_parse_proc_net("x", 1, 3, 0, l, 8), 0);
    assert_int_equal(svc_parse_proc_net(NULL, 0, SVC_TCP, 0, l, 8), 0);
    assert_int_equal(svc_parse_proc_net("", 0, SVC_TCP, 0, l, 8), 0);
}

/* ---- parsers on hand-made edge cases ---------------------------------------- */

static void t_edge_tcp6(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("edge/tcp6", SVC_TCP, 1, l, 8), 6);
    expect(&l[0], SVC_TCP, 1, "2001:db8::1", 443, 5001, 101);
    expect(&l[1], SVC_TCP, 1, "fe80::42:acff:fe11:2", 8443, 5002, 0);
    expect(&l[2], SVC_TCP, 1, "::ffff:10.0.0.1", 25, 5003, 0);
    expect(&l[3], SVC_TCP, 1, "::1", 5432, 5004, 70);
    expect(&l[4], SVC_TCP, 1, "::", 6379, 5006, 999); /* SO_REUSEPORT twins: */
    expect(&l[5], SVC_TCP, 1, "::", 6379, 5007, 999); /* collapsed by discovery */
}

/* Unconnected UDP sockets are listeners; connected ones, one with a peer
 * but state 07, and port 0 are not. */
static void t_edge_udp(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("edge/udp", SVC_UDP, 0, l, 8), 2);
    expect(&l[0], SVC_UDP, 0, "0.0.0.0", 53, 6001, 0);
    expect(&l[1], SVC_UDP, 0, "127.0.0.11", 41234, 6002, 0);
    assert_int_equal(parse_file("edge/udp6", SVC_UDP, 1, l, 8), 2);
    expect(&l[0], SVC_UDP, 1, "::", 5353, 7001, 0);
    expect(&l[1], SVC_UDP, 1, "::1", 323, 7002, 0);
}

/* A read cut mid-inode must not invent socket 8003 out of 8003123; cut
 * after the inode's separator, the line is whole enough. */
static void t_truncated(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("edge/tcp-truncated", SVC_TCP, 0, l, 8), 2);
    expect(&l[1], SVC_TCP, 0, "0.0.0.0", 81, 8002, 0);
    assert_int_equal(parse_file("edge/tcp-truncated-after-inode", SVC_TCP, 0, l, 8), 3);
    expect(&l[2], SVC_TCP, 0, "0.0.0.0", 82, 8003123, 0);
    /* every prefix of a real table parses to a prefix of its listeners */
    size_t len;
    char *t = slurp("container/tcp6", &len);
    for (size_t i = 0; i <= len; i++) {
        size_t n = svc_parse_proc_net(t, i, SVC_TCP, 1, l, 8);
        assert_true(n <= 3);
        if (n > 0)
            assert_int_equal(l[0].port, 9000);
    }
    free(t);
}

static void t_garbage(void **st)
{
    (void)st;
    svc_listener l[8];
    assert_int_equal(parse_file("edge/tcp-garbage", SVC_TCP, 0, l, 8), 1);
    expect(&l[0], SVC_TCP, 0, "127.0.0.1", 8080, 9005, 0);
}

/* 300 listeners then 200 connections; out[] bounds the result. */
static void t_many(void **st)
{
    (void)st;
    svc_listener *l = calloc(SVC_MAX_SOCKETS, sizeof(*l));
    assert_non_null(l);
    assert_int_equal(parse_file("many/tcp", SVC_TCP, 0, l, SVC_MAX_SOCKETS), 300);
    expect(&l[0], SVC_TCP, 0, "0.0.0.0", 10000, 100000, 0);
    expect(&l[299], SVC_TCP, 0, "0.0.0.0", 10299, 100299, 0);
    assert_int_equal(parse_file("many/tcp", SVC_TCP, 0, l, 10), 10);
    assert_int_equal(l[9].port, 10009);
    assert_int_equal(parse_file("many/tcp", SVC_TCP, 0, l, 0), 0);
    free(l);
}

#define S(lit) lit, sizeof(lit) - 1

static void t_pids(void **st)
{
    (void)st;
    int p[8];
    assert_int_equal(svc_parse_pids(S("1\n9\n\n11\nabc\n-5\n0\n12x\n4194304"), p, 8), 4);
    assert_int_equal(p[0], 1);
    assert_int_equal(p[2], 11);
    assert_int_equal(p[3], 4194304);
    assert_int_equal(svc_parse_pids(S("1\n2\n3\n"), p, 2), 2);
    assert_int_equal(svc_parse_pids(S("99999999999\n"), p, 8), 0);
    assert_int_equal(svc_read_pids(FIX "root/cgroup.procs", p, 8), 7);
    assert_int_equal(p[6], 2058);
    assert_int_equal(svc_read_pids(FIX "no/such/cgroup.procs", p, 8), -ENOENT);
}

static void t_http_status(void **st)
{
    (void)st;
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 200 OK\r\nServer: x\r\n")), 200);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.1 404 Not Found\r\n")), 404);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 204\n")), 204);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 200 OK")), -EAGAIN);
    assert_int_equal(svc_parse_http_status(S("HT")), -EAGAIN);
    assert_int_equal(svc_parse_http_status("", 0), -EAGAIN);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 2000 OK\r\n")), -EINVAL);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 099 x\r\n")), -EINVAL);
    assert_int_equal(svc_parse_http_status(S("HTTP/1.0 20\r\n")), -EINVAL);
    assert_int_equal(svc_parse_http_status(S("SSH-2.0-OpenSSH_9.2")), -EINVAL);
    assert_int_equal(svc_parse_http_status(S("+OK redis\r\n")), -EINVAL);
}

static void t_status_uid(void **st)
{
    (void)st;
    unsigned u = 7;
    assert_int_equal(svc_parse_status_uid(S("Name:\thttpd\nUid:\t0\t65534\t0\t0\nGid:\t0\n"), &u),
                     0);
    assert_int_equal(u, 65534);
    assert_int_equal(svc_parse_status_uid(S("Name:\thttpd\n"), &u), -EINVAL);
    assert_int_equal(svc_parse_status_uid(S("Uid:\tx\n"), &u), -EINVAL);
}

/* ---- sock_diag replies ------------------------------------------------------ */

static const svc_listener *find(const svc_listener *l, size_t n, int proto, int port,
                                const char *addr)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].proto == proto && l[i].port == port && (!addr || !strcmp(l[i].addr, addr)))
            return &l[i];
    return NULL;
}

static int cmp_inode(const void *a, const void *b)
{
    const svc_listener *x = a, *y = b;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Every field of two listener sets, in inode order. */
static void same_listeners(svc_listener *a, size_t na, svc_listener *b, size_t nb)
{
    assert_int_equal(na, nb);
    qsort(a, na, sizeof(*a), cmp_inode);
    qsort(b, nb, sizeof(*b), cmp_inode);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].proto, b[i].proto);
        assert_int_equal(a[i].v6, b[i].v6);
        assert_string_equal(a[i].addr, b[i].addr);
        assert_int_equal(a[i].port, b[i].port);
        assert_true(a[i].inode == b[i].inode);
        assert_int_equal(a[i].sock_uid, b[i].sock_uid);
        assert_int_equal(a[i].pid, b[i].pid);
        assert_string_equal(a[i].comm, b[i].comm);
        assert_int_equal(a[i].uid, b[i].uid);
        assert_int_equal(a[i].netns_pid, b[i].netns_pid);
    }
}

static size_t parse_diag_file(const char *name, int proto, svc_listener *out, size_t max, int rc)
{
    size_t len, n = 99;
    char *t = slurp(name, &len);
    assert_int_equal(svc_parse_diag(t, len, proto, out, max, &n), rc);
    free(t);
    return n;
}

/* The four dumps discovery makes, captured in the namespace of a busybox
 * container at the same moment as its /proc tables: the same listeners,
 * field for field. */
static void t_diag_captured(void **st)
{
    (void)st;
    static const struct {
        const char *dump, *table;
        int proto, v6;
        size_t n;
    } c[] = {
        {"netlink/tcp", "netlink/proc-tcp", SVC_TCP, 0, 2},
        {"netlink/tcp6", "netlink/proc-tcp6", SVC_TCP, 1, 3},
        {"netlink/udp", "netlink/proc-udp", SVC_UDP, 0, 1},
        {"netlink/udp6", "netlink/proc-udp6", SVC_UDP, 1, 0},
    };
    svc_listener a[8], b[8];
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t na = parse_diag_file(c[i].dump, c[i].proto, a, 8, 1);
        size_t nb = parse_file(c[i].table, c[i].proto, c[i].v6, b, 8);
        assert_int_equal(na, c[i].n);
        same_listeners(a, na, b, nb);
    }
    parse_diag_file("netlink/tcp", SVC_TCP, a, 8, 1);
    qsort(a, 2, sizeof(*a), cmp_inode);
    expect(&a[0], SVC_TCP, 0, "127.0.0.1", 8081, 1546401, 0);
    expect(&a[1], SVC_TCP, 0, "172.17.0.2", 8082, 1547290, 0);
    parse_diag_file("netlink/udp", SVC_UDP, a, 8, 1);
    expect(&a[0], SVC_UDP, 0, "0.0.0.0", 67, 1547299, 0);
    parse_diag_file("netlink/tcp6", SVC_TCP, a, 8, 1);
    assert_non_null(find(a, 3, SVC_TCP, 8080, "::"));
    assert_non_null(find(a, 3, SVC_TCP, 9000, "::"));
    assert_non_null(find(a, 3, SVC_TCP, 8083, "::1"));
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(a[i].v6, 1);
}

/* A dump of every TCP state (TIME_WAIT pairs, v4-mapped and ::1) keeps only
 * the listeners; the UDP flavour on a TCP dump finds none. */
static void t_diag_all_states(void **st)
{
    (void)st;
    svc_listener a[8], b[8];
    size_t na = parse_diag_file("netlink/tcp-all", SVC_TCP, a, 8, 1);
    size_t nb = parse_diag_file("netlink/tcp", SVC_TCP, b, 8, 1);
    same_listeners(a, na, b, nb);
    na = parse_diag_file("netlink/tcp6-all", SVC_TCP, a, 8, 1);
    nb = parse_diag_file("netlink/tcp6", SVC_TCP, b, 8, 1);
    same_listeners(a, na, b, nb);
    assert_int_equal(parse_diag_file("netlink/tcp6-all", SVC_UDP, a, 8, 1), 0);
}

/* Builds one SOCK_DIAG_BY_FAMILY message at buf+off; returns the new end. */
static size_t diag_put(char *mem, size_t off, int family, int state, const char *src, int sport,
                       const char *dst, int dport, unsigned inode, unsigned uid)
{
    struct nlmsghdr h;
    struct inet_diag_msg m;
    memset(&h, 0, sizeof(h));
    memset(&m, 0, sizeof(m));
    h.nlmsg_len = (uint32_t)(sizeof(h) + sizeof(m));
    h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    h.nlmsg_flags = NLM_F_MULTI;
    m.idiag_family = (uint8_t)family;
    m.idiag_state = (uint8_t)state;
    int af = family == AF_INET6 ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(af, src, m.id.idiag_src), 1);
    assert_int_equal(inet_pton(af, dst, m.id.idiag_dst), 1);
    m.id.idiag_sport = htons((uint16_t)sport);
    m.id.idiag_dport = htons((uint16_t)dport);
    m.idiag_inode = inode;
    m.idiag_uid = uid;
    memcpy(mem + off, &h, sizeof(h));
    memcpy(mem + off + sizeof(h), &m, sizeof(m));
    return off + NLMSG_ALIGN(h.nlmsg_len);
}

static size_t diag_end(char *mem, size_t off, int type, int err)
{
    struct nlmsghdr h;
    memset(&h, 0, sizeof(h));
    h.nlmsg_len = (uint32_t)(sizeof(h) + sizeof(err));
    h.nlmsg_type = (uint16_t)type;
    memcpy(mem + off, &h, sizeof(h));
    memcpy(mem + off + sizeof(h), &err, sizeof(err));
    return off + NLMSG_ALIGN(h.nlmsg_len);
}

/* Hand-made messages: the same filters and formats as the /proc parser
 * (edge/udp, edge/tcp6), and every way a reply can end or break. */
static void t_diag_edge(void **st)
{
    (void)st;
    static char mem[4096 + 1];
    char *b = mem + 1; /* unaligned on purpose */
    svc_listener l[8];
    size_t n, o = 0;
    o = diag_put(b, o, AF_INET, 7, "0.0.0.0", 53, "0.0.0.0", 0, 6001, 0);
    o = diag_put(b, o, AF_INET, 1, "10.0.0.2", 40000, "10.0.0.1", 53, 6003, 0); /* connected */
    o = diag_put(b, o, AF_INET, 7, "10.0.0.2", 40001, "10.0.0.1", 53, 6004, 0); /* peer */
    o = diag_put(b, o, AF_INET, 7, "10.0.0.2", 40002, "0.0.0.0", 53, 6005, 0);  /* dport */
    o = diag_put(b, o, AF_INET, 7, "0.0.0.0", 0, "0.0.0.0", 0, 6006, 0);        /* port 0 */
    o = diag_put(b, o, AF_INET6, 7, "::1", 323, "::", 0, 7002, 0);
    o = diag_put(b, o, AF_INET6, 7, "::ffff:10.0.0.1", 500, "::", 0, 7003, 101); /* mapped */
    o = diag_put(b, o, AF_INET6, 10, "::", 80, "::", 0, 7004, 0);                /* TCP state */
    o = diag_put(b, o, 99, 7, "0.0.0.0", 99, "0.0.0.0", 0, 7005, 0);             /* family */
    size_t before_end = o;
    o = diag_end(b, o, NLMSG_DONE, 0);
    assert_int_equal(svc_parse_diag(b, o, SVC_UDP, l, 8, &n), 1);
    assert_int_equal(n, 3);
    expect(&l[0], SVC_UDP, 0, "0.0.0.0", 53, 6001, 0);
    expect(&l[1], SVC_UDP, 1, "::1", 323, 7002, 0);
    expect(&l[2], SVC_UDP, 1, "::ffff:10.0.0.1", 500, 7003, 101);
    /* the same bytes as TCP: only the LISTEN socket */
    assert_int_equal(svc_parse_diag(b, o, SVC_TCP, l, 8, &n), 1);
    assert_int_equal(n, 1);
    expect(&l[0], SVC_TCP, 1, "::", 80, 7004, 0);
    /* no end yet: more to come; max bounds what is stored */
    assert_int_equal(svc_parse_diag(b, before_end, SVC_UDP, l, 2, &n), 0);
    assert_int_equal(n, 2);
    /* every prefix frames cleanly: never more, never a wrong listener */
    for (size_t i = 0; i <= o; i++) {
        int r = svc_parse_diag(b, i, SVC_UDP, l, 8, &n);
        assert_true(r == 0 || r == 1 || r == -EBADMSG);
        assert_true(n <= 3);
        if (n > 0)
            assert_int_equal(l[0].port, 53);
    }
    /* errors: NLMSG_ERROR, a failed dump's NLMSG_DONE, a cut message */
    o = diag_put(b, 0, AF_INET, 7, "0.0.0.0", 53, "0.0.0.0", 0, 6001, 0);
    size_t e = diag_end(b, o, NLMSG_ERROR, -EPERM);
    assert_int_equal(svc_parse_diag(b, e, SVC_UDP, l, 8, &n), -EPERM);
    assert_int_equal(n, 1);
    e = diag_end(b, o, NLMSG_DONE, -ENOENT);
    assert_int_equal(svc_parse_diag(b, e, SVC_UDP, l, 8, &n), -ENOENT);
    assert_int_equal(svc_parse_diag(b, o - 1, SVC_UDP, l, 8, &n), -EBADMSG);
    assert_int_equal(n, 0);
    uint32_t tiny = 4; /* nlmsg_len shorter than its header */
    memcpy(b, &tiny, sizeof(tiny));
    assert_int_equal(svc_parse_diag(b, o, SVC_UDP, l, 8, &n), -EBADMSG);
    assert_int_equal(svc_parse_diag(b, o, 3, l, 8, &n), -EINVAL);
    assert_int_equal(svc_parse_diag(NULL, 0, SVC_TCP, l, 8, &n), -EINVAL);
    assert_int_equal(svc_parse_diag(b, 0, SVC_TCP, l, 8, &n), 0);
    assert_int_equal(n, 0);
}

/* ---- discovery over the fixture /proc tree ---------------------------------- */

#define ROOT FIX "root"

static void print_listeners(const char *what, const svc_listener *l, size_t n)
{
    fprintf(stderr, "  %s: %zu listeners\n", what, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "    %s %-16s %5d  pid %-6d %-15s uid %-5u inode %llu\n",
                l[i].proto == SVC_TCP ? (l[i].v6 ? "tcp6" : "tcp ") : (l[i].v6 ? "udp6" : "udp "),
                l[i].addr, l[i].port, l[i].pid, l[i].comm, l[i].uid,
                (unsigned long long)l[i].inode);
}

/* The captured container: 2099 vanished before the scan; 2001 (sleep) gives
 * the namespace; each listener gets its owner from the fd links. */
static void t_discover_container(void **st)
{
    (void)st;
    static const int pids[] = {2099, 2001, 2009, 2011, 2013, 2016, 2018, 2058};
    svc_listener l[SVC_MAX_LISTENERS];
    size_t n = 99;
    assert_int_equal(svc_discover(ROOT, pids, 8, l, SVC_MAX_LISTENERS, &n), 0);
    assert_int_equal(n, 6);
    /* sorted: protocol, port */
    static const struct {
        int proto, v6, port, pid;
        const char *addr, *comm;
    } want[] = {
        {SVC_TCP, 1, 8080, 2009, "::", "httpd"},
        {SVC_TCP, 0, 8081, 2011, "127.0.0.1", "httpd"},
        {SVC_TCP, 0, 8082, 2016, "172.17.0.2", "httpd"},
        {SVC_TCP, 1, 8083, 2013, "::1", "httpd"},
        {SVC_TCP, 1, 9000, 2058, "::", "nc"},
        {SVC_UDP, 0, 67, 2018, "0.0.0.0", "udhcpd"},
    };
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(l[i].proto, want[i].proto);
        assert_int_equal(l[i].v6, want[i].v6);
        assert_int_equal(l[i].port, want[i].port);
        assert_int_equal(l[i].pid, want[i].pid);
        assert_string_equal(l[i].addr, want[i].addr);
        assert_string_equal(l[i].comm, want[i].comm);
        assert_int_equal(l[i].netns_pid, 2001);
    }
    /* out[] bounds the result; the lowest ports survive */
    assert_int_equal(svc_discover(ROOT, pids, 8, l, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(l[1].port, 8081);
}

/* Edge cases: SO_REUSEPORT twins collapse to the owned one, unowned
 * listeners stay with pid 0, the owner's uid comes from its status. */
static void t_discover_dedup(void **st)
{
    (void)st;
    static const int pids[] = {3001, 3002};
    svc_listener l[SVC_MAX_LISTENERS];
    size_t n;
    assert_int_equal(svc_discover(ROOT, pids, 2, l, SVC_MAX_LISTENERS, &n), 0);
    print_listeners("fixture container B", l, n);
    assert_int_equal(n, 8); /* and 127.0.0.11:41234, unowned: Docker's DNS */
    const svc_listener *r = find(l, n, SVC_TCP, 6379, "::");
    assert_non_null(r);
    assert_true(r->inode == 5007);
    assert_int_equal(r->pid, 3002);
    assert_string_equal(r->comm, "redis-server");
    assert_int_equal(r->uid, 999);
    assert_int_equal(find(l, n, SVC_TCP, 5432, "::1")->pid, 3002);
    assert_int_equal(find(l, n, SVC_TCP, 443, "2001:db8::1")->pid, 0);
    assert_string_equal(find(l, n, SVC_TCP, 443, NULL)->comm, "");
    assert_non_null(find(l, n, SVC_UDP, 5353, "::"));
    assert_non_null(find(l, n, SVC_UDP, 53, "0.0.0.0"));
    assert_int_equal(l[0].port, 25);
    assert_int_equal(l[n - 1].proto, SVC_UDP);
    assert_int_equal(l[n - 1].port, 5353);
    assert_null(find(l, n, SVC_UDP, 41234, NULL));
}

/* A container on a user-defined network running no service: the only
 * sockets in its namespace are Docker's embedded DNS (captured, dns/). */
static void t_discover_docker_dns(void **st)
{
    (void)st;
    static const int pids[] = {5001};
    svc_listener l[8];
    size_t n = 9;
    assert_int_equal(parse_file("dns/tcp", SVC_TCP, 0, l, 8), 1);
    assert_string_equal(l[0].addr, "127.0.0.11");
    assert_int_equal(svc_discover(ROOT, pids, 1, l, 8, &n), 0);
    assert_int_equal(n, 0);
}

/* A --network host container sees the host's sockets: only the one its own
 * process holds is its listener. */
static void t_discover_host_netns(void **st)
{
    (void)st;
    static const int pids[] = {4001};
    svc_listener l[SVC_MAX_LISTENERS];
    size_t n;
    assert_int_equal(svc_discover(ROOT, pids, 1, l, SVC_MAX_LISTENERS, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(l[0].port, 10005);
    assert_int_equal(l[0].pid, 4001);
    assert_string_equal(l[0].comm, "app");
    assert_int_equal(l[0].uid, 1000);
}

/* The fixture's ns/net is a plain file: netlink cannot enter it and says so
 * when asked alone; svc_discover falls back to the tables (the tests
 * above), and so does SVC_VIA_PROC by itself. */
static void t_discover_via(void **st)
{
    (void)st;
    static const int pids[] = {2099, 2001, 2009, 2011, 2013, 2016, 2018, 2058};
    static svc_listener a[SVC_MAX_LISTENERS], b[SVC_MAX_LISTENERS];
    size_t na = 9, nb = 9;
    int rc = svc_discover_via(SVC_VIA_NETLINK, ROOT, pids, 8, a, SVC_MAX_LISTENERS, &na);
    assert_true(rc == -EINVAL || rc == -EPERM); /* EPERM when not root */
    assert_int_equal(na, 0);
    assert_int_equal(svc_discover_via(SVC_VIA_NETLINK, ROOT, pids, 1, a, 4, &na), -ESRCH);
    assert_int_equal(svc_discover_via(SVC_VIA_PROC, ROOT, pids, 8, a, SVC_MAX_LISTENERS, &na), 0);
    assert_int_equal(svc_discover(ROOT, pids, 8, b, SVC_MAX_LISTENERS, &nb), 0);
    assert_int_equal(na, 6);
    same_listeners(a, na, b, nb);
}

static void t_discover_gone(void **st)
{
    (void)st;
    static const int pids[] = {2099, 2098};
    svc_listener l[4];
    size_t n = 5;
    assert_int_equal(svc_discover(ROOT, pids, 2, l, 4, &n), -ESRCH);
    assert_int_equal(n, 0);
    assert_int_equal(svc_discover(ROOT, pids, 0, l, 4, &n), -ESRCH);
}

/* ---- probes in our own namespace ------------------------------------------------ */

static int can_setns(void)
{
    return geteuid() == 0;
}

/* A listener on loopback; returns the fd and its port. */
static int listen_on(int family, int *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        sl = sizeof(*s6);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* A port nobody listens on: bind, read the port, close. */
static int closed_port(void)
{
    int port;
    int fd = listen_on(AF_INET, &port);
    close(fd);
    return port;
}

static void t_probe_tcp_up_and_refused(void **st)
{
    (void)st;
    if (!can_setns())
        skip();
    int port;
    int lfd = listen_on(AF_INET, &port);
    svc_probe_result r;
    assert_int_equal(svc_probe_tcp(getpid(), "", "127.0.0.1", port, 1000, &r), 0);
    assert_int_equal(r.up, 1);
    assert_int_equal(r.err, 0);
    assert_true(r.latency_ns > 0);
    assert_string_equal(r.error, "");
    /* a wildcard listener is probed at loopback */
    assert_int_equal(svc_probe_tcp(getpid(), NULL, "0.0.0.0", port, 0, &r), 0);
    assert_int_equal(r.up, 1);
    assert_string_equal(r.addr, "127.0.0.1");
    close(lfd);

    assert_int_equal(svc_probe_tcp(getpid(), "", "127.0.0.1", closed_port(), 1000, &r), 0);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.err, ECONNREFUSED);
    assert_non_null(strstr(r.error, "refused"));
}

/* "::" is probed at ::1, or over IPv4 where the namespace has no IPv6
 * loopback; a dual-stack listener answers either way. */
static void t_probe_wildcard_v6(void **st)
{
    (void)st;
    int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int have_v6 = probe >= 0;
    if (have_v6)
        close(probe);
    if (!have_v6 || !can_setns())
        skip(); /* a kernel without IPv6 */
    int port;
    int lfd = listen_on(AF_INET6, &port);
    svc_probe_result r;
    assert_int_equal(svc_probe_tcp(getpid(), "", "::", port, 1000, &r), 0);
    assert_int_equal(r.up, 1);
    assert_true(!strcmp(r.addr, "::1") || !strcmp(r.addr, "127.0.0.1"));
    close(lfd);
}

/* A one-connection server: reads the request, answers with reply (or
 * nothing when reply is NULL, holding the connection until the client
 * leaves). */
typedef struct server {
    int lfd;
    const char *reply;
    char request[256];
} server;

static void *serve_one(void *arg)
{
    server *s = arg;
    int c = accept(s->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t n = 0;
    while (n < sizeof(s->request) - 1 && !strstr(s->request, "\r\n\r\n")) {
        ssize_t k = recv(c, s->request + n, sizeof(s->request) - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        s->request[n] = '\0';
    }
    if (s->reply) {
        (void)!send(c, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    } else {
        char b[64];
        while (recv(c, b, sizeof(b), 0) > 0)
            ;
    }
    close(c);
    return NULL;
}

static void http_case(const char *reply, const char *path, int expect_status, int timeout_ms,
                      svc_probe_result *r, char *request)
{
    server s;
    memset(&s, 0, sizeof(s));
    int port;
    s.lfd = listen_on(AF_INET, &port);
    s.reply = reply;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, serve_one, &s), 0);
    assert_int_equal(
        svc_probe_http(getpid(), "", "127.0.0.1", port, path, expect_status, timeout_ms, r), 0);
    pthread_join(t, NULL);
    close(s.lfd);
    if (request)
        snprintf(request, 256, "%s", s.request);
}

static void t_probe_http(void **st)
{
    (void)st;
    if (!can_setns())
        skip();
    svc_probe_result r;
    char req[256];
    http_case("HTTP/1.0 204 No Content\r\n\r\n", "/health", 204, 1000, &r, req);
    assert_string_equal(req, "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n");
    assert_int_equal(r.up, 1);
    assert_int_equal(r.http_status, 204);
    assert_true(r.latency_ns > 0);

    http_case("HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n", "", 0, 1000, &r, req);
    assert_string_equal(req, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
    assert_int_equal(r.up, 1); /* 0 accepts 2xx/3xx */

    http_case("HTTP/1.0 503 Service Unavailable\r\n\r\nbusy", "/", 200, 1000, &r, NULL);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.http_status, 503);
    assert_int_equal(r.err, EPROTO);
    assert_non_null(strstr(r.error, "503"));

    http_case("SSH-2.0-OpenSSH_9.2\r\n", "/", 0, 1000, &r, NULL);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.http_status, 0);
    assert_int_equal(r.err, EPROTO);

    http_case("", "/", 0, 1000, &r, NULL); /* closes without a word */
    assert_int_equal(r.up, 0);
    assert_int_equal(r.err, EPROTO);

    /* a path that would smuggle a header is refused before connecting */
    assert_int_equal(svc_probe_http(getpid(), "", "127.0.0.1", closed_port(),
                                    "/ HTTP/1.0\r\nX-Evil: 1\r\n", 0, 1000, &r),
                     0);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.err, EINVAL);
    assert_non_null(strstr(r.error, "http path"));
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Probes of one batch run concurrently: two 300 ms timeouts take about
 * 300 ms, not 600; the quick ones are not held up. */
static void t_probe_batch(void **st)
{
    (void)st;
    if (!can_setns())
        skip();
    int up_port, mute_port;
    int up = listen_on(AF_INET, &up_port);
    int mute = listen_on(AF_INET, &mute_port); /* accepts in the kernel, never answers */
    svc_probe_req q[5];
    svc_probe_result r[5];
    memset(q, 0, sizeof(q));
    for (int i = 0; i < 5; i++) {
        snprintf(q[i].addr, sizeof(q[i].addr), "127.0.0.1");
        q[i].timeout_ms = 300;
    }
    q[0].port = up_port;
    q[1].kind = SVC_PROBE_HTTP;
    q[1].port = mute_port;
    q[2].kind = SVC_PROBE_HTTP;
    q[2].port = mute_port;
    q[3].port = closed_port();
    snprintf(q[4].addr, sizeof(q[4].addr), "not-an-address");
    q[4].port = 80;
    int64_t t0 = mono_ms();
    assert_int_equal(svc_probe_batch(getpid(), "", q, 5, r), 0);
    int64_t ms = mono_ms() - t0;
    assert_int_equal(r[0].up, 1);
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(r[i].up, 0);
        assert_int_equal(r[i].err, ETIMEDOUT);
        assert_true(r[i].latency_ns >= 300000000ull);
        assert_non_null(strstr(r[i].error, "timed out after 300 ms"));
    }
    assert_int_equal(r[3].err, ECONNREFUSED);
    assert_int_equal(r[4].err, EINVAL);
    assert_true(ms >= 300 && ms < 600); /* one after the other: 600 */
    close(up);
    close(mute);
}

/* No namespace, no probe: every result says why. */
static void t_probe_no_namespace(void **st)
{
    (void)st;
    svc_probe_req q[2];
    svc_probe_result r[2];
    memset(q, 0, sizeof(q));
    q[0].port = q[1].port = 80;
    assert_int_equal(svc_probe_batch(0x3ffffff0, "", q, 2, r), -ENOENT);
    assert_int_equal(r[1].up, 0);
    assert_int_equal(r[1].err, ENOENT);
    assert_non_null(strstr(r[1].error, "network namespace of pid"));
    assert_int_equal(svc_probe_batch(getpid(), "", q, 0, r), 0);
    static svc_probe_req big[SVC_PROBE_BATCH_MAX + 1];
    static svc_probe_result bigr[SVC_PROBE_BATCH_MAX + 1];
    assert_int_equal(svc_probe_batch(getpid(), "", big, SVC_PROBE_BATCH_MAX + 1, bigr), -E2BIG);
}

/* ---- live: real containers ------------------------------------------------- */

typedef struct live {
    char name[64];
    char id[80];
    int pid;
} live;

/* Runs a shell command, keeps the first line of its output. Returns its exit
 * status (or -1). */
static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[512];
    if (out && outlen)
        out[0] = '\0';
    int first = 1;
    while (fgets(line, sizeof(line), f)) {
        if (first && out && outlen) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, outlen, "%s", line);
        }
        first = 0;
    }
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int docker_ready(void)
{
    return geteuid() == 0 &&
           run("docker image inspect berth-test:latest >/dev/null 2>&1", NULL, 0) == 0;
}

static int live_setup(void **st)
{
    live *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    snprintf(c->name, sizeof(c->name), "berth-svc-ut-%d", (int)getpid());
    *st = c;
    return 0;
}

static int live_teardown(void **st)
{
    live *c = *st;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "docker rm -f %s >/dev/null 2>&1", c->name);
    if (c->id[0])
        (void)run(cmd, NULL, 0);
    free(c);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void start(live *c, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "docker run -d --label berth-test=1 --name %s %s 2>&1", c->name,
             args);
    int rc = run(cmd, c->id, sizeof(c->id));
    if (rc != 0)
        fprintf(stderr, "docker run: %s\n", c->id);
    assert_int_equal(rc, 0);
    char pid[32];
    snprintf(cmd, sizeof(cmd), "docker inspect -f '{{.State.Pid}}' %s", c->name);
    assert_int_equal(run(cmd, pid, sizeof(pid)), 0);
    c->pid = atoi(pid);
    assert_true(c->pid > 0);
}

/* The container's pids the way the agent will get them: the cgroup path
 * from /proc/<pid>/cgroup under the layout's memory (v1) or unified (v2)
 * root, then cgroup.procs. */
static size_t container_pids(int pid, int *pids, size_t max)
{
    cg_layout lay;
    char err[128], path[1024];
    assert_int_equal(cg_layout_detect("", &lay, err, sizeof(err)), 0);
    buf b = BUF_INIT;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    assert_true(buf_read_file(&b, path, 65536) > 0);
    const char *rel = NULL;
    char *save = NULL;
    for (char *ln = strtok_r(b.data, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        char *m = strstr(ln, ":memory:");
        if (m) {
            rel = m + 8;
            break;
        }
        if (!strncmp(ln, "0::", 3) && lay.mode == CG_MODE_V2)
            rel = ln + 3;
    }
    assert_non_null(rel);
    snprintf(path, sizeof(path), "%s%s/cgroup.procs", lay.dir[CG_MEMORY], rel);
    buf_free(&b);
    int n = svc_read_pids(path, pids, max);
    assert_true(n > 0);
    return (size_t)n;
}

/* Discovers until every wanted port is there (services take a moment). */
static size_t discover_until(live *c, const int *ports, const int *protos, size_t nwant,
                             svc_listener *l, size_t max)
{
    int pids[256];
    size_t n = 0;
    for (int tries = 0; tries < 50; tries++) {
        size_t np = container_pids(c->pid, pids, 256);
        assert_int_equal(svc_discover("", pids, np, l, max, &n), 0);
        size_t found = 0;
        for (size_t i = 0; i < nwant; i++)
            found += find(l, n, protos[i], ports[i], NULL) != NULL;
        if (found == nwant)
            return n;
        sleep_ms(100);
    }
    return n;
}

/* Netlink on its own and /proc on its own find what svc_discover found,
 * field for field (the services do not change meanwhile). */
static void same_both_ways(live *c, const svc_listener *l, size_t n)
{
    int pids[256];
    static svc_listener a[SVC_MAX_LISTENERS], b[SVC_MAX_LISTENERS], ref[SVC_MAX_LISTENERS];
    size_t na, nb, np = container_pids(c->pid, pids, 256);
    assert_int_equal(svc_discover_via(SVC_VIA_NETLINK, "", pids, np, a, SVC_MAX_LISTENERS, &na), 0);
    assert_int_equal(svc_discover_via(SVC_VIA_PROC, "", pids, np, b, SVC_MAX_LISTENERS, &nb), 0);
    fprintf(stderr, "    netlink: %zu listeners, /proc: %zu\n", na, nb);
    memcpy(ref, l, n * sizeof(*l));
    same_listeners(a, na, b, nb);
    same_listeners(a, na, ref, n);
}

static void t_live_busybox(void **st)
{
    live *c = *st;
    if (!docker_ready())
        skip();
    start(c, "berth-test:latest sh -c '"
             "mkdir -p /www && echo ok > /www/index.html && "
             "printf \"interface eth0\\nstart 172.17.0.200\\nend 172.17.0.210\\n"
             "lease_file /tmp/leases\\n\" > /tmp/u.conf && touch /tmp/leases && "
             "httpd -p 8080 -h /www && httpd -p 127.0.0.1:8081 -h /www && "
             "httpd -p $(hostname -i):8082 -h /www && "
             "{ nc -l -p 9000 & udhcpd -f /tmp/u.conf & sleep 600; }'");
    static const int ports[] = {8080, 8081, 8082, 9000, 67};
    static const int protos[] = {SVC_TCP, SVC_TCP, SVC_TCP, SVC_TCP, SVC_UDP};
    svc_listener l[SVC_MAX_LISTENERS];
    size_t n = discover_until(c, ports, protos, 5, l, SVC_MAX_LISTENERS);
    print_listeners("live busybox container", l, n);
    same_both_ways(c, l, n);

    char ip[64], cmd[160];
    snprintf(cmd, sizeof(cmd), "docker inspect -f '{{.NetworkSettings.IPAddress}}' %s", c->name);
    assert_int_equal(run(cmd, ip, sizeof(ip)), 0);

    const svc_listener *h80 = find(l, n, SVC_TCP, 8080, NULL);
    const svc_listener *h81 = find(l, n, SVC_TCP, 8081, NULL);
    const svc_listener *h82 = find(l, n, SVC_TCP, 8082, NULL);
    const svc_listener *nc = find(l, n, SVC_TCP, 9000, NULL);
    const svc_listener *dh = find(l, n, SVC_UDP, 67, NULL);
    assert_true(h80 && h81 && h82 && nc && dh);
    assert_string_equal(h80->addr, "::");
    assert_string_equal(h80->comm, "httpd");
    assert_string_equal(h81->addr, "127.0.0.1");
    assert_string_equal(h81->comm, "httpd");
    assert_string_equal(h82->addr, ip);
    assert_string_equal(nc->comm, "nc");
    assert_string_equal(dh->addr, "0.0.0.0");
    assert_string_equal(dh->comm, "udhcpd");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l[i].netns_pid, c->pid);
        assert_true(l[i].pid > 0);
        assert_int_equal(l[i].uid, 0);
    }

    /* probes from inside the namespace, 127.0.0.1-only and container-IP
     * listeners included */
    svc_probe_result r;
    const svc_listener *tcp[] = {h80, h81, h82};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(svc_probe_tcp(c->pid, "", tcp[i]->addr, tcp[i]->port, 1000, &r), 0);
        fprintf(stderr, "    probe tcp %s:%d -> %s at %s, %.3f ms %s\n", tcp[i]->addr, tcp[i]->port,
                r.up ? "up" : "down", r.addr, r.latency_ns / 1e6, r.error);
        assert_int_equal(r.up, 1);
        assert_true(r.latency_ns > 0);
    }
    assert_int_equal(svc_probe_http(c->pid, "", h80->addr, 8080, "/", 200, 1000, &r), 0);
    fprintf(stderr, "    probe http :8080/ -> status %d, %s, %.3f ms\n", r.http_status,
            r.up ? "up" : "down", r.latency_ns / 1e6);
    assert_int_equal(r.up, 1);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(svc_probe_http(c->pid, "", h81->addr, 8081, "/missing", 200, 1000, &r), 0);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.http_status, 404);

    /* stop the 8080 httpd: its discovered pid is a host pid */
    assert_int_equal(kill(h80->pid, SIGTERM), 0);
    int down = 0;
    for (int tries = 0; tries < 40 && !down; tries++) {
        assert_int_equal(svc_probe_tcp(c->pid, "", "::", 8080, 1000, &r), 0);
        /* a probe racing the listener's close may see a reset (down, but
         * not yet refused): wait for the refusal of a closed port */
        down = !r.up && r.err == ECONNREFUSED;
        if (!down)
            sleep_ms(50);
    }
    fprintf(stderr, "    after kill: probe tcp :::8080 -> %s, err %d (%s)\n", r.up ? "up" : "down",
            r.err, r.error);
    assert_int_equal(r.up, 0);
    assert_int_equal(r.err, ECONNREFUSED);
    assert_non_null(strstr(r.error, "refused"));
    assert_int_equal(svc_probe_tcp(c->pid, "", "127.0.0.1", 8081, 1000, &r), 0);
    assert_int_equal(r.up, 1);
}

/* PID 1 is httpd running as nobody: no shell, nothing executed inside. */
static void t_live_no_shell(void **st)
{
    live *c = *st;
    if (!docker_ready())
        skip();
    start(c, "--user 65534 --entrypoint /usr/sbin/httpd berth-test:latest -f -p 8080");
    static const int ports[] = {8080};
    static const int protos[] = {SVC_TCP};
    svc_listener l[SVC_MAX_LISTENERS];
    size_t n = discover_until(c, ports, protos, 1, l, SVC_MAX_LISTENERS);
    print_listeners("live no-shell container", l, n);
    same_both_ways(c, l, n);
    assert_int_equal(n, 1);
    assert_int_equal(l[0].port, 8080);
    assert_int_equal(l[0].pid, c->pid);
    assert_string_equal(l[0].comm, "httpd");
    assert_int_equal(l[0].uid, 65534);
    assert_int_equal(l[0].sock_uid, 65534);
    svc_probe_result r;
    assert_int_equal(svc_probe_tcp(c->pid, "", l[0].addr, 8080, 1000, &r), 0);
    assert_int_equal(r.up, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_container_tcp),
        cmocka_unit_test(t_container_tcp6),
        cmocka_unit_test(t_container_udp),
        cmocka_unit_test(t_wrong_flavour),
        cmocka_unit_test(t_edge_tcp6),
        cmocka_unit_test(t_edge_udp),
        cmocka_unit_test(t_truncated),
        cmocka_unit_test(t_garbage),
        cmocka_unit_test(t_many),
        cmocka_unit_test(t_pids),
        cmocka_unit_test(t_http_status),
        cmocka_unit_test(t_status_uid),
        cmocka_unit_test(t_diag_captured),
        cmocka_unit_test(t_diag_all_states),
        cmocka_unit_test(t_diag_edge),
        cmocka_unit_test(t_discover_container),
        cmocka_unit_test(t_discover_dedup),
        cmocka_unit_test(t_discover_host_netns),
        cmocka_unit_test(t_discover_docker_dns),
        cmocka_unit_test(t_discover_via),
        cmocka_unit_test(t_discover_gone),
        cmocka_unit_test(t_probe_tcp_up_and_refused),
        cmocka_unit_test(t_probe_wildcard_v6),
        cmocka_unit_test(t_probe_http),
        cmocka_unit_test(t_probe_batch),
        cmocka_unit_test(t_probe_no_namespace),
        cmocka_unit_test_setup_teardown(t_live_busybox, live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(t_live_no_shell, live_setup, live_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
