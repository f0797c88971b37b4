/*
 * docker: berth's client for the Docker Engine API over its unix socket.
 *
 * Two layers in one module:
 *  - pure parsers (dk_parse_*, dk_version_cmp): (buf, len) in, struct out, no
 *    I/O, so they are unit-tested on JSON captured from a real engine and
 *    fuzzed (fuzz/fuzz_docker.c);
 *  - a small transport (dk_client) built on libcurl that negotiates the API
 *    version once, then lists, inspects and follows the event stream.
 *
 * Why version negotiation: the engine serves every API version between its
 * MinAPIVersion and ApiVersion, and response shapes change between versions.
 * Pinning the path to /v<min(daemon, DK_API_MAX)>/ means berth only ever sees
 * shapes it was written against, whether the daemon is older or newer.
 *
 * Threading: a dk_client is used by one thread at a time (create one per
 * thread). The only exception is dk_cancel(), which any thread may call while
 * another is inside dk_events() on the same client. The caller must call
 * curl_global_init(CURL_GLOBAL_DEFAULT) once in main() before starting
 * threads (and may call curl_global_cleanup() at exit); this module never
 * calls either, so it holds no hidden global state.
 *
 * Errors: functions return 0 or a negative errno-style code and fill err (if
 * errlen > 0) with a message fit for the user. Nothing is printed to stdout.
 */
#ifndef BERTH_DOCKER_H
#define BERTH_DOCKER_H

#include <stddef.h>
#include <stdint.h>

#include "model/sample.h"

#define DK_API_MAX "1.47" /* highest Engine API version berth speaks */

/* Bounds: every buffer this module fills from the network has one. */
#define DK_MAX_BODY   (64u * 1024 * 1024) /* one ordinary response body */
#define DK_MAX_EVENT  (1024u * 1024)      /* one JSON object on /events */
#define DK_MAX_LIST   65536u              /* containers in one list: more is -EINVAL */
#define DK_MAX_LABELS 1024u               /* labels kept per container: the rest are ignored */

typedef struct dk_client dk_client;

/* host: NULL means $DOCKER_HOST if set, else unix:///var/run/docker.sock.
 * Only unix:// is supported (tcp://, ssh:// ... give -EPROTONOSUPPORT with a
 * clear message). Creating does no I/O; *out is freed with dk_client_free. */
int dk_client_new(const char *host, dk_client **out, char *err, size_t errlen);
/* NULL is a no-op. No dk_events may be running on c. */
void dk_client_free(dk_client *c);

/* GET /version (unversioned path). The chosen version is the lower of the
 * daemon's ApiVersion and DK_API_MAX, compared numerically. Fails with
 * -EPROTONOSUPPORT if the daemon's MinAPIVersion is above DK_API_MAX. All
 * later requests use /v<version>/...; dk_list, dk_inspect and dk_events
 * negotiate on first use if the caller has not. */
int dk_negotiate(dk_client *c, char *err, size_t errlen);
/* The negotiated version ("1.41"), or "" before negotiation. Borrowed. */
const char *dk_api_version(const dk_client *c);

/* GET /containers/json?all=0|1 -> *out is a malloc'd array of *n bmeta (NULL
 * when *n is 0); the caller frees each with bmeta_clear and the array with
 * free. */
int dk_list(dk_client *c, int all, bmeta **out, size_t *n, char *err, size_t errlen);

/* GET /containers/{id}/json; id is a full or short id or a name. out must be
 * zeroed or bmeta_clear'ed; it is overwritten. Returns -ENOENT when the
 * engine answers 404. */
int dk_inspect(dk_client *c, const char *id, bmeta *out, char *err, size_t errlen);

/* GET /containers/{id}/json?size=1: the engine's own size of the writable
 * layer (SizeRw) and of the whole root filesystem (SizeRootFs), in bytes as
 * Docker computes them (sum of apparent file sizes of the layer's changes,
 * not du's allocated blocks). Slow: the engine walks the layer on every call,
 * so callers bound the rate. A field the engine leaves out is -1. Returns
 * -ENOENT for an unknown container. */
