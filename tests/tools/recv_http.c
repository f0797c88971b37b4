/*
 * recv_http: a strict receiver for berth's log outputs, for tests and
 * benchmarks. It speaks three protocols and checks every request against the
 * published format; what does not conform is answered 400 and written to the
 * violations file (which a test asserts is empty).
 *
 *   recv_http --port P --out FILE [--mode-file F] [--violations FILE]
 *       HTTP on 127.0.0.1:P:
 *       POST /_bulk   Elasticsearch bulk: Content-Type application/x-ndjson,
 *                     body ending in '\n', action ({"create"|"index":
 *                     {"_index":lowercase,"_id"?}}) and source lines paired,
 *                     every line JSON, every source with "@timestamp" and
 *                     "message". A create with an _id already stored is a
 *                     409 (as ES does), so a resend stores nothing twice.
 *       POST /loki/api/v1/push   Loki JSON push: Content-Type
 *                     application/json, {"streams":[{"stream":{name:string},
 *                     "values":[["<ns digits>","line"],...]}]}, label names
 *                     [a-zA-Z_][a-zA-Z0-9_]*, values in time order per
 *                     stream.
 *       Both accept Content-Encoding: gzip (and check it inflates).
 *   recv_http --gelf-tcp --port P --out FILE [--violations FILE]
 *       GELF over TCP: NUL-framed GELF 1.1 JSON messages (version "1.1",
 *       host, non-empty short_message, numeric timestamp, integer level,
 *       additional fields "_..." but not "_id").
 *   recv_http --null --port P [--stats FILE]
 *       reads and discards TCP bytes as fast as it can (benchmark sink),
 *       counting RFC 6587 octet-counted frames; FILE gets "BYTES
 *       LAST_BYTE_EPOCH_MS FRAMES BAD_BYTES" every 200 ms; the byte count
 *       is printed on SIGTERM.
 *
 * Every accepted message (ES "message", Loki line, GELF short_message) is
 * appended to --out as "CONTAINER<TAB>MESSAGE" lines (container name from
 * the record's tags, "-" when none), so a test counts and compares them.
 * --mode-file holds what to answer, re-read per request: "ok" (default),
 * "429", "500", "garbage" (200 with a body that is not JSON), "items"
 * (ES: every odd item of a request 429, not stored), "reject" (ES: every
 * odd item 400 mapping error; Loki: 400 naming every stream whose
 * container_name holds "rej", the other streams stored), "hang"
 * (never answer). A line per request goes to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zlib.h>

static const char *out_path, *mode_path, *viol_path;
static FILE *out_f, *viol_f;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop;
static unsigned long long null_bytes, null_last_ms, null_frames, null_bad;
static const char *stats_path;

/* ids stored by creates (for 409 on a resend): a simple open hash set */
static char **ids;
static size_t ids_cap, ids_n;

static int id_seen_or_add(const char *id)
{
    if (ids_n * 2 >= ids_cap) {
        size_t nc = ids_cap ? ids_cap * 2 : 4096;
        char **n = calloc(nc, sizeof(*n));
        for (size_t i = 0; i < ids_cap; i++) {
            if (!ids[i])
                continue;
            size_t h = 0;
            for (const char *p = ids[i]; *p; p++)
                h = h * 131 + (unsigned char)*p;
            for (h &= nc - 1; n[h]; h = (h + 1) & (nc - 1))
                ;
            n[h] = ids[i];
        }
        free(ids);
        ids = n;
        ids_cap = nc;
    }
    size_t h = 0;
    for (const char *p = id; *p; p++)
        h = h * 131 + (unsigned char)*p;
    for (h &= ids_cap - 1; ids[h]; h = (h + 1) & (ids_cap - 1))
        if (strcmp(ids[h], id) == 0)
            return 1;
    ids[h] = strdup(id);
    ids_n++;
    return 0;
}

