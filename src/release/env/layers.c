/*
 * layers: the configuration layers in etcd and their merge (layers.h).
 *
 * The key layout is unambiguous by the number of path segments after P/env/
 * (a KEY and a name never hold a '/'):
 *
 *   2  global/KEY
 *   3  dc/D/KEY, env/E/KEY, app/A/KEY            (by the first segment)
 *   5  env/E/dc/D/KEY, app/A/env/E/KEY           (first, then third segment)
 *   7  app/A/env/E/dc/D/KEY
 *
 * so an app named "env" (P/env/app/env/KEY, 3 segments) or an env named
 * "dc" (P/env/env/dc/dc/x/KEY, 5 segments) reads one way only.
 *
 * The merge is a sort and one pass: each usable kv becomes a candidate
 * (KEY, precedence rank, kv index); candidates sort by (KEY, rank) and the
 * last of each run wins. Secret marks are a sorted array searched with
 * bsearch. O(n log n) over the kvs, whatever their number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "release/env/layers.h"
#include "util/buf.h"
#include "util/xalloc.h"

void envl_sha256(const void *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}

/* A short printable rendering of untrusted text for messages. */
static void show(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
        if (i == 40 && n > 44) {
            snprintf(out + o, outlen - o, "...");
            o += 3;
            break;
        }
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

/* The message's rendering of the input (show) is made only on the error
 * paths: resolve validates every key it reads. */
static int key_validn(const char *key, size_t n, char *err, size_t errlen)
{
    char s[200];
    if (n == 0) {
        snprintf(err, errlen, "KEY '': empty");
        return -EINVAL;
    }
    if (n > ENVL_KEY_MAX) {
        show(key, n, s, sizeof(s));
        snprintf(err, errlen, "KEY '%s': longer than %u bytes", s, ENVL_KEY_MAX);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok) {
            show(key, n, s, sizeof(s));
            snprintf(err, errlen,
                     "KEY '%s': want an environment variable name, [A-Za-z_][A-Za-z0-9_]*", s);
            return -EINVAL;
        }
    }
    return 0;
}

int envl_key_valid(const char *key, char *err, size_t errlen)
{
    return key_validn(key, strlen(key), err, errlen);
}

static int name_validn(const char *what, const char *name, size_t n, char *err, size_t errlen)
{
    char s[200];
    if (n == 0) {
        snprintf(err, errlen, "%s '': empty", what);
        return -EINVAL;
    }
    if (n > ENVL_NAME_MAX) {
        show(name, n, s, sizeof(s));
        snprintf(err, errlen, "%s '%s': longer than %u bytes", what, s, ENVL_NAME_MAX);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(i > 0 && (c == '_' || c == '.' || c == '-'))) {
            show(name, n, s, sizeof(s));
            snprintf(err, errlen, "%s '%s': want [A-Za-z0-9] then [A-Za-z0-9_.-]", what, s);
            return -EINVAL;
        }
    }
    return 0;
}

int envl_name_valid(const char *what, const char *name, char *err, size_t errlen)
{
    return name_validn(what, name, strlen(name), err, errlen);
}

int envl_prefix_valid(const char *prefix, char *err, size_t errlen)
{
    size_t n = strlen(prefix);
    char s[200];
    show(prefix, n, s, sizeof(s));
    if (n < 2 || prefix[0] != '/') {
        snprintf(err, errlen, "prefix '%s': want an absolute path such as /berth", s);
        return -EINVAL;
    }
    if (n > ENVL_PREFIX_MAX) {
        snprintf(err, errlen, "prefix '%s': longer than %u bytes", s, ENVL_PREFIX_MAX);
        return -EINVAL;
    }
    if (prefix[n - 1] == '/') {
        snprintf(err, errlen, "prefix '%s': no trailing '/'", s);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (c <= 0x20 || c >= 0x7f) {
            snprintf(err, errlen, "prefix '%s': blanks and control bytes are not allowed", s);
            return -EINVAL;
        }
        if (c == '/' && prefix[i + 1] == '/') {
            snprintf(err, errlen, "prefix '%s': no '//'", s);
            return -EINVAL;
        }
    }
    return 0;
}

/* Path segments of s[0..n) split at '/'; at most max; -1 when more. */
typedef struct seg {
    const char *p;
    size_t n;
} seg;