int dk_container_size(dk_client *c, const char *id, int64_t *size_rw, int64_t *size_rootfs,
                      char *err, size_t errlen);

typedef struct dk_event {
    char action[48];    /* Docker's Action: "start", "die", "health_status: healthy",
                           "exec_start: sh -c ..." (truncated) */
    char id[65];        /* Actor.ID */
    char name[128];     /* Actor.Attributes.name */
    char old_name[128]; /* Actor.Attributes.oldName for rename, without leading '/' */
    int64_t time_nano;  /* timeNano, or time * 1e9 when absent */
} dk_event;

/* Called once per container event; ev is borrowed for the call only.
 * Return nonzero to stop the stream. */
typedef int (*dk_event_cb)(const dk_event *ev, void *arg);

/* GET /events?since=<since_unix>&filters={"type":["container"]}. since_unix
 * <= 0 omits since (only new events). Blocks, calling cb per container
 * event, until:
 *   cb returns nonzero                      -> 0
 *   dk_cancel(c) is called (before or during) -> -ECANCELED
 *   the daemon ends the stream              -> -ECONNRESET
 *   a transport or HTTP error               -> negative code, err filled
 *   one event exceeds DK_MAX_EVENT          -> -EMSGSIZE
 * Objects that frame correctly but are not valid events are skipped with a
 * warning in the log. No total timeout applies. */
int dk_events(dk_client *c, int64_t since_unix, dk_event_cb cb, void *arg, char *err,
              size_t errlen);

/* Thread-safe. Makes a dk_events running on c in another thread return
 * -ECANCELED within a few milliseconds. Sticky: once cancelled, every later
 * dk_events on c returns -ECANCELED at once (this closes the race where a
 * shutdown cancels before the event thread has entered dk_events). Other
 * calls are not affected. */
void dk_cancel(dk_client *c);

/* Pure parsers: no I/O, no allocation survives a failure. Return 0, or
 * -EINVAL for malformed JSON or a wrong top-level shape. Inner fields of the
 * wrong type are ignored (the output keeps its default), strings too long for
 * a fixed field are truncated on a UTF-8 boundary. */

/* /version: api gets ApiVersion (required), minapi gets MinAPIVersion ("" if
 * absent). Both must look like "1.41" since they end up in URL paths. */
int dk_parse_version(const char *buf, size_t len, char *api, size_t apilen, char *minapi,
                     size_t minlen);
/* /containers/json: array of containers. Entries without a string Id are
 * dropped (nothing can refer to them). More than DK_MAX_LIST entries is
 * -EINVAL, so a hostile answer cannot turn 64 MiB of "{}," into gigabytes of
 * bmeta. On error *out is NULL and *n is 0. */
int dk_parse_list(const char *buf, size_t len, bmeta **out, size_t *n);
/* /containers/{id}/json. out must be zeroed or cleared; it is overwritten and
 * left cleared on error. A missing Id is -EINVAL. */
int dk_parse_inspect(const char *buf, size_t len, bmeta *out);
/* /containers/{id}/json?size=1: *size_rw and *size_rootfs get SizeRw and
 * SizeRootFs, -1 where absent, not an integer or negative. -EINVAL when buf
 * is not a JSON object. */
int dk_parse_size(const char *buf, size_t len, int64_t *size_rw, int64_t *size_rootfs);
/* One /events object. Returns 1 (and leaves *out zeroed) for non-container
 * events, 0 for a container event, -EINVAL if malformed or missing the
 * actor id. */
int dk_parse_event(const char *buf, size_t len, dk_event *out);

/* Compares dotted versions numerically: "1.41" > "1.9", "1.41" == "1.41.0".
 * Returns <0, 0 or >0. Non-digit text ends a component; NULL sorts as "". */
int dk_version_cmp(const char *a, const char *b);

#endif
