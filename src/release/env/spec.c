/*
 * spec: an app's launch spec, JSON or YAML -> app_spec (spec.h).
 *
 * Two stages, so there is one set of rules whatever the syntax:
 *
 *  1. the text becomes a jansson tree. JSON through json_loadb (duplicate
 *     keys refused); YAML through libyaml's event parser, resolving plain
 *     scalars with the YAML 1.2 core schema (null, true/false, integers,
 *     floats; "no" stays a string, so `restart: no` means what it says).
 *     Quoted scalars stay strings. A plain integer with a leading zero
 *     ("0440") stays a string too: YAML 1.1 reads it as octal, 1.2 as
 *     decimal, and a file mode is the one place it is written, so the
 *     mode parser reads it as octal instead of guessing. Anchors, aliases,
 *     tags and a second document are refused: a launch spec has no use
 *     for them and aliases are the YAML bomb. Depth and node count are
 *     capped (YAML_MAX_DEPTH, YAML_MAX_NODES).
 *
 *  2. one validator walks the tree and fills the struct. Each field has
 *     its own small function; the field path ("ports[1].host") goes down
 *     with it so every message names what is wrong. A null value is the
 *     same as an absent field (YAML's `tag:` with nothing after it).
 *
 * The parse fills a local struct and copies it out only when all of it is
 * valid, so on error *out is zeroed and nothing leaks.
 *
 * spec_hash builds a second tree from the struct itself (every field, the
 * defaults included) and hashes its sorted compact dump: a spec written in
 * JSON or YAML, in any order, with or without its defaults spelled out,
 * hashes the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "release/env/layers.h"
#include "release/env/spec.h"
#include "util/xalloc.h"

#define YAML_MAX_DEPTH  32
#define YAML_MAX_NODES  65536
#define PATH_LEN        192
#define DURATION_MAX_MS (24LL * 3600 * 1000) /* a day: beyond it is a typo */
#define SIZE_MAX_BYTES  (1LL << 50)          /* 1 PiB */
#define NAME_MAX_LEN    255u

/* ------------------------------------------------------------------ */
/* YAML -> json_t                                                      */

typedef struct yframe {
    json_t *node; /* borrowed: owned by its parent (or it is the root) */
    char *key;    /* a mapping's key waiting for its value */
} yframe;

typedef struct yconv {
    yframe st[YAML_MAX_DEPTH];
    int depth;
    size_t nodes;
    json_t *root;
    int docs;
    char *err;
    size_t errlen;
} yconv;

static int yfail(yconv *y, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int yfail(yconv *y, const yaml_mark_t *m, const char *fmt, ...)
{
    int o = snprintf(y->err, y->errlen, "spec: line %zu column %zu: ", m->line + 1, m->column + 1);
    if (o >= 0 && (size_t)o < y->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(y->err + o, y->errlen - (size_t)o, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int match_all(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The core schema's reading of a plain scalar. */
static json_t *plain_scalar(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '~') || !strcmp(s, "null") || !strcmp(s, "Null") ||
        !strcmp(s, "NULL"))
        return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return json_false();
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (match_all(s, i, n)) {
        if (s[i] == '0' && n - i > 1)
            return json_stringn(s, n); /* "0440": see the top of the file */
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0')
            return json_integer(v);
        return json_stringn(s, n); /* out of range: the validator says so */
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    size_t j = i, digits = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++, digits++;
    if (j < n && s[j] == '.') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++, digits++;
    }
    if (digits && j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '-' || s[j] == '+'))
            j++;
        size_t e0 = j;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j == e0)
            digits = 0;
    }
    if (digits && j == n) {
        char *end;
        double d = strtod(s, &end);
        if (*end == '\0' && d == d && d - d == 0) /* finite */
            return json_real(d);
    }
    return json_stringn(s, n);
}

/* Puts v (owned) under the open container, or makes it the root. */
static int yattach(yconv *y, json_t *v, const yaml_mark_t *m)
{
    if (!v)
        return yfail(y, m, "not valid UTF-8");
    if (++y->nodes > YAML_MAX_NODES) {
        json_decref(v);
        return yfail(y, m, "more than %d values", YAML_MAX_NODES);
    }
    if (y->depth == 0) {
        if (y->root) {
            json_decref(v);
            return yfail(y, m, "a second document");
        }
        y->root = v;
        return 0;
    }
    yframe *f = &y->st[y->depth - 1];
    if (json_is_array(f->node))
        return json_array_append_new(f->node, v) ? yfail(y, m, "out of memory") : 0;
    int rc = json_object_set_new(f->node, f->key, v);
    free(f->key);
    f->key = NULL;
    return rc ? yfail(y, m, "out of memory") : 0;
}

