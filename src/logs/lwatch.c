/*
 * lwatch: the log pipeline's Docker watcher thread. Lists containers, then
 * follows /events: on "start" it opens the container's log file at once
 * (a container removed a moment later is still read through that
 * descriptor), inspects it for tags and queues it for the reader; on
 * "destroy" it queues a removal (the reader drains the file, then forgets
 * it). After a broken event stream it lists again. See lpipe.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logs/lpipe_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ */
/* the docker watcher */

static void enqueue(lpipe *p, lmsg *m)
{
    m->next = NULL;
    pthread_mutex_lock(&p->qmu);
    if (p->qtail)
        p->qtail->next = m;
    else
        p->qhead = m;
    p->qtail = m;
    pthread_mutex_unlock(&p->qmu);
}

/* Whether a container is followed: logs_containers (name globs) and the
 * label berth.logs=off. */
static int ctr_wanted(const lpipe *p, const char *name, const bmeta *m)
{
    const char *v = m ? bmeta_label(m, "berth.logs") : NULL;
    if (v && (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0))
        return 0;
    if (!p->o.containers[0])
        return 1;
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", p->o.containers);
    char *save = NULL;
    for (char *g = strtok_r(tmp, ", ", &save); g; g = strtok_r(NULL, ", ", &save))
        if (name && fnmatch(g, name, 0) == 0)
            return 1;
    return 0;
}

/* Opens a container's log at once, then asks the engine for its tags. */
static void watch_add(lpipe *p, const char *id, const char *name, const bmeta *listed)
{
    /* a name filter is checked before anything is opened */
    if (p->o.containers[0] && name && name[0] && !ctr_wanted(p, name, NULL))
        return;
    lmsg *m = xcalloc(1, sizeof(*m));
    m->kind = 1;
    snprintf(m->path, sizeof(m->path), "%s/%s/%s-json.log", p->ddir, id, id);
    m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
    char err[256];
    if (dk_inspect(p->dk2, id, &m->m, err, sizeof(err)) < 0) {
        if (listed)
            bmeta_copy(&m->m, listed);
        snprintf(m->m.id, sizeof(m->m.id), "%s", id);
        if (name && !m->m.name[0])
            snprintf(m->m.name, sizeof(m->m.name), "%s", name);
    }
    if (m->m.log_path[0]) {
        char lp[512];
        snprintf(lp, sizeof(lp), "%s%s", p->host_root, m->m.log_path);
        if (strcmp(lp, m->path) != 0) {
            if (m->fd >= 0)
                close(m->fd);
            snprintf(m->path, sizeof(m->path), "%s", lp);
            m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
        }
    }
    if (!ctr_wanted(p, m->m.name, &m->m)) {
        if (m->fd >= 0)
            close(m->fd);
        bmeta_clear(&m->m);
        free(m);
        return;
    }
    if (m->fd < 0 && !m->m.log_path[0] && m->m.state[0]) {
        /* inspected, running, no json-file log: another log driver */
        log_info("logs", "container %s has no json-file log (log driver?); not followed",
                 m->m.name);
        bmeta_clear(&m->m);
        free(m);
        return;
    }
    enqueue(p, m);
}

static int on_event(const dk_event *ev, void *arg)
{
    lpipe *p = arg;
    if (lpipe_stopping(p))
        return 1;
    if (strcmp(ev->action, "start") == 0) {
        watch_add(p, ev->id, ev->name, NULL);
    } else if (strcmp(ev->action, "destroy") == 0) {
        lmsg *m = xcalloc(1, sizeof(*m));
        m->kind = 2;
        m->fd = -1;
        snprintf(m->m.id, sizeof(m->m.id), "%s", ev->id);
        enqueue(p, m);
    }
    return 0;
}

void *lpipe_watcher_main(void *arg)
{
    lpipe *p = arg;
    int synced = 0;
    while (!lpipe_stopping(p)) {
        char err[512];
        /* events from a second before the list, so nothing started between
         * the two is missed (a container seen twice is added once) */
        int64_t since = clock_wall_ms() / 1000 - 1;
        bmeta *list = NULL;
        size_t n = 0;
        if (dk_list(p->dk2, 1, &list, &n, err, sizeof(err)) < 0) {
            if (lpipe_ratelim_ok(&p->rl_io))
                log_warn("logs", "docker: %s (retrying)", err);
        } else {
            for (size_t i = 0; i < n && !lpipe_stopping(p); i++)
                watch_add(p, list[i].id, list[i].name, &list[i]);
            for (size_t i = 0; i < n; i++)
                bmeta_clear(&list[i]);
            free(list);
            if (!synced) {
                lmsg *m = xcalloc(1, sizeof(*m));
                m->kind = 3;
                m->fd = -1;
                enqueue(p, m);
                synced = 1;
            }
            int rc = dk_events(p->dk, since, on_event, p, err, sizeof(err));
            if (rc == -ECANCELED || lpipe_stopping(p))
                break;
            if (lpipe_ratelim_ok(&p->rl_io))
                log_warn("logs", "docker events: %s (reconnecting)", err);
        }
        for (int i = 0; i < 10 && !lpipe_stopping(p); i++)
            usleep(100000);
    }
    return NULL;
}
