/* config: defaults, "key value" file parsing and flag application. See config.h. */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void cfg_defaults(cfg *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen_addr, sizeof(c->listen_addr), "127.0.0.1");
    c->listen_port = 9393;
    c->interval_ms = 1000;
    c->history_ms = 10 * 60 * 1000;
    c->docker = 1;
    snprintf(c->log_level, sizeof(c->log_level), "info");
    c->http_max_conns = 64;
    c->http_timeout_s = 10;
    c->services = 1;
    c->services_interval_ms = 10000;
    c->probe_timeout_ms = 1000;
    snprintf(c->zabbix_allow, sizeof(c->zabbix_allow), "127.0.0.1,::1");
    c->zabbix_active_interval_ms = 60000;
    snprintf(c->logs_buffer_dir, sizeof(c->logs_buffer_dir), "/var/lib/berth/logs");
    c->logs_buffer_max = 1ull << 30;
    c->logs_poll_ms = 100;
    c->logs_fsync = 1;
    c->logs_line_max = 1u << 20;
    c->disk = 1;
    c->disk_interval_ms = 10000;
    c->disk_verify_ms = 3600000;
    c->disk_fanotify = 1;
    c->disk_max_dirs = 1000000;
}

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t errlen);

/* "1073741824", "512k", "64M", "1G" (powers of 1024) -> bytes. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-')
        return -EINVAL;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1ull << 10;
    else if (*end == 'm' || *end == 'M')
        mul = 1ull << 20;
    else if (*end == 'g' || *end == 'G')
        mul = 1ull << 30;
    else if (*end)
        return -EINVAL;
    if (mul > 1 && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
        return -EINVAL;
    if (v > (1ull << 50) / mul)
        return -EINVAL;
    *out = v * mul;
    return 0;
}

static int set_onoff(int *dst, const char *key, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
        *dst = 1;
    else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
        *dst = 0;
    else {
        snprintf(err, errlen, "%s: want on or off, got '%s'", key, v);
        return -EINVAL;
    }
    return 0;
}

/* The log shipping keys (docs/config.md, "Logs"); 1 when key is not one. */
static int cfg_set_logs(cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
    uint64_t n;
    int64_t ms;
    if (strcmp(key, "logs") == 0)
        return set_onoff(&c->logs, key, v, err, errlen);
    if (strcmp(key, "logs_fsync") == 0)
        return set_onoff(&c->logs_fsync, key, v, err, errlen);
    if (strcmp(key, "logs_buffer_dir") == 0) {
        if (v[0] != '/') {
            snprintf(err, errlen, "logs_buffer_dir: want an absolute path, got '%s'", v);
            return -EINVAL;
        }
        return set_str(c->logs_buffer_dir, sizeof(c->logs_buffer_dir), v, key, err, errlen);
    }
    if (strcmp(key, "logs_buffer_max") == 0 || strcmp(key, "logs_line_max") == 0) {
        int line = key[5] == 'l';
        if (parse_size(v, &n) < 0 || n < (line ? 1024u : (1u << 20)) || (line && n > (64u << 20))) {
            snprintf(err, errlen, "%s: want a size like %s, got '%s'", key, line ? "1M" : "1G", v);
            return -EINVAL;
        }
        *(line ? &c->logs_line_max : &c->logs_buffer_max) = n;
        return 0;
    }
    if (strcmp(key, "logs_full_policy") == 0) {
        if (strcmp(v, "pause") == 0)
            c->logs_full_policy = 0;
        else if (strcmp(v, "drop_oldest") == 0)
            c->logs_full_policy = 1;
        else {
            snprintf(err, errlen, "logs_full_policy: want pause or drop_oldest, got '%s'", v);
            return -EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "logs_poll") == 0) {
        if (cfg_parse_duration(v, &ms) < 0 || ms < 10 || ms > 60000) {
            snprintf(err, errlen, "logs_poll: want a duration from 10ms to 60s, got '%s'", v);
            return -EINVAL;
        }
        c->logs_poll_ms = ms;
        return 0;
    }
    if (strcmp(key, "log_files") == 0)
        return set_str(c->log_files, sizeof(c->log_files), v, key, err, errlen);
    if (strcmp(key, "logs_containers") == 0)
        return set_str(c->logs_containers, sizeof(c->logs_containers), v, key, err, errlen);
    if (strcmp(key, "log_output") == 0) {
        /* NAME TYPE key=value...; checked in full when the pipeline starts */
        if (c->n_log_output == CFG_MAX_LOG_OUTPUTS) {
            snprintf(err, errlen, "log_output: at most %d outputs", CFG_MAX_LOG_OUTPUTS);
            return -EINVAL;
        }
        const char *sp = strpbrk(v, " \t");
        if (!sp || !sp[strspn(sp, " \t")]) {
            snprintf(err, errlen, "log_output: want NAME TYPE key=value..., got '%s'", v);
            return -EINVAL;
        }
        if (set_str(c->log_output[c->n_log_output], sizeof(c->log_output[0]), v, key, err, errlen) <
            0)
            return -EINVAL;
        c->n_log_output++;
        return 0;
    }
    if (strcmp(key, "only") == 0) {
        if (strcmp(v, "logs") != 0) {
            snprintf(err, errlen, "only: want logs, got '%s'", v);
            return -EINVAL;
        }
        c->logs = 1;
        return set_str(c->only, sizeof(c->only), v, key, err, errlen);
    }
    return 1;
}

