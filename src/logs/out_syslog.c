/*
 * out_syslog: syslog RFC 5424 messages over TCP with RFC 6587 octet
 * counting ("LEN SP MSG"), optionally over TLS (RFC 5425 uses the same
 * framing).
 *
 *   log_output sl syslog host=127.0.0.1 port=514 [tls=on ca=FILE]
 *                        [facility=daemon] [bom=off] [sd_id=berth@32473]
 *                        [max_message=65536]
 *
 * A message:
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
 * - PRI: facility*8 + severity; severity 6 (info) for stdout, 3 (err) for
 *   stderr and 6 for plain files.
 * - TIMESTAMP: the record's own time, UTC, microseconds (TIME-SECFRAC
 *   allows at most 6 digits).
 * - HOSTNAME: the host tag; APP-NAME: the container name (or "berth");
 *   PROCID: the container's 12-digit short id; MSGID: the stream. Each is
 *   PRINTUSASCII cut to its RFC length, "-" when empty.
 * - SD: [berth@32473 container_id=.. container_name=.. image=.. ...] with
 *   every tag, and [label@32473 key=..] with the allow-listed labels.
 *   32473 is the documentation enterprise number (RFC 5612): set sd_id to
 *   your own PEN-registered id in production if your collector cares.
 *   PARAM-VALUEs are UTF-8 with '"', '\' and ']' escaped.
 * - MSG: the message as UTF-8, invalid sequences replaced by U+FFFD. By
 *   default without a BOM: RFC 5424 then calls it MSG-ANY, which every
 *   collector reads as text, whereas a BOM shows up as three stray bytes in
 *   many of them (rsyslog keeps it in $msg). bom=on sends MSG-UTF8 (BOM +
 *   UTF-8) for collectors that want the strict form. Newlines and other
 *   control bytes are kept: octet counting frames them safely. MSG is cut
 *   at max_message bytes (64 KiB by default; 0 = never): rsyslog's imtcp
 *   gives up octet counting for frames over 200000 bytes (its
 *   maxFrameSize) and misreads the rest of the stream, so an unbounded
 *   line from one container would cost every later line.
 *
 * syslog over TCP has no acknowledgement: a batch counts as delivered once
 * written fully to the socket (conn.h: a peer that closed is found before
 * writing the next batch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lenc.h"
#include "net/conn.h"
#include "logs/lout.h"
#include "util/opt.h"

/* ---- encoder --------------------------------------------------------------- */

/* Appends s as a header field: PRINTUSASCII (33..126), other bytes as '_',
 * at most max bytes, "-" when empty. */
static void put_hdr(buf *b, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;
    if (n == 0) {
        buf_putc(b, '-');
        return;
    }
    buf_reserve(b, n);
    char *d = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d[i] = c >= 33 && c <= 126 ? (char)c : '_';
    }
    b->len += n;
    b->data[b->len] = '\0';
}

/* Appends a PARAM-VALUE: UTF-8 with '"', '\' and ']' escaped. The common
 * case (nothing to escape) costs one pass over the bytes lenc_utf8 wrote. */
static void put_param(buf *b, const char *s, size_t len)
{
    buf_putc(b, '"');
    size_t start = b->len;
    lenc_utf8(b, s, len);
    size_t esc = 0;
    for (size_t i = start; i < b->len; i++)
        esc += b->data[i] == '"' || b->data[i] == '\\' || b->data[i] == ']';
    if (esc) {
        buf_reserve(b, esc);
        /* widen from the end: each escaped byte moves right by the number
         * of escapes still before it */
        size_t i = b->len, j = b->len + esc;
        while (i > start) {
            char c = b->data[--i];
            b->data[--j] = c;
            if (c == '"' || c == '\\' || c == ']')
                b->data[--j] = '\\';
        }
        b->len += esc;
    }
    buf_putc(b, '"');
}

static void sd_param(buf *b, const char *name, const char *val)
{
    if (!val || !val[0])
        return;
    buf_putc(b, ' ');
    buf_puts(b, name);
    buf_putc(b, '=');
    put_param(b, val, strlen(val));
}

/* Appends a PARAM-NAME: PRINTUSASCII except '=', ' ', ']', '"', at most 32
 * bytes; others become '_'. */
static void put_param_name(buf *b, const char *k, size_t len)
{
    if (len > 32)
        len = 32;
    if (len == 0) {
        buf_putc(b, '_');
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        int ok = c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
        buf_putc(b, ok ? (char)c : '_');
    }
}

/* Room left for the frame's length: the message is written after it, its
 * length is then known and the gap closed (no second buffer per record). */
#define LEN_ROOM 20

