/* libFuzzer target: every etcd reply parser, base64 and prefix_end on the
 * same bytes; checks the round trips that must hold. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    char err[256], msg[256], tok[512];
    int code, ok;
    int64_t rev, del, id, ttl;
    etcd_range r;
    etcd_range *rs;
    size_t n;
    etcd_watch_msg m;

    etcd_parse_error(b, size, &code, msg, sizeof(msg));
    if (etcd_parse_range(b, size, &r, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < r.n; i++)
            if (!r.kvs[i].key || !r.kvs[i].value || r.kvs[i].value_len > ETCD_MAX_VALUE)
                abort();
        etcd_range_clear(&r);
    }
    if (etcd_parse_txn(b, size, &ok, &rev, &rs, &n, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < n; i++)
            etcd_range_clear(&rs[i]);
        free(rs);
    }
    etcd_parse_header(b, size, &rev, &del, err, sizeof(err));
    etcd_parse_header(b, size, &rev, NULL, err, sizeof(err));
    if (etcd_parse_auth(b, size, tok, sizeof(tok), err, sizeof(err)) == 0 && !tok[0])
        abort();
    etcd_parse_lease(b, size, &id, &ttl, err, sizeof(err));
    if (etcd_parse_watch(b, size, &m, err, sizeof(err)) == 0)
        etcd_watch_msg_clear(&m);

    /* prefix_end: the end sorts after every key with the prefix. */
    char *pe = malloc(size + 1);
    size_t pl;
    etcd_prefix_end(b, size, pe, &pl);
    if (pl > (size ? size : 1))
        abort();
    if (pl && size && memcmp(pe, b, pl - 1) != 0)
        abort();

    /* base64: decode(encode(x)) == x, and decode never overruns. */
    char *enc = malloc(4 * ((size + 2) / 3) + 1);
    char *dec = malloc(size / 4 * 3 + 1 > size + 1 ? size / 4 * 3 + 1 : size + 1);
    size_t el = etcd_b64_encode(b, size, enc), dl;
    if (etcd_b64_decode(enc, el, dec, &dl) != 0 || dl != size || memcmp(dec, b, size) != 0)
        abort();
    etcd_b64_decode(b, size, dec, &dl);
    free(pe);
    free(enc);
    free(dec);
    return 0;
}
