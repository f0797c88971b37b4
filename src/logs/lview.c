/*
 * lview: a container's last json-file log lines as JSON for the dashboard
 * (see lview.h). Split in two so the part that meets outside input is pure:
 * lview_render cuts the lines and decodes them with lp_jsonfile (fuzzed in
 * fuzz_logs), lview_tail_json only opens and reads the file's end. One
 * pread of at most max_bytes, no lock; it runs on the HTTP thread that
 * answers the request.
 */
#include "logs/lview.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs/lparse.h"
#include "logs/lrec.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

void lview_render(const char *data, size_t len, int cut, const char *name, long tail, buf *out)
{
    buf_puts(out, "{\"name\":");
    jsonw_str(out, name, strlen(name));
    buf_puts(out, ",\"lines\":[");
    /* lines: skip a cut first line, keep the last `tail` complete ones */
    size_t start = 0;
    if (cut) {
        const char *nl = len ? memchr(data, '\n', len) : NULL;
        start = nl ? (size_t)(nl - data) + 1 : len;
    }
    size_t end = len;
    while (end > start && data[end - 1] != '\n')
        end--; /* a line still being written is left out */
    /* back from the end, one line at a time: first stays at a line start */
    size_t first = end;
    for (long cnt = 0; first > start && cnt < tail; cnt++) {
        size_t j = first - 1; /* the '\n' ending the line before */
        while (j > start && data[j - 1] != '\n')
            j--;
        first = j;
    }
    char *msg = NULL;
    if (first < end) {
        msg = xmalloc(end - first + 1);
    }
    int any = 0;
    for (size_t i = first; i < end;) {
        const char *nl = memchr(data + i, '\n', end - i);
        size_t ll = (size_t)(nl - (data + i));
        lp_jline jl;
        buf_puts(out, any ? ",{" : "{");
        any = 1;
        if (lp_jsonfile(data + i, ll, msg, &jl) == 0) {
            buf_puts(out, "\"time\":\"");
            jsonw_time(out, jl.ts_ns);
            buf_puts(out, jl.stream == LREC_STDERR ? "\",\"stream\":\"stderr\",\"line\":"
                                                   : "\",\"stream\":\"stdout\",\"line\":");
            jsonw_str(out, msg, jl.msg_len);
        } else {
            buf_puts(out, "\"parse_error\":true,\"line\":");
            jsonw_str(out, data + i, ll);
        }
        buf_putc(out, '}');
        i += ll + 1;
    }
    buf_puts(out, "]}");
    free(msg);
}

void lview_tail_json(const char *path, const char *name, long tail, size_t max_bytes, buf *out)
{
    buf raw = BUF_INIT;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat sb;
    off_t from = 0;
    if (fd >= 0 && fstat(fd, &sb) == 0) {
        from = sb.st_size > (off_t)max_bytes ? sb.st_size - (off_t)max_bytes : 0;
        buf_reserve(&raw, (size_t)(sb.st_size - from) + 1);
        ssize_t n = pread(fd, raw.data, (size_t)(sb.st_size - from), from);
        raw.len = n > 0 ? (size_t)n : 0;
    }
    if (fd >= 0)
        close(fd);
    lview_render(raw.data, raw.len, from > 0, name, tail, out);
    buf_free(&raw);
}
