/*
 * test_spec: release/env/spec against specs written by hand: every field
 * of a full spec read to its exact value, the same spec in YAML hashing
 * the same, the defaults, and each class of error with its exact message
 * (the field path named). Run under ASan too: every error path must leave
 * the struct clear and free what it took.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "release/env/spec.h"

static const char full_json[] =
    "{\n"
    "  \"image\": \"127.0.0.1:5000/shop/web\",\n"
    "  \"tag\": \"1.4.2\",\n"
    "  \"command\": [\"web\", \"--port\", \"8080\"],\n"
    "  \"entrypoint\": [\"/tini\", \"--\"],\n"
    "  \"workdir\": \"/srv\",\n"
    "  \"ports\": [\n"
    "    {\"container\": 8080, \"host\": 18080},\n"
    "    {\"container\": 53, \"host\": 5353, \"proto\": \"udp\", \"host_ip\": \"::1\"},\n"
    "    {\"container\": 9090},\n"
    "    \"0.0.0.0:8443:443/tcp\"\n"
    "  ],\n"
    "  \"health\": {\"test\": [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/\"],\n"
    "             \"interval\": \"10s\", \"timeout\": \"500ms\", \"start_period\": \"1m30s\",\n"
    "             \"retries\": 3},\n"
    "  \"cpus\": 1.5,\n"
    "  \"memory\": \"512m\",\n"
    "  \"pids_limit\": 200,\n"
    "  \"restart\": \"on-failure:5\",\n"
    "  \"user\": \"1000:1000\",\n"
    "  \"read_only\": true,\n"
    "  \"no_new_privileges\": false,\n"
    "  \"cap_add\": [\"CAP_NET_BIND_SERVICE\", \"chown\"],\n"
    "  \"cap_drop\": [\"ALL\"],\n"
    "  \"volumes\": [\n"
    "    {\"source\": \"webdata\", \"target\": \"/var/lib/web\"},\n"
    "    {\"source\": \"/etc/ssl/certs\", \"target\": \"/etc/ssl/certs\", \"read_only\": true},\n"
    "    {\"tmpfs\": true, \"target\": \"/tmp\", \"size\": \"64m\"},\n"
    "    \"logs:/var/log/web:ro\"\n"
    "  ],\n"
    "  \"labels\": {\"team\": \"shop\", \"com.example.tier\": \"front\"},\n"
    "  \"log\": {\"driver\": \"json-file\", \"options\": {\"max-size\": \"10m\", \"max-file\": "
    "\"3\"}},\n"
    "  \"network\": \"shopnet\",\n"
    "  \"stop_timeout\": 20,\n"
    "  \"env_keys\": [\"PORT\", \"DB_URL\"],\n"
    "  \"files\": [\n"
    "    {\"name\": \"app.conf\", \"template\": \"port={{PORT}}\\n\", \"mode\": \"0440\"},\n"
    "    {\"name\": \"tls.key\", \"key\": \"TLS_KEY\", \"mode\": 256}\n"
    "  ],\n"
    "  \"files_dir\": \"/etc/web\",\n"
    "  \"secrets_dir\": \"/run/web-secrets\",\n"
    "  \"reload_signal\": \"SIGHUP\",\n"
    "  \"on_env\": \"recreate\"\n"
    "}\n";

/* The same spec: YAML, another order, short forms where the JSON used
 * objects and back, plain and quoted scalars. */
