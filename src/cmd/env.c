/*
 * berth env: the layered configuration in etcd (release/env/layers.h for
 * the key layout, envq.h for the reads and writes). This file parses the
 * arguments and prints; every rule lives in layers.c and envq.c.
 *
 *   show APP --env E [--dc D] [--rev N]    merged set: value, layer, revision
 *   explain APP KEY... --env E [--dc D]    every layer that sets each KEY
 *   diff APP --env A --env B [--dc D [--dc D2]]
 *   history APP KEY [--env E] [--dc D]     the versions etcd still keeps
 *   set LAYER KEY=VALUE... [--secret] [--stdin KEY]
 *   unset LAYER KEY...
 *   import LAYER FILE|- [--secret]         env-file or JSON object
 *   export (APP --env E [--dc D] | --layer LAYER)
 *   rollback LAYER --to REV
 *
 * Writes (set, unset, import, rollback) skip what already holds the wanted
 * value, so running one again writes nothing; what they do write lands in
 * one transaction with its journal record (envq_write). --dry-run prints
 * the changes and writes nothing. Secrets show as "(secret)" unless
 * --reveal; values are never in a journal record nor in --json of a write.
 *
 * Exit status (for CI jobs): 0 done (diff: no difference), 1 diff found a
 * difference, 2 bad usage or input (the message names it), 3 etcd failed
 * or could not be reached.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "release/env/envq.h"
#include "release/env/layers.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define ENV_EXIT_DIFF  1
#define ENV_EXIT_USAGE 2
#define ENV_EXIT_ETCD  3

#define ENV_HELP -1 /* --help was printed: exit 0 */

#define ENV_MAX_ARGS 256

typedef struct env_args {
    const char *pos[ENV_MAX_ARGS]; /* the positional arguments after the verb */
    size_t npos;
    const char *env[2];
    size_t nenv;
    const char *dc[2];
    size_t ndc;
    const char *layer; /* export --layer */
    const char *stdin_key;
    int64_t rev; /* show --rev, rollback --to */
    int json, reveal, secret, dry_run;
} env_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: berth env <verb> [options]\n"
            "\n"
            "  show APP --env E [--dc D] [--rev N]     the merged configuration\n"
            "  explain APP KEY... --env E [--dc D]     every layer that sets KEY\n"
            "  diff APP --env A --env B [--dc D [--dc D2]]\n"
            "                                          keys that differ (exit 1)\n"
            "  history APP KEY [--env E] [--dc D]      earlier values of KEY\n"
            "  set LAYER KEY=VALUE... [--secret] [--stdin KEY]\n"
            "  unset LAYER KEY...\n"
            "  import LAYER FILE|- [--secret]          env-file or JSON object\n"
            "  export APP --env E [--dc D] | export --layer LAYER\n"
            "  rollback LAYER --to REV                 the layer as it was at REV\n"
            "\n"
            "LAYER: global, dc/D, env/E, env/E/dc/D, app/A, app/A/env/E, app/A/env/E/dc/D\n"
            "options: --json, --reveal (show secrets), --dry-run (writes: print, do not write),\n"
            "         --etcd URL[,URL...], --etcd-prefix P, --etcd-user U,\n"
            "         --etcd-password-file F, --etcd-ca F, --etcd-cert F, --etcd-key F,\n"
            "         --config FILE\n"
            "exit: 0 done, 1 diff found differences, 2 bad usage or input, 3 etcd failed\n"
            "docs: docs/env.md\n");
}

/* -EINVAL and its kin are the input's fault; anything else is etcd's. */
static int exit_for(int rc)
{
    return rc == -EINVAL || rc == -ENAMETOOLONG || rc == -E2BIG || rc == -ENOENT ? ENV_EXIT_USAGE
                                                                                 : ENV_EXIT_ETCD;
}

