/*
 * zbxactive: the active-mode thread. See zbxactive.h for what is sent and
 * the policy; this file notes how the loop keeps it.
 *
 * The thread alternates between two deadlines on CLOCK_MONOTONIC:
 *   next_collect  fixed-rate: a batch is collected and queued every
 *                 interval, whatever the server does;
 *   retry_at      when the head of the queue may be sent again (now, or
 *                 after a backoff following a failed exchange).
 * It sleeps in poll() on an eventfd until the earlier one; zbxactive_stop
 * writes the eventfd, which also interrupts an exchange (every wait of an
 * exchange polls the socket and the eventfd together).
 *
 * Invariants: the queue q[qhead .. qhead+qlen) (mod ZBXACTIVE_QUEUE_MAX)
 * holds unfinished batches (framed at send time) oldest first, qbytes their frame sizes summed;
 * only the thread touches the queue; counters are read by other threads
 * under a->lock.
 */
#include "core/zbxactive.h"
#include "util/clock.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/zbxitems.h"
#include "export/export.h"
#include "metrics/store.h"
#include "util/log.h"
#include "zabbix/zbx.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

#define MOD            "zabbix-active"
#define DEF_INTERVAL   60000
#define DEF_TIMEOUT    10000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000

struct zbxactive {
    engine *e;
    char server[256]; /* as configured, for log lines */
    char node[256];   /* host part */
    char service[8];  /* port */
    char host[256];   /* Zabbix host name */
    char *items;
    int64_t interval_ms;
    int timeout_ms;
    int wake; /* eventfd */
    pthread_t thread;
    int started;

    zbx_sbatch q[ZBXACTIVE_QUEUE_MAX];
    size_t qhead, qlen, qbytes;

    pthread_mutex_t lock; /* guards st */
    zbxactive_stats st;
    int warned_down, warned_failed, warned_drop;
};

/* ---- item selection and collection -------------------------------------- */

int zbxactive_selected(const char *items, const char *name)
{
    if (!items || !*items)
        return 1;
    size_t nl = strlen(name);
    for (const char *p = items; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > p && e[-1] == ' ')
            e--;
        size_t len = (size_t)(e - p);
        if (len > 0 && p[len - 1] == '*') {
            if (nl >= len - 1 && strncmp(name, p, len - 1) == 0)
                return 1;
        } else if (len > 0 && len == nl && strncmp(name, p, len) == 0) {
            return 1;
        }
        p = end;
    }
    return 0;
}

typedef struct collector {
    zbx_sbatch *b;
    const char *host;
    size_t hostlen;
    int64_t clock;
    long ns;
    size_t n;
    void (*full)(zbx_sbatch *b, void *arg);
    void *arg;
} collector;

static void put(collector *c, const char *key, size_t keylen, const char *val, size_t vlen)
{
    if (zbx_sbatch_add(c->b, c->host, c->hostlen, key, keylen, val, vlen, c->clock, c->ns) ==
        -E2BIG) {
        c->full(c->b, c->arg);
        zbx_sbatch_init(c->b);
        if (zbx_sbatch_add(c->b, c->host, c->hostlen, key, keylen, val, vlen, c->clock, c->ns) < 0)
            return; /* one value larger than a frame: cannot be sent */
    }
    c->n++;
}

