/* zbxitems: berth's Zabbix item keys over the store. See zbxitems.h. */
#include "export/zbxitems.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "disk/tracker.h"
#include "metrics/store.h"

static int live(const st_entry *en)
{
    return en->cgpath[0] && en->collects > 0;
}

static void put_json(buf *out, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (s)
        buf_puts(out, s);
    free(s);
    json_decref(j);
}

static void containers_lld(store *st, buf *out)
{
    json_t *a = json_array();
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (!live(en))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "{#CONTAINER.NAME}", json_string(st_name(en)));
        json_object_set_new(o, "{#CONTAINER.ID}", json_string(en->short_id));
        json_object_set_new(o, "{#IMAGE}", json_string(en->has_meta ? en->meta.image : ""));
        json_array_append_new(a, o);
    }
    put_json(out, a);
}

static void services_lld(store *st, buf *out)
{
    json_t *a = json_array();
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (!live(en))
            continue;
        for (size_t k = 0; k < en->n_svcs; k++) {
            const st_service *s = &en->svcs[k];
            /* one entry per port and protocol: 0.0.0.0 and :: are one service */
            int dup = 0;
            for (size_t j = 0; j < k && !dup; j++)
                dup = en->svcs[j].port == s->port && en->svcs[j].proto == s->proto;
            if (dup)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "{#CONTAINER.NAME}", json_string(st_name(en)));
            json_object_set_new(o, "{#PORT}", json_integer(s->port));
            json_object_set_new(o, "{#PROTO}", json_string(s->proto == 2 ? "udp" : "tcp"));
            json_object_set_new(o, "{#PROCESS}", json_string(s->process));
            json_object_set_new(o, "{#USER}", json_string(s->user));
            json_object_set_new(o, "{#ADDR}", json_string(s->addr));
            json_array_append_new(a, o);
        }
    }
    put_json(out, a);
}

static void volumes_lld(store *st, buf *out)
{
    json_t *a = json_array();
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (!live(en) || !en->has_meta)
            continue;
        for (size_t k = 0; k < en->meta.n_mounts; k++) {
            char *const *m = en->meta.mounts + BM_MOUNT_FIELDS * k;
            json_t *o = json_object();
            json_object_set_new(o, "{#CONTAINER.NAME}", json_string(st_name(en)));
            json_object_set_new(o, "{#VOLUME.TYPE}", json_string(m[BM_MOUNT_TYPE]));
            json_object_set_new(o, "{#VOLUME.NAME}", json_string(m[BM_MOUNT_NAME]));
            json_object_set_new(o, "{#VOLUME.DESTINATION}", json_string(m[BM_MOUNT_DEST]));
            json_array_append_new(a, o);
        }
    }
    put_json(out, a);
}

static st_entry *by_name(store *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (live(st->v[i]) && strcmp(st_name(st->v[i]), name) == 0)
            return st->v[i];
    return NULL;
}