static int yevent(yconv *y, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++y->docs > 1)
            return yfail(y, m, "a second YAML document: a spec is one document");
        if (ev->data.document_start.tag_directives.start !=
            ev->data.document_start.tag_directives.end)
            return yfail(y, m, "%%TAG directives are not supported");
        return 0;
    case YAML_ALIAS_EVENT:
        return yfail(y, m, "aliases (*%s) are not supported", (char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        const yaml_char_t *anchor = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.anchor
                                    : ev->type == YAML_SEQUENCE_START_EVENT
                                        ? ev->data.sequence_start.anchor
                                        : ev->data.mapping_start.anchor;
        const yaml_char_t *tag = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.tag
                                 : ev->type == YAML_SEQUENCE_START_EVENT
                                     ? ev->data.sequence_start.tag
                                     : ev->data.mapping_start.tag;
        if (anchor)
            return yfail(y, m, "anchors (&%s) are not supported", (const char *)anchor);
        if (tag)
            return yfail(y, m, "tags (%s) are not supported", (const char *)tag);
        yframe *f = y->depth ? &y->st[y->depth - 1] : NULL;
        int want_key = f && json_is_object(f->node) && !f->key;
        if (ev->type == YAML_SCALAR_EVENT) {
            const char *s = (const char *)ev->data.scalar.value;
            size_t n = ev->data.scalar.length;
            if (strlen(s) != n)
                return yfail(y, m, "a NUL byte in a string");
            if (want_key) {
                if (json_object_get(f->node, s))
                    return yfail(y, m, "duplicate key '%.64s'", s);
                f->key = xstrdup(s);
                return 0;
            }
            json_t *v = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, n)
                                                                         : json_stringn(s, n);
            return yattach(y, v, m);
        }
        if (want_key)
            return yfail(y, m, "a key must be a plain string");
        if (y->depth >= YAML_MAX_DEPTH)
            return yfail(y, m, "nested deeper than %d", YAML_MAX_DEPTH);
        json_t *c = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
        int rc = yattach(y, json_incref(c), m);
        if (rc < 0) {
            json_decref(c);
            return rc;
        }
        y->st[y->depth].node = c;
        y->st[y->depth].key = NULL;
        y->depth++;
        json_decref(c); /* the parent (or root) holds it */
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (y->depth > 0) {
            y->depth--;
            free(y->st[y->depth].key);
            y->st[y->depth].key = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

static int yaml_to_json(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
{
    yconv y = {.err = err, .errlen = errlen};
    yaml_parser_t p;
    int rc = 0, done = 0;
    *out = NULL;
    if (!yaml_parser_initialize(&p))
        abort();
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(err, errlen, "spec: line %zu column %zu: %s%s%s", p.problem_mark.line + 1,
                     p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML",
                     p.context ? " " : "", p.context ? p.context : "");
            rc = -EINVAL;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = yevent(&y, &ev);
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&p);
    for (int i = 0; i < y.depth; i++)
        free(y.st[i].key);
    if (rc == 0 && !y.root) {
        snprintf(err, errlen, "spec: empty");
        rc = -EINVAL;
    }
    if (rc < 0) {
        json_decref(y.root);
        return rc;
    }
    *out = y.root;
    return 0;
}

/* ------------------------------------------------------------------ */
/* validation: json_t -> app_spec                                      */

typedef struct vctx {
    char *err;
    size_t errlen;
} vctx;

static int fail(vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(vctx *c, const char *path, const char *fmt, ...)
{
    int o = snprintf(c->err, c->errlen, "%s: ", path[0] ? path : "spec");
    if (o >= 0 && (size_t)o < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + o, c->errlen - (size_t)o, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* A short rendering of a value for "got ..." (strings quoted, cut at 40
 * bytes, control bytes escaped). */
static const char *got(const json_t *v, char *b, size_t n)
{
    if (!v)
        return "?";
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v), o = 0;
        b[o++] = '\'';
        for (size_t i = 0; i < len && o + 8 < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (i == 40 && len > 44) {
                o += (size_t)snprintf(b + o, n - o, "...");
                break;
            }
            if (ch < 0x20 || ch == 0x7f)
                o += (size_t)snprintf(b + o, n - o, "\\x%02x", ch);
            else
                b[o++] = (char)ch;
        }
        snprintf(b + o, n - o, "'");
        return b;
    }
    case JSON_INTEGER:
        snprintf(b, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return b;
    case JSON_REAL:
        snprintf(b, n, "%g", json_real_value(v));
        return b;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    case JSON_ARRAY:
        return "a list";
    default:
        return "an object";
    }
}

#define GOT(v) got((v), gb, sizeof(gb))

static void join(char *out, const char *path, const char *name)
{
    snprintf(out, PATH_LEN, "%s%s%s", path, path[0] ? "." : "", name);
}

static void index_path(char *out, const char *path, size_t i)
{
    snprintf(out, PATH_LEN, "%s[%zu]", path, i);
}

/* v, or NULL when absent or null. */
static json_t *field(const json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_null(v) ? NULL : v;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known field a mistyped one probably meant, or NULL. */
static const char *suggest(const char *key, const char *const *known)
{
    static const char *const alias[][2] = {
        {"env", "env_keys"},
        {"environment", "env_keys"},
        {"cmd", "command"},
        {"working_dir", "workdir"},
        {"mem_limit", "memory"},
        {"mem", "memory"},
        {"cpu", "cpus"},
        {"readonly", "read_only"},
        {"signal", "reload_signal"},
        {"healthcheck", "health"},
        {"stop_grace_period", "stop_timeout"},
    };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
        if (!strcmp(key, alias[i][0]))
            for (size_t k = 0; known[k]; k++)
                if (!strcmp(known[k], alias[i][1]))
                    return known[k];
    const char *best = NULL, *prefix = NULL;
    size_t bestd = 3;
    size_t kl = strlen(key);
    for (size_t k = 0; known[k]; k++) {
        size_t l = strlen(known[k]);
        size_t shorter = l < kl ? l : kl;
        if (!prefix && shorter >= 4 && !strncmp(key, known[k], shorter))
            prefix = known[k];
        size_t d = edit_distance(key, known[k]);
        if (d < bestd && d < l / 2 + 1) {
            best = known[k];
            bestd = d;
        }
    }
    /* a near miss ("hostip") before a shared prefix ("healthcheck") */
    return best ? best : prefix;
}

static int check_fields(vctx *c, const char *path, const json_t *o, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        size_t k = 0;
        while (known[k] && strcmp(known[k], key) != 0)
            k++;
        if (known[k])
            continue;
        char p[PATH_LEN];
        join(p, path, key);
        const char *s = suggest(key, known);
        if (s)
            return fail(c, p, "unknown field (did you mean '%s'?)", s);
        return fail(c, p, "unknown field");
    }
    return 0;
}

static int want_object(vctx *c, const char *path, const json_t *v)
{
    char gb[96];
    if (json_is_object(v))
        return 0;
    return fail(c, path, "want an object, got %s", GOT(v));
}

static int want_list(vctx *c, const char *path, const json_t *v, const char *what)
{
    char gb[96];
    if (!json_is_array(v))
        return fail(c, path, "want a list of %s, got %s", what, GOT(v));
    if (json_array_size(v) > SPEC_MAX_ITEMS)
        return fail(c, path, "%zu items, at most %u", json_array_size(v), SPEC_MAX_ITEMS);
    return 0;
}

/* A string without NUL bytes, borrowed from v. */
static int get_str(vctx *c, const char *path, const json_t *v, const char **out)
{
    char gb[96];
    if (!json_is_string(v))
        return fail(c, path, "want a string, got %s", GOT(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(c, path, "a NUL byte in the string");
    *out = json_string_value(v);
    return 0;
}

static int dup_str(vctx *c, const char *path, const json_t *v, char **out)
{
    const char *s;
    int rc = get_str(c, path, v, &s);
    if (rc == 0)
        *out = xstrdup(s);
    return rc;
}

static int get_bool(vctx *c, const char *path, const json_t *v, int *out)
{
    char gb[96];
    if (!json_is_boolean(v))
        return fail(c, path, "want true or false, got %s", GOT(v));
    *out = json_is_true(v);
    return 0;
}

static int get_int(vctx *c, const char *path, const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    char gb[96];
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(c, path, "want an integer %lld-%lld, got %s", (long long)lo, (long long)hi,
                    GOT(v));
    *out = json_integer_value(v);
    return 0;
}

static int has_dotdot(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return 1;
    return 0;
}

static int abs_path_str(vctx *c, const char *path, const char *s, const json_t *v)
{
    char gb[96];
    if (s[0] != '/')
        return fail(c, path, "want an absolute path, got %s", GOT(v));
    if (has_dotdot(s))
        return fail(c, path, "no '..' in the path, got %s", GOT(v));
    if (!strcmp(s, "/"))
        return fail(c, path, "not '/'");
    if (strlen(s) > 4095)
        return fail(c, path, "longer than 4095 bytes");
    return 0;
}

static int get_abs_path(vctx *c, const char *path, const json_t *v, char **out)
{
    const char *s;
    int rc = get_str(c, path, v, &s);
    if (rc == 0)
        rc = abs_path_str(c, path, s, v);
    if (rc == 0)
        *out = xstrdup(s);
    return rc;
}

/* A checker for one list item: 0 or fail(). May rewrite *s (malloc'd). */
typedef int (*item_fn)(vctx *c, const char *path, const json_t *v, char **s);

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A list of strings. A present list is never NULL, even empty: env_keys
 * [] (no env vars) is not env_keys absent (every key). */
static int str_list(vctx *c, const char *path, const json_t *v, const char *what, item_fn check,
                    char ***out, size_t *nout)
{
    int rc = want_list(c, path, v, what);
    if (rc < 0)
        return rc;
    size_t n = json_array_size(v);
    char **a = xcalloc(n ? n : 1, sizeof(*a));
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN];
        index_path(p, path, i);
        json_t *e = json_array_get(v, i);
        if ((rc = dup_str(c, p, e, &a[i])) < 0 || (check && (rc = check(c, p, e, &a[i])) < 0)) {
            strv_free(a, n);
            return rc;
        }
    }
    *out = a;
    *nout = n;
    return 0;
}

/* An object of strings -> pairs sorted by key (so the struct does not
 * depend on the document's order). */
static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const spec_kv *)a)->key, ((const spec_kv *)b)->key);
}

