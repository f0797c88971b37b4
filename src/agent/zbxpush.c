/*
 * zbxpush: the active-mode thread. See zbxpush.h for what is sent and
 * the policy; this file notes how the loop keeps it.
 *
 * The thread alternates between two deadlines on CLOCK_MONOTONIC:
 *   next_collect  fixed-rate: a batch is collected and queued every
 *                 interval, whatever the server does;
 *   retry_at      when the head of the queue may be sent again (now, or
 *                 after a backoff following a failed exchange).
 * It sleeps in poll() on an eventfd until the earlier one; zbxpush_stop
 * writes the eventfd, which also interrupts an exchange (the eventfd is the
 * connection's cancel descriptor: every wait of an exchange polls the
 * socket and the eventfd together).
 *
 * Invariants: the queue q[qhead .. qhead+qlen) (mod ZBXPUSH_QUEUE_MAX)
 * holds unfinished batches (framed at send time) oldest first, qbytes their frame sizes summed;
 * only the thread touches the queue; counters are read by other threads
 * under a->lock.
 */
#include "agent/zbxpush.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "export/prom_zabbix.h"
#include "net/conn.h"
#include "util/clock.h"
#include "util/log.h"

#define MOD            "zabbix-active"
#define DEF_INTERVAL   60000
#define DEF_TIMEOUT    10000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000

struct zbxpush {
    zbxitems_src src;
    char server[256]; /* as configured, for log lines */
    char node[256];   /* host part */
    char service[8];  /* port */
    char host[256];   /* Zabbix host name */
    char *items;
    int64_t interval_ms;
    int timeout_ms;
    int wake;   /* eventfd */
    conn *conn; /* to node:service; one connection per exchange */
    pthread_t thread;
    int started;

    zbx_sbatch q[ZBXPUSH_QUEUE_MAX];
    size_t qhead, qlen, qbytes;

    pthread_mutex_t lock; /* guards st */
    zbx_active_stats st;
    int warned_down, warned_failed, warned_drop;
};

/* ---- time ------------------------------------------------------------------ */

/* Zabbix's clock and ns fields: the wall time split (util/clock.h). */
static void wall(int64_t *clock, long *ns)
{
    int64_t t = clock_wall_ns();
    *clock = t / 1000000000;
    *ns = (long)(t % 1000000000);
}

/* ---- the queue -------------------------------------------------------------- */

static void drop_oldest(zbxpush *a)
{
    zbx_sbatch *b = &a->q[a->qhead];
    pthread_mutex_lock(&a->lock);
    a->st.batches_dropped++;
    a->st.values_dropped += b->nvalues;
    pthread_mutex_unlock(&a->lock);
    if (!a->warned_drop) {
        log_warn(MOD,
                 "queue full (%u batches or %u MiB): dropping the oldest batch (%zu values); "
                 "counted in berth_zabbix_active_values_dropped_total",
                 ZBXPUSH_QUEUE_MAX, ZBXPUSH_QUEUE_BYTES >> 20, b->nvalues);
        a->warned_drop = 1;
    }
    a->qbytes -= b->frame.len;
    zbx_sbatch_free(b);
    a->qhead = (a->qhead + 1) % ZBXPUSH_QUEUE_MAX;
    a->qlen--;
}

/* Takes ownership of a finished batch. */
static void enqueue(zbx_sbatch *b, void *arg)
{
    zbxpush *a = arg;
    while (a->qlen > 0 &&
           (a->qlen == ZBXPUSH_QUEUE_MAX || a->qbytes + b->frame.len > ZBXPUSH_QUEUE_BYTES))
        drop_oldest(a);
    a->q[(a->qhead + a->qlen) % ZBXPUSH_QUEUE_MAX] = *b;
    a->qlen++;
    a->qbytes += b->frame.len;
    memset(b, 0, sizeof(*b));
}

