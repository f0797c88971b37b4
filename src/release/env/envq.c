/*
 * envq: `berth env`'s reads and writes against etcd; see envq.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "release/env/envq.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

static void put_str(buf *b, const char *s);

int envq_connect(const envq_opts *o, etcd **out, char *err, size_t errlen)
{
    char pw[512] = "";
    if (o->password_file[0]) {
        buf b = BUF_INIT;
        long n = buf_read_file(&b, o->password_file, sizeof(pw));
        if (n < 0) {
            snprintf(err, errlen, "etcd_password_file %s: %s", o->password_file, strerror((int)-n));
            buf_free(&b);
            return (int)n;
        }
        size_t l = b.len;
        while (l && (b.data[l - 1] == '\n' || b.data[l - 1] == '\r'))
            l--;
        if (l >= sizeof(pw))
            l = sizeof(pw) - 1;
        memcpy(pw, b.data, l);
        pw[l] = '\0';
        explicit_bzero(b.data, b.len);
        buf_free(&b);
    }
    etcd_opts eo = {
        .endpoints = o->endpoints,
        .user = o->user[0] ? o->user : NULL,
        .password = o->user[0] ? pw : NULL,
        .ca = o->ca[0] ? o->ca : NULL,
        .cert = o->cert[0] ? o->cert : NULL,
        .key = o->key[0] ? o->key : NULL,
        .timeout_ms = (int)o->timeout_ms,
    };
    int rc = etcd_new(&eo, out, err, errlen);
    explicit_bzero(pw, sizeof(pw));
    return rc;
}

/* Reads the layers of (app, env, dc) and the secret marks at one revision;
 * *kvs is the concatenation (owned by ranges, which the caller clears). */
static int read_layers(etcd *c, const char *prefix, const char *app, const char *env,
                       const char *dc, int64_t rev, etcd_range *ranges, size_t *nr, etcd_kv **kvs,
                       size_t *nkv, int64_t *revision, char *err, size_t errlen)
{
    envl_layer ls[ENVL_N];
    size_t n = 0;
    int rc = envl_layers_for(app, env, dc, ls, &n, err, errlen);
    if (rc < 0)
        return rc;
    char paths[ENVL_N + 1][ENVL_PATH_MAX];
    const char *keys[ENVL_N + 1];
    for (size_t i = 0; i < n; i++) {
        rc = envl_layer_key(prefix, &ls[i], NULL, paths[i], sizeof(paths[i]));
        if (rc < 0) {
            snprintf(err, errlen, "etcd_prefix '%s': key too long", prefix);
            return rc;
        }
        keys[i] = paths[i];
    }
    rc = snprintf(paths[n], sizeof(paths[n]), "%s/secret/", prefix);
    if (rc < 0 || (size_t)rc >= sizeof(paths[n])) {
        snprintf(err, errlen, "etcd_prefix '%s': key too long", prefix);
        return -ENAMETOOLONG;
    }
    keys[n] = paths[n];
    /* A layer's path is a prefix of the layers nested under it (env/E holds
     * env/E/dc/D/...): read the outer one only, or its keys would come
     * twice. envl_resolve keeps the layers that apply. */
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        int nested = 0;
        for (size_t j = 0; j < n && !nested; j++)
            nested = j != i && strncmp(keys[i], keys[j], strlen(keys[j])) == 0;
        if (!nested)
            keys[k++] = keys[i];
    }
    *nr = k;
    rc = etcd_get_many(c, keys, NULL, *nr, rev, ranges, revision, err, errlen);
    if (rc < 0)
        return rc;
    size_t total = 0;
    for (size_t i = 0; i < *nr; i++)
        total += ranges[i].n;
    *kvs = xcalloc(total ? total : 1, sizeof(**kvs));
    *nkv = 0;
    for (size_t i = 0; i < *nr; i++)
        for (size_t j = 0; j < ranges[i].n; j++)
            (*kvs)[(*nkv)++] = ranges[i].kvs[j]; /* shallow: ranges own them */
    return 0;
}