static void kv_free(spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static int kv_object(vctx *c, const char *path, const json_t *v, const char *refuse_prefix,
                     spec_kv **out, size_t *nout)
{
    int rc = want_object(c, path, v);
    if (rc < 0)
        return rc;
    size_t n = json_object_size(v), i = 0;
    if (n > SPEC_MAX_ITEMS)
        return fail(c, path, "%zu entries, at most %u", n, SPEC_MAX_ITEMS);
    spec_kv *kv = xcalloc(n ? n : 1, sizeof(*kv));
    const char *key;
    json_t *e;
    json_object_foreach((json_t *)v, key, e)
    {
        char p[PATH_LEN];
        join(p, path, key);
        if (!key[0] || strlen(key) > NAME_MAX_LEN) {
            rc = fail(c, path, "a key of 1-%u bytes, got one of %zu", NAME_MAX_LEN, strlen(key));
            goto out;
        }
        if (refuse_prefix && !strncmp(key, refuse_prefix, strlen(refuse_prefix))) {
            rc = fail(c, p, "the %s labels are berth's own", refuse_prefix);
            goto out;
        }
        if ((rc = dup_str(c, p, e, &kv[i].value)) < 0)
            goto out;
        kv[i].key = xstrdup(key);
        i++;
    }
    qsort(kv, i, sizeof(*kv), kv_cmp);
out:
    if (rc < 0) {
        kv_free(kv, n);
        return rc;
    }
    *out = kv;
    *nout = i;
    return 0;
}

/* Durations: integer seconds, or "1h", "2m", "10s", "500ms", "1m30s". */
static int get_duration(vctx *c, const char *path, const json_t *v, int64_t *ms)
{
    char gb[96];
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= DURATION_MAX_MS / 1000) {
        *ms = json_integer_value(v) * 1000;
        return 0;
    }
    if (!json_is_string(v))
        goto bad;
    const char *s = json_string_value(v);
    int64_t total = 0;
    if (match_all(s, 0, strlen(s)) && strlen(s) < 10) {
        total = strtoll(s, NULL, 10) * 1000;
    } else {
        if (!*s)
            goto bad;
        while (*s) {
            int64_t n = 0;
            const char *d0 = s;
            while (*s >= '0' && *s <= '9' && n <= DURATION_MAX_MS)
                n = n * 10 + (*s++ - '0');
            if (s == d0 || n > DURATION_MAX_MS)
                goto bad;
            int64_t unit;
            if (!strncmp(s, "ms", 2))
                unit = 1, s += 2;
            else if (*s == 's')
                unit = 1000, s++;
            else if (*s == 'm')
                unit = 60000, s++;
            else if (*s == 'h')
                unit = 3600000, s++;
            else
                goto bad;
            total += n * unit;
            if (total > DURATION_MAX_MS)
                goto bad;
        }
    }
    if (total > DURATION_MAX_MS)
        goto bad;
    *ms = total;
    return 0;
bad:
    return fail(c, path,
                "want a duration up to 24h (seconds, or like '10s', '500ms', '2m'), got %s",
                GOT(v));
}

/* Sizes: integer bytes, or "64k", "512m", "1g" (binary units, a 'b' after
 * the unit is allowed). */
static int get_size(vctx *c, const char *path, const json_t *v, int64_t *out)
{
    char gb[96];
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= SIZE_MAX_BYTES) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        goto bad;
    const char *s = json_string_value(v);
    int64_t n = 0;
    const char *d0 = s;
    while (*s >= '0' && *s <= '9' && n <= SIZE_MAX_BYTES)
        n = n * 10 + (*s++ - '0');
    if (s == d0 || n > SIZE_MAX_BYTES)
        goto bad;
    int shift = 0;
    switch (*s) {
    case 'k':
    case 'K':
        shift = 10, s++;
        break;
    case 'm':
    case 'M':
        shift = 20, s++;
        break;
    case 'g':
    case 'G':
        shift = 30, s++;
        break;
    case 't':
    case 'T':
        shift = 40, s++;
        break;
    default:
        break;
    }
    if (*s == 'b' || *s == 'B')
        s++;
    if (*s || n > (SIZE_MAX_BYTES >> shift))
        goto bad;
    *out = n << shift;
    return 0;
bad:
    return fail(c, path, "want bytes or a size like '512m' (units k, m, g), got %s", GOT(v));
}

/* image: a repository, "[host[:port]/]path", without a tag or digest. */
static int check_image(vctx *c, const char *path, const json_t *v, char **s)
{
    char gb[96];
    const char *r = *s;
    size_t n = strlen(r);
    const char *slash = strrchr(r, '/');
    if (strchr(r, '@') || strchr(slash ? slash : r, ':'))
        return fail(c, path,
                    "want a repository without a tag or digest (write it in 'tag'), got %s",
                    GOT(v));
    if (n == 0 || n > NAME_MAX_LEN || r[0] == '/' || r[n - 1] == '/' || strstr(r, "//"))
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = r[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-' || ch == '/' || ch == ':'))
            goto bad;
    }
    return 0;
bad:
    return fail(c, path, "want a repository like 'registry:5000/shop/web', got %s", GOT(v));
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[n] == '\0';
}

/* tag: Docker's [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, or a digest. */
static int check_tag(vctx *c, const char *path, const json_t *v, char **s)
{
    char gb[96];
    const char *t = *s;
    size_t n = strlen(t);
    if (!strncmp(t, "sha256:", 7) && n == 71 && is_hex(t + 7, 64))
        return 0;
    if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            goto bad;
    }
    return 0;
