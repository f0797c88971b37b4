/*
 * lout_fixture: records the output encoder tests share. fx_rec() is a
 * container record with every tag set; fx_bare() a plain-file record with
 * none. Times are 2025-11-25T16:22:44.123456789Z.
 */
#ifndef BERTH_LOUT_FIXTURE_H
#define BERTH_LOUT_FIXTURE_H

#include <string.h>

#include "logs/lrec.h"

#define FX_TS  1764087764123456789LL
#define FX_ID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FX_IMG "sha256:feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"

static const lrec_kv fx_labels[] = {
    {"com.example.team", 16, "ops", 3},
};

static inline lrec fx_rec(const char *msg, size_t len)
{
    lrec r;
    memset(&r, 0, sizeof(r));
    r.seq = 7;
    r.ts_ns = FX_TS;
    r.stream = LREC_STDOUT;
    r.msg = msg;
    r.msg_len = len;
    r.host = "h1";
    r.container_id = FX_ID;
    r.container_name = "web";
    r.image = "nginx:1.25";
    r.image_id = FX_IMG;
    r.compose_project = "shop";
    r.compose_service = "front";
    r.swarm_service = "";
    r.swarm_task = "";
    r.path = "";
    r.labels = fx_labels;
    r.nlabels = 1;
    return r;
}

static inline lrec fx_bare(const char *msg, size_t len)
{
    lrec r;
    memset(&r, 0, sizeof(r));
    r.seq = 1;
    r.ts_ns = FX_TS;
    r.stream = LREC_FILE;
    r.msg = msg;
    r.msg_len = len;
    r.host = "h1";
    r.container_id = "";
    r.container_name = "";
    r.image = "";
    r.image_id = "";
    r.compose_project = "";
    r.compose_service = "";
    r.swarm_service = "";
    r.swarm_task = "";
    r.path = "/var/log/app.log";
    return r;
}

#endif
