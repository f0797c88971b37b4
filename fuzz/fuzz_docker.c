/*
 * fuzz_docker: libFuzzer target for the Docker Engine API parsers. The same
 * bytes go to all five dk_parse_* functions (and dk_version_cmp), since a
 * daemon, a proxy or a corrupted stream can hand any of them anything. The
 * outputs are cleared each round so LeakSanitizer sees every label the
 * parsers allocate. Seed with tests/fixtures/docker/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    char api[16], minapi[16];
    bmeta *list = NULL;
    size_t n = 0;
    bmeta m;
    dk_event ev;

    if (dk_parse_version(buf, size, api, sizeof(api), minapi, sizeof(minapi)) == 0) {
        /* what dk_negotiate does with the answer */
        (void)dk_version_cmp(api, DK_API_MAX);
        (void)dk_version_cmp(minapi, api);
    }

    if (dk_parse_list(buf, size, &list, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (strnlen(list[i].name, sizeof(list[i].name)) == sizeof(list[i].name))
                abort(); /* fixed fields must stay terminated */
            bmeta_clear(&list[i]);
        }
        free(list);
    }

    memset(&m, 0, sizeof(m));
    if (dk_parse_inspect(buf, size, &m) == 0)
        bmeta_clear(&m);

    (void)dk_parse_event(buf, size, &ev);

    int64_t rw, rootfs;
    if (dk_parse_size(buf, size, &rw, &rootfs) == 0 && (rw < -1 || rootfs < -1))
        abort(); /* absent is -1, present is never negative */

    /* dk_version_cmp on raw text, as a NUL-terminated copy */
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
        (void)dk_version_cmp(s, "1.41");
        free(s);
    }
    return 0;
}