static void mode_get(char *m, size_t n)
{
    snprintf(m, n, "ok");
    if (!mode_path)
        return;
    FILE *f = fopen(mode_path, "r");
    if (!f)
        return;
    if (fgets(m, (int)n, f))
        m[strcspn(m, "\r\n ")] = '\0';
    fclose(f);
}

static void violation(const char *what, const char *detail)
{
    pthread_mutex_lock(&mu);
    fprintf(viol_f, "%s: %.300s\n", what, detail ? detail : "");
    fflush(viol_f);
    pthread_mutex_unlock(&mu);
    fprintf(stderr, "recv_http: VIOLATION %s: %.300s\n", what, detail ? detail : "");
}

/* One line per message: "CONTAINER<TAB>MESSAGE" (name "-" when none). */
static void store(const char *name, const char *s, size_t len)
{
    fputs(name && *name ? name : "-", out_f);
    fputc('\t', out_f);
    fwrite(s, 1, len, out_f);
    fputc('\n', out_f);
}

/* ---- gzip ------------------------------------------------------------------ */

static int gunzip(const char *in, size_t len, char **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    size_t cap = len * 4 + 1024, n = 0;
    char *o = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        if (cap - n < 65536) {
            cap *= 2;
            o = realloc(o, cap);
        }
        z.next_out = (Bytef *)o + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = z.total_out;
    } while (rc == Z_OK);
    inflateEnd(&z);
    if (rc != Z_STREAM_END || z.avail_in != 0) {
        free(o);
        return -1;
    }
    *out = o;
    *outlen = n;
    return 0;
}

/* ---- Elasticsearch --------------------------------------------------------- */

static int index_name_ok(const char *s)
{
    if (!s || !*s || *s == '-' || *s == '_' || *s == '+')
        return 0;
    for (; *s; s++)
        if ((*s >= 'A' && *s <= 'Z') || strchr("\\/*?\"<>| ,#:", *s))
            return 0;
    return 1;
}

/* Returns the HTTP status; *reply gets the body (malloc'd). */
static int handle_bulk(const char *body, size_t len, const char *mode, char **reply)
{
    if (len == 0 || body[len - 1] != '\n') {
        violation("bulk", "body does not end with a newline");
        return 400;
    }
    json_t *items = json_array();
    int errors = 0;
    size_t line = 0, item = 0;
    json_t *action = NULL;
    const char *op = NULL;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &je);
        p = nl + 1;
        line++;
        if (!json_is_object(j)) {
            char d[400];
            snprintf(d, sizeof(d), "line %zu is not a JSON object: %s", line, je.text);
            violation("bulk", d);
            json_decref(j);
            json_decref(action);
            json_decref(items);
            return 400;
        }
        if (!action) {
            json_t *v = NULL;
            op = NULL;
            if (json_object_size(j) == 1) {
                if ((v = json_object_get(j, "create")))
                    op = "create";
                else if ((v = json_object_get(j, "index")))
                    op = "index";
            }
            if (!op || !json_is_object(v) ||
                !index_name_ok(json_string_value(json_object_get(v, "_index"))) ||
                (json_object_get(v, "_id") && !json_is_string(json_object_get(v, "_id")))) {
                violation("bulk", "bad action line (want create/index with a valid _index)");
                json_decref(j);
                json_decref(items);
                return 400;
            }
            action = j;
            continue;
        }
        /* the source line */
        json_t *msg = json_object_get(j, "message");
        if (!json_is_string(json_object_get(j, "@timestamp")) || !json_is_string(msg)) {
            violation("bulk", "source without @timestamp or message strings");
            json_decref(j);
            json_decref(action);
            json_decref(items);
            return 400;
        }
        int st = strcmp(op, "create") == 0 ? 201 : 200;
        const char *etype = NULL;
        if (strcmp(mode, "items") == 0 && item % 2 == 1) {
            st = 429;
            etype = "es_rejected_execution_exception";
        } else if (strcmp(mode, "reject") == 0 && item % 2 == 1) {
            st = 400;
            etype = "mapper_parsing_exception";
        } else {
            const char *id = json_string_value(json_object_get(json_object_get(action, op), "_id"));
            if (id && strcmp(op, "create") == 0 && id_seen_or_add(id)) {
                st = 409;
                etype = "version_conflict_engine_exception";
            } else {
                const char *cn =
                    json_string_value(json_object_get(json_object_get(j, "container"), "name"));
                store(cn, json_string_value(msg), json_string_length(msg));
            }
        }
        json_t *res = json_pack("{s:i}", "status", st);
        if (etype) {
            json_object_set_new(res, "error",
                                json_pack("{s:s,s:s}", "type", etype, "reason", "test"));
            errors = 1;
        }
        json_array_append_new(items, json_pack("{s:o}", op, res));
        json_decref(action);
        action = NULL;
        json_decref(j);
        item++;
    }
    if (action) {
        violation("bulk", "action line without a source line");
        json_decref(action);
        json_decref(items);
        return 400;
    }
    json_t *r = json_pack("{s:i,s:b,s:o}", "took", 1, "errors", errors, "items", items);
    *reply = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return 200;
}

