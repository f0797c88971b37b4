/* gzip: one-shot gzip of a buffer (see gzip.h). */
#include "util/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <zlib.h>

int gzip_buf(buf *out, const void *in, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* 15 + 16: a gzip header and trailer; level 1: logs compress ~10x even
     * so, and the CPU goes to shipping rather than squeezing. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    size_t bound = deflateBound(&z, (uLong)len);
    buf_reserve(out, bound);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        deflateEnd(&z);
        return -EIO;
    }
    out->len += z.total_out;
    out->data[out->len] = '\0';
    deflateEnd(&z);
    return 0;
}
