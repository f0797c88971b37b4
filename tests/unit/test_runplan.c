/*
 * test_runplan: release/env/runplan against ground truth written by hand:
 * where each merged key goes (env var, file, secret file), what the Engine
 * API create body holds (and never holds: a secret), the user picked, the
 * journal and the comparison the agent's env job makes with it.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "release/env/runplan.h"

#define P "/berth"

#define KV(k, v)                                                                                   \
    {                                                                                              \
        .key = (char *)(k), .value = (char *)(v), .value_len = sizeof(v) - 1                       \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct fixture {
    app_spec spec;
    envl_set cfg;
    runplan_in in;
    runplan plan;
    char err[512];
} fixture;

static void setup(fixture *f, const char *yaml, etcd_kv *kv, size_t n)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < n; i++)
        kv[i].mod_rev = (int64_t)(100 + i);
    assert_int_equal(spec_parse(yaml, strlen(yaml), &f->spec, f->err, sizeof(f->err)), 0);
    assert_int_equal(
        envl_resolve(P, "web", "prod", "fra", kv, n, 500, &f->cfg, f->err, sizeof(f->err)), 0);
    f->in = (runplan_in){
        .spec = &f->spec,
        .cfg = &f->cfg,
        .app = "web",
        .env = "prod",
        .dc = "fra",
        .name = "web-1",
        .image_ref = "127.0.0.1:5000/shop/web@sha256:"
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        .image_digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        .image_user = "",
        .files_host = "/var/lib/berth/files/web-1",
        .secrets_host = "/run/berth/secrets/web-1",
    };
}

static void teardown(fixture *f)
{
    runplan_clear(&f->plan);
    envl_set_clear(&f->cfg);
    spec_clear(&f->spec);
}

static json_t *body(const fixture *f)
{
    json_error_t je;
    json_t *j = json_loadb(f->plan.create_body.data, f->plan.create_body.len, 0, &je);
    assert_non_null(j);
    return j;
}

static const char *jstr(json_t *o, const char *path)
{
    /* "a.b.c" through objects */
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", path);
    json_t *cur = o;
    for (char *save = NULL, *t = strtok_r(tmp, ".", &save); t; t = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, t);
    return json_string_value(cur);
}

static void test_env_and_secret(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/A", "1"),
        KV(P "/env/env/prod/B", "two words"),
        KV(P "/env/app/web/PASS", "hunter2"),
        KV(P "/secret/PASS", ""),
    };
    fixture f;
    setup(&f, "image: 127.0.0.1:5000/shop/web\nports:\n  - container: 80\n    host: 8080\n", kv,
          N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    /* env: A, B, and PASS only as the path of its file */
    assert_int_equal(f.plan.n_env, 3);
    assert_string_equal(f.plan.env[0], "A=1");
    assert_string_equal(f.plan.env[1], "B=two words");
    assert_string_equal(f.plan.env[2], "PASS_FILE=/run/secrets/PASS");
    assert_int_equal(f.plan.n_files, 1);
    assert_string_equal(f.plan.files[0].host_path, "/run/berth/secrets/web-1/PASS");
    assert_string_equal(f.plan.files[0].content, "hunter2");
    assert_int_equal(f.plan.files[0].mode, 0400);
    assert_int_equal(f.plan.files[0].secret, 1);
    assert_int_equal(f.plan.needs_secrets, 1);
    assert_int_equal(f.plan.needs_files, 0);
    /* the secret's value is nowhere in the body */
    assert_null(strstr(f.plan.create_body.data, "hunter2"));
    /* the user: the image runs as root, so nobody */
    assert_string_equal(f.plan.user, SPEC_NOBODY);
    assert_int_equal(f.plan.uid, 65534);

    json_t *b = body(&f);
    assert_string_equal(jstr(b, "Image"), f.in.image_ref);
    assert_string_equal(jstr(b, "User"), "65534:65534");
    json_t *labels = json_object_get(b, "Labels");
    assert_string_equal(json_string_value(json_object_get(labels, "berth.app")), "web");
    assert_string_equal(json_string_value(json_object_get(labels, "berth.env")), "prod");
    assert_string_equal(json_string_value(json_object_get(labels, "berth.dc")), "fra");
    assert_string_equal(json_string_value(json_object_get(labels, "berth.config.rev")), "500");
    assert_string_equal(json_string_value(json_object_get(labels, "berth.config.sha256")),
                        f.cfg.sha256);
    assert_string_equal(json_string_value(json_object_get(labels, "berth.image.digest")),
                        f.in.image_digest);
    char spec_sha[65];
    spec_hash(&f.spec, spec_sha);
    assert_string_equal(json_string_value(json_object_get(labels, "berth.spec.sha256")), spec_sha);
    json_t *hc = json_object_get(b, "HostConfig");
    json_t *pb = json_array_get(json_object_get(json_object_get(hc, "PortBindings"), "80/tcp"), 0);
    assert_string_equal(json_string_value(json_object_get(pb, "HostIp")), "127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(pb, "HostPort")), "8080");
    assert_non_null(json_object_get(json_object_get(b, "ExposedPorts"), "80/tcp"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "SecurityOpt"), 0)),
                        "no-new-privileges:true");
    json_t *binds = json_object_get(hc, "Binds");
    assert_int_equal(json_array_size(binds), 1);
    assert_string_equal(json_string_value(json_array_get(binds, 0)),
                        "/run/berth/secrets/web-1:/run/secrets:ro");
    assert_string_equal(json_string_value(json_object_get(hc, "NetworkMode")), "bridge");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(hc, "RestartPolicy"), "Name")), "no");
    json_decref(b);
    /* the keys as the journal keeps them */
    assert_int_equal(f.plan.n_keys, 3);
    assert_int_equal(f.plan.keys[2].kind, RUNPLAN_SECRET_FILE);
    teardown(&f);
}

