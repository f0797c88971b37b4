/*
 * test_ring: the compressed history must give back exactly what was pushed
 * (any uint64, any increasing int64 timestamps), keep at least the window,
 * stay within ring_bound(), and cost about two bytes a sample when idle.
 * The property test replays random pushes against a plain array model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/ring.h"

/* splitmix64: fixed-seed, platform-independent randomness */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

typedef struct rec {
    int64_t ts;
    uint64_t v[RING_MAX_FIELDS];
} rec;

typedef struct collect {
    rec *recs;
    size_t n, cap;
    unsigned nfields;
    size_t stop_after; /* 0: never stop */
} collect;

static int collect_cb(int64_t ts, const uint64_t *vals, void *arg)
{
    collect *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
        assert_non_null(c->recs);
    }
    rec *r = &c->recs[c->n++];
    memset(r, 0, sizeof(*r));
    r->ts = ts;
    memcpy(r->v, vals, c->nfields * sizeof(*vals));
    return c->stop_after && c->n >= c->stop_after;
}

static void collect_all(const ring *r, unsigned nfields, int64_t from, int64_t to, collect *c)
{
    c->n = 0;
    c->nfields = nfields;
    ring_foreach(r, from, to, collect_cb, c);
}

/* Value generator mixing the shapes real counters and gauges take. */
static uint64_t next_value(uint64_t prev)
{
    switch (rnd_below(8)) {
    case 0:
        return rnd(); /* incompressible */
    case 1:
        return UINT64_MAX;
    case 2:
        return 0; /* counter reset */
    case 3:
        return prev - rnd_below(1000); /* going down, may wrap */
    case 4:
        return prev + rnd_below(1u << 20);
    default:
        return prev; /* idle */
    }
}

static void test_roundtrip_random(void **state)
{
    (void)state;
    rng_state = 42;
    enum { N = 5000, NF = RING_MAX_FIELDS };
    ring *r = ring_new(NF, INT64_MAX);
    assert_non_null(r);
    rec *model = calloc(N, sizeof(*model));
    assert_non_null(model);
    int64_t ts = -1000000;
    uint64_t prev[NF] = {0};
    for (size_t i = 0; i < N; i++) {
        ts += 1 + (int64_t)rnd_below(rnd_below(10) == 0 ? 1000000000 : 2000);
        model[i].ts = ts;
        for (unsigned f = 0; f < NF; f++)
            model[i].v[f] = prev[f] = next_value(prev[f]);
        ring_push(r, ts, model[i].v);
    }
    assert_int_equal(ring_count(r), N);
    collect c = {0};
    collect_all(r, NF, INT64_MIN, INT64_MAX, &c);
    assert_int_equal(c.n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(c.recs[i].ts, model[i].ts);
        assert_memory_equal(c.recs[i].v, model[i].v, sizeof(model[i].v));
    }
    free(c.recs);
    free(model);
    ring_free(r);
}

