/* respond: shared JSON answers (see respond.h). */
#include "web/respond.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

void web_set_json(httpd_resp *r, int status)
{
    r->status = status;
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
}

void web_error_json(httpd_resp *r, int status, const char *msg)
{
    web_set_json(r, status);
    buf_reset(&r->body);
    json_t *o = json_pack("{s:s}", "error", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    buf_puts(&r->body, s ? s : "{\"error\":\"internal\"}");
    buf_putc(&r->body, '\n');
    free(s);
    json_decref(o);
}