static void test_files(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/DB_HOST", "db.prod"),
        KV(P "/env/global/CERT", "-----BEGIN-----\nabc\n-----END-----\n"),
        KV(P "/env/global/LEVEL", "info"),
        KV(P "/env/global/TOKEN", "t0ps3cret"),
        KV(P "/secret/TOKEN", ""),
    };
    fixture f;
    setup(&f,
          "image: shop/web\n"
          "user: \"1000:1000\"\n"
          "files:\n"
          "  - name: app.conf\n"
          "    template: \"host={{DB_HOST}}\\nport={{ PORT |5432}}\\n\"\n"
          "  - name: cert.pem\n"
          "    key: CERT\n"
          "    mode: \"0440\"\n"
          "  - name: auth.conf\n"
          "    template: \"token={{TOKEN}}\\n\"\n",
          kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    /* DB_HOST, CERT and TOKEN went into files; LEVEL is the only env var */
    assert_int_equal(f.plan.n_env, 1);
    assert_string_equal(f.plan.env[0], "LEVEL=info");
    assert_int_equal(f.plan.n_files, 3);
    assert_string_equal(f.plan.files[0].host_path, "/var/lib/berth/files/web-1/app.conf");
    assert_string_equal(f.plan.files[0].content, "host=db.prod\nport=5432\n");
    assert_int_equal(f.plan.files[0].mode, 0444);
    assert_int_equal(f.plan.files[0].secret, 0);
    assert_string_equal(f.plan.files[1].content, "-----BEGIN-----\nabc\n-----END-----\n");
    assert_int_equal(f.plan.files[1].mode, 0440);
    /* a file that uses a secret lives on the secrets tmpfs */
    assert_string_equal(f.plan.files[2].host_path, "/run/berth/secrets/web-1/auth.conf");
    assert_int_equal(f.plan.files[2].secret, 1);
    assert_int_equal(f.plan.files[2].mode, 0400);
    assert_null(strstr(f.plan.create_body.data, "t0ps3cret"));
    assert_null(strstr(f.plan.create_body.data, "db.prod"));
    assert_int_equal(f.plan.needs_files, 1);
    assert_int_equal(f.plan.needs_secrets, 1);
    assert_int_equal(f.plan.uid, 1000);
    /* keys: CERT file, DB_HOST file, LEVEL env, TOKEN file (sorted) */
    assert_int_equal(f.plan.n_keys, 4);
    assert_string_equal(f.plan.keys[0].key, "CERT");
    assert_int_equal(f.plan.keys[0].kind, RUNPLAN_FILE);
    assert_string_equal(f.plan.keys[0].file, "cert.pem");
    assert_int_equal(f.plan.keys[2].kind, RUNPLAN_ENV);
    assert_string_equal(f.plan.keys[3].file, "auth.conf");
    json_t *b = body(&f);
    json_t *binds = json_object_get(json_object_get(b, "HostConfig"), "Binds");
    assert_int_equal(json_array_size(binds), 2);
    assert_string_equal(json_string_value(json_array_get(binds, 0)),
                        "/var/lib/berth/files/web-1:/etc/berth:ro");
    json_decref(b);
    teardown(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/A", "1"),
        KV(P "/env/global/ML", "two\nlines"),
        KV(P "/env/global/PASS", "x"),
        KV(P "/secret/PASS", ""),
    };
    fixture f;
    /* a value with a newline cannot be an env var: the key is named */
    setup(&f, "image: shop/web\nenv_keys: [A, ML]\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), -EINVAL);
    assert_non_null(strstr(f.err, "ML: its value holds a newline"));
    teardown(&f);

    /* env_keys naming a key no layer sets: refused, never half a config */
    setup(&f, "image: shop/web\nenv_keys: [A, MISSING]\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), -EINVAL);
    assert_non_null(strstr(f.err, "env_keys: MISSING is set in no layer"));
    teardown(&f);

    /* env_keys [A]: only A; the multi-line one and the secret left out */
    setup(&f, "image: shop/web\nenv_keys: [A]\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_int_equal(f.plan.n_env, 1);
    assert_string_equal(f.plan.env[0], "A=1");
    assert_int_equal(f.plan.n_files, 0);
    teardown(&f);

    /* a template naming an unset key without default */
    setup(&f, "image: shop/web\nenv_keys: []\nfiles:\n  - name: x\n    template: \"{{NOPE}}\"\n",
          kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), -EINVAL);
    assert_non_null(strstr(f.err, "files[0] 'x'"));
    assert_non_null(strstr(f.err, "NOPE"));
    teardown(&f);

    /* a file key no layer sets */
    setup(&f, "image: shop/web\nenv_keys: []\nfiles:\n  - name: x\n    key: NOPE\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), -EINVAL);
    assert_non_null(strstr(f.err, "files[0] 'x': key NOPE"));
    teardown(&f);

    /* secrets need a numeric owner */
    setup(&f, "image: shop/web\nuser: app\nenv_keys: [PASS]\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), -EINVAL);
    assert_non_null(strstr(f.err, "user 'app'"));
    teardown(&f);
}

static void test_user(void **state)
{
    (void)state;
    etcd_kv kv[] = {KV(P "/env/global/A", "1")};
    fixture f;
    setup(&f, "image: shop/web\n", kv, N(kv));
    f.in.image_user = "app";
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_string_equal(f.plan.user, "app");
    assert_int_equal(f.plan.uid, -1);
    runplan_clear(&f.plan);
    f.in.image_user = "0:0";
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_string_equal(f.plan.user, SPEC_NOBODY);
    runplan_clear(&f.plan);
    f.in.image_user = "root";
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_string_equal(f.plan.user, SPEC_NOBODY);
    teardown(&f);
    setup(&f, "image: shop/web\nuser: root\n", kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_string_equal(f.plan.user, "root"); /* written: honoured */
    teardown(&f);
}

static void test_limits_body(void **state)
{
    (void)state;
    etcd_kv kv[] = {KV(P "/env/global/A", "1")};
    fixture f;
    setup(&f,
          "image: shop/web\ncpus: 1.5\nmemory: 256m\npids_limit: 100\nrestart: on-failure:3\n"
          "read_only: true\ncap_drop: [ALL]\ncap_add: [net_bind_service]\n"
          "health:\n  test: [CMD, /bin/true]\n  interval: 10s\n  retries: 3\n"
          "stop_timeout: 20s\nvolumes:\n  - tmpfs: true\n    target: /tmp\n    size: 64m\n"
          "  - source: data\n    target: /data\n    read_only: true\n"
          "log:\n  driver: json-file\n  options:\n    max-size: 10m\n",
          kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    json_t *b = body(&f), *hc = json_object_get(b, "HostConfig");
    assert_int_equal(json_integer_value(json_object_get(hc, "NanoCpus")), 1500000000);
    assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 256 << 20);
    assert_int_equal(json_integer_value(json_object_get(hc, "PidsLimit")), 100);
    json_t *rp = json_object_get(hc, "RestartPolicy");
    assert_string_equal(json_string_value(json_object_get(rp, "Name")), "on-failure");
    assert_int_equal(json_integer_value(json_object_get(rp, "MaximumRetryCount")), 3);
    assert_true(json_is_true(json_object_get(hc, "ReadonlyRootfs")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "CapDrop"), 0)),
                        "ALL");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "CapAdd"), 0)),
                        "NET_BIND_SERVICE");
    json_t *h = json_object_get(b, "Healthcheck");
    assert_int_equal(json_integer_value(json_object_get(h, "Interval")), 10000000000LL);
    assert_int_equal(json_integer_value(json_object_get(h, "Retries")), 3);
    assert_int_equal(json_integer_value(json_object_get(b, "StopTimeout")), 20);
    assert_string_equal(json_string_value(json_object_get(json_object_get(hc, "Tmpfs"), "/tmp")),
                        "size=67108864");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "Binds"), 0)),
                        "data:/data:ro");
    json_t *lc = json_object_get(hc, "LogConfig");
    assert_string_equal(json_string_value(json_object_get(lc, "Type")), "json-file");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(lc, "Config"), "max-size")), "10m");
    json_decref(b);
    teardown(&f);
}

