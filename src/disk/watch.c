/*
 * watch: change detection for the tracked trees, two back ends that report
 * and never act (see dt_int.h for the interface and how the back end of a
 * tree is chosen).
 *
 * fanotify: one FAN_MARK_FILESYSTEM mark per filesystem holding a tree,
 * FAN_REPORT_DFID_NAME, so every event carries its parent directory's file
 * handle; each scanned directory's handle (name_to_handle_at) is in the
 * hash (tree.c), so an event costs a lookup and no syscall. A matched
 * directory goes on the pending list and is re-read at the next round,
 * once however many events name it. An overflow sets poll_all: the next
 * step polls every tree once.
 *
 * poll: each interval every directory of a tree is lstat'ed and those
 * whose mtime or ctime moved are queued. A tree that is gone is lstat'ed
 * for its top; when it is back the caller (tracker.c) starts it again: a
 * detector never calls into the trees' lifecycle.
 *
 * Why fanotify and not inotify: ARCHITECTURE.md "Disk".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/dt_int.h"
#include "util/log.h"

/* ---- fanotify back end ---- */

void dt_watch_open(dt_tracker *t)
{
    t->fan_fd = -1;
    t->st.mode = "poll";
    if (!t->o.use_fanotify)
        return;
    t->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_NONBLOCK | FAN_CLOEXEC,
                              O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (t->fan_fd >= 0)
        t->st.mode = "fanotify";
    else
        log_info("disk", "fanotify unavailable (%s): directories are polled every %lld ms",
                 strerror(errno), (long long)t->o.interval_ms);
}

void dt_watch_close(dt_tracker *t)
{
    if (t->fan_fd >= 0)
        close(t->fan_fd);
    t->fan_fd = -1;
}

/* Marks the filesystem holding r for fanotify events (once per st_dev). */
void dt_watch_root(dt_tracker *t, dt_root *r)
{
    r->watched = 0;
    if (t->fan_fd < 0 || r->is_file)
        return;
    for (size_t i = 0; i < t->n_marked; i++)
        if (t->marked[i] == r->dev) {
            r->watched = 1;
            return;
        }
    if (t->n_marked == sizeof(t->marked) / sizeof(t->marked[0]))
        return;
    uint64_t mask =
        FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_MODIFY | FAN_ONDIR;
    if (fanotify_mark(t->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, r->path) !=
        0) {
        log_info("disk", "fanotify refuses %s (%s): polled every interval", r->label,
                 strerror(errno));
        /* remember the refusal as a mark with no effect: do not ask again */
        return;
    }
    t->marked[t->n_marked++] = r->dev;
    r->watched = 1;
}

/* Takes the handle of n (open as fd) into the hash, so events naming it
 * match; a directory without one makes its tree polled. */
void dt_watch_node(dt_tracker *t, dt_node *n, int fd)
{
    dt_root *r = n->root;
    struct {
        struct file_handle h;
        unsigned char b[DT_FH_MAX];
    } fh;
    int mnt;
    fh.h.handle_bytes = DT_FH_MAX;
    if (name_to_handle_at(fd, "", &fh.h, &mnt, AT_EMPTY_PATH) == 0) {
        n->fhlen = (uint8_t)fh.h.handle_bytes;
        n->fhtype = fh.h.handle_type;
        memcpy(n->fh, fh.h.f_handle, n->fhlen);
        dt_hash_add(t, n);
    }
    if (!n->hashed) {
        /* no handle for it: events cannot be matched, so poll this tree */
        log_info("disk", "no file handle for a directory of %s (%s): polled", r->label,
                 strerror(errno));
        r->watched = 0;
    }
}

