/*
 * test_disk_watch: the seams of the disk tracker's split (disk/dt_int.h).
 * The change detectors only report: the poll back end queues the
 * directories whose times moved and says when a gone tree is back, without
 * starting it; fanotify puts the directory an event names on the pending
 * list, without reading it. A directory that vanished before its re-read
 * hands the question to its parent, and children gone from a re-read
 * directory are freed. dt_settle (berth df's one-shot run) walks everything
 * and asks the size hook once for every container without an upper dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/dt_int.h"
#include "disk/du.h"
#include "disk/tracker.h"
#include "util/opt.h"

static char top[64];

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static dt_tracker *tracker(int fan)
{
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = fan;
    o.interval_ms = 3600000; /* the test calls the detectors itself */
    o.verify_ms = 0;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    return t;
}

static void target(dt_target *g, const char *id, const char *upper)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->id, sizeof(g->id), "%s", id);
    snprintf(g->upper, sizeof(g->upper), "%s", upper);
    snprintf(g->driver, sizeof(g->driver), "overlay2");
    snprintf(g->log_path, sizeof(g->log_path), "%s/logs/%s-json.log", top, id);
}

/* The tracker's only tree (one target). */
static dt_root *only_root(dt_tracker *t)
{
    assert_non_null(t->roots);
    assert_null(t->roots->next);
    return t->roots;
}

static dt_node *kid(dt_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->nkids; i++)
        if (strcmp(n->kids[i]->name, name) == 0)
            return n->kids[i];
    return NULL;
}

static void expect_du(dt_tracker *t, const char *id, const char *path)
{
    du_totals want;
    du_walker *w = du_walker_new();
    assert_non_null(w);
    assert_int_equal(du_walk(w, path, &want), 0);
    du_walker_free(w);
    dt_lock(t);
    const dt_ctr *c = dt_find(t, id);
    assert_non_null(c);
    assert_true(c->ready);
    assert_int_equal(c->writable.alloc, want.alloc_bytes);
    assert_int_equal(c->writable.apparent, want.apparent_bytes);
    assert_int_equal(c->writable.files, want.files);
    dt_unlock(t);
}

static int setup(void **state)
{
    (void)state;
    strcpy(top, "/var/tmp/berth_dw_XXXXXX");
    assert_non_null(mkdtemp(top));
    sh("mkdir -p %s/up/a/b %s/up/c %s/logs && head -c 5000 /dev/zero > %s/up/a/b/f", top, top, top,
       top);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", top);
    return 0;
}