/* ---- Loki -------------------------------------------------------------------- */

static int label_name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

static int handle_loki(const char *body, size_t len, const char *mode, char **reply)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &je);
    json_t *streams = json_object_get(root, "streams");
    if (!json_is_array(streams)) {
        violation("loki", "body is not {\"streams\":[...]}");
        json_decref(root);
        return 400;
    }
    /* check everything before storing anything */
    for (size_t i = 0; i < json_array_size(streams); i++) {
        json_t *s = json_array_get(streams, i);
        json_t *lab = json_object_get(s, "stream"), *vals = json_object_get(s, "values");
        if (!json_is_object(lab) || !json_is_array(vals) || json_object_size(lab) == 0) {
            violation("loki", "stream without a label object or a values array");
            json_decref(root);
            return 400;
        }
        for (void *it = json_object_iter(lab); it; it = json_object_iter_next(lab, it)) {
            if (!label_name_ok(json_object_iter_key(it)) ||
                !json_is_string(json_object_iter_value(it))) {
                violation("loki", json_object_iter_key(it));
                json_decref(root);
                return 400;
            }
            if (strcmp(json_object_iter_key(it), "container_id") == 0)
                violation("loki", "container_id as a label (high cardinality)");
        }
        unsigned long long prev = 0;
        for (size_t k = 0; k < json_array_size(vals); k++) {
            json_t *v = json_array_get(vals, k);
            const char *ts = json_string_value(json_array_get(v, 0));
            if (!json_is_array(v) || json_array_size(v) != 2 || !ts || !*ts ||
                strspn(ts, "0123456789") != strlen(ts) || !json_is_string(json_array_get(v, 1))) {
                violation("loki", "value is not [\"<ns>\", \"line\"]");
                json_decref(root);
                return 400;
            }
            unsigned long long t = strtoull(ts, NULL, 10);
            if (t < prev) {
                violation("loki", "values of a stream out of time order");
                json_decref(root);
                return 400;
            }
            prev = t;
        }
    }
    /* mode reject: streams whose container_name holds "rej" are refused
     * (named in a 400 the way Loki names them), the others stored */
    int reject = strcmp(mode, "reject") == 0;
    size_t cap = 4096, n = 0, nrej = 0;
    char *r = malloc(cap);
    r[0] = '\0';
    for (size_t i = 0; i < json_array_size(streams); i++) {
        json_t *s = json_array_get(streams, i);
        json_t *lab = json_object_get(s, "stream");
        json_t *vals = json_object_get(s, "values");
        const char *cn = json_string_value(json_object_get(lab, "container_name"));
        if (reject && cn && strstr(cn, "rej")) {
            /* Loki's text: labels sorted, ", " between them */
            const char *keys[64];
            size_t nk = 0;
            for (void *it = json_object_iter(lab); it && nk < 64;
                 it = json_object_iter_next(lab, it))
                keys[nk++] = json_object_iter_key(it);
            for (size_t a = 0; a < nk; a++)
                for (size_t b = a + 1; b < nk; b++)
                    if (strcmp(keys[a], keys[b]) > 0) {
                        const char *t = keys[a];
                        keys[a] = keys[b];
                        keys[b] = t;
                    }
            if (cap - n < 8192) {
                cap = cap * 2 + 8192;
                r = realloc(r, cap);
            }
            n += (size_t)snprintf(r + n, cap - n,
                                  "entry with timestamp 2025-01-01 00:00:00 +0000 UTC ignored, "
                                  "reason: 'entry out of order' for stream: {");
            for (size_t a = 0; a < nk; a++)
                n += (size_t)snprintf(r + n, cap - n, "%s%s=\"%s\"", a ? ", " : "", keys[a],
                                      json_string_value(json_object_get(lab, keys[a])));
            n += (size_t)snprintf(r + n, cap - n, "},\n");
            nrej += json_array_size(vals);
            continue;
        }
        for (size_t k = 0; k < json_array_size(vals); k++) {
            json_t *line = json_array_get(json_array_get(vals, k), 1);
            store(cn, json_string_value(line), json_string_length(line));
        }
    }
    if (nrej) {
        snprintf(r + n, cap - n, "total ignored: %zu\n", nrej);
        *reply = r;
        json_decref(root);
        return 400;
    }
    free(r);
    json_decref(root);
    return 204;
}

