/*
 * ring: compressed, time-bounded history of one container's samples.
 *
 * berth keeps the last few minutes of every container (default 10 min at 1 s)
 * for dashboards and autoscaling and must stay small with 1,000 containers, so
 * history is stored the way Gorilla and Prometheus chunks store it rather than
 * as arrays of uint64:
 *
 *   - a record is a timestamp (ms) plus nfields uint64 values;
 *   - records live in fixed-size chunks of RING_CHUNK_BYTES (header included);
 *   - inside a chunk the timestamp is stored as the zigzag varint of its
 *     delta-of-delta, then a varint mask of the fields that changed, then
 *     each changed value as the zigzag varint of its delta from the previous
 *     record; the first record of a chunk is stored whole, against zero and
 *     without a mask, so every chunk decodes on its own;
 *   - the writer keeps appending to the newest chunk while the next record
 *     fits and starts a new chunk when it does not (or when the newest chunk
 *     is wholly outside the window after a gap in sampling);
 *   - a chunk is dropped once every record in it is outside the window
 *     (its newest ts <= newest_ts - window_ms) and a newer chunk exists; this
 *     holds at the latest when the chunk after it starts before
 *     newest_ts - window_ms.
 *
 * A steady series (idle container, counters that do not move, 1 s period)
 * costs two bytes per sample (timestamp and an empty mask). Deltas are
 * taken modulo 2^64 and zigzag-encoded, so counter resets, values going down
 * and UINT64_MAX all round-trip exactly.
 *
 * Window: the ring always holds every record with ts > newest_ts - window_ms,
 * plus at most one chunk's worth of older records (chunk granularity).
 *
 * Bounds: ring_bound() gives the worst case (incompressible values, every
 * varint at its 10-byte maximum); ring_bytes() the current heap use. For 10
 * fields over 600 samples: idle container ~2 KB, busy one (CPU, memory,
 * network all moving, ms jitter) ~17 KB, worst case ring_bound(10, 601)
 * ~82 KB; glibc adds 16 bytes per 512-byte chunk.
 *
 * Threads: a ring is not synchronised. The owner (the metrics store) must
 * serialise ring_push() against everything else; ring_foreach(),
 * ring_count() and ring_bytes() may run concurrently with each other.
 */
#ifndef BERTH_RING_H
#define BERTH_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_MAX_FIELDS  16
#define RING_CHUNK_BYTES 512 /* one malloc per chunk, header included */

typedef struct ring ring;

/* Returns NULL if nfields > RING_MAX_FIELDS, window_ms < 0, or out of memory.
 * nfields == 0 is allowed (timestamps only). */
ring *ring_new(unsigned nfields, int64_t window_ms);
void ring_free(ring *r);

/* Appends one record; vals points to nfields values (copied).
 * Timestamps must increase: a ts equal to or older than the last one is
 * ignored. If a new chunk is needed and malloc fails the sample is dropped
 * (the history has a gap); nothing else changes. */
void ring_push(ring *r, int64_t ts_ms, const uint64_t *vals);

/* Records currently held (includes the up-to-one-chunk tail older than the
 * window). */
size_t ring_count(const ring *r);

/* Heap bytes owned (ring header plus chunks, as requested from malloc), for
 * self-metrics and the documented bound. */
size_t ring_bytes(const ring *r);

/* Calls cb for every record with from_ms <= ts <= to_ms, oldest first; stops
 * early when cb returns nonzero. vals is borrowed: valid only during the call.
 * cb must not push to the same ring. */
typedef int (*ring_cb)(int64_t ts_ms, const uint64_t *vals, void *arg);
void ring_foreach(const ring *r, int64_t from_ms, int64_t to_ms, ring_cb cb, void *arg);

/* Worst-case ring_bytes() for a ring with nfields fields whose window never
 * holds more than n_samples records (e.g. window_ms / period_ms, plus one if
 * sampling jitters), whatever the values. For docs and config validation. */
size_t ring_bound(unsigned nfields, size_t n_samples);

#endif