int envq_resolve(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 int64_t rev, envl_set *out, char *err, size_t errlen)
{
    etcd_range ranges[ENVL_N + 1];
    memset(ranges, 0, sizeof(ranges));
    size_t nr = 0, nkv = 0;
    etcd_kv *kvs = NULL;
    int64_t revision = 0;
    int rc =
        read_layers(c, prefix, app, env, dc, rev, ranges, &nr, &kvs, &nkv, &revision, err, errlen);
    if (rc == 0)
        rc = envl_resolve(prefix, app, env, dc, kvs, nkv, revision, out, err, errlen);
    free(kvs);
    for (size_t i = 0; i < nr; i++)
        etcd_range_clear(&ranges[i]);
    return rc;
}

int envq_explain(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 const char *key, envl_entry **out, size_t *n, int64_t *revision, char *err,
                 size_t errlen)
{
    int rc = envl_key_valid(key, err, errlen);
    if (rc < 0)
        return rc;
    etcd_range ranges[ENVL_N + 1];
    memset(ranges, 0, sizeof(ranges));
    size_t nr = 0, nkv = 0;
    etcd_kv *kvs = NULL;
    rc = read_layers(c, prefix, app, env, dc, 0, ranges, &nr, &kvs, &nkv, revision, err, errlen);
    if (rc == 0)
        rc = envl_explain(prefix, app, env, dc, kvs, nkv, key, out, n, err, errlen);
    free(kvs);
    for (size_t i = 0; i < nr; i++)
        etcd_range_clear(&ranges[i]);
    return rc;
}

static int layer_path(const char *prefix, const char *layer, const char *key, char *out,
                      size_t outlen, char *err, size_t errlen)
{
    envl_layer l;
    int rc = envl_key_valid(key, err, errlen);
    if (rc == 0)
        rc = envl_layer_parse(layer, &l, err, errlen);
    if (rc == 0 && envl_layer_key(prefix, &l, key, out, outlen) < 0) {
        snprintf(err, errlen, "key too long");
        rc = -ENAMETOOLONG;
    }
    return rc;
}

/* The changes of a write, as its journal record and --json show them:
 * which key of which layer, put or deleted; never the value. */
static void put_changes(buf *b, const envq_change *ch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, i ? ",{\"layer\":" : "{\"layer\":");
        put_str(b, ch[i].layer);
        buf_puts(b, ",\"key\":");
        put_str(b, ch[i].key);
        buf_printf(b, ",\"op\":\"%s\",\"secret\":%s}", ch[i].value ? "put" : "delete",
                   ch[i].secret ? "true" : "false");
    }
}

/* The journal record of a write: who, when, what keys; never a value. */
static void journal_record(const envq_change *ch, size_t n, const char *action, buf *val, char *key,
                           size_t keylen, const char *prefix)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    for (char *p = host; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x21)
            *p = '_';
    snprintf(key, keylen, "%s/journal/env/%019lld-%s-%ld", prefix, ns, host, (long)getpid());
    struct passwd *pw = getpwuid(geteuid());
    buf_puts(val, "{\"time\":\"");
    jsonw_time(val, ns);
    buf_puts(val, "\",\"host\":");
    put_str(val, host);
    buf_puts(val, ",\"user\":");
    put_str(val, pw && pw->pw_name ? pw->pw_name : "");
    buf_printf(val, ",\"uid\":%u,\"pid\":%ld,\"action\":", (unsigned)geteuid(), (long)getpid());
    put_str(val, action);
    buf_puts(val, ",\"changes\":[");
    put_changes(val, ch, n);
    buf_puts(val, "]}");
}

