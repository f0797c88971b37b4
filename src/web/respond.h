/*
 * respond: the JSON answer helpers every route shares (the dashboard's and
 * the agent's), so an error body is spelled one way: {"error":"..."}.
 */
#ifndef BERTH_WEB_RESPOND_H
#define BERTH_WEB_RESPOND_H

#include "net/httpd.h"

/* status and Content-Type application/json; the body is left as it is. */
void web_set_json(httpd_resp *r, int status);
/* Replaces the body with {"error":MSG}\n (MSG JSON-escaped). */
void web_error_json(httpd_resp *r, int status, const char *msg);

#endif
