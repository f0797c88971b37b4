/*
 * gzip: one-shot gzip (RFC 1952) of a whole buffer, for HTTP bodies
 * (Content-Encoding: gzip). Level 1: log batches compress about 10x even
 * so, and the CPU goes to shipping rather than squeezing.
 */
#ifndef BERTH_UTIL_GZIP_H
#define BERTH_UTIL_GZIP_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the gzip of in[0..len) to out. 0, -ENOMEM or -EIO. */
int gzip_buf(buf *out, const void *in, size_t len);

#endif