bad:
    return fail(c, path, "want a tag ([A-Za-z0-9_][A-Za-z0-9_.-]*) or 'sha256:<hex>', got %s",
                GOT(v));
}

static int check_cap(vctx *c, const char *path, const json_t *v, char **s)
{
    char gb[96];
    char *cap = *s;
    size_t n = strlen(cap);
    if (n >= 4 && !strncasecmp(cap, "CAP_", 4)) {
        n -= 4;
        memmove(cap, cap + 4, n + 1);
    }
    if (n == 0 || n > 64)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (cap[i] >= 'a' && cap[i] <= 'z')
            cap[i] = (char)(cap[i] - 'a' + 'A');
        if (!((cap[i] >= 'A' && cap[i] <= 'Z') || cap[i] == '_'))
            goto bad;
    }
    return 0;
bad:
    return fail(c, path, "want a capability name like 'NET_ADMIN', got %s", GOT(v));
}

static int check_env_key(vctx *c, const char *path, const json_t *v, char **s)
{
    char e[300];
    if (envl_key_valid(*s, e, sizeof(e)) < 0)
        return fail(c, path, "%s", e);
    return 0;
}

/* Plain names: users, networks, log drivers. */
static int check_word(vctx *c, const char *path, const json_t *v, char **s)
{
    char gb[96];
    size_t n = strlen(*s);
    if (n == 0 || n > NAME_MAX_LEN)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = (*s)[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-' || ch == ':'))
            goto bad;
    }
    return 0;
bad:
    return fail(c, path, "want a name ([A-Za-z0-9_.:-], 1-%u bytes), got %s", NAME_MAX_LEN, GOT(v));
}

static int one_str(vctx *c, const char *path, const json_t *v, item_fn check, char **out)
{
    int rc = dup_str(c, path, v, out);
    if (rc == 0 && check && (rc = check(c, path, v, out)) < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* ports ------------------------------------------------------------- */

static int port_num(const char *s, size_t n, int allow0)
{
    if (n == 0 || n > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return (v > 65535 || (v == 0 && !allow0)) ? -1 : v;
}

static int set_host_ip(vctx *c, const char *path, const char *ip, size_t n, const json_t *v,
                       spec_port *p)
{
    char gb[96], tmp[64];
    unsigned char bin[16];
    if (n >= sizeof(p->host_ip))
        goto bad;
    memcpy(tmp, ip, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, bin) != 1 && inet_pton(AF_INET6, tmp, bin) != 1)
        goto bad;
    memcpy(p->host_ip, tmp, n + 1);
    return 0;
bad:
    return fail(c, path, "want an IPv4 or IPv6 address, got %s", GOT(v));
}

static int set_proto(vctx *c, const char *path, const char *s, const json_t *v, spec_port *p)
{
    char gb[96];
    if (strcmp(s, "tcp") != 0 && strcmp(s, "udp") != 0)
        return fail(c, path, "want 'tcp' or 'udp', got %s", GOT(v));
    snprintf(p->proto, sizeof(p->proto), "%s", s);
    return 0;
}

/* "80", "80/udp", "8080:80", "127.0.0.1:8080:80", "[::1]:8080:80/tcp".
 * Errors name the part as the object form would ("ports[1].host"). */
static int port_short(vctx *c, const char *path, const json_t *v, spec_port *p)
{
    char gb[96], fp[PATH_LEN];
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    const char *slash = memchr(s, '/', n);
    size_t body = slash ? (size_t)(slash - s) : n;
    if (slash) {
        json_t *pv = json_string(slash + 1);
        join(fp, path, "proto");
        int rc = pv ? set_proto(c, fp, slash + 1, pv, p) : -EINVAL;
        json_decref(pv);
        if (rc < 0)
            return rc;
    }
    const char *hostpart = NULL, *ip = NULL;
    size_t iplen = 0, hostlen = 0;
    const char *cport = s;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', body);
        if (!rb || rb[1] != ':')
            goto bad;
        ip = s + 1;
        iplen = (size_t)(rb - ip);
        hostpart = rb + 2;
        const char *colon = memchr(hostpart, ':', body - (size_t)(hostpart - s));
        if (!colon)
            goto bad;
        hostlen = (size_t)(colon - hostpart);
        cport = colon + 1;
    } else {
        const char *c1 = memchr(s, ':', body);
        const char *c2 = c1 ? memchr(c1 + 1, ':', body - (size_t)(c1 + 1 - s)) : NULL;
        if (c2 && memchr(c2 + 1, ':', body - (size_t)(c2 + 1 - s)))
            goto bad; /* an IPv6 address is written in brackets */
        if (c2) {
            ip = s;
            iplen = (size_t)(c1 - s);
            hostpart = c1 + 1;
            hostlen = (size_t)(c2 - hostpart);
            cport = c2 + 1;
        } else if (c1) {
            hostpart = s;
            hostlen = (size_t)(c1 - s);
            cport = c1 + 1;
        }
    }
    if (ip) {
        join(fp, path, "host_ip");
        int rc = set_host_ip(c, fp, ip, iplen, v, p);
        if (rc < 0)
            return rc;
    }
    if (hostpart) {
        int h = port_num(hostpart, hostlen, 0);
        if (h < 0) {
            join(fp, path, "host");
            return fail(c, fp, "want a port 1-65535, got %s", GOT(v));
        }
        p->host = (uint16_t)h;
    }
    int cp = port_num(cport, body - (size_t)(cport - s), 0);
    if (cp < 0) {
        join(fp, path, "container");
        return fail(c, fp, "want a port 1-65535, got %s", GOT(v));
    }
    p->container = (uint16_t)cp;
    return 0;
bad:
    return fail(c, path, "want '[host_ip:]host:container[/proto]' or an object, got %s", GOT(v));
}

static int port_one(vctx *c, const char *path, const json_t *v, spec_port *p)
{
    static const char *const known[] = {"container", "host", "proto", "host_ip", NULL};
    char gb[96], fp[PATH_LEN];
    int rc;
    snprintf(p->proto, sizeof(p->proto), "tcp");
    snprintf(p->host_ip, sizeof(p->host_ip), "127.0.0.1");
    if (json_is_string(v))
        return port_short(c, path, v, p);
    if (json_is_integer(v)) {
        /* "- 80" in YAML: the container port, not published */
        if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
            return fail(c, path, "want a port 1-65535, got %s", GOT(v));
        p->container = (uint16_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_object(v))
        return fail(c, path, "want an object or a string like '8080:80', got %s", GOT(v));
    if ((rc = check_fields(c, path, v, known)) < 0)
        return rc;
    json_t *f;
    join(fp, path, "container");
    if (!(f = field(v, "container")))
        return fail(c, fp, "required");
    if (!json_is_integer(f) || json_integer_value(f) < 1 || json_integer_value(f) > 65535)
        return fail(c, fp, "want a port 1-65535, got %s", GOT(f));
    p->container = (uint16_t)json_integer_value(f);
    if ((f = field(v, "host"))) {
        join(fp, path, "host");
        /* 0 is allowed: the same as no host, not published */
        if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > 65535)
            return fail(c, fp, "want a port 1-65535, got %s", GOT(f));
        p->host = (uint16_t)json_integer_value(f);
    }
    const char *s;
    if ((f = field(v, "proto"))) {
        join(fp, path, "proto");
        if ((rc = get_str(c, fp, f, &s)) < 0 || (rc = set_proto(c, fp, s, f, p)) < 0)
            return rc;
    }
    if ((f = field(v, "host_ip"))) {
        join(fp, path, "host_ip");
        if ((rc = get_str(c, fp, f, &s)) < 0 || (rc = set_host_ip(c, fp, s, strlen(s), f, p)) < 0)
            return rc;
    }
    return 0;
}

static int parse_ports(vctx *c, const json_t *v, app_spec *s)
{
    int rc = want_list(c, "ports", v, "ports");
    if (rc < 0)
        return rc;
    size_t n = json_array_size(v);
    s->ports = xcalloc(n ? n : 1, sizeof(*s->ports));
    s->n_ports = n;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], fp[PATH_LEN];
        index_path(p, "ports", i);
        spec_port *pt = &s->ports[i];
        if ((rc = port_one(c, p, json_array_get(v, i), pt)) < 0)
            return rc;
        for (size_t j = 0; j < i && pt->host; j++) {
            const spec_port *q = &s->ports[j];
            if (q->host == pt->host && !strcmp(q->proto, pt->proto) &&
                !strcmp(q->host_ip, pt->host_ip)) {
                join(fp, p, "host");
                return fail(c, fp, "%s:%u/%s is already published by ports[%zu]", pt->host_ip,
                            pt->host, pt->proto, j);
            }
        }
    }
    return 0;
}

