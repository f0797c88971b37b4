/*
 * sse: Server-Sent Events hub. See sse.h for the model; this file keeps
 * the invariants:
 *   - every frame pointer held by the hub or a client owns one reference;
 *     refs change only under h->lock;
 *   - a client is in h->clients from attach until its stream closes; wakes
 *     go only to clients whose stream is open (s != NULL), under h->lock,
 *     so the httpd_stream handle is always live when woken.
 */
#include "web/sse.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct frame {
    unsigned refs;
    size_t len;
    char data[];
} frame;

typedef struct client {
    sse_hub *h;
    httpd_stream *s; /* set by open, cleared by close */
    frame *cur;      /* being sent */
    size_t off;
    frame *next; /* newest waiting */
    int hello;   /* the "retry:" preamble is still to send */
    struct client *prev, *nxt;
} client;

struct sse_hub {
    pthread_mutex_t lock;
    client *clients;
    unsigned n, max;
    int closing;
    frame *last;
    uint64_t published, dropped, refused;
};

static const char hello[] = "retry: 2000\n\n";

static void frame_unref(frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

sse_hub *sse_new(unsigned max_clients)
{
    sse_hub *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->max = max_clients ? max_clients : 16;
    return h;
}

void sse_free(sse_hub *h)
{
    if (!h)
        return;
    /* the server is stopped: every stream has closed and unlinked itself */
    frame_unref(h->last);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

unsigned sse_clients(sse_hub *h)
{
    pthread_mutex_lock(&h->lock);
    unsigned n = h->n;
    pthread_mutex_unlock(&h->lock);
    return n;
}

int sse_has_last(sse_hub *h)
{
    pthread_mutex_lock(&h->lock);
    int r = h->last != NULL;
    pthread_mutex_unlock(&h->lock);
    return r;
}

void sse_publish(sse_hub *h, const char *data, size_t len)
{
    frame *f = malloc(sizeof(*f) + len);
    if (!f)
        return; /* clients keep the previous state; the next frame retries */
    f->refs = 1;
    f->len = len;
    memcpy(f->data, data, len);
    pthread_mutex_lock(&h->lock);
    frame_unref(h->last);
    h->last = f;
    h->published++;
    for (client *c = h->clients; c; c = c->nxt) {
        if (c->next) {
            frame_unref(c->next);
            h->dropped++;
        }
        f->refs++;
        c->next = f;
        if (c->s)
            httpd_stream_wake(c->s);
    }
    pthread_mutex_unlock(&h->lock);
}

static void c_open(void *arg, httpd_stream *s)
{
    client *c = arg;
    pthread_mutex_lock(&c->h->lock);
    c->s = s;
    pthread_mutex_unlock(&c->h->lock);
}

static long c_read(void *arg, char *out, size_t max)
{
    client *c = arg;
    sse_hub *h = c->h;
    long n = 0;
    pthread_mutex_lock(&h->lock);
    if (h->closing) {
        n = -1;
        goto out;
    }
    if (c->hello) {
        size_t l = sizeof(hello) - 1;
        if (max < l)
            goto out;
        memcpy(out, hello, l);
        c->hello = 0;
        n = (long)l;
        goto out;
    }
    if (!c->cur && c->next) {
        c->cur = c->next;
        c->next = NULL;
        c->off = 0;
    }
    if (!c->cur)
        goto out;
    size_t k = c->cur->len - c->off;
    if (k > max)
        k = max;
    memcpy(out, c->cur->data + c->off, k);
    c->off += k;
    n = (long)k;
    if (c->off == c->cur->len) {
        frame_unref(c->cur);
        c->cur = NULL;
    }
out:
    pthread_mutex_unlock(&h->lock);
    return n;
}

static void c_close(void *arg)
{
    client *c = arg;
    sse_hub *h = c->h;
    pthread_mutex_lock(&h->lock);
    if (c->prev)
        c->prev->nxt = c->nxt;
    else
        h->clients = c->nxt;
    if (c->nxt)
        c->nxt->prev = c->prev;
    h->n--;
    frame_unref(c->cur);
    frame_unref(c->next);
    if (h->n == 0) {
        /* nobody watches: the next client must not start from a stale frame */
        frame_unref(h->last);
        h->last = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    free(c);
}

static const httpd_stream_ops client_ops = {c_open, c_read, c_close};

int sse_attach(sse_hub *h, httpd_resp *resp)
{
    client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->h = h;
    c->hello = 1;
    pthread_mutex_lock(&h->lock);
    int rc = h->closing ? -ESHUTDOWN : h->n >= h->max ? -EBUSY : 0;
    if (rc < 0) {
        if (rc == -EBUSY)
            h->refused++;
        pthread_mutex_unlock(&h->lock);
        free(c);
        return rc;
    }
    if (h->last) {
        h->last->refs++;
        c->next = h->last;
    }
    c->nxt = h->clients;
    if (c->nxt)
        c->nxt->prev = c;
    h->clients = c;
    h->n++;
    pthread_mutex_unlock(&h->lock);
    resp->stream = &client_ops;
    resp->stream_arg = c;
    return 0;
}

void sse_close_all(sse_hub *h)
{
    pthread_mutex_lock(&h->lock);
    h->closing = 1;
    for (client *c = h->clients; c; c = c->nxt)
        if (c->s)
            httpd_stream_wake(c->s);
    pthread_mutex_unlock(&h->lock);
}

void sse_get_stats(sse_hub *h, sse_stats *s)
{
    pthread_mutex_lock(&h->lock);
    s->clients = h->n;
    s->published = h->published;
    s->dropped = h->dropped;
    s->refused = h->refused;
    pthread_mutex_unlock(&h->lock);
}
