/*
 * zbx allow: the agent's allow list (Zabbix's Server= parameter), checked
 * once per connection at accept. A list of (family, address, prefix)
 * entries compared with memcmp and a partial byte: no DNS, no allocation
 * after start-up, so the check costs nothing on the event loop. Parsing is
 * pure and fuzzed with the rest of the module's parsers.
 */
#include "zabbix/zbx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct allow_net {
    int family;          /* AF_INET or AF_INET6 */
    unsigned char a[16]; /* network address, host bits cleared */
    unsigned prefix;     /* 0..32 or 0..128 */
} allow_net;

struct zbx_allow {
    size_t n;
    allow_net nets[]; /* n entries */
};

/* 1 if the first prefix bits of x and y are equal. */
static int prefix_eq(const unsigned char *x, const unsigned char *y, unsigned prefix)
{
    unsigned bytes = prefix / 8, bits = prefix % 8;
    if (memcmp(x, y, bytes) != 0)
        return 0;
    if (!bits)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8 - bits));
    return (x[bytes] & mask) == (y[bytes] & mask);
}

static void clear_host_bits(unsigned char *a, size_t alen, unsigned prefix)
{
    for (size_t i = 0; i < alen; i++) {
        if (prefix >= 8 * (i + 1))
            continue;
        unsigned keep = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
        a[i] &= (unsigned char)(keep ? 0xffu << (8 - keep) : 0);
    }
}

/* Parses one entry "addr" or "addr/prefix" (already trimmed, NUL-ended). */
static int parse_entry(const char *s, allow_net *net)
{
    char tmp[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);

    if (alen == 0 || alen >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, s, alen);
    tmp[alen] = '\0';
    memset(net, 0, sizeof(*net));
    if (inet_pton(AF_INET, tmp, net->a) == 1) {
        net->family = AF_INET;
        net->prefix = 32;
    } else if (inet_pton(AF_INET6, tmp, net->a) == 1) {
        net->family = AF_INET6;
        net->prefix = 128;
    } else {
        return -EINVAL;
    }
    if (slash) {
        const char *p = slash + 1;
        unsigned v = 0;
        if (!*p || strlen(p) > 3)
            return -EINVAL;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -EINVAL;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > net->prefix)
            return -EINVAL;
        net->prefix = v;
    }
    clear_host_bits(net->a, net->family == AF_INET ? 4 : 16, net->prefix);
    return 0;
}

int zbx_allow_new(const char *spec, size_t len, zbx_allow **out, char *err, size_t errlen)
{
    int rc = 0;
    size_t cap = 1;
    zbx_allow *a = NULL;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!spec || len == 0) {
        snprintf(err, errlen, "allow list is empty");
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++)
        cap += spec[i] == ',';
    a = calloc(1, sizeof(*a) + cap * sizeof(allow_net));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i <= len;) {
        const char *e = memchr(spec + i, ',', len - i);
        size_t end = e ? (size_t)(e - spec) : len;
        size_t b = i, z = end;
        while (b < z && (spec[b] == ' ' || spec[b] == '\t'))
            b++;
        while (z > b && (spec[z - 1] == ' ' || spec[z - 1] == '\t'))
            z--;
        if (z > b) {
            char entry[INET6_ADDRSTRLEN + 8];
            size_t n = z - b;
            int bad = n >= sizeof(entry) || memchr(spec + b, '\0', n) != NULL;
            if (!bad) {
                memcpy(entry, spec + b, n);
                entry[n] = '\0';
                bad = parse_entry(entry, &a->nets[a->n]) != 0;
            }
            if (bad) {
                int shown = n > 64 ? 64 : (int)n;
                snprintf(err, errlen,
                         "allow list entry '%.*s%s' is not an IP address or CIDR "
                         "(hostnames are not supported)",
                         shown, spec + b, n > 64 ? "..." : "");
                /* keep the message printable whatever the input was */
                for (char *p = err; p && *p; p++) {
                    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                        *p = '?';
                }
                rc = -EINVAL;
                goto out;
            }
            a->n++;
        }
        i = end + 1;
    }
    if (a->n == 0) {
        snprintf(err, errlen, "allow list is empty");
        rc = -EINVAL;
        goto out;
    }
    *out = a;
    a = NULL;
out:
    free(a);
    return rc;
}

int zbx_allow_match(const zbx_allow *a, const struct sockaddr *sa)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    unsigned char v4[4], v6[16];
    int has4 = 0, has6 = 0;

    if (!a || !sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        memcpy(v4, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        has4 = 1;
    } else if (sa->sa_family == AF_INET6) {
        memcpy(v6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        has6 = 1;
        if (memcmp(v6, mapped, 12) == 0) {
            memcpy(v4, v6 + 12, 4);
            has4 = 1;
        }
    }
    for (size_t i = 0; i < a->n; i++) {
        const allow_net *n = &a->nets[i];
        if ((n->family == AF_INET && has4 && prefix_eq(n->a, v4, n->prefix)) ||
            (n->family == AF_INET6 && has6 && prefix_eq(n->a, v6, n->prefix)))
            return 1;
    }
    return 0;
}

void zbx_allow_free(zbx_allow *a)
{
    free(a);
}
