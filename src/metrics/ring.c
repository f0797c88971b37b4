/*
 * ring: compressed per-container history. See ring.h for the format and the
 * window rule; this file only adds the invariants the code relies on.
 *
 * Invariants:
 *   - chunks form a singly linked list oldest -> head; timestamps strictly
 *     increase along the list and inside each chunk;
 *   - every chunk in the list holds at least one record (n >= 1), so
 *     first_ts/last_ts are always meaningful;
 *   - r->last_delta and r->prev[] describe the last record of the head chunk
 *     and are only read while head != NULL; r->last_ts is the newest ts ever
 *     accepted (it survives a dropped head, so ts never goes backwards);
 *   - a record never needs more than REC_MAX bytes, and REC_MAX <= CHUNK_DATA,
 *     so a fresh chunk always accepts a record;
 *   - all delta arithmetic is done on uint64_t (wrapping, defined), so any
 *     pair of int64 timestamps or uint64 values round-trips.
 */
#include "metrics/ring.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next;
    int64_t first_ts, last_ts;
    uint16_t used; /* bytes of data[] in use */
    uint16_t n;    /* records */
    uint8_t data[];
};

#define CHUNK_DATA (RING_CHUNK_BYTES - offsetof(struct chunk, data))
#define VARINT_MAX 10 /* ceil(64 / 7) */
/* ts + every field + the changed-fields mask (<= 16 bits: 3 varint bytes) */
#define REC_MAX(nf) ((size_t)VARINT_MAX * ((size_t)(nf) + 1) + 3)

_Static_assert(REC_MAX(RING_MAX_FIELDS) <= CHUNK_DATA, "a chunk must hold a worst-case record");
_Static_assert(CHUNK_DATA <= UINT16_MAX, "chunk offsets are uint16_t");

struct ring {
    unsigned nfields;
    int64_t window_ms;
    struct chunk *oldest, *head;
    size_t count, nchunks;
    /* writer state: the last record of the head chunk */
    int any; /* a record was ever accepted: last_ts is valid */
    int64_t last_ts;
    uint64_t last_delta;
    uint64_t prev[RING_MAX_FIELDS];
};

static uint64_t zz_enc(uint64_t d)
{
    /* zigzag of the two's-complement reading of d: 0,-1,1,-2 -> 0,1,2,3 */
    return (d << 1) ^ (0 - (d >> 63));
}

