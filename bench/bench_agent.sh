#!/usr/bin/env bash
# berth agent at scale: N real containers plus S synthetic cgroups (mkdir in
# the cgroup tree, one sleeping process each). Measures, in one run:
#   - collector CPU time per container per cycle (berth's own counter, and the
#     whole process's CPU time from /proc over the same window),
#   - /metrics scrape time (median of 20) and size,
#   - agent RSS after the window.
# With CADVISOR_LIKE=1 it also times `docker stats --no-stream` for the N
# real containers, the Docker-API way of getting the same figures.
# Usage: bench/bench_agent.sh [N=50] [S=1000] [SECONDS=30]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
S=${2:-1000}
W=${3:-30}
PORT=${PORT:-19393}
AGENT_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    bench_containers_down
    bench_cgroups_down
}
trap cleanup EXIT
bench_containers_down
bench_cgroups_down
echo "starting $N containers and $S synthetic cgroups..."
bench_containers_up "$N"
bench_cgroups_up "$S"

"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn &
AGENT_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
sleep 5 # let history rings and caches warm up

m() { curl -s "$URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
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
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$URL/metrics")")
done
scrape=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
size=$(curl -s "$URL/metrics" | wc -c)
series=$(curl -s "$URL/metrics" | grep -vc '^#')
rss=$(proc_rss_kib "$AGENT_PID")

awk -v c0="$c0" -v c1="$c1" -v k0="$k0" -v k1="$k1" -v p0="$p0" -v p1="$p1" -v n="$live" \
    -v scrape="$scrape" -v size="$size" -v series="$series" -v rss="$rss" -v w="$W" 'BEGIN {
    cyc = k1 - k0
    printf "containers tracked:            %d\n", n
    printf "cycles in %ds window:          %d\n", w, cyc
    printf "collector CPU per container:   %.2f us per cycle\n", (c1 - c0) / cyc / n * 1e6
    printf "whole agent CPU per container: %.2f us per cycle (incl. scrapes=0, docker watcher)\n", (p1 - p0) / cyc / n * 1e6
    printf "agent CPU share of one core:   %.2f %%\n", (p1 - p0) / w * 100
    printf "/metrics scrape (median of 20): %.1f ms, %d bytes, %d series\n", scrape * 1000, size, series
    printf "agent RSS:                     %.1f MB\n", rss / 1024
}'