size_t zbxactive_collect(engine *e, const char *host, const char *items, int64_t clock, long ns,
                         zbx_sbatch *b, void (*full)(zbx_sbatch *b, void *arg), void *arg)
{
    collector c = {b, host, strlen(host), clock, ns, 0, full, arg};
    buf key = BUF_INIT, val = BUF_INIT;

    if (zbxactive_selected(items, "agent.ping"))
        put(&c, "agent.ping", 10, "1", 1);
    if (zbxactive_selected(items, "agent.version"))
        put(&c, "agent.version", 13, BERTH_VERSION, strlen(BERTH_VERSION));

    /* discovery (and the host's image layers): answered by zbxitems_get,
     * which takes the lock itself */
    static const char *const lld[] = {"berth.containers.discovery", "berth.services.discovery",
                                      "berth.volumes.discovery", "berth.disk.images"};
    zbx_key *k = calloc(1, sizeof(*k)); /* 33 KiB: not on this thread's stack */
    for (size_t i = 0; k && i < sizeof(lld) / sizeof(lld[0]); i++) {
        if (!zbxactive_selected(items, lld[i]))
            continue;
        snprintf(k->name, sizeof(k->name), "%s", lld[i]);
        k->nparams = 0;
        buf_reset(&val);
        if (zbxitems_get(k, &val, e) == 0)
            put(&c, lld[i], strlen(lld[i]), val.data ? val.data : "", val.len);
    }
    free(k);

    store *st = engine_store(e);
    st_lock(st);
    size_t live = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!en->cgpath[0] || en->collects == 0)
            continue;
        live++;
        const char *name = st_name(en);
        for (size_t j = 0; zbxitems_container_items[j]; j++) {
            const char *item = zbxitems_container_items[j];
            buf_reset(&key);
            buf_append(&key, "berth.container.", 16);
            buf_puts(&key, item);
            if (!zbxactive_selected(items, key.data))
                continue;
            buf_reset(&val);
            if (zbxitems_container_value(en, item, st->host.mem_total, &val) != 0)
                continue;
            buf_putc(&key, '[');
            zbx_key_param(&key, name);
            buf_putc(&key, ']');
            put(&c, key.data, key.len, val.data ? val.data : "", val.len);
        }
        for (size_t j = 0; zbxitems_disk_items[j]; j++) {
            buf_reset(&key);
            buf_puts(&key, "berth.container.disk.");
            buf_puts(&key, zbxitems_disk_items[j]);
            if (!zbxactive_selected(items, key.data))
                continue;
            buf_reset(&val);
            if (zbxitems_disk_value(e, en, zbxitems_disk_items[j], &val) != 0)
                continue;
            buf_putc(&key, '[');
            zbx_key_param(&key, name);
            buf_putc(&key, ']');
            put(&c, key.data, key.len, val.data ? val.data : "", val.len);
        }
        int want_up = zbxactive_selected(items, "berth.service.up");
        int want_lat = zbxactive_selected(items, "berth.service.latency");
        for (size_t s = 0; s < en->n_svcs && (want_up || want_lat); s++) {
            const st_service *sv = &en->svcs[s];
            /* one value per port and protocol, as the services LLD lists them:
             * the first entry answers, as berth.service.up does */
            int dup = 0;
            for (size_t t = 0; t < s && !dup; t++)
                dup = en->svcs[t].port == sv->port && en->svcs[t].proto == sv->proto;
            if (dup)
                continue;
            for (int which = 0; which < 2; which++) {
                if (!(which == 0 ? want_up : want_lat))
                    continue;
                buf_reset(&key);
                buf_puts(&key, which == 0 ? "berth.service.up[" : "berth.service.latency[");
                zbx_key_param(&key, name);
                buf_putc(&key, ',');
                buf_put_u64(&key, (unsigned)sv->port);
                buf_puts(&key, sv->proto == 2 ? ",udp]" : ",tcp]");
                buf_reset(&val);
                if (which == 0)
                    buf_putc(&val, !sv->probed || sv->up ? '1' : '0');
                else
                    buf_printf(&val, "%.6f", sv->latency_s);
                put(&c, key.data, key.len, val.data, val.len);
            }
        }
    }
    st_unlock(st);
    if (zbxactive_selected(items, "berth.containers.count")) {
        buf_reset(&val);
        buf_put_u64(&val, live);
        put(&c, "berth.containers.count", 22, val.data, val.len);
    }
    buf_free(&key);
    buf_free(&val);
    return c.n;
}

/* ---- time ------------------------------------------------------------------ */

static void wall(int64_t *clock, long *ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *clock = (int64_t)ts.tv_sec;
    *ns = ts.tv_nsec;
}

/* ---- the queue -------------------------------------------------------------- */

static void drop_oldest(zbxactive *a)
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
                 ZBXACTIVE_QUEUE_MAX, ZBXACTIVE_QUEUE_BYTES >> 20, b->nvalues);
        a->warned_drop = 1;
    }
    a->qbytes -= b->frame.len;
    zbx_sbatch_free(b);
    a->qhead = (a->qhead + 1) % ZBXACTIVE_QUEUE_MAX;
    a->qlen--;
}

/* Takes ownership of a finished batch. */
static void enqueue(zbx_sbatch *b, void *arg)
{
    zbxactive *a = arg;
    while (a->qlen > 0 &&
           (a->qlen == ZBXACTIVE_QUEUE_MAX || a->qbytes + b->frame.len > ZBXACTIVE_QUEUE_BYTES))
        drop_oldest(a);
    a->q[(a->qhead + a->qlen) % ZBXACTIVE_QUEUE_MAX] = *b;
    a->qlen++;
    a->qbytes += b->frame.len;
    memset(b, 0, sizeof(*b));
}

static void dequeue(zbxactive *a)
{
    a->qbytes -= a->q[a->qhead].frame.len;
    zbx_sbatch_free(&a->q[a->qhead]);
    a->qhead = (a->qhead + 1) % ZBXACTIVE_QUEUE_MAX;
    a->qlen--;
}

/* ---- one exchange ------------------------------------------------------------ */

/* Waits until fd is ready for events, the deadline passes (-ETIMEDOUT) or
 * stop is asked (-ECANCELED). */
