/*
 * runplan: the plan of `berth run` (runplan.h). Pure: it builds JSON with
 * jansson and renders templates with tmpl.c; it never touches Docker, etcd
 * or the disk, so every delivery rule is unit-tested
 * (tests/unit/test_runplan.c).
 *
 * Why a plan at all: the same decisions are needed by `berth run`, by its
 * --dry-run, and by the agent's env job when the configuration changes (what
 * to rewrite, whether the environment moved). Deciding once, in one place,
 * keeps those three from drifting apart.
 *
 * Secrets: a secret value only ever goes into a runplan_file (cleared
 * before free) and never into the create body, the env list, a label or the
 * journal. The journal's digest of a secret key is taken over its revision,
 * as the set's digest is (layers.c), so a record cannot be used to test
 * guesses offline.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/runplan.h"
#include "release/env/tmpl.h"
#include "util/xalloc.h"

static void clear_bytes(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

/* The digest of one key as the journal keeps it. */
static void key_sha(const envl_entry *e, char hex[65])
{
    if (e->secret) {
        char s[64];
        int n = snprintf(s, sizeof(s), "(secret rev %lld)", (long long)e->mod_rev);
        envl_sha256(s, (size_t)n, hex);
    } else
        envl_sha256(e->value, e->value_len, hex);
}

static int set_json(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v ? v : json_null());
}

static json_t *str_list(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Keys the spec's files use, with the file that uses each. */
typedef struct used {
    const char *key; /* borrowed from the template walk's copy */
    size_t file;
} used;

typedef struct used_set {
    char **keys; /* malloc'd copies */
    size_t *file;
    size_t n, cap;
    size_t cur; /* the file being walked */
} used_set;

static void used_add(const char *key, void *arg)
{
    used_set *u = arg;
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->keys[i], key) == 0)
            return;
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 16;
        u->keys = xrealloc(u->keys, u->cap * sizeof(*u->keys));
        u->file = xrealloc(u->file, u->cap * sizeof(*u->file));
    }
    u->keys[u->n] = xstrdup(key);
    u->file[u->n++] = u->cur;
}

static long used_find(const used_set *u, const char *key)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->keys[i], key) == 0)
            return (long)i;
    return -1;
}

static void used_free(used_set *u)
{
    for (size_t i = 0; i < u->n; i++)
        free(u->keys[i]);
    free(u->keys);
    free(u->file);
}

static int listed(char **v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], key) == 0)
            return 1;
    return 0;
}

/* Template lookup over the merged set; records whether a secret was used. */
typedef struct look_arg {
    const envl_set *cfg;
    int used_secret;
} look_arg;

static const char *look(const char *key, size_t *len, void *arg)
{
    look_arg *l = arg;
    const envl_entry *e = envl_find(l->cfg, key);
    if (!e)
        return NULL;
    l->used_secret |= e->secret;
    *len = e->value_len;
    return e->value;
}

/* The user the container runs as: the spec's, else the image's when it is
 * not root, else nobody ("non-root where the image allows"). */
static const char *pick_user(const runplan_in *in)
{
    if (in->spec->user)
        return in->spec->user;
    const char *u = in->image_user ? in->image_user : "";
    if (*u && strcmp(u, "root") != 0 && strcmp(u, "0") != 0 && strncmp(u, "0:", 2) != 0 &&
        strncmp(u, "root:", 5) != 0)
        return u;
    return SPEC_NOBODY;
}

/* "uid[:gid]" numbers, for the owner of secret files; -1 when a name. */
static void numeric_user(const char *u, long *uid, long *gid)
{
    char *end;
    *uid = *gid = -1;
    long a = strtol(u, &end, 10);
    if (end == u || a < 0)
        return;
    if (*end == '\0') {
        *uid = *gid = a;
        return;
    }
    if (*end != ':')
        return;
    const char *g = end + 1;
    long b = strtol(g, &end, 10);
    if (end == g || *end || b < 0)
        return;
    *uid = a;
    *gid = b;
}

static int path_join(const char *dir, const char *name, char **out)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    *out = xmalloc(n);
    snprintf(*out, n, "%s/%s", dir, name);
    return 0;
}