void lenc_syslog(buf *b, const lrec *r, const lenc_syslog_opts *o)
{
    int sev = r->stream == LREC_STDERR ? 3 : 6;
    size_t frame = b->len;
    buf_reserve(b, LEN_ROOM + 64 + r->msg_len);
    b->len += LEN_ROOM;
    size_t start = b->len;

    char pri[8];
    int pv = o->facility * 8 + sev, pn = 0;
    pri[pn++] = '<';
    if (pv >= 100)
        pri[pn++] = (char)('0' + pv / 100);
    if (pv >= 10)
        pri[pn++] = (char)('0' + pv / 10 % 10);
    pri[pn++] = (char)('0' + pv % 10);
    memcpy(pri + pn, ">1 ", 3);
    buf_append(b, pri, (size_t)pn + 3);
    lenc_rfc3339(b, r->ts_ns, 6);
    buf_putc(b, ' ');
    put_hdr(b, r->host, 255);
    buf_putc(b, ' ');
    put_hdr(b, r->container_name && r->container_name[0] ? r->container_name : "berth", 48);
    buf_putc(b, ' ');
    put_hdr(b, r->container_id, 12);
    buf_putc(b, ' ');
    put_hdr(b, lenc_stream_name(r->stream), 32);
    buf_puts(b, " [");
    buf_puts(b, o->sd_id);
    sd_param(b, "container_id", r->container_id);
    sd_param(b, "container_name", r->container_name);
    sd_param(b, "image", r->image);
    sd_param(b, "image_id", r->image_id);
    sd_param(b, "stream", lenc_stream_name(r->stream));
    sd_param(b, "compose_project", r->compose_project);
    sd_param(b, "compose_service", r->compose_service);
    sd_param(b, "swarm_service", r->swarm_service);
    sd_param(b, "swarm_task", r->swarm_task);
    sd_param(b, "path", r->path);
    buf_putc(b, ']');
    if (r->nlabels) {
        const char *at = strchr(o->sd_id, '@');
        buf_puts(b, "[label");
        buf_puts(b, at ? at : "@32473");
        for (size_t i = 0; i < r->nlabels; i++) {
            buf_putc(b, ' ');
            put_param_name(b, r->labels[i].key, r->labels[i].key_len);
            buf_putc(b, '=');
            put_param(b, r->labels[i].val, r->labels[i].val_len);
        }
        buf_putc(b, ']');
    }
    buf_putc(b, ' ');
    if (o->bom)
        buf_append(b, "\xEF\xBB\xBF", 3);
    size_t mlen_in = r->msg_len;
    if (o->max_msg && mlen_in > o->max_msg) {
        /* cut before a character, not inside one */
        mlen_in = o->max_msg;
        while (mlen_in > 0 && ((unsigned char)r->msg[mlen_in] & 0xC0) == 0x80)
            mlen_in--;
    }
    lenc_utf8(b, r->msg, mlen_in);

    /* "LEN " in front of the message, then close the gap */
    size_t mlen = b->len - start;
    char num[LEN_ROOM];
    int nl = snprintf(num, sizeof(num), "%zu ", mlen);
    size_t at = start - (size_t)nl;
    memcpy(b->data + at, num, (size_t)nl);
    memmove(b->data + frame, b->data + at, b->len - at);
    b->len -= at - frame;
    b->data[b->len] = '\0';
}

/* ---- transport ------------------------------------------------------------- */

typedef struct syslog_out {
    conn *net;
    lenc_syslog_opts eo;
    char sd_id[64];
    buf out;
} syslog_out;

static const char *const syslog_keys[] = {
    "host",     "port", "timeout", "tls",         "ca", "tls_verify",
    "facility", "bom",  "sd_id",   "max_message", NULL,
};

static const char *const facilities[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
};

static int parse_facility(const char *v)
{
    for (int i = 0; i < 24; i++)
        if (strcmp(v, facilities[i]) == 0)
            return i;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v && !*end && n >= 0 && n <= 23)
        return (int)n;
    return -1;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', ' ', ']', '"'. */
static int sd_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"')
            return 0;
    }
    return 1;
}

static void syslog_destroy(void *state)
{
    syslog_out *o = state;
    if (!o)
        return;
    conn_free(o->net);
    buf_free(&o->out);
    free(o);
}

static int syslog_create(const lout_cfg *c, void **state, char *err, size_t errlen)
{
    int rc = lenc_opts_check(c, syslog_keys, err, errlen);
    if (rc < 0)
        return rc;
    int bom = 0;
    if (lenc_opt_bool(lenc_opt(c, "bom", "off"), &bom) < 0) {
        snprintf(err, errlen, "output %s: bom wants on or off", c->name);
        return -EINVAL;
    }
    int fac = parse_facility(lenc_opt(c, "facility", "daemon"));
    if (fac < 0) {
        snprintf(err, errlen, "output %s: facility: want a name (daemon, local0...) or 0-23",
                 c->name);
        return -EINVAL;
    }
    const char *sd = lenc_opt(c, "sd_id", "berth@32473");
    if (!sd_id_ok(sd)) {
        snprintf(err, errlen, "output %s: sd_id: 1-32 printable characters, no = ] \" or space",
                 c->name);
        return -EINVAL;
    }
    const char *mm = lenc_opt(c, "max_message", "65536");
    char *end;
    unsigned long long maxm = strtoull(mm, &end, 10);
    if (end == mm || *end || maxm > (64ull << 20)) {
        snprintf(err, errlen, "output %s: max_message: want a byte count (0: no limit)", c->name);
        return -EINVAL;
    }
    conn *net = NULL;
    rc = lout_conn_from_cfg(c, "514", "6514", &net, err, errlen);
    if (rc < 0)
        return rc;
    syslog_out *o = calloc(1, sizeof(*o));
    if (!o) {
        conn_free(net);
        return -ENOMEM;
    }
    o->net = net;
    o->eo.max_msg = (size_t)maxm;
    snprintf(o->sd_id, sizeof(o->sd_id), "%s", sd);
    o->eo.facility = fac;
    o->eo.bom = bom;
    o->eo.sd_id = o->sd_id;
    *state = o;
    return 0;
}

static int syslog_send(void *state, const lrec *recs, size_t n, uint8_t *st, char *err,
                       size_t errlen)
{
    syslog_out *o = state;
    buf_reset(&o->out);
    for (size_t i = 0; i < n; i++)
        lenc_syslog(&o->out, &recs[i], &o->eo);
    int rc = conn_ready(o->net, err, errlen);
    if (rc == 0)
        rc = conn_write(o->net, o->out.data, o->out.len, err, errlen);
    if (rc < 0)
        return rc;
    memset(st, LOUT_OK, n);
    return 0;
}

const lout_ops lout_syslog_ops = {
    .type = "syslog",
    .create = syslog_create,
    .send = syslog_send,
    .destroy = syslog_destroy,
};
