/*
 * buf: the one growable byte buffer used everywhere (render output, HTTP
 * bodies, file reads). Always NUL-terminated so it can be handed to string
 * functions; len never counts the terminator.
 *
 * Ownership: a buf is a value the caller embeds or declares; buf_free()
 * releases its storage. Allocation failure aborts: berth's buffers are small
 * and bounded, and a daemon that cannot get a few KiB cannot do anything
 * useful (the same choice Redis makes in zmalloc).
 */
#ifndef BERTH_BUF_H
#define BERTH_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends an unsigned integer in decimal; the hot path of /metrics. */
void buf_put_u64(buf *b, unsigned long long v);
/* Appends a double the way Prometheus reads it (%.17g trimmed, NaN, +Inf). */
void buf_put_double(buf *b, double v);
void buf_reset(buf *b);
void buf_free(buf *b);
/* Hands the storage to the caller (free() it) and leaves b empty. */
char *buf_detach(buf *b);

/* Reads a whole small file (cgroup, proc) into b, replacing its content.
 * Returns bytes read or a negative errno. Stops at max bytes. */
long buf_read_file(buf *b, const char *path, size_t max);

#endif
