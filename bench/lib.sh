# Shared helpers for bench/*.sh: start N busybox containers, make synthetic
# cgroups, read a process's CPU time and RSS. Every benchmark cleans up what
# it started (containers labelled berth-bench=1, cgroups under berth-bench/).

BERTH_BIN=${BERTH_BIN:-build/berth}
IMAGE=${IMAGE:-berth-test:latest}

bench_containers_up() { # N [CMD...]: start N containers (idle by default)
    local n=$1 i
    shift
    [ $# -gt 0 ] || set -- sleep 36000
    for ((i = 0; i < n; i++)); do
        docker run -d --label berth-bench=1 --name "bench-$i" "$IMAGE" "$@" >/dev/null
    done
}

bench_containers_down() {
    local ids
    ids=$(docker ps -aq --filter label=berth-bench=1)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
}

# Synthetic cgroups: N cgroups named like Docker's (64 hex) under
# <controller>/berth-bench/, each holding one sleeping process, in every v1
# controller berth reads and in the unified hierarchy when there is one.
BENCH_CG_PIDS=()
bench_cgroups_up() {
    local n=$1 i id c pid
    local ctrls=()
    for c in cpu cpuacct memory blkio pids unified; do
        [ -d "/sys/fs/cgroup/$c" ] && ctrls+=("/sys/fs/cgroup/$c")
    done
    [ ${#ctrls[@]} -gt 0 ] || ctrls=(/sys/fs/cgroup) # pure v2
    for ((i = 0; i < n; i++)); do
        # varying digits first, so short ids (and names) differ too
        id=$(printf '%08x%056x' "$i" $((0xbe)))
        sleep 36000 &
        pid=$!
        BENCH_CG_PIDS+=("$pid")
        for c in "${ctrls[@]}"; do
            mkdir -p "$c/berth-bench/$id"
            echo "$pid" >"$c/berth-bench/$id/cgroup.procs"
        done
    done
}

bench_cgroups_down() {
    local c d
    [ ${#BENCH_CG_PIDS[@]} -eq 0 ] || kill "${BENCH_CG_PIDS[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    BENCH_CG_PIDS=()
    for c in /sys/fs/cgroup/*/berth-bench /sys/fs/cgroup/berth-bench; do
        [ -d "$c" ] || continue
        for d in "$c"/*/; do rmdir "$d" 2>/dev/null || true; done
        rmdir "$c" 2>/dev/null || true
    done
}

# CPU seconds (user+system) a process has used so far.
proc_cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

proc_rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

now() { date +%s.%N; }