int cfg_parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || v > 1e9)
        return -EINVAL;
    double mul;
    if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mul = 1000;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -EINVAL;
    *ms = (int64_t)(v * mul);
    return 0;
}

static int parse_uint(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t errlen)
{
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s: value longer than %zu bytes", key, cap - 1);
        return -EINVAL;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_listen(cfg *c, const char *v, char *err, size_t errlen)
{
    /* "ADDR:PORT", "[v6]:PORT" or ":PORT" (loopback stays the default address) */
    const char *colon = strrchr(v, ':');
    long port;
    if (!colon || parse_uint(colon + 1, 0, 65535, &port) < 0) {
        snprintf(err, errlen, "listen: want ADDR:PORT, got '%s'", v);
        return -EINVAL;
    }
    size_t al = (size_t)(colon - v);
    const char *a = v;
    if (al >= 2 && v[0] == '[' && v[al - 1] == ']') {
        a++;
        al -= 2;
    }
    if (al >= sizeof(c->listen_addr)) {
        snprintf(err, errlen, "listen: address too long");
        return -EINVAL;
    }
    if (al) {
        memcpy(c->listen_addr, a, al);
        c->listen_addr[al] = '\0';
    }
    c->listen_port = (int)port;
    return 0;
}

static int set_labels(cfg *c, const char *v, char *err, size_t errlen)
{
    if (set_str(c->label_allow_buf, sizeof(c->label_allow_buf), v, "label_allow", err, errlen))
        return -EINVAL;
    c->n_label_allow = 0;
    char *save = NULL;
    for (char *t = strtok_r(c->label_allow_buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (c->n_label_allow == CFG_MAX_LABELS) {
            snprintf(err, errlen, "label_allow: at most %d labels", CFG_MAX_LABELS);
            return -EINVAL;
        }
        c->label_allow[c->n_label_allow++] = t;
    }
    return 0;
}

/* The disk tracker's keys (disk, disk_*). Returns 1 when key is not one. */
static int set_disk(cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
    int64_t ms;
    long n;
    if (strcmp(key, "disk") == 0 || strcmp(key, "disk_fanotify") == 0) {
        int *dst = key[4] ? &c->disk_fanotify : &c->disk;
        if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
            *dst = 1;
        else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
            *dst = 0;
        else {
            snprintf(err, errlen, "%s: want on or off, got '%s'", key, v);
            return -EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "disk_interval") == 0) {
        if (cfg_parse_duration(v, &ms) < 0 || ms < 1000 || ms > 3600000) {
            snprintf(err, errlen, "disk_interval: want a duration from 1s to 1h, got '%s'", v);
            return -EINVAL;
        }
        c->disk_interval_ms = ms;
        return 0;
    }
    if (strcmp(key, "disk_verify") == 0) {
        if (cfg_parse_duration(v, &ms) < 0 || (ms != 0 && ms < 60000) || ms > 7 * 86400000LL) {
            snprintf(err, errlen, "disk_verify: want 0 or a duration from 1m to 168h, got '%s'", v);
            return -EINVAL;
        }
        c->disk_verify_ms = ms;
        return 0;
    }
    if (strcmp(key, "disk_max_dirs") == 0) {
        if (parse_uint(v, 1000, 100000000, &n) < 0) {
            snprintf(err, errlen, "disk_max_dirs: want 1000..100000000, got '%s'", v);
            return -EINVAL;
        }
        c->disk_max_dirs = n;
        return 0;
    }
    return 1;
}

int cfg_set(cfg *c, const char *key, const char *v, char *err, size_t errlen)
{
    int dr = set_disk(c, key, v, err, errlen);
    if (dr <= 0)
        return dr;
    long n;
    int64_t ms;
    if (strcmp(key, "listen") == 0)
        return set_listen(c, v, err, errlen);
    if (strcmp(key, "interval") == 0 || strcmp(key, "history") == 0) {
        int hist = key[0] == 'h';
        if (cfg_parse_duration(v, &ms) < 0 || (!hist && ms < 100) || (hist && ms > 86400000)) {
            snprintf(err, errlen, "%s: want a duration like 1s or 10m%s, got '%s'", key,
                     hist ? " (at most 24h)" : " (at least 100ms)", v);
            return -EINVAL;
        }
        *(hist ? &c->history_ms : &c->interval_ms) = ms;
        return 0;
    }
    if (strcmp(key, "host_root") == 0)
        return set_str(c->host_root, sizeof(c->host_root), v, key, err, errlen);
    if (strcmp(key, "docker_host") == 0)
        return set_str(c->docker_host, sizeof(c->docker_host), v, key, err, errlen);
    if (strcmp(key, "docker") == 0 || strcmp(key, "services") == 0) {
        int *dst = key[0] == 'd' ? &c->docker : &c->services;
        if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
            *dst = 1;
        else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
            *dst = 0;
        else {
            snprintf(err, errlen, "%s: want on or off, got '%s'", key, v);
            return -EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "services_interval") == 0 || strcmp(key, "probe_timeout") == 0) {
        int probe = key[0] == 'p';
        if (cfg_parse_duration(v, &ms) < 0 || ms < 100 || ms > (probe ? 60000 : 3600000)) {
            snprintf(err, errlen, "%s: want a duration from 100ms to %s, got '%s'", key,
                     probe ? "60s" : "1h", v);
            return -EINVAL;
        }
        *(probe ? &c->probe_timeout_ms : &c->services_interval_ms) = ms;
        return 0;
    }
    if (strcmp(key, "zabbix_listen") == 0) {
        const char *colon = strrchr(v, ':');
        long port;
        if (strcmp(v, "off") != 0 && (!colon || parse_uint(colon + 1, 1, 65535, &port) < 0)) {
            snprintf(err, errlen, "zabbix_listen: want ADDR:PORT or off, got '%s'", v);
            return -EINVAL;
        }
        return set_str(c->zabbix_listen, sizeof(c->zabbix_listen), strcmp(v, "off") ? v : "", key,
                       err, errlen);
    }
    if (strcmp(key, "probe_http") == 0)
        return set_str(c->probe_http, sizeof(c->probe_http), v, key, err, errlen);
    if (strcmp(key, "probe_ignore") == 0)
        return set_str(c->probe_ignore, sizeof(c->probe_ignore), v, key, err, errlen);
    if (strcmp(key, "zabbix_allow") == 0)
        return set_str(c->zabbix_allow, sizeof(c->zabbix_allow), v, key, err, errlen);
    if (strcmp(key, "label_allow") == 0)
        return set_labels(c, v, err, errlen);
    if (strcmp(key, "zabbix_active") == 0) {
        /* the full check (port range, brackets) is zbxactive_start's */
        if (v[0] == ':' || strpbrk(v, " \t,/")) {
            snprintf(err, errlen, "zabbix_active: want HOST[:PORT] or off, got '%s'", v);
            return -EINVAL;
        }
        return set_str(c->zabbix_active, sizeof(c->zabbix_active), strcmp(v, "off") ? v : "", key,
                       err, errlen);
    }
    if (strcmp(key, "zabbix_host") == 0)
        return set_str(c->zabbix_host, sizeof(c->zabbix_host), v, key, err, errlen);
    if (strcmp(key, "zabbix_active_items") == 0)
        return set_str(c->zabbix_active_items, sizeof(c->zabbix_active_items), v, key, err, errlen);
    if (strcmp(key, "zabbix_active_interval") == 0) {
        if (cfg_parse_duration(v, &ms) < 0 || ms < 1000 || ms > 86400000) {
            snprintf(err, errlen, "%s: want a duration from 1s to 24h, got '%s'", key, v);
            return -EINVAL;
        }
        c->zabbix_active_interval_ms = ms;
        return 0;
    }
    if (strcmp(key, "log_level") == 0) {
        if (strcmp(v, "debug") && strcmp(v, "info") && strcmp(v, "warn") && strcmp(v, "error")) {
            snprintf(err, errlen, "log_level: want debug, info, warn or error, got '%s'", v);
            return -EINVAL;
        }
        return set_str(c->log_level, sizeof(c->log_level), v, key, err, errlen);
    }
    if (strcmp(key, "http_max_connections") == 0) {
        if (parse_uint(v, 1, 10000, &n) < 0) {
            snprintf(err, errlen, "http_max_connections: want 1..10000, got '%s'", v);
            return -EINVAL;
        }
        c->http_max_conns = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "http_timeout") == 0) {
        if (cfg_parse_duration(v, &ms) < 0 || ms < 1000 || ms > 3600000) {
            snprintf(err, errlen, "http_timeout: want a duration from 1s to 1h, got '%s'", v);
            return -EINVAL;
        }
        c->http_timeout_s = (unsigned)(ms / 1000);
        return 0;
    }
    int lr = cfg_set_logs(c, key, v, err, errlen);
    if (lr <= 0)
        return lr;
    snprintf(err, errlen, "unknown key '%s'", key);
    return -EINVAL;
}

int cfg_parse(cfg *c, const char *text, size_t len, char *err, size_t errlen)
{
    size_t pos = 0;
    int lineno = 0;
    char line[1024];
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (ll >= sizeof(line)) {
            snprintf(err, errlen, "line %d: longer than %zu bytes", lineno, sizeof(line) - 1);
            return -EINVAL;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        pos += ll + (nl ? 1 : 0);
        if (memchr(line, '\0', ll)) {
            snprintf(err, errlen, "line %d: NUL byte", lineno);
            return -EINVAL;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *k = line;
        while (*k == ' ' || *k == '\t' || *k == '\r')
            k++;
        char *end = k + strlen(k);
        while (end > k && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        if (!*k)
            continue;
        char *v = k;
        while (*v && *v != ' ' && *v != '\t')
            v++;
        if (*v)
            *v++ = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v) {
            snprintf(err, errlen, "line %d: key '%s' has no value", lineno, k);
            return -EINVAL;
        }
        char e2[256];
        if (cfg_set(c, k, v, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -EINVAL;
        }
    }
    return 0;
}

int cfg_load_file(cfg *c, const char *path, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    long r = buf_read_file(&b, path, 1 << 20);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror((int)-r));
        buf_free(&b);
        return (int)r;
    }
    char e2[300];
    int rc = cfg_parse(c, b.data, b.len, e2, sizeof(e2));
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    buf_free(&b);
    return rc;
}

void cfg_dump(const cfg *c, char *out, size_t outlen)
{
    char labels[1100] = "";
    for (size_t i = 0; i < c->n_label_allow; i++) {
        strncat(labels, i ? "," : "", sizeof(labels) - strlen(labels) - 1);
        strncat(labels, c->label_allow[i], sizeof(labels) - strlen(labels) - 1);
    }
    snprintf(out, outlen,
             "listen %s:%d\ninterval %lldms\nhistory %llds\nhost_root %s\ndocker_host %s\n"
             "docker %s\nlabel_allow %s\nlog_level %s\nhttp_max_connections %u\n"
             "http_timeout %us\nservices %s\nservices_interval %lldms\nprobe_timeout %lldms\n",
             c->listen_addr, c->listen_port, (long long)c->interval_ms,
             (long long)(c->history_ms / 1000), c->host_root[0] ? c->host_root : "/",
             c->docker_host[0] ? c->docker_host : "(default)", c->docker ? "on" : "off",
             labels[0] ? labels : "(none)", c->log_level, c->http_max_conns, c->http_timeout_s,
             c->services ? "on" : "off", (long long)c->services_interval_ms,
             (long long)c->probe_timeout_ms);
}
