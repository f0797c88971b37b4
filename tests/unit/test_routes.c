/* routes: the dispatcher on a test table: exact, prefix and "*" paths,
 * first match wins, needs, and the control level (off without a token;
 * 401, 403 and the handler with one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "agent/routes.h"

static char last[256];

static void h_name(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)req;
    snprintf(last, sizeof(last), "%s:%s", (const char *)ctx, key);
    resp->status = 200;
}

static void h_a(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)ctx;
    h_name("a", key, req, resp);
}

static void h_b(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)ctx;
    h_name("b", key, req, resp);
}

static void h_c(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)ctx;
    h_name("c", key, req, resp);
}

static void h_ctl(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp)
{
    (void)ctx;
    h_name("ctl", key, req, resp);
}

static const route table[] = {
    {"GET", "/x/*/sub", 0, ROUTE_NEED_WEB, ROUTE_READ, h_a},
    {"GET", "/x", 0, 0, ROUTE_READ, h_b},
    {"GET", "/x/", 1, ROUTE_NEED_ENGINE, ROUTE_READ, h_c},
    {"GET", "/control/scale", 0, 0, ROUTE_CONTROL, h_ctl},
};

static int go(const char *method, const char *path, const char *auth, unsigned have,
              const char *token, httpd_resp *resp)
{
    httpd_req req = {method, path, "", "", "", auth};
    memset(resp, 0, sizeof(*resp));
    buf empty = BUF_INIT;
    resp->body = empty;
    last[0] = '\0';
    return route_dispatch(table, sizeof(table) / sizeof(table[0]), have, token, NULL, &req, resp);
}

static void t_match(void **st)
{
    (void)st;
    httpd_resp r;
    unsigned all = ROUTE_NEED_ENGINE | ROUTE_NEED_WEB;
    assert_int_equal(go("GET", "/x/k1/sub", "", all, NULL, &r), 1);
    assert_string_equal(last, "a:k1");
    assert_int_equal(go("HEAD", "/x", "", all, NULL, &r), 1);
    assert_string_equal(last, "b:");
    /* "*" wants one non-empty segment: else the prefix row below answers */
    assert_int_equal(go("GET", "/x//sub", "", all, NULL, &r), 1);
    assert_string_equal(last, "c:");
    assert_int_equal(go("GET", "/x/k/sub/more", "", all, NULL, &r), 1);
    assert_string_equal(last, "c:");
    char longp[400] = "/x/";
    memset(longp + 3, 'k', ROUTE_KEY_MAX);
    strcpy(longp + 3 + ROUTE_KEY_MAX, "/sub");
    assert_int_equal(go("GET", longp, "", all, NULL, &r), 1);
    assert_string_equal(last, "c:");
    /* needs: without the web the "*" row is skipped; without both, 404 */
    assert_int_equal(go("GET", "/x/k1/sub", "", ROUTE_NEED_ENGINE, NULL, &r), 1);
    assert_string_equal(last, "c:");
    assert_int_equal(go("GET", "/x/k1/sub", "", 0, NULL, &r), 0);
    assert_int_equal(go("GET", "/y", "", all, NULL, &r), 0);
    assert_int_equal(go("POST", "/x", "", all, NULL, &r), 0);
}

static void t_control(void **st)
{
    (void)st;
    httpd_resp r;
    /* off: the route does not exist, whatever the request carries */
    assert_int_equal(go("GET", "/control/scale", "Bearer s3cret", 0, NULL, &r), 0);
    assert_int_equal(go("GET", "/control/scale", "Bearer s3cret", 0, "", &r), 0);
    /* on: no header or not Bearer -> 401, wrong token -> 403, both JSON */
    assert_int_equal(go("GET", "/control/scale", "", 0, "s3cret", &r), 1);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body.data, "{\"error\":\"authorization required\"}\n");
    assert_string_equal(last, "");
    buf_free(&r.body);
    assert_int_equal(go("GET", "/control/scale", "Basic czNjcmV0", 0, "s3cret", &r), 1);
    assert_int_equal(r.status, 401);
    buf_free(&r.body);
    assert_int_equal(go("GET", "/control/scale", "Bearer s3cre", 0, "s3cret", &r), 1);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.body.data, "{\"error\":\"forbidden\"}\n");
    buf_free(&r.body);
    assert_int_equal(go("GET", "/control/scale", "Bearer s3cretX", 0, "s3cret", &r), 1);
    assert_int_equal(r.status, 403);
    buf_free(&r.body);
    assert_int_equal(go("GET", "/control/scale", "Bearer s3cret", 0, "s3cret", &r), 1);
    assert_int_equal(r.status, 200);
    assert_string_equal(last, "ctl:");
    /* read routes never ask for the token */
    assert_int_equal(go("GET", "/x", "", 0, "s3cret", &r), 1);
    assert_string_equal(last, "b:");
}

static void t_helpers(void **st)
{
    (void)st;
    assert_true(route_token_equal("abc", "abc"));
    assert_false(route_token_equal("abc", "abd"));
    assert_false(route_token_equal("abc", "ab"));
    assert_false(route_token_equal("", "a"));
    assert_true(route_addr_is_loopback("127.0.0.1"));
    assert_true(route_addr_is_loopback("::1"));
    assert_false(route_addr_is_loopback("0.0.0.0"));
    assert_false(route_addr_is_loopback("::"));
    assert_false(route_addr_is_loopback("10.1.2.3"));
}

/* The agent's own table: every route is read-only today, GET, and the
 * dashboard's rows come before the engine's. */
static void t_agent_table(void **st)
{
    (void)st;
    assert_true(agent_n_routes >= 12);
    for (size_t i = 0; i < agent_n_routes; i++) {
        assert_int_equal(agent_routes[i].access, ROUTE_READ);
        assert_string_equal(agent_routes[i].method, "GET");
    }
}

/* The agent's jobs start in today's order and stop in the order the
 * hand-written shutdown had: web_shutdown before httpd_stop, web_free after
 * it, ..., engine_free before dt_free. */
static void t_job_order(void **st)
{
    (void)st;
    const char *start[] = {"control",       "logs",        "engine",   "disk",
                           "collector",     "disk thread", "services", "zabbix listener",
                           "zabbix active", "dashboard",   "http"};
    const char *stop[] = {
        "dashboard streams", "http",      "dashboard", "zabbix listener", "zabbix active stop",
        "services",          "logs stop", "disk",      "engine",          "disk memory"};
    size_t k = 0;
    for (size_t i = 0; i < agent_n_jobs; i++)
        if (agent_jobs[i].start) {
            assert_true(k < sizeof(start) / sizeof(start[0]));
            assert_string_equal(agent_jobs[i].name, start[k++]);
            assert_non_null(agent_jobs[i].enabled);
        }
    assert_int_equal(k, sizeof(start) / sizeof(start[0]));
    k = 0;
    for (size_t i = agent_n_jobs; i-- > 0;)
        if (agent_jobs[i].stop) {
            assert_true(k < sizeof(stop) / sizeof(stop[0]));
            assert_string_equal(agent_jobs[i].name, stop[k++]);
        }
    assert_int_equal(k, sizeof(stop) / sizeof(stop[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_match),       cmocka_unit_test(t_control),   cmocka_unit_test(t_helpers),
        cmocka_unit_test(t_agent_table), cmocka_unit_test(t_job_order),
    };
    return cmocka_run_group_tests_name("routes", tests, NULL, NULL);
}
