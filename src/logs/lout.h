/*
 * lout: the one interface every log output implements (file, Elasticsearch,
 * Loki, GELF, syslog, Redis). A new output is one file, out_<type>.c, with a
 * const lout_ops and a line in lout_registry() (lout.c).
 *
 * Threading: each configured output has its own thread in the pipeline,
 * which is the only caller of its state's functions; an output may block
 * (connect, send, wait for the reply) up to its own timeout, never longer.
 *
 * Delivery contract (at least once): the pipeline hands send() a batch read
 * from that output's disk buffer and marks records done only as send()
 * reports them. Retries, backoff with jitter and the buffer's cursor are the
 * pipeline's job; an output only reports what happened to each record.
 */
#ifndef BERTH_LOUT_H
#define BERTH_LOUT_H

#include <stddef.h>
#include <stdint.h>

#include "logs/lrec.h"

#define LOUT_MAX_OPTS 32

/* One configured output: from a config line
 *   log_output NAME TYPE key=value key=value ...
 * e.g. "log_output es elasticsearch url=http://127.0.0.1:9200 index=logs-%Y.%m.%d".
 * Strings are owned by the config and outlive the output. */
typedef struct lout_cfg {
    char name[64];
    char type[32];
    size_t nopts;
    char key[LOUT_MAX_OPTS][64];
    char val[LOUT_MAX_OPTS][1024];
} lout_cfg;

/* Per-record result of a send. */
enum lout_status {
    LOUT_OK = 0,     /* acknowledged by the receiver: done */
    LOUT_RETRY = 1,  /* not delivered, transient (e.g. ES item 429/503): send again */
    LOUT_REJECT = 2, /* refused for good (e.g. ES mapping error 400): count, log, drop */
};

typedef struct lout_ops {
    const char *type; /* matches lout_cfg.type */
    /* Checks the options and builds the output's state; no network I/O.
     * Unknown or bad options are -EINVAL with err naming the option. */
    int (*create)(const lout_cfg *c, void **state, char *err, size_t errlen);
    /* Delivers recs[0..n). On return 0 every st[i] is set (enum lout_status).
     * A negative errno means nothing in the batch is known to be delivered
     * (connection refused, timeout, HTTP 5xx, garbage reply...): the pipeline
     * retries the whole batch with backoff; err says why. Must not keep any
     * pointer into recs after returning. */
    int (*send)(void *state, const lrec *recs, size_t n, uint8_t *st, char *err, size_t errlen);
    /* Releases the state and closes its connections. NULL is a no-op. */
    void (*destroy)(void *state);
} lout_ops;

/* The output of a type, or NULL when berth has none of that name. */
const lout_ops *lout_find(const char *type);

/* Looks up option key in c; NULL when not given. */
const char *lout_opt(const lout_cfg *c, const char *key);

/* ---- the options the network outputs share (lout_net.c) ---------------- */

typedef struct conn conn;
typedef struct httpc httpc;

/* conn_new from the options every TCP output shares: host (default
 * 127.0.0.1), port (default port, or tls_port with tls=on), tls,
 * tls_verify, ca, timeout (default 10s). -EINVAL with err naming the
 * option. */
int lout_conn_from_cfg(const lout_cfg *c, const char *port, const char *tls_port, conn **out,
                       char *err, size_t errlen);

/* The options every HTTP output shares, checked and applied in one place:
 * url (required, http:// or https://; trailing '/' dropped, then path is
 * appended into url_out), compress (gzip|none -> *gzip), tls_verify, ca,
 * user, password, timeout (default 30s). header: one extra header or NULL.
 * On success *out is a new httpc. -EINVAL with err naming the option. */
int lout_httpc_from_cfg(const lout_cfg *c, const char *path, const char *header, char *url_out,
                        size_t url_len, int *gzip, httpc **out, char *err, size_t errlen);

#endif
