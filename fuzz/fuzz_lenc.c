/*
 * fuzz_lenc: libFuzzer target for the log output encoders, which turn
 * whatever a container printed into protocol text. The input is split at
 * the first two NUL bytes into message, label value and field value; every
 * encoder runs on the record. Invariants (abort() on failure): the ES bulk
 * lines, the GELF message and the Loki body are valid JSON, GELF holds no
 * NUL byte, the syslog frame's length prefix counts its bytes exactly, and
 * the Redis command parses back as one RESP array. Seeds: fuzz/corpus/lenc/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "logs/lenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_json(const char *s, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(s, len, JSON_ALLOW_NUL, &je);
    if (!json_is_object(j))
        abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *z1 = memchr(s, '\0', size);
    size_t mlen = z1 ? (size_t)(z1 - s) : size;
    const char *lv = z1 ? z1 + 1 : "";
    size_t lvlen = z1 ? size - mlen - 1 : 0;
    const char *z2 = memchr(lv, '\0', lvlen);
    const char *fv = z2 ? z2 + 1 : "";
    size_t fvlen = z2 ? lvlen - (size_t)(z2 - lv) - 1 : 0;
    if (z2)
        lvlen = (size_t)(z2 - lv);

    lrec_kv lab = {lv, lvlen < 40 ? lvlen : 40, lv, lvlen};
    lrec_kv fld = {lv, lvlen < 20 ? lvlen : 20, fv, fvlen};
    lrec r;
    memset(&r, 0, sizeof(r));
    r.ts_ns = (int64_t)size * 1000003;
    r.stream = 1 + (int)(size % 3);
    r.msg = s;
    r.msg_len = mlen;
    r.host = "h";
    r.container_id = r.container_name = r.image = r.image_id = "";
    r.compose_project = r.compose_service = r.swarm_service = r.swarm_task = "";
    r.path = "/p";
    r.labels = &lab;
    r.nlabels = 1;
    r.fields = &fld;
    r.nfields = 1;

    buf b = BUF_INIT;
    lenc_es_opts eo = {.index = "logs-%Y", .dedup = 1};
    lenc_es_bulk(&b, &r, 1, &eo);
    char *nl = memchr(b.data, '\n', b.len);
    if (!nl || b.data[b.len - 1] != '\n')
        abort();
    must_json(b.data, (size_t)(nl - b.data));
    must_json(nl + 1, b.len - (size_t)(nl + 1 - b.data) - 1);

    buf_reset(&b);
    lenc_gelf(&b, &r);
    if (memchr(b.data, '\0', b.len))
        abort();
    must_json(b.data, b.len);

    buf_reset(&b);
    size_t so;
    lenc_loki_push(&b, &r, 1, &so);
    must_json(b.data, b.len);

    buf_reset(&b);
    lenc_syslog_opts sy = {.facility = 3, .bom = (int)(size & 1), .sd_id = "berth@32473"};
    lenc_syslog(&b, &r, &sy);
    char *end;
    unsigned long n = strtoul(b.data, &end, 10);
    if (*end != ' ' || n != b.len - (size_t)(end + 1 - b.data))
        abort();

    buf_reset(&b);
    lenc_redis_rpush(&b, "k", &r, 1);
    lenc_resp rr;
    if (lenc_resp_parse(b.data, b.len, &rr) != (long)b.len || rr.type != LENC_RESP_ARRAY)
        abort();
    buf_free(&b);
    return 0;
}