static uint64_t zz_dec(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

static int64_t u2i(uint64_t u)
{
    /* two's-complement reinterpretation without implementation-defined casts */
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads one varint from p[*off..end); returns -1 on truncated/overlong input. */
static int varint_get(const uint8_t *p, size_t end, size_t *off, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *off < end; shift += 7) {
        uint8_t b = p[(*off)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Encodes (ts, vals) into out: against zero if fresh, else against the writer
 * state. Returns the length and the timestamp delta to commit. */
static size_t rec_encode(const ring *r, int fresh, int64_t ts, const uint64_t *vals, uint8_t *out,
                         uint64_t *delta_out)
{
    size_t n = 0;
    if (fresh) {
        *delta_out = 0;
        n += varint_put(out + n, zz_enc((uint64_t)ts));
        for (unsigned i = 0; i < r->nfields; i++)
            n += varint_put(out + n, zz_enc(vals[i]));
    } else {
        /* After the first record of a chunk: the timestamp's delta of delta,
         * a mask of the fields that changed, then only their deltas. An
         * idle container (nothing changed, steady interval) costs 2 bytes a
         * sample instead of one per field. */
        uint64_t delta = (uint64_t)ts - (uint64_t)r->last_ts;
        *delta_out = delta;
        n += varint_put(out + n, zz_enc(delta - r->last_delta));
        uint64_t mask = 0;
        for (unsigned i = 0; i < r->nfields; i++)
            if (vals[i] != r->prev[i])
                mask |= 1ull << i;
        n += varint_put(out + n, mask);
        for (unsigned i = 0; i < r->nfields; i++)
            if (mask & (1ull << i))
                n += varint_put(out + n, zz_enc(vals[i] - r->prev[i]));
    }
    return n;
}

/* Whether ts (<= newest) is outside the window ending at newest, i.e.
 * ts <= newest - window, computed without overflow for any int64 pair. */
static int outside(int64_t ts, int64_t newest, int64_t window)
{
    return (uint64_t)newest - (uint64_t)ts >= (uint64_t)window;
}

/*
 * Unlinks chunks whose records are all outside the window ending at newest,
 * oldest first.
 * The head is kept unless head_ok (the caller is about to start a new head).
 * The first dropped chunk is returned in *spare when spare is non-NULL (for
 * reuse as the new head, saving a free/malloc pair); the rest are freed.
 */
static void evict(ring *r, int64_t newest, int head_ok, struct chunk **spare)
{
    while (r->oldest && outside(r->oldest->last_ts, newest, r->window_ms) &&
           (head_ok || r->oldest != r->head)) {
        struct chunk *c = r->oldest;
        r->oldest = c->next;
        if (c == r->head)
            r->head = NULL;
        r->count -= c->n;
        r->nchunks--;
        if (spare && !*spare)
            *spare = c;
        else
            free(c);
    }
}

ring *ring_new(unsigned nfields, int64_t window_ms)
{
    if (nfields > RING_MAX_FIELDS || window_ms < 0)
        return NULL;
    ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->nfields = nfields;
    r->window_ms = window_ms;
    return r;
}

void ring_free(ring *r)
{
    if (!r)
        return;
    struct chunk *c = r->oldest;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(r);
}

/* Appends an encoded record to the head chunk. */
static void head_append(ring *r, int64_t ts, const uint8_t *rec, size_t len)
{
    struct chunk *h = r->head;
    memcpy(h->data + h->used, rec, len);
    h->used = (uint16_t)(h->used + len);
    h->n++;
    h->last_ts = ts;
    r->count++;
}

/* Links c as the new head holding one fresh record. */
static void head_start(ring *r, struct chunk *c, int64_t ts, const uint8_t *rec, size_t len)
{
    memcpy(c->data, rec, len);
    c->next = NULL;
    c->first_ts = c->last_ts = ts;
    c->used = (uint16_t)len;
    c->n = 1;
    if (r->head)
        r->head->next = c;
    else
        r->oldest = c;
    r->head = c;
    r->nchunks++;
    r->count++;
}

void ring_push(ring *r, int64_t ts_ms, const uint64_t *vals)
{
    uint8_t rec[REC_MAX(RING_MAX_FIELDS)];
    uint64_t delta = 0;
    size_t len = 0;
    int appended = 0;

    if (r->any && ts_ms <= r->last_ts)
        return;

    /* Append to the head unless it is full or wholly outside the window
     * (after a gap longer than the window the stale head is replaced, so the
     * ring never keeps data older than the window just because it shares a
     * chunk with the newest record). */
    if (r->head && !outside(r->head->last_ts, ts_ms, r->window_ms)) {
        len = rec_encode(r, 0, ts_ms, vals, rec, &delta);
        if (len <= CHUNK_DATA - r->head->used) {
            head_append(r, ts_ms, rec, len);
            appended = 1;
        }
    }

    if (!appended) {
        /* Evict first (the old head too, if it is now wholly outside the
         * window) so a dropped chunk's memory is reused for the new head. */
        struct chunk *c = NULL;
        evict(r, ts_ms, 1, &c);
        if (!c)
            c = malloc(RING_CHUNK_BYTES);
        if (!c)
            return; /* drop the sample; the ring stays consistent */
        len = rec_encode(r, 1, ts_ms, vals, rec, &delta);
        head_start(r, c, ts_ms, rec, len);
    }

    r->any = 1;
    r->last_ts = ts_ms;
    r->last_delta = delta;
    if (r->nfields)
        memcpy(r->prev, vals, r->nfields * sizeof(*vals));
    evict(r, ts_ms, 0, NULL);
}

size_t ring_count(const ring *r)
{
    return r->count;
}

size_t ring_bytes(const ring *r)
{
    return sizeof(*r) + r->nchunks * (size_t)RING_CHUNK_BYTES;
}

/* Decodes chunk c, calling cb for records in [from, to]. Returns 1 to stop
 * the whole iteration (cb asked, or past to), 0 to go on with the next. */
static int chunk_foreach(const ring *r, const struct chunk *c, int64_t from, int64_t to, ring_cb cb,
                         void *arg)
{
    uint64_t vals[RING_MAX_FIELDS] = {0};
    uint64_t ts = 0, delta = 0, z;
    size_t off = 0;

    for (unsigned k = 0; k < c->n; k++) {
        if (varint_get(c->data, c->used, &off, &z) < 0)
            return 0;          /* cannot happen for chunks we wrote; skip the rest */
        uint64_t mask = ~0ull; /* record 0 stores every field */
        if (k == 0) {
            ts = zz_dec(z);
        } else {
            delta += zz_dec(z);
            ts += delta;
            if (varint_get(c->data, c->used, &off, &mask) < 0)
                return 0;
        }
        for (unsigned i = 0; i < r->nfields; i++) {
            if (!(mask & (1ull << i)))
                continue;
            if (varint_get(c->data, c->used, &off, &z) < 0)
                return 0;
            vals[i] += zz_dec(z); /* record 0 adds to the zeroed array */
        }
        int64_t t = u2i(ts);
        if (t > to)
            return 1;
        if (t >= from && cb(t, vals, arg))
            return 1;
    }
    return 0;
}

void ring_foreach(const ring *r, int64_t from_ms, int64_t to_ms, ring_cb cb, void *arg)
{
    for (const struct chunk *c = r->oldest; c; c = c->next) {
        if (c->first_ts > to_ms)
            return;
        if (c->last_ts < from_ms)
            continue;
        if (chunk_foreach(r, c, from_ms, to_ms, cb, arg))
            return;
    }
}

size_t ring_bound(unsigned nfields, size_t n_samples)
{
    if (nfields > RING_MAX_FIELDS)
        nfields = RING_MAX_FIELDS;
    /*
     * A chunk is closed only when the next record (<= REC_MAX bytes) does not
     * fit, so it holds more than CHUNK_DATA - REC_MAX bytes of records of at
     * most REC_MAX bytes each: at least m = floor(CHUNK_DATA / REC_MAX).
     * After eviction the oldest chunk has >= 1 record in the window, the
     * chunks between it and the head are closed and wholly inside it, and
     * the head has >= 1: with k chunks, 2 + (k - 2) * m <= n_samples.
     */
    size_t m = CHUNK_DATA / REC_MAX(nfields);
    size_t chunks = n_samples < 2 ? 1 : (n_samples - 2) / m + 2;
    if (chunks > (SIZE_MAX - sizeof(struct ring)) / RING_CHUNK_BYTES)
        return SIZE_MAX;
    return sizeof(struct ring) + chunks * (size_t)RING_CHUNK_BYTES;
}
