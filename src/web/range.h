/*
 * range: the time range of a history request, parsed from its raw query
 * string (?since=...&until=...&step=...). Outside input: pure, unit-tested
 * (tests/unit/test_web.c) and fuzzed (fuzz/fuzz_web.c).
 *
 * A time value is one of:
 *   - a duration before now with a unit: "90s", "10m", "1h", "500ms";
 *   - a bare integer below 10^9: seconds before now ("600", the API's
 *     original meaning of since=);
 *   - a bare integer from 10^9 to below 10^12: unix time in seconds;
 *   - a bare integer of 10^12 or more: unix time in milliseconds.
 * step is a duration ("5s") or bare seconds; 0 or absent keeps every
 * sample. Defaults: since = 10 minutes before now, until = now, step = 0.
 * Unknown keys are ignored (cache busters); a key given twice, an empty
 * or malformed value, since > until, or a step above 1 h are errors.
 */
#ifndef BERTH_WEB_RANGE_H
#define BERTH_WEB_RANGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct web_range {
    int64_t since_ms, until_ms; /* unix ms, inclusive */
    int64_t step_ms;            /* 0: every sample */
} web_range;

#define WEB_RANGE_DEFAULT_MS  (10 * 60 * 1000)
#define WEB_RANGE_MAX_STEP_MS (3600 * 1000)

/* Returns 0, or -EINVAL with err naming the bad key. */
int web_parse_range(const char *q, size_t len, int64_t now_ms, web_range *out, char *err,
                    size_t errlen);

#endif
