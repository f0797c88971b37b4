#!/usr/bin/env bash
# The dashboard's own cost: berth agent with N sleeping containers, W
# seconds per phase, in one run:
#   A. the agent alone (nobody watching): agent CPU;
#   B. the same agent with one dashboard open on the container table
#      (headless Chromium): agent CPU, and bytes per second the page
#      receives (the SSE stream);
#   C. the same with the dashboard on one container's page (the stream plus
#      one history request per second).
# Reports agent CPU (% of one core) per phase, the extra CPU the dashboard
# costs, and the bytes per second the agent sends.
# Containers: web-b-0..N-1 from berth-test:latest (label berth-web-bench=1),
# started 8 at a time, removed at the end however the script ends.
# Then, when Netdata is installed (Debian's netdata: apt-get install
# --no-install-recommends netdata), the same two questions for the tool
# people use instead, on the same containers, the berth agent stopped:
#   D. netdata alone (its default collectors, 1 s), after its cgroup charts
#      for the containers exist: CPU of every netdata process;
#   E. netdata with its own dashboard (/) open in the same headless Chromium.
# and the ratios. NETDATA=0 skips D and E.
# Usage: bench/bench_dashboard.sh [N=200] [W=30]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-200}
W=${2:-30}
PORT=${PORT:-$((20000 + RANDOM % 10000))}
AGENT_PID=
LABEL=berth-web-bench=1

web_down() {
    local ids
    ids=$(docker ps -aq --filter "label=$LABEL")
    [ -z "$ids" ] || echo "$ids" | xargs -r -n 50 timeout 120 docker rm -f >/dev/null 2>&1 || true
}
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    web_down
}
trap cleanup EXIT
command -v chromium >/dev/null || { echo "chromium missing: scripts/install-deps.sh --test" >&2; exit 1; }
[ -d tests/e2e/node_modules/playwright-core ] || (cd tests/e2e && npm ci --no-audit --no-fund)

web_down
echo "starting $N containers (web-b-*)..."
seq 0 $((N - 1)) | xargs -P 8 -I{} timeout 120 docker run -d --label "$LABEL" --name "web-b-{}" "$IMAGE" sleep 36000 >/dev/null

"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn --no-services &
AGENT_PID=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
for _ in $(seq 60); do
    running=$(curl -sf "$URL/api/v1/containers" | jq '[.[] | select(.name | startswith("web-b-"))] | length')
    [ "$running" -ge "$N" ] && break
    sleep 1
done
echo "agent pid $AGENT_PID sees $running of the $N containers"
sleep 3

# cpu_during SECONDS CMD...: run CMD, print the agent's CPU % of one core
# over the SECONDS that CMD's measurement window lasts (sampled around it).
measure() { # label, then the command that holds the dashboard open (or sleep)
    local label=$1
    shift
    local out c0 c1 t0 t1
    out=$(mktemp)
    "$@" >"$out" &
    local pid=$!
    # the page needs a few seconds to load; take the agent's CPU over the
    # last W seconds the command runs
    sleep 8
    c0=$(proc_cpu_seconds "$AGENT_PID")
    t0=$(now)
    sleep "$W"
    c1=$(proc_cpu_seconds "$AGENT_PID")
    t1=$(now)
    wait "$pid"
    CPU=$(echo "($c1 - $c0) / ($t1 - $t0) * 100" | bc -l)
    RES=$(cat "$out")
    rm -f "$out"
    printf '%-34s agent CPU %6.2f%%  %s\n' "$label" "$CPU" "$RES"
}

measure "A. no dashboard" sleep $((W + 10))
A=$CPU
measure "B. dashboard, container table" node bench/dashboard_open.js "$URL" $((W + 2))
B=$CPU
BB=$(echo "$RES" | jq .bytes_per_second)
RESB=$RES
measure "C. dashboard, one container page" node bench/dashboard_open.js "$URL" $((W + 2)) "#/c/web-b-0"
C=$CPU
CB=$(echo "$RES" | jq .bytes_per_second)
echo
# the table shows every running container on the host, the bench's and
# any others (the dockerd may be shared)
ROWS=$(echo "$RESB" | jq .rows)
printf 'containers: %d of the bench, %d in the table; window %ds; agent RSS %s KiB at the end\n' \
    "$running" "$ROWS" "$W" "$(proc_rss_kib "$AGENT_PID")"