void dt_watch_read(dt_tracker *t, int wait_ms)
{
    if (t->fan_fd < 0) {
        if (wait_ms > 0)
            poll(NULL, 0, wait_ms);
        return;
    }
    struct pollfd p = {.fd = t->fan_fd, .events = POLLIN};
    if (wait_ms > 0 && poll(&p, 1, wait_ms) <= 0)
        return;
    char buf[16384] __attribute__((aligned(8)));
    for (int rounds = 0; rounds < 64; rounds++) {
        ssize_t len = read(t->fan_fd, buf, sizeof(buf));
        if (len <= 0)
            return;
        /* Records are packed: event_len need not keep the next one
         * aligned (names make it odd), so fields are copied out, never
         * read through a cast pointer. */
        for (size_t off = 0; off + sizeof(struct fanotify_event_metadata) <= (size_t)len;) {
            struct fanotify_event_metadata m;
            memcpy(&m, buf + off, sizeof(m));
            if (m.event_len < sizeof(m) || off + m.event_len > (size_t)len)
                break;
            const char *ev = buf + off;
            off += m.event_len;
            t->st.events++;
            if (m.mask & FAN_Q_OVERFLOW) {
                /* events were lost: compare every directory's mtime/ctime
                 * (a stat per directory, not per entry); a file grown in
                 * place meanwhile shows at its next write or the
                 * verification walk */
                t->st.overflows++;
                t->poll_all = 1;
                continue;
            }
            for (size_t io = m.metadata_len;
                 io + sizeof(struct fanotify_event_info_header) <= m.event_len;) {
                struct fanotify_event_info_header h;
                memcpy(&h, ev + io, sizeof(h));
                if (h.len == 0 || io + h.len > m.event_len)
                    break;
                size_t fid_off = offsetof(struct fanotify_event_info_fid, handle);
                if ((h.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
                     h.info_type == FAN_EVENT_INFO_TYPE_DFID) &&
                    h.len >= fid_off + sizeof(struct file_handle)) {
                    uint64_t fsid;
                    struct file_handle fh;
                    unsigned char bytes[DT_FH_MAX];
                    memcpy(&fsid, ev + io + offsetof(struct fanotify_event_info_fid, fsid),
                           sizeof(fsid));
                    memcpy(&fh, ev + io + fid_off, sizeof(fh));
                    if (fh.handle_bytes <= DT_FH_MAX &&
                        fid_off + sizeof(fh) + fh.handle_bytes <= h.len) {
                        memcpy(bytes, ev + io + fid_off + sizeof(fh), fh.handle_bytes);
                        dt_node *n = dt_hash_find(t, fsid, fh.handle_type, bytes, fh.handle_bytes);
                        if (n) {
                            t->st.events_matched++;
                            if (!n->queued && n->root->state == DT_R_READY)
                                t->st.rescans++;
                            dt_p_push(t, n);
                        }
                    }
                }
                io += h.len;
            }
        }
        if ((size_t)len < sizeof(buf) / 2)
            return;
    }
}

/* ---- poll back end ---- */

/* Poll mode: stat every directory of r, queue those whose mtime/ctime
 * moved (a stat per directory, not per entry). */
int dt_poll_root(dt_tracker *t, dt_root *r)
{
    if (r->pseudo || r->is_file)
        return 0;
    if (r->state == DT_R_GONE) {
        struct stat sb;
        return lstat(r->path, &sb) == 0; /* came back: the caller walks it again */
    }
    dt_stack st = {0};
    char path[4096];
    for (dt_node *n = r->top; n; n = dt_stack_pop(&st)) {
        struct stat sb;
        if (!n->queued && dt_node_path(n, path, sizeof(path)) == 0) {
            t->st.stats++;
            if (lstat(path, &sb) != 0 ||
                (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != n->mtime_ns ||
                (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec != n->ctime_ns)
                dt_q_push(t, n, 0);
        }
        for (uint32_t i = 0; i < n->nkids; i++)
            if (dt_stack_push(&st, n->kids[i]) < 0) {
                free(st.v);
                return 0;
            }
    }
    free(st.v);
    return 0;
}
