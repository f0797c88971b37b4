/*
 * spec: an app's launch spec, P/apps/<app>/spec in etcd (spec_*): all that
 * is needed to start one more instance of the app, except its
 * configuration (layers.h) and the image's tag or digest. JSON or YAML
 * (libyaml; the first non-blank byte '{' means JSON). Pure: (buf, len) in,
 * struct out; every error names the field ("ports[1].host: want a port
 * 1-65535, got 'x'"); unknown fields are refused. Fuzzed
 * (fuzz/fuzz_spec.c). The format, every field and its default:
 * docs/env.md (for now docs/spec-format.md). A present list is never NULL,
 * even when empty (env_keys [] is not env_keys absent).
 *
 * Secure defaults: no_new_privileges on; published ports on 127.0.0.1
 * unless host_ip says otherwise; the user is the spec's, else the image's
 * when it is not root, else SPEC_NOBODY (runplan.h decides with the image's
 * user: "non-root where the image allows"); user "root" must be written.
 */
#ifndef BERTH_RELEASE_ENV_SPEC_H
#define BERTH_RELEASE_ENV_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define SPEC_MAX_BYTES (1u << 20) /* a longer spec is refused */
#define SPEC_MAX_ITEMS 256u       /* per list (ports, volumes, files, ...) */
#define SPEC_NOBODY    "65534:65534"

typedef struct spec_port {
    uint16_t container;
    uint16_t host; /* 0 = not published */
    char proto[4]; /* "tcp" or "udp" */
    char host_ip[46];
} spec_port;

typedef struct spec_volume {
    char *source; /* host path (absolute) or volume name; NULL for tmpfs */
    char *target; /* absolute path in the container */
    int read_only;
    int tmpfs;
    int64_t tmpfs_size; /* bytes, 0 = Docker's default */
} spec_volume;

/* A file rendered from the configuration into files_dir (or, when it uses
 * a secret key, into secrets_dir on a tmpfs). */
typedef struct spec_file {
    char *name;     /* file name, no '/' */
    char *template; /* tmpl.h syntax; NULL when key is set */
    char *key;      /* the file is this key's raw value */
    unsigned mode;  /* 0 = not written: runplan's default, 0444 (0400 on
                     * the secrets tmpfs); else 0001-0777 */
} spec_file;

typedef struct spec_kv {
    char *key;
    char *value;
} spec_kv;

typedef enum { SPEC_ON_ENV_MARK, SPEC_ON_ENV_RECREATE } spec_on_env;

typedef struct app_spec {
    char *image; /* repository, e.g. "127.0.0.1:5000/shop/web" (required) */
    char *tag;   /* default tag when berth run has no --image; NULL = "latest" */
    char **command;
    size_t n_command;
    char **entrypoint;
    size_t n_entrypoint;
    char *workdir;
    spec_port *ports;
    size_t n_ports;
    struct {
        char **test; /* ["CMD", ...] or ["CMD-SHELL", "..."]; NULL = image's */
        size_t n_test;
        int64_t interval_ms, timeout_ms, start_period_ms;
        int retries;
    } health;
    double cpus;        /* 0 = no limit */
    int64_t memory;     /* bytes, 0 = no limit */
    int64_t pids_limit; /* 0 = no limit */
    char restart[16];   /* "no", "always", "unless-stopped", "on-failure" */
    int restart_max;    /* on-failure:N */
    char *user;         /* NULL = decided with the image (see above) */
    int read_only;
    int no_new_privileges; /* default 1 */
    char **cap_add;
    size_t n_cap_add;
    char **cap_drop;
    size_t n_cap_drop;
    spec_volume *volumes;
    size_t n_volumes;
    spec_kv *labels; /* "berth." labels are refused: berth writes them */
    size_t n_labels;
    char *log_driver; /* NULL = the daemon's */
    spec_kv *log_opts;
    size_t n_log_opts;
    char *network; /* NULL = "bridge" */
    int64_t stop_timeout_ms;
    /* configuration delivery */
    char **env_keys; /* NULL = every merged key not used by a file */
    size_t n_env_keys;
    spec_file *files;
    size_t n_files;
    char *files_dir;     /* container path of the files, default "/etc/berth" */
    char *secrets_dir;   /* container path of secret files, default "/run/secrets" */
    char *reload_signal; /* sent after files change: NULL = none, e.g. "HUP" */
    spec_on_env on_env;  /* an env key changed: mark stale (default) or recreate */
} app_spec;

int spec_parse(const char *buf, size_t len, app_spec *out, char *err, size_t errlen);
void spec_clear(app_spec *s);
/* hex sha256 of the spec's canonical JSON (field order fixed), so a
 * reformatted spec hashes the same. */
int spec_hash(const app_spec *s, char hex[65]);

#endif
