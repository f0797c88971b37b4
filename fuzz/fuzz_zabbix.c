/*
 * fuzz_zabbix: libFuzzer target for everything the Zabbix agent module
 * parses from the network or the config: the header, the request body
 * (legacy key or 7.0 JSON), each item key the request names, and the allow
 * list. The bytes go to all of them, and a parsed request's keys go on to
 * zbx_parse_key, as on the server. Invariants are checked with abort() so
 * libFuzzer reports them as crashes. Seeds: fuzz/corpus/zabbix/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "zabbix/zbx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zbx_key key; /* 33 KiB: static, as the server keeps it */

static void check_key(const char *s, size_t len)
{
    int rc = zbx_parse_key(s, len, &key);
    if (rc != 0 && rc != -EINVAL && rc != -E2BIG)
        abort();
    if (rc != 0)
        return;
    if (key.nparams > ZBX_KEY_MAX_PARAMS || strlen(key.name) == 0 ||
        strlen(key.name) > ZBX_KEY_NAME_MAX)
        abort();
    for (unsigned i = 0; i < key.nparams; i++) {
        if (strnlen(key.params[i], ZBX_KEY_PARAM_MAX) >= ZBX_KEY_PARAM_MAX)
            abort();
        if (key.type[i] > ZBX_PARAM_ARRAY)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    zbx_header h;
    zbx_request r;
    zbx_allow *a = NULL;
    char err[256];

    int rc = zbx_parse_header(data, size, &h);
    if (rc == 0) {
        if ((h.hdrlen != ZBX_HDR_MIN && h.hdrlen != ZBX_HDR_MAX) || h.hdrlen > size ||
            h.datalen > ZBX_PROTO_MAX)
            abort();
        /* the body, as the server would see it */
        size_t blen = size - h.hdrlen < h.datalen ? size - h.hdrlen : (size_t)h.datalen;
        if (zbx_parse_request(s + h.hdrlen, blen, &r) == 0) {
            for (unsigned i = 0; i < r.nitems; i++)
                check_key(r.items[i].key, r.items[i].len);
        }
        zbx_request_free(&r);
    } else if (rc != -EAGAIN && rc != -EINVAL && rc != -EMSGSIZE) {
        abort();
    }

    rc = zbx_parse_request(s, size, &r);
    if (rc == 0) {
        if (r.nitems == 0 || r.nitems > ZBX_MAX_ITEMS)
            abort();
        for (unsigned i = 0; i < r.nitems; i++)
            check_key(r.items[i].key, r.items[i].len);
    } else if (!r.json || !r.error[0]) {
        abort();
    }
    zbx_request_free(&r);

    check_key(s, size);

    if (zbx_allow_new(s, size, &a, err, sizeof(err)) == 0) {
        struct sockaddr_in in4 = {.sin_family = AF_INET};
        struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
        in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in6.sin6_addr = in6addr_loopback;
        (void)zbx_allow_match(a, (struct sockaddr *)&in4);
        (void)zbx_allow_match(a, (struct sockaddr *)&in6);
        zbx_allow_free(a);
    } else if (a != NULL) {
        abort();
    }
    return 0;
}
