/*
 * test_du: du_walk must give exactly GNU du's figures on a tree with every
 * kind of entry (deep chain, many files, sparse file, hard links inside and
 * across walks, a symlink to a big file outside, a fifo), stay within its
 * descriptor bound at depth 2000, survive a subtree removed while it walks,
 * and not cross a mount point. Ground truth is the real du and find, run
 * with popen on the same tree.
 *
 * apparent_bytes is compared with `du -s -b -x`, which (coreutils 9.1) sums
 * st_size of every entry, directories included; files counts inodes, so it
 * is compared with the distinct inode numbers find reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "disk/du.h"

#define DEPTH   2000
#define NFILES  10000
#define GIB     (1024ull * 1024 * 1024)
#define BIGFILE (4u * 1024 * 1024)

static char top[64]; /* holds tree/ and outside/ */
static char tree[96];
static char outside[96];

__attribute__((format(printf, 1, 2))) static uint64_t run_num(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned long long v = 0;
    assert_int_equal(fscanf(p, "%llu", &v), 1);
    assert_int_equal(pclose(p), 0);
    return v;
}

static void write_file(int dfd, const char *name, size_t size)
{
    static char buf[65536];
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    memset(buf, 'x', sizeof(buf));
    while (size > 0) {
        size_t n = size < sizeof(buf) ? size : sizeof(buf);
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        size -= n;
    }
    close(fd);
}

