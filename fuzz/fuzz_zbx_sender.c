/*
 * fuzz_zbx_sender: libFuzzer target for the Zabbix sender protocol
 * (zabbix/sender.c). The bytes are parsed as a server reply and as an info
 * line (what a server, or anything answering on its port, sends back), and
 * encoded as a value and as a key parameter (what containers name and
 * report). Invariants, checked with abort() so libFuzzer reports them:
 *   - a reply parses or returns -EINVAL, counts only when has_counts;
 *   - an encoded frame always has a correct header and is valid JSON that
 *     jansson reads back (so no input can make berth send a frame the
 *     server drops), with the value unchanged when it was valid UTF-8
 *     without NUL;
 *   - a quoted key parameter reads back through zbx_parse_key unchanged.
 * Seeds: fuzz/corpus/zbx_sender/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zabbix/sender.h"
#include "zabbix/zbx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zbx_key key; /* 33 KiB: static */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    zbx_sender_reply r;

    int rc = zbx_sender_parse_reply(s, size, &r);
    if (rc != 0 && rc != -EINVAL)
        abort();
    if (rc == 0 && (strlen(r.response) >= sizeof(r.response) || strlen(r.info) >= sizeof(r.info)))
        abort();
    memset(&r, 0, sizeof(r));
    rc = zbx_sender_parse_info(s, size, &r);
    if ((rc == 0) != (r.has_counts == 1))
        abort();

    /* encode as a value; cap the input so a run stays fast */
    size_t vl = size < 65536 ? size : 65536;
    zbx_sbatch b;
    zbx_sbatch_init(&b);
    if (zbx_sbatch_add(&b, "host", 4, s, vl, s, vl, 1, 2) != 0)
        abort();
    zbx_sbatch_finish(&b, 3, 4);
    const unsigned char *f = (const unsigned char *)b.frame.data;
    uint32_t n = (uint32_t)f[5] | (uint32_t)f[6] << 8 | (uint32_t)f[7] << 16 | (uint32_t)f[8] << 24;
    if (memcmp(f, "ZBXD\x01", 5) != 0 || n != b.frame.len - ZBX_HDR_MIN)
        abort();
    json_t *j = json_loadb(b.frame.data + ZBX_HDR_MIN, n, 0, NULL);
    if (!j)
        abort();
    const json_t *v = json_object_get(json_array_get(json_object_get(j, "data"), 0), "value");
    if (!json_is_string(v))
        abort();
    /* valid UTF-8 without NUL must arrive unchanged */
    json_t *probe = vl ? json_stringn(s, vl) : json_string("");
    if (probe && !memchr(s, '\0', vl) &&
        (json_string_length(v) != vl || memcmp(json_string_value(v), s, vl) != 0))
        abort();
    json_decref(probe);
    json_decref(j);
    zbx_sbatch_free(&b);

    /* a key parameter (no NUL, bounded) reads back unchanged */
    if (size > 0 && size < 1000 && !memchr(s, '\0', size)) {
        char *p = strndup(s, size);
        buf k = BUF_INIT;
        buf_puts(&k, "k[");
        zbx_key_param(&k, p);
        buf_putc(&k, ']');
        /* Zabbix cannot express a quoted parameter ending in a backslash
         * or an unquoted one with a leading space trimmed: skip those */
        int quoted = k.data[2] == '"';
        if (!(quoted && p[size - 1] == '\\') && zbx_parse_key(k.data, k.len, &key) == 0) {
            if (key.nparams != 1 || strcmp(key.params[0], p) != 0)
                abort();
        }
        buf_free(&k);
        free(p);
    }
    return 0;
}
