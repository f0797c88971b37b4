#!/usr/bin/env bash
# Agent RSS over a full history window: N containers + S synthetic cgroups,
# agent at 1 s with --history H; prints RSS and the rings' size once a
# minute until the window is full, then a last scrape time.
# Usage: bench/bench_history_rss.sh [N=50] [S=1000] [MINUTES=11] [H=10m]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
S=${2:-1000}
M=${3:-11}
H=${4:-10m}
PORT=${PORT:-19395}
AGENT_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    bench_containers_down
    bench_cgroups_down
}
trap cleanup EXIT
bench_containers_down
bench_cgroups_down
bench_containers_up "$N"
bench_cgroups_up "$S"
"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --history "$H" --log-level warn &
AGENT_PID=$!
sleep 5
for ((m = 0; m <= M; m++)); do
    printf 'minute %2d: RSS %.1f MB, history %.2f MB, containers %s\n' "$m" \
        "$(echo "$(proc_rss_kib "$AGENT_PID") / 1024" | bc -l)" \
        "$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "berth_history_bytes" { print $2 / 1048576 }')" \
        "$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "berth_containers" { print $2 }')"
    [ "$m" -eq "$M" ] || sleep 60
done
printf 'scrape: %s s\n' "$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/metrics")"
printf 'final RSS after a scrape: %.1f MB\n' "$(echo "$(proc_rss_kib "$AGENT_PID") / 1024" | bc -l)"