static int fail(const char *verb, int rc, const char *err)
{
    fprintf(stderr, "berth env %s: %s\n", verb, err);
    return exit_for(rc);
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

/* Returns 0, ENV_HELP, or the exit status of a bad argument (printed). */
static int parse_args(const char *verb, cfg *c, int argc, char **argv, env_args *a)
{
    int i = 0, r;
    while ((r = cmd_next_arg(c, argc, argv, &i)) > 0) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return ENV_HELP;
        } else if (strcmp(arg, "--json") == 0)
            a->json = 1;
        else if (strcmp(arg, "--reveal") == 0)
            a->reveal = 1;
        else if (strcmp(arg, "--secret") == 0)
            a->secret = 1;
        else if (strcmp(arg, "--dry-run") == 0)
            a->dry_run = 1;
        else if ((v = cmd_flag_value("--env", argc, argv, &i))) {
            if (!*v)
                return ENV_EXIT_USAGE;
            if (a->nenv == 2) {
                fprintf(stderr, "berth env%s: --env at most twice\n", verb);
                return ENV_EXIT_USAGE;
            }
            a->env[a->nenv++] = v;
        } else if ((v = cmd_flag_value("--dc", argc, argv, &i))) {
            if (!*v)
                return ENV_EXIT_USAGE;
            if (a->ndc == 2) {
                fprintf(stderr, "berth env%s: --dc at most twice\n", verb);
                return ENV_EXIT_USAGE;
            }
            a->dc[a->ndc++] = v;
        } else if ((v = cmd_flag_value("--layer", argc, argv, &i))) {
            if (!*v)
                return ENV_EXIT_USAGE;
            a->layer = v;
        } else if ((v = cmd_flag_value("--stdin", argc, argv, &i))) {
            if (!*v)
                return ENV_EXIT_USAGE;
            a->stdin_key = v;
        } else if ((v = cmd_flag_value("--rev", argc, argv, &i)) ||
                   (v = cmd_flag_value("--to", argc, argv, &i))) {
            if (!*v)
                return ENV_EXIT_USAGE;
            if (parse_i64(v, &a->rev) < 0) {
                fprintf(stderr, "berth env%s: want a revision > 0, got '%s'\n", verb, v);
                return ENV_EXIT_USAGE;
            }
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "berth env%s: unknown option '%s'\n", verb, arg);
            return ENV_EXIT_USAGE;
        } else {
            if (a->npos == ENV_MAX_ARGS) {
                fprintf(stderr, "berth env%s: more than %d arguments\n", verb, ENV_MAX_ARGS);
                return ENV_EXIT_USAGE;
            }
            a->pos[a->npos++] = arg;
        }
    }
    return r < 0 ? ENV_EXIT_USAGE : 0;
}

static int need(const char *verb, int ok, const char *what)
{
    if (ok)
        return 0;
    fprintf(stderr, "berth env %s: %s (berth env --help)\n", verb, what);
    return ENV_EXIT_USAGE;
}

/* A value on one line of a table: "\n", "\t", "\\" and other control bytes
 * escaped so a value cannot fake another row. */
static void put_value(FILE *f, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\t')
            fputs("\\t", f);
        else if (ch == '\\')
            fputs("\\\\", f);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
}

static void put_entry_value(FILE *f, const envl_entry *e, int reveal)
{
    if (e->secret && !reveal)
        fputs("(secret)", f);
    else
        put_value(f, e->value, e->value_len);
}

static void layer_name(const envl_layer *l, char *out, size_t n)
{
    if (envl_layer_format(l, out, n) < 0)
        snprintf(out, n, "?");
}

static void print_buf(buf *b)
{
    fwrite(b->data ? b->data : "", 1, b->len, stdout);
    if (!b->len || b->data[b->len - 1] != '\n')
        fputc('\n', stdout);
}

static void warn_problems(const char *verb, const envl_set *s)
{
    for (size_t i = 0; i < s->n_bad; i++)
        fprintf(stderr, "berth env %s: ignored %s: %s\n", verb, s->bad[i].key, s->bad[i].why);
}

static int env_connect(const char *verb, const cfg *c, etcd **out)
{
    char err[512];
    int rc = envq_connect(&c->etcd, out, err, sizeof(err));
    return rc < 0 ? fail(verb, rc, err) : 0;
}

static const char *dc_of(const env_args *a, size_t i)
{
    return a->ndc > i ? a->dc[i] : a->ndc ? a->dc[0] : NULL;
}

