/*
 * clock: the one place berth reads the time. Monotonic time (CLOCK_MONOTONIC)
 * measures intervals, deadlines and rates: it never jumps. Wall time
 * (CLOCK_REALTIME) is only for timestamps shown to people or sent to peers
 * (log records, Zabbix clocks, "since" fields). Inline: these sit on hot
 * paths (a clock read per record) and are a vDSO call each.
 */
#ifndef BERTH_UTIL_CLOCK_H
#define BERTH_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_ns_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CLOCK_MONOTONIC in nanoseconds / milliseconds. */
static inline int64_t clock_mono_ns(void)
{
    return clock_ns_of(CLOCK_MONOTONIC);
}
static inline int64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}
/* CLOCK_REALTIME in nanoseconds / milliseconds since the epoch. */
static inline int64_t clock_wall_ns(void)
{
    return clock_ns_of(CLOCK_REALTIME);
}
static inline int64_t clock_wall_ms(void)
{
    return clock_wall_ns() / 1000000;
}

#endif
