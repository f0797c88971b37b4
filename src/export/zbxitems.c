/*
 * zbxitems: berth's Zabbix item keys over the store. See zbxitems.h.
 *
 * A container parameter names a container by the one rule of every front
 * end (model/ctr_match.h: exact name, full id, unique id prefix); the
 * container and service items look among running containers, the disk
 * items among every container Docker knows (stopped ones have a disk).
 */
#include "export/zbxitems.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/tracker.h"
#include "model/ctr_match.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

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

/* The live container answering to name (container and service items). */
/* The entry key names among live (running) entries or, with known, among
 * every entry with Docker metadata: its index, -ENOENT or -EEXIST. */
static long find_ctr(const store *st, const char *key, int known)
{
    ctr_matcher m;
    ctr_matcher_init(&m, key);
    for (size_t i = 0; i < st->n; i++) {
        const st_entry *en = st->v[i];
        if (known ? en->has_meta : live(en))
            ctr_matcher_add(&m, i, en->id, en->has_meta ? en->meta.name : NULL);
    }
    return ctr_matcher_result(&m);
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

int zbxitems_disk_value(const zbxitems_src *src, const st_entry *en, const char *item, buf *out)
{
    dt_tracker *t = src->disk;
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
/* Any container Docker knows, running or not, by its Docker name (disk
 * items). */
static int disk_item(dt_tracker *t, store *st, const zbx_key *key, buf *out)
{
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
    long ix = key->nparams >= 1 ? find_ctr(st, key->params[0], 1) : -ENOENT;
    const st_entry *en = ix >= 0 ? st->v[ix] : NULL;
    const dt_ctr *c = en ? dt_find(t, en->id) : NULL;
    if (key->nparams < 1 || !key->params[0][0]) {
        buf_puts(out, "Invalid first parameter: a container name is required.");
        rc = -EINVAL;
    } else if (ix == -EEXIST) {
        buf_printf(out, "\"%.200s\" is an ambiguous id prefix.", key->params[0]);
        rc = -EEXIST;
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

static int get(const zbxitems_src *src, const zbx_key *key, buf *out)
{
    store *st = src->st;
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
        rc = disk_item(src->disk, st, key, out);
    } else if (strncmp(k, "berth.container.", 16) == 0 || strncmp(k, "berth.service.", 14) == 0) {
        int svc = k[6] == 's';
        long ix = key->nparams >= 1 ? find_ctr(st, key->params[0], 0) : -ENOENT;
        st_entry *en = ix >= 0 ? st->v[ix] : NULL;
        if (key->nparams < 1 || !key->params[0][0]) {
            buf_puts(out, "Invalid first parameter: a container name is required.");
            rc = -EINVAL;
        } else if (ix == -EEXIST) {
            buf_printf(out, "\"%.200s\" is an ambiguous id prefix.", key->params[0]);
            rc = -EEXIST;
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

int zbxitems_get(const zbx_key *key, buf *out, void *arg)
{
    return get(arg, key, out);
}

/* ---- active mode: every selected item at once -------------------------- */

int zbxitems_selected(const char *items, const char *name)
{
    if (!items || !*items)
        return 1;
    size_t nl = strlen(name);
    for (const char *p = items; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > p && e[-1] == ' ')
            e--;
        size_t len = (size_t)(e - p);
        if (len > 0 && p[len - 1] == '*') {
            if (nl >= len - 1 && strncmp(name, p, len - 1) == 0)
                return 1;
        } else if (len > 0 && len == nl && strncmp(name, p, len) == 0) {
            return 1;
        }
        p = end;
    }
    return 0;
}

typedef struct collector {
    zbx_sbatch *b;
    const char *host;
    size_t hostlen;
    int64_t clock;
    long ns;
    size_t n;
    void (*full)(zbx_sbatch *b, void *arg);
    void *arg;
} collector;

static void put(collector *c, const char *key, size_t keylen, const char *val, size_t vlen)
{
    if (zbx_sbatch_add(c->b, c->host, c->hostlen, key, keylen, val, vlen, c->clock, c->ns) ==
        -E2BIG) {
        c->full(c->b, c->arg);
        zbx_sbatch_init(c->b);
        if (zbx_sbatch_add(c->b, c->host, c->hostlen, key, keylen, val, vlen, c->clock, c->ns) < 0)
            return; /* one value larger than a frame: cannot be sent */
    }
    c->n++;
}

size_t zbxitems_collect(const zbxitems_src *src, const char *host, const char *items, int64_t clock,
                        long ns, zbx_sbatch *b, void (*full)(zbx_sbatch *b, void *arg), void *arg)
{
    collector c = {b, host, strlen(host), clock, ns, 0, full, arg};
    buf key = BUF_INIT, val = BUF_INIT;

    if (zbxitems_selected(items, "agent.ping"))
        put(&c, "agent.ping", 10, "1", 1);
    if (zbxitems_selected(items, "agent.version"))
        put(&c, "agent.version", 13, BERTH_VERSION, strlen(BERTH_VERSION));

    /* discovery (and the host's image layers): answered as the passive
     * listener answers them, which takes the lock itself */
    static const char *const lld[] = {"berth.containers.discovery", "berth.services.discovery",
                                      "berth.volumes.discovery", "berth.disk.images"};
    zbx_key *k = calloc(1, sizeof(*k)); /* 33 KiB: not on this thread's stack */
    for (size_t i = 0; k && i < sizeof(lld) / sizeof(lld[0]); i++) {
        if (!zbxitems_selected(items, lld[i]))
            continue;
        snprintf(k->name, sizeof(k->name), "%s", lld[i]);
        k->nparams = 0;
        buf_reset(&val);
        if (get(src, k, &val) == 0)
            put(&c, lld[i], strlen(lld[i]), val.data ? val.data : "", val.len);
    }
    free(k);

    store *st = src->st;
    st_lock(st);
    size_t nlive = 0;
    for (size_t i = 0; i < st->n; i++) {
        st_entry *en = st->v[i];
        if (!live(en))
            continue;
        nlive++;
        const char *name = st_name(en);
        for (size_t j = 0; zbxitems_container_items[j]; j++) {
            const char *item = zbxitems_container_items[j];
            buf_reset(&key);
            buf_append(&key, "berth.container.", 16);
            buf_puts(&key, item);
            if (!zbxitems_selected(items, key.data))
                continue;
            buf_reset(&val);
            if (container_item(en, item, st->host.mem_total, &val) != 0)
                continue;
            buf_putc(&key, '[');
            zbx_key_param(&key, name);
            buf_putc(&key, ']');
            put(&c, key.data, key.len, val.data ? val.data : "", val.len);
        }
        for (size_t j = 0; zbxitems_disk_items[j]; j++) {
            buf_reset(&key);
            buf_puts(&key, "berth.container.disk.");
            buf_puts(&key, zbxitems_disk_items[j]);
            if (!zbxitems_selected(items, key.data))
                continue;
            buf_reset(&val);
            if (zbxitems_disk_value(src, en, zbxitems_disk_items[j], &val) != 0)
                continue;
            buf_putc(&key, '[');
            zbx_key_param(&key, name);
            buf_putc(&key, ']');
            put(&c, key.data, key.len, val.data ? val.data : "", val.len);
        }
        int want_up = zbxitems_selected(items, "berth.service.up");
        int want_lat = zbxitems_selected(items, "berth.service.latency");
        for (size_t s = 0; s < en->n_svcs && (want_up || want_lat); s++) {
            const st_service *sv = &en->svcs[s];
            /* one value per port and protocol, as the services LLD lists them:
             * the first entry answers, as berth.service.up does */
            int dup = 0;
            for (size_t t = 0; t < s && !dup; t++)
                dup = en->svcs[t].port == sv->port && en->svcs[t].proto == sv->proto;
            if (dup)
                continue;
            for (int which = 0; which < 2; which++) {
                if (!(which == 0 ? want_up : want_lat))
                    continue;
                buf_reset(&key);
                buf_puts(&key, which == 0 ? "berth.service.up[" : "berth.service.latency[");
                zbx_key_param(&key, name);
                buf_putc(&key, ',');
                buf_put_u64(&key, (unsigned)sv->port);
                buf_puts(&key, sv->proto == 2 ? ",udp]" : ",tcp]");
                buf_reset(&val);
                if (which == 0)
                    buf_putc(&val, !sv->probed || sv->up ? '1' : '0');
                else
                    buf_printf(&val, "%.6f", sv->latency_s);
                put(&c, key.data, key.len, val.data, val.len);
            }
        }
    }
    st_unlock(st);
    if (zbxitems_selected(items, "berth.containers.count")) {
        buf_reset(&val);
        buf_put_u64(&val, nlive);
        put(&c, "berth.containers.count", 22, val.data, val.len);
    }
    buf_free(&key);
    buf_free(&val);
    return c.n;
}