/* ---- HTTP plumbing ----------------------------------------------------------- */

typedef struct req {
    char *data;
    size_t len, cap;
} req;

static enum MHD_Result answer(struct MHD_Connection *c, int status, const char *body,
                              const char *ctype)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    req *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof(*q));
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->len + *upload_size + 1 > q->cap) {
            q->cap = (q->len + *upload_size + 1) * 2;
            q->data = realloc(q->data, q->cap);
        }
        memcpy(q->data + q->len, upload, *upload_size);
        q->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    char mode[32];
    mode_get(mode, sizeof(mode));
    int is_bulk = strcmp(url, "/_bulk") == 0, is_loki = strcmp(url, "/loki/api/v1/push") == 0;
    fprintf(stderr, "recv_http: %s %s %zu bytes mode=%s\n", method, url, q->len, mode);
    if (strcmp(method, "POST") != 0 || (!is_bulk && !is_loki)) {
        violation("http", url);
        return answer(c, 404, "not found", "text/plain");
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *want_ct = is_bulk ? "application/x-ndjson" : "application/json";
    if (!ct || strncmp(ct, want_ct, strlen(want_ct)) != 0) {
        violation("content-type", ct ? ct : "(none)");
        return answer(c, 400, "bad content type", "text/plain");
    }
    if (strcmp(mode, "hang") == 0) {
        while (!stop)
            sleep(1);
        return MHD_NO;
    }
    if (strcmp(mode, "429") == 0)
        return answer(c, 429, "{\"error\":\"too many requests\"}", "application/json");
    if (strcmp(mode, "500") == 0)
        return answer(c, 500, "internal error", "text/plain");
    if (strcmp(mode, "garbage") == 0)
        return answer(c, 200, "\x01\x02<html>not json", "text/html");

    char *body = q->data ? q->data : "";
    size_t blen = q->len;
    char *plain = NULL;
    const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    if (ce && strcmp(ce, "gzip") == 0) {
        if (gunzip(body, blen, &plain, &blen) < 0) {
            violation("gzip", "body does not inflate");
            return answer(c, 400, "bad gzip", "text/plain");
        }
        body = plain;
    } else if (ce) {
        violation("content-encoding", ce);
        return answer(c, 400, "bad encoding", "text/plain");
    }
    char *reply = NULL;
    pthread_mutex_lock(&mu);
    int st =
        is_bulk ? handle_bulk(body, blen, mode, &reply) : handle_loki(body, blen, mode, &reply);
    fflush(out_f);
    pthread_mutex_unlock(&mu);
    free(plain);
    enum MHD_Result ret = answer(c, st, reply ? reply : (st == 400 ? "bad request" : ""),
                                 reply && st == 200 ? "application/json" : "text/plain");
    free(reply);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req *q = *con_cls;
    if (q) {
        free(q->data);
        free(q);
    }
    *con_cls = NULL;
}