static int split(const char *s, size_t n, seg *out, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '/') {
            if (k == max)
                return -1;
            out[k].p = s + start;
            out[k].n = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static int seg_is(const seg *g, const char *lit)
{
    return g->n == strlen(lit) && memcmp(g->p, lit, g->n) == 0;
}

static void seg_copy(const seg *g, char *out)
{
    memcpy(out, g->p, g->n);
    out[g->n] = '\0';
}

/* The layer in segs[0..k) (no KEY). 0 or -EINVAL. */
static int layer_from(const seg *g, int k, envl_layer *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    const char *shape = "want global, dc/D, env/E, env/E/dc/D, app/A, app/A/env/E or "
                        "app/A/env/E/dc/D";
    int rc;
    if (k == 1 && seg_is(&g[0], "global")) {
        l->kind = ENVL_GLOBAL;
        return 0;
    }
    if (k == 2 && seg_is(&g[0], "dc")) {
        if ((rc = name_validn("dc", g[1].p, g[1].n, err, errlen)) < 0)
            return rc;
        l->kind = ENVL_DC;
        seg_copy(&g[1], l->dc);
        return 0;
    }
    if ((k == 2 || k == 4) && seg_is(&g[0], "env")) {
        if ((rc = name_validn("env", g[1].p, g[1].n, err, errlen)) < 0)
            return rc;
        seg_copy(&g[1], l->env);
        if (k == 2) {
            l->kind = ENVL_ENV;
            return 0;
        }
        if (!seg_is(&g[2], "dc"))
            goto bad;
        if ((rc = name_validn("dc", g[3].p, g[3].n, err, errlen)) < 0)
            return rc;
        seg_copy(&g[3], l->dc);
        l->kind = ENVL_ENV_DC;
        return 0;
    }
    if ((k == 2 || k == 4 || k == 6) && seg_is(&g[0], "app")) {
        if ((rc = name_validn("app", g[1].p, g[1].n, err, errlen)) < 0)
            return rc;
        seg_copy(&g[1], l->app);
        if (k == 2) {
            l->kind = ENVL_APP;
            return 0;
        }
        if (!seg_is(&g[2], "env"))
            goto bad;
        if ((rc = name_validn("env", g[3].p, g[3].n, err, errlen)) < 0)
            return rc;
        seg_copy(&g[3], l->env);
        if (k == 4) {
            l->kind = ENVL_APP_ENV;
            return 0;
        }
        if (!seg_is(&g[4], "dc"))
            goto bad;
        if ((rc = name_validn("dc", g[5].p, g[5].n, err, errlen)) < 0)
            return rc;
        seg_copy(&g[5], l->dc);
        l->kind = ENVL_APP_ENV_DC;
        return 0;
    }
bad:
    snprintf(err, errlen, "not a layer: %s", shape);
    return -EINVAL;
}

int envl_layer_parse(const char *s, envl_layer *out, char *err, size_t errlen)
{
    seg g[6];
    size_t n = strlen(s);
    int k = split(s, n, g, 6);
    char sh[200];
    show(s, n, sh, sizeof(sh));
    char why[256];
    if (k < 0 || layer_from(g, k, out, why, sizeof(why)) < 0) {
        if (k < 0)
            snprintf(why, sizeof(why), "too many '/'");
        snprintf(err, errlen, "layer '%s': %s", sh, why);
        return -EINVAL;
    }
    return 0;
}

int envl_layer_format(const envl_layer *l, char *out, size_t outlen)
{
    int w;
    switch (l->kind) {
    case ENVL_GLOBAL:
        w = snprintf(out, outlen, "global");
        break;
    case ENVL_DC:
        w = snprintf(out, outlen, "dc/%s", l->dc);
        break;
    case ENVL_ENV:
        w = snprintf(out, outlen, "env/%s", l->env);
        break;
    case ENVL_ENV_DC:
        w = snprintf(out, outlen, "env/%s/dc/%s", l->env, l->dc);
        break;
    case ENVL_APP:
        w = snprintf(out, outlen, "app/%s", l->app);
        break;
    case ENVL_APP_ENV:
        w = snprintf(out, outlen, "app/%s/env/%s", l->app, l->env);
        break;
    case ENVL_APP_ENV_DC:
        w = snprintf(out, outlen, "app/%s/env/%s/dc/%s", l->app, l->env, l->dc);
        break;
    default:
        return -EINVAL;
    }
    if (w < 0 || (size_t)w >= outlen)
        return -ENOSPC;
    return 0;
}

int envl_layer_key(const char *prefix, const envl_layer *l, const char *key, char *out,
                   size_t outlen)
{
    char name[3 * ENVL_NAME_MAX + 32];
    int rc = envl_layer_format(l, name, sizeof(name));
    if (rc < 0)
        return rc;
    int w = snprintf(out, outlen, "%s/env/%s/%s", prefix, name, key ? key : "");
    if (w < 0 || (size_t)w >= outlen)
        return -ENOSPC;
    return 0;
}

int envl_secret_key(const char *prefix, const char *key, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s/secret/%s", prefix, key);
    return (w < 0 || (size_t)w >= outlen) ? -ENOSPC : 0;
}

int envl_spec_key(const char *prefix, const char *app, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s/apps/%s/spec", prefix, app);
    return (w < 0 || (size_t)w >= outlen) ? -ENOSPC : 0;
}

static int given(const char *s)
{
    return s && *s;
}

int envl_layers_for(const char *app, const char *env, const char *dc, envl_layer out[ENVL_N],
                    size_t *n, char *err, size_t errlen)
{
    int rc;
    if (given(app) && (rc = envl_name_valid("app", app, err, errlen)) < 0)
        return rc;
    if (given(env) && (rc = envl_name_valid("env", env, err, errlen)) < 0)
        return rc;
    if (given(dc) && (rc = envl_name_valid("dc", dc, err, errlen)) < 0)
        return rc;
    size_t k = 0;
    for (int kind = 0; kind < ENVL_N; kind++) {
        int need_app = kind >= ENVL_APP;
        int need_env = kind == ENVL_ENV || kind == ENVL_ENV_DC || kind == ENVL_APP_ENV ||
                       kind == ENVL_APP_ENV_DC;
        int need_dc = kind == ENVL_DC || kind == ENVL_ENV_DC || kind == ENVL_APP_ENV_DC;
        if ((need_app && !given(app)) || (need_env && !given(env)) || (need_dc && !given(dc)))
            continue;
        envl_layer *l = &out[k++];
        memset(l, 0, sizeof(*l));
        l->kind = (envl_kind)kind;
        if (need_app)
            snprintf(l->app, sizeof(l->app), "%s", app);
        if (need_env)
            snprintf(l->env, sizeof(l->env), "%s", env);
        if (need_dc)
            snprintf(l->dc, sizeof(l->dc), "%s", dc);
    }
    *n = k;
    return 0;
}

/* key under prefix + "/" + sub + "/": the rest, else NULL. */
static const char *under(const char *prefix, size_t plen, const char *key, const char *sub)
{
    if (strncmp(key, prefix, plen) != 0 || key[plen] != '/')
        return NULL;
    size_t sl = strlen(sub);
    if (strncmp(key + plen + 1, sub, sl) != 0 || key[plen + 1 + sl] != '/')
        return NULL;
    return key + plen + 1 + sl + 1;
}

int envl_parse_key(const char *prefix, const char *key, envl_layer *layer, char *name,
                   size_t namelen, char *err, size_t errlen)
{
    const char *rest = under(prefix, strlen(prefix), key, "env");
    if (!rest)
        return 0;
    seg g[8];
    size_t n = strlen(rest);
    int k = split(rest, n, g, 8);
    char why[256];
    if (k < 0) {
        snprintf(err, errlen, "too many '/' after %s/env/", prefix);
        return -EINVAL;
    }
    if (k < 2) {
        snprintf(err, errlen, "no KEY after the layer");
        return -EINVAL;
    }
    if (layer_from(g, k - 1, layer, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s", why);
        return -EINVAL;
    }
    const seg *kk = &g[k - 1];
    if (key_validn(kk->p, kk->n, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s", why);
        return -EINVAL;
    }
    if (kk->n >= namelen) {
        snprintf(err, errlen, "KEY longer than the caller's buffer");
        return -EINVAL;
    }
    seg_copy(kk, name);
    return 1;
}

/* ---- merge ---- */

typedef struct cand {
    const char *key; /* points into the kv's key */
    int rank;        /* index in the layers for (app, env, dc): precedence */
    size_t kv;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->kv < y->kv ? -1 : x->kv > y->kv;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int layer_eq(const envl_layer *a, const envl_layer *b)
{
    return a->kind == b->kind && strcmp(a->app, b->app) == 0 && strcmp(a->env, b->env) == 0 &&
           strcmp(a->dc, b->dc) == 0;
}

/* The kvs' parse: candidates of the wanted layers, the secret marks and the
 * problems. Shared by resolve and explain. */
typedef struct scan {
    cand *c;
    size_t nc;
    const char **secret; /* sorted, pointing into the kvs' keys */
    size_t ns;
    envl_problem *bad;
    size_t nbad;
    envl_layer layers[ENVL_N];
    size_t nl;
} scan;

static void scan_free(scan *s)
{
    free(s->c);
    free(s->secret);
    for (size_t i = 0; i < s->nbad; i++) {
        free(s->bad[i].key);
        free(s->bad[i].why);
    }
    free(s->bad);
    memset(s, 0, sizeof(*s));
}

static int scan_kvs(const char *prefix, const char *app, const char *env, const char *dc,
                    const etcd_kv *kvs, size_t n, const char *only, scan *s, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof(*s));
    int rc = envl_prefix_valid(prefix, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = envl_layers_for(app, env, dc, s->layers, &s->nl, err, errlen)) < 0)
        return rc;
    size_t plen = strlen(prefix);
    s->c = xcalloc(n ? n : 1, sizeof(*s->c));
    s->secret = xcalloc(n ? n : 1, sizeof(*s->secret));
    size_t capbad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = kvs[i].key;
        if (!k)
            continue;
        const char *sec = under(prefix, plen, k, "secret");
        char why[256];
        if (sec) {
            char kwhy[200];
            if (key_validn(sec, strlen(sec), kwhy, sizeof(kwhy)) == 0) {
                s->secret[s->ns++] = sec;
                continue;
            }
            snprintf(why, sizeof(why), "secret mark: %s", kwhy);
            goto problem;
        }
        envl_layer l;
        char name[ENVL_KEY_MAX + 1];
        int r = envl_parse_key(prefix, k, &l, name, sizeof(name), why, sizeof(why));
        if (r == 0)
            continue;
        if (r < 0)
            goto problem;
        for (size_t j = 0; j < s->nl; j++) {
            if (layer_eq(&l, &s->layers[j])) {
                const char *kp = k + strlen(k) - strlen(name);
                if (only && strcmp(only, kp) != 0)
                    break;
                s->c[s->nc].key = kp;
                s->c[s->nc].rank = (int)j;
                s->c[s->nc].kv = i;
                s->nc++;
                break;
            }
        }
        continue;
    problem:
        if (s->nbad == capbad) {
            capbad = capbad ? 2 * capbad : 16;
            s->bad = xrealloc(s->bad, capbad * sizeof(*s->bad));
        }
        s->bad[s->nbad].key = xstrdup(k);
        s->bad[s->nbad].why = xstrdup(why);
        s->nbad++;
    }
    qsort(s->c, s->nc, sizeof(*s->c), cand_cmp);
    qsort(s->secret, s->ns, sizeof(*s->secret), str_cmp);
    return 0;
}

static int is_secret(const scan *s, const char *key)
{
    return bsearch(&key, s->secret, s->ns, sizeof(*s->secret), str_cmp) != NULL;
}

static void entry_fill(envl_entry *e, const scan *s, const cand *c, const etcd_kv *kvs)
{
    const etcd_kv *kv = &kvs[c->kv];
    e->key = xstrdup(c->key);
    e->value_len = kv->value ? kv->value_len : 0;
    e->value = xmalloc(e->value_len + 1);
    if (e->value_len)
        memcpy(e->value, kv->value, e->value_len);
    e->value[e->value_len] = '\0';
    e->src = s->layers[c->rank];
    e->mod_rev = kv->mod_rev;
    e->secret = is_secret(s, c->key);
}

int envl_resolve(const char *prefix, const char *app, const char *env, const char *dc,
                 const etcd_kv *kvs, size_t n, int64_t revision, envl_set *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof(*out));
    scan s;
    int rc = scan_kvs(prefix, app, env, dc, kvs, n, NULL, &s, err, errlen);
    if (rc < 0) {
        scan_free(&s);
        return rc;
    }
    out->e = xcalloc(s.nc ? s.nc : 1, sizeof(*out->e));
    buf lines = BUF_INIT;
    for (size_t i = 0; i < s.nc;) {
        size_t j = i;
        while (j + 1 < s.nc && strcmp(s.c[j + 1].key, s.c[i].key) == 0)
            j++;
        envl_entry *e = &out->e[out->n++];
        entry_fill(e, &s, &s.c[j], kvs);
        e->n_shadowed = j - i;
        buf_puts(&lines, e->key);
        buf_putc(&lines, '=');
        /* The digest goes into a container label, which `docker inspect`
         * shows: a secret's value in it would let anyone who can read the
         * label test guesses of a weak password offline. Its revision
         * (unique in the store) changes when the value does. */
        if (e->secret)
            buf_printf(&lines, "(secret rev %lld)", (long long)e->mod_rev);
        else
            buf_append(&lines, e->value, e->value_len);
        buf_putc(&lines, '\n');
        i = j + 1;
    }
    envl_sha256(lines.data ? lines.data : "", lines.len, out->sha256);
    if (lines.data)
        OPENSSL_cleanse(lines.data, lines.len);
    buf_free(&lines);
    out->revision = revision;
    out->bad = s.bad;
    out->n_bad = s.nbad;
    s.bad = NULL;
    s.nbad = 0;
    scan_free(&s);
    return 0;
}

