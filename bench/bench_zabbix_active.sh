#!/usr/bin/env bash
# Zabbix active mode: what it costs berth to push its items to a Zabbix
# server, against what people do instead from scripts, zabbix_sender with
# a process per batch, on the same values and the same receiver.
#
#   - N containers, each with an HTTP server (so service items exist);
#   - a strict trapper receiver (tests/tools/zbx_trapper.c) on loopback,
#     answering as a Zabbix server does;
#   - berth agent with --zabbix-active every 1 s for W seconds: the CPU
#     time of its zbx-active thread (reading the values under the store
#     lock, encoding, one TCP exchange per batch), from the scheduler's
#     nanosecond count (/proc/PID/task/TID/schedstat), per value and per
#     batch, with berth_zabbix_active_values_sent_total; and, as a check,
#     the whole agent's CPU against the same agent without active mode;
#   - zabbix_sender -T -i FILE with one of berth's batches as FILE (the
#     same host, keys and values, LLD JSON included), run B times: CPU of
#     the zabbix_sender processes (user + system), per batch and per value.
#     zabbix_sender (Debian: zabbix-agent; it opens one connection per
#     250 values) is what a cron script or a
#     UserParameter pipeline calls; producing the values (docker stats,
#     docker inspect) would come on top and is not counted;
#   - if zabbix_agent2 is installed (Debian: zabbix-agent2), the whole job
#     against Zabbix's own Docker monitoring: agent 2 in active mode with
#     the items of Zabbix's "Docker by Zabbix agent 2" template for each of
#     the N containers (docker.container_stats and docker.container_info,
#     every 10 s; the template splits them into ~20 dependent items on the
#     server), served by the same receiver playing the server (-A), against
#     berth agent --interval 10s pushing every 10 s. W2 seconds each: CPU of
#     the agent process, and dockerd's CPU over the same window (agent 2
#     asks dockerd for every value; berth reads cgroup files).
#
# Usage: bench/bench_zabbix_active.sh [N=50] [W=60] [B=100] [W2=120]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
W=${2:-60}
B=${3:-100}
W2=${4:-120}
PORT=${PORT:-19398}
TMP=$(mktemp -d /tmp/berth-bench-zx.XXXXXX)
AGENT_PID=
TRAP_PID=
A2_PID=
TRAP2_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    [ -z "$TRAP_PID" ] || kill "$TRAP_PID" 2>/dev/null || true
    [ -z "$A2_PID" ] || kill "$A2_PID" 2>/dev/null || true
    [ -z "$TRAP2_PID" ] || kill "$TRAP2_PID" 2>/dev/null || true
    local ids
    ids=$(docker ps -aq --filter label=berth-bench-zx=1)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
command -v zabbix_sender >/dev/null || { echo "zabbix_sender missing (apt install zabbix-agent)" >&2; exit 1; }
cleanup
TMP=$(mktemp -d /tmp/berth-bench-zx.XXXXXX)
for ((i = 0; i < N; i++)); do
    docker run -d --label berth-bench-zx=1 --name "zxb-$i" "$IMAGE" sh -c 'httpd -p 8080; sleep 36000' >/dev/null
done
# shellcheck disable=SC2046
gcc -O2 -o "$TMP/zbx_trapper" tests/tools/zbx_trapper.c $(pkg-config --cflags --libs jansson zlib)
"$TMP/zbx_trapper" -p "$TMP/port" -o "$TMP/values" -v "$TMP/viol" -H zxbench &
TRAP_PID=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
TPORT=$(cat "$TMP/port")

