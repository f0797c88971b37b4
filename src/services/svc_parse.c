/*
 * svc_parse: the pure parsers of the services module (see svc.h). They read
 * text the kernel or a peer produced and never touch the filesystem, so each
 * has unit tests on captured input and a libFuzzer target
 * (fuzz/fuzz_services.c).
 *
 * A /proc/net/{tcp,udp}[6] line, as printed by tcp4_seq_show() and friends:
 *
 *   "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when
 *       retrnsmt   uid  timeout inode ..."
 *   "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000
 *       00000000     0        0 986680 1 000000004f6bf63e 100 0 0 10 0"
 *
 * Addresses are "%08X" of each 32-bit word of the address as it sits in
 * memory, read as a host-order integer: one word for IPv4, four for IPv6.
 * Parsing each word back into an integer and storing it in memory restores
 * the original bytes on any endianness. Ports are "%04X" of the host-order
 * port. Every field is validated; a line that does not match is skipped as a
 * whole, so garbage yields no listener rather than a wrong one.
 *
 * The same listeners also come from NETLINK_SOCK_DIAG dump replies
 * (svc_parse_diag, below), which svc_discover prefers: see svc_discover.c.
 */
#include "util/scan.h"
#include "services/svc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly n hex digits (n <= 8) into *v. Returns the end or NULL. */
static const char *hex_word(const char *p, const char *e, int n, uint32_t *v)
{
    uint32_t x = 0;
    if (e - p < n)
        return NULL;
    for (int i = 0; i < n; i++) {
        int d = hexval(p[i]);
        if (d < 0)
            return NULL;
        x = (x << 4) | (uint32_t)d;
    }
    *v = x;
    return p + n;
}

/* Decimal into *v, at least one digit, no overflow past max. */
static const char *dec_u64(const char *p, const char *e, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9') {
        uint64_t d = (uint64_t)(*p - '0');
        if (x > (max - d) / 10)
            return NULL;
        x = x * 10 + d;
        p++;
    }
    if (p == s)
        return NULL;
    *v = x;
    return p;
}

/* "ADDR:PORT" in the kernel's hex. Fills the address bytes (4 or 16) and the
 * port; returns the end or NULL. */
static const char *endpoint(const char *p, const char *e, int v6, unsigned char addr[16],
                            unsigned *port)
{
    int words = v6 ? 4 : 1;
    for (int i = 0; i < words; i++) {
        uint32_t w;
        p = hex_word(p, e, 8, &w);
        if (!p)
            return NULL;
        memcpy(addr + 4 * i, &w, 4);
    }
    if (p >= e || *p != ':')
        return NULL;
    p++;
    /* the kernel prints %04X; accept 1..4 digits */
    uint32_t x = 0;
    int nd = 0;
    while (p < e && nd < 5) {
        int d = hexval(*p);
        if (d < 0)
            break;
        x = (x << 4) | (uint32_t)d;
        p++;
        nd++;
    }
    if (nd == 0 || nd > 4)
        return NULL;
    *port = x;
    return p;
}

static int all_zero(const unsigned char *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i])
            return 0;
    return 1;
}

/* One line [p, e); complete when it ended with a newline. Returns 1 and
 * fills *l for a listener, else 0. */
static int parse_line(const char *p, const char *e, int complete, int proto, int v6,
                      svc_listener *l)
{
    unsigned char la[16], ra[16];
    unsigned lport, rport;
    uint32_t st;
    uint64_t slot, uid, inode;

    p = scan_skip_space(p, e);
    p = dec_u64(p, e, UINT64_MAX, &slot);
    if (!p || p >= e || *p != ':')
        return 0; /* the header line, or garbage */
    p = scan_skip_space(p + 1, e);
    p = endpoint(p, e, v6, la, &lport);
    if (!p || p >= e || *p != ' ')
        return 0;
    p = endpoint(scan_skip_space(p, e), e, v6, ra, &rport);
    if (!p || p >= e || *p != ' ')
        return 0;
    p = hex_word(scan_skip_space(p, e), e, 2, &st);
    if (!p || p >= e || *p != ' ')
        return 0;
    /* tx_queue:rx_queue, tr:tm->when, retrnsmt: not needed */
    for (int i = 0; i < 3; i++) {
        const char *s = scan_skip_space(p, e);
        p = scan_skip_token(s, e);
        if (p == s)
            return 0;
    }
    p = dec_u64(scan_skip_space(p, e), e, UINT_MAX, &uid);
    if (!p || p >= e || *p != ' ')
        return 0;
    const char *s = scan_skip_space(p, e);
    p = scan_skip_token(s, e); /* timeout */
    if (p == s)
        return 0;
    p = dec_u64(scan_skip_space(p, e), e, UINT64_MAX, &inode);
    if (!p)
        return 0;
    /* The inode must be followed by a separator; at the end of an
     * unterminated (cut) line it may itself be cut. */
    if (p < e ? (*p != ' ' && *p != '\t') : !complete)
        return 0;

    size_t alen = v6 ? 16 : 4;
    if (proto == SVC_TCP) {
        if (st != 0x0A)
            return 0;
    } else {
        if (st != 0x07 || rport != 0 || !all_zero(ra, alen))
            return 0;
    }
    if (lport == 0)
        return 0;

    memset(l, 0, sizeof(*l));
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, la, l->addr, sizeof(l->addr)))
        return 0;
    l->proto = proto;
    l->v6 = v6 ? 1 : 0;
    l->port = (int)lport;
    l->inode = inode;
    l->sock_uid = (unsigned)uid;
    return 1;
}