void envl_entries_free(envl_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++) {
        free(e[i].key);
        if (e[i].value)
            OPENSSL_cleanse(e[i].value, e[i].value_len);
        free(e[i].value);
    }
    free(e);
}

void envl_set_clear(envl_set *s)
{
    if (!s)
        return;
    envl_entries_free(s->e, s->n);
    for (size_t i = 0; i < s->n_bad; i++) {
        free(s->bad[i].key);
        free(s->bad[i].why);
    }
    free(s->bad);
    memset(s, 0, sizeof(*s));
}

static int entry_key_cmp(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const envl_entry *)e)->key);
}

const envl_entry *envl_find(const envl_set *s, const char *key)
{
    if (!s || !s->n)
        return NULL;
    return bsearch(key, s->e, s->n, sizeof(*s->e), entry_key_cmp);
}

int envl_value_env_ok(const envl_entry *e)
{
    for (size_t i = 0; i < e->value_len; i++)
        if (e->value[i] == '\0' || e->value[i] == '\n')
            return 0;
    return 1;
}

int envl_explain(const char *prefix, const char *app, const char *env, const char *dc,
                 const etcd_kv *kvs, size_t n, const char *key, envl_entry **out, size_t *nout,
                 char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    int rc = envl_key_valid(key, err, errlen);
    if (rc < 0)
        return rc;
    scan s;
    if ((rc = scan_kvs(prefix, app, env, dc, kvs, n, key, &s, err, errlen)) < 0) {
        scan_free(&s);
        return rc;
    }
    if (s.nc) {
        *out = xcalloc(s.nc, sizeof(**out));
        for (size_t i = 0; i < s.nc; i++) {
            entry_fill(&(*out)[i], &s, &s.c[i], kvs);
            (*out)[i].n_shadowed = i;
        }
        *nout = s.nc;
    }
    scan_free(&s);
    return 0;
}