static const char full_yaml[] = "# the web shop\n"
                                "on_env: recreate\n"
                                "image: 127.0.0.1:5000/shop/web\n"
                                "tag: \"1.4.2\"\n"
                                "command: [web, --port, \"8080\"]\n"
                                "entrypoint:\n"
                                "  - /tini\n"
                                "  - --\n"
                                "workdir: /srv\n"
                                "ports:\n"
                                "  - 18080:8080\n"
                                "  - \"[::1]:5353:53/udp\"\n"
                                "  - container: 9090\n"
                                "  - {container: 443, host: 8443, host_ip: 0.0.0.0}\n"
                                "health:\n"
                                "  test: [CMD, curl, -f, \"http://localhost:8080/\"]\n"
                                "  interval: 10s\n"
                                "  timeout: 500ms\n"
                                "  start_period: 90\n"
                                "  retries: 3\n"
                                "cpus: 1.5\n"
                                "memory: 536870912\n"
                                "pids_limit: 200\n"
                                "restart: on-failure:5\n"
                                "user: \"1000:1000\"\n"
                                "read_only: true\n"
                                "no_new_privileges: false\n"
                                "cap_add: [NET_BIND_SERVICE, CAP_CHOWN]\n"
                                "cap_drop: [all]\n"
                                "volumes:\n"
                                "  - webdata:/var/lib/web\n"
                                "  - /etc/ssl/certs:/etc/ssl/certs:ro\n"
                                "  - {tmpfs: true, target: /tmp, size: 67108864}\n"
                                "  - {source: logs, target: /var/log/web, read_only: true}\n"
                                "labels:\n"
                                "  com.example.tier: front\n"
                                "  team: shop\n"
                                "log:\n"
                                "  driver: json-file\n"
                                "  options: {max-file: \"3\", max-size: 10m}\n"
                                "network: shopnet\n"
                                "stop_timeout: 20s\n"
                                "env_keys: [PORT, DB_URL]\n"
                                "files:\n"
                                "  - name: app.conf\n"
                                "    template: \"port={{PORT}}\\n\"\n"
                                "    mode: 0440\n"
                                "  - name: tls.key\n"
                                "    key: TLS_KEY\n"
                                "    mode: \"0400\"\n"
                                "files_dir: /etc/web\n"
                                "secrets_dir: /run/web-secrets\n"
                                "reload_signal: hup\n";

static void parse_ok(const char *text, app_spec *s)
{
    char err[256] = "";
    int rc = spec_parse(text, strlen(text), s, err, sizeof(err));
    if (rc != 0)
        fail_msg("spec_parse: %s", err);
}

static void assert_strv(char **v, size_t n, const char *const *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v[i], want[i]);
}

#define STRV(v, n, ...)                                                                            \
    do {                                                                                           \
        static const char *const w_[] = {__VA_ARGS__};                                             \
        assert_strv(v, n, w_, sizeof(w_) / sizeof(w_[0]));                                         \
    } while (0)

static void assert_port(const spec_port *p, unsigned container, unsigned host, const char *proto,
                        const char *ip)
{
    assert_int_equal(p->container, container);
    assert_int_equal(p->host, host);
    assert_string_equal(p->proto, proto);
    assert_string_equal(p->host_ip, ip);
}

