#!/usr/bin/env bash
# The agent's disk tracker on N containers holding F files in all (made from
# the host in their overlay2 upper dirs, 10 directories per container, as
# bench_df.sh does). Measures in one run:
#   (a) `berth df` answered by the agent vs `docker system df -v` (and the
#       one-pass `berth df --no-agent`) on the same containers: wall time,
#       median of R runs, and the ratio;
#   (b) what keeping the figures current costs while little changes (one
#       1 MiB file written and the previous one deleted every 10 s in one
#       container) against one full walk: the tracker thread's CPU time
#       (/proc/PID/task/TID/stat) and its syscalls (perf stat -e
#       raw_syscalls:sys_enter -t TID), per 10-s interval.
# Usage: bench/bench_disk_track.sh [N=100] [F=1000000] [WINDOW_S=60] [R=5]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-100}
F=${2:-1000000}
WINDOW=${3:-60}
R=${4:-5}
AGENT_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    bench_containers_down
}
trap cleanup EXIT
bench_containers_down
echo "starting $N containers..."
bench_containers_up "$N"
per_dir=$((F / N / 10))
uppers=()
for ((i = 0; i < N; i++)); do
    up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "bench-$i")
    uppers+=("$up")
    for ((d = 0; d < 10; d++)); do
        mkdir -p "$up/files/d$d"
        (cd "$up/files/d$d" && seq -f "f%g" 1 "$per_dir" | xargs touch)
    done
done
echo "created $((per_dir * 10 * N)) files in $N writable layers"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$port
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
t0=$(now)
"$BERTH_BIN" agent --listen "127.0.0.1:$port" --no-services --log-level warn &
AGENT_PID=$!
m() { curl -s --noproxy '*' "$URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
tid=
until [ -n "$tid" ]; do
    sleep 0.02
    tid=$(grep -l '^berth-disk$' /proc/$AGENT_PID/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5) || true
done
# the first walk's syscalls: the tracker thread from its start to first_walk_done
perf stat -x, -e raw_syscalls:sys_enter -t "$tid" -o /tmp/bench_disk_walk.$$ &
walk_perf=$!
until [ "$(m berth_disk_first_walk_done 2>/dev/null)" = 1 ]; do sleep 0.5; done
t1=$(now)
kill -INT "$walk_perf"
wait "$walk_perf" || true
walk_sys=$(awk -F, '/raw_syscalls/ { print $1 }' /tmp/bench_disk_walk.$$)
rm -f /tmp/bench_disk_walk.$$
thread_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$AGENT_PID/task/$tid/stat"; }
walk_cpu=$(m berth_disk_cpu_seconds_total)
walk_stats=$(m berth_disk_stat_calls_total)
walk_dirs=$(m berth_disk_tracked_dirs)
printf 'first walk by the agent: %.2f s wall, %.2f s CPU, %d syscalls, %d fstatat, %d directories tracked\n' \
    "$(echo "$t1 - $t0" | bc -l)" "$walk_cpu" "$walk_sys" "$walk_stats" "$walk_dirs"
# the one-pass berth df's syscalls, for comparison
full_sys=$(perf stat -x, -e raw_syscalls:sys_enter -- "$BERTH_BIN" df --no-agent 2>&1 >/dev/null | awk -F, '/raw_syscalls/ { print $1 }')

# (b) little changes: one file per 10 s in one container
sleep 2
cpu0=$(thread_cpu)
st0=$(m berth_disk_stat_calls_total)
rst0=$(m berth_disk_rescan_stat_calls_total)
ev0=$(m berth_disk_events_total)
rs0=$(m berth_disk_rescans_total)
ov0=$(m berth_disk_overflows_total)
fw0=$(m berth_disk_full_walks_total)
perf stat -x, -e raw_syscalls:sys_enter -t "$tid" -o /tmp/bench_disk_perf.$$ -- sleep "$WINDOW" &
perf_pid=$!
for ((k = 0; k < WINDOW / 10; k++)); do
    docker exec bench-0 sh -c "rm -f /churn.*; dd if=/dev/zero of=/churn.$k bs=1M count=1 2>/dev/null"
    sleep 10
done
wait "$perf_pid"
cpu1=$(thread_cpu)
idle_sys=$(awk -F, '/raw_syscalls/ { print $1 }' /tmp/bench_disk_perf.$$)
rm -f /tmp/bench_disk_perf.$$
st1=$(m berth_disk_stat_calls_total)
rst1=$(m berth_disk_rescan_stat_calls_total)
ev1=$(m berth_disk_events_total)
rs1=$(m berth_disk_rescans_total)
ov1=$(m berth_disk_overflows_total)
fw1=$(m berth_disk_full_walks_total)
intervals=$(echo "$WINDOW / 10" | bc -l)
icpu=$(echo "($cpu1 - $cpu0) / $intervals" | bc -l)
isys=$(echo "$idle_sys / $intervals" | bc -l)
istat=$(echo "($st1 - $st0) / $intervals" | bc -l)
printf 'keeping current, per 10 s interval: %.4f s CPU, %.0f syscalls, %.0f fstatat (%d fanotify events, %d directory re-reads in %d s)\n' \
    "$icpu" "$isys" "$istat" "$((ev1 - ev0))" "$((rs1 - rs0))" "$WINDOW"
echo "in the window: $((ov1 - ov0)) event queue overflows, $((fw1 - fw0)) trees walked in full (new containers of other users of this dockerd count here), $((rst1 - rst0)) fstatat re-reading changed directories"
printf 'full walk: %.2f s CPU, %d syscalls, %d fstatat (tracker thread); berth df --no-agent: %d syscalls\n' \
    "$walk_cpu" "$walk_sys" "$walk_stats" "$full_sys"
printf 'ratio per interval: CPU %.3f%%, syscalls %.3f%%, fstatat %.4f%% (re-reads of changed directories alone: %.4f%%) of a full walk\n' \
    "$(echo "100 * $icpu / $walk_cpu" | bc -l)" "$(echo "100 * $isys / $walk_sys" | bc -l)" \
    "$(echo "100 * $istat / $walk_stats" | bc -l)" "$(echo "100 * ($rst1 - $rst0) / $intervals / $walk_stats" | bc -l)"

# (a) berth df from the agent vs docker system df -v vs the one-pass walk
TIMEFORMAT='%R'
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
runs() { for ((k = 0; k < $1; k++)); do { time "${@:2}" >/dev/null; } 2>&1 | tail -1; done | med; }
a=$(runs "$R" "$BERTH_BIN" df --agent "$URL")
d=$(runs 3 docker system df -v)
w=$(runs 1 "$BERTH_BIN" df --no-agent)
printf 'berth df (agent):      %8.4f s wall (median of %d)\n' "$a" "$R"
printf 'berth df --no-agent:   %8.4f s wall (warm cache)\n' "$w"
printf 'docker system df -v:   %8.4f s wall (median of 3, warm cache)\n' "$d"
printf 'ratio: berth df with an agent is %.0fx faster than docker system df -v\n' "$(echo "$d / $a" | bc -l)"
bt=$("$BERTH_BIN" df --agent "$URL" --json --bytes | jq '[.containers[] | select(.name | startswith("bench-")) | .writable_bytes] | add')
dt=$(du -s -B1 -x "${uppers[@]}" | awk '{ s += $1 } END { print s }')
echo "writable bytes: berth (agent) $bt, du $dt"