/* health ------------------------------------------------------------ */

static int parse_health(vctx *c, const json_t *v, app_spec *s)
{
    static const char *const known[] = {"test",    "interval",     "timeout",
                                        "retries", "start_period", NULL};
    char gb[96];
    int rc;
    if ((rc = want_object(c, "health", v)) < 0 || (rc = check_fields(c, "health", v, known)) < 0)
        return rc;
    json_t *f;
    if ((f = field(v, "test"))) {
        if (json_is_string(f)) {
            /* a string is a shell command, as in compose */
            const char *cmd;
            if ((rc = get_str(c, "health.test", f, &cmd)) < 0)
                return rc;
            s->health.test = xcalloc(2, sizeof(char *));
            s->health.test[0] = xstrdup("CMD-SHELL");
            s->health.test[1] = xstrdup(cmd);
            s->health.n_test = 2;
        } else {
            if ((rc = str_list(c, "health.test", f, "strings", NULL, &s->health.test,
                               &s->health.n_test)) < 0)
                return rc;
            const char *k = s->health.n_test ? s->health.test[0] : "";
            size_t n = s->health.n_test;
            int ok = (!strcmp(k, "CMD") && n >= 2) || (!strcmp(k, "CMD-SHELL") && n == 2) ||
                     (!strcmp(k, "NONE") && n == 1);
            if (!ok)
                return fail(c, "health.test",
                            "want [\"CMD\", arg...], [\"CMD-SHELL\", command] "
                            "or [\"NONE\"]");
        }
    }
    if ((f = field(v, "interval")) &&
        (rc = get_duration(c, "health.interval", f, &s->health.interval_ms)) < 0)
        return rc;
    if ((f = field(v, "timeout")) &&
        (rc = get_duration(c, "health.timeout", f, &s->health.timeout_ms)) < 0)
        return rc;
    if ((f = field(v, "start_period")) &&
        (rc = get_duration(c, "health.start_period", f, &s->health.start_period_ms)) < 0)
        return rc;
    if ((f = field(v, "retries"))) {
        if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > 10000)
            return fail(c, "health.retries", "want an integer 0-10000, got %s", GOT(f));
        s->health.retries = (int)json_integer_value(f);
    }
    return 0;
}

/* volumes ----------------------------------------------------------- */

/* A bind's source: an absolute host path or a volume name. */
static int check_source(vctx *c, const char *path, const json_t *v, const char *src)
{
    char gb[96];
    if (src[0] == '/')
        return abs_path_str(c, path, src, v);
    size_t n = strlen(src);
    if (n == 0 || n > NAME_MAX_LEN)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = src[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !(i > 0 && (ch == '_' || ch == '.' || ch == '-')))
            goto bad;
    }
    return 0;
bad:
    return fail(c, path, "want an absolute path or a volume name, got %s", GOT(v));
}

/* "src:/target", "src:/target:ro", "src:/target:rw". */
static int volume_short(vctx *c, const char *path, const json_t *v, spec_volume *vol)
{
    char gb[96], fp[PATH_LEN];
    const char *s = json_string_value(v);
    const char *colon = strchr(s, ':');
    int rc;
    if (!colon)
        return fail(c, path, "want 'source:/target[:ro]' or an object, got %s", GOT(v));
    char *src = strndup(s, (size_t)(colon - s));
    char *tgt = xstrdup(colon + 1);
    if (!src)
        abort();
    char *opt = strrchr(tgt, ':');
    if (opt && (!strcmp(opt, ":ro") || !strcmp(opt, ":rw"))) {
        vol->read_only = opt[1] == 'r' && opt[2] == 'o';
        *opt = '\0';
    }
    json_t *sv = json_string(src), *tv = json_string(tgt);
    join(fp, path, "source");
    if ((rc = check_source(c, fp, sv, src)) < 0)
        goto out;
    join(fp, path, "target");
    if ((rc = abs_path_str(c, fp, tgt, tv)) < 0)
        goto out;
    vol->source = src;
    vol->target = tgt;
    src = tgt = NULL;
out:
    json_decref(sv);
    json_decref(tv);
    free(src);
    free(tgt);
    return rc;
}

static int volume_one(vctx *c, const char *path, const json_t *v, spec_volume *vol)
{
    static const char *const known[] = {"source", "target", "read_only", "tmpfs", "size", NULL};
    char gb[96], fp[PATH_LEN];
    int rc;
    if (json_is_string(v))
        return volume_short(c, path, v, vol);
    if (!json_is_object(v))
        return fail(c, path, "want an object or a string like 'data:/var/lib/x', got %s", GOT(v));
    if ((rc = check_fields(c, path, v, known)) < 0)
        return rc;
    json_t *f;
    if ((f = field(v, "tmpfs"))) {
        join(fp, path, "tmpfs");
        if ((rc = get_bool(c, fp, f, &vol->tmpfs)) < 0)
            return rc;
    }
    if ((f = field(v, "read_only"))) {
        join(fp, path, "read_only");
        if ((rc = get_bool(c, fp, f, &vol->read_only)) < 0)
            return rc;
    }
    join(fp, path, "target");
    if (!(f = field(v, "target")))
        return fail(c, fp, "required");
    if ((rc = get_abs_path(c, fp, f, &vol->target)) < 0)
        return rc;
    if (vol->tmpfs) {
        if (field(v, "source")) {
            join(fp, path, "source");
            return fail(c, fp, "not with tmpfs: true");
        }
        if ((f = field(v, "size"))) {
            join(fp, path, "size");
            if ((rc = get_size(c, fp, f, &vol->tmpfs_size)) < 0)
                return rc;
        }
        return 0;
    }
    if (field(v, "size")) {
        join(fp, path, "size");
        return fail(c, fp, "only with tmpfs: true");
    }
    join(fp, path, "source");
    if (!(f = field(v, "source")))
        return fail(c, fp, "required (or tmpfs: true)");
    const char *src;
    if ((rc = get_str(c, fp, f, &src)) < 0 || (rc = check_source(c, fp, f, src)) < 0)
        return rc;
    vol->source = xstrdup(src);
    return 0;
}