static int entry_same(const envl_entry *a, const envl_entry *b)
{
    return a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0 &&
           !a->secret == !b->secret;
}

int envl_diff(const envl_set *a, const envl_set *b, envl_diff_row **rows, size_t *n)
{
    size_t na = a ? a->n : 0, nb = b ? b->n : 0;
    *rows = xcalloc(na + nb + 1, sizeof(**rows));
    *n = 0;
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a->e[i].key, b->e[j].key);
        envl_diff_row *r = &(*rows)[*n];
        if (c < 0) {
            r->key = a->e[i].key;
            r->a = &a->e[i++];
            r->b = NULL;
            (*n)++;
        } else if (c > 0) {
            r->key = b->e[j].key;
            r->a = NULL;
            r->b = &b->e[j++];
            (*n)++;
        } else {
            if (!entry_same(&a->e[i], &b->e[j])) {
                r->key = a->e[i].key;
                r->a = &a->e[i];
                r->b = &b->e[j];
                (*n)++;
            }
            i++;
            j++;
        }
    }
    return 0;
}

/* ---- import ---- */

typedef struct pairs {
    char **k, **v;
    size_t *line;
    size_t n, cap;
} pairs;

static void pairs_add(pairs *p, char *k, char *v, size_t line)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->k = xrealloc(p->k, p->cap * sizeof(*p->k));
        p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
        p->line = xrealloc(p->line, p->cap * sizeof(*p->line));
    }
    p->k[p->n] = k;
    p->v[p->n] = v;
    p->line[p->n] = line;
    p->n++;
}

