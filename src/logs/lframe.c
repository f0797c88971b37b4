/*
 * lframe: encoder and decoder of the log pipeline's 'S' and 'L' buffer
 * payloads; the format is described in lframe.h. The encoder runs on the
 * reader thread, the decoder on the sender threads; neither keeps state,
 * so neither needs a lock. The 'L' header's two functions are on the
 * per-record path: they are inline in lframe.h, copy fixed-size fields and
 * allocate nothing.
 */
#include "logs/lframe.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put16s(buf *b, const char *s)
{
    size_t l = strlen(s);
    if (l > 65535)
        l = 65535;
    unsigned char h[2] = {(unsigned char)l, (unsigned char)(l >> 8)};
    buf_append(b, h, 2);
    buf_append(b, s, l);
}

void lframe_put_source(buf *b, uint32_t src, unsigned flags, const char *const *tags,
                       char *const *lab, size_t nlab)
{
    buf_putc(b, 'S');
    buf_append(b, &src, 4);
    unsigned char fl = (unsigned char)flags;
    buf_append(b, &fl, 1);
    for (int k = 0; k < LFRAME_NTAGS; k++)
        put16s(b, tags[k]);
    uint16_t nl = (uint16_t)nlab;
    buf_append(b, &nl, 2);
    for (size_t i = 0; i < nlab * 2; i++)
        put16s(b, lab[i]);
}

static uint16_t get16(const char *q)
{
    return (uint16_t)((unsigned char)q[0] | (unsigned char)q[1] << 8);
}

static char *dup_n(const char *q, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, q, n);
    d[n] = '\0';
    return d;
}

void lframe_src_free(lframe_src *x)
{
    for (int k = 0; k < LFRAME_NTAGS; k++)
        free(x->str[k]);
    for (size_t k = 0; k < x->nlab; k++) {
        free((char *)x->lab[k].key);
        free((char *)x->lab[k].val);
    }
    free(x->lab);
    memset(x, 0, sizeof(*x));
}

int lframe_get_source(const char *q, size_t len, uint32_t *src, lframe_src *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 6 || q[0] != 'S')
        return -EINVAL;
    memcpy(src, q + 1, 4);
    out->flags = (unsigned char)q[5];
    size_t i = 6;
    for (int k = 0; k < LFRAME_NTAGS; k++) {
        if (i + 2 > len)
            goto bad;
        size_t l = get16(q + i);
        if (i + 2 + l > len)
            goto bad;
        out->str[k] = dup_n(q + i + 2, l);
        i += 2 + l;
    }
    if (i + 2 > len)
        goto bad;
    size_t nl = get16(q + i);
    i += 2;
    out->lab = calloc(nl ? nl : 1, sizeof(lrec_kv));
    if (!out->lab)
        abort();
    for (size_t k = 0; k < nl; k++) {
        const char *kv[2] = {NULL, NULL};
        size_t kl[2];
        for (int j = 0; j < 2; j++) {
            if (i + 2 > len || i + 2 + (kl[j] = get16(q + i)) > len) {
                free((char *)kv[0]);
                goto bad;
            }
            kv[j] = dup_n(q + i + 2, kl[j]);
            i += 2 + kl[j];
        }
        out->lab[k] = (lrec_kv){kv[0], kl[0], kv[1], kl[1]};
        out->nlab++;
    }
    out->used = 1;
    return 0;
bad:
    lframe_src_free(out);
    return -EINVAL;
}
