/*
 * jsonw: JSON text for log records and API answers. Input is arbitrary
 * bytes, so the string encoder replaces invalid UTF-8 with U+FFFD and
 * escapes control characters: whatever a container prints, the output is
 * valid JSON.
 */
#ifndef BERTH_UTIL_JSONW_H
#define BERTH_UTIL_JSONW_H

#include <stddef.h>

#include "util/buf.h"

/* Appends s[0..n) as a quoted JSON string. Returns the number of invalid
 * UTF-8 sequences replaced. */
size_t jsonw_str(buf *b, const char *s, size_t n);

/* Appends "2026-11-25T16:22:44.123456789Z" (no quotes). */
void jsonw_time(buf *b, long long ns);

#endif