static int open_dir(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void mkdir_p(int dfd, const char *name)
{
    assert_int_equal(mkdirat(dfd, name, 0755), 0);
}

/* Chain of DEPTH dirs under dfd/name, each holding a few files on both sides
 * of the subdirectory's name, so the walk returns to closed frames with
 * names still to visit. */
static void make_chain(int dfd, const char *name)
{
    mkdir_p(dfd, name);
    int fd = open_dir(dfd, name);
    for (int i = 0; i < DEPTH; i++) {
        write_file(fd, "a", (size_t)(i % 7) * 100);
        write_file(fd, "z", 10);
        mkdir_p(fd, "m");
        int nfd = open_dir(fd, "m");
        close(fd);
        fd = nfd;
    }
    close(fd);
}

static void build_tree(void)
{
    int fd, sub;

    strcpy(top, "/var/tmp/berth_du_XXXXXX");
    assert_non_null(mkdtemp(top));
    snprintf(tree, sizeof(tree), "%s/tree", top);
    snprintf(outside, sizeof(outside), "%s/outside", top);
    assert_int_equal(mkdir(tree, 0755), 0);
    assert_int_equal(mkdir(outside, 0755), 0);
    fd = open_dir(AT_FDCWD, tree);

    make_chain(fd, "deep");

    mkdir_p(fd, "many");
    sub = open_dir(fd, "many");
    for (int i = 0; i < NFILES; i++) {
        char nm[32];
        snprintf(nm, sizeof(nm), "f%05d", i);
        write_file(sub, nm, (size_t)(i * 37) % 9000);
    }
    close(sub);

    /* sparse: apparent 1 GiB, almost nothing allocated */
    int sp = openat(fd, "sparse", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(sp >= 0);
    assert_int_equal(ftruncate(sp, (off_t)GIB), 0);
    assert_int_equal(pwrite(sp, "y", 1, 12345), 1);
    close(sp);

    /* hard links: two names inside; one inode shared with outside */
    mkdir_p(fd, "links");
    sub = open_dir(fd, "links");
    write_file(sub, "orig", 300000);
    assert_int_equal(linkat(sub, "orig", sub, "again", 0), 0);
    assert_int_equal(linkat(sub, "orig", fd, "third", 0), 0);
    close(sub);
    int ofd = open_dir(AT_FDCWD, outside);
    write_file(ofd, "shared", 200000);
    write_file(ofd, "big", BIGFILE);
    char src[160], dst[160];
    snprintf(src, sizeof(src), "%s/shared", outside);
    snprintf(dst, sizeof(dst), "%s/shared_in", tree);
    assert_int_equal(link(src, dst), 0);
    close(ofd);

    /* symlink to a big file outside: the link counts, not the target */
    snprintf(src, sizeof(src), "%s/big", outside);
    assert_int_equal(symlinkat(src, fd, "tobig"), 0);
    assert_int_equal(symlinkat("deep", fd, "todir"), 0);
    assert_int_equal(mkfifoat(fd, "fifo", 0644), 0);
    mkdir_p(fd, "empty");
    close(fd);
}

static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    build_tree();
    return 0;
}

static int teardown(void **state)
{
    remove_tree();
    return 0;
}

typedef struct truth {
    uint64_t alloc, apparent, files, dirs, others;
} truth;

static truth ground_truth(const char *dir)
{
    truth t;
    t.alloc = run_num("du -s -B1 -x '%s'", dir);
    t.apparent = run_num("du -s -b -x '%s'", dir);
    t.files = run_num("find '%s' -xdev -type f -printf '%%i\\n' | sort -u | wc -l", dir);
    t.dirs = run_num("find '%s' -xdev -type d | wc -l", dir);
    t.others = run_num("find '%s' -xdev ! -type f ! -type d | wc -l", dir);
    return t;
}

static void assert_truth(const du_totals *d, const truth *t)
{
    assert_int_equal(d->alloc_bytes, t->alloc);
    assert_int_equal(d->apparent_bytes, t->apparent);
    assert_int_equal(d->files, t->files);
    assert_int_equal(d->dirs, t->dirs);
    assert_int_equal(d->others, t->others);
}

/* The whole tree: every figure equals du's and find's. */
static void test_matches_du(void **state)
{
    truth t = ground_truth(tree);
    du_walker *w = du_walker_new();
    assert_non_null(w);
    du_totals d;
    assert_int_equal(du_walk(w, tree, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_truth(&d, &t);
    assert_int_equal(d.dirs, DEPTH + 1 + 4); /* root, deep chain, many, links, empty */
    assert_int_equal(d.others, 3);           /* two symlinks and the fifo */
    assert_true(d.apparent_bytes >= GIB);
    assert_true(d.alloc_bytes < 200ull * 1024 * 1024);
    du_walker_free(w);
}

/* The sparse file and the symlink alone. */
static void test_single_entries(void **state)
{
    char p[160];
    du_walker *w = du_walker_new();
    du_totals d;

    snprintf(p, sizeof(p), "%s/sparse", tree);
    assert_int_equal(du_walk(w, p, &d), 0);
    assert_int_equal(d.apparent_bytes, GIB);
    assert_true(d.alloc_bytes <= 64 * 1024);
    assert_int_equal(d.files, 1);
    assert_int_equal(d.alloc_bytes, run_num("du -s -B1 -x '%s'", p));

    snprintf(p, sizeof(p), "%s/tobig", tree);
    assert_int_equal(du_walk(w, p, &d), 0);
    assert_int_equal(d.others, 1);
    assert_true(d.apparent_bytes < 200);
    assert_int_equal(d.alloc_bytes, run_num("du -s -B1 -x '%s'", p));

    snprintf(p, sizeof(p), "%s/nonexistent", tree);
    assert_int_equal(du_walk(w, p, &d), -ENOENT);
    du_walker_free(w);
}

/* Hard links stay counted across walks until du_walker_reset. */
static void test_links_across_walks(void **state)
{
    char p[160];
    struct stat a, b;
    snprintf(p, sizeof(p), "%s/links/orig", tree);
    assert_int_equal(stat(p, &a), 0);
    snprintf(p, sizeof(p), "%s/shared_in", tree);
    assert_int_equal(stat(p, &b), 0);

    du_walker *w = du_walker_new();
    du_totals d1, d2, d3, d4;
    assert_int_equal(du_walk(w, tree, &d1), 0);
    assert_int_equal(du_walk(w, tree, &d2), 0);
    assert_int_equal(d1.alloc_bytes - d2.alloc_bytes, (uint64_t)(a.st_blocks + b.st_blocks) * 512u);
    assert_int_equal(d1.apparent_bytes - d2.apparent_bytes, (uint64_t)(a.st_size + b.st_size));
    assert_int_equal(d1.files - d2.files, 2);
    du_walker_reset(w);
    assert_int_equal(du_walk(w, tree, &d3), 0);
    assert_memory_equal(&d1, &d3, sizeof(d1));

    /* the outside name seen first: the tree's name of it is not counted */
    du_walker_reset(w);
    assert_int_equal(du_walk(w, outside, &d4), 0);
    assert_int_equal(du_walk(w, tree, &d2), 0);
    assert_int_equal(d1.alloc_bytes - d2.alloc_bytes, (uint64_t)b.st_blocks * 512u);
    du_walker_free(w);
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and d's own */
}

/* Depth 2000 with the descriptor limit set just above the documented bound:
 * any leak or overrun shows as EMFILE, i.e. errors or a wrong total. */
static void test_fd_bound(void **state)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/deep", tree);
    truth t = ground_truth(p);
    du_walker *w = du_walker_new();
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int before = count_fds();
    /* highest fd in use, conservatively, plus the bound */
    lim = old;
    lim.rlim_cur = (rlim_t)(before + 8 + DU_MAX_OPEN_FDS);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    du_totals d;
    int rc = du_walk(w, p, &d);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(d.errors, 0);
    assert_truth(&d, &t);
    assert_int_equal(d.dirs, DEPTH + 1);
    assert_int_equal(count_fds(), before);
    du_walker_free(w);
}

/* ---- removal while walking ---- */

#define VDIRS  200
#define VFILES 100

typedef struct vanish {
    int dfd;
} vanish;

static void *remover(void *arg)
{
    vanish *v = arg;
    for (int i = VDIRS - 1; i >= 0; i -= 2) {
        char nm[16], fn[16];
        snprintf(nm, sizeof(nm), "d%03d", i);
        int sub = openat(v->dfd, nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sub < 0)
            continue;
        for (int j = 0; j < VFILES; j++) {
            snprintf(fn, sizeof(fn), "f%03d", j);
            unlinkat(sub, fn, 0);
        }
        close(sub);
        unlinkat(v->dfd, nm, AT_REMOVEDIR);
    }
    return NULL;
}

static void test_vanishing_subtrees(void **state)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/vanish", top);
    assert_int_equal(mkdir(p, 0755), 0);
    int dfd = open_dir(AT_FDCWD, p);
    for (int i = 0; i < VDIRS; i++) {
        char nm[16], fn[16];
        snprintf(nm, sizeof(nm), "d%03d", i);
        mkdir_p(dfd, nm);
        int sub = open_dir(dfd, nm);
        for (int j = 0; j < VFILES; j++) {
            snprintf(fn, sizeof(fn), "f%03d", j);
            write_file(sub, fn, 100);
        }
        close(sub);
    }
    du_walker *w = du_walker_new();
    du_totals full, d;
    assert_int_equal(du_walk(w, p, &full), 0);
    assert_int_equal(full.files, VDIRS * VFILES);

    vanish v = {dfd};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, remover, &v), 0);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(du_walk(w, p, &d), 0);
        assert_true(d.files <= full.files);
        assert_true(d.dirs <= full.dirs);
        assert_true(d.alloc_bytes <= full.alloc_bytes);
    }
    pthread_join(th, NULL);
    assert_int_equal(du_walk(w, p, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.dirs, 1 + VDIRS / 2);
    assert_int_equal(d.files, VDIRS / 2 * VFILES);
    close(dfd);
    du_walker_free(w);
}