static int env_show(const cfg *c, const env_args *a)
{
    int st = need("show", a->npos == 1 && a->nenv == 1 && a->ndc <= 1,
                  "want: show APP --env E [--dc D]");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("show", c, &ec)))
        return st;
    envl_set s;
    char err[512];
    int rc = envq_resolve(ec, c->etcd.prefix, a->pos[0], a->env[0], dc_of(a, 0), a->rev, &s, err,
                          sizeof(err));
    if (rc < 0) {
        st = fail("show", rc, err);
        goto out;
    }
    warn_problems("show", &s);
    if (a->json) {
        buf b = BUF_INIT;
        envq_set_json(&s, a->pos[0], a->env[0], dc_of(a, 0), a->reveal, &b);
        print_buf(&b);
        buf_free(&b);
    } else {
        size_t wk = 3, wl = 5;
        char ln[ENVL_PATH_MAX];
        for (size_t i = 0; i < s.n; i++) {
            layer_name(&s.e[i].src, ln, sizeof(ln));
            wk = strlen(s.e[i].key) > wk ? strlen(s.e[i].key) : wk;
            wl = strlen(ln) > wl ? strlen(ln) : wl;
        }
        printf("# %s env %s%s%s: %zu keys at revision %lld, sha256 %s\n", a->pos[0], a->env[0],
               dc_of(a, 0) ? " dc " : "", dc_of(a, 0) ? dc_of(a, 0) : "", s.n,
               (long long)s.revision, s.sha256);
        printf("%-*s  %-*s  %8s  %s\n", (int)wk, "KEY", (int)wl, "LAYER", "REV", "VALUE");
        for (size_t i = 0; i < s.n; i++) {
            layer_name(&s.e[i].src, ln, sizeof(ln));
            printf("%-*s  %-*s  %8lld  ", (int)wk, s.e[i].key, (int)wl, ln,
                   (long long)s.e[i].mod_rev);
            put_entry_value(stdout, &s.e[i], a->reveal);
            fputc('\n', stdout);
        }
    }
    envl_set_clear(&s);
out:
    etcd_free(ec);
    return st;
}

static int env_explain(const cfg *c, const env_args *a)
{
    int st = need("explain", a->npos >= 2 && a->nenv == 1 && a->ndc <= 1,
                  "want: explain APP KEY... --env E [--dc D]");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("explain", c, &ec)))
        return st;
    char err[512], ln[ENVL_PATH_MAX];
    if (a->json && a->npos > 2)
        fputs("[\n", stdout);
    for (size_t k = 1; k < a->npos; k++) {
        envl_entry *e = NULL;
        size_t n = 0;
        int64_t revision = 0;
        int rc = envq_explain(ec, c->etcd.prefix, a->pos[0], a->env[0], dc_of(a, 0), a->pos[k], &e,
                              &n, &revision, err, sizeof(err));
        if (rc < 0) {
            st = fail("explain", rc, err);
            break;
        }
        if (a->json) {
            buf b = BUF_INIT;
            envq_explain_json(e, n, a->pos[0], a->env[0], dc_of(a, 0), a->pos[k], revision,
                              a->reveal, &b);
            while (b.len && b.data[b.len - 1] == '\n')
                b.len--;
            fwrite(b.data, 1, b.len, stdout);
            fputs(a->npos > 2 && k + 1 < a->npos ? ",\n" : "\n", stdout);
            buf_free(&b);
        } else {
            printf("%s%s\n", a->pos[k], n ? "" : ": not set in any layer");
            for (size_t i = 0; i < n; i++) {
                layer_name(&e[i].src, ln, sizeof(ln));
                printf("  %-28s rev %-8lld ", ln, (long long)e[i].mod_rev);
                put_entry_value(stdout, &e[i], a->reveal);
                fputs(i + 1 == n ? "   <- wins\n" : "\n", stdout);
            }
        }
        envl_entries_free(e, n);
    }
    if (a->json && a->npos > 2 && st == 0)
        fputs("]\n", stdout);
    etcd_free(ec);
    return st;
}

static void put_side(const char *name, const envl_entry *e, int reveal)
{
    char ln[ENVL_PATH_MAX];
    printf("    %s: ", name);
    if (!e) {
        fputs("(unset)\n", stdout);
        return;
    }
    layer_name(&e->src, ln, sizeof(ln));
    put_entry_value(stdout, e, reveal);
    printf("   [%s, rev %lld]\n", ln, (long long)e->mod_rev);
}