static int wait_fd(zbxactive *a, int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p[2] = {{fd, events, 0}, {a->wake, POLLIN, 0}};
        int n = poll(p, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (p[1].revents)
            return -ECANCELED;
        if (p[0].revents)
            return 0;
    }
}

static int connect_to(zbxactive *a, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(a->node, a->service, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", a->node, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    int fd = -1, e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        e = errno;
        if (e == EINPROGRESS) {
            int w = wait_fd(a, fd, POLLOUT, deadline);
            socklen_t sl = sizeof(e);
            if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
                break;
            if (w < 0)
                e = -w;
        }
        close(fd);
        fd = -1;
        if (e == ECANCELED || e == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "connect to %s: %s", a->server, strerror(e));
        return -e;
    }
    return fd;
}

static int recv_full(zbxactive *a, int fd, buf *in, size_t want, int64_t deadline)
{
    buf_reserve(in, want - in->len);
    while (in->len < want) {
        ssize_t n = recv(fd, in->data + in->len, want - in->len, 0);
        if (n > 0) {
            in->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return -ECONNRESET;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int w = wait_fd(a, fd, POLLIN, deadline);
        if (w < 0)
            return w;
    }
    in->data[in->len] = '\0';
    return 0;
}

/* Sends the frame and reads the reply. Returns 0 with r filled, or a
 * negative errno with err filled. */
static int exchange(zbxactive *a, const buf *frame, zbx_sender_reply *r, char *err, size_t errlen)
{
    int64_t deadline = clock_mono_ms() + a->timeout_ms;
    buf in = BUF_INIT;
    int rc = connect_to(a, deadline, err, errlen);
    if (rc < 0)
        return rc;
    int fd = rc;
    rc = 0;
    for (size_t off = 0; off < frame->len;) {
        ssize_t n = send(fd, frame->data + off, frame->len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            rc = -errno;
            snprintf(err, errlen, "send to %s: %s", a->server, strerror(errno));
            goto out;
        }
        if ((rc = wait_fd(a, fd, POLLOUT, deadline)) < 0) {
            snprintf(err, errlen, "send to %s: %s", a->server, strerror(-rc));
            goto out;
        }
    }
    /* header: 13 bytes, or 21 with the large flag */
    zbx_header h;
    if ((rc = recv_full(a, fd, &in, ZBX_HDR_MIN, deadline)) < 0)
        goto io;
    rc = zbx_parse_header((const unsigned char *)in.data, in.len, &h);
    if (rc == -EAGAIN) {
        if ((rc = recv_full(a, fd, &in, ZBX_HDR_MAX, deadline)) < 0)
            goto io;
        rc = zbx_parse_header((const unsigned char *)in.data, in.len, &h);
    }
    if (rc < 0 || (h.flags & ZBX_FLAG_COMPRESSED) || h.datalen > ZBX_SENDER_MAX_REPLY) {
        snprintf(err, errlen, "bad reply header from %s%s", a->server,
                 rc == 0 && h.datalen > ZBX_SENDER_MAX_REPLY ? " (reply too large)"
                 : rc == 0                                   ? " (compressed)"
                                                             : "");
        rc = -EPROTO;
        goto out;
    }
    if ((rc = recv_full(a, fd, &in, h.hdrlen + (size_t)h.datalen, deadline)) < 0)
        goto io;
    if (zbx_sender_parse_reply(in.data + h.hdrlen, (size_t)h.datalen, r) < 0) {
        char tmp[80];
        size_t m = (size_t)h.datalen < sizeof(tmp) - 1 ? (size_t)h.datalen : sizeof(tmp) - 1;
        for (size_t i = 0; i < m; i++) {
            char ch = in.data[h.hdrlen + i];
            tmp[i] = ch >= 0x20 && ch < 0x7f ? ch : '?';
        }
        tmp[m] = '\0';
        snprintf(err, errlen, "reply from %s is not a sender response: \"%s\"", a->server, tmp);
        rc = -EPROTO;
    }
    goto out;
io:
    snprintf(err, errlen, "reply from %s: %s", a->server,
             rc == -ECONNRESET ? "connection closed before a full reply" : strerror(-rc));
out:
    close(fd);
    buf_free(&in);
    return rc;
}

/* ---- the loop ------------------------------------------------------------ */

/* Sends the head of the queue once. Returns 0 when it left the queue
 * (accepted or refused), a negative errno when it should be retried. */
static int send_head(zbxactive *a)
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
    int rc = exchange(a, &frame, &r, err, sizeof(err));
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
    zbxactive *a = arg;
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
            zbxactive_collect(a->e, a->host, a->items, clock, ns, &b, enqueue, a);
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

static void free_active(zbxactive *a)
{
    if (!a)
        return;
    while (a->qlen > 0)
        dequeue(a);
    if (a->wake >= 0)
        close(a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a->items);
    free(a);
}

/* Splits "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 literal. */
static int split_server(const char *s, char *node, size_t nodecap, char *svc, size_t svccap)
{
    const char *port = NULL;
    size_t nl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || (rb[1] && rb[1] != ':'))
            return -EINVAL;
        nl = (size_t)(rb - s - 1);
        s++;
        port = rb[1] == ':' ? rb + 2 : NULL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        nl = colon ? (size_t)(colon - s) : strlen(s);
        port = colon ? colon + 1 : NULL;
    }
    if (nl == 0 || nl >= nodecap)
        return -EINVAL;
    memcpy(node, s, nl);
    node[nl] = '\0';
    if (!port) {
        snprintf(svc, svccap, "%s", ZBXACTIVE_DEFAULT_PORT);
        return 0;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 1 || p > 65535)
        return -EINVAL;
    snprintf(svc, svccap, "%ld", p);
    return 0;
}