static void check_full(const app_spec *s)
{
    assert_string_equal(s->image, "127.0.0.1:5000/shop/web");
    assert_string_equal(s->tag, "1.4.2");
    STRV(s->command, s->n_command, "web", "--port", "8080");
    STRV(s->entrypoint, s->n_entrypoint, "/tini", "--");
    assert_string_equal(s->workdir, "/srv");
    assert_int_equal(s->n_ports, 4);
    assert_port(&s->ports[0], 8080, 18080, "tcp", "127.0.0.1");
    assert_port(&s->ports[1], 53, 5353, "udp", "::1");
    assert_port(&s->ports[2], 9090, 0, "tcp", "127.0.0.1");
    assert_port(&s->ports[3], 443, 8443, "tcp", "0.0.0.0");
    STRV(s->health.test, s->health.n_test, "CMD", "curl", "-f", "http://localhost:8080/");
    assert_int_equal(s->health.interval_ms, 10000);
    assert_int_equal(s->health.timeout_ms, 500);
    assert_int_equal(s->health.start_period_ms, 90000);
    assert_int_equal(s->health.retries, 3);
    assert_true(s->cpus == 1.5);
    assert_int_equal(s->memory, 512LL << 20);
    assert_int_equal(s->pids_limit, 200);
    assert_string_equal(s->restart, "on-failure");
    assert_int_equal(s->restart_max, 5);
    assert_string_equal(s->user, "1000:1000");
    assert_int_equal(s->read_only, 1);
    assert_int_equal(s->no_new_privileges, 0);
    STRV(s->cap_add, s->n_cap_add, "NET_BIND_SERVICE", "CHOWN");
    STRV(s->cap_drop, s->n_cap_drop, "ALL");
    assert_int_equal(s->n_volumes, 4);
    assert_string_equal(s->volumes[0].source, "webdata");
    assert_string_equal(s->volumes[0].target, "/var/lib/web");
    assert_int_equal(s->volumes[0].read_only, 0);
    assert_int_equal(s->volumes[0].tmpfs, 0);
    assert_string_equal(s->volumes[1].source, "/etc/ssl/certs");
    assert_string_equal(s->volumes[1].target, "/etc/ssl/certs");
    assert_int_equal(s->volumes[1].read_only, 1);
    assert_null(s->volumes[2].source);
    assert_string_equal(s->volumes[2].target, "/tmp");
    assert_int_equal(s->volumes[2].tmpfs, 1);
    assert_int_equal(s->volumes[2].tmpfs_size, 64LL << 20);
    assert_string_equal(s->volumes[3].source, "logs");
    assert_string_equal(s->volumes[3].target, "/var/log/web");
    assert_int_equal(s->volumes[3].read_only, 1);
    /* sorted by key */
    assert_int_equal(s->n_labels, 2);
    assert_string_equal(s->labels[0].key, "com.example.tier");
    assert_string_equal(s->labels[0].value, "front");
    assert_string_equal(s->labels[1].key, "team");
    assert_string_equal(s->labels[1].value, "shop");
    assert_string_equal(s->log_driver, "json-file");
    assert_int_equal(s->n_log_opts, 2);
    assert_string_equal(s->log_opts[0].key, "max-file");
    assert_string_equal(s->log_opts[0].value, "3");
    assert_string_equal(s->log_opts[1].key, "max-size");
    assert_string_equal(s->log_opts[1].value, "10m");
    assert_string_equal(s->network, "shopnet");
    assert_int_equal(s->stop_timeout_ms, 20000);
    STRV(s->env_keys, s->n_env_keys, "PORT", "DB_URL");
    assert_int_equal(s->n_files, 2);
    assert_string_equal(s->files[0].name, "app.conf");
    assert_string_equal(s->files[0].template, "port={{PORT}}\n");
    assert_null(s->files[0].key);
    assert_int_equal(s->files[0].mode, 0440);
    assert_string_equal(s->files[1].name, "tls.key");
    assert_null(s->files[1].template);
    assert_string_equal(s->files[1].key, "TLS_KEY");
    assert_int_equal(s->files[1].mode, 0400);
    assert_string_equal(s->files_dir, "/etc/web");
    assert_string_equal(s->secrets_dir, "/run/web-secrets");
    assert_string_equal(s->reload_signal, "HUP");
    assert_int_equal(s->on_env, SPEC_ON_ENV_RECREATE);
}

static void test_full_json(void **state)
{
    (void)state;
    app_spec s;
    parse_ok(full_json, &s);
    check_full(&s);
    spec_clear(&s);
    spec_clear(&s); /* twice: safe */
}

static void test_full_yaml_same_hash(void **state)
{
    (void)state;
    app_spec j, y;
    char hj[65], hy[65];
    parse_ok(full_json, &j);
    parse_ok(full_yaml, &y);
    check_full(&y);
    assert_int_equal(spec_hash(&j, hj), 0);
    assert_int_equal(spec_hash(&y, hy), 0);
    assert_int_equal(strlen(hj), 64);
    assert_string_equal(hj, hy);
    /* one field differs: another hash */
    y.memory++;
    assert_int_equal(spec_hash(&y, hy), 0);
    assert_string_not_equal(hj, hy);
    spec_clear(&j);
    spec_clear(&y);
}

