/*
 * berth top: a live full-screen view, refreshed every second.
 *
 * Runs the same engine threads as the agent (so names follow Docker events)
 * and redraws from view rows. ncurses owns the terminal; every way out
 * (q, Ctrl-C, SIGTERM) goes through endwin() so the terminal is restored:
 * SIGINT/SIGTERM only set a flag that the input loop polls every 100 ms.
 */
#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/view.h"
#include "metrics/store.h"
#include "procs/passwd.h"
#include "procs/procs.h"
#include "services/svc.h"
#include "util/log.h"

/* processes shown for one container in the detail view */
#define TOP_MAX_PROCS 1024

static volatile sig_atomic_t top_quit;

static void on_signal(int sig)
{
    (void)sig;
    top_quit = 1;
}

static const char *sort_name(enum view_sort s)
{
    switch (s) {
    case VS_CPU:
        return "cpu";
    case VS_MEM:
        return "mem";
    case VS_NET:
        return "net";
    case VS_BLOCK:
        return "block";
    case VS_PIDS:
        return "pids";
    case VS_ID:
        return "id";
    default:
        return "name";
    }
}

/* The previous sample of a process, for CPU % between two refreshes. */
typedef struct prev_tick {
    int pid;
    uint64_t start, ticks;
} prev_tick;

typedef struct proc_view {
    prev_tick prev[TOP_MAX_PROCS];
    size_t n_prev;
    struct timespec at;
    pw_cache *pw; /* user names from the container's /etc/passwd */
} proc_view;

/* Draws one container's processes (Enter on a row): from its cgroup and
 * /proc, CPU % since the last refresh. Returns 0, or -1 when the container
 * is gone (the caller goes back to the list). */
static int draw_procs(engine *e, const char *id, proc_view *pv)
{
    char path[CG_PATH_MAX * 2 + 32] = "", name[128] = "";
    store *st = engine_store(e);
    st_lock(st);
    st_entry *en = st_get(st, id);
    if (en && en->cgpath[0]) {
        cg_procs_path(engine_layout(e), en->cgpath, path, sizeof(path));
        snprintf(name, sizeof(name), "%s", st_name(en));
    }
    st_unlock(st);
    int pids[TOP_MAX_PROCS];
    int np = path[0] ? svc_read_pids(path, pids, TOP_MAX_PROCS) : -1;
    if (np < 0)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - pv->at.tv_sec) + (double)(now.tv_nsec - pv->at.tv_nsec) / 1e9;
    long hz = sysconf(_SC_CLK_TCK);
    int h, w;
    getmaxyx(stdscr, h, w);
    (void)w;
    erase();
    attron(A_BOLD);
    mvprintw(0, 0, "berth top - container %s: %d processes", name, np);
    attroff(A_BOLD);
    mvprintw(1, 0, "Esc or Enter back to the list  q quit");
    attron(A_REVERSE);
    mvprintw(3, 0, "%-8s %-8s %-10s %-5s %6s %10s %7s  %s", "PID", "PPID", "USER", "STATE", "CPU %",
             "RSS", "THREADS", "COMMAND");
    attroff(A_REVERSE);
    prev_tick next[TOP_MAX_PROCS] = {{0, 0, 0}};
    size_t nn = 0;
    int row = 4;
    for (int i = 0; i < np; i++) {
        pt_proc p;
        if (pt_read(engine_layout(e)->host_root, pids[i], &p) < 0)
            continue;
        uint64_t ticks = p.utime_ticks + p.stime_ticks;
        double pct = -1;
        for (size_t k = 0; k < pv->n_prev; k++)
            if (pv->prev[k].pid == p.pid && pv->prev[k].start == p.start_ticks && dt > 0 && hz > 0)
                pct = 100.0 * (double)(ticks - pv->prev[k].ticks) / (double)hz / dt;
        next[nn++] = (prev_tick){p.pid, p.start_ticks, ticks};
        if (row >= h)
            continue;
        char rss[32], cpu[16] = "-";
        view_bytes(rss, sizeof(rss), (double)p.rss_bytes, 1);
        if (pct >= 0)
            snprintf(cpu, sizeof(cpu), "%.1f", pct);
        char user[PW_NAME_MAX];
        if (!pv->pw || pw_cache_name(pv->pw, engine_layout(e)->host_root, id, p.pid, p.uid, user,
                                     sizeof(user)) < 0)
            snprintf(user, sizeof(user), "%u", p.uid);
        mvprintw(row++, 0, "%-8d %-8d %-10.10s %-5c %6s %10s %7llu  %.*s", p.pid, p.ppid, user,
                 p.state, cpu, rss, (unsigned long long)p.threads, w > 60 ? w - 60 : 20, p.cmdline);
    }
    memcpy(pv->prev, next, nn * sizeof(next[0]));
    pv->n_prev = nn;
    pv->at = now;
    refresh();
    return 0;
}

