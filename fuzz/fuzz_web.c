/* libFuzzer target: the history endpoints' query string (web/range.h). */
#include <stddef.h>
#include <stdint.h>

#include "web/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    web_range r;
    char err[160];
    if (web_parse_range((const char *)data, size, 1795624113725LL, &r, err, sizeof(err)) == 0 &&
        r.since_ms > r.until_ms)
        __builtin_trap(); /* accepted ranges are ordered */
    return 0;
}