int envq_write(etcd *c, const char *prefix, const envq_change *ch, size_t n, const char *action,
               int64_t *revision, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "nothing to write");
        return -EINVAL;
    }
    if (n > ENVQ_MAX_CHANGES) {
        snprintf(err, errlen, "%zu keys in one write, at most %d (etcd's transaction limit)", n,
                 ENVQ_MAX_CHANGES);
        return -E2BIG;
    }
    int rc = envl_prefix_valid(prefix, err, errlen);
    if (rc < 0)
        return rc;
    /* paths: one per change, one per secret mark, the journal's */
    char(*paths)[ENVL_PATH_MAX] = xcalloc(2 * n + 1, sizeof(*paths));
    etcd_op *ops = xcalloc(2 * n + 1, sizeof(*ops));
    buf jv = BUF_INIT;
    size_t nops = 0;
    for (size_t i = 0; i < n; i++) {
        rc = layer_path(prefix, ch[i].layer, ch[i].key, paths[nops], ENVL_PATH_MAX, err, errlen);
        if (rc < 0)
            goto out;
        for (size_t j = 0; j < nops; j++)
            if (strcmp(ops[j].key, paths[nops]) == 0) {
                snprintf(err, errlen, "%s: named twice in one write", ch[i].key);
                rc = -EINVAL;
                goto out;
            }
        if (ch[i].value && ch[i].len > ETCD_MAX_VALUE) {
            snprintf(err, errlen, "%s: value of %zu bytes, at most %u", ch[i].key, ch[i].len,
                     ETCD_MAX_VALUE);
            rc = -EMSGSIZE;
            goto out;
        }
        ops[nops] = ch[i].value ? (etcd_op){.type = ETCD_OP_PUT,
                                            .key = paths[nops],
                                            .value = ch[i].value,
                                            .value_len = ch[i].len}
                                : (etcd_op){.type = ETCD_OP_DELETE, .key = paths[nops]};
        nops++;
        if (ch[i].value && ch[i].secret) {
            if (envl_secret_key(prefix, ch[i].key, paths[nops], ENVL_PATH_MAX) < 0) {
                snprintf(err, errlen, "key too long");
                rc = -ENAMETOOLONG;
                goto out;
            }
            int dup = 0;
            for (size_t j = 0; j < nops; j++)
                dup |= strcmp(ops[j].key, paths[nops]) == 0;
            if (!dup) { /* etcd refuses a txn that puts one key twice */
                ops[nops] = (etcd_op){
                    .type = ETCD_OP_PUT, .key = paths[nops], .value = "1", .value_len = 1};
                nops++;
            }
        }
    }
    journal_record(ch, n, action, &jv, paths[nops], ENVL_PATH_MAX, prefix);
    ops[nops] =
        (etcd_op){.type = ETCD_OP_PUT, .key = paths[nops], .value = jv.data, .value_len = jv.len};
    nops++;
    int ok = 0;
    rc = etcd_txn(c, NULL, 0, ops, nops, &ok, revision, err, errlen);
out:
    buf_free(&jv);
    free(ops);
    free(paths);
    return rc;
}

int envq_set(etcd *c, const char *prefix, const char *layer, const char *key, const char *value,
             size_t len, int secret, int64_t *revision, char *err, size_t errlen)
{
    envq_change ch = {.layer = layer, .key = key, .value = value, .len = len, .secret = secret};
    return envq_write(c, prefix, &ch, 1, "set", revision, err, errlen);
}

int envq_unset(etcd *c, const char *prefix, const char *layer, const char *key, int64_t *deleted,
               int64_t *revision, char *err, size_t errlen)
{
    char path[ENVL_PATH_MAX];
    int rc = layer_path(prefix, layer, key, path, sizeof(path), err, errlen);
    if (rc < 0)
        return rc;
    etcd_range r = {0};
    *deleted = 0;
    rc = etcd_get(c, path, 0, 0, 1, &r, err, errlen);
    if (rc < 0)
        return rc;
    *revision = r.revision;
    int present = r.n > 0;
    etcd_range_clear(&r);
    if (!present)
        return 0; /* nothing to delete: no write, no journal record */
    envq_change ch = {.layer = layer, .key = key};
    rc = envq_write(c, prefix, &ch, 1, "unset", revision, err, errlen);
    if (rc == 0)
        *deleted = 1;
    return rc;
}

