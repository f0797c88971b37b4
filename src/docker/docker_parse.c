/*
 * docker_parse: the pure half of the docker module. Turns Engine API JSON
 * (/version, /containers/json, /containers/{id}/json, one /events object)
 * into berth structs. No I/O and no state, so every function here is unit
 * tested on captured engine output and fuzzed.
 *
 * The engine is trusted to speak JSON but not to keep its shapes: fields
 * come and go between API versions, and a proxy or a broken daemon can send
 * anything. So the rule is: the top-level shape is checked (wrong -> -EINVAL),
 * every inner field is read only if it has the expected JSON type, and every
 * string is copied with truncation into the fixed-size fields. Allocation is
 * limited to labels, which are freed on every error path.
 */
#include "docker/docker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Copies src into dst[dstlen] and always terminates. When src does not fit,
 * the cut backs off to a UTF-8 character boundary so that exporters never
 * emit half a multibyte sequence. */
static void copy_str(char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0)
        return;
    size_t n = strlen(src);
    if (n >= dstlen) {
        n = dstlen - 1;
        /* src[n] is the first byte dropped; if it is a continuation byte, the
         * character it belongs to started before n and must go too. */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Like copy_str, without Docker's leading '/' on names. */
static void copy_name(char *dst, size_t dstlen, const char *src)
{
    copy_str(dst, dstlen, src[0] == '/' ? src + 1 : src);
}

/* The string value of key in obj, or NULL when obj is not an object, the key
 * is missing or the value is not a string. */
static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Copies obj[key] into dst when it is a string; otherwise dst is untouched. */
static void set_str(char *dst, size_t dstlen, const json_t *obj, const char *key)
{
    const char *s = get_str(obj, key);
    if (s)
        copy_str(dst, dstlen, s);
}

/* Reads a JSON number that fits in [lo, hi] into *out. */
static int get_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
            return -ERANGE;
        *out = (int64_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* The comparisons are false for NaN, which is thus rejected too. */
        if (!(d >= (double)lo && d <= (double)hi))
            return -ERANGE;
        *out = (int64_t)d;
        return 0;
    }
    return -EINVAL;
}

static void set_int(int *dst, const json_t *obj, const char *key)
{
    int64_t v;
    if (get_int(json_object_get(obj, key), INT32_MIN, INT32_MAX, &v) == 0)
        *dst = (int)v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil); exact for every year this parser accepts (0..9999). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n decimal digits. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* RFC 3339 as Go's time.RFC3339Nano writes it ("2026-11-25T13:55:47.735364388Z",
 * or with a numeric offset) -> unix seconds, fraction dropped. Go's zero time
 * "0001-01-01T00:00:00Z" (never started) and anything before the epoch give
 * 0, berth's "unknown". */
static int parse_rfc3339(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -EINVAL;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *out = t < 0 ? 0 : t;
    return 0;
}

/* A timestamp that is either unix seconds (list) or RFC 3339 (inspect). */
static void set_time(int64_t *dst, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    int64_t t;
    if (json_is_string(v)) {
        if (parse_rfc3339(json_string_value(v), &t) == 0)
            *dst = t;
    } else if (get_int(v, 0, INT64_MAX / 2, &t) == 0) {
        *dst = t;
    }
}

/* Labels: an object of string -> string. Non-string values are skipped,
 * null or a non-object means no labels, and only the first DK_MAX_LABELS are
 * kept (bmeta_add_label grows one at a time; the bound keeps that cheap). */
static void set_labels(bmeta *m, const json_t *labels)
{
    const char *key;
    json_t *val;
    if (!json_is_object(labels))
        return;
    json_object_foreach((json_t *)labels, key, val)
    {
        if (m->n_labels >= DK_MAX_LABELS)
            break;
        if (json_is_string(val))
            bmeta_add_label(m, key, json_string_value(val));
    }
}

/* Health as the list endpoint shows it: inside the Status text,
 * "Up 2 minutes (healthy)", "(unhealthy)", "(health: starting)". */
static void health_from_status(char *dst, size_t dstlen, const char *status)
{
    if (!status)
        return;
    if (strstr(status, "(healthy)"))
        copy_str(dst, dstlen, "healthy");
    else if (strstr(status, "(unhealthy)"))
        copy_str(dst, dstlen, "unhealthy");
    else if (strstr(status, "(health: starting)"))
        copy_str(dst, dstlen, "starting");
}

/* Parses buf as one JSON document. JSON_ALLOW_NUL stays off: a string with
 * an embedded NUL would be silently cut by every C consumer downstream. */
static json_t *load(const char *buf, size_t len)
{
    json_error_t jerr;
    if (!buf)
        return NULL;
    return json_loadb(buf, len, 0, &jerr);
}

/* A version as it may appear in a URL path: digits and single dots, digit
 * at both ends, at most 15 characters ("1.41", "1.147.3"). */