/* Container items; returns 0, or -ENOTSUP for an unknown item name. */
static int container_item(st_entry *en, const char *item, uint64_t host_mem, buf *out)
{
    st_rates r;
    st_rates_of(en, &r);
    const bsample *s = &en->cur;
    const bspec *sp = &en->spec;
    if (strcmp(item, "state") == 0)
        buf_puts(out, en->has_meta && en->meta.state[0] ? en->meta.state : "running");
    else if (strcmp(item, "health") == 0)
        buf_puts(out, en->has_meta ? en->meta.health : "");
    else if (strcmp(item, "restarts") == 0)
        buf_printf(out, "%d", en->has_meta ? en->meta.restart_count : 0);
    else if (strcmp(item, "cpu") == 0)
        buf_printf(out, "%.6f", r.cpu_cores);
    else if (strcmp(item, "cpu.throttled") == 0)
        buf_printf(out, "%.6f", r.cpu_throttled_ratio);
    else if (strcmp(item, "cpu.limit") == 0)
        buf_printf(out, "%.6f",
                   sp->cpu_quota_us > 0 && sp->cpu_period_us
                       ? (double)sp->cpu_quota_us / (double)sp->cpu_period_us
                       : 0.0);
    else if (strcmp(item, "memory") == 0)
        buf_put_u64(out, s->mem_working_set);
    else if (strcmp(item, "memory.usage") == 0)
        buf_put_u64(out, s->mem_usage);
    else if (strcmp(item, "memory.limit") == 0)
        buf_put_u64(out, sp->mem_limit);
    else if (strcmp(item, "memory.pused") == 0) {
        uint64_t base = sp->mem_limit ? sp->mem_limit : host_mem;
        buf_printf(out, "%.4f", base ? 100.0 * (double)s->mem_working_set / (double)base : 0.0);
    } else if (strcmp(item, "oom_kills") == 0)
        buf_put_u64(out, s->oom_kills);
    else if (strcmp(item, "net.rx") == 0)
        buf_printf(out, "%.3f", r.net_rx_bps);
    else if (strcmp(item, "net.tx") == 0)
        buf_printf(out, "%.3f", r.net_tx_bps);
    else if (strcmp(item, "blk.read") == 0)
        buf_printf(out, "%.3f", r.blk_read_bps);
    else if (strcmp(item, "blk.write") == 0)
        buf_printf(out, "%.3f", r.blk_write_bps);
    else if (strcmp(item, "pids") == 0)
        buf_put_u64(out, s->pids);
    else
        return -ENOTSUP;
    return 0;
}

const char *const zbxitems_container_items[] = {
    "state",     "health", "restarts",     "cpu",          "cpu.throttled",
    "cpu.limit", "memory", "memory.usage", "memory.limit", "memory.pused",
    "oom_kills", "net.rx", "net.tx",       "blk.read",     "blk.write",
    "pids",      NULL};

int zbxitems_container_value(st_entry *en, const char *item, uint64_t host_mem, buf *out)
{
    return container_item(en, item, host_mem, out);
}

/* One per-container disk figure of a ready tracker entry; tracker locked. */
static int ctr_disk_value(const dt_ctr *c, const char *item, buf *out)
{
    if (strcmp(item, "writable") == 0)
        buf_put_u64(out, c->writable.alloc);
    else if (strcmp(item, "volumes") == 0)
        buf_put_u64(out, c->volumes_alloc);
    else if (strcmp(item, "logs") == 0)
        buf_put_u64(out, c->logs.alloc);
    else if (strcmp(item, "total") == 0)
        buf_put_u64(out, c->total_alloc);
    else if (strcmp(item, "growth") == 0)
        buf_printf(out, "%.3f", c->growth_bps);
    else
        return -ENOTSUP;
    return 0;
}

const char *const zbxitems_disk_items[] = {"writable", "volumes", "logs", "total", "growth", NULL};

int zbxitems_disk_value(engine *e, const st_entry *en, const char *item, buf *out)
{
    dt_tracker *t = engine_disk(e);
    if (!t)
        return -ENOENT;
    dt_lock(t);
    const dt_ctr *c = dt_find(t, en->id);
    int rc = c && c->ready ? ctr_disk_value(c, item, out) : -EAGAIN;
    dt_unlock(t);
    return rc;
}

/* ---- disk items (disk/tracker.h): berth.container.disk.*[NAME], berth.disk.* ----
 * Any container Docker knows (stopped ones use disk too), by name. Store
 * locked by the caller; the tracker's lock is taken after it. */