/* ---- TCP modes ---------------------------------------------------------------- */

static int listen_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
        perror("recv_http: bind");
        exit(1);
    }
    return fd;
}

static void gelf_frame(const char *s, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(s, len, JSON_ALLOW_NUL, &je);
    const char *v = json_string_value(json_object_get(j, "version"));
    json_t *sm = json_object_get(j, "short_message");
    int ok = json_is_object(j) && v && strcmp(v, "1.1") == 0 &&
             json_is_string(json_object_get(j, "host")) && json_is_string(sm) &&
             json_string_length(sm) > 0 && json_is_number(json_object_get(j, "timestamp")) &&
             json_is_integer(json_object_get(j, "level")) && !json_object_get(j, "_id");
    for (void *it = json_object_iter(j); ok && it; it = json_object_iter_next(j, it)) {
        const char *k = json_object_iter_key(it);
        json_t *x = json_object_iter_value(it);
        if (strcmp(k, "version") && strcmp(k, "host") && strcmp(k, "short_message") &&
            strcmp(k, "full_message") && strcmp(k, "timestamp") && strcmp(k, "level") &&
            (k[0] != '_' || !(json_is_string(x) || json_is_number(x))))
            ok = 0;
    }
    if (!ok) {
        violation("gelf", s);
    } else {
        pthread_mutex_lock(&mu);
        store(json_string_value(json_object_get(j, "_container_name")), json_string_value(sm),
              json_string_length(sm));
        fflush(out_f);
        pthread_mutex_unlock(&mu);
    }
    json_decref(j);
}

static int active_conns;

/* One GELF connection. On SIGTERM it ends the way a careful receiver
 * does: half-close (the sender sees a FIN before its next batch), then read
 * until the sender closes (at most 5 s), so nothing written to it is lost. */
