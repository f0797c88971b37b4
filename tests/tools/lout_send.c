/*
 * lout_send: drives one log output the way the pipeline does, for tests
 * and benchmarks of the outputs on their own. Each line of stdin becomes a
 * record (container "lo-send" unless --container, stdout unless --stderr,
 * timestamps increasing by 1 µs from now); records go to the output in
 * batches of --batch (500). A batch that fails as a whole is sent again
 * after a backoff (50 ms doubling to 1 s, with jitter); records answered
 * LOUT_RETRY are sent again, LOUT_REJECT counted and dropped. At the end:
 *   lout_send: sent=N rejected=N retried=N batch_errors=N
 * on stderr; exit 0 when every record was delivered or rejected, 1 when
 * --max-time (seconds, default 120) ran out first.
 *
 *   lout_send [--batch N] [--container NAME] [--stderr] [--max-time S]
 *             TYPE key=value ...
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "logs/lout.h"

extern const lout_ops lout_elasticsearch_ops, lout_gelf_ops, lout_loki_ops, lout_redis_ops,
    lout_syslog_ops;

static const lout_ops *find(const char *t)
{
    const lout_ops *all[] = {&lout_elasticsearch_ops, &lout_gelf_ops, &lout_loki_ops,
                             &lout_redis_ops, &lout_syslog_ops};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i]->type, t) == 0)
            return all[i];
    return NULL;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    size_t batch = 500;
    const char *cname = "lo-send";
    int stream = LREC_STDOUT;
    long max_time = 120;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--container") && i + 1 < argc)
            cname = argv[++i];
        else if (!strcmp(argv[i], "--stderr"))
            stream = LREC_STDERR;
        else if (!strcmp(argv[i], "--max-time") && i + 1 < argc)
            max_time = atol(argv[++i]);
        else
            break;
    }
    if (i >= argc || batch == 0) {
        fprintf(stderr, "usage: lout_send [--batch N] [--container NAME] [--stderr] "
                        "[--max-time S] TYPE key=value ...\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const lout_ops *ops = find(argv[i]);
    if (!ops) {
        fprintf(stderr, "lout_send: no output type %s\n", argv[i]);
        return 2;
    }
    static lout_cfg cfg;
    snprintf(cfg.name, sizeof(cfg.name), "test");
    snprintf(cfg.type, sizeof(cfg.type), "%s", argv[i]);
    for (i++; i < argc && cfg.nopts < LOUT_MAX_OPTS; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "lout_send: want key=value, got %s\n", argv[i]);
            return 2;
        }
        snprintf(cfg.key[cfg.nopts], sizeof(cfg.key[0]), "%.*s", (int)(eq - argv[i]), argv[i]);
        snprintf(cfg.val[cfg.nopts], sizeof(cfg.val[0]), "%s", eq + 1);
        cfg.nopts++;
    }
    char err[512] = "";
    void *st = NULL;
    if (ops->create(&cfg, &st, err, sizeof(err)) < 0) {
        fprintf(stderr, "lout_send: %s\n", err);
        return 2;
    }

    /* read all of stdin: lines without their newline */
    size_t cap = 1 << 20, len = 0;
    char *all = malloc(cap);
    size_t r;
    while ((r = fread(all + len, 1, cap - len, stdin)) > 0) {
        len += r;
        if (len == cap)
            all = realloc(all, cap *= 2);
    }
    size_t nlines = 0, lcap = 1024;
    lrec *recs = malloc(lcap * sizeof(*recs));
    char host[256] = "localhost";
    gethostname(host, sizeof(host));
    int64_t t0 = now_ns();
    for (size_t p = 0; p < len;) {
        char *nl = memchr(all + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - all) : len;
        if (nlines == lcap)
            recs = realloc(recs, (lcap *= 2) * sizeof(*recs));
        lrec *x = &recs[nlines];
        memset(x, 0, sizeof(*x));
        x->seq = nlines + 1;
        x->ts_ns = t0 + (int64_t)nlines * 1000;
        x->stream = stream;
        x->msg = all + p;
        x->msg_len = e - p;
        x->host = host;
        x->container_id = "4c0ffee04c0ffee04c0ffee04c0ffee04c0ffee04c0ffee04c0ffee04c0ffee0";
        x->container_name = cname;
        x->image = "berth-test:latest";
        x->image_id = "";
        x->compose_project = x->compose_service = x->swarm_service = x->swarm_task = "";
        x->path = "";
        nlines++;
        p = e + 1;
    }

    unsigned long sent = 0, rejected = 0, retried = 0, errors = 0;
    time_t deadline = time(NULL) + max_time;
    lrec *pend = malloc(batch * sizeof(*pend));
    uint8_t *sts = malloc(batch);
    long backoff = 50;
    srand((unsigned)getpid());
    for (size_t b = 0; b < nlines; b += batch) {
        size_t n = nlines - b < batch ? nlines - b : batch;
        memcpy(pend, recs + b, n * sizeof(*pend));
        while (n > 0) {
            if (time(NULL) > deadline) {
                fprintf(stderr, "lout_send: out of time with %zu records pending\n", nlines - b);
                fprintf(stderr, "lout_send: sent=%lu rejected=%lu retried=%lu batch_errors=%lu\n",
                        sent, rejected, retried, errors);
                return 1;
            }
            memset(sts, 0xff, n);
            int rc = ops->send(st, pend, n, sts, err, sizeof(err));
            if (rc < 0) {
                errors++;
                fprintf(stderr, "lout_send: batch failed (%s): %s\n", strerror(-rc), err);
                nap_ms(backoff / 2 + rand() % (backoff / 2 + 1));
                backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
                continue;
            }
            backoff = 50;
            size_t keep = 0;
            for (size_t k = 0; k < n; k++) {
                if (sts[k] == LOUT_OK) {
                    sent++;
                } else if (sts[k] == LOUT_RETRY) {
                    retried++;
                    pend[keep++] = pend[k];
                } else if (sts[k] == LOUT_REJECT) {
                    rejected++;
                } else {
                    fprintf(stderr, "lout_send: BUG: status %u not set for record %zu\n", sts[k],
                            k);
                    return 3;
                }
            }
            if (keep && err[0])
                fprintf(stderr, "lout_send: %zu records to retry: %s\n", keep, err);
            n = keep;
            if (n)
                nap_ms(50);
        }
    }
    ops->destroy(st);
    fprintf(stderr, "lout_send: sent=%lu rejected=%lu retried=%lu batch_errors=%lu\n", sent,
            rejected, retried, errors);
    free(all);
    free(recs);
    free(pend);
    free(sts);
    return 0;
}