size_t svc_parse_proc_net(const char *buf, size_t len, int proto, int v6, svc_listener *out,
                          size_t max)
{
    size_t n = 0;

    if (!buf || (proto != SVC_TCP && proto != SVC_UDP))
        return 0;
    const char *p = buf, *end = buf + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (parse_line(p, e, nl != NULL, proto, v6, &out[n]))
            n++;
        p = nl ? nl + 1 : end;
    }
    return n;
}

size_t svc_parse_pids(const char *buf, size_t len, int *out, size_t max)
{
    size_t n = 0;

    if (!buf)
        return 0;
    const char *p = buf, *end = buf + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        uint64_t v;
        const char *q = dec_u64(scan_skip_space(p, e), e, INT_MAX, &v);
        if (q && scan_skip_space(q, e) == e && v > 0)
            out[n++] = (int)v;
        p = nl ? nl + 1 : end;
    }
    return n;
}

int svc_parse_http_status(const char *buf, size_t len)
{
    static const char proto[] = "HTTP/";
    size_t np = sizeof(proto) - 1;
    size_t k = len < np ? len : np;

    if (!buf || memcmp(buf, proto, k) != 0)
        return -EINVAL; /* fail early: not waiting for a line that cannot match */
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return -EAGAIN;
    const char *p = buf + np, *e = nl;
    /* HTTP/D.D SP DDD (SP reason)? CR? LF */
    if (e - p < 7 || p[0] < '0' || p[0] > '9' || p[1] != '.' || p[2] < '0' || p[2] > '9' ||
        p[3] != ' ')
        return -EINVAL;
    p += 4;
    int code = 0;
    for (int i = 0; i < 3; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -EINVAL;
        code = code * 10 + (p[i] - '0');
    }
    p += 3;
    if (p < e && *p != ' ' && *p != '\r')
        return -EINVAL;
    if (code < 100)
        return -EINVAL;
    return code;
}

int svc_parse_status_uid(const char *buf, size_t len, unsigned *euid)
{
    if (!buf)
        return -EINVAL;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e - p > 4 && memcmp(p, "Uid:", 4) == 0) {
            uint64_t ruid, eu;
            const char *q = dec_u64(scan_skip_space(p + 4, e), e, UINT_MAX, &ruid);
            if (!q)
                return -EINVAL;
            q = dec_u64(scan_skip_space(q, e), e, UINT_MAX, &eu);
            if (!q)
                return -EINVAL;
            *euid = (unsigned)eu;
            return 0;
        }
        p = nl ? nl + 1 : end;
    }
    return -EINVAL;
}

/* ---- NETLINK_SOCK_DIAG replies ------------------------------------------------
 *
 * A dump reply is a run of netlink messages, each a struct nlmsghdr
 * (nlmsg_len covers header and payload, messages padded to NLMSG_ALIGNTO)
 * followed, for SOCK_DIAG_BY_FAMILY, by a struct inet_diag_msg and optional
 * attributes (none are requested). The dump ends with NLMSG_DONE (whose
 * payload is an int, negative when the dump failed) or an NLMSG_ERROR. The
 * bytes may sit at any alignment (fuzzer, captured files), so every header
 * is copied out with memcpy. A message whose length does not fit the buffer
 * ends the parse: the rest cannot be framed. */

/* One inet_diag_msg; returns 1 and fills *l for a listener, else 0. */
static int diag_msg(const struct inet_diag_msg *m, int proto, svc_listener *l)
{
    int v6;
    if (m->idiag_family == AF_INET)
        v6 = 0;
    else if (m->idiag_family == AF_INET6)
        v6 = 1;
    else
        return 0;
    size_t alen = v6 ? 16 : 4;
    if (proto == SVC_TCP) {
        if (m->idiag_state != 0x0A) /* TCP_LISTEN */
            return 0;
    } else {
        if (m->idiag_state != 0x07 || m->id.idiag_dport != 0 ||
            !all_zero((const unsigned char *)m->id.idiag_dst, alen))
            return 0; /* TCP_CLOSE, no peer: unconnected */
    }
    unsigned port = ntohs(m->id.idiag_sport);
    if (port == 0)
        return 0;
    memset(l, 0, sizeof(*l));
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, m->id.idiag_src, l->addr, sizeof(l->addr)))
        return 0;
    l->proto = proto;
    l->v6 = v6;
    l->port = (int)port;
    l->inode = m->idiag_inode;
    l->sock_uid = m->idiag_uid;
    return 1;
}

int svc_parse_diag(const char *buf, size_t len, int proto, svc_listener *out, size_t max, size_t *n)
{
    *n = 0;
    if (!buf || (proto != SVC_TCP && proto != SVC_UDP))
        return -EINVAL;
    size_t off = 0;
    while (len - off >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr h;
        memcpy(&h, buf + off, sizeof(h));
        if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
            return -EBADMSG;
        const char *pl = buf + off + sizeof(h);
        size_t plen = h.nlmsg_len - sizeof(h);
        if (h.nlmsg_type == NLMSG_DONE) {
            int err = 0;
            if (plen >= sizeof(err))
                memcpy(&err, pl, sizeof(err));
            return err < 0 ? (err > -4096 ? err : -EIO) : 1;
        }
        if (h.nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr e;
            if (plen < sizeof(e.error))
                return -EBADMSG;
            memcpy(&e.error, pl, sizeof(e.error));
            /* an ACK (0) ends nothing a dump waits for: treat as the end */
            return e.error < 0 ? (e.error > -4096 ? e.error : -EIO) : 1;
        }
        if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && plen >= sizeof(struct inet_diag_msg) &&
            *n < max) {
            struct inet_diag_msg m;
            memcpy(&m, pl, sizeof(m));
            if (diag_msg(&m, proto, &out[*n]))
                (*n)++;
        }
        size_t step = NLMSG_ALIGN(h.nlmsg_len);
        if (step > len - off)
            break; /* the last message, unpadded */
        off += step;
    }
    return 0;
}
