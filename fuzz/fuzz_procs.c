/* libFuzzer target: the /proc/<pid>/stat parser. */
#include <stddef.h>
#include <stdint.h>

#include "procs/procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_proc p;
    pt_parse_stat((const char *)data, size, &p);
    return 0;
}