static int disk_item(engine *e, store *st, const zbx_key *key, buf *out)
{
    dt_tracker *t = engine_disk(e);
    const char *item = key->name + 21; /* after "berth.container.disk." */
    int rc = 0;
    if (!t) {
        buf_puts(out, "Disk tracking is off (disk off in the agent's configuration).");
        return -ENOENT;
    }
    dt_lock(t);
    if (strcmp(key->name, "berth.disk.images") == 0) {
        dt_stats s;
        dt_get_stats(t, &s);
        buf_put_u64(out, s.images_alloc);
        goto out;
    }
    const st_entry *en = NULL;
    for (size_t i = 0; key->nparams >= 1 && i < st->n && !en; i++)
        if (st->v[i]->has_meta && strcmp(st->v[i]->meta.name, key->params[0]) == 0)
            en = st->v[i];
    const dt_ctr *c = en ? dt_find(t, en->id) : NULL;
    if (key->nparams < 1 || !key->params[0][0]) {
        buf_puts(out, "Invalid first parameter: a container name is required.");
        rc = -EINVAL;
    } else if (!c) {
        buf_printf(out, "No container named \"%.200s\".", key->params[0]);
        rc = -ENOENT;
    } else if (!c->ready) {
        buf_puts(out, "The container's disk usage is still being counted.");
        rc = -EAGAIN;
    } else if (strcmp(item, "volume") != 0) {
        rc = ctr_disk_value(c, item, out);
    } else {
        const dt_vol *v = NULL;
        for (size_t k = 0; key->nparams >= 2 && k < c->n_vols && !v; k++)
            if (strcmp(c->vols[k].name, key->params[1]) == 0)
                v = &c->vols[k];
        if (v)
            buf_put_u64(out, v->f.alloc);
        else {
            buf_printf(out, "No volume \"%.200s\" in that container.",
                       key->nparams >= 2 ? key->params[1] : "");
            rc = -ENOENT;
        }
    }
out:
    dt_unlock(t);
    return rc;
}

int zbxitems_get(const zbx_key *key, buf *out, void *arg)
{
    engine *e = arg;
    store *st = engine_store(e);
    const char *k = key->name;
    int rc = 0;
    st_lock(st);
    if (strcmp(k, "berth.containers.discovery") == 0) {
        containers_lld(st, out);
    } else if (strcmp(k, "berth.services.discovery") == 0) {
        services_lld(st, out);
    } else if (strcmp(k, "berth.volumes.discovery") == 0) {
        volumes_lld(st, out);
    } else if (strcmp(k, "berth.containers.count") == 0) {
        size_t n = 0;
        for (size_t i = 0; i < st->n; i++)
            n += live(st->v[i]);
        buf_put_u64(out, n);
    } else if (strncmp(k, "berth.container.disk.", 21) == 0 ||
               strcmp(k, "berth.disk.images") == 0) {
        rc = disk_item(e, st, key, out);
    } else if (strncmp(k, "berth.container.", 16) == 0 || strncmp(k, "berth.service.", 14) == 0) {
        int svc = k[6] == 's';
        st_entry *en = key->nparams >= 1 ? by_name(st, key->params[0]) : NULL;
        if (key->nparams < 1 || !key->params[0][0]) {
            buf_puts(out, "Invalid first parameter: a container name is required.");
            rc = -EINVAL;
        } else if (!en) {
            buf_printf(out, "No running container named \"%.200s\".", key->params[0]);
            rc = -ENOENT;
        } else if (!svc) {
            rc = container_item(en, k + 16, st->host.mem_total, out);
        } else {
            int port = key->nparams >= 2 ? atoi(key->params[1]) : 0;
            int proto = key->nparams >= 3 && strcmp(key->params[2], "udp") == 0 ? 2 : 1;
            const st_service *found = NULL;
            for (size_t i = 0; i < en->n_svcs && !found; i++)
                if (en->svcs[i].port == port && en->svcs[i].proto == proto)
                    found = &en->svcs[i];
            if (strcmp(k, "berth.service.up") == 0)
                /* a service that no longer listens is down */
                buf_putc(out, found && (!found->probed || found->up) ? '1' : '0');
            else if (strcmp(k, "berth.service.latency") == 0 && found)
                buf_printf(out, "%.6f", found->latency_s);
            else if (strcmp(k, "berth.service.latency") == 0) {
                buf_printf(out, "No service on port %d.", port);
                rc = -ENOENT;
            } else
                rc = -ENOTSUP;
        }
    } else {
        rc = -ENOTSUP;
    }
    st_unlock(st);
    if (rc == -ENOTSUP) {
        buf_reset(out);
        buf_puts(out, "Unsupported item key.");
    }
    return rc;
}