static int parse_volumes(vctx *c, const json_t *v, app_spec *s)
{
    int rc = want_list(c, "volumes", v, "volumes");
    if (rc < 0)
        return rc;
    size_t n = json_array_size(v);
    s->volumes = xcalloc(n ? n : 1, sizeof(*s->volumes));
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], fp[PATH_LEN];
        index_path(p, "volumes", i);
        s->n_volumes = i + 1; /* so spec_clear frees what this one got */
        if ((rc = volume_one(c, p, json_array_get(v, i), &s->volumes[i])) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->volumes[j].target, s->volumes[i].target)) {
                join(fp, p, "target");
                return fail(c, fp, "'%.64s' is already mounted by volumes[%zu]",
                            s->volumes[i].target, j);
            }
    }
    return 0;
}

/* files ------------------------------------------------------------- */

static int get_mode(vctx *c, const char *path, const json_t *v, unsigned *out)
{
    char gb[96];
    long m = -1;
    if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 0777) {
        m = (long)json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (n >= 1 && n <= 4 && strspn(s, "01234567") == n)
            m = strtol(s, NULL, 8);
        if (m < 1)
            m = -1;
    }
    if (m < 0)
        return fail(c, path, "want a mode 0001-0777 (an octal string like '0440'), got %s", GOT(v));
    *out = (unsigned)m;
    return 0;
}

static int file_one(vctx *c, const char *path, const json_t *v, spec_file *f)
{
    static const char *const known[] = {"name", "template", "key", "mode", NULL};
    char gb[96], fp[PATH_LEN];
    int rc;
    if ((rc = want_object(c, path, v)) < 0 || (rc = check_fields(c, path, v, known)) < 0)
        return rc;
    json_t *x;
    join(fp, path, "name");
    if (!(x = field(v, "name")))
        return fail(c, fp, "required");
    const char *name;
    if ((rc = get_str(c, fp, x, &name)) < 0)
        return rc;
    if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
        strlen(name) > NAME_MAX_LEN)
        return fail(c, fp, "want a file name (no '/', not '.' or '..'), got %s", GOT(x));
    f->name = xstrdup(name);
    json_t *t = field(v, "template"), *k = field(v, "key");
    if (t && k)
        return fail(c, path, "template and key together: want one of them");
    if (!t && !k)
        return fail(c, path, "want template or key");
    if (t) {
        join(fp, path, "template");
        if ((rc = dup_str(c, fp, t, &f->template)) < 0)
            return rc;
    } else {
        join(fp, path, "key");
        if ((rc = one_str(c, fp, k, check_env_key, &f->key)) < 0)
            return rc;
    }
    if ((x = field(v, "mode"))) {
        join(fp, path, "mode");
        if ((rc = get_mode(c, fp, x, &f->mode)) < 0)
            return rc;
    }
    return 0;
}

static int parse_files(vctx *c, const json_t *v, app_spec *s)
{
    int rc = want_list(c, "files", v, "files");
    if (rc < 0)
        return rc;
    size_t n = json_array_size(v);
    s->files = xcalloc(n ? n : 1, sizeof(*s->files));
    for (size_t i = 0; i < n; i++) {
        char p[PATH_LEN], fp[PATH_LEN];
        index_path(p, "files", i);
        s->n_files = i + 1;
        if ((rc = file_one(c, p, json_array_get(v, i), &s->files[i])) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->files[j].name, s->files[i].name)) {
                join(fp, p, "name");
                return fail(c, fp, "'%.64s' is already files[%zu]", s->files[i].name, j);
            }
    }
    return 0;
}

/* the rest ---------------------------------------------------------- */

static int parse_restart(vctx *c, const json_t *v, app_spec *s)
{
    char gb[96];
    const char *r;
    int rc = get_str(c, "restart", v, &r);
    if (rc < 0)
        return rc;
    if (!strcmp(r, "no") || !strcmp(r, "always") || !strcmp(r, "unless-stopped") ||
        !strcmp(r, "on-failure")) {
        snprintf(s->restart, sizeof(s->restart), "%s", r);
        return 0;
    }
    if (!strncmp(r, "on-failure:", 11)) {
        const char *n = r + 11;
        size_t len = strlen(n);
        if (len >= 1 && len <= 6 && strspn(n, "0123456789") == len && atoi(n) >= 1) {
            snprintf(s->restart, sizeof(s->restart), "on-failure");
            s->restart_max = atoi(n);
            return 0;
        }
        return fail(c, "restart", "want on-failure:N with N 1-999999, got %s", GOT(v));
    }
    return fail(c, "restart",
                "want 'no', 'always', 'unless-stopped', 'on-failure' or 'on-failure:N', got %s",
                GOT(v));
}

static int parse_signal(vctx *c, const json_t *v, app_spec *s)
{
    static const char *const sigs[] = {"HUP",  "INT",   "QUIT", "TERM", "USR1",
                                       "USR2", "WINCH", "ALRM", "CONT", NULL};
    char gb[96], up[16];
    const char *r;
    int rc = get_str(c, "reload_signal", v, &r);
    if (rc < 0)
        return rc;
    if (!strncasecmp(r, "SIG", 3))
        r += 3;
    size_t n = strlen(r);
    if (n < sizeof(up)) {
        for (size_t i = 0; i <= n; i++)
            up[i] = (r[i] >= 'a' && r[i] <= 'z') ? (char)(r[i] - 'a' + 'A') : r[i];
        for (size_t i = 0; sigs[i]; i++)
            if (!strcmp(up, sigs[i])) {
                s->reload_signal = xstrdup(up);
                return 0;
            }
    }
    return fail(c, "reload_signal",
                "want one of HUP, INT, QUIT, TERM, USR1, USR2, WINCH, ALRM, CONT, got %s", GOT(v));
}

