/*
 * libFuzzer target for the services parsers (src/services/svc_parse.c): the
 * /proc/net socket tables in all four flavours, sock_diag dump replies (TCP
 * and UDP), cgroup.procs, the "Uid:" line of /proc/<pid>/status and an HTTP
 * status line, all on the same bytes. The tables and dumps come from the
 * kernel and the status line from whatever listens in a container, so
 * neither is trusted.
 */
#include <stddef.h>
#include <stdint.h>

#include "services/svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    static svc_listener out[64];
    int pids[64];
    unsigned uid;

    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = svc_parse_proc_net(b, size, SVC_TCP, v6, out, 64);
        n += svc_parse_proc_net(b, size, SVC_UDP, v6, out, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            if (out[i].port <= 0 || out[i].port > 65535 || out[i].addr[0] == '\0')
                __builtin_trap();
    }
    for (int proto = SVC_TCP; proto <= SVC_UDP; proto++) {
        size_t n = 0;
        int r = svc_parse_diag(b, size, proto, out, 64, &n);
        if (n > 64 || r > 1 || (r < 0 && r <= -4096))
            __builtin_trap();
        for (size_t i = 0; i < n; i++)
            if (out[i].proto != proto || out[i].port <= 0 || out[i].port > 65535 ||
                out[i].addr[0] == '\0')
                __builtin_trap();
    }
    svc_parse_pids(b, size, pids, 64);
    svc_parse_status_uid(b, size, &uid);
    int st = svc_parse_http_status(b, size);
    if (st > 999)
        __builtin_trap();
    return 0;
}