static void test_extremes(void **state)
{
    (void)state;
    ring *r = ring_new(3, INT64_MAX);
    assert_non_null(r);
    const int64_t ts[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    const uint64_t v[][3] = {
        {UINT64_MAX, 0, 1},          {0, UINT64_MAX, UINT64_MAX - 1}, {UINT64_MAX, UINT64_MAX, 0},
        {1ull << 63, 0, UINT64_MAX}, {(1ull << 63) - 1, 1, 2},        {0, 0, 0},
        {UINT64_MAX, 1ull << 63, 5},
    };
    size_t n = sizeof(ts) / sizeof(ts[0]);
    for (size_t i = 0; i < n; i++)
        ring_push(r, ts[i], v[i]);
    collect c = {0};
    collect_all(r, 3, INT64_MIN, INT64_MAX, &c);
    assert_int_equal(c.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(c.recs[i].ts == ts[i]);
        assert_memory_equal(c.recs[i].v, v[i], sizeof(v[i]));
    }
    free(c.recs);
    ring_free(r);
}

static void test_ignores_old_and_equal_ts(void **state)
{
    (void)state;
    ring *r = ring_new(1, 60000);
    assert_non_null(r);
    uint64_t v = 7;
    ring_push(r, 1000, &v);
    v = 8;
    ring_push(r, 1000, &v); /* equal: ignored */
    ring_push(r, 999, &v);  /* older: ignored */
    ring_push(r, 2000, &v);
    assert_int_equal(ring_count(r), 2);
    collect c = {0};
    collect_all(r, 1, INT64_MIN, INT64_MAX, &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.recs[0].v[0], 7);
    assert_int_equal(c.recs[1].ts, 2000);
    assert_int_equal(c.recs[1].v[0], 8);
    free(c.recs);
    ring_free(r);
}

static void test_window_eviction(void **state)
{
    (void)state;
    rng_state = 7;
    enum { WINDOW_S = 600, NF = 10 };
    ring *r = ring_new(NF, WINDOW_S * 1000);
    assert_non_null(r);
    uint64_t v[NF] = {0};
    const int64_t t0 = 1700000000000;
    size_t max_count = 0;
    for (int i = 0; i < 2 * WINDOW_S; i++) {
        for (unsigned f = 0; f < NF; f++)
            v[f] += rnd_below(100000);
        int64_t ts = t0 + i * 1000;
        ring_push(r, ts, v);
        size_t in_window = (size_t)(i + 1 < WINDOW_S ? i + 1 : WINDOW_S);
        assert_true(ring_count(r) >= in_window);
        assert_true(ring_bytes(r) <= ring_bound(NF, in_window));
        if (ring_count(r) > max_count)
            max_count = ring_count(r);
    }
    /* Never less than the window, never more than the window plus one
     * chunk (a record is at least NF + 1 bytes). */
    size_t per_chunk = RING_CHUNK_BYTES / (NF + 1);
    assert_true(ring_count(r) >= WINDOW_S);
    assert_true(max_count <= WINDOW_S + per_chunk);

    collect c = {0};
    collect_all(r, NF, INT64_MIN, INT64_MAX, &c);
    assert_int_equal(c.n, ring_count(r));
    int64_t newest = t0 + (2 * WINDOW_S - 1) * 1000;
    assert_true(c.recs[c.n - 1].ts == newest);
    assert_true(c.recs[0].ts <= newest - (WINDOW_S - 1) * 1000);

    /* A gap longer than the window leaves only the new record's chunk. */
    ring_push(r, newest + 10 * WINDOW_S * 1000, v);
    assert_int_equal(ring_count(r), 1);
    assert_int_equal(ring_bytes(r), ring_bound(NF, 1));
    free(c.recs);
    ring_free(r);
}

static void test_idle_series_is_small(void **state)
{
    (void)state;
    enum { N = 600, NF = 10 };
    ring *r = ring_new(NF, N * 1000);
    assert_non_null(r);
    uint64_t v[NF];
    for (unsigned f = 0; f < NF; f++)
        v[f] = 123456789012ull * (f + 1); /* large but constant */
    for (int i = 0; i < N; i++)
        ring_push(r, 1700000000000 + i * 1000, v);
    assert_int_equal(ring_count(r), N);
    size_t raw = (size_t)N * NF * 8;
    /* about 2 bytes per sample (timestamp, empty mask) plus per-chunk headers
     * and each chunk's first record stored whole */
    assert_true(ring_bytes(r) < raw / 16);
    print_message("idle 600x10: %zu bytes (raw %zu)\n", ring_bytes(r), raw);
    ring_free(r);
}

static void test_from_to_filter(void **state)
{
    (void)state;
    ring *r = ring_new(1, 1000000);
    assert_non_null(r);
    for (uint64_t i = 1; i <= 200; i++)
        ring_push(r, (int64_t)i * 1000, &i);
    collect c = {0};
    collect_all(r, 1, 3000, 6000, &c);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(c.recs[i].ts, (int64_t)(3000 + 1000 * i));
        assert_int_equal(c.recs[i].v[0], 3 + i);
    }
    collect_all(r, 1, 3500, 3600, &c);
    assert_int_equal(c.n, 0);
    collect_all(r, 1, 6000, 3000, &c); /* from > to */
    assert_int_equal(c.n, 0);
    collect_all(r, 1, 150500, INT64_MAX, &c);
    assert_int_equal(c.n, 50);
    assert_int_equal(c.recs[0].ts, 151000);
    collect_all(r, 1, INT64_MIN, 0, &c);
    assert_int_equal(c.n, 0);
    /* cb returning nonzero stops the walk */
    c.n = 0;
    c.stop_after = 3;
    ring_foreach(r, INT64_MIN, INT64_MAX, collect_cb, &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.recs[2].ts, 3000);
    free(c.recs);
    ring_free(r);
}

static void test_new_rejects_bad_args(void **state)
{
    (void)state;
    assert_null(ring_new(RING_MAX_FIELDS + 1, 1000));
    assert_null(ring_new(1, -1));
    ring *r = ring_new(0, 0); /* timestamps only, zero window */
    assert_non_null(r);
    for (int64_t t = 1; t <= 1000; t++)
        ring_push(r, t, NULL);
    /* zero window: only records at the newest ts are in it, so at most the
     * head chunk is kept */
    assert_true(ring_count(r) >= 1);
    assert_true(ring_bytes(r) <= ring_bound(0, 1));
    collect c = {0};
    collect_all(r, 0, 1000, 1000, &c);
    assert_int_equal(c.n, 1);
    free(c.recs);
    ring_free(r);
    ring_free(NULL);
}

