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

/* Puts KEY=value into layer (and its secret mark when secret) in one
 * transaction. The key and the layer are validated first. */
int envq_set(etcd *c, const char *prefix, const char *layer, const char *key, const char *value,
             size_t len, int secret, int64_t *revision, char *err, size_t errlen);
/* Deletes KEY from layer; *deleted 0 when it was not set. */
int envq_unset(etcd *c, const char *prefix, const char *layer, const char *key, int64_t *deleted,
               int64_t *revision, char *err, size_t errlen);

/* {"app","env","dc","revision","sha256","keys":[{"key","value","layer",
 * "mod_revision","secret"}],"problems":[...]}; a secret's value is
 * "(secret)" unless reveal. */
void envq_set_json(const envl_set *s, const char *app, const char *env, const char *dc, int reveal,
                   buf *out);
/* {"a":{...},"b":{...},"keys":[{"key","a":{value,layer,mod_revision}|null,
 * "b":...}]} with secrets hidden unless reveal. */
void envq_diff_json(const envl_set *a, const envl_set *b, const char *env_a, const char *env_b,
                    const envl_diff_row *rows, size_t n, int reveal, buf *out);

#endif
