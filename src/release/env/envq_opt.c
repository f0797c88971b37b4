/*
 * envq_opt: the etcd keys (etcd_endpoints, etcd_prefix, etcd_user, ...),
 * one row each, written into envq_opts; see util/opt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "release/env/envq.h"

/* No control bytes and no blank at either end: such a value would not
 * read back from cfg_dump (the line parser strips blanks). */
static int check_plain(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    (void)base;
    const char *v = *vp;
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < ' ' || v[i] == 0x7f) {
            snprintf(err, errlen, "%s: control character in '%s'", r->key, v);
            return -EINVAL;
        }
    if (n && (v[0] == ' ' || v[n - 1] == ' ')) {
        snprintf(err, errlen, "%s: blank at the start or end of '%s'", r->key, v);
        return -EINVAL;
    }
    return 0;
}

static int check_endpoints(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    const char *v = *vp;
    if (strpbrk(v, " \t")) {
        snprintf(err, errlen, "etcd_endpoints: want URL[,URL...] without blanks, got '%s'", v);
        return -EINVAL;
    }
    for (const char *p = v; *p;) {
        if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0) {
            snprintf(err, errlen, "etcd_endpoints: want http:// or https:// URLs, got '%s'", v);
            return -EINVAL;
        }
        const char *c = strchr(p, ',');
        if (!c)
            break;
        p = c + 1;
    }
    return check_plain(base, r, vp, err, errlen);
}

static int check_prefix(void *base, const opt_row *r, const char **vp, char *err, size_t errlen)
{
    int rc = envl_prefix_valid(*vp, err, errlen);
    return rc < 0 ? rc : check_plain(base, r, vp, err, errlen);
}

static const opt_row rows[] = {
    {.key = "etcd_endpoints",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, endpoints),
     .arg = "URL[,URL...]",
     .def = "http://127.0.0.1:2379",
     .help = "etcd's client URLs (berth env, berth run)",
     .doc = "etcd v3 client URLs, tried in order with failover; `https://` uses TLS "
            "(`etcd_ca`, `etcd_cert`, `etcd_key`)",
     .check = check_endpoints},
    {.key = "etcd_prefix",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, prefix),
     .arg = "PREFIX",
     .def = "/berth",
     .help = "every berth key in etcd is under it",
     .doc = "the etcd key prefix of every key berth reads and writes (docs/env.md)",
     .check = check_prefix},
    {.key = "etcd_user",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, user),
     .arg = "NAME",
     .help = "etcd user (auth on); password from etcd_password_file",
     .doc = "etcd user name when etcd has auth enabled; the password is read from "
            "`etcd_password_file`",
     .check = check_plain},
    {.key = "etcd_password_file",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, password_file),
     .arg = "FILE",
     .help = "file holding the etcd user's password",
     .doc = "file holding the etcd user's password (one line); never a flag value, so it is "
            "not in `ps` or a shell history",
     .check = check_plain},
    {.key = "etcd_ca",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, ca),
     .arg = "FILE",
     .help = "CA (PEM) for https etcd endpoints",
     .doc_def = "the system store",
     .doc = "PEM file of the CA that signed etcd's server certificate",
     .check = check_plain},
    {.key = "etcd_cert",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, cert),
     .arg = "FILE",
     .help = "client certificate (PEM) for etcd",
     .doc = "client certificate (PEM) when etcd asks for one",
     .check = check_plain},
    {.key = "etcd_key",
     .type = OPT_STR,
     OPT_FIELD(envq_opts, key),
     .arg = "FILE",
     .help = "client certificate's key (PEM)",
     .doc = "the key of `etcd_cert` (PEM)",
     .check = check_plain},
    {.key = "etcd_timeout",
     .type = OPT_DURATION,
     OPT_FIELD(envq_opts, timeout_ms),
     .min = 100,
     .max = 600000,
     .def = "5s",
     .help = "each etcd request",
     .want = "a duration from 100ms to 10m",
     .doc = "bound of each etcd request (100ms to 10m), per endpoint"},
};

const opt_table envq_opt_table = {"etcd", "etcd", rows, OPT_NROWS(rows)};