static int env_diff(const cfg *c, const env_args *a)
{
    int st = need("diff", a->npos == 1 && a->nenv == 2,
                  "want: diff APP --env A --env B [--dc D [--dc D2]]");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("diff", c, &ec)))
        return st;
    envl_set sa = {0}, sb = {0};
    char err[512];
    int rc = envq_resolve(ec, c->etcd.prefix, a->pos[0], a->env[0], dc_of(a, 0), a->rev, &sa, err,
                          sizeof(err));
    if (rc == 0)
        rc = envq_resolve(ec, c->etcd.prefix, a->pos[0], a->env[1], dc_of(a, 1), a->rev, &sb, err,
                          sizeof(err));
    if (rc < 0) {
        st = fail("diff", rc, err);
        goto out;
    }
    warn_problems("diff", &sa);
    warn_problems("diff", &sb);
    envl_diff_row *rows = NULL;
    size_t n = 0;
    envl_diff(&sa, &sb, &rows, &n);
    char na[160], nb[160];
    snprintf(na, sizeof(na), "%s%s%s", a->env[0], dc_of(a, 0) ? "/" : "",
             dc_of(a, 0) ? dc_of(a, 0) : "");
    snprintf(nb, sizeof(nb), "%s%s%s", a->env[1], dc_of(a, 1) ? "/" : "",
             dc_of(a, 1) ? dc_of(a, 1) : "");
    if (a->json) {
        buf b = BUF_INIT;
        envq_diff_json(&sa, &sb, a->env[0], a->env[1], rows, n, a->reveal, &b);
        print_buf(&b);
        buf_free(&b);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%s %s\n", !rows[i].a ? "+" : !rows[i].b ? "-" : "~", rows[i].key);
            put_side(na, rows[i].a, a->reveal);
            put_side(nb, rows[i].b, a->reveal);
        }
        printf("# %zu keys differ between %s (%zu keys) and %s (%zu keys)\n", n, na, sa.n, nb,
               sb.n);
    }
    free(rows);
    st = n ? ENV_EXIT_DIFF : 0;
out:
    envl_set_clear(&sa);
    envl_set_clear(&sb);
    etcd_free(ec);
    return st;
}

static int env_history(const cfg *c, const env_args *a)
{
    int st = need("history", a->npos == 2 && a->nenv <= 1 && a->ndc <= 1,
                  "want: history APP KEY [--env E] [--dc D]");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("history", c, &ec)))
        return st;
    envq_version *v = NULL;
    size_t n = 0;
    int64_t compacted = 0;
    int secret = 0;
    char err[512], ln[ENVL_PATH_MAX];
    int rc = envq_history(ec, c->etcd.prefix, a->pos[0], a->nenv ? a->env[0] : NULL, dc_of(a, 0),
                          a->pos[1], &v, &n, &compacted, &secret, err, sizeof(err));
    if (rc < 0) {
        st = fail("history", rc, err);
        goto out;
    }
    if (a->json) {
        buf b = BUF_INIT;
        envq_history_json(v, n, a->pos[1], secret, compacted, a->reveal, &b);
        print_buf(&b);
        buf_free(&b);
    } else {
        printf("%-8s  %-28s  %-6s  %s\n", "REV", "LAYER", "OP", "VALUE");
        for (size_t i = 0; i < n; i++) {
            layer_name(&v[i].layer, ln, sizeof(ln));
            printf("%-8lld  %-28s  %-6s  ", (long long)v[i].rev, ln,
                   v[i].deleted ? "unset" : "set");
            if (v[i].deleted)
                ;
            else if (secret && !a->reveal)
                fputs("(secret)", stdout);
            else
                put_value(stdout, v[i].value, v[i].len);
            fputc('\n', stdout);
        }
        if (compacted)
            printf("# etcd keeps history from revision %lld only (compacted)\n",
                   (long long)compacted);
    }
out:
    envq_versions_free(v, n);
    etcd_free(ec);
    return st;
}

/* The pending changes of a write, gathered by set/unset/import/rollback. */
typedef struct env_batch {
    envq_change *ch;
    size_t n, cap;
    size_t unchanged; /* skipped: the layer already holds the value */
    int64_t seen_rev; /* the revision the layer was read at */
} env_batch;

static void batch_add(env_batch *b, const char *layer, const char *key, const char *value,
                      size_t len, int secret)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->ch = xrealloc(b->ch, b->cap * sizeof(*b->ch));
    }
    b->ch[b->n++] =
        (envq_change){.layer = layer, .key = key, .value = value, .len = len, .secret = secret};
}

