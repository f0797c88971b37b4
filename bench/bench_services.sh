#!/usr/bin/env bash
# Services discovery + probes, and Zabbix item latency, with N containers
# each running two HTTP servers (one on the container's loopback only):
#   - one full discovery + probe pass (`berth services --no-agent`): wall and
#     CPU time, per container;
#   - the agent's CPU with the services thread (every 10 s) against the same
#     agent with --no-services over W seconds: the services cost per
#     container per interval;
#   - Zabbix passive checks answered by the agent: latency of R requests of
#     one container item over fresh TCP connections, as a Zabbix server
#     makes them (median and 99th percentile), measured by a python3 client.
# Usage: bench/bench_services.sh [N=50] [W=30] [R=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-50}
W=${2:-30}
R=${3:-1000}
PORT=${PORT:-19396}
ZPORT=${ZPORT:-19397}
AGENT_PID=
cleanup() {
    [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
    bench_containers_down
}
trap cleanup EXIT
bench_containers_down
bench_containers_up "$N" sh -c 'httpd -p 8080; httpd -p 127.0.0.1:8081; sleep 36000'
sleep 2

TIMEFORMAT='%R %U %S'
out=$( { time "$BERTH_BIN" services --no-agent >/dev/null; } 2>&1 | tail -1)
read -r wall usr sys <<<"$out"
found=$("$BERTH_BIN" services --no-agent --json | jq '[.[] | select(.up == true)] | length')
echo "one pass, $N containers: $wall s wall, $(echo "$usr + $sys" | bc -l) s CPU; $found services up (want $((2 * N)))"
printf 'per container: %.2f ms wall, %.3f ms CPU\n' "$(echo "$wall * 1000 / $N" | bc -l)" "$(echo "($usr + $sys) * 1000 / $N" | bc -l)"

agent_cpu() { # ARGS...: CPU seconds of an agent over W seconds
    "$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --log-level warn "$@" &
    AGENT_PID=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
    sleep 3
    local a
    a=$(proc_cpu_seconds "$AGENT_PID")
    sleep "$W"
    echo "$(proc_cpu_seconds "$AGENT_PID") - $a" | bc -l
    kill "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null || true
    AGENT_PID=
}
with=$(agent_cpu)
without=$(agent_cpu --no-services)
awk -v a="$with" -v b="$without" -v n="$N" -v w="$W" 'BEGIN {
    printf "agent CPU in %ds: %.3f s with services, %.3f s without\n", w, a, b
    printf "services cost: %.3f ms CPU per container per 10 s interval\n", (a - b) / (w / 10) / n * 1000
}'

"$BERTH_BIN" agent --listen "127.0.0.1:$PORT" --zabbix-listen "127.0.0.1:$ZPORT" --log-level warn &
AGENT_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
sleep 2
python3 - "$ZPORT" "$R" <<'PY'
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
key = b"berth.container.cpu[bench-0]"
req = b"ZBXD\x01" + struct.pack("<II", len(key), 0) + key
lat = []
for _ in range(n):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    lat.append(time.perf_counter() - t)
    assert data.startswith(b"ZBXD"), data
lat.sort()
print("zabbix item %s over a fresh connection: median %.0f us, p99 %.0f us (%d requests, value %s)"
      % (key.decode(), lat[n // 2] * 1e6, lat[n * 99 // 100] * 1e6, n, data[13:].decode()))
PY