static int layer_same(const envl_layer *a, const envl_layer *b)
{
    return a->kind == b->kind && strcmp(a->app, b->app) == 0 && strcmp(a->env, b->env) == 0 &&
           strcmp(a->dc, b->dc) == 0;
}

int envq_layer_read(etcd *c, const char *prefix, const char *layer, int64_t rev, etcd_range *out,
                    char *err, size_t errlen)
{
    envl_layer l;
    char path[ENVL_PATH_MAX];
    int rc = envl_layer_parse(layer, &l, err, errlen);
    if (rc < 0)
        return rc;
    if (envl_layer_key(prefix, &l, NULL, path, sizeof(path)) < 0) {
        snprintf(err, errlen, "key too long");
        return -ENAMETOOLONG;
    }
    if ((rc = etcd_get(c, path, 1, rev, 0, out, err, errlen)) < 0)
        return rc;
    /* The layer's path is a prefix of the layers nested under it (app/A
     * holds app/A/env/E/...): keep the layer's own keys only. */
    char name[ENVL_KEY_MAX + 1], why[256];
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        envl_layer got;
        if (envl_parse_key(prefix, out->kvs[i].key, &got, name, sizeof(name), why, sizeof(why)) ==
                1 &&
            layer_same(&got, &l))
            out->kvs[k++] = out->kvs[i];
        else
            etcd_kv_clear(&out->kvs[i]);
    }
    out->n = k;
    return 0;
}

/* ---- history ---- */

typedef struct hist {
    envl_layer layer;
    int64_t stop_rev; /* the key's mod revision now: the replay is done there */
    envq_version *v;
    size_t n, cap;
} hist;

static int hist_cb(const etcd_watch_msg *m, void *arg)
{
    hist *h = arg;
    for (size_t i = 0; i < m->n_events; i++) {
        const etcd_event *ev = &m->events[i];
        if (h->n == h->cap) {
            h->cap = h->cap ? 2 * h->cap : 16;
            h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
        }
        envq_version *v = &h->v[h->n++];
        memset(v, 0, sizeof(*v));
        v->layer = h->layer;
        v->rev = ev->kv.mod_rev;
        v->deleted = ev->type == ETCD_EV_DELETE;
        if (!v->deleted) {
            v->len = ev->kv.value_len;
            v->value = xmalloc(v->len + 1);
            if (v->len)
                memcpy(v->value, ev->kv.value, v->len);
            v->value[v->len] = '\0';
        }
        if (h->stop_rev && ev->kv.mod_rev >= h->stop_rev)
            return 1;
    }
    return 0;
}

static int version_cmp(const void *a, const void *b)
{
    const envq_version *x = a, *y = b;
    if (x->rev != y->rev)
        return x->rev > y->rev ? -1 : 1;
    return (int)y->layer.kind - (int)x->layer.kind;
}

void envq_versions_free(envq_version *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        if (v[i].value)
            explicit_bzero(v[i].value, v[i].len);
        free(v[i].value);
    }
    free(v);
}

/* How long a replay waits after its last byte when the key does not exist
 * now (its last event, a delete, has an unknown revision): etcd sends the
 * history of a watch from an old revision at once, in one go. */
#define ENVQ_REPLAY_IDLE_MS 400