/* A root that vanishes under a walker's feet: an error, no crash. */
static void test_root_gone(void **state)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/gone", top);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(rmdir(p), 0);
    du_walker *w = du_walker_new();
    du_totals d;
    assert_int_equal(du_walk(w, p, &d), -ENOENT);
    du_walker_free(w);
}

/*
 * Unreadable entries, walked without privileges (root reads anything, so
 * the walk runs in a child that drops to nobody): a directory with mode 000
 * is counted and adds one error ("cannot read directory"); a directory that
 * can be read but not searched (0644) is counted, and each of its entries,
 * which cannot be stat'ed, adds one error and nothing else. Both as du does.
 */
static void test_unreadable(void **state)
{
    if (geteuid() != 0)
        skip(); /* needs to create files owned by another user */
    char base[64] = "/var/tmp/berth_du_priv_XXXXXX", p[128];
    assert_non_null(mkdtemp(base));
    assert_int_equal(chmod(base, 0755), 0);
    int fd = open_dir(AT_FDCWD, base);
    write_file(fd, "top", 5000);
    mkdir_p(fd, "locked");
    int sub = open_dir(fd, "locked");
    write_file(sub, "hidden", 100000);
    close(sub);
    mkdir_p(fd, "noexec");
    sub = open_dir(fd, "noexec");
    write_file(sub, "a", 100000);
    write_file(sub, "b", 100000);
    close(sub);
    assert_int_equal(fchmodat(fd, "locked", 0, 0), 0);
    assert_int_equal(fchmodat(fd, "noexec", 0644, 0), 0);
    close(fd);
    snprintf(p, sizeof(p), "chown -R 65534:65534 %s", base);
    assert_int_equal(system(p), 0);

    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned long long r[4] = {0};
        if (setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
            setresuid(65534, 65534, 65534) == 0) {
            du_walker *w = du_walker_new();
            du_totals d;
            r[0] = (unsigned long long)du_walk(w, base, &d);
            r[1] = d.alloc_bytes;
            r[2] = d.errors;
            du_walker_free(w);
            snprintf(p, sizeof(p), "du -s -B1 -x %s 2>/dev/null", base);
            FILE *f = popen(p, "r");
            if (f && fscanf(f, "%llu", &r[3]) != 1)
                r[3] = 0;
            if (f)
                pclose(f);
        }
        _exit(write(pfd[1], r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(pfd[1]);
    unsigned long long r[4];
    assert_int_equal(read(pfd[0], r, sizeof(r)), (ssize_t)sizeof(r));
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    snprintf(p, sizeof(p), "rm -rf %s", base);
    assert_int_equal(system(p), 0);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[2], 3);
    assert_true(r[3] > 0);
    assert_int_equal(r[1], r[3]);
}

/* ---- a mount point inside the tree is not crossed ---- */

static char mnt[160];

static int mount_setup(void **state)
{
    build_tree();
    snprintf(mnt, sizeof(mnt), "%s/mnt", tree);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=16m") != 0) {
        mnt[0] = '\0';
        return 0;
    }
    int fd = open_dir(AT_FDCWD, mnt);
    write_file(fd, "inside", 1000000);
    mkdir_p(fd, "sub");
    close(fd);
    return 0;
}