static int valid_version(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

int dk_parse_version(const char *buf, size_t len, char *api, size_t apilen, char *minapi,
                     size_t minlen)
{
    int rc = -EINVAL;
    json_t *root = load(buf, len);
    if (apilen)
        api[0] = '\0';
    if (minlen)
        minapi[0] = '\0';
    if (!json_is_object(root))
        goto out;
    const char *a = get_str(root, "ApiVersion");
    const char *m = get_str(root, "MinAPIVersion");
    if (!a || !valid_version(a) || strlen(a) >= apilen)
        goto out;
    if (m && (!valid_version(m) || strlen(m) >= minlen))
        goto out;
    copy_str(api, apilen, a);
    if (m)
        copy_str(minapi, minlen, m);
    rc = 0;
out:
    if (rc != 0 && apilen)
        api[0] = '\0';
    json_decref(root);
    return rc;
}

/* One entry of /containers/json into m (zeroed by the caller). */
static int parse_list_entry(const json_t *c, bmeta *m)
{
    const char *id = get_str(c, "Id");
    if (!id)
        return -EINVAL;
    copy_str(m->id, sizeof(m->id), id);
    const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
    if (name)
        copy_name(m->name, sizeof(m->name), name);
    set_str(m->image, sizeof(m->image), c, "Image");
    set_str(m->image_id, sizeof(m->image_id), c, "ImageID");
    set_str(m->state, sizeof(m->state), c, "State");
    health_from_status(m->health, sizeof(m->health), get_str(c, "Status"));
    set_time(&m->created, c, "Created");
    set_labels(m, json_object_get(c, "Labels"));
    return 0;
}

int dk_parse_list(const char *buf, size_t len, bmeta **out, size_t *n)
{
    int rc = -EINVAL;
    bmeta *v = NULL;
    size_t used = 0;
    json_t *root = load(buf, len);
    *out = NULL;
    *n = 0;
    if (!json_is_array(root))
        goto out;
    size_t cnt = json_array_size(root);
    if (cnt > DK_MAX_LIST)
        goto out;
    if (cnt > 0) {
        v = xcalloc(cnt, sizeof(*v)); /* small, bounded: util/xalloc.h */
    }
    for (size_t i = 0; i < cnt; i++) {
        const json_t *c = json_array_get(root, i);
        if (!json_is_object(c))
            goto out;
        if (parse_list_entry(c, &v[used]) == 0)
            used++;
    }
    if (used == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = used;
    v = NULL;
    used = 0;
    rc = 0;
out:
    for (size_t i = 0; i < used; i++)
        bmeta_clear(&v[i]);
    free(v);
    json_decref(root);
    return rc;
}

/* "8080/tcp" -> port and protocol; 0 when malformed. */
static int port_key(const char *k, uint16_t *port, uint8_t *udp)
{
    char *end;
    long v = strtol(k, &end, 10);
    if (end == k || v <= 0 || v > 65535)
        return 0;
    *port = (uint16_t)v;
    *udp = strcmp(end, "/udp") == 0;
    return strcmp(end, "/tcp") == 0 || *udp || *end == '\0';
}

static bport *port_slot(bmeta *m, uint16_t port, uint8_t udp)
{
    for (uint32_t i = 0; i < m->n_ports; i++)
        if (m->ports[i].port == port && m->ports[i].udp == udp)
            return &m->ports[i];
    if (m->n_ports == BM_MAX_PORTS)
        return NULL;
    bport *p = &m->ports[m->n_ports++];
    memset(p, 0, sizeof(*p));
    p->port = port;
    p->udp = udp;
    return p;
}

/* Config.ExposedPorts {"80/tcp":{}} and NetworkSettings.Ports
 * {"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]} (null when not
 * published). Malformed entries are skipped. */
static void set_ports(bmeta *m, const json_t *exposed, const json_t *published)
{
    const char *k;
    json_t *v;
    uint16_t port;
    uint8_t udp;
    json_object_foreach((json_t *)exposed, k, v)
    {
        bport *p = port_key(k, &port, &udp) ? port_slot(m, port, udp) : NULL;
        if (p)
            p->exposed = 1;
    }
    json_object_foreach((json_t *)published, k, v)
    {
        const json_t *b = json_array_get(v, 0);
        const char *hp = get_str(b, "HostPort");
        long h = hp ? strtol(hp, NULL, 10) : 0;
        bport *p = h > 0 && h <= 65535 && port_key(k, &port, &udp) ? port_slot(m, port, udp) : NULL;
        if (!p)
            continue;
        p->host_port = (uint16_t)h;
        copy_str(p->host_ip, sizeof(p->host_ip), get_str(b, "HostIp") ? get_str(b, "HostIp") : "");
    }
}

static int64_t size_field(const json_t *root, const char *key)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    return (int64_t)json_integer_value(v);
}

int dk_parse_size(const char *buf, size_t len, int64_t *size_rw, int64_t *size_rootfs)
{
    json_t *root = load(buf, len);
    *size_rw = *size_rootfs = -1;
    if (!json_is_object(root)) {
        json_decref(root);
        return -EINVAL;
    }
    *size_rw = size_field(root, "SizeRw");
    *size_rootfs = size_field(root, "SizeRootFs");
    json_decref(root);
    return 0;
}

int dk_parse_inspect(const char *buf, size_t len, bmeta *out)
{
    int rc = -EINVAL;
    json_t *root = load(buf, len);
    memset(out, 0, sizeof(*out));
    if (!json_is_object(root))
        goto out;
    const char *id = get_str(root, "Id");
    if (!id)
        goto out;
    copy_str(out->id, sizeof(out->id), id);
    const char *name = get_str(root, "Name");
    if (name)
        copy_name(out->name, sizeof(out->name), name);

    const json_t *config = json_object_get(root, "Config");
    set_str(out->image, sizeof(out->image), config, "Image");
    set_labels(out, json_object_get(config, "Labels"));
    set_str(out->image_id, sizeof(out->image_id), root, "Image");
    set_ports(out, json_object_get(config, "ExposedPorts"),
              json_object_get(json_object_get(root, "NetworkSettings"), "Ports"));
    /* Mounts: [{"Type":"volume","Name":"data","Source":"/var/lib/docker/
     * volumes/data/_data","Destination":"/data",...}]; a bind has no Name */
    size_t mi;
    json_t *mnt;
    json_array_foreach(json_object_get(root, "Mounts"), mi, mnt)
    {
        const char *type = get_str(mnt, "Type"), *dest = get_str(mnt, "Destination");
        const char *vname = get_str(mnt, "Name") ? get_str(mnt, "Name") : get_str(mnt, "Source");
        if (type && dest && mi < DK_MAX_LABELS)
            bmeta_add_mount(out, type, vname ? vname : "", dest,
                            get_str(mnt, "Source") ? get_str(mnt, "Source") : "");
    }
    const json_t *gd = json_object_get(root, "GraphDriver");
    set_str(out->graph_driver, sizeof(out->graph_driver), gd, "Name");
    set_str(out->upper_dir, sizeof(out->upper_dir), json_object_get(gd, "Data"), "UpperDir");
    const char *lower = get_str(json_object_get(gd, "Data"), "LowerDir");
    if (lower)
        out->lower_dir = xstrdup(lower);
    set_str(out->log_path, sizeof(out->log_path), root, "LogPath");

    const json_t *state = json_object_get(root, "State");
    set_str(out->state, sizeof(out->state), state, "Status");
    const char *health = get_str(json_object_get(state, "Health"), "Status");
    /* "none" is Docker's word for "no healthcheck"; berth says "". */
    if (health && strcmp(health, "none") != 0)
        copy_str(out->health, sizeof(out->health), health);
    set_int(&out->pid, state, "Pid");
    set_time(&out->started_at, state, "StartedAt");
    set_time(&out->created, root, "Created");
    set_int(&out->restart_count, root, "RestartCount");
    rc = 0;
out:
    if (rc != 0)
        bmeta_clear(out);
    json_decref(root);
    return rc;
}

int dk_parse_event(const char *buf, size_t len, dk_event *out)
{
    int rc = -EINVAL;
    json_t *root = load(buf, len);
    memset(out, 0, sizeof(*out));
    if (!json_is_object(root))
        goto out;
    const char *type = get_str(root, "Type");
    if (!type)
        goto out;
    if (strcmp(type, "container") != 0) {
        rc = 1;
        goto out;
    }
    const json_t *actor = json_object_get(root, "Actor");
    const json_t *attrs = json_object_get(actor, "Attributes");
    /* Action/Actor.ID since API 1.22; status/id were removed in 1.44. */
    const char *action = get_str(root, "Action");
    if (!action)
        action = get_str(root, "status");
    const char *id = get_str(actor, "ID");
    if (!id)
        id = get_str(root, "id");
    if (!action || !id)
        goto out;
    copy_str(out->action, sizeof(out->action), action);
    copy_str(out->id, sizeof(out->id), id);
    set_str(out->name, sizeof(out->name), attrs, "name");
    const char *old = get_str(attrs, "oldName");
    if (old)
        copy_name(out->old_name, sizeof(out->old_name), old);

    int64_t t;
    if (get_int(json_object_get(root, "timeNano"), INT64_MIN, INT64_MAX, &t) == 0)
        out->time_nano = t;
    else if (get_int(json_object_get(root, "time"), -9000000000LL, 9000000000LL, &t) == 0)
        out->time_nano = t * 1000000000LL;
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    json_decref(root);
    return rc;
}

/* One numeric component of a dotted version; *s moves past it and its dot.
 * Saturates instead of overflowing. */
static unsigned long version_part(const char **s)
{
    unsigned long v = 0;
    const char *p = *s;
    while (*p >= '0' && *p <= '9') {
        if (v < 100000000UL)
            v = v * 10 + (unsigned long)(*p - '0');
        p++;
    }
    /* Anything but a dot ends the version ("1.41-rc1" compares as 1.41). */
    *s = (*p == '.') ? p + 1 : p + strlen(p);
    return v;
}

int dk_version_cmp(const char *a, const char *b)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    while (*a || *b) {
        unsigned long x = version_part(&a);
        unsigned long y = version_part(&b);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}