agent_cpu() { # ARGS...: prints "CPU-seconds values-sent batches-sent" over W seconds
    "$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn --no-services "$@" &
    AGENT_PID=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
    sleep 3
    local a v0 b0 m
    m=$(curl -sf "http://127.0.0.1:$PORT/metrics")
    v0=$(awk '$1 == "berth_zabbix_active_values_sent_total" { print $2 }' <<<"$m")
    b0=$(awk '$1 == "berth_zabbix_active_batches_sent_total" { print $2 }' <<<"$m")
    a=$(proc_cpu_seconds "$AGENT_PID")
    local tid="" t0=0 t1=0 f
    for f in /proc/"$AGENT_PID"/task/*; do
        [ "$(cat "$f/comm")" = zbx-active ] && tid=${f##*/}
    done
    [ -z "$tid" ] || t0=$(cut -d' ' -f1 "/proc/$AGENT_PID/task/$tid/schedstat")
    sleep "$W"
    local c
    c=$(proc_cpu_seconds "$AGENT_PID")
    [ -z "$tid" ] || t1=$(cut -d' ' -f1 "/proc/$AGENT_PID/task/$tid/schedstat")
    m=$(curl -sf "http://127.0.0.1:$PORT/metrics")
    local v1 b1
    v1=$(awk '$1 == "berth_zabbix_active_values_sent_total" { print $2 }' <<<"$m")
    b1=$(awk '$1 == "berth_zabbix_active_batches_sent_total" { print $2 }' <<<"$m")
    echo "$(echo "$c - $a" | bc -l) $(( ${v1:-0} - ${v0:-0} )) $(( ${b1:-0} - ${b0:-0} )) $(echo "($t1 - $t0) / 1000000000" | bc -l)"
    kill "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null || true
    AGENT_PID=
}
read -r cpu_on values batches thread <<<"$(agent_cpu --zabbix-active "127.0.0.1:$TPORT" --zabbix-host zxbench --zabbix-active-interval 1s)"
read -r cpu_off _ _ <<<"$(agent_cpu)"
[ ! -s "$TMP/viol" ] || { echo "protocol violations:"; cat "$TMP/viol"; exit 1; }
awk -v on="$cpu_on" -v off="$cpu_off" -v v="$values" -v b="$batches" -v w="$W" -v n="$N" -v th="$thread" 'BEGIN {
    printf "berth agent, %d containers of ours (and whatever else runs here), %d s: %.2f s CPU with active mode every 1 s, %.2f s without\n", n, w, on, off
    printf "  %d batches, %d values (%d per batch) accepted by the receiver\n", b, v, v / b
    printf "  berth zbx-active thread: %.3f s CPU: %.2f us per value, %.3f ms per batch\n", th, th / v * 1e6, th / b * 1e3
}'

# one of berth's batches as zabbix_sender input: host key clock value
last=$(awk -F '\t' '$2 == "agent.ping" { c = $4 } END { print c }' "$TMP/values")
awk -F '\t' -v c="$last" '$4 == c {
    v = $3; gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v)
    printf "%s %s %s \"%s\"\n", $1, $2, $4, v
}' "$TMP/values" >"$TMP/batch.txt"
nv=$(wc -l <"$TMP/batch.txt")
: >"$TMP/sender.out"
TIMEFORMAT='%U %S'
t=$( { time (for ((i = 0; i < B; i++)); do zabbix_sender -z 127.0.0.1 -p "$TPORT" -T -i "$TMP/batch.txt" >>"$TMP/sender.out" 2>&1 || true; done) ; } 2>&1 | tail -1)
read -r su ss <<<"$t"
# zabbix_sender sends at most 250 values per connection; its summary line
# counts the whole file
sent=$(grep -c "^sent: $nv; skipped: 0; total: $nv" "$TMP/sender.out" || true)
[ "$sent" = "$B" ] || { echo "zabbix_sender: only $sent of $B batches fully processed"; tail -3 "$TMP/sender.out"; exit 1; }
[ ! -s "$TMP/viol" ] || { echo "protocol violations:"; cat "$TMP/viol"; exit 1; }
awk -v u="$su" -v s="$ss" -v b="$B" -v nv="$nv" -v th="$thread" -v v="$values" 'BEGIN {
    cpu = u + s
    printf "zabbix_sender, a process per batch: %d batches of %d values: %.2f s CPU\n", b, nv, cpu
    printf "  zabbix_sender: %.1f us CPU per value, %.2f ms per batch\n", cpu / (b * nv) * 1e6, cpu / b * 1e3
    printf "ratio (zabbix_sender / berth) per value: %.1fx\n", (cpu / (b * nv)) / (th / v)
}'