int envq_history(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 const char *key, envq_version **out, size_t *n, int64_t *compacted, int *secret,
                 char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    *compacted = 0;
    *secret = 0;
    int rc = envl_key_valid(key, err, errlen);
    if (rc < 0)
        return rc;
    envl_layer ls[ENVL_N];
    size_t nl = 0;
    if ((rc = envl_layers_for(app, env, dc, ls, &nl, err, errlen)) < 0)
        return rc;
    char paths[ENVL_N + 1][ENVL_PATH_MAX];
    const char *keys[ENVL_N + 1];
    int pfx[ENVL_N + 1] = {0};
    for (size_t i = 0; i < nl; i++) {
        if (envl_layer_key(prefix, &ls[i], key, paths[i], sizeof(paths[i])) < 0) {
            snprintf(err, errlen, "key too long");
            return -ENAMETOOLONG;
        }
        keys[i] = paths[i];
    }
    if (envl_secret_key(prefix, key, paths[nl], sizeof(paths[nl])) < 0) {
        snprintf(err, errlen, "key too long");
        return -ENAMETOOLONG;
    }
    keys[nl] = paths[nl];
    etcd_range now[ENVL_N + 1];
    memset(now, 0, sizeof(now));
    int64_t revision = 0;
    if ((rc = etcd_get_many(c, keys, pfx, nl + 1, 0, now, &revision, err, errlen)) < 0)
        goto out_now;
    *secret = now[nl].n > 0;
    hist all = {0};
    for (size_t i = 0; i < nl; i++) {
        hist h = {.layer = ls[i], .stop_rev = now[i].n ? now[i].kvs[0].mod_rev : 0};
        int64_t start = 1, crev = 0;
        for (int tries = 0; tries < 3; tries++) {
            rc = etcd_watch(c, keys[i], 0, start, ENVQ_REPLAY_IDLE_MS, hist_cb, &h, &crev, err,
                            errlen);
            if (rc != -ESTALE)
                break;
            /* history before crev is gone: replay what is left */
            if (crev > *compacted)
                *compacted = crev;
            start = crev;
            envq_versions_free(h.v, h.n);
            h.v = NULL;
            h.n = h.cap = 0;
        }
        if (rc == -ETIMEDOUT && (!h.stop_rev || h.n == 0))
            rc = 0; /* the replay ended: the key is deleted now, or has no history kept */
        if (rc < 0) {
            envq_versions_free(h.v, h.n);
            envq_versions_free(all.v, all.n);
            goto out_now;
        }
        rc = 0;
        for (size_t j = 0; j < h.n; j++) {
            if (all.n == all.cap) {
                all.cap = all.cap ? 2 * all.cap : 16;
                all.v = xrealloc(all.v, all.cap * sizeof(*all.v));
            }
            all.v[all.n++] = h.v[j];
        }
        free(h.v);
    }
    if (all.n)
        qsort(all.v, all.n, sizeof(*all.v), version_cmp);
    *out = all.v;
    *n = all.n;
out_now:
    for (size_t i = 0; i <= nl; i++)
        etcd_range_clear(&now[i]);
    return rc;
}

/* ---- rollback ---- */

void envq_changes_free(envq_change *ch, size_t n)
{
    for (size_t i = 0; ch && i < n; i++) {
        free((char *)ch[i].layer);
        free((char *)ch[i].key);
        if (ch[i].value)
            explicit_bzero((char *)ch[i].value, ch[i].len);
        free((char *)ch[i].value);
    }
    free(ch);
}

static const etcd_kv *range_find(const etcd_range *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kvs[i].key, key) == 0)
            return &r->kvs[i];
    return NULL;
}

