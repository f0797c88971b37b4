/*
 * test_layers: release/env/layers against ground truth written by hand: the
 * precedence of the seven layers, the key parser's corner cases (names that
 * are also layer words), the problems kept for invalid keys, secret marks,
 * the set's digest, explain, diff, the key builders and the import of
 * env-files and JSON.
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

#include "release/env/layers.h"

#define P "/berth"

/* A kv of string literals; mod_rev is set by fix_revs. */
#define KV(k, v)                                                                                   \
    {                                                                                              \
        .key = (char *)(k), .value = (char *)(v), .value_len = sizeof(v) - 1                       \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void fix_revs(etcd_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kv[i].mod_rev = (int64_t)(100 + i);
}

static void assert_layer(const envl_layer *l, envl_kind kind, const char *app, const char *env,
                         const char *dc)
{
    assert_int_equal(l->kind, kind);
    assert_string_equal(l->app, app);
    assert_string_equal(l->env, env);
    assert_string_equal(l->dc, dc);
}

/* The seven layers of web/prod/fra, each setting PORT to its own value,
 * lowest first, plus noise of other apps, envs and dcs. */
static etcd_kv seven[] = {
    KV(P "/env/global/PORT", "1"),
    KV(P "/env/dc/fra/PORT", "2"),
    KV(P "/env/env/prod/PORT", "3"),
    KV(P "/env/env/prod/dc/fra/PORT", "4"),
    KV(P "/env/app/web/PORT", "5"),
    KV(P "/env/app/web/env/prod/PORT", "6"),
    KV(P "/env/app/web/env/prod/dc/fra/PORT", "7"),
    /* other apps, envs, dcs: ignored */
    KV(P "/env/app/db/PORT", "x"),
    KV(P "/env/app/web/env/dev/PORT", "x"),
    KV(P "/env/app/web/env/prod/dc/ams/PORT", "x"),
    KV(P "/env/dc/ams/PORT", "x"),
    KV(P "/env/env/dev/PORT", "x"),
    KV(P "/env/env/prod/dc/ams/PORT", "x"),
    KV(P "/env/app/db/env/prod/dc/fra/PORT", "x"),
    /* another prefix and other kinds of keys under P: ignored */
    KV("/other/env/app/web/env/prod/dc/fra/PORT", "x"),
    KV(P "/apps/web/spec", "image: x"),
    KV(P "x/env/global/PORT", "x"),
};

static void test_precedence(void **state)
{
    (void)state;
    static const envl_kind kinds[] = {ENVL_GLOBAL, ENVL_DC,      ENVL_ENV,       ENVL_ENV_DC,
                                      ENVL_APP,    ENVL_APP_ENV, ENVL_APP_ENV_DC};
    etcd_kv kv[N(seven)];
    memcpy(kv, seven, sizeof(seven));
    fix_revs(kv, N(kv));
    char err[256];
    /* Remove the winner one by one, from the top: the next one wins. */
    for (int top = 6; top >= 0; top--) {
        envl_set s;
        /* a copy without the layers above top */
        etcd_kv cp[N(seven)];
        size_t k = 0;
        for (int i = 0; i <= top; i++)
            cp[k++] = kv[i];
        for (size_t i = 7; i < N(kv); i++)
            cp[k++] = kv[i];
        assert_int_equal(k, N(kv) - (size_t)(6 - top));
        assert_int_equal(envl_resolve(P, "web", "prod", "fra", cp, k, 42, &s, err, sizeof(err)), 0);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.revision, 42);
        assert_int_equal(s.n_bad, 0);
        const envl_entry *e = envl_find(&s, "PORT");
        assert_non_null(e);
        assert_string_equal(e->key, "PORT");
        char want[2] = {(char)('1' + top), 0};
        assert_string_equal(e->value, want);
        assert_int_equal(e->value_len, 1);
        assert_int_equal(e->src.kind, kinds[top]);
        assert_int_equal(e->n_shadowed, (size_t)top);
        assert_int_equal(e->mod_rev, 100 + top);
        assert_int_equal(e->secret, 0);
        envl_set_clear(&s);
    }
    /* The winner's layer in full. */
    envl_set s;
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_layer(&s.e[0].src, ENVL_APP_ENV_DC, "web", "prod", "fra");
    envl_set_clear(&s);

    /* Any order of the kvs gives the same winner. */
    etcd_kv rev[N(seven)];
    for (size_t i = 0; i < N(kv); i++)
        rev[i] = kv[N(kv) - 1 - i];
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", rev, N(rev), 1, &s, err, sizeof(err)),
                     0);
    assert_string_equal(s.e[0].value, "7");
    assert_int_equal(s.e[0].n_shadowed, 6);
    envl_set_clear(&s);

    /* dc NULL or "": the dc layers are left out. */
    assert_int_equal(envl_resolve(P, "web", "prod", NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "6");
    assert_int_equal(s.e[0].n_shadowed, 3); /* global, env/prod, app/web */
    assert_layer(&s.e[0].src, ENVL_APP_ENV, "web", "prod", "");
    envl_set_clear(&s);
    assert_int_equal(envl_resolve(P, "web", "prod", "", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "6");
    envl_set_clear(&s);

    /* No app: the env/dc layers are the top. */
    assert_int_equal(envl_resolve(P, NULL, "prod", "fra", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "4");
    assert_int_equal(s.e[0].n_shadowed, 3);
    envl_set_clear(&s);

    /* Nothing given: global only. */
    assert_int_equal(envl_resolve(P, NULL, NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "1");
    assert_int_equal(s.e[0].n_shadowed, 0);
    envl_set_clear(&s);

    /* Another dc: only the dc-free layers and ams' own apply. */
    assert_int_equal(envl_resolve(P, "web", "prod", "ams", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "x"); /* app/web/env/prod/dc/ams */
    assert_layer(&s.e[0].src, ENVL_APP_ENV_DC, "web", "prod", "ams");
    assert_int_equal(s.e[0].n_shadowed, 6);
    envl_set_clear(&s);

    /* An app with no layers of its own gets the shared ones. */
    assert_int_equal(envl_resolve(P, "api", "prod", "fra", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "4");
    envl_set_clear(&s);

    /* No kvs at all: an empty set with the digest of nothing. */
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", NULL, 0, 9, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 0);
    assert_null(envl_find(&s, "PORT"));
    assert_string_equal(s.sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    envl_set_clear(&s);
    envl_set_clear(NULL);
}

static void test_many_keys_sorted(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/app/web/Z", "z"),           KV(P "/env/global/B", "b0"),
        KV(P "/env/env/prod/B", "b1"),         KV(P "/env/global/A", "a"),
        KV(P "/env/global/_X", "x"),           KV(P "/env/dc/fra/a", "lower"),
        KV(P "/env/app/web/env/prod/B", "b2"),
    };
    fix_revs(kv, N(kv));
    envl_set s;
    char err[256];
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", kv, N(kv), 3, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 5);
    /* strcmp order: upper case, then '_', then lower case */
    assert_string_equal(s.e[0].key, "A");
    assert_string_equal(s.e[1].key, "B");
    assert_string_equal(s.e[1].value, "b2");
    assert_int_equal(s.e[1].n_shadowed, 2);
    assert_string_equal(s.e[2].key, "Z");
    assert_string_equal(s.e[3].key, "_X");
    assert_string_equal(s.e[4].key, "a");
    assert_layer(&s.e[4].src, ENVL_DC, "", "", "fra");
    for (size_t i = 0; i < s.n; i++)
        assert_ptr_equal(envl_find(&s, s.e[i].key), &s.e[i]);
    assert_null(envl_find(&s, "C"));
    assert_null(envl_find(&s, "b"));
    assert_null(envl_find(NULL, "A"));
    envl_set_clear(&s);
}

static void test_parse_key(void **state)
{
    (void)state;
    envl_layer l;
    char name[ENVL_KEY_MAX + 1], err[256];
    static const struct {
        const char *key;
        envl_kind kind;
        const char *app, *env, *dc, *name;
    } ok[] = {
        {P "/env/global/K", ENVL_GLOBAL, "", "", "", "K"},
        {P "/env/dc/fra/K", ENVL_DC, "", "", "fra", "K"},
        {P "/env/env/prod/K", ENVL_ENV, "", "prod", "", "K"},
        {P "/env/env/prod/dc/fra/K", ENVL_ENV_DC, "", "prod", "fra", "K"},
        {P "/env/app/web/K", ENVL_APP, "web", "", "", "K"},
        {P "/env/app/web/env/prod/K", ENVL_APP_ENV, "web", "prod", "", "K"},
        {P "/env/app/web/env/prod/dc/fra/K", ENVL_APP_ENV_DC, "web", "prod", "fra", "K"},
        /* names that are also layer words */
        {P "/env/app/env/KEY", ENVL_APP, "env", "", "", "KEY"},
        {P "/env/app/env/env/dc/KEY", ENVL_APP_ENV, "env", "dc", "", "KEY"},
        {P "/env/env/dc/dc/app/KEY", ENVL_ENV_DC, "", "dc", "app", "KEY"},
        {P "/env/app/app/env/env/dc/dc/KEY", ENVL_APP_ENV_DC, "app", "env", "dc", "KEY"},
        {P "/env/dc/app/KEY", ENVL_DC, "", "", "app", "KEY"},
        {P "/env/dc/global/KEY", ENVL_DC, "", "", "global", "KEY"},
        {P "/env/env/env/KEY", ENVL_ENV, "", "env", "", "KEY"},
        /* a KEY named like a layer word */
        {P "/env/app/web/env", ENVL_APP, "web", "", "", "env"},
        {P "/env/global/global", ENVL_GLOBAL, "", "", "", "global"},
        /* names with the allowed punctuation */
        {P "/env/app/w-1.x_y/_k9", ENVL_APP, "w-1.x_y", "", "", "_k9"},
        {P "/env/app/9/K", ENVL_APP, "9", "", "", "K"},
    };
    for (size_t i = 0; i < N(ok); i++) {
        memset(&l, 0x55, sizeof(l));
        int r = envl_parse_key(P, ok[i].key, &l, name, sizeof(name), err, sizeof(err));
        if (r != 1)
            fail_msg("%s: %d %s", ok[i].key, r, err);
        assert_layer(&l, ok[i].kind, ok[i].app, ok[i].env, ok[i].dc);
        assert_string_equal(name, ok[i].name);
    }

    /* Not config keys: 0. */
    static const char *const other[] = {
        P "/secret/K",
        P "/apps/web/spec",
        "/other/env/global/K",
        P "x/env/global/K",
        P "/env",
        P "/envx/global/K",
        "",
        "/",
        P,
    };
    for (size_t i = 0; i < N(other); i++)
        assert_int_equal(envl_parse_key(P, other[i], &l, name, sizeof(name), err, sizeof(err)), 0);

    /* Malformed under P/env/: -EINVAL naming the problem. */
    char longkey[300];
    memset(longkey, 'A', 256);
    longkey[256] = '\0';
    char longpath[400];
    snprintf(longpath, sizeof(longpath), P "/env/global/%s", longkey);
    char maxpath[400];
    longkey[255] = '\0';
    snprintf(maxpath, sizeof(maxpath), P "/env/global/%s", longkey);
    char longname[100];
    memset(longname, 'a', 64);
    longname[64] = '\0';
    char longnamepath[200];
    snprintf(longnamepath, sizeof(longnamepath), P "/env/app/%s/K", longname);
    static const struct {
        const char *key;
        const char *want; /* a substring of the message */
    } bad[] = {
        {P "/env/global/a-b", "KEY 'a-b'"},
        {P "/env/global/1A", "KEY '1A'"},
        {P "/env/global/", "KEY '': empty"},
        {P "/env/global", "no KEY"},
        {P "/env/", "no KEY"},
        {P "/env/app/.web/K", "app '.web'"},
        {P "/env/app/-web/K", "app '-web'"},
        {P "/env/app/we b/K", "app 'we b'"},
        {P "/env/dc/_x/K", "dc '_x'"},
        {P "/env/env/pr@d/K", "env 'pr@d'"},
        {P "/env/app//K", "app '': empty"},
        {P "/env/app/web/env/prod/dc/fra/x/K", "not a layer"}, /* 8 segments */
        {P "/env/app/web/env/prod/dc/fra/x/y/K", "too many '/'"},
        {P "/env/app/a/b/c/d/e/f/g/K", "too many '/'"},
        {P "/env/app/web/x/prod/K", "not a layer"},
        {P "/env/app/web/env/prod/x/fra/K", "not a layer"},
        {P "/env/env/prod/x/fra/K", "not a layer"},
        {P "/env/nope/K", "not a layer"},
        {P "/env/nope/x/K", "not a layer"},
        {P "/env/dc/a/b/K", "not a layer"},
        {P "/env/global/x/K", "not a layer"},
        {P "/env/app/web/env/K", "not a layer"},
        {P "/env/global/A\x01", "KEY 'A\\x01'"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        err[0] = '\0';
        int r = envl_parse_key(P, bad[i].key, &l, name, sizeof(name), err, sizeof(err));
        if (r != -EINVAL || !strstr(err, bad[i].want))
            fail_msg("%s: %d '%s', want -EINVAL '%s'", bad[i].key, r, err, bad[i].want);
    }
    assert_int_equal(envl_parse_key(P, longpath, &l, name, sizeof(name), err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "longer than 255 bytes"));
    assert_int_equal(envl_parse_key(P, maxpath, &l, name, sizeof(name), err, sizeof(err)), 1);
    assert_int_equal(strlen(name), 255);
    assert_int_equal(envl_parse_key(P, longnamepath, &l, name, sizeof(name), err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "longer than 63 bytes"));
    longname[63] = '\0';
    snprintf(longnamepath, sizeof(longnamepath), P "/env/app/%s/K", longname);
    assert_int_equal(envl_parse_key(P, longnamepath, &l, name, sizeof(name), err, sizeof(err)), 1);
    assert_string_equal(l.app, longname);
    /* the caller's buffer too small for the KEY */
    assert_int_equal(envl_parse_key(P, P "/env/global/ABCD", &l, name, 4, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(envl_parse_key(P, P "/env/global/ABC", &l, name, 4, err, sizeof(err)), 1);
    assert_string_equal(name, "ABC");
}

static void test_bad_kept(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/a-b", "1"),
        KV(P "/env/global/GOOD", "g"),
        KV(P "/env/global/1A", "1"),
        KV(P "/env/app/web/env/prod/dc/fra/x/y/K", "1"),
        KV(P "/env/app/.x/K", "1"),
        KV(P "/env/app/web/OTHER", "o"),
        KV(P "/env/app/x/y/K", "1"),
        KV(P "/secret/bad-name", ""),
        /* malformed but for another app: still a problem, it is under P/env/ */
        KV(P "/env/app/db/env/prod/X", "fine"),
    };
    fix_revs(kv, N(kv));
    envl_set s;
    char err[256];
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.e[0].key, "GOOD");
    assert_string_equal(s.e[1].key, "OTHER");
    assert_int_equal(s.n_bad, 6);
    static const struct {
        const char *key, *want;
    } bad[] = {
        {P "/env/global/a-b", "KEY 'a-b'"},
        {P "/env/global/1A", "KEY '1A'"},
        {P "/env/app/web/env/prod/dc/fra/x/y/K", "too many '/'"},
        {P "/env/app/.x/K", "app '.x'"},
        {P "/env/app/x/y/K", "not a layer"},
        {P "/secret/bad-name", "secret mark: KEY 'bad-name'"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        assert_string_equal(s.bad[i].key, bad[i].key);
        if (!strstr(s.bad[i].why, bad[i].want))
            fail_msg("%s: '%s', want '%s'", bad[i].key, s.bad[i].why, bad[i].want);
    }
    envl_set_clear(&s);
    assert_null(s.bad);
    assert_int_equal(s.n_bad, 0);

    /* An invalid prefix or name: the call fails, err says why. */
    assert_int_equal(envl_resolve("berth", "web", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "prefix 'berth'"));
    assert_int_equal(envl_resolve(P, "we/b", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "app 'we/b'"));
    assert_int_equal(envl_resolve(P, NULL, ".p", NULL, kv, N(kv), 1, &s, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "env '.p'"));
    assert_int_equal(envl_resolve(P, NULL, NULL, "a b", kv, N(kv), 1, &s, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "dc 'a b'"));
    assert_int_equal(s.n, 0);
    envl_set_clear(&s);
}

static void test_secret(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/PASS", "g"), KV(P "/env/app/web/env/prod/PASS", "p"),
        KV(P "/env/global/USER", "u"), KV(P "/secret/PASS", "ignored"),
        KV(P "/secret/TOKEN", ""), /* a mark for an unset KEY: harmless */
        KV(P "/secret/", ""),          KV(P "/secret/A/B", ""),
    };
    fix_revs(kv, N(kv));
    envl_set s;
    char err[256];
    assert_int_equal(envl_resolve(P, "web", "prod", NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.e[0].key, "PASS");
    assert_string_equal(s.e[0].value, "p");
    assert_int_equal(s.e[0].secret, 1);
    assert_string_equal(s.e[1].key, "USER");
    assert_int_equal(s.e[1].secret, 0);
    assert_int_equal(s.n_bad, 2);
    assert_string_equal(s.bad[0].key, P "/secret/");
    assert_non_null(strstr(s.bad[0].why, "secret mark"));
    assert_non_null(strstr(s.bad[0].why, "empty"));
    assert_string_equal(s.bad[1].key, P "/secret/A/B");
    assert_non_null(strstr(s.bad[1].why, "KEY 'A/B'"));
    envl_set_clear(&s);

    /* The mark holds in every layer: the global-only set is secret too. */
    assert_int_equal(envl_resolve(P, NULL, NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, "g");
    assert_int_equal(s.e[0].secret, 1);
    envl_set_clear(&s);

    /* explain: every entry carries the mark. */
    envl_entry *x;
    size_t nx;
    assert_int_equal(
        envl_explain(P, "web", "prod", NULL, kv, N(kv), "PASS", &x, &nx, err, sizeof(err)), 0);
    assert_int_equal(nx, 2);
    assert_int_equal(x[0].secret, 1);
    assert_int_equal(x[1].secret, 1);
    envl_entries_free(x, nx);
}

static void test_sha256(void **state)
{
    (void)state;
    /* printf 'A=1\nB=2\n' | sha256sum */
    static const char want[] = "beb5f2519a8d4a22ff19d6b4ba05806c75710dc1ad7e2ef37ee1d1a950d4b074";
    etcd_kv kv[] = {
        KV(P "/env/app/web/B", "2"),
        KV(P "/env/global/B", "shadowed"),
        KV(P "/env/global/A", "1"),
    };
    fix_revs(kv, N(kv));
    envl_set s;
    char err[256], hex[65];
    assert_int_equal(envl_resolve(P, "web", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.sha256, want);
    envl_set_clear(&s);
    envl_sha256("A=1\nB=2\n", 8, hex);
    assert_string_equal(hex, want);
    envl_sha256("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* Another value, another digest. */
    kv[0].value = (char *)"3";
    assert_int_equal(envl_resolve(P, "web", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_not_equal(s.sha256, want);
    envl_sha256("A=1\nB=3\n", 8, hex);
    assert_string_equal(s.sha256, hex);
    envl_set_clear(&s);
}

/* A secret's value never enters the digest (a label docker inspect shows):
 * its revision does, so a new value still changes it. */
static void test_sha256_secret(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/A", "1"),
        KV(P "/env/app/web/B", "hunter2"),
        KV(P "/secret/B", ""),
    };
    fix_revs(kv, N(kv)); /* B's mod_rev is 101 */
    envl_set s;
    char err[256], hex[65];
    assert_int_equal(envl_resolve(P, "web", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    envl_sha256("A=1\nB=(secret rev 101)\n", 23, hex);
    assert_string_equal(s.sha256, hex);
    envl_sha256("A=1\nB=hunter2\n", 14, hex);
    assert_string_not_equal(s.sha256, hex);
    envl_set_clear(&s);

    /* Same value written again at another revision: another digest. */
    kv[1].mod_rev = 200;
    assert_int_equal(envl_resolve(P, "web", NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    envl_sha256("A=1\nB=(secret rev 200)\n", 23, hex);
    assert_string_equal(s.sha256, hex);
    envl_set_clear(&s);
}

static void test_value_env_ok(void **state)
{
    (void)state;
    etcd_kv kv[] = {
        KV(P "/env/global/NL", "a\nb"),
        KV(P "/env/global/NUL", "a\0b"),
        KV(P "/env/global/OK", "a b\t=c\r"),
        KV(P "/env/global/EMPTY", ""),
        {.key = (char *)P "/env/global/NULLV", .value = NULL, .value_len = 0},
    };
    fix_revs(kv, N(kv));
    envl_set s;
    char err[256];
    assert_int_equal(envl_resolve(P, NULL, NULL, NULL, kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 5);
    const envl_entry *e = envl_find(&s, "NL");
    assert_int_equal(envl_value_env_ok(e), 0);
    assert_int_equal(e->value_len, 3);
    e = envl_find(&s, "NUL");
    assert_int_equal(envl_value_env_ok(e), 0);
    assert_int_equal(e->value_len, 3);
    assert_memory_equal(e->value, "a\0b", 4);
    e = envl_find(&s, "OK");
    assert_int_equal(envl_value_env_ok(e), 1);
    e = envl_find(&s, "EMPTY");
    assert_int_equal(envl_value_env_ok(e), 1);
    assert_string_equal(e->value, "");
    e = envl_find(&s, "NULLV");
    assert_int_equal(envl_value_env_ok(e), 1);
    assert_string_equal(e->value, "");
    envl_set_clear(&s);
}

static void test_explain(void **state)
{
    (void)state;
    etcd_kv kv[N(seven)];
    memcpy(kv, seven, sizeof(seven));
    fix_revs(kv, N(kv));
    /* shuffle: explain sorts by precedence, not by input order */
    etcd_kv t = kv[0];
    kv[0] = kv[6];
    kv[6] = t;
    t = kv[2];
    kv[2] = kv[4];
    kv[4] = t;
    envl_entry *x;
    size_t nx;
    char err[256];
    assert_int_equal(
        envl_explain(P, "web", "prod", "fra", kv, N(kv), "PORT", &x, &nx, err, sizeof(err)), 0);
    assert_int_equal(nx, 7);
    static const envl_kind kinds[] = {ENVL_GLOBAL, ENVL_DC,      ENVL_ENV,       ENVL_ENV_DC,
                                      ENVL_APP,    ENVL_APP_ENV, ENVL_APP_ENV_DC};
    for (size_t i = 0; i < nx; i++) {
        char want[2] = {(char)('1' + i), 0};
        assert_string_equal(x[i].key, "PORT");
        assert_string_equal(x[i].value, want);
        assert_int_equal(x[i].src.kind, kinds[i]);
        assert_int_equal(x[i].n_shadowed, i);
    }
    assert_layer(&x[6].src, ENVL_APP_ENV_DC, "web", "prod", "fra");

    /* the winner of explain is the winner of resolve */
    envl_set s;
    assert_int_equal(envl_resolve(P, "web", "prod", "fra", kv, N(kv), 1, &s, err, sizeof(err)), 0);
    assert_string_equal(s.e[0].value, x[nx - 1].value);
    assert_int_equal(s.e[0].mod_rev, x[nx - 1].mod_rev);
    assert_int_equal(s.e[0].n_shadowed, x[nx - 1].n_shadowed);
    envl_set_clear(&s);
    envl_entries_free(x, nx);

    /* without dc: four layers */
    assert_int_equal(
        envl_explain(P, "web", "prod", NULL, kv, N(kv), "PORT", &x, &nx, err, sizeof(err)), 0);
    assert_int_equal(nx, 4);
    assert_string_equal(x[0].value, "1");
    assert_string_equal(x[1].value, "3");
    assert_string_equal(x[2].value, "5");
    assert_string_equal(x[3].value, "6");
    envl_entries_free(x, nx);

    /* a KEY nobody sets: none; an invalid KEY: -EINVAL */
    assert_int_equal(
        envl_explain(P, "web", "prod", "fra", kv, N(kv), "NOPE", &x, &nx, err, sizeof(err)), 0);
    assert_int_equal(nx, 0);
    assert_null(x);
    envl_entries_free(x, nx);
    assert_int_equal(
        envl_explain(P, "web", "prod", "fra", kv, N(kv), "a-b", &x, &nx, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "KEY 'a-b'"));
    assert_int_equal(
        envl_explain(P, "w/b", "prod", "fra", kv, N(kv), "PORT", &x, &nx, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(nx, 0);
}

static void test_diff(void **state)
{
    (void)state;
    etcd_kv ka[] = {
        KV(P "/env/global/ONLY_A", "1"),    KV(P "/env/global/SAME", "s"),
        KV(P "/env/global/CHANGED", "old"), KV(P "/env/global/MARKED", "m"),
        KV(P "/env/global/A0", "z"),
    };
    etcd_kv kb[] = {
        KV(P "/env/global/SAME", "s"),   KV(P "/env/global/CHANGED", "new"),
        KV(P "/env/global/ONLY_B", "2"), KV(P "/env/global/MARKED", "m"),
        KV(P "/secret/MARKED", ""),      KV(P "/env/global/A0", "z"),
    };
    fix_revs(ka, N(ka));
    fix_revs(kb, N(kb));
    envl_set a, b;
    char err[256];
    assert_int_equal(envl_resolve(P, NULL, NULL, NULL, ka, N(ka), 1, &a, err, sizeof(err)), 0);
    assert_int_equal(envl_resolve(P, NULL, NULL, NULL, kb, N(kb), 2, &b, err, sizeof(err)), 0);
    envl_diff_row *rows;
    size_t n;
    assert_int_equal(envl_diff(&a, &b, &rows, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(rows[0].key, "CHANGED");
    assert_string_equal(rows[0].a->value, "old");
    assert_string_equal(rows[0].b->value, "new");
    assert_string_equal(rows[1].key, "MARKED"); /* same value, now secret */
    assert_int_equal(rows[1].a->secret, 0);
    assert_int_equal(rows[1].b->secret, 1);
    assert_string_equal(rows[2].key, "ONLY_A");
    assert_ptr_equal(rows[2].a, envl_find(&a, "ONLY_A"));
    assert_null(rows[2].b);
    assert_string_equal(rows[3].key, "ONLY_B");
    assert_null(rows[3].a);
    assert_ptr_equal(rows[3].b, envl_find(&b, "ONLY_B"));
    free(rows);

    /* the other way round */
    assert_int_equal(envl_diff(&b, &a, &rows, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(rows[2].key, "ONLY_A");
    assert_null(rows[2].a);
    assert_non_null(rows[2].b);
    free(rows);

    /* a set against itself, and against nothing */
    assert_int_equal(envl_diff(&a, &a, &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);
    assert_int_equal(envl_diff(&a, NULL, &rows, &n), 0);
    assert_int_equal(n, a.n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(rows[i].a, &a.e[i]);
        assert_null(rows[i].b);
    }
    free(rows);
    assert_int_equal(envl_diff(NULL, NULL, &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);
    envl_set_clear(&a);
    envl_set_clear(&b);
}

static void test_layer_parse_format(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        envl_kind kind;
        const char *app, *env, *dc;
    } v[] = {
        {"global", ENVL_GLOBAL, "", "", ""},
        {"dc/fra", ENVL_DC, "", "", "fra"},
        {"env/prod", ENVL_ENV, "", "prod", ""},
        {"env/prod/dc/fra", ENVL_ENV_DC, "", "prod", "fra"},
        {"app/web", ENVL_APP, "web", "", ""},
        {"app/web/env/prod", ENVL_APP_ENV, "web", "prod", ""},
        {"app/web/env/prod/dc/fra", ENVL_APP_ENV_DC, "web", "prod", "fra"},
        {"app/env/env/dc/dc/app", ENVL_APP_ENV_DC, "env", "dc", "app"},
    };
    char err[256], out[256];
    for (size_t i = 0; i < N(v); i++) {
        envl_layer l;
        assert_int_equal(envl_layer_parse(v[i].s, &l, err, sizeof(err)), 0);
        assert_layer(&l, v[i].kind, v[i].app, v[i].env, v[i].dc);
        assert_int_equal(envl_layer_format(&l, out, sizeof(out)), 0);
        assert_string_equal(out, v[i].s);
        size_t len = strlen(v[i].s);
        assert_int_equal(envl_layer_format(&l, out, len), -ENOSPC);
        assert_int_equal(envl_layer_format(&l, out, len + 1), 0);
        assert_string_equal(out, v[i].s);
    }
    static const struct {
        const char *s, *want;
    } bad[] = {
        {"", "layer '': not a layer"},
        {"global/x", "not a layer"},
        {"dc", "not a layer"},
        {"dc/", "dc '': empty"},
        {"env/prod/dc", "not a layer"},
        {"env/prod/x/fra", "not a layer"},
        {"app/web/env/prod/dc/fra/x", "too many '/'"},
        {"app/.web", "app '.web'"},
        {"app/web/", "not a layer"},
        {"/global", "not a layer"},
        {"Global", "not a layer"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        envl_layer l;
        err[0] = '\0';
        int r = envl_layer_parse(bad[i].s, &l, err, sizeof(err));
        if (r != -EINVAL || !strstr(err, bad[i].want))
            fail_msg("'%s': %d '%s', want '%s'", bad[i].s, r, err, bad[i].want);
    }
    envl_layer l = {.kind = ENVL_N};
    assert_int_equal(envl_layer_format(&l, out, sizeof(out)), -EINVAL);
}

static void test_key_builders(void **state)
{
    (void)state;
    envl_layer l;
    char err[256], out[ENVL_PATH_MAX];
    assert_int_equal(envl_layer_parse("app/web/env/prod/dc/fra", &l, err, sizeof(err)), 0);
    assert_int_equal(envl_layer_key(P, &l, "PORT", out, sizeof(out)), 0);
    assert_string_equal(out, P "/env/app/web/env/prod/dc/fra/PORT");
    assert_int_equal(envl_layer_key(P, &l, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, P "/env/app/web/env/prod/dc/fra/");
    assert_int_equal(envl_layer_parse("global", &l, err, sizeof(err)), 0);
    assert_int_equal(envl_layer_key("/x", &l, "K", out, sizeof(out)), 0);
    assert_string_equal(out, "/x/env/global/K");
    /* "/x/env/global/K" is 15 bytes: 16 fits, 15 does not */
    assert_int_equal(envl_layer_key("/x", &l, "K", out, 16), 0);
    assert_int_equal(envl_layer_key("/x", &l, "K", out, 15), -ENOSPC);

    /* every key layer_key builds parses back to its layer and KEY */
    static const char *const ls[] = {"global",
                                     "dc/fra",
                                     "env/prod",
                                     "env/prod/dc/fra",
                                     "app/web",
                                     "app/web/env/prod",
                                     "app/web/env/prod/dc/fra"};
    for (size_t i = 0; i < N(ls); i++) {
        envl_layer l2;
        char name[ENVL_KEY_MAX + 1];
        assert_int_equal(envl_layer_parse(ls[i], &l, err, sizeof(err)), 0);
        assert_int_equal(envl_layer_key(P, &l, "K_1", out, sizeof(out)), 0);
        assert_int_equal(envl_parse_key(P, out, &l2, name, sizeof(name), err, sizeof(err)), 1);
        assert_layer(&l2, l.kind, l.app, l.env, l.dc);
        assert_string_equal(name, "K_1");
    }

    assert_int_equal(envl_secret_key(P, "PASS", out, sizeof(out)), 0);
    assert_string_equal(out, "/berth/secret/PASS");
    assert_int_equal(envl_secret_key(P, "PASS", out, 19), 0);
    assert_int_equal(envl_secret_key(P, "PASS", out, 18), -ENOSPC);
    assert_int_equal(envl_spec_key(P, "web", out, sizeof(out)), 0);
    assert_string_equal(out, "/berth/apps/web/spec");
    assert_int_equal(envl_spec_key(P, "web", out, 21), 0);
    assert_int_equal(envl_spec_key(P, "web", out, 20), -ENOSPC);

    /* the longest layer key fits ENVL_PATH_MAX */
    char pre[ENVL_PREFIX_MAX + 1], nm[ENVL_NAME_MAX + 1], key[ENVL_KEY_MAX + 1];
    memset(pre, 'p', ENVL_PREFIX_MAX);
    pre[0] = '/';
    pre[ENVL_PREFIX_MAX] = '\0';
    memset(nm, 'n', ENVL_NAME_MAX);
    nm[ENVL_NAME_MAX] = '\0';
    memset(key, 'K', ENVL_KEY_MAX);
    key[ENVL_KEY_MAX] = '\0';
    assert_int_equal(envl_prefix_valid(pre, err, sizeof(err)), 0);
    char lay[256];
    snprintf(lay, sizeof(lay), "app/%s/env/%s/dc/%s", nm, nm, nm);
    assert_int_equal(envl_layer_parse(lay, &l, err, sizeof(err)), 0);
    assert_int_equal(envl_layer_key(pre, &l, key, out, sizeof(out)), 0);
    assert_int_equal(strlen(out), 255 + 5 + 202 + 1 + 255);
}

static void test_valid(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(envl_prefix_valid("/berth", err, sizeof(err)), 0);
    assert_int_equal(envl_prefix_valid("/a/b.c-d", err, sizeof(err)), 0);
    static const struct {
        const char *s, *want;
    } bad[] = {
        {"berth", "absolute"}, {"/berth/", "trailing"}, {"//x", "'//'"},
        {"/a b", "blanks"},    {"/", "absolute"},       {"", "absolute"},
        {"/a//b", "'//'"},     {"/a\tb", "blanks"},     {"/a\x7f", "control"},
    };
    for (size_t i = 0; i < N(bad); i++) {
        err[0] = '\0';
        int r = envl_prefix_valid(bad[i].s, err, sizeof(err));
        if (r != -EINVAL || !strstr(err, bad[i].want) || !strstr(err, "prefix '"))
            fail_msg("'%s': %d '%s', want '%s'", bad[i].s, r, err, bad[i].want);
    }
    char longp[300];
    memset(longp, 'a', 256);
    longp[0] = '/';
    longp[256] = '\0';
    assert_int_equal(envl_prefix_valid(longp, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "longer than 255"));

    assert_int_equal(envl_key_valid("_", err, sizeof(err)), 0);
    assert_int_equal(envl_key_valid("a1_B", err, sizeof(err)), 0);
    assert_int_equal(envl_key_valid("", err, sizeof(err)), -EINVAL);
    assert_int_equal(envl_key_valid("1", err, sizeof(err)), -EINVAL);
    assert_int_equal(envl_key_valid("A.B", err, sizeof(err)), -EINVAL);
    assert_int_equal(envl_name_valid("env", "9", err, sizeof(err)), 0);
    assert_int_equal(envl_name_valid("env", "a.", err, sizeof(err)), 0);
    assert_int_equal(envl_name_valid("env", "_a", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "env '_a': want [A-Za-z0-9] then [A-Za-z0-9_.-]");
    assert_int_equal(envl_name_valid("dc", "a/b", err, sizeof(err)), -EINVAL);
    /* a message with control bytes shows them escaped, and is short */
    char longbad[200];
    memset(longbad, '\x01', 199);
    longbad[199] = '\0';
    assert_int_equal(envl_key_valid(longbad, err, sizeof(err)), -EINVAL);
    assert_null(strchr(err, '\x01'));
    assert_non_null(strstr(err, "\\x01"));
    assert_true(strlen(err) < sizeof(err) - 1);
    /* a small err buffer is not overrun */
    char tiny[8];
    assert_int_equal(envl_key_valid("a-b", tiny, sizeof(tiny)), -EINVAL);
    assert_int_equal(strlen(tiny), 7);
}

static void test_layers_for(void **state)
{
    (void)state;
    envl_layer l[ENVL_N];
    size_t n;
    char err[256];
    assert_int_equal(envl_layers_for("web", "prod", "fra", l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(l[i].kind, (envl_kind)i);
    assert_layer(&l[3], ENVL_ENV_DC, "", "prod", "fra");
    assert_layer(&l[6], ENVL_APP_ENV_DC, "web", "prod", "fra");
    assert_int_equal(envl_layers_for("web", NULL, "fra", l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3); /* global, dc, app */
    assert_int_equal(l[0].kind, ENVL_GLOBAL);
    assert_int_equal(l[1].kind, ENVL_DC);
    assert_int_equal(l[2].kind, ENVL_APP);
    assert_int_equal(envl_layers_for("", "", "", l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(envl_layers_for(NULL, "prod", NULL, l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_layer(&l[1], ENVL_ENV, "", "prod", "");
    assert_int_equal(envl_layers_for("a/b", NULL, NULL, l, &n, err, sizeof(err)), -EINVAL);
}

/* Imports buf; 0 with pairs in k/v, or the error in err. */
static int import(const char *buf, size_t len, char ***k, char ***v, size_t *n, char *err)
{
    err[0] = '\0';
    return envl_parse_import(buf, len, k, v, n, err, 256);
}

static void test_import_env(void **state)
{
    (void)state;
    char **k, **v, err[256];
    size_t n;
    static const char f[] = "# a comment\n"
                            "\n"
                            "A=1\r\n"
                            "   \t\n"
                            "  # indented comment\n"
                            "URL=http://x/?a=b&c=d\n"
                            "EMPTY=\n"
                            "\tSPACED=  v  \n"
                            "Q=\"quoted\"\n"
                            "LAST=no newline";
    assert_int_equal(import(f, sizeof(f) - 1, &k, &v, &n, err), 0);
    assert_int_equal(n, 6);
    static const char *const want[][2] = {
        {"A", "1"},          {"URL", "http://x/?a=b&c=d"}, {"EMPTY", ""},
        {"SPACED", "  v  "}, {"Q", "\"quoted\""},          {"LAST", "no newline"},
    };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(k[i], want[i][0]);
        assert_string_equal(v[i], want[i][1]);
    }
    envl_pairs_free(k, v, n);

    /* empty input and only comments: no pairs */
    assert_int_equal(import("", 0, &k, &v, &n, err), 0);
    assert_int_equal(n, 0);
    envl_pairs_free(k, v, n);
    assert_int_equal(import("# x\n\n", 5, &k, &v, &n, err), 0);
    assert_int_equal(n, 0);
    envl_pairs_free(k, v, n);

    /* a repeated KEY names both lines */
    static const char rep[] = "A=1\nB=2\n# c\nA=3\n";
    assert_int_equal(import(rep, sizeof(rep) - 1, &k, &v, &n, err), -EINVAL);
    assert_string_equal(err, "line 4: KEY 'A' repeated (first on line 1)");
    assert_int_equal(n, 0);
    assert_null(k);
    assert_null(v);

    /* a bad KEY names its line */
    static const char badk[] = "A=1\n\nA-B=2\n";
    assert_int_equal(import(badk, sizeof(badk) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line 3: "));
    assert_non_null(strstr(err, "KEY 'A-B'"));
    static const char nokey[] = "A=1\n=2\n";
    assert_int_equal(import(nokey, sizeof(nokey) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line 2: KEY '': empty"));
    static const char noeq[] = "A=1\nB\n";
    assert_int_equal(import(noeq, sizeof(noeq) - 1, &k, &v, &n, err), -EINVAL);
    assert_string_equal(err, "line 2: want KEY=VALUE");
    static const char sp[] = "A =1\n";
    assert_int_equal(import(sp, sizeof(sp) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line 1: KEY 'A '"));
    static const char nul[] = "A=1\nB=x\0y\n";
    assert_int_equal(import(nul, sizeof(nul) - 1, &k, &v, &n, err), -EINVAL);
    assert_string_equal(err, "line 2: a NUL byte");
    /* CRLF lines count like LF ones */
    static const char crlf[] = "A=1\r\nB=2\r\nA=3\r\n";
    assert_int_equal(import(crlf, sizeof(crlf) - 1, &k, &v, &n, err), -EINVAL);
    assert_string_equal(err, "line 3: KEY 'A' repeated (first on line 1)");
}

static void test_import_json(void **state)
{
    (void)state;
    char **k, **v, err[256];
    size_t n;
    static const char j[] = "\n  {\"A\": \"1\", \"B\": \"x=y\\nz\", \"EMPTY\": \"\", \"_u\": "
                            "\"\\u00e9\"}\n";
    assert_int_equal(import(j, sizeof(j) - 1, &k, &v, &n, err), 0);
    assert_int_equal(n, 4);
    /* jansson keeps insertion order */
    assert_string_equal(k[0], "A");
    assert_string_equal(v[0], "1");
    assert_string_equal(k[1], "B");
    assert_string_equal(v[1], "x=y\nz");
    assert_string_equal(k[2], "EMPTY");
    assert_string_equal(v[2], "");
    assert_string_equal(k[3], "_u");
    assert_string_equal(v[3], "\xc3\xa9");
    envl_pairs_free(k, v, n);
    assert_int_equal(import("{}", 2, &k, &v, &n, err), 0);
    assert_int_equal(n, 0);
    envl_pairs_free(k, v, n);

    static const char num[] = "{\"A\": \"1\", \"B\": 2}";
    assert_int_equal(import(num, sizeof(num) - 1, &k, &v, &n, err), -EINVAL);
    assert_string_equal(err, "KEY 'B': want a string value");
    assert_int_equal(n, 0);
    static const char nul[] = "{\"A\": null}";
    assert_int_equal(import(nul, sizeof(nul) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "want a string value"));
    static const char obj[] = "{\"A\": {\"x\": \"y\"}}";
    assert_int_equal(import(obj, sizeof(obj) - 1, &k, &v, &n, err), -EINVAL);
    static const char dup[] = "{\"A\": \"1\",\n \"A\": \"2\"}";
    assert_int_equal(import(dup, sizeof(dup) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "duplicate"));
    static const char badk[] = "{\"a-b\": \"1\"}";
    assert_int_equal(import(badk, sizeof(badk) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "KEY 'a-b'"));
    static const char broken[] = "{\"A\": \"1\",\n";
    assert_int_equal(import(broken, sizeof(broken) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line "));
    /* an array is JSON but not an object: read as an env-file line */
    static const char arr[] = "[\"A\"]";
    assert_int_equal(import(arr, sizeof(arr) - 1, &k, &v, &n, err), -EINVAL);
    assert_non_null(strstr(err, "line 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_many_keys_sorted),
        cmocka_unit_test(test_parse_key),
        cmocka_unit_test(test_bad_kept),
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_sha256_secret),
        cmocka_unit_test(test_value_env_ok),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_layer_parse_format),
        cmocka_unit_test(test_key_builders),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_layers_for),
        cmocka_unit_test(test_import_env),
        cmocka_unit_test(test_import_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
