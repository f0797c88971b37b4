/*
 * cgroup discovery: find container cgroups by walking one hierarchy.
 *
 * Containers are recognised by the cgroup directory name every runtime
 * uses (a 64-hex id, alone for cgroupfs drivers or wrapped as
 * "<runtime>-<id>.scope" for systemd drivers), at any depth up to
 * CG_MAX_DEPTH, so Docker's /docker/<id>, systemd's
 * /system.slice/docker-<id>.scope and Kubernetes' nested kubepods slices are
 * all found by one rule. The walk never descends into a container's cgroup:
 * its children (init.scope, per-process sub-cgroups) belong to it, and
 * skipping them keeps a walk proportional to the number of containers rather
 * than to every file under them. Directories are opened relative to their
 * parent (openat) so a long path is resolved once, and a directory vanishing
 * mid-walk (a container stopping) is simply skipped.
 */
#include "cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

const char *cg_runtime_name(enum cg_runtime r)
{
    switch (r) {
    case CG_RT_DOCKER:
        return "docker";
    case CG_RT_PODMAN:
        return "podman";
    case CG_RT_CONTAINERD:
        return "containerd";
    case CG_RT_CRIO:
        return "cri-o";
    }
    return "unknown";
}

int cg_match_name(const char *name, char id[65], enum cg_runtime *rt)
{
    static const struct {
        const char *prefix;
        enum cg_runtime rt;
    } scopes[] = {
        {"docker-", CG_RT_DOCKER},
        {"libpod-", CG_RT_PODMAN},
        {"cri-containerd-", CG_RT_CONTAINERD},
        {"crio-", CG_RT_CRIO},
    };
    size_t n = strlen(name);
    if (n == 64 && is_hex64(name)) {
        memcpy(id, name, 64);
        id[64] = '\0';
        *rt = CG_RT_DOCKER;
        return 1;
    }
    for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
        size_t pl = strlen(scopes[i].prefix);
        if (n == pl + 64 + 6 && strncmp(name, scopes[i].prefix, pl) == 0 &&
            strcmp(name + pl + 64, ".scope") == 0 && is_hex64(name + pl)) {
            memcpy(id, name + pl, 64);
            id[64] = '\0';
            *rt = scopes[i].rt;
            return 1;
        }
    }
    return 0;
}

typedef struct walk {
    cg_found_cb cb;
    void *arg;
    int found;
    char path[CG_PATH_MAX];
} walk;

static void walk_dir(walk *w, int dfd, size_t plen, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_DIR) {
            if (de->d_type != DT_UNKNOWN)
                continue;
            struct stat st;
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                continue;
        }
        size_t nl = strlen(de->d_name);
        if (plen + 1 + nl >= sizeof(w->path))
            continue;
        w->path[plen] = '/';
        memcpy(w->path + plen + 1, de->d_name, nl + 1);
        cg_found f;
        if (cg_match_name(de->d_name, f.id, &f.runtime)) {
            if (f.runtime == CG_RT_DOCKER && strstr(w->path, "kubepods"))
                f.runtime = CG_RT_CONTAINERD;
            memcpy(f.path, w->path, plen + 1 + nl + 1);
            w->found++;
            if (w->cb(&f, w->arg))
                break;
            continue;
        }
        if (depth + 1 >= CG_MAX_DEPTH)
            continue;
        int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (cfd < 0)
            continue; /* vanished or unreadable: not fatal for a walk */
        walk_dir(w, cfd, plen + 1 + nl, depth + 1);
    }
    w->path[plen] = '\0';
    closedir(d);
}

int cg_discover(const cg_layout *l, cg_found_cb cb, void *arg)
{
    const char *root = NULL;
    if (l->mode == CG_MODE_V2)
        root = l->dir[CG_UNIFIED];
    else if (l->dir[CG_MEMORY][0])
        root = l->dir[CG_MEMORY];
    else if (l->dir[CG_CPUACCT][0])
        root = l->dir[CG_CPUACCT];
    else if (l->dir[CG_PIDS][0])
        root = l->dir[CG_PIDS];
    if (!root || !*root)
        return -ENOENT;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    walk w = {.cb = cb, .arg = arg, .found = 0};
    w.path[0] = '\0';
    walk_dir(&w, fd, 0, 0);
    return w.found;
}

void cg_procs_path(const cg_layout *l, const char *cgpath, char *out, size_t cap)
{
    const char *dir = l->mode == CG_MODE_V2 ? l->dir[CG_UNIFIED] : l->dir[CG_MEMORY];
    if (!dir[0])
        dir = l->dir[CG_CPUACCT];
    snprintf(out, cap, "%s%s/cgroup.procs", dir, cgpath);
}
