/*
 * web: the dashboard at / and the API it reads, served by the agent's
 * HTTP server (net/httpd.h).
 *
 *   /, /index.html, /app.js, /style.css   the front end, built into the
 *                                        binary (web/assets.h): ETag,
 *                                        gzip when accepted, strict CSP
 *   /api/v1/host                         host summary (json.c's, plus disk,
 *                                        network and container counts)
 *   /api/v1/host/history                 host CPU, memory, network, disk
 *   /api/v1/containers/{name}/history    the container's ring, ?since=
 *                                        &until=&step= (web/range.h)
 *   /api/v1/containers/{name}/services   its services and probe states
 *   /api/v1/stream                       Server-Sent Events: one summary
 *                                        frame per interval (web/sse.c)
 *
 * Everything is read-only. The dispatch is agent/routes.c's table: the
 * functions below are its handlers (key is the {name} of the path).
 * docs/api.md documents every field.
 */
#ifndef BERTH_WEB_H
#define BERTH_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "net/httpd.h"

typedef struct web web;

typedef struct web_opts {
    int64_t interval_ms;  /* frame and host sample period (the collector's) */
    int64_t history_ms;   /* host history kept, like the containers' */
    unsigned max_clients; /* simultaneous /api/v1/stream clients, default 16 */
    const char *host_root;
} web_opts;

/* Creates the dashboard and starts its thread (host sampler and frame
 * broadcaster). e is borrowed and must outlive w. */
int web_new(engine *e, const web_opts *o, web **out, char *err, size_t errlen);
/* Ends every stream and joins the thread: call before httpd_stop. */
void web_shutdown(web *w);
/* Frees w: call after httpd_stop (streams hold references until then). */
void web_free(web *w);
/* The front end's files: 1 when req->path is one (answered), else 0. */
int web_route_asset(const httpd_req *req, httpd_resp *resp);
void web_route_stream(web *w, const httpd_req *req, httpd_resp *resp);
void web_route_host(web *w, httpd_resp *resp);
void web_route_host_history(web *w, const httpd_req *req, httpd_resp *resp);
void web_route_services(web *w, const char *key, httpd_resp *resp);
void web_route_logs(web *w, const char *key, const char *query, httpd_resp *resp);
void web_route_history(web *w, const char *key, const httpd_req *req, httpd_resp *resp);

#endif
