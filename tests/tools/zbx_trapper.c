/*
 * zbx_trapper: a strict stand-in for a Zabbix server's trapper port, for
 * berth's integration tests and benchmarks. It does not share code with
 * berth: it checks berth's frames against the protocol independently.
 *
 *   zbx_trapper -p PORTFILE -o VALUES [-v VIOLATIONS] [-H HOST] [-r RAWDIR]
 *               [-m stall|close] [-P PORT]
 *
 * Listens on 127.0.0.1 on an ephemeral port (or PORT) and writes the port
 * to PORTFILE. For each connection it reads one request and checks, failing
 * the exchange with a line in VIOLATIONS (default stderr) on any deviation:
 *   - header "ZBXD", flags exactly 0x01 (no compression, no large packet),
 *     reserved 0, data length equal to the bytes that follow, nothing sent
 *     after them;
 *   - data valid JSON (UTF-8, no duplicate keys): an object with exactly
 *     "request":"sender data", a "data" array and optionally integer
 *     "clock" and "ns" (0 <= ns < 1e9);
 *   - each element an object with string "host", "key", "value" and,
 *     optionally together, integer "clock" and "ns"; nothing else.
 * Every value is appended to VALUES as "host<TAB>key<TAB>value<TAB>clock<TAB>ns"
 * (tabs, newlines and backslashes in fields written as \t \n \\), and the
 * reply is the server's: {"response":"success","info":"processed: P; failed:
 * F; total: T; seconds spent: S"}, where a value fails when -H is given and
 * its host differs (what a server does for an unknown host).
 * -r keeps each raw request as RAWDIR/frame-N. -m stall accepts and reads
 * but never answers (a hung server); -m close closes at once.
 *
 * -A ITEMS plays a server for Zabbix agent 2's active checks instead (for
 * bench/bench_zabbix_active.sh): it answers "active checks" with the items
 * of the file ITEMS (one "key<TAB>delay" per line), and takes "agent data"
 * requests (zlib-compressed or not, as the agent sends them), recording
 * their values the same way. The strict checks above do not apply there.
 * Runs until killed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

static FILE *viol;
static FILE *vals;
static const char *known_host;
static const char *rawdir;
static unsigned long frames;
static const char *active_items; /* -A */
static char **item_keys;         /* -A: keys by itemid - 1 (agent 2 sends itemids) */
static int n_item_keys;

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(viol, "VIOLATION frame %lu: ", frames);
    vfprintf(viol, fmt, ap);
    fputc('\n', viol);
    fflush(viol);
    va_end(ap);
    return -1;
}

static int read_full(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static void put_field(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\t')
            fputs("\\t", vals);
        else if (s[i] == '\n')
            fputs("\\n", vals);
        else if (s[i] == '\\')
            fputs("\\\\", vals);
        else
            fputc(s[i], vals);
    }
}

static int is_int(const json_t *j)
{
    return json_is_integer(j);
}

/* Checks the request; returns the number of values, failed in *failed. */
static int check(const char *body, size_t len, long *failed)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    int rc = -1;
    *failed = 0;
    if (!json_is_object(root)) {
        bad("not a JSON object: %s", root ? "other type" : e.text);
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        if (strcmp(k, "request") && strcmp(k, "data") && strcmp(k, "clock") && strcmp(k, "ns")) {
            bad("unexpected top-level field \"%s\"", k);
            goto out;
        }
    }
    if (!json_is_string(json_object_get(root, "request")) ||
        strcmp(json_string_value(json_object_get(root, "request")), "sender data") != 0) {
        bad("request is not \"sender data\"");
        goto out;
    }
    json_t *clock = json_object_get(root, "clock"), *ns = json_object_get(root, "ns");
    if ((clock && !is_int(clock)) || (ns && (!is_int(ns) || json_integer_value(ns) < 0 ||
                                             json_integer_value(ns) > 999999999))) {
        bad("bad top-level clock/ns");
        goto out;
    }
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        bad("no data array");
        goto out;
    }
    size_t i;
    json_t *it;
    json_array_foreach(data, i, it)
    {
        if (!json_is_object(it)) {
            bad("data[%zu] is not an object", i);
            goto out;
        }
        json_object_foreach(it, k, v)
        {
            if (strcmp(k, "host") && strcmp(k, "key") && strcmp(k, "value") && strcmp(k, "clock") &&
                strcmp(k, "ns")) {
                bad("data[%zu]: unexpected field \"%s\"", i, k);
                goto out;
            }
        }
        json_t *h = json_object_get(it, "host"), *key = json_object_get(it, "key"),
               *val = json_object_get(it, "value");
        json_t *c = json_object_get(it, "clock"), *n = json_object_get(it, "ns");
        if (!json_is_string(h) || !json_is_string(key) || !json_is_string(val)) {
            bad("data[%zu]: host, key and value must be strings", i);
            goto out;
        }
        if (!json_string_length(h) || !json_string_length(key)) {
            bad("data[%zu]: empty host or key", i);
            goto out;
        }
        if ((c && !is_int(c)) || (n && !c) ||
            (n && (!is_int(n) || json_integer_value(n) < 0 || json_integer_value(n) > 999999999))) {
            bad("data[%zu]: bad clock/ns", i);
            goto out;
        }
        if (known_host && strcmp(json_string_value(h), known_host) != 0)
            (*failed)++;
        put_field(json_string_value(h), json_string_length(h));
        fputc('\t', vals);
        put_field(json_string_value(key), json_string_length(key));
        fputc('\t', vals);
        put_field(json_string_value(val), json_string_length(val));
        fprintf(vals, "\t%lld\t%lld\n", c ? (long long)json_integer_value(c) : -1,
                n ? (long long)json_integer_value(n) : -1);
    }
    fflush(vals);
    rc = (int)json_array_size(data);
