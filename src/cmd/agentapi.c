/* agentapi: GET requests to a local berth agent. See agentapi.h. */
#include "cmd/agentapi.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

void agentapi_default_url(const cfg *c, char *out, size_t cap)
{
    int v6 = strchr(c->http.addr, ':') != NULL;
    const char *a = strcmp(c->http.addr, "0.0.0.0") == 0 ? "127.0.0.1"
                    : strcmp(c->http.addr, "::") == 0    ? "::1"
                                                         : c->http.addr;
    snprintf(out, cap, "http://%s%s%s:%d", v6 ? "[" : "", a, v6 ? "]" : "", c->http.port);
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    buf *b = arg;
    if (b->len + sz * n > (64u << 20))
        return 0; /* refuse absurd bodies */
    buf_append(b, p, sz * n);
    return sz * n;
}

int agentapi_get(const char *base, const char *path, buf *out)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", base, path);
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    long code = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 200L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    int rc = curl_easy_perform(c) == CURLE_OK &&
                     curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200
                 ? 0
                 : -1;
    curl_easy_cleanup(c);
    return rc;
}