static void test_defaults(void **state)
{
    (void)state;
    app_spec s, e;
    parse_ok("image: nginx\nports: [80, \"8080:80\"]\nfiles: [{name: a, template: x}]\n", &s);
    assert_string_equal(s.image, "nginx");
    assert_null(s.tag);
    assert_null(s.command);
    assert_null(s.entrypoint);
    assert_null(s.user);
    assert_null(s.network);
    assert_null(s.log_driver);
    assert_null(s.env_keys);
    assert_null(s.health.test);
    assert_null(s.reload_signal);
    assert_string_equal(s.restart, "no");
    assert_int_equal(s.restart_max, 0);
    assert_int_equal(s.no_new_privileges, 1);
    assert_int_equal(s.read_only, 0);
    assert_true(s.cpus == 0);
    assert_int_equal(s.memory, 0);
    assert_int_equal(s.pids_limit, 0);
    assert_int_equal(s.on_env, SPEC_ON_ENV_MARK);
    assert_string_equal(s.files_dir, "/etc/berth");
    assert_string_equal(s.secrets_dir, "/run/secrets");
    assert_int_equal(s.n_ports, 2);
    assert_port(&s.ports[0], 80, 0, "tcp", "127.0.0.1");
    assert_port(&s.ports[1], 80, 8080, "tcp", "127.0.0.1");
    assert_int_equal(s.files[0].mode, 0); /* runplan decides */

    /* the defaults written out hash the same as left out */
    parse_ok("{\"image\": \"nginx\", \"restart\": \"no\", \"no_new_privileges\": true,"
             " \"files_dir\": \"/etc/berth\", \"on_env\": \"mark\", \"tag\": null,"
             " \"ports\": [{\"container\": 80, \"host\": 0, \"proto\": \"tcp\"},"
             " {\"container\": 80, \"host\": 8080, \"host_ip\": \"127.0.0.1\"}],"
             " \"files\": [{\"name\": \"a\", \"template\": \"x\"}]}",
             &e);
    char h1[65], h2[65];
    assert_int_equal(spec_hash(&s, h1), 0);
    assert_int_equal(spec_hash(&e, h2), 0);
    assert_string_equal(h1, h2);
    spec_clear(&s);
    spec_clear(&e);

    /* a byte order mark before JSON or YAML */
    parse_ok("\xef\xbb\xbf {\"image\": \"nginx\"}", &s);
    assert_string_equal(s.image, "nginx");
    spec_clear(&s);
    parse_ok("\xef\xbb\xbfimage: nginx\n", &s);
    assert_string_equal(s.image, "nginx");
    spec_clear(&s);

    /* an empty list is kept apart from an absent one */
    parse_ok("image: nginx\nenv_keys: []\n", &s);
    assert_non_null(s.env_keys);
    assert_int_equal(s.n_env_keys, 0);
    spec_clear(&s);
}

static void test_shorthands(void **state)
{
    (void)state;
    app_spec s;
    parse_ok("image: x\nrestart: always\nhealth: {test: curl -f localhost}\nmemory: 1g\n"
             "stop_timeout: 2m\nreload_signal: USR1\nports: [\"53/udp\"]\n",
             &s);
    assert_string_equal(s.restart, "always");
    STRV(s.health.test, s.health.n_test, "CMD-SHELL", "curl -f localhost");
    assert_int_equal(s.memory, 1LL << 30);
    assert_int_equal(s.stop_timeout_ms, 120000);
    assert_string_equal(s.reload_signal, "USR1");
    assert_port(&s.ports[0], 53, 0, "udp", "127.0.0.1");
    spec_clear(&s);
    parse_ok("image: x\nmemory: 64k\nhealth: {test: [NONE]}\n", &s);
    assert_int_equal(s.memory, 64 << 10);
    assert_int_equal(s.health.n_test, 1);
    spec_clear(&s);
}

