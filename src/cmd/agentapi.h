/*
 * agentapi: how the command-line tools ask a running `berth agent` first
 * (ps, services): the agent already has rates over its last interval and
 * probe results, so the tools answer at once without sampling themselves.
 */
#ifndef BERTH_AGENTAPI_H
#define BERTH_AGENTAPI_H

#include <stddef.h>

#include "util/buf.h"
#include "agent/config.h"

/* The agent's base URL from the config's listen address ("0.0.0.0" and
 * "::" are asked on loopback). */
void agentapi_default_url(const cfg *c, char *out, size_t cap);
/* GET base+path into out. Returns 0 on a 200 answer, -1 otherwise. Bounded:
 * 200 ms to connect, 3 s in all, 64 MiB of body, no proxy. */
int agentapi_get(const char *base, const char *path, buf *out);

#endif