/* Property test: random pushes and queries against an array of everything
 * pushed. The ring must always hold an exact suffix of the model that covers
 * the window, and stay within ring_bound() for the records in the window. */
static void test_property_vs_model(void **state)
{
    (void)state;
    rng_state = 0xb0a7;
    collect c = {0};
    for (int round = 0; round < 60; round++) {
        unsigned nf = (unsigned)rnd_below(RING_MAX_FIELDS + 1);
        int64_t window = (int64_t)rnd_below(50000);
        size_t pushes = 200 + rnd_below(1500);
        ring *r = ring_new(nf, window);
        assert_non_null(r);
        rec *model = calloc(pushes, sizeof(*model));
        assert_non_null(model);
        size_t nm = 0;
        int64_t ts = (int64_t)(rnd() >> 3) - ((int64_t)1 << 60);
        uint64_t prev[RING_MAX_FIELDS] = {0};
        for (size_t p = 0; p < pushes; p++) {
            rec in = {0};
            switch (rnd_below(10)) {
            case 0:
                in.ts = ts - (int64_t)rnd_below(3); /* equal/older: ignored */
                break;
            case 1:
                in.ts = ts + (int64_t)rnd_below(100000); /* jumps, some past the window */
                break;
            default:
                in.ts = ts + 1 + (int64_t)rnd_below(1500);
            }
            for (unsigned f = 0; f < nf; f++)
                in.v[f] = next_value(prev[f]);
            ring_push(r, in.ts, in.v);
            if (nm == 0 || in.ts > ts) {
                model[nm++] = in;
                ts = in.ts;
                memcpy(prev, in.v, sizeof(prev));
            }

            /* the ring holds an exact suffix of the model */
            size_t cnt = ring_count(r);
            assert_true(cnt >= 1 && cnt <= nm);
            size_t in_window = 0;
            for (size_t i = nm; i > 0 && model[i - 1].ts > ts - window; i--)
                in_window++;
            assert_true(cnt >= in_window);
            assert_true(ring_bytes(r) <= ring_bound(nf, in_window));

            if (p % 17 != 0 && p != pushes - 1)
                continue;
            collect_all(r, nf, INT64_MIN, INT64_MAX, &c);
            assert_int_equal(c.n, cnt);
            const rec *suffix = model + (nm - cnt);
            for (size_t i = 0; i < cnt; i++) {
                assert_true(c.recs[i].ts == suffix[i].ts);
                assert_memory_equal(c.recs[i].v, suffix[i].v, nf * sizeof(uint64_t));
            }
            /* random range query against the stored suffix */
            int64_t lo = suffix[0].ts - 10 + (int64_t)rnd_below((uint64_t)(ts - suffix[0].ts) + 20);
            int64_t hi = lo + (int64_t)rnd_below(20000) - 1000;
            collect_all(r, nf, lo, hi, &c);
            size_t k = 0;
            for (size_t i = 0; i < cnt; i++) {
                if (suffix[i].ts < lo || suffix[i].ts > hi)
                    continue;
                assert_true(k < c.n);
                assert_true(c.recs[k].ts == suffix[i].ts);
                assert_memory_equal(c.recs[k].v, suffix[i].v, nf * sizeof(uint64_t));
                k++;
            }
            assert_int_equal(k, c.n);
        }
        free(model);
        ring_free(r);
    }
    free(c.recs);
}

static void test_bound_is_monotonic_and_sane(void **state)
{
    (void)state;
    for (unsigned nf = 0; nf <= RING_MAX_FIELDS; nf++) {
        size_t last = 0;
        for (size_t n = 0; n < 5000; n += 7) {
            size_t b = ring_bound(nf, n);
            assert_true(b >= last);
            assert_true(b >= RING_CHUNK_BYTES);
            last = b;
        }
        /* worst case never beats raw 8 bytes/field by more than a few x */
        assert_true(ring_bound(nf, 600) <= 4 * 600 * 8 * (nf + 1) + 4096);
    }
    assert_int_equal(ring_bound(4, SIZE_MAX), SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_ignores_old_and_equal_ts),
        cmocka_unit_test(test_window_eviction),
        cmocka_unit_test(test_idle_series_is_small),
        cmocka_unit_test(test_from_to_filter),
        cmocka_unit_test(test_new_rejects_bad_args),
        cmocka_unit_test(test_property_vs_model),
        cmocka_unit_test(test_bound_is_monotonic_and_sane),
    };
    return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