/* text must be refused with exactly want, and leave the struct clear. */
static void refused(const char *text, size_t len, const char *want)
{
    app_spec s;
    memset(&s, 0x5a, sizeof(s));
    char err[512] = "";
    int rc = spec_parse(text, len, &s, err, sizeof(err));
    if (rc != -EINVAL || strcmp(err, want) != 0)
        fail_msg("rc %d, err \"%s\", want \"%s\"", rc, err, want);
    static const app_spec zero;
    assert_memory_equal(&s, &zero, sizeof(s));
    spec_clear(&s);
}

#define REFUSED(text, want) refused(text, strlen(text), want)

static void test_missing_image(void **state)
{
    (void)state;
    REFUSED("tag: v1\n", "image: required");
    REFUSED("{\"image\": null}", "image: required");
    REFUSED("image: nginx:1.25\n", "image: want a repository without a tag or digest "
                                   "(write it in 'tag'), got 'nginx:1.25'");
    REFUSED("image: nginx@sha256:00\n", "image: want a repository without a tag or digest "
                                        "(write it in 'tag'), got 'nginx@sha256:00'");
    REFUSED("image: 42\n", "image: want a string, got 42");
}

static void test_unknown_field(void **state)
{
    (void)state;
    REFUSED("image: x\nhealthcheck: {}\n", "healthcheck: unknown field (did you mean 'health'?)");
    REFUSED("image: x\nimgae_x: 1\nzzz: 1\n", "imgae_x: unknown field");
    REFUSED("image: x\nports: [{container: 80, hostip: 0.0.0.0}]\n",
            "ports[0].hostip: unknown field (did you mean 'host_ip'?)");
    REFUSED("image: x\nvolumes: [{target: /a, tmpfs: true, sise: 1}]\n",
            "volumes[0].sise: unknown field (did you mean 'size'?)");
}

static void test_bad_port(void **state)
{
    (void)state;
    REFUSED("image: x\nports: [{container: 80}, {container: 81, host: x}]\n",
            "ports[1].host: want a port 1-65535, got 'x'");
    REFUSED("image: x\nports: [{container: 70000}]\n",
            "ports[0].container: want a port 1-65535, got 70000");
    REFUSED("image: x\nports: [{host: 80}]\n", "ports[0].container: required");
    REFUSED("image: x\nports: [\"80:80\", \"x:81\"]\n",
            "ports[1].host: want a port 1-65535, got 'x:81'");
    REFUSED("image: x\nports: [\"80/sctp\"]\n", "ports[0].proto: want 'tcp' or 'udp', got 'sctp'");
    REFUSED("image: x\nports: [\"8080:80\", \"8080:81\"]\n",
            "ports[1].host: 127.0.0.1:8080/tcp is already published by ports[0]");
    REFUSED("image: x\nports: 80\n", "ports: want a list of ports, got 80");
}

static void test_bad_host_ip(void **state)
{
    (void)state;
    REFUSED("image: x\nports: [{container: 80, host: 80, host_ip: 300.1.1.1}]\n",
            "ports[0].host_ip: want an IPv4 or IPv6 address, got '300.1.1.1'");
    REFUSED("{\"image\": \"x\", \"ports\": [{\"container\": 80, \"host_ip\": \"localhost\"}]}",
            "ports[0].host_ip: want an IPv4 or IPv6 address, got 'localhost'");
    REFUSED("image: x\nports: [\"1::2:8080:80\"]\n",
            "ports[0]: want '[host_ip:]host:container[/proto]' or an object, got '1::2:8080:80'");
}

static void test_bad_memory(void **state)
{
    (void)state;
    REFUSED("image: x\nmemory: 512x\n",
            "memory: want bytes or a size like '512m' (units k, m, g), got '512x'");
    REFUSED("image: x\nmemory: -1\n",
            "memory: want bytes or a size like '512m' (units k, m, g), got -1");
    REFUSED("image: x\nmemory: 99999999999g\n",
            "memory: want bytes or a size like '512m' (units k, m, g), got '99999999999g'");
}