printf 'dashboard cost, table view:     +%.2f%% of one core, %d bytes/s sent (%.0f bytes per container per second)\n' \
    "$(echo "$B - $A" | bc -l)" "$BB" "$(echo "$BB / $ROWS" | bc -l)"
printf 'dashboard cost, container page: +%.2f%% of one core, %d bytes/s sent\n' "$(echo "$C - $A" | bc -l)" "$CB"
printf 'agent CPU ratio with/without a dashboard open (table): %.2fx\n' "$(echo "$B / $A" | bc -l)"

[ "${NETDATA:-1}" = 1 ] || exit 0
if ! command -v netdata >/dev/null; then
    echo "netdata not installed: no comparison (apt-get install --no-install-recommends netdata;"
    echo "it is not in scripts/install-deps.sh because its package starts a daemon where systemd runs)"
    exit 0
fi
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
NDPORT=$((PORT + 1))
# CPU seconds of every netdata process (daemon, spawn server, plugins)
nd_cpu() {
    local p total=0
    for p in $(pgrep -f '^(/usr/sbin/)?netdata |/usr/lib/netdata/plugins.d/'); do
        total=$(echo "$total + $(proc_cpu_seconds "$p" 2>/dev/null || echo 0)" | bc -l)
    done
    echo "$total"
}
nd_cgroup_charts() {
    curl -sf "http://127.0.0.1:$NDPORT/api/v1/charts" 2>/dev/null |
        jq '[.charts | keys[] | select(startswith("cgroup_"))] | length' 2>/dev/null || echo 0
}
netdata -D -p "$NDPORT" -i 127.0.0.1 -W set global "update every" 1 >/dev/null 2>&1 &
ND_PID=$!
trap 'kill $ND_PID 2>/dev/null || true; wait $ND_PID 2>/dev/null || true; cleanup' EXIT
echo
echo "netdata pid $ND_PID on port $NDPORT: waiting for its container charts (at most 300 s)..."
prev=-1
for _ in $(seq 60); do
    sleep 5
    n=$(nd_cgroup_charts)
    [ "$n" -gt 0 ] && [ "$n" = "$prev" ] && break
    prev=$n
done
echo "netdata has $n cgroup charts"
ndmeasure() {
    local label=$1
    shift
    local out c0 c1 t0 t1
    out=$(mktemp)
    "$@" >"$out" &
    local pid=$!
    sleep 8
    c0=$(nd_cpu)
    t0=$(now)
    sleep "$W"
    c1=$(nd_cpu)
    t1=$(now)
    wait "$pid" || true
    CPU=$(echo "($c1 - $c0) / ($t1 - $t0) * 100" | bc -l)
    RES=$(cat "$out")
    rm -f "$out"
    printf '%-34s netdata CPU %6.2f%%  %s\n' "$label" "$CPU" "$RES"
}
ndmeasure "D. netdata, no dashboard" sleep $((W + 10))
D=$CPU
ndmeasure "E. netdata, its dashboard open" node bench/dashboard_open.js "http://127.0.0.1:$NDPORT" $((W + 2)) "#netdata"
E=$CPU
EB=$(echo "$RES" | jq .bytes_per_second)
echo
printf 'netdata dashboard cost: +%.2f%% of one core, %d bytes/s sent\n' "$(echo "$E - $D" | bc -l)" "$EB"
printf 'ratio netdata/berth, extra CPU of one open dashboard: %.1fx; bytes/s: %.1fx\n' \
    "$(echo "($E - $D) / ($B - $A)" | bc -l)" "$(echo "$EB / $BB" | bc -l)"
printf 'ratio netdata/berth, total CPU with a dashboard open: %.1fx\n' "$(echo "$E / $B" | bc -l)"
