#!/usr/bin/env bash
# berth df against du -s and docker system df -v on the same containers:
# N containers whose writable layers hold F files in all (created from the
# host straight into each overlay2 upper dir: 10 directories of equal
# share per container). Reports wall and CPU time of each, with cold caches
# when the kernel lets us drop them, and the ratios.
# Usage: bench/bench_df.sh [N=100] [F=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-100}
F=${2:-1000000}
trap bench_containers_down EXIT
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

drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null && echo cold || echo warm; }
TIMEFORMAT='%R %U %S'
t() { { time "$@" >/dev/null; } 2>&1 | tail -1; }

c=$(drop)
read -r bw bu bs <<<"$(t "$BERTH_BIN" df)"
c2=$(drop)
read -r dw du_u ds <<<"$(t du -s -B1 -x "${uppers[@]}")"
c3=$(drop)
read -r sw su ss <<<"$(t docker system df -v)"
printf 'berth df:              %6.2f s wall, %5.2f s CPU (%s cache)\n' "$bw" "$(echo "$bu + $bs" | bc -l)" "$c"
printf 'du -s -B1 -x (uppers): %6.2f s wall, %5.2f s CPU (%s cache)\n' "$dw" "$(echo "$du_u + $ds" | bc -l)" "$c2"
printf 'docker system df -v:   %6.2f s wall (%s cache; CPU is dockerd'"'"'s)\n' "$sw" "$c3"
printf 'ratio: berth df is %.2fx du, %.1fx faster than docker system df -v\n' \
    "$(echo "$dw / $bw" | bc -l)" "$(echo "$sw / $bw" | bc -l)"
# same answer: berth's writable total = du's sum
bt=$("$BERTH_BIN" df --json --bytes | jq '[.containers[] | select(.name | startswith("bench-")) | .writable_bytes] | add')
dt=$(du -s -B1 -x "${uppers[@]}" | awk '{ s += $1 } END { print s }')
echo "writable bytes: berth $bt, du $dt"