static void dequeue(zbxpush *a)
{
    a->qbytes -= a->q[a->qhead].frame.len;
    zbx_sbatch_free(&a->q[a->qhead]);
    a->qhead = (a->qhead + 1) % ZBXPUSH_QUEUE_MAX;
    a->qlen--;
}

/* ---- the loop ------------------------------------------------------------ */

/* Sends the head of the queue once. Returns 0 when it left the queue
 * (accepted or refused), a negative errno when it should be retried. */
static int send_head(zbxpush *a)
{
    zbx_sbatch *b = &a->q[a->qhead];
    zbx_sender_reply r;
    char err[256] = "";
    int64_t t0 = clock_mono_ms(), clock;
    long ns;
    /* the top-level clock is the send time: the server uses it to correct
     * the values' clocks for the skew between the two hosts, so a batch
     * that waited in the queue keeps its values' real times */
    buf frame = BUF_INIT;
    wall(&clock, &ns);
    zbx_sbatch_frame(b, clock, ns, &frame);
    int rc = zbx_active_exchange(a->conn, a->server, a->timeout_ms, &frame, &r, err, sizeof(err));
    buf_free(&frame);
    double dt = (double)(clock_mono_ms() - t0) / 1000.0;
    if (rc == -ECANCELED)
        return rc;
    pthread_mutex_lock(&a->lock);
    if (rc < 0) {
        a->st.up = 0;
        a->st.send_errors++;
    } else {
        a->st.up = 1;
        a->st.last_exchange_s = dt;
        if (r.success) {
            a->st.batches_sent++;
            a->st.values_sent += b->nvalues;
            a->st.values_processed += r.processed;
            a->st.values_failed += r.failed;
        } else {
            a->st.batches_rejected++;
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (rc < 0) {
        if (!a->warned_down)
            log_warn(MOD, "%s; keeping %zu batch(es) and retrying with backoff", err, a->qlen);
        else
            log_debug(MOD, "%s", err);
        a->warned_down = 1;
        return rc;
    }
    if (a->warned_down)
        log_info(MOD, "%s answers again", a->server);
    a->warned_down = 0;
    a->warned_drop = 0;
    if (!r.success) {
        log_warn(MOD, "%s refused a batch of %zu values: response \"%s\", info \"%s\"", a->server,
                 b->nvalues, r.response, r.info);
    } else if (r.has_counts && r.failed > 0) {
        if (!a->warned_failed)
            log_warn(MOD,
                     "%s: %s (host \"%s\"): values fail when the host or its trapper items do "
                     "not exist in Zabbix (templates/zabbix/berth_template_trapper.yaml)",
                     a->server, r.info, a->host);
        a->warned_failed = 1;
    } else {
        a->warned_failed = 0;
    }
    log_debug(MOD, "sent %zu values to %s in %.3fs: %s", b->nvalues, a->server, dt, r.info);
    dequeue(a);
    return 0;
}

static void *loop(void *arg)
{
    zbxpush *a = arg;
    /* the first batch after one interval: by then the collector and the
     * services thread have filled the store */
    int64_t next_collect = clock_mono_ms() + a->interval_ms, retry_at = 0, backoff = BACKOFF_MIN_MS;
    int64_t backoff_max = a->interval_ms < BACKOFF_MAX_MS ? a->interval_ms : BACKOFF_MAX_MS;
    if (backoff_max < BACKOFF_MIN_MS)
        backoff_max = BACKOFF_MIN_MS;
    for (;;) {
        int64_t now = clock_mono_ms();
        if (now >= next_collect) {
            int64_t clock;
            long ns;
            wall(&clock, &ns);
            zbx_sbatch b;
            zbx_sbatch_init(&b);
            zbxitems_collect(&a->src, a->host, a->items, clock, ns, &b, enqueue, a);
            if (b.nvalues > 0)
                enqueue(&b, a);
            zbx_sbatch_free(&b);
            next_collect += a->interval_ms;
            if (next_collect <= now) /* fell behind (suspend, slow pass): skip, do not burst */
                next_collect = now + a->interval_ms;
        }
        while (a->qlen > 0 && clock_mono_ms() >= retry_at) {
            int rc = send_head(a);
            if (rc == -ECANCELED)
                goto out;
            if (rc < 0) {
                retry_at = clock_mono_ms() + backoff;
                backoff = backoff * 2 < backoff_max ? backoff * 2 : backoff_max;
                break;
            }
            backoff = BACKOFF_MIN_MS;
            retry_at = 0;
        }
        pthread_mutex_lock(&a->lock);
        a->st.queue_batches = a->qlen;
        pthread_mutex_unlock(&a->lock);
        now = clock_mono_ms();
        int64_t until = next_collect;
        if (a->qlen > 0 && retry_at < until)
            until = retry_at;
        int timeout = until <= now ? 0 : (int)(until - now);
        struct pollfd p = {a->wake, POLLIN, 0};
        int n = poll(&p, 1, timeout);
        if (n > 0)
            goto out;
    }
out:
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------- */

static void free_push(zbxpush *a)
{
    if (!a)
        return;
    while (a->qlen > 0)
        dequeue(a);
    conn_free(a->conn);
    if (a->wake >= 0)
        close(a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a->items);
    free(a);
}

int zbxpush_start(const zbxitems_src *src, const zbxpush_opts *o, zbxpush **out, char *err,
                  size_t errlen)
{
    int rc = 0;
    *out = NULL;
    zbxpush *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    a->wake = -1;
    pthread_mutex_init(&a->lock, NULL);
    if (src)
        a->src = *src;
    if (zbx_active_split_server(o->server, a->node, sizeof(a->node), a->service,
                                sizeof(a->service)) < 0) {
        snprintf(err, errlen, "zabbix_active: want HOST[:PORT] or [IPV6]:PORT, got '%s'",
                 o->server);
        rc = -EINVAL;
        goto fail;
    }
    snprintf(a->server, sizeof(a->server), "%s", o->server);
    if (*o->host)
        snprintf(a->host, sizeof(a->host), "%s", o->host);
    else if (gethostname(a->host, sizeof(a->host) - 1) != 0)
        snprintf(a->host, sizeof(a->host), "localhost");
    a->items = strdup(strcmp(o->items, "*") ? o->items : "");
    a->interval_ms = o->interval_ms > 0 ? o->interval_ms : DEF_INTERVAL;
    a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEF_TIMEOUT;
    a->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!a->items || a->wake < 0) {
        rc = -errno;
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    conn_opts co = {.host = a->node, .port = a->service, .timeout_ms = a->timeout_ms};
    if ((rc = conn_new(&co, &a->conn, err, errlen)) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    conn_set_cancel(a->conn, a->wake);
    int pe = pthread_create(&a->thread, NULL, loop, a);
    if (pe != 0) {
        rc = -pe;
        snprintf(err, errlen, "cannot start the Zabbix active thread: %s", strerror(pe));
        goto fail;
    }
    a->started = 1;
    pthread_setname_np(a->thread, "zbx-active"); /* for top -H and the benchmark */
    *out = a;
    return 0;
fail:
    free_push(a);
    return rc;
}

void zbxpush_stop(zbxpush *a)
{
    if (!a)
        return;
    if (a->started) {
        uint64_t one = 1;
        while (write(a->wake, &one, sizeof(one)) < 0 && errno == EINTR)
            ;
        pthread_join(a->thread, NULL);
    }
    free_push(a);
}

void zbxpush_get_stats(zbxpush *a, zbx_active_stats *st)
{
    pthread_mutex_lock(&a->lock);
    *st = a->st;
    pthread_mutex_unlock(&a->lock);
}

void zbxpush_render_prom(zbxpush *a, buf *out)
{
    zbx_active_stats s;
    zbxpush_get_stats(a, &s);
    prom_zabbix_render(&s, out);
}