static void test_restart(void **state)
{
    (void)state;
    app_spec s;
    parse_ok("{\"image\": \"x\", \"restart\": \"on-failure:12\"}", &s);
    assert_string_equal(s.restart, "on-failure");
    assert_int_equal(s.restart_max, 12);
    spec_clear(&s);
    parse_ok("image: x\nrestart: on-failure\n", &s);
    assert_string_equal(s.restart, "on-failure");
    assert_int_equal(s.restart_max, 0);
    spec_clear(&s);
    REFUSED("image: x\nrestart: on-failure:x\n",
            "restart: want on-failure:N with N 1-999999, got 'on-failure:x'");
    REFUSED("image: x\nrestart: on-failure:0\n",
            "restart: want on-failure:N with N 1-999999, got 'on-failure:0'");
    REFUSED("image: x\nrestart: false\n", "restart: want a string, got false");
    REFUSED("image: x\nrestart: sometimes\n",
            "restart: want 'no', 'always', 'unless-stopped', 'on-failure' or 'on-failure:N', "
            "got 'sometimes'");
}

static void test_files(void **state)
{
    (void)state;
    REFUSED("image: x\nfiles: [{name: a, template: t, key: K}]\n",
            "files[0]: template and key together: want one of them");
    REFUSED("image: x\nfiles: [{name: a}]\n", "files[0]: want template or key");
    REFUSED("image: x\nfiles: [{name: a, key: K}, {name: b, key: K}, {name: a, template: t}]\n",
            "files[2].name: 'a' is already files[0]");
    REFUSED("image: x\nfiles: [{name: ../a, key: K}]\n",
            "files[0].name: want a file name (no '/', not '.' or '..'), got '../a'");
    REFUSED("image: x\nfiles: [{name: a, key: a-b}]\n",
            "files[0].key: KEY 'a-b': want an environment variable name, [A-Za-z_][A-Za-z0-9_]*");
    REFUSED("image: x\nfiles: [{name: a, key: K, mode: 0999}]\n",
            "files[0].mode: want a mode 0001-0777 (an octal string like '0440'), got '0999'");
    REFUSED("image: x\nfiles: [{name: a, key: K, mode: 1000}]\n",
            "files[0].mode: want a mode 0001-0777 (an octal string like '0440'), got 1000");
}

static void test_labels(void **state)
{
    (void)state;
    REFUSED("image: x\nlabels: {team: a, berth.app: web}\n",
            "labels.berth.app: the berth. labels are berth's own");
    REFUSED("image: x\nlabels: {tier: 1}\n", "labels.tier: want a string, got 1");
}

static void test_volumes(void **state)
{
    (void)state;
    REFUSED("image: x\nvolumes: [{source: data, target: data}]\n",
            "volumes[0].target: want an absolute path, got 'data'");
    REFUSED("image: x\nvolumes: [\"data:rel/x\"]\n",
            "volumes[0].target: want an absolute path, got 'rel/x'");
    REFUSED("image: x\nvolumes: [{source: /a, target: /x/../etc}]\n",
            "volumes[0].target: no '..' in the path, got '/x/../etc'");
    REFUSED("image: x\nvolumes: [{tmpfs: true, source: a, target: /t}]\n",
            "volumes[0].source: not with tmpfs: true");
    REFUSED("image: x\nvolumes: [\"a:/t\", \"b:/t:ro\"]\n",
            "volumes[1].target: '/t' is already mounted by volumes[0]");
    REFUSED("image: x\nworkdir: srv\n", "workdir: want an absolute path, got 'srv'");
}

