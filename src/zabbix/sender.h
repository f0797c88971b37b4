/*
 * zbx sender: the pure half of berth's active mode, the Zabbix sender
 * (trapper) protocol that zabbix_sender speaks to a Zabbix server or proxy.
 * Encoding of a batch of values into one frame, and parsing of the server's
 * reply; no I/O, so both are unit-tested and fuzzed (fuzz/fuzz_zbx_sender.c).
 * The loop that sends batches is agent/zbxpush.c.
 *
 * One exchange per TCP connection, as zabbix_sender does it:
 *   request  "ZBXD" 0x01 | datalen (4 bytes LE) | 0 (4 bytes) | JSON
 *     {"request":"sender data",
 *      "data":[{"host":"H","key":"K","value":"V","clock":S,"ns":N},...],
 *      "clock":S,"ns":N}
 *     Each value carries its own clock/ns (when it was read), so a batch
 *     queued while the server was down keeps its real time; the top-level
 *     clock/ns is when the batch was sent, which the server uses to correct
 *     for clock skew between the two hosts. Values are always JSON strings
 *     (the server converts them to the item's type, as it does for
 *     zabbix_sender's).
 *   reply    "ZBXD" 0x01 | len | 0 | JSON
 *     {"response":"success","info":"processed: 2; failed: 0; total: 2;
 *      seconds spent: 0.000055"}
 *     "failed" instead of "success" when the server refused the request as
 *     a whole. A value is "failed" when its host or item does not exist on
 *     the server, is disabled, or is not of trapper type (or when the
 *     sender's address is not in the item's "Allowed hosts").
 *
 * Requests are never compressed (zabbix_sender does not compress either) and
 * never use the large-packet flag: a batch is capped at ZBX_SENDER_MAX_FRAME,
 * far below the 4 GiB the 4-byte length allows, and the server's own 1 GiB.
 */
#ifndef BERTH_ZBX_SENDER_H
#define BERTH_ZBX_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* A batch larger than this is cut: zbx_sbatch_add refuses further values
 * (-E2BIG) and the caller starts a new batch. 16 MiB is about 100,000
 * values; Zabbix servers take up to 1 GiB. */
#define ZBX_SENDER_MAX_FRAME (16u << 20)
/* Bytes of a reply berth reads; the real ones are about 100 bytes. */
#define ZBX_SENDER_MAX_REPLY (64u * 1024u)

/* A batch being built: one frame, header included. Initialise with
 * zbx_sbatch_init, fill with zbx_sbatch_add, close with zbx_sbatch_finish,
 * release with zbx_sbatch_free. The frame is owned by the batch. */
typedef struct zbx_sbatch {
    buf frame;      /* header (13 bytes, length filled by finish) + JSON */
    size_t nvalues; /* values added */
    int finished;   /* 1 after zbx_sbatch_finish: frame is ready to send */
} zbx_sbatch;

void zbx_sbatch_init(zbx_sbatch *b);
/*
 * Appends one value. host, key and value are UTF-8 text of the given
 * lengths (value may hold any bytes; control characters are escaped, and
 * NUL bytes and invalid UTF-8 sequences replaced by U+FFFD, since the
 * server drops a request that is not valid JSON and keeps values as C
 * strings). clock/ns: when the value was read
 * (CLOCK_REALTIME). Returns 0, -E2BIG when the value would take the frame
 * past ZBX_SENDER_MAX_FRAME (nothing is appended), or -EINVAL after finish.
 */
int zbx_sbatch_add(zbx_sbatch *b, const char *host, size_t hostlen, const char *key, size_t keylen,
                   const char *value, size_t valuelen, int64_t clock, long ns);
/* Closes the JSON with the send time and writes the header. Returns 0, or
 * -EINVAL when already finished. */
int zbx_sbatch_finish(zbx_sbatch *b, int64_t clock, long ns);
/* Writes the complete frame of an unfinished batch to out (appended),
 * stamped with the send time clock/ns, leaving b as it is: a batch that
 * waits in a queue is sent with the time it is sent at, which the server
 * compares with its own clock to correct the values' clocks for skew.
 * Returns 0, or -EINVAL when b is finished. */
int zbx_sbatch_frame(const zbx_sbatch *b, int64_t clock, long ns, buf *out);
void zbx_sbatch_free(zbx_sbatch *b);

/* Appends s as one item-key parameter: as is when it needs no quoting,
 * else in double quotes with '"' escaped as \" (Zabbix's key syntax: a
 * parameter with ',', ']', '"', a leading '[' or space, or a trailing
 * backslash... must be quoted). An empty s stays empty. */
void zbx_key_param(buf *out, const char *s);

/* The server's reply, parsed. */
typedef struct zbx_sender_reply {
    int success;          /* "response" was "success" */
    int has_counts;       /* the info line gave processed, failed and total */
    uint64_t processed;   /* values the server accepted */
    uint64_t failed;      /* values it refused (unknown host/item, wrong type) */
    uint64_t total;       /* values it saw */
    double seconds_spent; /* as reported, -1 if absent */
    char response[32];    /* "success", "failed" (printable ASCII, cut) */
    char info[256];       /* the info text (printable ASCII, cut), "" if none */
} zbx_sender_reply;

/*
 * Parses the reply body (the JSON after the header). Returns 0 when it is a
 * JSON object with a string "response" (the info line is parsed when
 * present; has_counts says whether it held the three counts), or -EINVAL.
 */
int zbx_sender_parse_reply(const char *body, size_t len, zbx_sender_reply *r);

/*
 * Parses an info line "processed: 2; failed: 0; total: 2; seconds spent:
 * 0.000055" (fields separated by ';', each "name: value", spaces around
 * either ignored, unknown names ignored, order free). Returns 0 when
 * processed, failed and total were all present as decimal integers, else
 * -EINVAL (the fields found are still filled).
 */
int zbx_sender_parse_info(const char *s, size_t len, zbx_sender_reply *r);

#endif