static void add_env(runplan *p, const char *key, const char *value, size_t len)
{
    p->env = xrealloc(p->env, (p->n_env + 1) * sizeof(*p->env));
    size_t kl = strlen(key);
    char *s = xmalloc(kl + 1 + len + 1);
    memcpy(s, key, kl);
    s[kl] = '=';
    memcpy(s + kl + 1, value, len);
    s[kl + 1 + len] = '\0';
    p->env[p->n_env++] = s;
}

static void add_key(runplan *p, const envl_entry *e, runplan_kind kind, const char *file)
{
    p->keys = xrealloc(p->keys, (p->n_keys + 1) * sizeof(*p->keys));
    runplan_key *k = &p->keys[p->n_keys++];
    k->key = xstrdup(e->key);
    k->kind = kind;
    k->file = file ? xstrdup(file) : NULL;
    key_sha(e, k->sha256);
}

static runplan_file *add_file(runplan *p)
{
    p->files = xrealloc(p->files, (p->n_files + 1) * sizeof(*p->files));
    runplan_file *f = &p->files[p->n_files++];
    memset(f, 0, sizeof(*f));
    return f;
}

static json_t *build_body(const runplan_in *in, const runplan *p)
{
    const app_spec *s = in->spec;
    json_t *b = json_object(), *hc = json_object();
    set_json(b, "Image", json_string(in->image_ref));
    if (s->n_command)
        set_json(b, "Cmd", str_list(s->command, s->n_command));
    if (s->n_entrypoint)
        set_json(b, "Entrypoint", str_list(s->entrypoint, s->n_entrypoint));
    if (s->workdir)
        set_json(b, "WorkingDir", json_string(s->workdir));
    set_json(b, "User", json_string(p->user));
    set_json(b, "Env", str_list(p->env, p->n_env));

    json_t *labels = json_object();
    for (size_t i = 0; i < s->n_labels; i++)
        set_json(labels, s->labels[i].key, json_string(s->labels[i].value));
    char rev[32], spec_sha[65];
    snprintf(rev, sizeof(rev), "%lld", (long long)in->cfg->revision);
    spec_hash(s, spec_sha);
    set_json(labels, RUNPLAN_LABEL_APP, json_string(in->app));
    set_json(labels, RUNPLAN_LABEL_ENV, json_string(in->env));
    set_json(labels, RUNPLAN_LABEL_DC, json_string(in->dc ? in->dc : ""));
    set_json(labels, RUNPLAN_LABEL_IMAGE, json_string(in->image_ref));
    set_json(labels, RUNPLAN_LABEL_DIGEST, json_string(in->image_digest ? in->image_digest : ""));
    set_json(labels, RUNPLAN_LABEL_REV, json_string(rev));
    set_json(labels, RUNPLAN_LABEL_SHA, json_string(in->cfg->sha256));
    set_json(labels, RUNPLAN_LABEL_SPEC, json_string(spec_sha));
    set_json(b, "Labels", labels);

    if (s->n_ports) {
        json_t *exposed = json_object(), *bind = json_object();
        for (size_t i = 0; i < s->n_ports; i++) {
            char k[32], hp[8];
            snprintf(k, sizeof(k), "%u/%s", s->ports[i].container, s->ports[i].proto);
            set_json(exposed, k, json_object());
            if (!s->ports[i].host)
                continue;
            snprintf(hp, sizeof(hp), "%u", s->ports[i].host);
            json_t *arr = json_object_get(bind, k);
            if (!arr) {
                arr = json_array();
                set_json(bind, k, arr);
            }
            json_array_append_new(
                arr, json_pack("{s:s,s:s}", "HostIp", s->ports[i].host_ip, "HostPort", hp));
        }
        set_json(b, "ExposedPorts", exposed);
        set_json(hc, "PortBindings", bind);
    }
    if (s->health.n_test) {
        json_t *h = json_object();
        set_json(h, "Test", str_list(s->health.test, s->health.n_test));
        if (s->health.interval_ms)
            set_json(h, "Interval", json_integer(s->health.interval_ms * 1000000));
        if (s->health.timeout_ms)
            set_json(h, "Timeout", json_integer(s->health.timeout_ms * 1000000));
        if (s->health.start_period_ms)
            set_json(h, "StartPeriod", json_integer(s->health.start_period_ms * 1000000));
        if (s->health.retries)
            set_json(h, "Retries", json_integer(s->health.retries));
        set_json(b, "Healthcheck", h);
    }
    if (s->stop_timeout_ms)
        set_json(b, "StopTimeout", json_integer((s->stop_timeout_ms + 999) / 1000));

    if (s->cpus > 0)
        set_json(hc, "NanoCpus", json_integer((json_int_t)(s->cpus * 1e9 + 0.5)));
    if (s->memory)
        set_json(hc, "Memory", json_integer(s->memory));
    if (s->pids_limit)
        set_json(hc, "PidsLimit", json_integer(s->pids_limit));
    json_t *rp = json_object();
    set_json(rp, "Name", json_string(s->restart[0] ? s->restart : "no"));
    if (strcmp(s->restart, "on-failure") == 0 && s->restart_max)
        set_json(rp, "MaximumRetryCount", json_integer(s->restart_max));
    set_json(hc, "RestartPolicy", rp);
    if (s->read_only)
        set_json(hc, "ReadonlyRootfs", json_true());
    if (s->no_new_privileges)
        set_json(hc, "SecurityOpt", json_pack("[s]", "no-new-privileges:true"));
    if (s->n_cap_add)
        set_json(hc, "CapAdd", str_list(s->cap_add, s->n_cap_add));
    if (s->n_cap_drop)
        set_json(hc, "CapDrop", str_list(s->cap_drop, s->n_cap_drop));

    json_t *binds = json_array(), *tmpfs = json_object();
    for (size_t i = 0; i < s->n_volumes; i++) {
        const spec_volume *v = &s->volumes[i];
        if (v->tmpfs) {
            char opt[64] = "";
            if (v->tmpfs_size)
                snprintf(opt, sizeof(opt), "size=%lld", (long long)v->tmpfs_size);
            set_json(tmpfs, v->target, json_string(opt));
            continue;
        }
        size_t n = strlen(v->source) + strlen(v->target) + 8;
        char *bs = xmalloc(n);
        snprintf(bs, n, "%s:%s%s", v->source, v->target, v->read_only ? ":ro" : "");
        json_array_append_new(binds, json_string(bs));
        free(bs);
    }
    const char *fdir = s->files_dir ? s->files_dir : "/etc/berth";
    const char *sdir = s->secrets_dir ? s->secrets_dir : "/run/secrets";
    if (p->needs_files) {
        size_t n = strlen(in->files_host) + strlen(fdir) + 8;
        char *bs = xmalloc(n);
        snprintf(bs, n, "%s:%s:ro", in->files_host, fdir);
        json_array_append_new(binds, json_string(bs));
        free(bs);
    }
    if (p->needs_secrets) {
        size_t n = strlen(in->secrets_host) + strlen(sdir) + 8;
        char *bs = xmalloc(n);
        snprintf(bs, n, "%s:%s:ro", in->secrets_host, sdir);
        json_array_append_new(binds, json_string(bs));
        free(bs);
    }
    if (json_array_size(binds))
        set_json(hc, "Binds", binds);
    else
        json_decref(binds);
    if (json_object_size(tmpfs))
        set_json(hc, "Tmpfs", tmpfs);
    else
        json_decref(tmpfs);
    if (s->log_driver || s->n_log_opts) {
        json_t *lc = json_object(), *cfg = json_object();
        set_json(lc, "Type", json_string(s->log_driver ? s->log_driver : ""));
        for (size_t i = 0; i < s->n_log_opts; i++)
            set_json(cfg, s->log_opts[i].key, json_string(s->log_opts[i].value));
        set_json(lc, "Config", cfg);
        set_json(hc, "LogConfig", lc);
    }
    set_json(hc, "NetworkMode", json_string(s->network ? s->network : "bridge"));
    set_json(b, "HostConfig", hc);
    return b;
}