static const etcd_kv *find_kv(const etcd_range *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kvs[i].key, path) == 0)
            return &r->kvs[i];
    return NULL;
}

/* What the layer and the secret marks hold now, to skip what would not
 * change. */
typedef struct env_now {
    etcd_range layer, marks;
} env_now;

static int now_read(etcd *ec, const char *prefix, const char *layer, env_now *now, char *err,
                    size_t errlen)
{
    memset(now, 0, sizeof(*now));
    int rc = envq_layer_read(ec, prefix, layer, 0, &now->layer, err, errlen);
    if (rc < 0)
        return rc;
    char mp[ENVL_PATH_MAX];
    snprintf(mp, sizeof(mp), "%s/secret/", prefix);
    return etcd_get(ec, mp, 1, 0, 0, &now->marks, err, errlen);
}

static void now_clear(env_now *now)
{
    etcd_range_clear(&now->layer);
    etcd_range_clear(&now->marks);
}

/* 1 when putting key=value (secret) into layer would change nothing. */
static int now_same(const env_now *now, const char *prefix, const char *layer, const char *key,
                    const char *value, size_t len, int secret)
{
    char path[ENVL_PATH_MAX], mark[ENVL_PATH_MAX];
    envl_layer l;
    char err[256];
    if (envl_layer_parse(layer, &l, err, sizeof(err)) < 0 ||
        envl_layer_key(prefix, &l, key, path, sizeof(path)) < 0 ||
        envl_secret_key(prefix, key, mark, sizeof(mark)) < 0)
        return 0; /* envq_write names the problem */
    const etcd_kv *kv = find_kv(&now->layer, path);
    if (!kv || kv->value_len != len || memcmp(kv->value, value, len) != 0)
        return 0;
    return !secret || find_kv(&now->marks, mark) != NULL;
}

static int now_has(const env_now *now, const char *prefix, const char *layer, const char *key)
{
    char path[ENVL_PATH_MAX];
    envl_layer l;
    char err[256];
    if (envl_layer_parse(layer, &l, err, sizeof(err)) < 0 ||
        envl_layer_key(prefix, &l, key, path, sizeof(path)) < 0)
        return 1; /* let envq_write refuse it */
    return find_kv(&now->layer, path) != NULL;
}

/* Validates every change before anything is sent, so --dry-run refuses
 * what the write would. */
static int batch_check(const env_batch *b, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->n; i++) {
        envl_layer l;
        int rc = envl_layer_parse(b->ch[i].layer, &l, err, errlen);
        if (rc == 0)
            rc = envl_key_valid(b->ch[i].key, err, errlen);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(b->ch[j].key, b->ch[i].key) == 0) {
                snprintf(err, errlen, "%s: given twice", b->ch[i].key);
                return -EINVAL;
            }
    }
    return 0;
}

static void print_changes(const envq_change *ch, size_t n, const char *action, int dry_run)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%s %s %s%s\n", dry_run ? "would " : "", ch[i].value ? "set" : "unset",
               ch[i].layer, ch[i].key, ch[i].secret ? " (secret)" : "");
}

/*
 * Writes b in transactions of at most ENVQ_MAX_CHANGES changes, each with
 * its journal record. More than one transaction is said, and when one
 * fails, what was written before it is said too: running the same command
 * again skips what landed and writes the rest.
 */
