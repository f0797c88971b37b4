/* libFuzzer target: the /proc/<pid>/stat parser and the container passwd
 * parser (procs/passwd.c: a container writes its /etc/passwd, berth reads
 * it). Names must come out NUL-terminated, printable and within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/passwd.h"
#include "procs/procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pw_entry users[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_proc p;
    pt_parse_stat((const char *)data, size, &p);

    size_t n = pw_parse((const char *)data, size, users, 64);
    if (n > 64)
        abort();
    for (size_t i = 0; i < n; i++) {
        size_t l = strnlen(users[i].name, PW_NAME_MAX);
        if (l == 0 || l >= PW_NAME_MAX)
            abort();
        for (size_t k = 0; k < l; k++)
            if (users[i].name[k] <= 0x20 || users[i].name[k] >= 0x7f)
                abort();
        if (pw_find(users, n, users[i].uid) == NULL)
            abort();
    }
    pw_entry e;
    pw_parse_line((const char *)data, size, &e);
    return 0;
}
