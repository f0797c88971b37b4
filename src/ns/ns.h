/*
 * ns: run code inside a container's namespaces without moving the calling
 * thread. Service probes use it today; `berth debug` and the network map
 * will. The thread that enters a namespace is made for that one call and
 * exits afterwards, so no agent thread ever changes namespace.
 */
#ifndef BERTH_NS_H
#define BERTH_NS_H

#include <stddef.h>

/* Runs fn(arg) on a new thread that first setns()es into the network
 * namespace of netns_pid (<host_root>/proc/<pid>/ns/net), and returns after
 * joining it; the calling thread never changes namespace. Sockets fn creates
 * belong to that namespace (and keep it after the thread exits). Returns
 * fn's return value, or a negative errno when fn could not run (namespace
 * gone: -ENOENT; not a namespace: -EINVAL; no CAP_SYS_ADMIN: -EPERM; thread
 * creation failed), with err (errlen bytes, may be NULL) saying which step
 * failed. Blocking for as long as fn runs. */
int ns_run(int netns_pid, const char *host_root, int (*fn)(void *arg), void *arg, char *err,
           size_t errlen);

#endif