int envq_rollback_plan(etcd *c, const char *prefix, const char *layer, int64_t rev,
                       envq_change **ch, size_t *n, char *err, size_t errlen)
{
    *ch = NULL;
    *n = 0;
    if (rev <= 0) {
        snprintf(err, errlen, "--to: want a revision > 0");
        return -EINVAL;
    }
    etcd_range then = {0}, now = {0};
    int rc = envq_layer_read(c, prefix, layer, rev, &then, err, errlen);
    if (rc == 0)
        rc = envq_layer_read(c, prefix, layer, 0, &now, err, errlen);
    if (rc < 0)
        goto out;
    size_t cap = then.n + now.n, k = 0;
    envq_change *v = xcalloc(cap ? cap : 1, sizeof(*v));
    char name[ENVL_KEY_MAX + 1], why[256];
    envl_layer l;
    for (size_t i = 0; i < then.n; i++) {
        const etcd_kv *a = &then.kvs[i], *b = range_find(&now, a->key);
        if (b && b->value_len == a->value_len && memcmp(b->value, a->value, a->value_len) == 0)
            continue;
        if (envl_parse_key(prefix, a->key, &l, name, sizeof(name), why, sizeof(why)) != 1)
            continue; /* a malformed key stays as it is; show reports it */
        v[k].layer = xstrdup(layer);
        v[k].key = xstrdup(name);
        v[k].value = xmalloc(a->value_len + 1);
        memcpy((char *)v[k].value, a->value, a->value_len);
        ((char *)v[k].value)[a->value_len] = '\0';
        v[k].len = a->value_len;
        k++;
    }
    for (size_t i = 0; i < now.n; i++) {
        if (range_find(&then, now.kvs[i].key))
            continue;
        if (envl_parse_key(prefix, now.kvs[i].key, &l, name, sizeof(name), why, sizeof(why)) != 1)
            continue;
        v[k].layer = xstrdup(layer);
        v[k].key = xstrdup(name);
        k++;
    }
    *ch = v;
    *n = k;
out:
    etcd_range_clear(&then);
    etcd_range_clear(&now);
    return rc;
}

static void put_str(buf *b, const char *s)
{
    jsonw_str(b, s, strlen(s));
}

static void put_entry(buf *b, const envl_entry *e, int reveal)
{
    char layer[256];
    if (envl_layer_format(&e->src, layer, sizeof(layer)) < 0)
        layer[0] = '\0';
    buf_puts(b, "{\"value\":");
    if (e->secret && !reveal)
        buf_puts(b, "\"(secret)\"");
    else
        jsonw_str(b, e->value, e->value_len);
    buf_puts(b, ",\"layer\":");
    put_str(b, layer);
    buf_printf(b, ",\"mod_revision\":%lld,\"secret\":%s}", (long long)e->mod_rev,
               e->secret ? "true" : "false");
}

static void put_head(buf *b, const char *app, const char *env, const char *dc)
{
    buf_puts(b, "\"app\":");
    put_str(b, app ? app : "");
    buf_puts(b, ",\"env\":");
    put_str(b, env ? env : "");
    buf_puts(b, ",\"dc\":");
    put_str(b, dc ? dc : "");
}

void envq_set_json(const envl_set *s, const char *app, const char *env, const char *dc, int reveal,
                   buf *out)
{
    buf_putc(out, '{');
    put_head(out, app, env, dc);
    buf_printf(out, ",\"revision\":%lld,\"sha256\":\"%s\",\"keys\":[", (long long)s->revision,
               s->sha256);
    for (size_t i = 0; i < s->n; i++) {
        buf_puts(out, i ? ",{\"key\":" : "{\"key\":");
        put_str(out, s->e[i].key);
        buf_puts(out, ",\"source\":");
        put_entry(out, &s->e[i], reveal);
        buf_putc(out, '}');
    }
    buf_puts(out, "],\"problems\":[");
    for (size_t i = 0; i < s->n_bad; i++) {
        buf_puts(out, i ? ",{\"key\":" : "{\"key\":");
        put_str(out, s->bad[i].key);
        buf_puts(out, ",\"why\":");
        put_str(out, s->bad[i].why);
        buf_putc(out, '}');
    }
    buf_puts(out, "]}\n");
}