command -v zabbix_agent2 >/dev/null || { echo "zabbix_agent2 not installed: agent 2 comparison skipped"; exit 0; }
DOCKERD=$(pgrep -xo dockerd)
# the receiver as agent 2's server: the template's two master items per container
for ((i = 0; i < N; i++)); do
    printf 'docker.container_stats[zxb-%d]\t10s\ndocker.container_info[zxb-%d]\t10s\n' "$i" "$i"
done >"$TMP/a2items"
"$TMP/zbx_trapper" -p "$TMP/port2" -o "$TMP/values2" -v "$TMP/viol2" -A "$TMP/a2items" &
TRAP2_PID=$!
for _ in $(seq 50); do [ -s "$TMP/port2" ] && break; sleep 0.1; done
cat >"$TMP/agent2.conf" <<CONF
Hostname=zxbench
Server=
ServerActive=127.0.0.1:$(cat "$TMP/port2")
RefreshActiveChecks=600
BufferSend=1
BufferSize=65535
LogType=file
LogFile=$TMP/agent2.log
ControlSocket=$TMP/agent2.sock
PidFile=$TMP/agent2.pid
Plugins.Docker.Endpoint=unix:///var/run/docker.sock
CONF
window() { # PID: prints "process-CPU dockerd-CPU" over W2 seconds
    local a d
    a=$(proc_cpu_seconds "$1")
    d=$(proc_cpu_seconds "$DOCKERD")
    sleep "$W2"
    echo "$(echo "$(proc_cpu_seconds "$1") - $a" | bc -l) $(echo "$(proc_cpu_seconds "$DOCKERD") - $d" | bc -l)"
}
zabbix_agent2 -c "$TMP/agent2.conf" >/dev/null 2>&1 &
A2_PID=$!
sleep 15 # first active-checks request, first values
l0=$(wc -l <"$TMP/values2")
read -r a2_cpu a2_dockerd <<<"$(window "$A2_PID")"
a2_values=$(($(wc -l <"$TMP/values2") - l0))
kill "$A2_PID"
wait "$A2_PID" 2>/dev/null || true
A2_PID=
: >"$TMP/values"
"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn --no-services --interval 10s \
    --zabbix-active "127.0.0.1:$TPORT" --zabbix-host zxbench --zabbix-active-interval 10s &
AGENT_PID=$!
sleep 15
l0=$(wc -l <"$TMP/values")
read -r b_cpu b_dockerd <<<"$(window "$AGENT_PID")"
b_values=$(($(wc -l <"$TMP/values") - l0))
# container-intervals from the values themselves (containers come and go on
# a shared host): the values of berth.container.* items over the number of
# such items per container
b_ci=$(awk -F '\t' 'NR > l0 && $2 ~ /^berth\.container\./ { n++; split($2, k, "["); items[k[1]] = 1 }
    END { m = 0; for (i in items) m++; print (m ? n / m : 0) }' l0="$l0" "$TMP/values")
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
[ ! -s "$TMP/viol" ] || { echo "protocol violations:"; cat "$TMP/viol"; exit 1; }
awk -v w="$W2" -v n="$N" -v ac="$a2_cpu" -v ad="$a2_dockerd" -v av="$a2_values" -v bc="$b_cpu" \
    -v bd="$b_dockerd" -v bv="$b_values" -v bci="$b_ci" 'BEGIN {
    iv = w / 10
    printf "every 10 s for %d s (%d intervals):\n", w, iv
    printf "  zabbix_agent2 (Docker plugin, %d containers): %d values (JSON documents), %.2f s CPU, dockerd %.2f s CPU over the window\n", n, av, ac, ad
    printf "  berth agent (every container on the host: %d container-intervals): %d values, %.2f s CPU, dockerd %.2f s CPU over the window\n", bci, bv, bc, bd
    a = ac / iv / n * 1e3; b = bc / bci * 1e3
    printf "  per container per interval: zabbix_agent2 %.2f ms CPU (+ dockerd), berth %.3f ms CPU (collection included); ratio %.0fx\n", a, b, a / b
}'