static int batch_write(const char *verb, etcd *ec, const cfg *c, const env_batch *b,
                       const env_args *a)
{
    char err[512];
    int64_t revision = 0;
    size_t done = 0;
    int st = 0;
    if (a->dry_run || b->n == 0) {
        if (a->json) {
            buf j = BUF_INIT;
            envq_changes_json(b->ch, b->n, verb, a->dry_run, b->seen_rev, &j);
            print_buf(&j);
            buf_free(&j);
        } else {
            print_changes(b->ch, b->n, verb, a->dry_run);
            printf("# %zu change%s%s, %zu key%s already as wanted\n", b->n, b->n == 1 ? "" : "s",
                   a->dry_run ? " (dry run: nothing written)" : "", b->unchanged,
                   b->unchanged == 1 ? "" : "s");
        }
        return 0;
    }
    while (done < b->n) {
        size_t k = b->n - done < ENVQ_MAX_CHANGES ? b->n - done : ENVQ_MAX_CHANGES;
        int rc = envq_write(ec, c->etcd.prefix, b->ch + done, k, verb, &revision, err, sizeof(err));
        if (rc < 0) {
            st = fail(verb, rc, err);
            if (done)
                fprintf(stderr,
                        "berth env %s: %zu of %zu changes were written (up to revision %lld) "
                        "and %zu were not; run the same command again to write the rest\n",
                        verb, done, b->n, (long long)revision, b->n - done);
            return st;
        }
        done += k;
    }
    if (a->json) {
        buf j = BUF_INIT;
        envq_changes_json(b->ch, b->n, verb, 0, revision, &j);
        print_buf(&j);
        buf_free(&j);
    } else {
        print_changes(b->ch, b->n, verb, 0);
        printf("# %zu change%s written at revision %lld%s, %zu key%s already as wanted\n", b->n,
               b->n == 1 ? "" : "s", (long long)revision,
               b->n > ENVQ_MAX_CHANGES ? " (in several transactions)" : "", b->unchanged,
               b->unchanged == 1 ? "" : "s");
    }
    return 0;
}

/* Reads all of stdin (at most max bytes). */
static int read_stdin(buf *b, size_t max, char *err, size_t errlen)
{
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (b->len + n > max) {
            snprintf(err, errlen, "stdin: more than %zu bytes", max);
            return -E2BIG;
        }
        buf_append(b, chunk, n);
    }
    if (ferror(stdin)) {
        snprintf(err, errlen, "stdin: %s", strerror(errno));
        return -EIO;
    }
    return 0;
}

static int env_set(const cfg *c, const env_args *a)
{
    int st = need("set", a->npos >= 2 || (a->npos == 1 && a->stdin_key),
                  "want: set LAYER KEY=VALUE... [--secret] [--stdin KEY]");
    if (st)
        return st;
    const char *layer = a->pos[0];
    env_batch b = {0};
    buf in = BUF_INIT;
    char err[512];
    char **keys = xcalloc(a->npos + 1, sizeof(*keys));
    size_t nk = 0;
    etcd *ec = NULL;
    env_now now = {0};
    int rc = 0;
    for (size_t i = 1; i < a->npos; i++) {
        const char *eq = strchr(a->pos[i], '=');
        if (!eq) {
            snprintf(err, sizeof(err), "'%s': want KEY=VALUE", a->pos[i]);
            rc = -EINVAL;
            goto fail;
        }
        keys[nk] = xmalloc((size_t)(eq - a->pos[i]) + 1);
        memcpy(keys[nk], a->pos[i], (size_t)(eq - a->pos[i]));
        keys[nk][eq - a->pos[i]] = '\0';
        batch_add(&b, layer, keys[nk], eq + 1, strlen(eq + 1), a->secret);
        nk++;
    }
    if (a->stdin_key) {
        /* the value from stdin keeps a secret out of ps and shell history;
         * one trailing newline (echo's) is not part of it */
        if ((rc = read_stdin(&in, ETCD_MAX_VALUE, err, sizeof(err))) < 0)
            goto fail;
        if (in.len && in.data[in.len - 1] == '\n')
            in.len--;
        buf_putc(&in, '\0');
        in.len--;
        batch_add(&b, layer, a->stdin_key, in.data, in.len, a->secret);
    }
    if ((rc = batch_check(&b, err, sizeof(err))) < 0)
        goto fail;
    if ((st = env_connect("set", c, &ec)))
        goto out;
    if ((rc = now_read(ec, c->etcd.prefix, layer, &now, err, sizeof(err))) < 0)
        goto fail;
    b.seen_rev = now.layer.revision;
    size_t k = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (now_same(&now, c->etcd.prefix, layer, b.ch[i].key, b.ch[i].value, b.ch[i].len,
                     b.ch[i].secret))
            b.unchanged++;
        else
            b.ch[k++] = b.ch[i];
    }
    b.n = k;
    st = batch_write("set", ec, c, &b, a);
    goto out;
fail:
    st = fail("set", rc, err);
out:
    now_clear(&now);
    etcd_free(ec);
    if (in.data)
        explicit_bzero(in.data, in.len);
    buf_free(&in);
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
    free(b.ch);
    return st;
}

