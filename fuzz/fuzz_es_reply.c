/*
 * fuzz_es_reply: libFuzzer target for what an Elasticsearch (or anything
 * answering on its port) sends back to a _bulk request, and for Loki's 400
 * bodies. The first byte picks the item count the reply is read for.
 * Invariants: a parse either fails with -EPROTO and an error text, or sets
 * every status to a valid value and counts the non-OK ones exactly.
 * Seeds: fuzz/corpus/es_reply/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = data[0] % 16;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    uint8_t st[16];
    char err[256] = "";

    memset(st, 0xAA, sizeof(st));
    int rc = lenc_es_reply(s, len, n, st, err, sizeof(err));
    if (rc == -EPROTO) {
        if (!err[0])
            abort();
    } else if (rc >= 0) {
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            if (st[i] > LOUT_REJECT)
                abort();
            bad += st[i] != LOUT_OK;
        }
        if (bad != rc)
            abort();
    } else {
        abort();
    }

    /* the same bytes as a Loki 400 body for records of two streams */
    lrec r[2];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 2; i++) {
        r[i].msg = "m";
        r[i].msg_len = 1;
        r[i].stream = i ? LREC_STDERR : LREC_STDOUT;
        r[i].host = "h";
        r[i].container_id = r[i].container_name = r[i].image = r[i].image_id = "";
        r[i].compose_project = r[i].compose_service = r[i].swarm_service = "";
        r[i].swarm_task = r[i].path = "";
    }
    size_t rej = lenc_loki_400(s, len, r, 2, st);
    if (rej > 2 || (rej > 0) != (st[0] == LOUT_REJECT || st[1] == LOUT_REJECT))
        abort();
    return 0;
}