int zbxactive_start(engine *e, const zbxactive_opts *o, zbxactive **out, char *err, size_t errlen)
{
    int rc = 0;
    *out = NULL;
    zbxactive *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    a->wake = -1;
    pthread_mutex_init(&a->lock, NULL);
    a->e = e;
    if (!o->server ||
        split_server(o->server, a->node, sizeof(a->node), a->service, sizeof(a->service)) < 0) {
        snprintf(err, errlen, "zabbix_active: want HOST[:PORT] or [IPV6]:PORT, got '%s'",
                 o->server ? o->server : "");
        rc = -EINVAL;
        goto fail;
    }
    snprintf(a->server, sizeof(a->server), "%s", o->server);
    if (o->host && *o->host)
        snprintf(a->host, sizeof(a->host), "%s", o->host);
    else if (gethostname(a->host, sizeof(a->host) - 1) != 0)
        snprintf(a->host, sizeof(a->host), "localhost");
    a->items = strdup(o->items && strcmp(o->items, "*") ? o->items : "");
    a->interval_ms = o->interval_ms > 0 ? o->interval_ms : DEF_INTERVAL;
    a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEF_TIMEOUT;
    a->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!a->items || a->wake < 0) {
        rc = -errno;
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
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
    free_active(a);
    return rc;
}

void zbxactive_stop(zbxactive *a)
{
    if (!a)
        return;
    if (a->started) {
        uint64_t one = 1;
        while (write(a->wake, &one, sizeof(one)) < 0 && errno == EINTR)
            ;
        pthread_join(a->thread, NULL);
    }
    free_active(a);
}

void zbxactive_get_stats(zbxactive *a, zbxactive_stats *st)
{
    pthread_mutex_lock(&a->lock);
    *st = a->st;
    pthread_mutex_unlock(&a->lock);
}

void zbxactive_render_prom(zbxactive *a, buf *out)
{
    zbxactive_stats s;
    zbxactive_get_stats(a, &s);
    prom_scalar(out, "berth_zabbix_active_up", "gauge",
                "1 when the last exchange with the Zabbix server or proxy got a reply", s.up);
    prom_scalar(out, "berth_zabbix_active_batches_sent_total", "counter",
                "batches the server answered with success", (double)s.batches_sent);
    prom_scalar(out, "berth_zabbix_active_batches_rejected_total", "counter",
                "batches the server refused as a whole (response failed)",
                (double)s.batches_rejected);
    prom_scalar(out, "berth_zabbix_active_batches_dropped_total", "counter",
                "batches dropped from the full queue while the server was unreachable",
                (double)s.batches_dropped);
    prom_scalar(out, "berth_zabbix_active_values_sent_total", "counter",
                "values in batches the server answered with success", (double)s.values_sent);
    prom_scalar(out, "berth_zabbix_active_values_processed_total", "counter",
                "values the server reported processed", (double)s.values_processed);
    prom_scalar(out, "berth_zabbix_active_values_failed_total", "counter",
                "values the server reported failed (unknown host or item, not a trapper item)",
                (double)s.values_failed);
    prom_scalar(out, "berth_zabbix_active_values_dropped_total", "counter",
                "values in dropped batches", (double)s.values_dropped);
    prom_scalar(out, "berth_zabbix_active_send_errors_total", "counter",
                "exchanges that failed (connect, I/O, timeout, malformed reply); retried",
                (double)s.send_errors);
    prom_scalar(out, "berth_zabbix_active_queue_batches", "gauge", "batches waiting to be sent",
                (double)s.queue_batches);
    prom_scalar(out, "berth_zabbix_active_last_exchange_seconds", "gauge",
                "duration of the last successful exchange", s.last_exchange_s);
}