static int env_unset(const cfg *c, const env_args *a)
{
    int st = need("unset", a->npos >= 2, "want: unset LAYER KEY...");
    if (st)
        return st;
    const char *layer = a->pos[0];
    env_batch b = {0};
    char err[512];
    etcd *ec = NULL;
    env_now now = {0};
    int rc;
    for (size_t i = 1; i < a->npos; i++)
        batch_add(&b, layer, a->pos[i], NULL, 0, 0);
    if ((rc = batch_check(&b, err, sizeof(err))) < 0)
        goto fail;
    if ((st = env_connect("unset", c, &ec)))
        goto out;
    if ((rc = now_read(ec, c->etcd.prefix, layer, &now, err, sizeof(err))) < 0)
        goto fail;
    b.seen_rev = now.layer.revision;
    size_t k = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (!now_has(&now, c->etcd.prefix, layer, b.ch[i].key))
            b.unchanged++;
        else
            b.ch[k++] = b.ch[i];
    }
    b.n = k;
    st = batch_write("unset", ec, c, &b, a);
    goto out;
fail:
    st = fail("unset", rc, err);
out:
    now_clear(&now);
    etcd_free(ec);
    free(b.ch);
    return st;
}

static int env_import(const cfg *c, const env_args *a)
{
    int st = need("import", a->npos == 2, "want: import LAYER FILE|- [--secret]");
    if (st)
        return st;
    const char *layer = a->pos[0], *file = a->pos[1];
    buf in = BUF_INIT;
    char err[512], **keys = NULL, **values = NULL;
    size_t n = 0;
    env_batch b = {0};
    etcd *ec = NULL;
    env_now now = {0};
    int rc;
    if (strcmp(file, "-") == 0)
        rc = read_stdin(&in, 16u << 20, err, sizeof(err));
    else {
        long r = buf_read_file(&in, file, 16u << 20);
        rc = r < 0 ? (int)r : 0;
        if (rc < 0)
            snprintf(err, sizeof(err), "%s: %s", file, strerror(-rc));
        if (rc == -ENOENT)
            rc = -EINVAL; /* the input's fault: exit 2 */
    }
    if (rc < 0)
        goto fail;
    if ((rc = envl_parse_import(in.data ? in.data : "", in.len, &keys, &values, &n, err,
                                sizeof(err))) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        batch_add(&b, layer, keys[i], values[i], strlen(values[i]), a->secret);
    if ((rc = batch_check(&b, err, sizeof(err))) < 0)
        goto fail;
    if ((st = env_connect("import", c, &ec)))
        goto out;
    if ((rc = now_read(ec, c->etcd.prefix, layer, &now, err, sizeof(err))) < 0)
        goto fail;
    b.seen_rev = now.layer.revision;
    size_t k = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (now_same(&now, c->etcd.prefix, layer, b.ch[i].key, b.ch[i].value, b.ch[i].len,
                     b.ch[i].secret))
            b.unchanged++;
        else
            b.ch[k++] = b.ch[i];
    }
    b.n = k;
    st = batch_write("import", ec, c, &b, a);
    goto out;
fail:
    st = fail("import", rc, err);
out:
    now_clear(&now);
    etcd_free(ec);
    for (size_t i = 0; i < n; i++)
        explicit_bzero(values[i], strlen(values[i]));
    envl_pairs_free(keys, values, n);
    if (in.data)
        explicit_bzero(in.data, in.len);
    buf_free(&in);
    free(b.ch);
    return st;
}

/* export --layer: one layer's own keys, as a set import reads back. */
static int layer_as_set(etcd *ec, const char *prefix, const char *layer, envl_set *s, char *err,
                        size_t errlen)
{
    etcd_range r = {0}, marks = {0};
    int rc = envq_layer_read(ec, prefix, layer, 0, &r, err, errlen);
    char mp[ENVL_PATH_MAX];
    snprintf(mp, sizeof(mp), "%s/secret/", prefix);
    if (rc == 0)
        rc = etcd_get(ec, mp, 1, 0, 0, &marks, err, errlen);
    if (rc == 0) {
        /* the layer's keys and the marks, merged as a set of one layer:
         * resolve for the names in the layer picks exactly this layer's
         * keys when the others are absent */
        envl_layer l;
        envl_layer_parse(layer, &l, err, errlen);
        size_t n = r.n + marks.n;
        etcd_kv *kv = xcalloc(n ? n : 1, sizeof(*kv));
        if (r.n)
            memcpy(kv, r.kvs, r.n * sizeof(*kv));
        if (marks.n)
            memcpy(kv + r.n, marks.kvs, marks.n * sizeof(*kv));
        rc = envl_resolve(prefix, l.app[0] ? l.app : NULL, l.env[0] ? l.env : NULL,
                          l.dc[0] ? l.dc : NULL, kv, n, r.revision, s, err, errlen);
        free(kv);
    }
    etcd_range_clear(&r);
    etcd_range_clear(&marks);
    return rc;
}

