/*
 * lframe: the payloads the log pipeline writes into its disk buffers (after
 * lbuf's own frame header): the encoder the reader uses and the decoder the
 * senders use, in one module so that one file owns the format and one fuzz
 * target (fuzz/fuzz_lframe.c) covers what is read back from disk.
 *
 *   'S' u32 src, u8 flags, then u16-length strings host, id, name, image,
 *       image_id, compose project, compose service, swarm service, swarm
 *       task, path, u16 nlabels and that many key/value strings;
 *   'L' u8 stream, u8 flags, u16 0, u32 src, i64 ts_ns, u64 seq, message.
 *
 * u16 string lengths are little-endian; src, nlabels, ts_ns and seq are in
 * host order (the buffer never leaves the host that wrote it). A string
 * longer than 65535 bytes is cut there. Each segment carries the 'S' of
 * every source before its first 'L' there, so a sender can start in any
 * segment (the reader's emit in lpipe.c sees to it).
 *
 * Decoding is bounds-checked everywhere: a buffer file is outside input
 * after a crash or a disk error. No I/O here.
 */
#ifndef BERTH_LFRAME_H
#define BERTH_LFRAME_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "logs/lrec.h"
#include "util/buf.h"

#define LFRAME_NTAGS    10 /* host ... path, in the order of the 'S' payload */
#define LFRAME_LHDR     24 /* bytes of an 'L' payload before the message */
#define LFRAME_SRC_JSON 1u /* 'S' flag: messages are JSON (berth.logs.json=1) */

/* A decoded source definition. Owns its strings (NUL-terminated copies;
 * a string may hold NUL bytes before its end if the payload did). */
typedef struct lframe_src {
    int used;
    char *str[LFRAME_NTAGS];
    lrec_kv *lab; /* nlab pairs; key and val point at owned copies */
    size_t nlab;
    unsigned flags;
} lframe_src;

/* Appends the 'S' payload of source src to b (b is not reset first).
 * tags: LFRAME_NTAGS C strings; lab: nlab key/value pairs as 2*nlab
 * C strings. */
void lframe_put_source(buf *b, uint32_t src, unsigned flags, const char *const *tags,
                       char *const *lab, size_t nlab);

/* Decodes an 'S' payload of len bytes into *out (all fields set) and its
 * source id into *src. 0, or -EINVAL for a short or malformed payload (out
 * then owns nothing). Free with lframe_src_free. */
int lframe_get_source(const char *q, size_t len, uint32_t *src, lframe_src *out);
/* Frees what x owns and zeroes it; a zeroed x is a no-op. */
void lframe_src_free(lframe_src *x);
/* Writes the LFRAME_LHDR bytes of an 'L' payload; the message follows.
 * Inline, as lframe_get_line: both run once per record. */
static inline void lframe_line_hdr(char *hdr, int stream, unsigned flags, uint32_t src,
                                   int64_t ts_ns, uint64_t seq)
{
    hdr[0] = 'L';
    hdr[1] = (char)stream;
    hdr[2] = (char)flags;
    hdr[3] = 0;
    memcpy(hdr + 4, &src, 4);
    memcpy(hdr + 8, &ts_ns, 8);
    memcpy(hdr + 16, &seq, 8);
}

/* Decodes an 'L' payload: stream, flags, ts_ns, seq, msg and msg_len of r
 * (the rest of r untouched; msg borrows from q) and the source id into
 * *src. 0, or -EINVAL when q is not an 'L' payload of at least
 * LFRAME_LHDR bytes. Allocates nothing. */
static inline int lframe_get_line(const char *q, size_t len, uint32_t *src, lrec *r)
{
    if (len < LFRAME_LHDR || q[0] != 'L')
        return -EINVAL;
    memcpy(src, q + 4, 4);
    r->stream = (unsigned char)q[1];
    r->flags = (unsigned char)q[2];
    memcpy(&r->ts_ns, q + 8, 8);
    memcpy(&r->seq, q + 16, 8);
    r->msg = q + LFRAME_LHDR;
    r->msg_len = len - LFRAME_LHDR;
    return 0;
}

#endif
