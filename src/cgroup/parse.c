/*
 * cgroup parsers: pure functions over the bytes of a cgroup, proc or
 * mountinfo file. No I/O, no allocation, bounded by len (the buffers are not
 * assumed to be NUL-terminated), so they are safe on hostile input and each
 * has a unit test on captured files and a libFuzzer target.
 *
 * Numbers that overflow saturate at UINT64_MAX instead of wrapping: a bogus
 * huge counter is visible, a wrapped one would look like a plausible value.
 */
#include "util/scan.h"
#include "cgroup/cgroup.h"

#include <errno.h>
#include <string.h>

/* A cursor over lines of [p, end). */
typedef struct lines {
    const char *p, *end;
} lines;

static int next_line(lines *it, const char **ls, const char **le)
{
    if (it->p >= it->end)
        return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    *ls = it->p;
    *le = nl ? nl : it->end;
    it->p = nl ? nl + 1 : it->end;
    return 1;
}

/* Parses decimal digits at p; returns the end, or NULL when no digit. */
static const char *parse_dec(const char *p, const char *e, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            v = UINT64_MAX;
        else
            v = v * 10 + d;
        p++;
    }
    if (p == s)
        return NULL;
    *out = v;
    return p;
}

static int token_eq(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}

int cg_parse_u64(const char *buf, size_t len, uint64_t *out)
{
    const char *e = buf + len;
    const char *p = scan_skip_space(buf, e);
    if (e - p >= 3 && memcmp(p, "max", 3) == 0) {
        *out = CG_MAX;
        return 0;
    }
    /* v1 memory.limit_in_bytes may be "-1" on some kernels for unlimited. */
    if (e - p >= 2 && p[0] == '-' && p[1] == '1') {
        *out = CG_MAX;
        return 0;
    }
    return parse_dec(p, e, out) ? 0 : -EINVAL;
}

uint64_t cg_parse_kv(const char *buf, size_t len, const char *const *keys, size_t nkeys,
                     uint64_t *vals)
{
    uint64_t found = 0;
    lines it = {buf, buf + len};
    const char *ls, *le;
    while (next_line(&it, &ls, &le)) {
        const char *ke = scan_skip_token(ls, le);
        for (size_t i = 0; i < nkeys && i < 64; i++) {
            if (!token_eq(ls, ke, keys[i]))
                continue;
            uint64_t v;
            if (parse_dec(scan_skip_space(ke, le), le, &v)) {
                vals[i] = v;
                found |= 1ull << i;
            }
            break;
        }
    }
    return found;
}

int cg_parse_cpu_max(const char *buf, size_t len, int64_t *quota, uint64_t *period)
{
    const char *e = buf + len;
    const char *p = scan_skip_space(buf, e);
    const char *te = scan_skip_token(p, e);
    uint64_t q = 0;
    if (token_eq(p, te, "max"))
        *quota = -1;
    else if (parse_dec(p, te, &q) == te && q <= INT64_MAX)
        *quota = (int64_t)q;
    else
        return -EINVAL;
    p = scan_skip_space(te, e);
    if (!parse_dec(p, e, period))
        *period = 100000; /* the kernel's default when only a quota is written */
    return 0;
}

int cg_parse_blkio_v1(const char *buf, size_t len, uint64_t *read, uint64_t *write)
{
    *read = *write = 0;
    lines it = {buf, buf + len};
    const char *ls, *le;
    int any = 0;
    while (next_line(&it, &ls, &le)) {
        /* "8:0 Read 4096"; the trailing "Total N" line has two tokens only. */
        const char *dev_e = scan_skip_token(ls, le);
        const char *op = scan_skip_space(dev_e, le);
        const char *op_e = scan_skip_token(op, le);
        if (op == op_e || memchr(ls, ':', (size_t)(dev_e - ls)) == NULL)
            continue;
        uint64_t v;
        if (!parse_dec(scan_skip_space(op_e, le), le, &v))
            continue;
        if (token_eq(op, op_e, "Read"))
            *read = (*read > UINT64_MAX - v) ? UINT64_MAX : *read + v;
        else if (token_eq(op, op_e, "Write"))
            *write = (*write > UINT64_MAX - v) ? UINT64_MAX : *write + v;
        any = 1;
    }
    return any ? 0 : -ENODATA;
}

static void add_sat(uint64_t *acc, uint64_t v)
{
    *acc = (*acc > UINT64_MAX - v) ? UINT64_MAX : *acc + v;
}