out:
    json_decref(root);
    return rc;
}

static void reply_json(int fd, const char *reply, size_t rl)
{
    unsigned char rh[13] = {'Z', 'B', 'X', 'D', 1};
    for (int i = 0; i < 4; i++)
        rh[5 + i] = (unsigned char)((unsigned)rl >> (8 * i));
    if (send(fd, rh, 13, MSG_NOSIGNAL) != 13 || send(fd, reply, rl, MSG_NOSIGNAL) != (ssize_t)rl)
        bad("peer closed before taking the reply");
}

/* -A: one request of Zabbix agent 2 (active checks, or agent data). */
static void serve_agent2(int fd, const unsigned char *hdr, uint32_t len, uint32_t res, char *body)
{
    char *plain = body;
    size_t plen = len;
    if (hdr[4] & 0x02) {
        uLongf out = res;
        plain = malloc(res + 1);
        if (!plain || uncompress((Bytef *)plain, &out, (const Bytef *)body, len) != Z_OK) {
            bad("cannot decompress %u bytes", len);
            free(plain);
            return;
        }
        plen = out;
    }
    json_t *root = json_loadb(plain, plen, 0, NULL);
    const char *req = json_string_value(json_object_get(root, "request"));
    if (req && strcmp(req, "active checks") == 0) {
        json_t *data = json_array();
        FILE *f = fopen(active_items, "r");
        char line[2048];
        int id = 1;
        while (f && fgets(line, sizeof(line), f)) {
            char *tab = strchr(line, '\t');
            if (!tab)
                continue;
            *tab = '\0';
            tab[strcspn(tab + 1, "\r\n") + 1] = '\0';
            if (id > n_item_keys) {
                item_keys = realloc(item_keys, (size_t)id * sizeof(*item_keys));
                item_keys[id - 1] = strdup(line);
                n_item_keys = id;
            }
            json_array_append_new(data, json_pack("{s:s,s:s,s:i,s:s,s:i,s:i}", "key", line,
                                                  "key_orig", line, "itemid", id++, "delay",
                                                  tab + 1, "lastlogsize", 0, "mtime", 0));
        }
        if (f)
            fclose(f);
        json_t *r = json_pack("{s:s,s:o,s:i}", "response", "success", "data", data,
                              "refresh_unsupported", 600);
        char *txt = json_dumps(r, JSON_COMPACT);
        reply_json(fd, txt, strlen(txt));
        free(txt);
        json_decref(r);
    } else if (req && strcmp(req, "agent data") == 0) {
        size_t i;
        json_t *it;
        int n = 0;
        json_array_foreach(json_object_get(root, "data"), i, it)
        {
            const char *h = json_string_value(json_object_get(it, "host"));
            const char *k = json_string_value(json_object_get(it, "key"));
            const char *v = json_string_value(json_object_get(it, "value"));
            json_int_t iid = json_integer_value(json_object_get(it, "itemid"));
            if (!h)
                h = "agent2"; /* 6.0 sends itemids, the host is the session's */
            if (!k && iid >= 1 && iid <= n_item_keys)
                k = item_keys[iid - 1];
            if (!k)
                continue;
            put_field(h, strlen(h));
            fputc('\t', vals);
            put_field(k, strlen(k));
            fputc('\t', vals);
            put_field(v ? v : "", v ? strlen(v) : 0);
            fprintf(vals, "\t%lld\t%lld\n",
                    (long long)json_integer_value(json_object_get(it, "clock")),
                    (long long)json_integer_value(json_object_get(it, "ns")));
            n++;
        }
        fflush(vals);
        char reply[160];
        int rl = snprintf(reply, sizeof(reply),
                          "{\"response\":\"success\",\"info\":\"processed: %d; failed: 0; total: "
                          "%d; seconds spent: 0.000100\"}",
                          n, n);
        reply_json(fd, reply, (size_t)rl);
    } else {
        bad("agent 2 mode: unknown request");
    }
    json_decref(root);
    if (plain != body)
        free(plain);
}

