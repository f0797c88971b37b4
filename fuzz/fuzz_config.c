/* libFuzzer target: the config file parser. */
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg c;
    char err[256];
    cfg_defaults(&c);
    cfg_parse(&c, (const char *)data, size, err, sizeof(err));
    return 0;
}
