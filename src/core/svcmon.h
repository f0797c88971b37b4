/*
 * svcmon: the services monitor. Every interval (default 10 s) it finds what
 * listens in each running container (services/svc_discover: the
 * container's own socket tables, nothing run inside it) and probes every TCP
 * listener from inside the container's network namespace
 * (services/svc_probe_batch), then stores the result in the container's
 * store entry for /metrics, the JSON API, Zabbix and `berth services`.
 *
 * One thread of its own, because probes block (up to their timeout) and
 * setns() must never happen on the collector or an HTTP worker. Containers
 * are handled one after another: a pass costs at most one probe timeout per
 * container with an unresponsive service, which bounds the load the agent
 * puts on the host instead of fanning out.
 *
 * Per-container settings, as Docker labels (or, by container name, in the
 * config file: see svcmon_opts):
 *   berth.probe.ignore = "8080,9000"           ports not listed nor probed
 *   berth.probe.http   = "8080:/health:200,..." HTTP GET instead of a TCP
 *                                               connect (status 0 or absent:
 *                                               any 2xx/3xx)
 */
#ifndef BERTH_SVCMON_H
#define BERTH_SVCMON_H

#include <stdint.h>

#include "core/engine.h"
#include "util/opt.h"

typedef struct svcmon svcmon;

/* Written by svcmon_opt_table (core/svcmon_opt.c). */
typedef struct svcmon_opts {
    int enabled;          /* the "services" key: the agent starts the thread (not read here) */
    int64_t interval_ms;  /* between passes (thread only) */
    int probe_timeout_ms; /* bounds each probe */
    /* The same settings as the labels, from the config file, for containers
     * by name ("*": every container), comma-separated:
     *   probe_http   "web:8080:/health:200,*:9090:/"
     *   probe_ignore "web:9000,*:22" */
    char probe_http[1024];
    char probe_ignore[512];
} svcmon_opts;

extern const opt_table svcmon_opt_table;

/* One discovery + probe pass over every live container, on the calling
 * thread. The strings in o are only read during the call. */
void svcmon_pass(engine *e, const svcmon_opts *o);

/* Starts the thread; o is copied. */
int svcmon_start(engine *e, const svcmon_opts *o, svcmon **out, char *err, size_t errlen);
void svcmon_stop(svcmon *m);

#endif
