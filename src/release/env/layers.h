/*
 * layers: the configuration layers in etcd and their merge (envl_*). Pure:
 * key names in, merged sets out, no I/O, so every rule here is unit-tested
 * (tests/unit/test_layers.c) and the key parser is fuzzed.
 *
 * The key layout under the prefix P (default "/berth"), lowest precedence
 * first; each layer overrides the ones before it:
 *
 *   P/env/global/KEY
 *   P/env/dc/<dc>/KEY
 *   P/env/env/<env>/KEY
 *   P/env/env/<env>/dc/<dc>/KEY
 *   P/env/app/<app>/KEY
 *   P/env/app/<app>/env/<env>/KEY
 *   P/env/app/<app>/env/<env>/dc/<dc>/KEY
 *
 *   P/secret/KEY          marks KEY secret in every layer (value ignored)
 *   P/apps/<app>/spec     the app's launch spec (spec.h)
 *
 * KEY is an environment-variable name: [A-Za-z_][A-Za-z0-9_]*, at most
 * ENVL_KEY_MAX bytes. <app>, <env> and <dc> are names: [A-Za-z0-9] then
 * [A-Za-z0-9_.-], at most ENVL_NAME_MAX bytes. The prefix starts with '/',
 * has no trailing '/' and no "//".
 *
 * A layer is written as in the key, without P/env/: "global", "dc/D",
 * "env/E", "env/E/dc/D", "app/A", "app/A/env/E", "app/A/env/E/dc/D".
 */
#ifndef BERTH_RELEASE_ENV_LAYERS_H
#define BERTH_RELEASE_ENV_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "release/env/etcd.h"

#define ENVL_KEY_MAX    255u
#define ENVL_NAME_MAX   63u
#define ENVL_PREFIX_MAX 255u
#define ENVL_PATH_MAX   768u /* any key this module builds fits */

typedef enum {
    ENVL_GLOBAL,
    ENVL_DC,
    ENVL_ENV,
    ENVL_ENV_DC,
    ENVL_APP,
    ENVL_APP_ENV,
    ENVL_APP_ENV_DC,
    ENVL_N
} envl_kind;

typedef struct envl_layer {
    envl_kind kind;
    char app[ENVL_NAME_MAX + 1]; /* "" where the kind has none */
    char env[ENVL_NAME_MAX + 1];
    char dc[ENVL_NAME_MAX + 1];
} envl_layer;

/* hex sha256 of p[0..n) (OpenSSL EVP), shared by spec.c and runplan.c. */
void envl_sha256(const void *p, size_t n, char hex[65]);

/* 0, or -EINVAL with err naming what is wrong ("KEY 'a-b': ..."). */
int envl_key_valid(const char *key, char *err, size_t errlen);
/* what: "app", "env" or "dc", for the message. */
int envl_name_valid(const char *what, const char *name, char *err, size_t errlen);
int envl_prefix_valid(const char *prefix, char *err, size_t errlen);

/* "app/A/env/E" <-> struct. */
int envl_layer_parse(const char *s, envl_layer *out, char *err, size_t errlen);
/* Writes the layer's name; -ENOSPC when it does not fit. */
int envl_layer_format(const envl_layer *l, char *out, size_t outlen);

/* P/env/<layer>/KEY (key NULL: the layer's prefix, ending in '/'). */
int envl_layer_key(const char *prefix, const envl_layer *l, const char *key, char *out,
                   size_t outlen);
/* P/secret/KEY, P/apps/<app>/spec. */
int envl_secret_key(const char *prefix, const char *key, char *out, size_t outlen);
int envl_spec_key(const char *prefix, const char *app, char *out, size_t outlen);

/* The ENVL_N layers that apply to (app, env, dc), lowest precedence first.
 * Any of app, env, dc may be NULL or "": the layers needing it are left
 * out (*n says how many). */
int envl_layers_for(const char *app, const char *env, const char *dc, envl_layer out[ENVL_N],
                    size_t *n, char *err, size_t errlen);

/* A full etcd key -> its layer and KEY. 1 when key is a config key of a
 * valid layer; 0 when it is something else under P (a spec, a secret
 * mark) or outside P; -EINVAL when it is under P/env/ but malformed (err
 * says why: ops can write any key with etcdctl). */
int envl_parse_key(const char *prefix, const char *key, envl_layer *layer, char *name,
                   size_t namelen, char *err, size_t errlen);

/* One key of a merged set. */
typedef struct envl_entry {
    char *key;   /* malloc'd */
    char *value; /* malloc'd, NUL-terminated */
    size_t value_len;
    envl_layer src; /* the winning layer */
    int64_t mod_rev;
    int secret;
    size_t n_shadowed; /* how many lower layers also set it */
} envl_entry;

/* A key under P/env/ that could not be used, kept so it is reported. */
typedef struct envl_problem {
    char *key; /* the etcd key, malloc'd */
    char *why; /* malloc'd */
} envl_problem;

typedef struct envl_set {
    envl_entry *e; /* sorted by key (strcmp) */
    size_t n;
    int64_t revision;  /* the revision the kvs were read at */
    char sha256[65];   /* hex sha256 of the sorted "KEY=VALUE\n" lines, a
                        * secret's VALUE being "(secret rev <mod_rev>)" so
                        * the digest (a label) reveals nothing of it */
    envl_problem *bad; /* keys skipped */
    size_t n_bad;
} envl_set;

/* Merges kvs (any order; any keys, only those of the layers for app/env/dc
 * and the secret marks under P/secret/ are used) into *out. revision is
 * stamped into out. A value with a NUL or a newline cannot be an
 * environment variable: it is kept (it may be a file key) but the entry
 * says so through envl_value_env_ok. */
int envl_resolve(const char *prefix, const char *app, const char *env, const char *dc,
                 const etcd_kv *kvs, size_t n, int64_t revision, envl_set *out, char *err,
                 size_t errlen);
void envl_set_clear(envl_set *s);
const envl_entry *envl_find(const envl_set *s, const char *key);
int envl_value_env_ok(const envl_entry *e);

/* Every layer that sets key for (app, env, dc), lowest first: *out is a
 * malloc'd array of *n entries (the winner last), freed with
 * envl_entries_free. */
int envl_explain(const char *prefix, const char *app, const char *env, const char *dc,
                 const etcd_kv *kvs, size_t n, const char *key, envl_entry **out, size_t *nout,
                 char *err, size_t errlen);
void envl_entries_free(envl_entry *e, size_t n);

/* The keys that differ between a and b (only in a, only in b, or another
 * value), sorted by key. a and b are borrowed; rows point into them. */
typedef struct envl_diff_row {
    const char *key;
    const envl_entry *a; /* NULL: not in a */
    const envl_entry *b;
} envl_diff_row;

int envl_diff(const envl_set *a, const envl_set *b, envl_diff_row **rows, size_t *n);

/* An env-file ("KEY=VALUE" per line, '#' comments and blank lines skipped,
 * no quote processing, as docker's --env-file) or a JSON object of strings
 * -> pairs. Errors name the line. Pure; fuzzed. *keys and *values are
 * malloc'd arrays of malloc'd strings, freed with envl_pairs_free. */
int envl_parse_import(const char *buf, size_t len, char ***keys, char ***values, size_t *n,
                      char *err, size_t errlen);
void envl_pairs_free(char **keys, char **values, size_t n);

#endif
