/*
 * routes: the agent's HTTP routes as one table (method, path, what the
 * route needs, access level, handler) and the dispatcher that walks it.
 *
 * A path is exact ("/metrics"), a prefix (prefix = 1: "/api/v1/containers/")
 * or has one "*" segment ("/api/v1/containers/ * /history" without the
 * spaces) that matches one non-empty segment shorter than ROUTE_KEY_MAX,
 * handed to the handler as key. The first row that matches wins, so the
 * table's order is the dispatch order.
 *
 * Access: ROUTE_READ is every route today. ROUTE_CONTROL routes exist only
 * when a bearer token is configured (control_token_file): without the
 * token they answer as if absent; with it, a request needs
 * "Authorization: Bearer TOKEN" (compared in constant time) or gets 401
 * (no or malformed header) / 403 (wrong token), with a JSON error.
 */
#ifndef BERTH_ROUTES_H
#define BERTH_ROUTES_H

#include <stddef.h>

#include "net/httpd.h"

#define ROUTE_KEY_MAX 160

typedef enum route_access { ROUTE_READ, ROUTE_CONTROL } route_access;

/* What a route needs of the agent (the bits of `have` in route_dispatch):
 * a route whose needs are missing does not match (--only logs has neither). */
#define ROUTE_NEED_ENGINE 1u
#define ROUTE_NEED_WEB    2u

typedef void (*route_fn)(void *ctx, const char *key, const httpd_req *req, httpd_resp *resp);

typedef struct route {
    const char *method; /* "GET" (HEAD is answered as GET by httpd) */
    const char *path;
    int prefix;
    unsigned needs;
    route_access access;
    route_fn fn;
} route;

/* Answers req with the first matching row of t and returns 1; returns 0
 * when no row matches (the caller answers 404). token: the control bearer
 * token, NULL or "" when control is off. */
int route_dispatch(const route *t, size_t n, unsigned have, const char *token, void *ctx,
                   const httpd_req *req, httpd_resp *resp);
/* 1 when a equals b, in time that depends only on their lengths. */
int route_token_equal(const char *a, const char *b);
/* 1 when addr is a loopback literal (127.0.0.0/8, ::1) or "localhost". */
int route_addr_is_loopback(const char *addr);

/* The agent's own table, defined in agent/agent.c next to its handlers. */
extern const route agent_routes[];
extern const size_t agent_n_routes;

#endif
