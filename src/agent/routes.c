/*
 * routes: the dispatcher of the route table (see routes.h). Matching is a
 * walk over a few dozen rows with strcmp: the table stays readable as the
 * list of what the agent answers, in order, and costs nothing next to a
 * /metrics render.
 */
#include "agent/routes.h"

#include <string.h>

#include "web/respond.h"

/* path against pattern; a "*" segment is copied to key. 1 on a match. */
static int match(const route *r, const char *path, char *key)
{
    key[0] = '\0';
    if (r->prefix)
        return strncmp(path, r->path, strlen(r->path)) == 0;
    const char *star = strchr(r->path, '*');
    if (!star)
        return strcmp(path, r->path) == 0;
    size_t pre = (size_t)(star - r->path);
    if (strncmp(path, r->path, pre) != 0)
        return 0;
    const char *k = path + pre;
    const char *slash = strchr(k, '/');
    size_t kl = slash ? (size_t)(slash - k) : strlen(k);
    if (kl == 0 || kl >= ROUTE_KEY_MAX)
        return 0;
    if (strcmp(slash ? slash : "", star + 1) != 0)
        return 0;
    memcpy(key, k, kl);
    key[kl] = '\0';
    return 1;
}

static int method_ok(const route *r, const char *m)
{
    if (strcmp(r->method, m) == 0)
        return 1;
    return strcmp(r->method, "GET") == 0 && strcmp(m, "HEAD") == 0;
}

int route_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    unsigned char d = la != lb;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < la ? (unsigned char)a[i] : 0;
        unsigned char y = i < lb ? (unsigned char)b[i] : 0;
        d |= (unsigned char)(x ^ y);
    }
    return d == 0;
}

int route_addr_is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "localhost") == 0;
}

/* 1 when req may use a control route; else the 401/403 is answered. */
static int authorized(const char *token, const httpd_req *req, httpd_resp *resp)
{
    const char *h = req->authorization ? req->authorization : "";
    if (strncmp(h, "Bearer ", 7) != 0 || !h[7]) {
        web_error_json(resp, 401, "authorization required");
        if (resp->n_headers < HTTPD_MAX_HEADERS) {
            resp->headers[resp->n_headers][0] = "WWW-Authenticate";
            resp->headers[resp->n_headers][1] = "Bearer";
            resp->n_headers++;
        }
        return 0;
    }
    if (!route_token_equal(h + 7, token)) {
        web_error_json(resp, 403, "forbidden");
        return 0;
    }
    return 1;
}

int route_dispatch(const route *t, size_t n, unsigned have, const char *token, void *ctx,
                   const httpd_req *req, httpd_resp *resp)
{
    char key[ROUTE_KEY_MAX];
    for (size_t i = 0; i < n; i++) {
        const route *r = &t[i];
        if ((r->needs & have) != r->needs || !method_ok(r, req->method))
            continue;
        if (r->access == ROUTE_CONTROL && (!token || !token[0]))
            continue; /* control is off: the route does not exist */
        if (!match(r, req->path, key))
            continue;
        if (r->access == ROUTE_CONTROL && !authorized(token, req, resp))
            return 1;
        r->fn(ctx, key, req, resp);
        return 1;
    }
    return 0;
}
