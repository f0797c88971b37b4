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
running=$(curl -sf "$URL/api/v1/containers" | jq '[.[] | select(.name | startswith("web-b-"))] | length')
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
