#!/usr/bin/env bash
# berth agent against the Docker stats API, then at scale. In one run:
#
# Phase 1, N real containers, W seconds each, same containers:
#   - CPU of `berth agent` (1 s interval) collecting every container;
#   - CPU that `docker stats` (streaming, every container, 1 s) costs:
#     docker CLI + dockerd + containerd + shims, minus their idle baseline;
#   and the ratio.
# Phase 2, the same plus S synthetic cgroups (mkdir in the cgroup tree, one
# sleeping process each):
#   - collector CPU per container per cycle (berth's own counter) and the
#     whole process's CPU from /proc over the same window;
#   - /metrics scrape time (median of 20), size, series; agent RSS.
# Usage: bench/bench_agent.sh [N=50] [S=1000] [W=20]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
S=${2:-1000}
W=${3:-20}
PORT=${PORT:-19393}
AGENT_PID=
STATS_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    [ -z "$STATS_PID" ] || kill "$STATS_PID" 2>/dev/null || true
    bench_containers_down
    bench_cgroups_down
}
trap cleanup EXIT
bench_containers_down
bench_cgroups_down
echo "starting $N containers..."
bench_containers_up "$N"
sleep 3

# CPU seconds of the Docker side: dockerd, containerd and every shim.
docker_side_cpu() {
    local p total=0
    for p in $(pgrep -x dockerd) $(pgrep -x containerd) $(pgrep -f containerd-shim); do
        total=$(echo "$total + $(proc_cpu_seconds "$p" 2>/dev/null || echo 0)" | bc -l)
    done
    echo "$total"
}

start_agent() {
    "$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn "$@" &
    AGENT_PID=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
}

echo "phase 1: $N containers, ${W}s per measurement"
d0=$(docker_side_cpu)
sleep "$W"
base=$(echo "$(docker_side_cpu) - $d0" | bc -l)

start_agent
sleep 3
a0=$(proc_cpu_seconds "$AGENT_PID")
d0=$(docker_side_cpu)
sleep "$W"
berth_cpu=$(echo "$(proc_cpu_seconds "$AGENT_PID") - $a0" | bc -l)
berth_dock=$(echo "$(docker_side_cpu) - $d0 - $base" | bc -l)
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=

docker stats --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' >/dev/null &
STATS_PID=$!
sleep 5 # its streams are open and warm
s0=$(proc_cpu_seconds "$STATS_PID")
d0=$(docker_side_cpu)
sleep "$W"
stats_cli=$(echo "$(proc_cpu_seconds "$STATS_PID") - $s0" | bc -l)
stats_dock=$(echo "$(docker_side_cpu) - $d0 - $base" | bc -l)
kill "$STATS_PID"
STATS_PID=

awk -v w="$W" -v n="$N" -v b="$berth_cpu" -v bd="$berth_dock" -v sc="$stats_cli" -v sd="$stats_dock" 'BEGIN {
    printf "berth agent:            %.3f CPU s in %ds (%.2f%% of a core); Docker side +%.3f s (its event stream)\n", b, w, b / w * 100, bd
    printf "docker stats (stream):  %.3f CPU s in %ds (%.2f%% of a core): CLI %.3f + dockerd/containerd/shims %.3f\n", sc + sd, w, (sc + sd) / w * 100, sc, sd
    printf "ratio: docker stats costs %.1fx the CPU of berth agent for the same %d containers\n", (sc + sd) / (b + (bd > 0 ? bd : 0)), n
}'

echo "phase 2: + $S synthetic cgroups"
bench_cgroups_up "$S"
start_agent
sleep 5 # let history rings and caches warm up
m() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
c0=$(m berth_collect_cpu_seconds_total)
k0=$(m berth_collect_cycles_total)
p0=$(proc_cpu_seconds "$AGENT_PID")
sleep "$W"
c1=$(m berth_collect_cpu_seconds_total)
k1=$(m berth_collect_cycles_total)
p1=$(proc_cpu_seconds "$AGENT_PID")
live=$(m berth_containers)

times=()
for _ in $(seq 20); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/metrics")")
done
scrape=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
size=$(curl -s "http://127.0.0.1:$PORT/metrics" | wc -c)
series=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep -vc '^#')
rss=$(proc_rss_kib "$AGENT_PID")

awk -v c0="$c0" -v c1="$c1" -v k0="$k0" -v k1="$k1" -v p0="$p0" -v p1="$p1" -v n="$live" \
    -v scrape="$scrape" -v size="$size" -v series="$series" -v rss="$rss" -v w="$W" 'BEGIN {
    cyc = k1 - k0
    printf "containers tracked:             %d\n", n
    printf "cycles in %ds window:           %d\n", w, cyc
    printf "collector CPU per container:    %.2f us per cycle\n", (c1 - c0) / cyc / n * 1e6
    printf "whole agent CPU per container:  %.2f us per cycle (all threads, before the scrapes below)\n", (p1 - p0) / cyc / n * 1e6
    printf "agent CPU share of one core:    %.2f %%\n", (p1 - p0) / w * 100
    printf "/metrics scrape (median of 20): %.1f ms, %d bytes, %d series\n", scrape * 1000, size, series
    printf "agent RSS after the scrapes:    %.1f MB\n", rss / 1024
}'
