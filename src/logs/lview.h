/*
 * lview: the last lines of a container's json-file log as the dashboard
 * shows them (/api/v1/containers/{key}/logs): {"name":..., "lines":[...]}
 * with every line's time, stream and message, or parse_error and the raw
 * line. Read from the file Docker writes, so log shipping need not be on.
 * Only the current file is read, at most its last max_bytes; messages are
 * JSON-escaped with invalid UTF-8 replaced, so whatever the container
 * printed cannot break the page.
 */
#ifndef BERTH_LVIEW_H
#define BERTH_LVIEW_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the JSON of the last `tail` complete lines of data[0..len) (the
 * end of a json-file log; cut: data starts inside the file, so its first
 * line is partial and skipped). A line still being written (no '\n' yet)
 * is left out. Pure: no I/O. */
void lview_render(const char *data, size_t len, int cut, const char *name, long tail, buf *out);

/* Reads the last max_bytes of the file at path and appends lview_render's
 * JSON. path NULL, or a file that cannot be opened (another log driver, not
 * written yet): the JSON with no lines. */
void lview_tail_json(const char *path, const char *name, long tail, size_t max_bytes, buf *out);

#endif