static int env_export(const cfg *c, const env_args *a)
{
    int st = a->layer ? need("export", a->npos == 0 && a->nenv == 0 && a->ndc == 0,
                             "want: export --layer LAYER")
                      : need("export", a->npos == 1 && a->nenv == 1 && a->ndc <= 1,
                             "want: export APP --env E [--dc D], or export --layer LAYER");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("export", c, &ec)))
        return st;
    envl_set s = {0};
    char err[512];
    int rc = a->layer ? layer_as_set(ec, c->etcd.prefix, a->layer, &s, err, sizeof(err))
                      : envq_resolve(ec, c->etcd.prefix, a->pos[0], a->env[0], dc_of(a, 0), a->rev,
                                     &s, err, sizeof(err));
    if (rc < 0) {
        st = fail("export", rc, err);
        goto out;
    }
    warn_problems("export", &s);
    buf b = BUF_INIT;
    if ((rc = envq_export(&s, a->json, a->reveal, &b, err, sizeof(err))) < 0)
        st = fail("export", rc, err);
    else
        fwrite(b.data ? b.data : "", 1, b.len, stdout);
    buf_free(&b);
out:
    envl_set_clear(&s);
    etcd_free(ec);
    return st;
}

static int env_rollback(const cfg *c, const env_args *a)
{
    int st = need("rollback", a->npos == 1 && a->rev > 0, "want: rollback LAYER --to REV");
    if (st)
        return st;
    etcd *ec;
    if ((st = env_connect("rollback", c, &ec)))
        return st;
    envq_change *ch = NULL;
    size_t n = 0;
    char err[512];
    int rc = envq_rollback_plan(ec, c->etcd.prefix, a->pos[0], a->rev, &ch, &n, err, sizeof(err));
    if (rc < 0) {
        st = fail("rollback", rc, err);
        goto out;
    }
    env_batch b = {.ch = ch, .n = n, .cap = n};
    st = batch_write("rollback", ec, c, &b, a);
out:
    envq_changes_free(ch, n);
    etcd_free(ec);
    return st;
}

int cmd_env(int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*fn)(const cfg *, const env_args *);
    } verbs[] = {
        {"show", env_show},       {"explain", env_explain}, {"diff", env_diff},
        {"history", env_history}, {"set", env_set},         {"unset", env_unset},
        {"import", env_import},   {"export", env_export},   {"rollback", env_rollback},
    };
    if (argc < 2) {
        usage(stderr);
        return ENV_EXIT_USAGE;
    }
    /* The verb is the first argument that is not an option, so options
     * may come first (berth env --etcd URL show web ...). */
    cfg *c = xcalloc(1, sizeof(*c)); /* large: not on the stack */
    env_args a = {0};
    int st = cmd_args_begin(c, argc, argv) < 0 ? ENV_EXIT_USAGE : parse_args("", c, argc, argv, &a);
    if (st) {
        st = st == ENV_HELP ? 0 : st;
        goto out;
    }
    const char *verb = a.npos ? a.pos[0] : "";
    if (strcmp(verb, "help") == 0) {
        usage(stdout);
        goto out;
    }
    memmove(a.pos, a.pos + 1, (a.npos ? a.npos - 1 : 0) * sizeof(a.pos[0]));
    a.npos = a.npos ? a.npos - 1 : 0;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verb, verbs[i].verb) == 0) {
            st = verbs[i].fn(c, &a);
            goto out;
        }
    fprintf(stderr, "berth env: %s '%s'\n\n", *verb ? "unknown verb" : "want a verb", verb);
    usage(stderr);
    st = ENV_EXIT_USAGE;
out:
    free(c);
    return st;
}
