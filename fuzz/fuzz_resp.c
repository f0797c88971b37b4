/*
 * fuzz_resp: libFuzzer target for the Redis reply parser (lenc_resp_parse),
 * which reads whatever the peer on the Redis output's socket sends.
 * Invariants: the result is -EAGAIN, -EPROTO or a length within the input;
 * a prefix of a complete reply is never complete; a returned string lies
 * inside the input. Seeds: fuzz/corpus/resp/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "logs/lenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    lenc_resp r;
    long n = lenc_resp_parse(s, size, &r);
    if (n == -EAGAIN || n == -EPROTO)
        return 0;
    if (n <= 0 || (size_t)n > size)
        abort();
    if (r.str && (r.str < s || r.str + r.len > s + n))
        abort();
    if (n > 1) {
        lenc_resp r2;
        long m = lenc_resp_parse(s, (size_t)n - 1, &r2);
        if (m != -EAGAIN && m != -EPROTO)
            abort();
    }
    return 0;
}
