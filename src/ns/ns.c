/*
 * ns: run a function inside a container's network namespace on a
 * thread made for it (see ns.h). Shared by the probes (connect from inside)
 * and discovery (a NETLINK_SOCK_DIAG socket is bound to the namespace of the
 * thread that creates it).
 *
 * Why a short-lived thread: setns(CLONE_NEWNET) changes the namespace of the
 * calling thread only. Doing it on a thread made for the call and exiting it
 * afterwards means no agent thread ever runs in a container's namespace and
 * nothing has to switch back (a failed switch back would leave a thread
 * silently working in the wrong network). The namespace file is opened by
 * the caller before the thread starts, so a vanished container fails early.
 *
 * Cost: one open, one thread and one setns per call (tens of microseconds).
 */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

typedef struct job {
    int nsfd;
    int (*fn)(void *);
    void *arg;
    int rc;
    int setns_failed;
} job;

static void *worker(void *p)
{
    job *j = p;
    if (setns(j->nsfd, CLONE_NEWNET) != 0) {
        j->rc = -errno;
        j->setns_failed = 1;
        return NULL;
    }
    j->rc = j->fn(j->arg);
    return NULL;
}

int ns_run(int netns_pid, const char *host_root, int (*fn)(void *arg), void *arg, char *err,
           size_t errlen)
{
    char path[512];
    job j = {.nsfd = -1, .fn = fn, .arg = arg, .rc = 0, .setns_failed = 0};
    int rc;

    if (err && errlen)
        snprintf(err, errlen, "network namespace of pid %d", netns_pid);
    snprintf(path, sizeof(path), "%s/proc/%d/ns/net", host_root ? host_root : "", netns_pid);
    j.nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (j.nsfd < 0)
        return -errno;
    pthread_t t;
    int e = pthread_create(&t, NULL, worker, &j);
    if (e != 0) {
        if (err && errlen)
            snprintf(err, errlen, "namespace thread");
        rc = -e;
        goto out;
    }
    pthread_join(t, NULL);
    rc = j.rc;
    if (!j.setns_failed && err && errlen)
        err[0] = '\0';
out:
    close(j.nsfd);
    return rc;
}
