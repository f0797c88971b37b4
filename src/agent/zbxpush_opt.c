/*
 * zbxpush_opt: the Zabbix active mode keys (zabbix_active, zabbix_host,
 * zabbix_active_*), one row each, written into zbxpush_opts; see util/opt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/zbxpush.h"

/* the full check (port range, brackets) is zbxpush_start's */
static int check_server(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)base;
    (void)r;
    const char *v = *vp;
    if (v[0] == ':' || strpbrk(v, " \t,/")) {
        snprintf(err, errlen, "zabbix_active: want HOST[:PORT] or off, got '%s'", v);
        return -EINVAL;
    }
    if (strcmp(v, "off") == 0)
        *vp = "";
    return 0;
}

static const opt_row rows[] = {
    {.key = "zabbix_active",
     .type = OPT_STR,
     OPT_FIELD(zbxpush_opts, server),
     .arg = "HOST[:PORT]",
     .help = "push items to a Zabbix server/proxy (trapper; port 10051)",
     .doc_def = "off",
     .doc = "`HOST[:PORT]` (or `[IPv6]:PORT`) of a Zabbix server or proxy to push items to with "
            "the sender (trapper) protocol; port 10051 when omitted",
     .empty = "off",
     .check = check_server},
    {.key = "zabbix_host",
     .type = OPT_STR,
     OPT_FIELD(zbxpush_opts, host),
     .arg = "NAME",
     .help = "host name in Zabbix (default the hostname)",
     .doc_def = "the hostname",
     .doc = "host name the pushed values belong to, exactly as the host is named in Zabbix"},
    {.key = "zabbix_active_interval",
     .type = OPT_DURATION,
     OPT_FIELD(zbxpush_opts, interval_ms),
     .min = 1000,
     .max = 86400000,
     .def = "60s",
     .help = "between pushes",
     .want = "a duration from 1s to 24h",
     .doc = "between pushes (1s to 24h)"},
    {.key = "zabbix_active_items",
     .type = OPT_STR,
     OPT_FIELD(zbxpush_opts, items),
     .arg = "LIST",
     .help = "keys pushed, 'prefix*' allowed (default all)",
     .doc_def = "all",
     .doc = "which keys to push: comma-separated key names (without parameters), each may end "
            "in `*` to match a prefix, e.g. "
            "`agent.ping,berth.containers.discovery,berth.container.memory*,berth.service.up`"},
};

const opt_table zbxpush_opt_table = {"zabbix_active", "main", rows, OPT_NROWS(rows)};