int cg_parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes,
                     uint64_t *rios, uint64_t *wios)
{
    *rbytes = *wbytes = *rios = *wios = 0;
    lines it = {buf, buf + len};
    const char *ls, *le;
    while (next_line(&it, &ls, &le)) {
        const char *p = scan_skip_token(ls, le); /* device */
        while (p < le) {
            p = scan_skip_space(p, le);
            const char *te = scan_skip_token(p, le);
            const char *eq = memchr(p, '=', (size_t)(te - p));
            uint64_t v;
            if (eq && parse_dec(eq + 1, te, &v)) {
                if (token_eq(p, eq, "rbytes"))
                    add_sat(rbytes, v);
                else if (token_eq(p, eq, "wbytes"))
                    add_sat(wbytes, v);
                else if (token_eq(p, eq, "rios"))
                    add_sat(rios, v);
                else if (token_eq(p, eq, "wios"))
                    add_sat(wios, v);
            }
            p = te;
        }
    }
    return 0;
}

unsigned cg_parse_psi(const char *buf, size_t len, uint64_t *some_total, uint64_t *full_total)
{
    unsigned mask = 0;
    lines it = {buf, buf + len};
    const char *ls, *le;
    while (next_line(&it, &ls, &le)) {
        const char *ke = scan_skip_token(ls, le);
        int which;
        if (token_eq(ls, ke, "some"))
            which = 0;
        else if (token_eq(ls, ke, "full"))
            which = 1;
        else
            continue;
        const char *p = ke;
        while (p < le) {
            p = scan_skip_space(p, le);
            const char *te = scan_skip_token(p, le);
            if (te - p > 6 && memcmp(p, "total=", 6) == 0) {
                uint64_t v;
                if (parse_dec(p + 6, te, &v)) {
                    *(which ? full_total : some_total) = v;
                    mask |= 1u << which;
                }
            }
            p = te;
        }
    }
    return mask;
}

size_t cg_parse_netdev(const char *buf, size_t len, bnet_iface *out, size_t max)
{
    size_t n = 0;
    lines it = {buf, buf + len};
    const char *ls, *le;
    while (n < max && next_line(&it, &ls, &le)) {
        /* "  eth0: 123 4 0 0 0 0 0 0 567 8 0 0 0 0 0 0"; headers have '|'. */
        const char *colon = memchr(ls, ':', (size_t)(le - ls));
        if (!colon || memchr(ls, '|', (size_t)(le - ls)))
            continue;
        const char *ns = scan_skip_space(ls, colon);
        size_t nl = (size_t)(colon - ns);
        if (nl == 0 || nl >= BS_IFNAME)
            continue;
        uint64_t f[16];
        const char *p = colon + 1;
        int k;
        for (k = 0; k < 16; k++) {
            p = scan_skip_space(p, le);
            p = parse_dec(p, le, &f[k]);
            if (!p)
                break;
        }
        if (k < 16)
            continue;
        bnet_iface *i = &out[n++];
        memset(i, 0, sizeof(*i));
        memcpy(i->name, ns, nl);
        i->rx_bytes = f[0];
        i->rx_packets = f[1];
        i->rx_errors = f[2];
        i->rx_dropped = f[3];
        i->tx_bytes = f[8];
        i->tx_packets = f[9];
        i->tx_errors = f[10];
        i->tx_dropped = f[11];
    }
    return n;
}

int cg_parse_first_pid(const char *buf, size_t len)
{
    uint64_t v;
    const char *e = buf + len;
    const char *p = scan_skip_space(buf, e);
    if (!parse_dec(p, e, &v) || v > 0x7fffffff)
        return 0;
    return (int)v;
}

int cg_parse_proc_stat(const char *buf, size_t len, cg_host *h)
{
    lines it = {buf, buf + len};
    const char *ls, *le;
    int found = 0;
    h->ncpu = 0;
    while (next_line(&it, &ls, &le)) {
        const char *ke = scan_skip_token(ls, le);
        if (token_eq(ls, ke, "cpu")) {
            /* user nice system idle iowait irq softirq steal, in USER_HZ */
            uint64_t f[8] = {0};
            const char *p = ke;
            for (int k = 0; k < 8; k++) {
                p = scan_skip_space(p, le);
                const char *q = parse_dec(p, le, &f[k]);
                if (!q)
                    break;
                p = q;
            }
            /* USER_HZ is 100 on every Linux ABI berth runs on. */
            const uint64_t tick = 10000000ull;
            h->cpu_user_ns = (f[0] + f[1]) * tick;
            h->cpu_system_ns = (f[2] + f[5] + f[6]) * tick;
            h->cpu_idle_ns = (f[3] + f[4]) * tick;
            h->cpu_total_ns = h->cpu_user_ns + h->cpu_system_ns + f[7] * tick;
            found = 1;
        } else if (ke - ls > 3 && memcmp(ls, "cpu", 3) == 0) {
            h->ncpu++;
        }
    }
    return found ? 0 : -EINVAL;
}

int cg_parse_meminfo(const char *buf, size_t len, cg_host *h)
{
    static const char *const keys[] = {"MemTotal:", "MemAvailable:"};
    uint64_t v[2] = {0, 0};
    uint64_t m = cg_parse_kv(buf, len, keys, 2, v);
    if (!(m & 1))
        return -EINVAL;
    h->mem_total = v[0] * 1024;
    h->mem_available = v[1] * 1024;
    return 0;
}