void envq_diff_json(const envl_set *a, const envl_set *b, const char *env_a, const char *env_b,
                    const envl_diff_row *rows, size_t n, int reveal, buf *out)
{
    buf_puts(out, "{\"a\":{\"env\":");
    put_str(out, env_a);
    buf_printf(out, ",\"revision\":%lld,\"sha256\":\"%s\"},\"b\":{\"env\":", (long long)a->revision,
               a->sha256);
    put_str(out, env_b);
    buf_printf(out, ",\"revision\":%lld,\"sha256\":\"%s\"},\"keys\":[", (long long)b->revision,
               b->sha256);
    for (size_t i = 0; i < n; i++) {
        buf_puts(out, i ? ",{\"key\":" : "{\"key\":");
        put_str(out, rows[i].key);
        buf_puts(out, ",\"a\":");
        if (rows[i].a)
            put_entry(out, rows[i].a, reveal);
        else
            buf_puts(out, "null");
        buf_puts(out, ",\"b\":");
        if (rows[i].b)
            put_entry(out, rows[i].b, reveal);
        else
            buf_puts(out, "null");
        buf_putc(out, '}');
    }
    buf_puts(out, "]}\n");
}

void envq_explain_json(const envl_entry *e, size_t n, const char *app, const char *env,
                       const char *dc, const char *key, int64_t revision, int reveal, buf *out)
{
    buf_putc(out, '{');
    put_head(out, app, env, dc);
    buf_puts(out, ",\"key\":");
    put_str(out, key);
    buf_printf(out, ",\"revision\":%lld,\"secret\":%s,\"layers\":[", (long long)revision,
               n && e[n - 1].secret ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ',');
        put_entry(out, &e[i], reveal);
    }
    buf_puts(out, "]}\n");
}

void envq_history_json(const envq_version *v, size_t n, const char *key, int secret,
                       int64_t compacted, int reveal, buf *out)
{
    buf_puts(out, "{\"key\":");
    put_str(out, key);
    buf_printf(out, ",\"secret\":%s,\"compacted\":%lld,\"versions\":[", secret ? "true" : "false",
               (long long)compacted);
    for (size_t i = 0; i < n; i++) {
        char layer[256];
        if (envl_layer_format(&v[i].layer, layer, sizeof(layer)) < 0)
            layer[0] = '\0';
        buf_printf(out, "%s{\"revision\":%lld,\"layer\":", i ? "," : "", (long long)v[i].rev);
        put_str(out, layer);
        buf_printf(out, ",\"op\":\"%s\",\"value\":", v[i].deleted ? "delete" : "put");
        if (v[i].deleted)
            buf_puts(out, "null");
        else if (secret && !reveal)
            buf_puts(out, "\"(secret)\"");
        else
            jsonw_str(out, v[i].value, v[i].len);
        buf_putc(out, '}');
    }
    buf_puts(out, "]}\n");
}

void envq_changes_json(const envq_change *ch, size_t n, const char *action, int dry_run,
                       int64_t revision, buf *out)
{
    buf_puts(out, "{\"action\":");
    put_str(out, action);
    buf_printf(out, ",\"dry_run\":%s,\"revision\":%lld,\"changes\":[", dry_run ? "true" : "false",
               (long long)revision);
    put_changes(out, ch, n);
    buf_puts(out, "]}\n");
}

int envq_export(const envl_set *s, int json, int reveal, buf *out, char *err, size_t errlen)
{
    buf_puts(out, json ? "{" : "");
    int first = 1;
    for (size_t i = 0; i < s->n; i++) {
        const envl_entry *e = &s->e[i];
        if (e->secret && !reveal) {
            if (!json)
                buf_printf(out, "# %s: secret, left out (--reveal)\n", e->key);
            continue;
        }
        if (json) {
            buf_puts(out, first ? "\n  " : ",\n  ");
            put_str(out, e->key);
            buf_puts(out, ": ");
            jsonw_str(out, e->value, e->value_len);
            first = 0;
            continue;
        }
        if (!envl_value_env_ok(e)) {
            snprintf(err, errlen,
                     "%s: its value holds a newline or a NUL, which an env-file "
                     "cannot carry; use --json",
                     e->key);
            return -EINVAL;
        }
        buf_printf(out, "%s=", e->key);
        buf_append(out, e->value, e->value_len);
        buf_putc(out, '\n');
    }
    if (json)
        buf_puts(out, first ? "}\n" : "\n}\n");
    return 0;
}
