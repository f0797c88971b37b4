/*
 * zbx_opt: the Zabbix passive checks keys (zabbix_listen, zabbix_allow),
 * one row each, written into zbx_listen_opts (split into zbx_opts when the
 * listener starts); see util/opt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "zabbix/zbx.h"

static int check_listen(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)base;
    (void)r;
    const char *v = *vp;
    const char *colon = strrchr(v, ':');
    long port;
    if (strcmp(v, "off") != 0 && (!colon || opt_parse_long(colon + 1, 1, 65535, &port) < 0)) {
        snprintf(err, errlen, "zabbix_listen: want ADDR:PORT or off, got '%s'", v);
        return -EINVAL;
    }
    if (strcmp(v, "off") == 0)
        *vp = "";
    return 0;
}

static const opt_row rows[] = {
    {.key = "zabbix_listen",
     .type = OPT_STR,
     OPT_FIELD(zbx_listen_opts, listen),
     .arg = "ADDR:PORT",
     .help = "answer Zabbix passive checks there (127.0.0.1:10050 is Zabbix's port)",
     .doc_def = "off",
     .doc = "`ADDR:PORT` to answer Zabbix passive checks on (Zabbix's port is 10050)",
     .empty = "off",
     .check = check_listen},
    {.key = "zabbix_allow",
     .type = OPT_STR,
     OPT_FIELD(zbx_listen_opts, allow),
     .def = "127.0.0.1,::1",
     .arg = "LIST",
     .help = "Zabbix servers/proxies allowed, IPs and CIDRs",
     .doc = "Zabbix servers and proxies allowed to ask (IPs and CIDRs, like Zabbix's "
            "`Server=`); others are refused and logged"},
};

const opt_table zbx_opt_table = {"zabbix", "main", rows, OPT_NROWS(rows)};