static void *gelf_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    int half = 0, waited = 0;
    for (;;) {
        if (stop && !half) {
            shutdown(fd, SHUT_WR);
            half = 1;
        }
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 100) == 0) {
            if (half && ++waited > 50)
                break;
            continue;
        }
        if (cap - n < 65536) {
            cap *= 2;
            b = realloc(b, cap);
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        size_t start = 0;
        char *z;
        while ((z = memchr(b + start, '\0', n - start))) {
            gelf_frame(b + start, (size_t)(z - (b + start)));
            start = (size_t)(z - b) + 1;
        }
        memmove(b, b + start, n - start);
        n -= start;
    }
    if (n)
        violation("gelf", "connection closed inside a frame");
    free(b);
    close(fd);
    __atomic_sub_fetch(&active_conns, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* The sink: counts bytes, the time of the last one, and RFC 6587
 * octet-counted frames ("LEN SP MSG"), so a benchmark knows when every
 * line has arrived; bytes that break the framing are counted apart. */
static void *null_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *b = malloc(1 << 20);
    unsigned long long need = 0, acc = 0, frames = 0, bad = 0;
    int in_len = 1;
    ssize_t r;
    while ((r = read(fd, b, 1 << 20)) > 0) {
        for (ssize_t i = 0; i < r;) {
            if (!in_len) {
                unsigned long long k =
                    (unsigned long long)(r - i) < need ? (unsigned long long)(r - i) : need;
                need -= k;
                i += (ssize_t)k;
                if (need == 0) {
                    frames++;
                    in_len = 1;
                }
                continue;
            }
            char c = b[i++];
            if (c >= '0' && c <= '9') {
                acc = acc * 10 + (unsigned long long)(c - '0');
            } else if (c == ' ') {
                need = acc;
                acc = 0;
                if (need == 0)
                    frames++;
                else
                    in_len = 0;
            } else {
                bad++;
                acc = 0;
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        __atomic_add_fetch(&null_bytes, (unsigned long long)r, __ATOMIC_RELAXED);
        __atomic_add_fetch(&null_frames, frames, __ATOMIC_RELAXED);
        __atomic_add_fetch(&null_bad, bad, __ATOMIC_RELAXED);
        frames = bad = 0;
        __atomic_store_n(&null_last_ms,
                         (unsigned long long)ts.tv_sec * 1000 +
                             (unsigned long long)ts.tv_nsec / 1000000,
                         __ATOMIC_RELAXED);
    }
    free(b);
    close(fd);
    return NULL;
}

static void on_term(int sig)
{
    stop = 1;
}

int main(int argc, char **argv)
{
    int port = 0, gelf = 0, null = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--mode-file") && i + 1 < argc)
            mode_path = argv[++i];
        else if (!strcmp(argv[i], "--violations") && i + 1 < argc)
            viol_path = argv[++i];
        else if (!strcmp(argv[i], "--gelf-tcp"))
            gelf = 1;
        else if (!strcmp(argv[i], "--null"))
            null = 1;
        else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
            stats_path = argv[++i];
        else {
            fprintf(stderr, "usage: recv_http --port P (--out FILE [--gelf-tcp] [--mode-file F] "
                            "[--violations F] | --null)\n");
            return 2;
        }
    }
    if (!port || (!out_path && !null)) {
        fprintf(stderr, "recv_http: --port and --out are required\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!null) {
        out_f = fopen(out_path, "a");
        viol_f = viol_path ? fopen(viol_path, "a") : stderr;
        if (!out_f || !viol_f) {
            perror("recv_http: open");
            return 1;
        }
    }
    if (gelf || null) {
        int lfd = listen_tcp(port);
        while (!stop) {
            struct pollfd pf = {.fd = lfd, .events = POLLIN};
            if (stats_path) {
                /* "BYTES LAST_BYTE_EPOCH_MS", rewritten every 200 ms */
                char tmp[600];
                snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
                FILE *f = fopen(tmp, "w");
                if (f) {
                    fprintf(f, "%llu %llu %llu %llu\n",
                            __atomic_load_n(&null_bytes, __ATOMIC_RELAXED),
                            __atomic_load_n(&null_last_ms, __ATOMIC_RELAXED),
                            __atomic_load_n(&null_frames, __ATOMIC_RELAXED),
                            __atomic_load_n(&null_bad, __ATOMIC_RELAXED));
                    fclose(f);
                    rename(tmp, stats_path);
                }
            }
            if (poll(&pf, 1, 200) <= 0)
                continue;
            int c = accept(lfd, NULL, NULL);
            if (c < 0)
                continue;
            pthread_t t;
            if (!null)
                __atomic_add_fetch(&active_conns, 1, __ATOMIC_SEQ_CST);
            pthread_create(&t, NULL, null ? null_conn : gelf_conn, (void *)(intptr_t)c);
            pthread_detach(t);
        }
        close(lfd);
        for (int i = 0; i < 60 && __atomic_load_n(&active_conns, __ATOMIC_SEQ_CST) > 0; i++)
            usleep(100000);
        if (null)
            printf("%llu\n", null_bytes);
        return 0;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
        handler, NULL, MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "recv_http: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    fprintf(stderr, "recv_http: listening on 127.0.0.1:%d\n", port);
    while (!stop)
        sleep(1);
    MHD_stop_daemon(d);
    return 0;
}