static void draw(engine *e, enum view_sort sort, int *sel, int all, char sel_id[65])
{
    view_row *rows = NULL;
    size_t n = view_rows(e, all, &rows);
    view_sort_rows(rows, n, sort);
    engine_stats es;
    engine_get_stats(e, &es);
    int h, w;
    getmaxyx(stdscr, h, w);
    (void)w;
    erase();
    double cpu = 0;
    uint64_t mem = 0;
    for (size_t i = 0; i < n; i++) {
        cpu += rows[i].cpu_pct;
        mem += rows[i].mem_used;
    }
    char mb[32];
    view_bytes(mb, sizeof(mb), (double)mem, 1);
    attron(A_BOLD);
    mvprintw(0, 0, "berth top - %zu containers, CPU %.1f%%, memory %s, docker %s, sort: %s", n, cpu,
             mb, es.docker_up ? "up" : "down", sort_name(sort));
    attroff(A_BOLD);
    mvprintw(1, 0,
             "q quit  c/m/n/b/p/i sort by cpu/mem/net/block/pids/name  a all  arrows select"
             "  Enter processes");
    attron(A_REVERSE);
    mvprintw(3, 0, "%-12s %-24s %-10s %8s %22s %7s %19s %19s %5s", "CONTAINER ID", "NAME", "STATE",
             "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET RX/TX /s", "BLOCK R/W /s", "PIDS");
    attroff(A_REVERSE);
    if (*sel >= (int)n)
        *sel = n ? (int)n - 1 : 0;
    snprintf(sel_id, 65, "%s", n ? rows[*sel].id : "");
    for (size_t i = 0; i < n && (int)i + 4 < h; i++) {
        view_row *r = &rows[i];
        char mu[32], ml[32], rx[16], tx[16], br[16], bw[16], memcol[48], net[40], blk[40];
        view_bytes(mu, sizeof(mu), (double)r->mem_used, 1);
        view_bytes(ml, sizeof(ml), (double)r->mem_limit, 1);
        snprintf(memcol, sizeof(memcol), "%s / %s", mu, r->mem_limit ? ml : "-");
        view_bytes(rx, sizeof(rx), r->net_rx, 0);
        view_bytes(tx, sizeof(tx), r->net_tx, 0);
        snprintf(net, sizeof(net), "%s / %s", rx, tx);
        view_bytes(br, sizeof(br), r->blk_r, 0);
        view_bytes(bw, sizeof(bw), r->blk_w, 0);
        snprintf(blk, sizeof(blk), "%s / %s", br, bw);
        if ((int)i == *sel)
            attron(A_STANDOUT);
        mvprintw(4 + (int)i, 0, "%-12.12s %-24.24s %-10.10s %8.2f %22s %6.2f%% %19s %19s %5llu",
                 r->id, r->name, r->state, r->cpu_pct, memcol, r->mem_pct, net, blk,
                 (unsigned long long)r->pids);
        if ((int)i == *sel)
            attroff(A_STANDOUT);
    }
    refresh();
    free(rows);
}

int cmd_top(int argc, char **argv)
{
    cfg c;
    if (cmd_args_begin(&c, argc, argv) < 0)
        return 2;
    enum view_sort sort = VS_CPU;
    int ai = 0, ar;
    while ((ar = cmd_next_arg(&c, argc, argv, &ai)) > 0) {
        const char *v;
        if (strcmp(argv[ai], "--help") == 0 || strcmp(argv[ai], "-h") == 0) {
            printf("usage: berth top [--sort cpu|mem|net|block|pids|name] [--interval 1s]\n"
                   "                 [--host-root DIR] [--docker-host URL] [--no-docker]\n");
            return 0;
        } else if ((v = cmd_flag_value("--sort", argc, argv, &ai))) {
            if (view_parse_sort(v, &sort) < 0) {
                fprintf(stderr, "berth top: unknown sort key '%s'\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "berth top: unknown option '%s'\n", argv[ai]);
            return 2;
        }
    }
    if (ar < 0)
        return 2;
    /* Log lines would corrupt the screen; errors show in the header instead. */
    log_set_level(LOG_ERROR);
    char err[512];
    engine *e = NULL;
    engine_opts eo = c.engine; /* the Docker keys and the interval, without history */
    eo.history_ms = 0;
    if (engine_new(&eo, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth top: %s\n", err);
        return 1;
    }
    if (engine_start(e, err, sizeof(err)) < 0) {
        fprintf(stderr, "berth top: %s\n", err);
        engine_free(e);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(100);
    set_escdelay(50); /* Esc is a key here, not the start of a sequence to wait for */
    int sel = 0, all = 0;
    struct timespec last = {0, 0};
    int dirty = 1;
    char sel_id[65] = "", detail[65] = "";
    proc_view *pv = calloc(1, sizeof(*pv));
    if (pv)
        pv->pw = pw_cache_new();
    if (!pv)
        top_quit = 1;
    while (!top_quit) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (dirty || now.tv_sec > last.tv_sec) {
            if (detail[0] && draw_procs(e, detail, pv) < 0)
                detail[0] = '\0'; /* the container went away */
            if (!detail[0])
                draw(e, sort, &sel, all, sel_id);
            last = now;
            dirty = 0;
        }
        int ch = getch();
        switch (ch) {
        case '\n':
        case '\r':
        case KEY_ENTER:
            if (detail[0]) {
                detail[0] = '\0';
            } else if (sel_id[0]) {
                snprintf(detail, sizeof(detail), "%s", sel_id);
                pv->n_prev = 0;
            }
            break;
        case 27: /* Esc */
            detail[0] = '\0';
            break;
        case 'q':
        case 'Q':
            top_quit = 1;
            break;
        case 'c':
            sort = VS_CPU;
            break;
        case 'm':
            sort = VS_MEM;
            break;
        case 'n':
            sort = VS_NET;
            break;
        case 'b':
            sort = VS_BLOCK;
            break;
        case 'p':
            sort = VS_PIDS;
            break;
        case 'i':
            sort = VS_NAME;
            break;
        case 'a':
            all = !all;
            break;
        case KEY_UP:
            if (sel > 0)
                sel--;
            break;
        case KEY_DOWN:
            sel++;
            break;
        case KEY_RESIZE:
            break;
        default:
            continue;
        }
        dirty = 1;
    }
    endwin();
    if (pv)
        pw_cache_free(pv->pw);
    free(pv);
    engine_free(e);
    return 0;
}
