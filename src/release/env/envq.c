/*
 * envq: `berth env`'s reads and writes against etcd; see envq.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/envq.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

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
    *nr = n + 1;
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

int envq_set(etcd *c, const char *prefix, const char *layer, const char *key, const char *value,
             size_t len, int secret, int64_t *revision, char *err, size_t errlen)
{
    char path[ENVL_PATH_MAX], mark[ENVL_PATH_MAX];
    int rc = layer_path(prefix, layer, key, path, sizeof(path), err, errlen);
    if (rc < 0)
        return rc;
    if (len > ETCD_MAX_VALUE) {
        snprintf(err, errlen, "%s: value of %zu bytes, at most %u", key, len, ETCD_MAX_VALUE);
        return -EMSGSIZE;
    }
    etcd_op ops[2] = {{.type = ETCD_OP_PUT, .key = path, .value = value, .value_len = len}};
    size_t nops = 1;
    if (secret) {
        if (envl_secret_key(prefix, key, mark, sizeof(mark)) < 0) {
            snprintf(err, errlen, "key too long");
            return -ENAMETOOLONG;
        }
        ops[1] = (etcd_op){.type = ETCD_OP_PUT, .key = mark, .value = "1", .value_len = 1};
        nops = 2;
    }
    int ok = 0;
    rc = etcd_txn(c, NULL, 0, ops, nops, &ok, revision, err, errlen);
    return rc;
}

int envq_unset(etcd *c, const char *prefix, const char *layer, const char *key, int64_t *deleted,
               int64_t *revision, char *err, size_t errlen)
{
    char path[ENVL_PATH_MAX];
    int rc = layer_path(prefix, layer, key, path, sizeof(path), err, errlen);
    if (rc < 0)
        return rc;
    return etcd_delete(c, path, 0, deleted, revision, err, errlen);
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
