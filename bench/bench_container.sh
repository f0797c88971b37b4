#!/usr/bin/env bash
# berth agent in its own container against berth agent on the host, in one
# run, at the same time, on the same N idle containers: CPU seconds over W
# seconds and RSS at the end, both read from the host's /proc (the
# containerised agent runs with --pid host, so its pid is a host pid), plus
# the image's size. The container runs with exactly the privileges
# docs/container.md documents.
# Usage: bench/bench_container.sh [N=50] [W=30]   (builds berth:latest first)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
N=${1:-50}
W=${2:-30}
IMAGE_BERTH=${BERTH_IMAGE:-berth:latest}
CTR=bc-bench-berth
LABEL=berth-bc-bench=1
HOST_PID=
cleanup() {
    [ -z "$HOST_PID" ] || kill "$HOST_PID" 2>/dev/null || true
    docker rm -f "$CTR" >/dev/null 2>&1 || true
    docker volume rm -f bc-bench-data >/dev/null 2>&1 || true
    local ids
    ids=$(docker ps -aq --filter "label=$LABEL")
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || docker rm -f $ids >/dev/null
}
trap cleanup EXIT
cleanup

bash scripts/build-berth-image.sh >/dev/null
free() { # a free loopback port from a random base
    local p
    for ((p = 20000 + RANDOM % 10000; ; p++)); do
        [ -n "$(ss -Htln "sport = :$p")" ] || { echo "$p"; return; }
    done
}

echo "starting $N idle containers..."
for ((i = 0; i < N; i++)); do
    docker run -d --label "$LABEL" --name "bc-bench-$i" "$IMAGE" sleep 36000 >/dev/null
done

hp=$(free)
"$BERTH_BIN" agent --listen "127.0.0.1:$hp" >/dev/null 2>&1 &
HOST_PID=$!
cp=$(free)
[ "$cp" != "$hp" ] || cp=$((hp + 1))
docker run -d --name "$CTR" --pid host --cap-drop ALL --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
    --security-opt no-new-privileges --read-only \
    -v /sys/fs/cgroup:/host/sys/fs/cgroup:ro -v /proc:/host/proc:ro \
    -v /var/lib/docker/containers:/host/var/lib/docker/containers:ro \
    -v /var/run/docker.sock:/var/run/docker.sock:ro -v bc-bench-data:/var/lib/berth \
    -p "127.0.0.1:$cp:9393" "$IMAGE_BERTH" agent --host-root /host --listen 0.0.0.0:9393 >/dev/null
CPID=$(docker inspect -f '{{.State.Pid}}' "$CTR")
for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null "http://127.0.0.1:$hp/healthz" && curl -sf -o /dev/null "http://127.0.0.1:$cp/healthz" && break
    sleep 0.2
done
sleep 5 # first discovery and probes done
seen_h=$(curl -s "http://127.0.0.1:$hp/metrics" | grep -c '^container_spec_memory_limit_bytes{.*name="bc-bench-[0-9]')
seen_c=$(curl -s "http://127.0.0.1:$cp/metrics" | grep -c '^container_spec_memory_limit_bytes{.*name="bc-bench-[0-9]')
# other work on the host (other containers) is measured by both agents alike
all_h=$(curl -s "http://127.0.0.1:$hp/metrics" | grep -c '^container_spec_memory_limit_bytes{')
h0=$(proc_cpu_seconds "$HOST_PID")
c0=$(proc_cpu_seconds "$CPID")
t0=$(now)
sleep "$W"
h1=$(proc_cpu_seconds "$HOST_PID")
c1=$(proc_cpu_seconds "$CPID")
t1=$(now)
hr=$(proc_rss_kib "$HOST_PID")
cr=$(proc_rss_kib "$CPID")
size=$(docker image inspect -f '{{.Size}}' "$IMAGE_BERTH")
base=$(docker image inspect -f '{{.Size}}' berth-base:bookworm)

awk -v n="$N" -v w="$(echo "$t1 - $t0" | bc)" -v h="$(echo "$h1 - $h0" | bc)" -v c="$(echo "$c1 - $c0" | bc)" \
    -v hr="$hr" -v cr="$cr" -v sh="$seen_h" -v sc="$seen_c" -v size="$size" -v base="$base" -v all="$all_h" 'BEGIN {
    printf "containers seen: host agent %d, containerised agent %d (of %d); %d containers on the host in all\n", sh, sc, n, all
    printf "%-22s %12s %10s %10s\n", "agent", "CPU s", "% core", "RSS MiB"
    printf "%-22s %12.3f %9.2f%% %10.1f\n", "on the host", h, 100 * h / w, hr / 1024
    printf "%-22s %12.3f %9.2f%% %10.1f\n", "in its container", c, 100 * c / w, cr / 1024
    if (h > 0) printf "CPU ratio container/host: %.2f; RSS ratio: %.2f (over %.1f s)\n", c / h, cr / hr, w
    printf "image %s: %.1f MB (base %.1f MB, berth binary and its layer %.1f MB)\n", "'"$IMAGE_BERTH"'", size / 1e6, base / 1e6, (size - base) / 1e6
}'