int runplan_build(const runplan_in *in, runplan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const app_spec *s = in->spec;
    const envl_set *cfg = in->cfg;
    used_set u = {0};
    int rc = 0;
    if (!in->image_ref || !*in->image_ref) {
        snprintf(err, errlen, "no image to run");
        return -EINVAL;
    }
    out->name = xstrdup(in->name ? in->name : "");
    out->user = xstrdup(pick_user(in));
    numeric_user(out->user, &out->uid, &out->gid);

    /* 1. the keys each file uses, before anything is delivered */
    for (size_t i = 0; i < s->n_files; i++) {
        const spec_file *f = &s->files[i];
        u.cur = i;
        if (f->key)
            used_add(f->key, &u);
        else if (f->template) {
            char terr[400];
            if (tmpl_keys(f->template, strlen(f->template), used_add, &u, terr, sizeof(terr)) < 0) {
                snprintf(err, errlen, "files[%zu] '%s': template %s", i, f->name, terr);
                rc = -EINVAL;
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < s->n_env_keys; i++)
        if (!envl_find(cfg, s->env_keys[i])) {
            snprintf(err, errlen,
                     "env_keys: %s is set in no layer for app %s, env %s%s%s (a container is "
                     "never started with a partial configuration)",
                     s->env_keys[i], in->app, in->env, in->dc ? ", dc " : "", in->dc ? in->dc : "");
            rc = -EINVAL;
            goto fail;
        }

    /* 2. the files */
    const char *sdir = s->secrets_dir ? s->secrets_dir : "/run/secrets";
    for (size_t i = 0; i < s->n_files; i++) {
        const spec_file *f = &s->files[i];
        look_arg la = {.cfg = cfg};
        buf content = BUF_INIT;
        if (f->key) {
            const envl_entry *e = envl_find(cfg, f->key);
            if (!e) {
                snprintf(err, errlen, "files[%zu] '%s': key %s is set in no layer", i, f->name,
                         f->key);
                rc = -EINVAL;
                goto fail;
            }
            buf_append(&content, e->value, e->value_len);
            la.used_secret = e->secret;
        } else {
            char terr[400];
            const char *t = f->template ? f->template : "";
            if (tmpl_render(t, strlen(t), look, &la, &content, terr, sizeof(terr)) < 0) {
                clear_bytes(content.data, content.len);
                buf_free(&content);
                snprintf(err, errlen, "files[%zu] '%s': %s", i, f->name, terr);
                rc = -EINVAL;
                goto fail;
            }
        }
        runplan_file *pf = add_file(out);
        pf->secret = la.used_secret;
        path_join(pf->secret ? in->secrets_host : in->files_host, f->name, &pf->host_path);
        pf->len = content.len;
        pf->content = content.data ? buf_detach(&content) : xstrdup("");
        pf->mode = f->mode ? f->mode : pf->secret ? 0400 : 0444;
        if (pf->secret)
            out->needs_secrets = 1;
        else
            out->needs_files = 1;
    }

    /* 3. every merged key: into a file, a secret file, the environment, or
     * left out (env_keys) */
    for (size_t i = 0; i < cfg->n; i++) {
        const envl_entry *e = &cfg->e[i];
        long ui = used_find(&u, e->key);
        int want_env = s->env_keys ? listed(s->env_keys, s->n_env_keys, e->key) : ui < 0;
        if (!want_env) {
            if (ui >= 0)
                add_key(out, e, RUNPLAN_FILE, s->files[u.file[ui]].name);
            continue;
        }
        if (e->secret) {
            char fk[ENVL_KEY_MAX + 8];
            snprintf(fk, sizeof(fk), "%s_FILE", e->key);
            if (envl_find(cfg, fk)) {
                snprintf(err, errlen,
                         "%s is secret, so it is delivered as a file named by %s, but %s is also "
                         "a configuration key",
                         e->key, fk, fk);
                rc = -EINVAL;
                goto fail;
            }
            runplan_file *pf = add_file(out);
            pf->secret = 1;
            path_join(in->secrets_host, e->key, &pf->host_path);
            pf->content = xmalloc(e->value_len + 1);
            memcpy(pf->content, e->value, e->value_len);
            pf->content[e->value_len] = '\0';
            pf->len = e->value_len;
            pf->mode = 0400;
            out->needs_secrets = 1;
            size_t pl = strlen(sdir) + 1 + strlen(e->key) + 1;
            char *cp = xmalloc(pl);
            snprintf(cp, pl, "%s/%s", sdir, e->key);
            add_env(out, fk, cp, strlen(cp));
            free(cp);
            add_key(out, e, RUNPLAN_SECRET_FILE, e->key);
            continue;
        }
        if (!envl_value_env_ok(e)) {
            snprintf(err, errlen,
                     "%s: its value holds a newline or a NUL, which an environment variable "
                     "cannot carry; render it into a file (spec files)",
                     e->key);
            rc = -EINVAL;
            goto fail;
        }
        add_env(out, e->key, e->value, e->value_len);
        add_key(out, e, RUNPLAN_ENV, NULL);
    }
    if (out->needs_secrets && out->uid < 0) {
        snprintf(err, errlen,
                 "user '%s': secret files are owned by the container's user, which needs a "
                 "numeric uid[:gid] here (write user: \"UID:GID\" in the spec)",
                 out->user);
        rc = -EINVAL;
        goto fail;
    }
    if ((out->needs_files && (!in->files_host || !*in->files_host)) ||
        (out->needs_secrets && (!in->secrets_host || !*in->secrets_host))) {
        snprintf(err, errlen, "no host directory for the spec's files");
        rc = -EINVAL;
        goto fail;
    }
    json_t *body = build_body(in, out);
    char *js = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(body);
    buf_puts(&out->create_body, js ? js : "{}");
    free(js);
    used_free(&u);
    return 0;
fail:
    used_free(&u);
    runplan_clear(out);
    return rc;
}

void runplan_clear(runplan *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->user);
    buf_free(&p->create_body);
    for (size_t i = 0; i < p->n_files; i++) {
        clear_bytes(p->files[i].content, p->files[i].len);
        free(p->files[i].content);
        free(p->files[i].host_path);
    }
    free(p->files);
    for (size_t i = 0; i < p->n_keys; i++) {
        free(p->keys[i].key);
        free(p->keys[i].file);
    }
    free(p->keys);
    for (size_t i = 0; i < p->n_env; i++)
        free(p->env[i]);
    free(p->env);
    memset(p, 0, sizeof(*p));
}

static const char *kind_name(runplan_kind k)
{
    return k == RUNPLAN_FILE ? "file" : k == RUNPLAN_SECRET_FILE ? "secret_file" : "env";
}

/* A file's digest for the journal: its content's, unless it holds a
 * secret; then the digests of the keys (revisions for secrets) that made
 * it, so a change of any of them still shows. */
static void file_sha(const runplan *p, size_t i, char hex[65])
{
    const runplan_file *f = &p->files[i];
    if (!f->secret) {
        envl_sha256(f->content, f->len, hex);
        return;
    }
    buf b = BUF_INIT;
    buf_puts(&b, f->host_path);
    for (size_t k = 0; k < p->n_keys; k++) {
        const char *slash = strrchr(f->host_path, '/');
        const char *fname = slash ? slash + 1 : f->host_path;
        if (p->keys[k].file && strcmp(p->keys[k].file, fname) == 0) {
            buf_printf(&b, "\n%s=%s", p->keys[k].key, p->keys[k].sha256);
        }
    }
    envl_sha256(b.data ? b.data : "", b.len, hex);
    buf_free(&b);
}

int runplan_journal(const runplan_in *in, const runplan *p, buf *out)
{
    json_t *j = json_object(), *keys = json_array(), *files = json_array();
    char spec_sha[65];
    spec_hash(in->spec, spec_sha);
    set_json(j, "name", json_string(p->name));
    set_json(j, "app", json_string(in->app));
    set_json(j, "env", json_string(in->env));
    set_json(j, "dc", json_string(in->dc ? in->dc : ""));
    set_json(j, "image", json_string(in->image_ref));
    set_json(j, "digest", json_string(in->image_digest ? in->image_digest : ""));
    set_json(j, "rev", json_integer(in->cfg->revision));
    set_json(j, "sha256", json_string(in->cfg->sha256));
    set_json(j, "spec_sha256", json_string(spec_sha));
    set_json(j, "user", json_string(p->user));
    for (size_t i = 0; i < p->n_keys; i++) {
        json_t *k = json_pack("{s:s,s:s,s:s}", "key", p->keys[i].key, "kind",
                              kind_name(p->keys[i].kind), "sha256", p->keys[i].sha256);
        if (p->keys[i].file)
            set_json(k, "file", json_string(p->keys[i].file));
        json_array_append_new(keys, k);
    }
    for (size_t i = 0; i < p->n_files; i++) {
        char hex[65];
        file_sha(p, i, hex);
        json_array_append_new(files, json_pack("{s:s,s:b,s:s}", "path", p->files[i].host_path,
                                               "secret", p->files[i].secret, "sha256", hex));
    }
    set_json(j, "keys", keys);
    set_json(j, "files", files);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return -ENOMEM;
    buf_puts(out, s);
    free(s);
    return 0;
}

int runplan_compare(const char *journal, size_t len, const runplan *p, size_t **changed,
                    size_t *n_changed, int *env_changed, char *err, size_t errlen)
{
    *changed = NULL;
    *n_changed = 0;
    *env_changed = 0;
    json_error_t je;
    json_t *j = json_loadb(journal, len, 0, &je);
    if (!j || !json_is_object(j)) {
        snprintf(err, errlen, "journal: not a JSON object (%s)", j ? "" : je.text);
        json_decref(j);
        return -EINVAL;
    }
    json_t *keys = json_object_get(j, "keys"), *files = json_object_get(j, "files");
    if (!json_is_array(keys) || !json_is_array(files)) {
        snprintf(err, errlen, "journal: no keys or files array");
        json_decref(j);
        return -EINVAL;
    }
    /* the environment: env and secret-file keys, added, removed or changed */
    size_t old_env = 0, new_env = 0;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        json_t *k = json_array_get(keys, i);
        const char *kind = json_string_value(json_object_get(k, "kind"));
        if (kind && strcmp(kind, "file") != 0)
            old_env++;
    }
    for (size_t i = 0; i < p->n_keys; i++) {
        if (p->keys[i].kind == RUNPLAN_FILE)
            continue;
        new_env++;
        int found = 0;
        for (size_t k = 0; k < json_array_size(keys) && !found; k++) {
            json_t *o = json_array_get(keys, k);
            const char *name = json_string_value(json_object_get(o, "key"));
            const char *kind = json_string_value(json_object_get(o, "kind"));
            const char *sha = json_string_value(json_object_get(o, "sha256"));
            found = name && kind && sha && strcmp(name, p->keys[i].key) == 0 &&
                    strcmp(kind, kind_name(p->keys[i].kind)) == 0 &&
                    strcmp(sha, p->keys[i].sha256) == 0;
        }
        if (!found)
            *env_changed = 1;
    }
    if (old_env != new_env)
        *env_changed = 1;
    /* the files whose digest moved (or that are new) */
    size_t *ch = xcalloc(p->n_files ? p->n_files : 1, sizeof(*ch));
    for (size_t i = 0; i < p->n_files; i++) {
        char hex[65];
        file_sha(p, i, hex);
        int same = 0;
        for (size_t k = 0; k < json_array_size(files) && !same; k++) {
            json_t *o = json_array_get(files, k);
            const char *path = json_string_value(json_object_get(o, "path"));
            const char *sha = json_string_value(json_object_get(o, "sha256"));
            same = path && sha && strcmp(path, p->files[i].host_path) == 0 && strcmp(sha, hex) == 0;
        }
        if (!same)
            ch[(*n_changed)++] = i;
    }
    *changed = ch;
    json_decref(j);
    return 0;
}
