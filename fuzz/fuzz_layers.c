/* libFuzzer target: release/env/layers. The input is split at NUL bytes:
 *
 *   part 0  a key for envl_parse_key (under /berth) and a layer name for
 *           envl_layer_parse; also checked as a KEY, a name and a prefix
 *   part 1  an import buffer (env-file or JSON) for envl_parse_import
 *   part 2  kvs for set a, one "key TAB value" per line (a key not starting
 *           with '/' gets "/berth/" in front)
 *   part 3  "app env dc" the sets are resolved for ('-' or missing: NULL)
 *   part 4  kvs for set b, as part 2
 *
 * and the round trips and merge invariants are checked with abort(). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/layers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "/berth"
#define NPARTS 5

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int layer_same(const envl_layer *a, const envl_layer *b)
{
    return a->kind == b->kind && strcmp(a->app, b->app) == 0 && strcmp(a->env, b->env) == 0 &&
           strcmp(a->dc, b->dc) == 0;
}

/* Index of l in ls[0..n), or -1. */
static int layer_rank(const envl_layer *ls, size_t n, const envl_layer *l)
{
    for (size_t i = 0; i < n; i++)
        if (layer_same(&ls[i], l))
            return (int)i;
    return -1;
}

static void check_key(const char *s)
{
    char err[256], name[ENVL_KEY_MAX + 1], fmt[ENVL_PATH_MAX];
    envl_layer l, l2;
    int r = envl_parse_key(PREFIX, s, &l, name, sizeof(name), err, sizeof(err));
    if (r < 0 && !err[0])
        abort();
    if (r == 1) {
        /* the key rebuilt from its parse is the key */
        if (envl_key_valid(name, err, sizeof(err)) != 0)
            abort();
        if (envl_layer_key(PREFIX, &l, name, fmt, sizeof(fmt)) != 0 || strcmp(fmt, s) != 0)
            abort();
        if (envl_layer_format(&l, fmt, sizeof(fmt)) != 0)
            abort();
        if (envl_layer_parse(fmt, &l2, err, sizeof(err)) != 0 || !layer_same(&l, &l2))
            abort();
    }
    /* small buffers: -EINVAL, never an overrun */
    envl_parse_key(PREFIX, s, &l, name, 2, err, 8);

    err[0] = '\0';
    r = envl_layer_parse(s, &l, err, sizeof(err));
    if (r == 0) {
        if (envl_layer_format(&l, fmt, sizeof(fmt)) != 0 || strcmp(fmt, s) != 0)
            abort();
        size_t len = strlen(s);
        if (envl_layer_format(&l, fmt, len) != -ENOSPC)
            abort();
    } else if (!err[0]) {
        abort();
    }
    envl_key_valid(s, err, sizeof(err));
    envl_name_valid("app", s, err, sizeof(err));
    envl_prefix_valid(s, err, sizeof(err));
}

static void check_import(const char *b, size_t n)
{
    char **k, **v, err[256];
    size_t np;
    if (envl_parse_import(b, n, &k, &v, &np, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < np; i++) {
            if (envl_key_valid(k[i], err, sizeof(err)) != 0)
                abort();
            for (size_t j = 0; j < i; j++)
                if (strcmp(k[i], k[j]) == 0)
                    abort();
        }
        envl_pairs_free(k, v, np);
    } else if (!err[0]) {
        abort();
    }
}

/* Lines "key TAB value" -> kvs (keys without a leading '/' under PREFIX). */
static etcd_kv *make_kvs(const char *s, size_t n, size_t *nkv)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == '\n';
    etcd_kv *kv = calloc(cap, sizeof(*kv));
    size_t k = 0, i = 0;
    while (i < n && k < cap) {
        const char *line = s + i;
        const char *nl = memchr(line, '\n', n - i);
        size_t len = nl ? (size_t)(nl - line) : n - i;
        i += len + 1;
        const char *tab = memchr(line, '\t', len);
        size_t kl = tab ? (size_t)(tab - line) : len;
        const char *val = tab ? tab + 1 : "";
        size_t vl = tab ? len - kl - 1 : 0;
        if (kl && line[0] == '/') {
            kv[k].key = dupn(line, kl);
        } else {
            kv[k].key = malloc(sizeof(PREFIX "/") + kl);
            memcpy(kv[k].key, PREFIX "/", sizeof(PREFIX "/") - 1);
            memcpy(kv[k].key + sizeof(PREFIX "/") - 1, line, kl);
            kv[k].key[sizeof(PREFIX "/") - 1 + kl] = '\0';
        }
        /* a value may hold a NUL: use '\x01' in the input for one */
        kv[k].value = dupn(val, vl);
        for (size_t j = 0; j < vl; j++)
            if (kv[k].value[j] == '\x01')
                kv[k].value[j] = '\0';
        kv[k].value_len = vl;
        kv[k].mod_rev = (int64_t)k + 1;
        k++;
    }
    *nkv = k;
    return kv;
}

