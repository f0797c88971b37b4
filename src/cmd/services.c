/*
 * berth services: what listens in each container, and whether it answers.
 *
 * Like ps it asks a running agent first (its services thread probes every
 * 10 s); with no agent it runs one discovery and probe pass itself. Both
 * paths go through the same JSON (GET /api/v1/containers), so the table and
 * --json show exactly what the API serves.
 */
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agentapi.h"
#include "cmd/cmd.h"
#include "core/engine.h"
#include "core/svcmon.h"
#include "export/export.h"
#include "model/ctr_match.h"
#include "util/log.h"

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

int cmd_services(int argc, char **argv)
{
    cfg c;
    int json = 0, use_agent = 1, rc = 1;
    const char *only = NULL, *agent_url = NULL;
    if (cmd_args_begin(&c, argc, argv) < 0)
        return 2;
    int ai = 0, ar;
    while ((ar = cmd_next_arg(&c, argc, argv, &ai)) > 0) {
        const char *v;
        if (strcmp(argv[ai], "--json") == 0)
            json = 1;
        else if (strcmp(argv[ai], "--no-agent") == 0)
            use_agent = 0;
        else if ((v = cmd_flag_value("--agent", argc, argv, &ai)))
            agent_url = v;
        else if (strcmp(argv[ai], "--help") == 0 || strcmp(argv[ai], "-h") == 0) {
            printf("usage: berth services [NAME] [--json] [--no-agent] [--agent URL]\n"
                   "                      [--probe-timeout 1s] [--host-root DIR]\n"
                   "Lists what listens in each container (TCP and UDP, IPv4 and IPv6,\n"
                   "with the owning process) and whether it answers a probe made from\n"
                   "inside the container's network namespace.\n");
            return 0;
        } else if (argv[ai][0] != '-' && !only)
            only = argv[ai];
        else {
            fprintf(stderr, "berth services: unknown option '%s'\n", argv[ai]);
            return 2;
        }
    }
    if (ar < 0)
        return 2;
    log_set_level(LOG_WARN);
    if (c.engine.host_root[0] || !c.engine.use_docker)
        use_agent = 0;
    char defurl[128];
    if (!agent_url) {
        agentapi_default_url(&c, defurl, sizeof(defurl));
        agent_url = defurl;
    }
    buf body = BUF_INIT;
    engine *e = NULL;
    json_t *arr = NULL;
    if (!use_agent || agentapi_get(agent_url, "/api/v1/containers", &body) < 0) {
        char err[512];
        engine_opts eo =
            c.engine; /* the Docker keys; one pass: no history, the engine's interval */
        eo.interval_ms = 0;
        eo.history_ms = 0;
        if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
            fprintf(stderr, "berth services: %s\n", err);
            goto out;
        }
        engine_collect_once(e);
        /* inspect, not just list: exposed and published ports come from it */
        if (c.engine.use_docker && engine_docker_sync(e, 0, 1, err, sizeof(err)) < 0)
            fprintf(stderr, "berth services: Docker API unavailable (%s); ids only\n", err);
        svcmon_pass(e, &c.services); /* probe_timeout and probe_*; the interval is the thread's */
        buf_reset(&body);
        json_render_containers(engine_export_src(e, &(export_src){0}), 0, NULL, &body);
    }
    arr = json_loadb(body.data, body.len, 0, NULL);
    if (!json_is_array(arr)) {
        fprintf(stderr, "berth services: unexpected answer from %s\n", agent_url);
        goto out;
    }
    /* NAME by the one lookup rule of every front end (model/ctr_match.h) */
    ctr_matcher m;
    ctr_matcher_init(&m, only ? only : "");
    size_t i;
    json_t *ct;
    for (i = 0; i < json_array_size(arr); i++) {
        ct = json_array_get(arr, i);
        ctr_matcher_add(&m, i, jstr(ct, "id"), jstr(ct, "name"));
    }
    long named = only ? ctr_matcher_result(&m) : -ENOENT;
    if (named == -EEXIST) {
        fprintf(stderr, "berth services: '%s' names more than one running container\n", only);
        goto out;
    }
    json_t *flat = json_array();
    json_array_foreach(arr, i, ct)
    {
        const char *name = jstr(ct, "name");
        if (only && (long)i != named)
            continue;
        size_t k;
        json_t *sv;
        json_array_foreach(json_object_get(ct, "services"), k, sv)
        {
            json_t *row = json_deep_copy(sv);
            json_object_set_new(row, "container", json_string(name));
            json_object_set_new(row, "id", json_string(jstr(ct, "id")));
            json_array_append_new(flat, row);
        }
    }
    if (json) {
        char *s = json_dumps(flat, JSON_COMPACT | JSON_REAL_PRECISION(6));
        puts(s ? s : "[]");
        free(s);
    } else {
        printf("%-24s %-5s %-16s %-6s %-16s %-7s %-10s %-5s %-10s %-22s %s\n", "CONTAINER", "PROTO",
               "ADDRESS", "PORT", "PROCESS", "PID", "USER", "STATE", "LATENCY", "PUBLISHED",
               "ERROR");
        json_t *row;
        json_array_foreach(flat, i, row)
        {
            int probed = json_is_true(json_object_get(row, "probed"));
            int up = json_is_true(json_object_get(row, "up"));
            char lat[32] = "-";
            if (probed)
                snprintf(lat, sizeof(lat), "%.2fms",
                         json_number_value(json_object_get(row, "latency_seconds")) * 1000);
            int listening = json_is_true(json_object_get(row, "listening"));
            char pub[64];
            snprintf(pub, sizeof(pub), "%s%s", jstr(row, "published"),
                     json_is_true(json_object_get(row, "exposed")) ? " (exposed)" : "");
            const char *state = !listening ? "-" : !probed ? "open" : up ? "up" : "down";
            printf("%-24.24s %-5s %-16s %-6lld %-16s %-7lld %-10.10s %-5s %-10s %-22s %s\n",
                   jstr(row, "container"), jstr(row, "proto"), listening ? jstr(row, "addr") : "-",
                   (long long)json_integer_value(json_object_get(row, "port")),
                   jstr(row, "process"), (long long)json_integer_value(json_object_get(row, "pid")),
                   listening ? jstr(row, "user") : "-", state, lat, pub, jstr(row, "error"));
        }
    }
    json_decref(flat);
    rc = 0;
out:
    json_decref(arr);
    buf_free(&body);
    engine_free(e);
    return rc;
}
