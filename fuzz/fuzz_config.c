/* libFuzzer target: the config file parser (util/config.c over the agent's
 * options tables, agent/config.c). What parses must dump to text that
 * parses back to the same dump. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cfg c, d;
    char err[256];
    cfg_defaults(&c);
    if (cfg_parse(&c, (const char *)data, size, err, sizeof(err)) < 0)
        return 0;
    buf a = BUF_INIT, b = BUF_INIT;
    cfg_dump_buf(&c, &a);
    cfg_defaults(&d);
    if (cfg_parse(&d, a.data ? a.data : "", a.len, err, sizeof(err)) < 0)
        abort();
    cfg_dump_buf(&d, &b);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
        abort();
    buf_free(&a);
    buf_free(&b);
    return 0;
}