static char *dupn(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int import_env(const char *text, size_t len, pairs *p, char *err, size_t errlen)
{
    size_t line = 0;
    size_t i = 0;
    while (i < len) {
        line++;
        const char *s = text + i;
        const char *nl = memchr(s, '\n', len - i);
        size_t n = nl ? (size_t)(nl - s) : len - i;
        i += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r')
            n--;
        if (memchr(s, '\0', n)) {
            snprintf(err, errlen, "line %zu: a NUL byte", line);
            return -EINVAL;
        }
        size_t b = 0;
        while (b < n && (s[b] == ' ' || s[b] == '\t'))
            b++;
        if (b == n || s[b] == '#')
            continue;
        const char *eq = memchr(s + b, '=', n - b);
        if (!eq) {
            snprintf(err, errlen, "line %zu: want KEY=VALUE", line);
            return -EINVAL;
        }
        char why[256];
        if (key_validn(s + b, (size_t)(eq - (s + b)), why, sizeof(why)) < 0) {
            snprintf(err, errlen, "line %zu: %s", line, why);
            return -EINVAL;
        }
        const char *v = eq + 1;
        pairs_add(p, dupn(s + b, (size_t)(eq - (s + b))), dupn(v, (size_t)(s + n - v)), line);
    }
    return 0;
}

static int import_json(const char *text, size_t len, pairs *p, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "line %d: %s", je.line, je.text);
        return -EINVAL;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "line 1: want a JSON object of strings");
        rc = -EINVAL;
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        char why[256];
        if (key_validn(k, strlen(k), why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s", why);
            rc = -EINVAL;
            goto out;
        }
        if (!json_is_string(v)) {
            snprintf(err, errlen, "KEY '%s': want a string value", k);
            rc = -EINVAL;
            goto out;
        }
        pairs_add(p, xstrdup(k), dupn(json_string_value(v), json_string_length(v)), 0);
    }
