/*
 * sse: the Server-Sent Events hub behind /api/v1/stream.
 *
 * Producers publish whole frames ("data: {...}\n\n"); each frame is stored
 * once, reference-counted, and shared by every client. A client holds at
 * most two frames: the one being sent (with its offset) and the newest one
 * waiting. Publishing to a client whose waiting slot is full replaces that
 * frame (counted as dropped), so a slow client costs at most two frames of
 * memory and always receives the latest state next; frames are summaries,
 * not deltas, so a dropped frame loses nothing the next does not carry.
 *
 * Clients are httpd streams (net/httpd.h): when a client has nothing to
 * send its connection is suspended, so no MHD worker thread is held, and
 * sse_close_all() ends every stream at shutdown.
 *
 * Bound: at most max_clients streams; more get 503.
 * Threads: every function is thread-safe (one mutex).
 */
#ifndef BERTH_WEB_SSE_H
#define BERTH_WEB_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "net/httpd.h"

typedef struct sse_hub sse_hub;

sse_hub *sse_new(unsigned max_clients);
/* Call after the HTTP server stopped (no stream left). */
void sse_free(sse_hub *h);
unsigned sse_clients(sse_hub *h);
/* 1 when a frame is kept for the next client to connect. */
int sse_has_last(sse_hub *h);
/* Copies data[0..len) as the newest frame and wakes every client. */
void sse_publish(sse_hub *h, const char *data, size_t len);
/* Makes resp a stream for a new client (first sends the newest frame).
 * Returns 0, or -EBUSY at max_clients / -ESHUTDOWN after sse_close_all,
 * leaving resp untouched. */
int sse_attach(sse_hub *h, httpd_resp *resp);
/* Ends every stream (and refuses new ones). */
void sse_close_all(sse_hub *h);

typedef struct sse_stats {
    unsigned clients;
    uint64_t published, dropped, refused;
} sse_stats;
void sse_get_stats(sse_hub *h, sse_stats *s);

#endif