static int mount_teardown(void **state)
{
    if (mnt[0])
        umount2(mnt, MNT_DETACH);
    remove_tree();
    return 0;
}

static void test_mount_not_crossed(void **state)
{
    if (!mnt[0])
        skip();
    truth t = ground_truth(tree);
    du_walker *w = du_walker_new();
    du_totals d;
    assert_int_equal(du_walk(w, tree, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.alloc_bytes, t.alloc);
    assert_int_equal(d.apparent_bytes, t.apparent);
    assert_int_equal(d.files, t.files);
    assert_int_equal(d.others, t.others);
    /* du -x leaves out the mount point itself; find -xdev lists it */
    assert_int_equal(d.dirs, t.dirs - 1);
    du_walker_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_du),         cmocka_unit_test(test_single_entries),
        cmocka_unit_test(test_links_across_walks), cmocka_unit_test(test_fd_bound),
        cmocka_unit_test(test_vanishing_subtrees), cmocka_unit_test(test_root_gone),
        cmocka_unit_test(test_unreadable),
    };
    const struct CMUnitTest mount_tests[] = {
        cmocka_unit_test(test_mount_not_crossed),
    };
    int rc = cmocka_run_group_tests_name("du", tests, setup, teardown);
    rc |= cmocka_run_group_tests_name("du_mount", mount_tests, mount_setup, mount_teardown);
    return rc;
}
