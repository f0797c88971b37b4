/*
 * fuzz_logs: libFuzzer target for the log pipeline's parsers of outside
 * input: a json-file line (lp_jsonfile, which a container's output reaches
 * through Docker's escaping, and which a corrupted or foreign file reaches
 * unescaped), RFC 3339 times, UTF-8 checks, JSON application logs
 * (lp_json_fields), the JSON string encoder every output uses, and the
 * disk buffer's frame check (a buffer file is outside input after a crash
 * or disk error), and the dashboard's log tail (lview_render, whole and
 * with the first line cut), whose answer must be valid JSON. Seed with
 * fuzz/corpus/logs/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "logs/lbuf.h"
#include "util/jsonw.h"
#include "logs/lparse.h"
#include "logs/lview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    /* exact-size copies so ASan sees any read past the end */
    char *copy = malloc(size ? size : 1);
    char *out = malloc(size ? size : 1);
    if (!copy || !out)
        abort();
    memcpy(copy, in, size);
    lp_jline jl;
    if (lp_jsonfile(copy, size, out, &jl) == 0) {
        if (jl.msg_len > size)
            abort(); /* unescaping never grows */
        (void)lp_utf8_bad(out, jl.msg_len);
    }
    int64_t ns;
    (void)lp_rfc3339(copy, size, &ns);
    (void)lp_utf8_bad(copy, size);
    lrec_kv kv[16];
    int n = lp_json_fields(copy, size, kv, 16);
    for (int i = 0; i < n; i++)
        if (kv[i].key < copy || kv[i].val + kv[i].val_len > copy + size)
            abort();
    buf b = BUF_INIT;
    (void)jsonw_str(&b, copy, size);
    buf_free(&b);
    (void)lbuf_frame_check(copy, size);
    for (int cut = 0; cut < 2; cut++) {
        buf v = BUF_INIT;
        lview_render(copy, size, cut, "c", cut ? 1000 : 3, &v);
        json_error_t je;
        json_t *j = json_loadb(v.data, v.len, JSON_ALLOW_NUL, &je);
        if (!j)
            abort(); /* the dashboard's answer is always JSON */
        json_decref(j);
        buf_free(&v);
    }
    free(copy);
    free(out);
    return 0;
}