/* The journal and the comparison the agent's env job makes with it. */
static void test_journal_compare(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/A", "1"),
        KV(P "/env/global/DB_HOST", "db1"),
        KV(P "/env/global/PASS", "hunter2"),
        KV(P "/secret/PASS", ""),
    };
    const char *yaml = "image: shop/web\nuser: \"1:1\"\nfiles:\n  - name: db.conf\n"
                       "    template: \"host={{DB_HOST}}\"\n";
    fixture f;
    setup(&f, yaml, kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    buf j = BUF_INIT;
    assert_int_equal(runplan_journal(&f.in, &f.plan, &j), 0);
    assert_null(strstr(j.data, "hunter2")); /* never a secret */
    assert_null(strstr(j.data, "db1"));     /* never a value at all */
    assert_non_null(strstr(j.data, "\"name\":\"web-1\""));

    size_t *ch, nch;
    int envc;
    /* the same configuration: nothing to do */
    assert_int_equal(
        runplan_compare(j.data, j.len, &f.plan, &ch, &nch, &envc, f.err, sizeof(f.err)), 0);
    assert_int_equal(nch, 0);
    assert_int_equal(envc, 0);
    free(ch);
    teardown(&f);

    /* a file key changed: that file only, the environment did not move */
    kv[1].value = (char *)"db2";
    kv[1].value_len = 3;
    setup(&f, yaml, kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_int_equal(
        runplan_compare(j.data, j.len, &f.plan, &ch, &nch, &envc, f.err, sizeof(f.err)), 0);
    assert_int_equal(nch, 1);
    assert_string_equal(f.plan.files[ch[0]].host_path, "/var/lib/berth/files/web-1/db.conf");
    assert_int_equal(envc, 0);
    free(ch);
    teardown(&f);

    /* an env key changed */
    kv[1].value = (char *)"db1";
    kv[0].value = (char *)"2";
    setup(&f, yaml, kv, N(kv));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_int_equal(
        runplan_compare(j.data, j.len, &f.plan, &ch, &nch, &envc, f.err, sizeof(f.err)), 0);
    assert_int_equal(nch, 0);
    assert_int_equal(envc, 1);
    free(ch);
    teardown(&f);

    /* the secret written again (another revision): its file is rewritten */
    kv[0].value = (char *)"1";
    etcd_kv kv2[] = {kv[0], kv[1], KV(P "/env/global/Z", "pad"), kv[2], kv[3]};
    setup(&f, yaml, kv2, N(kv2));
    assert_int_equal(runplan_build(&f.in, &f.plan, f.err, sizeof(f.err)), 0);
    assert_int_equal(
        runplan_compare(j.data, j.len, &f.plan, &ch, &nch, &envc, f.err, sizeof(f.err)), 0);
    assert_int_equal(envc, 1); /* Z is new, and PASS's revision moved */
    int pass_file = 0;
    for (size_t i = 0; i < nch; i++)
        pass_file |= strstr(f.plan.files[ch[i]].host_path, "/PASS") != NULL;
    assert_int_equal(pass_file, 1);
    free(ch);

    /* a journal that is not JSON */
    assert_int_equal(runplan_compare("nope", 4, &f.plan, &ch, &nch, &envc, f.err, sizeof(f.err)),
                     -EINVAL);
    teardown(&f);
    buf_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_and_secret), cmocka_unit_test(test_files),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_user),
        cmocka_unit_test(test_limits_body),    cmocka_unit_test(test_journal_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
