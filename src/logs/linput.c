/*
 * linput: the log pipeline's inputs. A container's json-file log comes from
 * the Docker watcher (lwatch.c) through the queue, already open, with its
 * tags; a plain file (or a "json-file:" glob for json-file logs no
 * container owns) comes from the globs, re-scanned every 2 s by the
 * reader. Each input resumes from its checkpoint when it has one (or, if
 * its file was rotated away while berth was stopped, from the oldest
 * rotated file left), is watched through its directory with inotify, and
 * at the end of its file hands over to the next one after a rotation or a
 * truncation (ltail_check). A removed container is drained to its end,
 * then forgotten by the reader after the commit that holds its last
 * records.
 *
 * Invariants: everything here runs on the reader thread, which alone owns
 * the inputs; p->mu is taken only to add to p->ins (the metrics copy reads
 * the list under it) and p->qmu only to take the whole queue. The two are
 * never held together.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "logs/lpipe_int.h"
#include "util/log.h"
#include "util/xalloc.h"

void linput_free(lin *in)
{
    if (!in)
        return;
    ltail_free(&in->t);
    for (int i = 0; i < NJOIN; i++)
        buf_free(&in->join[i]);
    for (size_t i = 0; i < in->nlab * 2; i++)
        free(in->lab[i]);
    if (in->has_ml)
        regfree(&in->ml);
    free(in);
}

/* Adds an input from the watcher (fd >= 0 already open) or a glob. */
static void add_input(lpipe *p, const char *key, const char *path, int fd, const bmeta *m,
                      int jsonfile)
{
    for (size_t i = 0; i < p->nins; i++)
        if (strcmp(p->ins[i]->key, key) == 0) {
            if (fd >= 0)
                close(fd);
            return;
        }
    lin *in = xcalloc(1, sizeof(*in));
    snprintf(in->key, sizeof(in->key), "%s", key);
    ltail_init(&in->t, path, p->o.line_max + 65536);
    in->src = ++p->next_src;
    in->jsonfile = jsonfile;
    if (m) {
        in->is_ctr = 1;
        in->jsonfile = 1;
        snprintf(in->cid, sizeof(in->cid), "%s", m->id);
        snprintf(in->name, sizeof(in->name), "%s", m->name);
        snprintf(in->image, sizeof(in->image), "%s", m->image);
        snprintf(in->image_id, sizeof(in->image_id), "%s", m->image_id);
        const char *v;
        if ((v = bmeta_label(m, "com.docker.compose.project")))
            snprintf(in->cproj, sizeof(in->cproj), "%s", v);
        if ((v = bmeta_label(m, "com.docker.compose.service")))
            snprintf(in->csvc, sizeof(in->csvc), "%s", v);
        if ((v = bmeta_label(m, "com.docker.swarm.service.name")))
            snprintf(in->ssvc, sizeof(in->ssvc), "%s", v);
        if ((v = bmeta_label(m, "com.docker.swarm.task.name")))
            snprintf(in->stask, sizeof(in->stask), "%s", v);
        for (size_t i = 0; i < p->o.n_label_allow && in->nlab < MAX_LABELS; i++)
            if ((v = bmeta_label(m, p->o.label_allow[i]))) {
                in->lab[in->nlab * 2] = strdup(p->o.label_allow[i]);
                in->lab[in->nlab * 2 + 1] = strdup(v);
                in->nlab++;
            }
        if ((v = bmeta_label(m, "berth.logs.json")) && strcmp(v, "1") == 0)
            in->json = 1;
        if ((v = bmeta_label(m, "berth.logs.multiline")) && v[0]) {
            if (regcomp(&in->ml, v, REG_EXTENDED | REG_NOSUB) == 0)
                in->has_ml = 1;
            else
                log_warn("logs",
                         "container %s: berth.logs.multiline '%s' is not a valid "
                         "extended regular expression; ignored",
                         m->name, v);
        }
    }
    ckent *ck = lckpt_find(p, key);
    int resumed = 0, orc;
    if (ck) {
        ck->claimed = 1;
        if (ltail_resume_fd(&in->t, fd, &ck->pos) == 0) {
            resumed = 1;
            if (fd >= 0 && fd != in->t.fd)
                close(fd);
        } else {
            /* rotated away while berth was stopped: every rotated file
             * still there is newer, so go on from the oldest of them */
            if (fd >= 0)
                close(fd);
            fd = -1;
            if (ltail_open_oldest(&in->t) == 0) {
                resumed = 1;
                in->t.gaps++;
            }
            log_warn("logs",
                     "%s: the checkpointed file (inode %llu) was rotated away while berth was "
                     "stopped: lines may be lost (berth_logs_rotation_gaps_total); going on "
                     "with the oldest file left (inode %llu)",
                     key, (unsigned long long)ck->pos.ino, (unsigned long long)in->t.ino);
        }
    }
    if (!resumed) {
        if (fd >= 0)
            ltail_adopt(&in->t, fd);
        else if ((orc = ltail_open(&in->t)) < 0) {
            /* A running container's json-file exists; if it cannot be
             * opened, say so loudly: the usual cause is a missing mount of
             * /var/lib/docker/containers under --host-root. A plain file
             * from a glob may simply not exist yet. */
            if (key[0] == 'c')
                log_warn("logs",
                         "%s: cannot open %s: %s (will retry; is the Docker "
                         "containers directory visible here?)",
                         in->name, path, strerror(-orc));
            else
                log_debug("logs", "%s: not there yet", path);
        }
    }
    ltail_safe_pos(&in->t, &in->ck_pos);
    /* Watch the file's directory (not the file): writes to the file and
     * the rename and create of a rotation all show there. Polling stays
     * the safety net; a failed watch (limit reached) only costs latency. */
    if (p->ifd >= 0) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            if (inotify_add_watch(p->ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
                log_debug("logs", "inotify on %s: %s (polling only)", dir, strerror(errno));
        }
    }
    pthread_mutex_lock(&p->mu);
    if (p->nins == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        lin **n = xrealloc(p->ins, p->cap * sizeof(*n));
        p->ins = n;
    }
    p->ins[p->nins++] = in;
    pthread_mutex_unlock(&p->mu);
    log_info("logs", "following %s (%s)%s", key[0] == 'c' ? in->name : path, path,
             resumed ? " from its checkpoint" : "");
}

