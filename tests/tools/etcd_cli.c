/*
 * etcd_cli: a thin front end over release/env/etcd for the integration
 * tests (tests/integration/test_etcd.sh). Prints key=value lines so its
 * output compares with etcdctl's.
 *
 *   etcd_cli [--endpoints E] [--user U --password P] [--cacert F] CMD ...
 *     get K [--prefix] [--rev N]   revision line, then key=value lines
 *     put K V
 *     del K [--prefix]             prints the number deleted
 *     many K1 K2 ...               one txn of prefix ranges: revision, then
 *                                  key=value lines of every range in order
 *     watch K REV N                prints N events (PUT/DELETE key=value
 *                                  mod_rev) from REV, then exits
 */
#include <errno.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/etcd.h"

typedef struct wstate {
    long left;
} wstate;

static void print_kv(const etcd_kv *kv)
{
    printf("%s=", kv->key);
    fwrite(kv->value, 1, kv->value_len, stdout);
    putchar('\n');
}

static int on_msg(const etcd_watch_msg *m, void *arg)
{
    wstate *w = arg;
    for (size_t i = 0; i < m->n_events && w->left > 0; i++, w->left--) {
        const etcd_event *e = &m->events[i];
        printf("%s %s=", e->type == ETCD_EV_PUT ? "PUT" : "DELETE", e->kv.key);
        fwrite(e->kv.value, 1, e->kv.value_len, stdout);
        printf(" %lld\n", (long long)e->kv.mod_rev);
    }
    fflush(stdout);
    return w->left > 0 ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: etcd_cli [--endpoints E] [--user U --password P] [--cacert F] "
                    "get K [--prefix] [--rev N] | put K V | del K [--prefix] | many K.. | "
                    "watch K REV N\n");
    return 2;
}

int main(int argc, char **argv)
{
    etcd_opts o = {.endpoints = "http://127.0.0.1:2379"};
    char err[512] = "";
    etcd *c = NULL;
    int rc = 0, i = 1;
    const char *env = getenv("ETCD_ENDPOINTS");
    if (env && *env)
        o.endpoints = env;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--endpoints") == 0)
            o.endpoints = argv[i + 1];
        else if (strcmp(argv[i], "--user") == 0)
            o.user = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0)
            o.password = argv[i + 1];
        else if (strcmp(argv[i], "--cacert") == 0)
            o.ca = argv[i + 1];
        else
            return usage();
    }
    if (i >= argc)
        return usage();
    const char *cmd = argv[i++];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = etcd_new(&o, &c, err, sizeof(err));
    if (rc < 0)
        goto out;
    if (strcmp(cmd, "get") == 0 && i < argc) {
        const char *key = argv[i++];
        int prefix = 0;
        long long rev = 0;
        for (; i < argc; i++) {
            if (strcmp(argv[i], "--prefix") == 0)
                prefix = 1;
            else if (strcmp(argv[i], "--rev") == 0 && i + 1 < argc)
                rev = atoll(argv[++i]);
            else
                return usage();
        }
        etcd_range r;
        rc = etcd_get(c, key, prefix, rev, 0, &r, err, sizeof(err));
        if (rc == 0) {
            printf("%lld\n", (long long)r.revision);
            for (size_t k = 0; k < r.n; k++)
                print_kv(&r.kvs[k]);
            etcd_range_clear(&r);
        }
    } else if (strcmp(cmd, "put") == 0 && i + 2 == argc) {
        int64_t rev;
        rc = etcd_put(c, argv[i], argv[i + 1], strlen(argv[i + 1]), 0, &rev, err, sizeof(err));
        if (rc == 0)
            printf("%lld\n", (long long)rev);
    } else if (strcmp(cmd, "del") == 0 && (i + 1 == argc || i + 2 == argc)) {
        int prefix = i + 2 == argc && strcmp(argv[i + 1], "--prefix") == 0;
        int64_t del, rev;
        if (i + 2 == argc && !prefix)
            return usage();
        rc = etcd_delete(c, argv[i], prefix, &del, &rev, err, sizeof(err));
        if (rc == 0)
            printf("%lld\n", (long long)del);
    } else if (strcmp(cmd, "many") == 0 && i < argc) {
        size_t n = (size_t)(argc - i);
        etcd_range *outs = calloc(n, sizeof(*outs));
        int64_t rev;
        if (!outs)
            abort();
        rc = etcd_get_many(c, (const char *const *)&argv[i], NULL, n, 0, outs, &rev, err,
                           sizeof(err));
        if (rc == 0) {
            printf("%lld\n", (long long)rev);
            for (size_t k = 0; k < n; k++) {
                for (size_t j = 0; j < outs[k].n; j++)
                    print_kv(&outs[k].kvs[j]);
                etcd_range_clear(&outs[k]);
            }
        }
        free(outs);
    } else if (strcmp(cmd, "watch") == 0 && i + 3 == argc) {
        wstate w = {.left = atol(argv[i + 2])};
        int64_t crev;
        rc = etcd_watch(c, argv[i], 1, atoll(argv[i + 1]), 30000, on_msg, &w, &crev, err,
                        sizeof(err));
        if (rc == 1)
            rc = 0;
    } else {
        rc = -EINVAL;
        snprintf(err, sizeof(err), "bad command line");
    }
out:
    if (rc != 0)
        fprintf(stderr, "etcd_cli: %s (%d)\n", err, rc);
    etcd_free(c);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}