static int parse_log(vctx *c, const json_t *v, app_spec *s)
{
    static const char *const known[] = {"driver", "options", NULL};
    int rc;
    if ((rc = want_object(c, "log", v)) < 0 || (rc = check_fields(c, "log", v, known)) < 0)
        return rc;
    json_t *f;
    if ((f = field(v, "driver")) &&
        (rc = one_str(c, "log.driver", f, check_word, &s->log_driver)) < 0)
        return rc;
    if ((f = field(v, "options")) &&
        (rc = kv_object(c, "log.options", f, NULL, &s->log_opts, &s->n_log_opts)) < 0)
        return rc;
    return 0;
}

static const char *const top_fields[] = {"image",        "tag",
                                         "command",      "entrypoint",
                                         "workdir",      "ports",
                                         "health",       "cpus",
                                         "memory",       "pids_limit",
                                         "restart",      "user",
                                         "read_only",    "no_new_privileges",
                                         "cap_add",      "cap_drop",
                                         "volumes",      "labels",
                                         "log",          "network",
                                         "stop_timeout", "env_keys",
                                         "files",        "files_dir",
                                         "secrets_dir",  "reload_signal",
                                         "on_env",       NULL};

static int validate(vctx *c, const json_t *root, app_spec *s)
{
    char gb[96];
    int rc;
    json_t *f;
    if (!json_is_object(root))
        return fail(c, "spec", "want an object at the top, got %s", GOT(root));
    if ((rc = check_fields(c, "", root, top_fields)) < 0)
        return rc;

    if (!(f = field(root, "image")))
        return fail(c, "image", "required");
    if ((rc = one_str(c, "image", f, check_image, &s->image)) < 0)
        return rc;
    if ((f = field(root, "tag")) && (rc = one_str(c, "tag", f, check_tag, &s->tag)) < 0)
        return rc;
    if ((f = field(root, "command")) &&
        (rc = str_list(c, "command", f, "strings", NULL, &s->command, &s->n_command)) < 0)
        return rc;
    if ((f = field(root, "entrypoint")) &&
        (rc = str_list(c, "entrypoint", f, "strings", NULL, &s->entrypoint, &s->n_entrypoint)) < 0)
        return rc;
    if ((f = field(root, "workdir")) && (rc = get_abs_path(c, "workdir", f, &s->workdir)) < 0)
        return rc;
    if ((f = field(root, "ports")) && (rc = parse_ports(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "health")) && (rc = parse_health(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "cpus"))) {
        double d = json_is_number(f) ? json_number_value(f) : -1;
        if (!(d > 0 && d <= 1024))
            return fail(c, "cpus", "want a number >0 and <=1024, got %s", GOT(f));
        s->cpus = d;
    }
    if ((f = field(root, "memory")) && (rc = get_size(c, "memory", f, &s->memory)) < 0)
        return rc;
    if ((f = field(root, "pids_limit")) &&
        (rc = get_int(c, "pids_limit", f, 1, 4194304, &s->pids_limit)) < 0)
        return rc;
    if ((f = field(root, "restart")) && (rc = parse_restart(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "user")) && (rc = one_str(c, "user", f, check_word, &s->user)) < 0)
        return rc;
    if ((f = field(root, "read_only")) && (rc = get_bool(c, "read_only", f, &s->read_only)) < 0)
        return rc;
    if ((f = field(root, "no_new_privileges")) &&
        (rc = get_bool(c, "no_new_privileges", f, &s->no_new_privileges)) < 0)
        return rc;
    if ((f = field(root, "cap_add")) &&
        (rc = str_list(c, "cap_add", f, "capabilities", check_cap, &s->cap_add, &s->n_cap_add)) < 0)
        return rc;
    if ((f = field(root, "cap_drop")) && (rc = str_list(c, "cap_drop", f, "capabilities", check_cap,
                                                        &s->cap_drop, &s->n_cap_drop)) < 0)
        return rc;
    if ((f = field(root, "volumes")) && (rc = parse_volumes(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "labels")) &&
        (rc = kv_object(c, "labels", f, "berth.", &s->labels, &s->n_labels)) < 0)
        return rc;
    if ((f = field(root, "log")) && (rc = parse_log(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "network")) &&
        (rc = one_str(c, "network", f, check_word, &s->network)) < 0)
        return rc;
    if ((f = field(root, "stop_timeout")) &&
        (rc = get_duration(c, "stop_timeout", f, &s->stop_timeout_ms)) < 0)
        return rc;
    if ((f = field(root, "env_keys"))) {
        if ((rc = str_list(c, "env_keys", f, "keys", check_env_key, &s->env_keys, &s->n_env_keys)) <
            0)
            return rc;
        for (size_t i = 1; i < s->n_env_keys; i++)
            for (size_t j = 0; j < i; j++)
                if (!strcmp(s->env_keys[i], s->env_keys[j])) {
                    char p[PATH_LEN];
                    index_path(p, "env_keys", i);
                    return fail(c, p, "'%s' is already env_keys[%zu]", s->env_keys[i], j);
                }
    }
    if ((f = field(root, "files")) && (rc = parse_files(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "files_dir")) && (rc = get_abs_path(c, "files_dir", f, &s->files_dir)) < 0)
        return rc;
    if ((f = field(root, "secrets_dir")) &&
        (rc = get_abs_path(c, "secrets_dir", f, &s->secrets_dir)) < 0)
        return rc;
    if (!s->files_dir)
        s->files_dir = xstrdup("/etc/berth");
    if (!s->secrets_dir)
        s->secrets_dir = xstrdup("/run/secrets");
    if (!strcmp(s->files_dir, s->secrets_dir))
        return fail(c, "secrets_dir", "the same directory as files_dir");
    if ((f = field(root, "reload_signal")) && (rc = parse_signal(c, f, s)) < 0)
        return rc;
    if ((f = field(root, "on_env"))) {
        const char *e;
        if ((rc = get_str(c, "on_env", f, &e)) < 0)
            return rc;
        if (!strcmp(e, "mark"))
            s->on_env = SPEC_ON_ENV_MARK;
        else if (!strcmp(e, "recreate"))
            s->on_env = SPEC_ON_ENV_RECREATE;
        else
            return fail(c, "on_env", "want 'mark' or 'recreate', got %s", GOT(f));
    }
    return 0;
}

int spec_parse(const char *buf, size_t len, app_spec *out, char *err, size_t errlen)
{
    char ebuf[2];
    if (!err || errlen == 0) {
        err = ebuf;
        errlen = sizeof(ebuf);
    }
    err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (len > SPEC_MAX_BYTES) {
        snprintf(err, errlen, "spec: %zu bytes, at most %u", len, SPEC_MAX_BYTES);
        return -EINVAL;
    }
    size_t i = 0, bom = 0;
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
        i = bom = 3; /* a UTF-8 byte order mark, as editors on Windows write */
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i == len) {
        snprintf(err, errlen, "spec: empty");
        return -EINVAL;
    }

    json_t *root = NULL;
    int rc;
    if (buf[i] == '{') {
        json_error_t je;
        root = json_loadb(buf + bom, len - bom, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            snprintf(err, errlen, "spec: line %d column %d: %s", je.line, je.column, je.text);
            return -EINVAL;
        }
    } else if ((rc = yaml_to_json(buf, len, &root, err, errlen)) < 0) {
        return rc;
    }

    app_spec s = {0};
    snprintf(s.restart, sizeof(s.restart), "no");
    s.no_new_privileges = 1;
    vctx c = {err, errlen};
    rc = validate(&c, root, &s);
    json_decref(root);
    if (rc < 0) {
        spec_clear(&s);
        return rc;
    }
    *out = s;
    return 0;
}