static void free_kvs(etcd_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* Checks s (resolved from kvs for app/env/dc) against explain. */
static void check_set(const envl_set *s, const envl_layer *ls, size_t nl, const char *app,
                      const char *env, const char *dc, const etcd_kv *kvs, size_t nkv)
{
    char err[256];
    if (s->n > nkv || s->n_bad > nkv)
        abort();
    for (size_t i = 0; i < s->n_bad; i++)
        if (!s->bad[i].key || !s->bad[i].why || !s->bad[i].why[0])
            abort();
    for (size_t i = 0; i < s->n; i++) {
        const envl_entry *e = &s->e[i];
        if (i && strcmp(s->e[i - 1].key, e->key) >= 0)
            abort();
        if (envl_key_valid(e->key, err, sizeof(err)) != 0)
            abort();
        if (layer_rank(ls, nl, &e->src) < 0)
            abort();
        if (envl_find(s, e->key) != e)
            abort();
        if (e->value[e->value_len] != '\0')
            abort();
        int ok = memchr(e->value, '\n', e->value_len) == NULL &&
                 memchr(e->value, '\0', e->value_len) == NULL;
        if (envl_value_env_ok(e) != ok)
            abort();
        if (i >= 16)
            continue;
        envl_entry *x;
        size_t nx;
        if (envl_explain(PREFIX, app, env, dc, kvs, nkv, e->key, &x, &nx, err, sizeof(err)) != 0)
            abort();
        if (nx != e->n_shadowed + 1)
            abort();
        const envl_entry *w = &x[nx - 1];
        if (strcmp(w->key, e->key) != 0 || !layer_same(&w->src, &e->src) ||
            w->value_len != e->value_len || memcmp(w->value, e->value, e->value_len) != 0 ||
            w->mod_rev != e->mod_rev || w->secret != e->secret)
            abort();
        for (size_t j = 1; j < nx; j++)
            if (layer_rank(ls, nl, &x[j - 1].src) > layer_rank(ls, nl, &x[j].src))
                abort();
        envl_entries_free(x, nx);
    }
    /* the digest covers the sorted KEY=VALUE lines, a secret's value
     * replaced by its revision */
    size_t len = 0;
    for (size_t i = 0; i < s->n; i++)
        len += strlen(s->e[i].key) + s->e[i].value_len + 48;
    char *lines = malloc(len + 1), *p = lines;
    for (size_t i = 0; i < s->n; i++) {
        size_t kl = strlen(s->e[i].key);
        memcpy(p, s->e[i].key, kl);
        p += kl;
        *p++ = '=';
        if (s->e[i].secret) {
            p += sprintf(p, "(secret rev %lld)", (long long)s->e[i].mod_rev);
        } else {
            memcpy(p, s->e[i].value, s->e[i].value_len);
            p += s->e[i].value_len;
        }
        *p++ = '\n';
    }
    len = (size_t)(p - lines);
    char hex[65];
    envl_sha256(lines, len, hex);
    if (strcmp(hex, s->sha256) != 0)
        abort();
    free(lines);
}

static void check_diff(const envl_set *a, const envl_set *b)
{
    envl_diff_row *rows;
    size_t n;
    if (envl_diff(a, b, &rows, &n) != 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        const envl_diff_row *r = &rows[i];
        if (i && strcmp(rows[i - 1].key, r->key) >= 0)
            abort();
        if (!r->a && !r->b)
            abort();
        if (r->a != envl_find(a, r->key) || r->b != envl_find(b, r->key))
            abort();
        if (r->a && r->b && r->a->value_len == r->b->value_len &&
            memcmp(r->a->value, r->b->value, r->a->value_len) == 0 && r->a->secret == r->b->secret)
            abort();
    }
    free(rows);
    /* a set does not differ from itself */
    envl_diff(a, a, &rows, &n);
    if (n != 0)
        abort();
    free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *part[NPARTS] = {0};
    size_t plen[NPARTS] = {0};
    const char *b = (const char *)data;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < NPARTS; i++) {
        if (i == size || (b[i] == '\0' && k + 1 < NPARTS)) {
            part[k] = b + start;
            plen[k] = i - start;
            k++;
            start = i + 1;
        }
    }

    char *p0 = dupn(part[0] ? part[0] : "", plen[0]);
    check_key(p0);
    free(p0);
    if (part[1])
        check_import(part[1], plen[1]);
    check_import(b, size); /* the whole input, NULs and all */

    /* context: "app env dc" */
    char *ctx = dupn(part[3] ? part[3] : "", plen[3]);
    const char *name[3] = {NULL, NULL, NULL};
    char *sp = ctx;
    for (int i = 0; i < 3 && sp; i++) {
        char *q = strchr(sp, ' ');
        if (q)
            *q++ = '\0';
        name[i] = strcmp(sp, "-") == 0 ? NULL : sp;
        sp = q;
    }
    const char *app = name[0], *env = name[1], *dc = name[2];

    size_t na = 0, nb = 0;
    etcd_kv *ka = make_kvs(part[2] ? part[2] : "", plen[2], &na);
    etcd_kv *kb = make_kvs(part[4] ? part[4] : "", plen[4], &nb);
    envl_layer ls[ENVL_N];
    size_t nl = 0;
    char err[256];
    int lrc = envl_layers_for(app, env, dc, ls, &nl, err, sizeof(err));
    envl_set sa, sb;
    int ra = envl_resolve(PREFIX, app, env, dc, ka, na, 7, &sa, err, sizeof(err));
    int rb = envl_resolve(PREFIX, app, env, dc, kb, nb, 8, &sb, err, sizeof(err));
    if ((ra == 0) != (lrc == 0) || (rb == 0) != (lrc == 0))
        abort();
    if (ra == 0) {
        if (sa.revision != 7)
            abort();
        check_set(&sa, ls, nl, app, env, dc, ka, na);
        check_set(&sb, ls, nl, app, env, dc, kb, nb);
        check_diff(&sa, &sb);
    }
    envl_set_clear(&sa);
    envl_set_clear(&sb);
    free_kvs(ka, na);
    free_kvs(kb, nb);
    free(ctx);
    return 0;
}