/* Poll back end: a changed directory is queued, not read. */
static void test_poll_reports_changed_dirs(void **state)
{
    (void)state;
    char up[128];
    snprintf(up, sizeof(up), "%s/up", top);
    dt_tracker *t = tracker(0);
    dt_target g;
    target(&g, "p1", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    dt_settle(t);
    expect_du(t, "p1", up);
    dt_root *r = only_root(t);
    assert_int_equal(r->state, DT_R_READY);
    assert_int_equal(r->watched, 0);
    assert_int_equal(t->qlen, 0);

    sh("head -c 70000 /dev/zero > %s/up/c/new", top);
    dt_figs before = r->figs;
    assert_int_equal(dt_poll_root(t, r), 0);
    dt_node *c = kid(r->top, "c");
    assert_non_null(c);
    assert_int_equal(c->queued, 1); /* in the work queue */
    assert_int_equal(t->qlen, 1);
    assert_memory_equal(&r->figs, &before, sizeof(before)); /* reported, not read */
    dt_settle(t);
    expect_du(t, "p1", up);
    sh("rm %s/up/c/new", top);
    dt_free(t);
}

/* Poll back end: a gone tree that is back is reported to the caller, who
 * starts it; the detector does not. */
static void test_poll_reports_tree_back(void **state)
{
    (void)state;
    char up[128];
    snprintf(up, sizeof(up), "%s/gone", top);
    sh("mkdir -p %s/gone/x && head -c 9000 /dev/zero > %s/gone/x/f", top, top);
    dt_tracker *t = tracker(0);
    dt_target g;
    target(&g, "g1", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    dt_settle(t);
    expect_du(t, "g1", up);
    dt_root *r = only_root(t);

    sh("rm -rf %s/gone", top);
    dt_q_push(t, r->top, 0); /* as the top check of the step would find it */
    dt_settle(t);
    assert_int_equal(r->state, DT_R_GONE);
    assert_null(r->top);
    assert_int_equal(dt_poll_root(t, r), 0); /* still gone */

    sh("mkdir -p %s/gone && head -c 20000 /dev/zero > %s/gone/g", top, top);
    assert_int_equal(dt_poll_root(t, r), 1); /* back: said, not done */
    assert_int_equal(r->state, DT_R_GONE);
    assert_null(r->top);
    assert_int_equal(t->qlen, 0);
    dt_root_start(t, r); /* what the step does with the answer */
    assert_int_equal(r->state, DT_R_WALKING);
    dt_settle(t);
    expect_du(t, "g1", up);
    dt_free(t);
}

/* fanotify back end: an event puts its directory on the pending list. */
static void test_fanotify_reports_pending(void **state)
{
    (void)state;
    int probe = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME, O_RDONLY);
    if (probe < 0)
        skip();
    close(probe);
    char up[128];
    snprintf(up, sizeof(up), "%s/up", top);
    dt_tracker *t = tracker(1);
    dt_target g;
    target(&g, "f1", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    dt_settle(t);
    dt_root *r = only_root(t);
    if (!r->watched) {
        dt_free(t);
        skip(); /* this filesystem refuses the mark */
    }
    dt_node *b = kid(kid(r->top, "a"), "b");
    assert_non_null(b);
    assert_int_equal(b->queued, 0);
    sh("head -c 3000 /dev/zero > %s/up/a/b/g", top);
    /* other writers on the filesystem may report too: wait for ours */
    for (int i = 0; i < 50 && b->queued != 2; i++)
        dt_watch_read(t, 100);
    assert_int_equal(b->queued, 2); /* pending, not yet queued or read */
    assert_int_equal(t->qlen, 0);
    assert_true(t->st.events_matched >= 1);
    dt_settle(t); /* the next round reads it */
    assert_int_equal(b->queued, 0);
    expect_du(t, "f1", up);
    sh("rm %s/up/a/b/g", top);
    dt_free(t);
}

/* A directory removed before its re-read: its parent is queued and settles
 * it; the child's node is freed with its subtree. */
static void test_scan_vanished_directory(void **state)
{
    (void)state;
    char up[128];
    snprintf(up, sizeof(up), "%s/van", top);
    sh("mkdir -p %s/van/d/e/f %s/van/k && head -c 40000 /dev/zero > %s/van/d/e/f/x", top, top, top);
    dt_tracker *t = tracker(0);
    dt_target g;
    target(&g, "v1", up);
    assert_int_equal(dt_set_targets(t, &g, 1), 0);
    dt_settle(t);
    expect_du(t, "v1", up);
    dt_root *r = only_root(t);
    uint64_t dirs = t->st.dirs;
    dt_node *d = kid(r->top, "d");
    assert_non_null(d);
    dt_node *e = kid(d, "e");
    assert_non_null(e);

    sh("rm -rf %s/van/d/e", top);
    assert_int_equal(dt_scan(t, e), 1); /* cannot be opened: one unit of cost */
    assert_int_equal(d->queued, 1);     /* the parent settles it */
    assert_int_equal(kid(d, "e"), e);   /* not freed by itself */
    assert_int_equal(dt_scan(t, d), 1); /* d itself, and no names left */
    assert_null(kid(d, "e"));           /* gone from the re-read: freed */
    assert_int_equal(t->st.dirs, dirs - 2);
    dt_settle(t);
    expect_du(t, "v1", up);

    /* replaced by another directory under the same name: stale, the
     * parent's re-read makes a new node */
    dt_node *k = kid(r->top, "k");
    assert_non_null(k);
    sh("rmdir %s/van/k && mkdir %s/van/k2 && head -c 8000 /dev/zero > %s/van/k2/y && "
       "mv %s/van/k2 %s/van/k",
       top, top, top, top, top);
    dt_scan(t, k);
    assert_int_equal(r->top->queued, 1);
    dt_settle(t);
    expect_du(t, "v1", up);
    dt_free(t);
}

typedef struct calls {
    int n;
} calls;

static int fake_size(void *arg, const char *id, int64_t *rw)
{
    calls *c = arg;
    c->n++;
    *rw = (int64_t)strlen(id) * 1000;
    return 0;
}

/* dt_settle asks every container without an upper dir once, in one call
 * (dt_step asks one per interval). */
static void test_settle_asks_every_size_once(void **state)
{
    (void)state;
    char up[128];
    snprintf(up, sizeof(up), "%s/up", top);
    dt_opts o = {0};
    opt_defaults(&dt_opt_table, &o);
    o.use_fanotify = 0;
    o.verify_ms = 0;
    o.engine_size = 1;
    calls c = {0};
    o.size_fn = fake_size;
    o.size_arg = &c;
    dt_tracker *t = NULL;
    char err[128];
    assert_int_equal(dt_new(&o, &t, err, sizeof(err)), 0);
    dt_target g[4];
    target(&g[0], "s-up", up);
    target(&g[1], "s1", "");
    target(&g[2], "s22", "");
    target(&g[3], "s333", "");
    assert_int_equal(dt_set_targets(t, g, 4), 0);
    dt_settle(t);
    assert_int_equal(c.n, 3);
    dt_lock(t);
    assert_string_equal(dt_find(t, "s-up")->source, "overlay2-upper");
    assert_string_equal(dt_find(t, "s1")->source, "engine-api");
    assert_int_equal(dt_find(t, "s22")->writable.alloc, 3000);
    assert_int_equal(dt_find(t, "s333")->writable.alloc, 4000);
    dt_stats st;
    dt_get_stats(t, &st);
    assert_string_equal(st.mode, "poll");
    dt_unlock(t);
    dt_settle(t); /* verify_ms 0: each asked once */
    assert_int_equal(c.n, 3);
    dt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_reports_changed_dirs),
        cmocka_unit_test(test_poll_reports_tree_back),
        cmocka_unit_test(test_fanotify_reports_pending),
        cmocka_unit_test(test_scan_vanished_directory),
        cmocka_unit_test(test_settle_asks_every_size_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