out:
    json_decref(root);
    return rc;
}

typedef struct pref {
    const char *key;
    size_t line;
} pref;

static int pref_cmp(const void *a, const void *b)
{
    const pref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->line < y->line ? -1 : x->line > y->line);
}

int envl_parse_import(const char *text, size_t len, char ***keys, char ***values, size_t *n,
                      char *err, size_t errlen)
{
    *keys = NULL;
    *values = NULL;
    *n = 0;
    pairs p = {0};
    size_t b = 0;
    while (b < len && (text[b] == ' ' || text[b] == '\t' || text[b] == '\r' || text[b] == '\n'))
        b++;
    int rc = (b < len && text[b] == '{') ? import_json(text, len, &p, err, errlen)
                                         : import_env(text, len, &p, err, errlen);
    if (rc == 0 && p.n > 1) {
        /* A repeated KEY is a mistake in the file, not a silent override. */
        pref *idx = xmalloc(p.n * sizeof(*idx));
        for (size_t i = 0; i < p.n; i++) {
            idx[i].key = p.k[i];
            idx[i].line = p.line[i];
        }
        qsort(idx, p.n, sizeof(*idx), pref_cmp);
        for (size_t i = 1; i < p.n; i++) {
            if (strcmp(idx[i - 1].key, idx[i].key) == 0) {
                snprintf(err, errlen, "line %zu: KEY '%s' repeated (first on line %zu)",
                         idx[i].line, idx[i].key, idx[i - 1].line);
                rc = -EINVAL;
                break;
            }
        }
        free(idx);
    }
    free(p.line);
    if (rc < 0) {
        envl_pairs_free(p.k, p.v, p.n);
        return rc;
    }
    *keys = p.k;
    *values = p.v;
    *n = p.n;
    return 0;
}

void envl_pairs_free(char **keys, char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(keys ? keys[i] : NULL);
        if (values && values[i]) {
            OPENSSL_cleanse(values[i], strlen(values[i]));
            free(values[i]);
        }
    }
    free(keys);
    free(values);
}