static void serve(int fd, const char *mode)
{
    unsigned char hdr[13];
    frames++;
    if (mode && strcmp(mode, "close") == 0)
        return;
    if (read_full(fd, hdr, 13) < 0) {
        bad("connection closed before a full header");
        return;
    }
    if (memcmp(hdr, "ZBXD", 4) != 0 || (hdr[4] != 0x01 && !(active_items && hdr[4] == 0x03))) {
        bad("header magic/flags %02x%02x%02x%02x %02x", hdr[0], hdr[1], hdr[2], hdr[3], hdr[4]);
        return;
    }
    uint32_t len = 0, res = 0;
    for (int i = 3; i >= 0; i--) {
        len = (len << 8) | hdr[5 + i];
        res = (res << 8) | hdr[9 + i];
    }
    if ((res != 0 && !(hdr[4] & 0x02)) || len == 0 || len > (64u << 20) || res > (64u << 20)) {
        bad("header length %u reserved %u", len, res);
        return;
    }
    char *body = malloc(len);
    if (!body || read_full(fd, (unsigned char *)body, len) < 0) {
        bad("body shorter than the %u bytes announced", len);
        free(body);
        return;
    }
    if (rawdir) {
        char path[512];
        snprintf(path, sizeof(path), "%s/frame-%lu", rawdir, frames);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(hdr, 1, 13, f);
            fwrite(body, 1, len, f);
            fclose(f);
        }
    }
    if (active_items) {
        serve_agent2(fd, hdr, len, res, body);
        free(body);
        return;
    }
    if (mode && strcmp(mode, "stall") == 0) {
        free(body);
        sleep(3600);
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long failed = 0;
    int n = check(body, len, &failed);
    free(body);
    if (n < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char reply[256];
    int rl = snprintf(reply, sizeof(reply),
                      "{\"response\":\"success\",\"info\":\"processed: %ld; failed: %ld; total: "
                      "%d; seconds spent: %.6f\"}",
                      n - failed, failed, n,
                      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    unsigned char rh[13] = {'Z', 'B', 'X', 'D', 1};
    for (int i = 0; i < 4; i++)
        rh[5 + i] = (unsigned char)((unsigned)rl >> (8 * i));
    if (send(fd, rh, 13, MSG_NOSIGNAL) != 13 || send(fd, reply, (size_t)rl, MSG_NOSIGNAL) != rl)
        bad("peer closed before taking the reply");
    /* nothing may follow the request: the peer closes after the reply */
    char extra;
    ssize_t r = recv(fd, &extra, 1, 0);
    if (r > 0)
        bad("bytes after the announced length");
}

int main(int argc, char **argv)
{
    const char *portfile = NULL, *valfile = NULL, *violfile = NULL, *mode = NULL;
    int opt, port = 0;
    while ((opt = getopt(argc, argv, "p:o:v:H:r:m:P:A:")) != -1) {
        switch (opt) {
        case 'p': portfile = optarg; break;
        case 'o': valfile = optarg; break;
        case 'v': violfile = optarg; break;
        case 'H': known_host = optarg; break;
        case 'r': rawdir = optarg; break;
        case 'm': mode = optarg; break;
        case 'P': port = atoi(optarg); break;
        case 'A': active_items = optarg; break;
        default:
            fprintf(stderr, "usage: zbx_trapper -p PORTFILE -o VALUES [-v VIOL] [-H HOST] "
                            "[-r RAWDIR] [-m stall|close]\n");
            return 2;
        }
    }
    if (!portfile || !valfile)
        return 2;
    vals = fopen(valfile, "a");
    viol = violfile ? fopen(violfile, "a") : stderr;
    if (!vals || !viol)
        return 1;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t sl = sizeof(sa);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("zbx_trapper: listen");
        return 1;
    }
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
    FILE *pf = fopen(tmp, "w");
    if (!pf)
        return 1;
    fprintf(pf, "%d\n", ntohs(sa.sin_port));
    fclose(pf);
    rename(tmp, portfile);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        serve(fd, mode);
        close(fd);
    }
}
