/*
 * envq: the configuration side's reads and writes against etcd (envq_*),
 * the work behind `berth env`; cmd/env.c only parses arguments and prints.
 *
 * One resolve is one etcd transaction: the ranges of every layer that
 * applies to (app, env, dc) and of the secret marks, read at one revision,
 * then merged by layers.c. A write of a secret key puts the value and the
 * mark P/secret/KEY in one transaction, so a reader never sees the value
 * without the mark.
 *
 * The options (etcd_endpoints, etcd_prefix, etcd_user, ...) are one table
 * (release/env/envq_opt.c), part of the agent's cfg and of every command's
 * flags. The password is read from a file, never from a flag, so it is not
 * in `ps` output nor in a shell history.
 */
#ifndef BERTH_RELEASE_ENV_ENVQ_H
#define BERTH_RELEASE_ENV_ENVQ_H

#include <stddef.h>
#include <stdint.h>

#include "release/env/etcd.h"
#include "release/env/layers.h"
#include "util/buf.h"
#include "util/opt.h"

typedef struct envq_opts {
    char endpoints[1024]; /* etcd_endpoints */
    char prefix[ENVL_PREFIX_MAX + 1];
    char user[128];
    char password_file[256];
    char ca[256];
    char cert[256];
    char key[256];
    int64_t timeout_ms;
} envq_opts;

extern const opt_table envq_opt_table;

/* A client for o (the password file read here). */
int envq_connect(const envq_opts *o, etcd **out, char *err, size_t errlen);

/* The merged configuration of (app, env, dc) at rev (0 = latest). */
int envq_resolve(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 int64_t rev, envl_set *out, char *err, size_t errlen);
/* Every layer that sets key for (app, env, dc), lowest first. */
int envq_explain(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 const char *key, envl_entry **out, size_t *n, int64_t *revision, char *err,
                 size_t errlen);

/* One change of a write: KEY=value put into layer, or KEY deleted from it. */
typedef struct envq_change {
    const char *layer; /* "global", "app/A/env/E", ... (layers.h) */
    const char *key;
    const char *value; /* put; NULL = delete */
    size_t len;
    int secret; /* put the mark P/secret/KEY too */
} envq_change;

#define ENVQ_MAX_CHANGES 60 /* two ops each, and the journal's, within etcd's 128 */

/* Applies every change in one transaction, with a journal record (P/journal/
 * env/<ns>-<host>-<pid>: time, host, user, action, the keys, never a value)
 * written in the same transaction, so the change and its record land
 * together or not at all. Every key and layer is validated before anything
 * is sent. action: "set", "unset", "import", "rollback". */
int envq_write(etcd *c, const char *prefix, const envq_change *ch, size_t n, const char *action,
               int64_t *revision, char *err, size_t errlen);
/* KEY=value (and the mark when secret), through envq_write. */
int envq_set(etcd *c, const char *prefix, const char *layer, const char *key, const char *value,
             size_t len, int secret, int64_t *revision, char *err, size_t errlen);
/* Deletes KEY from layer; *deleted 0 when it was not set (nothing written). */
int envq_unset(etcd *c, const char *prefix, const char *layer, const char *key, int64_t *deleted,
               int64_t *revision, char *err, size_t errlen);

/* The keys of one layer (not merged) at rev (0 = latest), sorted: its own
 * valid keys only, not those of the layers nested under its path. */
int envq_layer_read(etcd *c, const char *prefix, const char *layer, int64_t rev, etcd_range *out,
                    char *err, size_t errlen);

/* One version of a layer key, from etcd's history. */
typedef struct envq_version {
    envl_layer layer;
    int64_t rev; /* the revision of the change */
    int deleted; /* the change deleted the key */
    char *value; /* malloc'd; NULL when deleted */
    size_t len;
} envq_version;

/* Every version of KEY in each layer of (app, env, dc) that etcd still
 * keeps, newest first: a watch replay from the oldest revision kept (after
 * a compaction, what is older is gone: *compacted says from where). */
int envq_history(etcd *c, const char *prefix, const char *app, const char *env, const char *dc,
                 const char *key, envq_version **out, size_t *n, int64_t *compacted, int *secret,
                 char *err, size_t errlen);
void envq_versions_free(envq_version *v, size_t n);

/* The changes that bring layer back to what it held at rev: a put for each
 * key whose value differs, a delete for each key that did not exist then.
 * *ch and its strings are malloc'd (envq_changes_free). 0 changes: nothing
 * to do (the rollback is idempotent). */
int envq_rollback_plan(etcd *c, const char *prefix, const char *layer, int64_t rev,
                       envq_change **ch, size_t *n, char *err, size_t errlen);
void envq_changes_free(envq_change *ch, size_t n);

/* {"app","env","dc","revision","sha256","keys":[{"key","value","layer",
 * "mod_revision","secret"}],"problems":[...]}; a secret's value is
 * "(secret)" unless reveal. */
void envq_set_json(const envl_set *s, const char *app, const char *env, const char *dc, int reveal,
                   buf *out);
/* {"a":{...},"b":{...},"keys":[{"key","a":{value,layer,mod_revision}|null,
 * "b":...}]} with secrets hidden unless reveal. */
void envq_diff_json(const envl_set *a, const envl_set *b, const char *env_a, const char *env_b,
                    const envl_diff_row *rows, size_t n, int reveal, buf *out);

/* explain's rows: {"app","env","dc","key","revision","secret","layers":[{value,
 * layer,mod_revision,secret}]} (lowest first, the winner last). */
void envq_explain_json(const envl_entry *e, size_t n, const char *app, const char *env,
                       const char *dc, const char *key, int64_t revision, int reveal, buf *out);
/* {"key","secret","compacted","versions":[{"revision","layer","op","value"}]} */
void envq_history_json(const envq_version *v, size_t n, const char *key, int secret,
                       int64_t compacted, int reveal, buf *out);
/* {"action","dry_run","revision","changes":[{"layer","key","op","secret"}]}: never a value. */
void envq_changes_json(const envq_change *ch, size_t n, const char *action, int dry_run,
                       int64_t revision, buf *out);
/* The set as import reads it back: an env-file ("KEY=VALUE" lines) or a
 * JSON object. Secrets are left out unless reveal (a '#' line says which);
 * a value an env-file cannot hold (a newline, a NUL) is an error naming the
 * key: use JSON. */
int envq_export(const envl_set *s, int json, int reveal, buf *out, char *err, size_t errlen);

#endif