static void test_yaml_refused(void **state)
{
    (void)state;
    REFUSED("image: &i nginx\nnetwork: *i\n", "spec: line 1 column 8: anchors (&i) are not "
                                              "supported");
    REFUSED("image: x\nnetwork: *i\n", "spec: line 2 column 10: aliases (*i) are not supported");
    REFUSED("image: !!str x\n", "spec: line 1 column 8: tags (tag:yaml.org,2002:str) are not "
                                "supported");
    REFUSED("image: x\n---\nimage: y\n",
            "spec: line 2 column 1: a second YAML document: a spec is one document");
    REFUSED("image: x\nimage: y\n", "spec: line 2 column 1: duplicate key 'image'");
    REFUSED("- image\n", "spec: want an object at the top, got a list");
    REFUSED("   \n\n", "spec: empty");
    REFUSED("{\"image\": \"x\", \"image\": \"y\"}",
            "spec: line 1 column 22: duplicate object key near '\"image\"'");
    char deep[200] = "image: x\nlabels: ";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    REFUSED(deep, "spec: line 2 column 40: nested deeper than 32");
}

static void test_too_long(void **state)
{
    (void)state;
    size_t n = SPEC_MAX_BYTES + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, "image: x\n#", 10);
    refused(big, n, "spec: 1048577 bytes, at most 1048576");
    free(big);

    /* a list longer than SPEC_MAX_ITEMS */
    char *list = malloc(4096);
    strcpy(list, "image: x\ncap_add: [");
    for (unsigned i = 0; i <= SPEC_MAX_ITEMS; i++)
        strcat(list, "A,");
    strcat(list, "B]\n");
    REFUSED(list, "cap_add: 258 items, at most 256");
    free(list);
}

static void test_misc_errors(void **state)
{
    (void)state;
    REFUSED("image: x\ncpus: 0\n", "cpus: want a number >0 and <=1024, got 0");
    REFUSED("image: x\ncpus: \"1\"\n", "cpus: want a number >0 and <=1024, got '1'");
    REFUSED("image: x\npids_limit: 0\n", "pids_limit: want an integer 1-4194304, got 0");
    REFUSED("image: x\nread_only: yes\n", "read_only: want true or false, got 'yes'");
    REFUSED("image: x\ncap_add: [NET-ADMIN]\n",
            "cap_add[0]: want a capability name like 'NET_ADMIN', got 'NET-ADMIN'");
    REFUSED("image: x\nenv_keys: [A, B, A]\n", "env_keys[2]: 'A' is already env_keys[0]");
    REFUSED("image: x\nreload_signal: KILL\n",
            "reload_signal: want one of HUP, INT, QUIT, TERM, USR1, USR2, WINCH, ALRM, CONT, got "
            "'KILL'");
    REFUSED("image: x\non_env: restart\n", "on_env: want 'mark' or 'recreate', got 'restart'");
    REFUSED("image: x\nhealth: {interval: 10x}\n",
            "health.interval: want a duration up to 24h (seconds, or like '10s', '500ms', '2m'), "
            "got '10x'");
    REFUSED("image: x\nhealth: {test: [CMD-SHELL]}\n",
            "health.test: want [\"CMD\", arg...], [\"CMD-SHELL\", command] or [\"NONE\"]");
    REFUSED("image: x\ncommand: run me\n", "command: want a list of strings, got 'run me'");
    REFUSED("image: x\nsecrets_dir: /etc/berth\n", "secrets_dir: the same directory as files_dir");
    REFUSED("image: x\ntag: \"-bad\"\n",
            "tag: want a tag ([A-Za-z0-9_][A-Za-z0-9_.-]*) or 'sha256:<hex>', got '-bad'");
}

static void test_small_err_buffer(void **state)
{
    (void)state;
    app_spec s;
    char err[8];
    assert_int_equal(spec_parse("tag: x", 6, &s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "image: ");
    assert_int_equal(spec_parse("tag: x", 6, &s, NULL, 0), -EINVAL);
    spec_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_json),
        cmocka_unit_test(test_full_yaml_same_hash),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_shorthands),
        cmocka_unit_test(test_missing_image),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_bad_host_ip),
        cmocka_unit_test(test_bad_memory),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_volumes),
        cmocka_unit_test(test_yaml_refused),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_misc_errors),
        cmocka_unit_test(test_small_err_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
