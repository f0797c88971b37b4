#!/usr/bin/env bash
# berth ps vs docker stats --no-stream on the same N running containers, in
# one run. Reports each tool's median wall time over R runs and the ratios,
# for berth ps sampling cgroups itself (--no-agent: two samples 50 ms apart)
# and for berth ps answered by a running agent.
# Usage: bench/bench_ps.sh [N=50] [R=5]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
R=${2:-5}
AGENT_PID=
trap '[ -z "$AGENT_PID" ] || kill "$AGENT_PID"; bench_containers_down' EXIT
bench_containers_down
bench_containers_up "$N"
sleep 2

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
time_cmd() { # prints wall seconds of one run
    local t0 t1
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

# sanity: both see all N containers
got_b=$("$BERTH_BIN" ps --format '{{.Name}}' | grep -c '^bench-' || true)
got_d=$(docker stats --no-stream --format '{{.Name}}' | grep -c '^bench-' || true)
echo "containers seen: berth ps $got_b, docker stats $got_d (want $N)"

b=$(for ((i = 0; i < R; i++)); do time_cmd "$BERTH_BIN" ps --no-agent; done | median)
PORT=${PORT:-19394}
"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn &
AGENT_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
sleep 2
a=$(for ((i = 0; i < R; i++)); do time_cmd "$BERTH_BIN" ps --agent "http://127.0.0.1:$PORT"; done | median)
kill "$AGENT_PID"
AGENT_PID=
d=$(for ((i = 0; i < R; i++)); do time_cmd docker stats --no-stream; done | median)
printf 'berth ps --no-agent:      median %.3f s over %d runs\n' "$b" "$R"
printf 'berth ps (agent running): median %.3f s over %d runs\n' "$a" "$R"
printf 'docker stats --no-stream: median %.3f s over %d runs\n' "$d" "$R"
printf 'ratio, sampling itself:   berth ps is %.1fx faster\n' "$(echo "$d / $b" | bc -l)"
printf 'ratio, agent running:     berth ps is %.1fx faster\n' "$(echo "$d / $a" | bc -l)"