void linput_scan_globs(lpipe *p)
{
    if (!p->o.files[0])
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", p->o.files);
    char *save = NULL;
    for (char *g = strtok_r(tmp, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ')
            g++;
        /* "json-file:GLOB": files in Docker's json-file format that no
         * container owns (copies, other engines, benchmarks) */
        int jf = strncmp(g, "json-file:", 10) == 0;
        if (jf)
            g += 10;
        glob_t gl;
        if (glob(g, GLOB_NOSORT, NULL, &gl) != 0)
            continue;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            const char *f = gl.gl_pathv[i];
            size_t fl = strlen(f);
            /* rotated copies are followed through their live file */
            if (fl > 2 && f[fl - 2] == '.' && f[fl - 1] >= '1' && f[fl - 1] <= '9')
                continue;
            char key[600];
            snprintf(key, sizeof(key), "f:%s", f);
            add_input(p, key, f, -1, NULL, jf);
        }
        globfree(&gl);
    }
}

void linput_handle_queue(lpipe *p)
{
    pthread_mutex_lock(&p->qmu);
    lmsg *q = p->qhead;
    p->qhead = p->qtail = NULL;
    pthread_mutex_unlock(&p->qmu);
    while (q) {
        lmsg *n = q->next;
        char key[80];
        snprintf(key, sizeof(key), "c:%s", q->m.id);
        if (q->kind == 1) {
            add_input(p, key, q->path, q->fd, &q->m, 1);
        } else if (q->kind == 2) {
            for (size_t i = 0; i < p->nins; i++)
                if (strcmp(p->ins[i]->key, key) == 0)
                    p->ins[i]->removed = 1;
        } else if (q->kind == 3) {
            p->synced = 1;
        }
        bmeta_clear(&q->m);
        free(q);
        q = n;
    }
}

int linput_at_eof(lin *in)
{
    /* end of file: rotation, truncation, or a removed container */
    int c = ltail_check(&in->t);
    if (c == 1 || c == 2)
        log_debug("logs", "%s: %s, now reading %s (inode %llu)", in->key,
                  c == 1 ? "rotated" : "truncated", in->t.path, (unsigned long long)in->t.ino);
    if (c == 1 || c == 2 || c == 3)
        return LINPUT_MORE;
    if (in->removed && in->t.rd_start == in->t.rd.len)
        return LINPUT_DRAINED;
    if (in->removed) {
        in->t.flush_tail = 1;
        return LINPUT_MORE;
    }
    return LINPUT_IDLE;
}
