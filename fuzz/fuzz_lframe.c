/*
 * fuzz_lframe: libFuzzer target for the log buffer payloads (logs/lframe.c),
 * which a sender reads back from disk: a buffer file is outside input after
 * a crash, a disk error or a foreign write. The input is decoded as an 'S'
 * and as an 'L' payload. Invariants (abort() on failure): a decoded 'S'
 * whose strings hold no NUL byte encodes back to exactly the bytes it was
 * read from; a decoded 'L' header encodes back to its first LFRAME_LHDR
 * bytes and its message is the rest. Seeds: fuzz/corpus/lframe/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int clean(const char *s, size_t len)
{
    return strlen(s) == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so ASan sees any read past the end */
    char *q = malloc(size ? size : 1);
    if (!q)
        abort();
    memcpy(q, data, size);

    uint32_t id;
    lframe_src s;
    if (lframe_get_source(q, size, &id, &s) == 0) {
        int ok = 1;
        for (size_t k = 0; k < s.nlab; k++)
            ok &= clean(s.lab[k].key, s.lab[k].key_len) && clean(s.lab[k].val, s.lab[k].val_len);
        /* a tag with a NUL inside re-encodes shorter: compare the rest only */
        size_t used = 6;
        for (int k = 0; k < LFRAME_NTAGS; k++) {
            size_t l = (unsigned char)q[used] | (size_t)(unsigned char)q[used + 1] << 8;
            ok &= clean(s.str[k], l);
            used += 2 + l;
        }
        if (ok) {
            char **lab = malloc((2 * s.nlab + 1) * sizeof(*lab));
            if (!lab)
                abort();
            for (size_t k = 0; k < s.nlab; k++) {
                lab[2 * k] = (char *)s.lab[k].key;
                lab[2 * k + 1] = (char *)s.lab[k].val;
            }
            buf b = BUF_INIT;
            lframe_put_source(&b, id, s.flags, (const char *const *)s.str, lab, s.nlab);
            if (b.len > size || memcmp(b.data, q, b.len) != 0)
                abort();
            buf_free(&b);
            free(lab);
        }
        lframe_src_free(&s);
    }

    lrec r;
    memset(&r, 0, sizeof(r));
    uint32_t src;
    if (lframe_get_line(q, size, &src, &r) == 0) {
        char hdr[LFRAME_LHDR];
        lframe_line_hdr(hdr, r.stream, r.flags, src, r.ts_ns, r.seq);
        /* byte 3 is written 0 and not read back */
        if (memcmp(hdr, q, 3) != 0 || memcmp(hdr + 4, q + 4, LFRAME_LHDR - 4) != 0)
            abort();
        if (r.msg != q + LFRAME_LHDR || r.msg_len != size - LFRAME_LHDR)
            abort();
    }
    free(q);
    return 0;
}