void spec_clear(app_spec *s)
{
    if (!s)
        return;
    free(s->image);
    free(s->tag);
    strv_free(s->command, s->n_command);
    strv_free(s->entrypoint, s->n_entrypoint);
    free(s->workdir);
    free(s->ports);
    strv_free(s->health.test, s->health.n_test);
    free(s->user);
    strv_free(s->cap_add, s->n_cap_add);
    strv_free(s->cap_drop, s->n_cap_drop);
    for (size_t i = 0; i < s->n_volumes; i++) {
        free(s->volumes[i].source);
        free(s->volumes[i].target);
    }
    free(s->volumes);
    kv_free(s->labels, s->n_labels);
    free(s->log_driver);
    kv_free(s->log_opts, s->n_log_opts);
    free(s->network);
    strv_free(s->env_keys, s->n_env_keys);
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].name);
        free(s->files[i].template);
        free(s->files[i].key);
    }
    free(s->files);
    free(s->files_dir);
    free(s->secrets_dir);
    free(s->reload_signal);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* spec_hash: the struct -> canonical JSON -> sha256                    */

typedef struct jb {
    int bad; /* a value could not be built (a string not UTF-8, OOM) */
} jb;

static void put(jb *b, json_t *o, const char *k, json_t *v)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        b->bad = 1;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jstrv(char *const *v, size_t n)
{
    if (!v)
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, jstr(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *jkv(jb *b, const spec_kv *kv, size_t n)
{
    if (!kv)
        return json_null();
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        put(b, o, kv[i].key ? kv[i].key : "", jstr(kv[i].value));
    return o;
}

int spec_hash(const app_spec *s, char hex[65])
{
    jb b = {0};
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    put(&b, o, "v", json_integer(1)); /* the canonical form's version */
    put(&b, o, "image", jstr(s->image));
    put(&b, o, "tag", jstr(s->tag));
    put(&b, o, "command", jstrv(s->command, s->n_command));
    put(&b, o, "entrypoint", jstrv(s->entrypoint, s->n_entrypoint));
    put(&b, o, "workdir", jstr(s->workdir));
    json_t *ports = s->ports ? json_array() : json_null();
    for (size_t i = 0; ports && s->ports && i < s->n_ports; i++) {
        const spec_port *p = &s->ports[i];
        json_t *po = json_pack("{s:i,s:i,s:s%,s:s%}", "container", (int)p->container, "host",
                               (int)p->host, "proto", p->proto, strnlen(p->proto, sizeof(p->proto)),
                               "host_ip", p->host_ip, strnlen(p->host_ip, sizeof(p->host_ip)));
        if (!po || json_array_append_new(ports, po) != 0)
            b.bad = 1;
    }
    put(&b, o, "ports", ports);
    json_t *h = json_object();
    if (h) {
        put(&b, h, "test", jstrv(s->health.test, s->health.n_test));
        put(&b, h, "interval_ms", json_integer(s->health.interval_ms));
        put(&b, h, "timeout_ms", json_integer(s->health.timeout_ms));
        put(&b, h, "start_period_ms", json_integer(s->health.start_period_ms));
        put(&b, h, "retries", json_integer(s->health.retries));
    }
    put(&b, o, "health", h);
    put(&b, o, "cpus", json_real(s->cpus));
    put(&b, o, "memory", json_integer(s->memory));
    put(&b, o, "pids_limit", json_integer(s->pids_limit));
    put(&b, o, "restart", json_stringn(s->restart, strnlen(s->restart, sizeof(s->restart))));
    put(&b, o, "restart_max", json_integer(s->restart_max));
    put(&b, o, "user", jstr(s->user));
    put(&b, o, "read_only", json_boolean(s->read_only));
    put(&b, o, "no_new_privileges", json_boolean(s->no_new_privileges));
    put(&b, o, "cap_add", jstrv(s->cap_add, s->n_cap_add));
    put(&b, o, "cap_drop", jstrv(s->cap_drop, s->n_cap_drop));
    json_t *vols = s->volumes ? json_array() : json_null();
    for (size_t i = 0; vols && s->volumes && i < s->n_volumes; i++) {
        const spec_volume *v = &s->volumes[i];
        json_t *vo = json_object();
        if (vo) {
            put(&b, vo, "source", jstr(v->source));
            put(&b, vo, "target", jstr(v->target));
            put(&b, vo, "read_only", json_boolean(v->read_only));
            put(&b, vo, "tmpfs", json_boolean(v->tmpfs));
            put(&b, vo, "tmpfs_size", json_integer(v->tmpfs_size));
        }
        if (!vo || json_array_append_new(vols, vo) != 0)
            b.bad = 1;
    }
    put(&b, o, "volumes", vols);
    put(&b, o, "labels", jkv(&b, s->labels, s->n_labels));
    put(&b, o, "log_driver", jstr(s->log_driver));
    put(&b, o, "log_opts", jkv(&b, s->log_opts, s->n_log_opts));
    put(&b, o, "network", jstr(s->network));
    put(&b, o, "stop_timeout_ms", json_integer(s->stop_timeout_ms));
    put(&b, o, "env_keys", jstrv(s->env_keys, s->n_env_keys));
    json_t *files = s->files ? json_array() : json_null();
    for (size_t i = 0; files && s->files && i < s->n_files; i++) {
        const spec_file *f = &s->files[i];
        json_t *fo = json_object();
        if (fo) {
            put(&b, fo, "name", jstr(f->name));
            put(&b, fo, "template", jstr(f->template));
            put(&b, fo, "key", jstr(f->key));
            put(&b, fo, "mode", json_integer(f->mode));
        }
        if (!fo || json_array_append_new(files, fo) != 0)
            b.bad = 1;
    }
    put(&b, o, "files", files);
    put(&b, o, "files_dir", jstr(s->files_dir));
    put(&b, o, "secrets_dir", jstr(s->secrets_dir));
    put(&b, o, "reload_signal", jstr(s->reload_signal));
    put(&b, o, "on_env", json_string(s->on_env == SPEC_ON_ENV_RECREATE ? "recreate" : "mark"));

    int rc = -EINVAL;
    char *dump = b.bad ? NULL : json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    if (dump) {
        envl_sha256(dump, strlen(dump), hex);
        free(dump);
        rc = 0;
    }
    json_decref(o);
    return rc;
}
