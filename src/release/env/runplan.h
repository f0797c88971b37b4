/*
 * runplan: what `berth run` will do, decided without doing it (runplan_*).
 * Pure: an app's spec, its merged configuration and the image's facts in;
 * the Engine API create body, the files to write and the journal record
 * out. Unit-tested (tests/unit/test_runplan.c); `berth run --dry-run`
 * prints the plan.
 *
 * Delivery of each merged key:
 *  - used by a spec file (a template names it, or file.key is it): into
 *    that file, not into the environment;
 *  - else, a secret key: a 0400 file KEY on the secrets tmpfs (owned by
 *    the container's uid), and the env var KEY_FILE=<secrets_dir>/KEY
 *    names it; the value never enters the create body;
 *  - else an env var KEY=VALUE (when spec.env_keys is set, only the keys
 *    listed there; the others are left out). A value with a newline or a
 *    NUL cannot be an env var: an error naming the key.
 *  A file that uses a secret key is itself written on the secrets tmpfs.
 *
 * Labels written on every container (berth reads them back: ps, /metrics,
 * the agent's env job, later berth release):
 *   berth.app, berth.env, berth.dc, berth.image (the reference run),
 *   berth.image.digest, berth.config.rev, berth.config.sha256,
 *   berth.spec.sha256
 */
#ifndef BERTH_RELEASE_ENV_RUNPLAN_H
#define BERTH_RELEASE_ENV_RUNPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "release/env/layers.h"
#include "release/env/spec.h"
#include "util/buf.h"

#define RUNPLAN_LABEL_APP    "berth.app"
#define RUNPLAN_LABEL_ENV    "berth.env"
#define RUNPLAN_LABEL_DC     "berth.dc"
#define RUNPLAN_LABEL_IMAGE  "berth.image"
#define RUNPLAN_LABEL_DIGEST "berth.image.digest"
#define RUNPLAN_LABEL_REV    "berth.config.rev"
#define RUNPLAN_LABEL_SHA    "berth.config.sha256"
#define RUNPLAN_LABEL_SPEC   "berth.spec.sha256"

typedef struct runplan_in {
    const app_spec *spec;
    const envl_set *cfg;
    const char *app, *env, *dc;
    const char *name;         /* the container's name */
    const char *image_ref;    /* what to create from: "repo@sha256:..." */
    const char *image_digest; /* "sha256:..." (the repo digest) */
    const char *image_user;   /* the image's Config.User ("" = root) */
    const char *files_host;   /* host dir bind-mounted at spec.files_dir */
    const char *secrets_host; /* host dir (on a tmpfs) at spec.secrets_dir */
} runplan_in;

typedef enum { RUNPLAN_ENV, RUNPLAN_FILE, RUNPLAN_SECRET_FILE } runplan_kind;

typedef struct runplan_file {
    char *host_path; /* absolute, under files_host or secrets_host */
    char *content;   /* malloc'd (may hold a secret: clear before free) */
    size_t len;
    unsigned mode;
    int secret;
} runplan_file;

/* One merged key, as the journal keeps it: never the value, its sha256. */
typedef struct runplan_key {
    char *key;
    runplan_kind kind;
    char *file; /* the file name it went into, or NULL */
    char sha256[65];
} runplan_key;

typedef struct runplan {
    char *name;
    char *user;      /* "uid:gid" or a name; what the container runs as */
    long uid, gid;   /* user's numbers, -1 when it is a name (secret files
                      * need numbers: they are owned by it, mode 0400) */
    buf create_body; /* JSON for POST /containers/create?name= */
    runplan_file *files;
    size_t n_files;
    runplan_key *keys; /* sorted by key */
    size_t n_keys;
    char **env; /* the "KEY=VALUE" list in the body, for --dry-run and tests */
    size_t n_env;
    int needs_files;   /* a files_host bind mount is in the body */
    int needs_secrets; /* a secrets_host bind mount is in the body */
} runplan;

int runplan_build(const runplan_in *in, runplan *out, char *err, size_t errlen);
/* Clears secret contents before freeing. */
void runplan_clear(runplan *p);

/* The journal record of a plan (JSON: name, app, env, dc, digest, rev,
 * sha256, keys with kind and sha256), what the agent's env job compares a
 * later configuration with. */
int runplan_journal(const runplan_in *in, const runplan *p, buf *out);

/* The files to rewrite and whether the container's environment changed
 * when the configuration goes from what journal describes to the new plan
 * p: *n_changed_files of p->files differ (indexes in *changed, malloc'd),
 * *env_changed when an env or secret key was added, removed or changed. */
int runplan_compare(const char *journal, size_t len, const runplan *p, size_t **changed,
                    size_t *n_changed, int *env_changed, char *err, size_t errlen);

#endif
