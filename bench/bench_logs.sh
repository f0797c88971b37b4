#!/usr/bin/env bash
# bench_logs.sh: the log pipeline core's throughput, json-file in, NDJSON
# file out, and its memory with a large backlog on disk.
#
#   bench/bench_logs.sh [SIZE_MB] [FILES] [BACKLOG_MB]
#       defaults: 1024 MB of input in 4 files, a 1024 MB backlog
#
# 1. Throughput. FILES files of Docker json-file lines (~190 bytes each,
#    SIZE_MB in all) are generated; `berth agent --only logs --no-docker
#    --log-files 'json-file:DIR/*.log'` reads them from the start: it parses
#    each json-file line (unescaping, nanosecond time), tags it, writes it
#    through the checksummed disk buffer and writes every record as one
#    NDJSON line to the file output. Measured twice: with berth's defaults
#    (fdatasync of the buffer, the checkpoint and the output file each
#    cycle/batch) and with logs_fsync off / fsync=0 (page cache only, which
#    is what rsyslog and syslog-ng do by default). The run is over when
#    berth_logs_output_records_sent_total reaches the input's line count;
#    CPU is berth's user+system time from /proc at that moment, so
#    "MB/s per CPU second" = input MB / CPU seconds.
# 2. Latency: one line appended to an idle plain file every ~50 ms, the
#    time until it is in the output file (20 samples; median and max),
#    with berth's defaults (inotify wakeups, fsync on).
# 3. Memory with a backlog. The output's file is in a directory that does
#    not exist, so every send fails and is retried with backoff while the
#    reader fills the disk buffer with BACKLOG_MB of input; RSS (VmRSS and
#    VmHWM) is read once the buffer holds it all.
#
# The comparison with rsyslog (imfile) and syslog-ng (wildcard-file) over
# a loopback TCP receiver, on the same kind of input, is in
# bench/bench_logs_out.sh (the network outputs' benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
NFILES=${2:-4}
BACKLOG_MB=${3:-1024}
BERTH_BIN=${BERTH_BIN:-build/berth}
W=$(mktemp -d /tmp/bench-logs.XXXXXX)
PID=
cleanup() {
	[ -z "$PID" ] || kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

make -s all >/dev/null

mkdir -p "$W/in"
lines_per_file=$((SIZE_MB * 1024 * 1024 / 190 / NFILES))
for ((f = 1; f <= NFILES; f++)); do
	awk -v n="$lines_per_file" -v f="$f" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"log\":\"2026-11-25 16:22:44,%03d INFO  [worker-%d] GET /api/v1/orders/%d?expand=items 200 in %d ms user=u%05d\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T16:22:%02d.%09dZ\"}\n", i % 1000, f, i, i % 97, i % 50000, i % 60, i
	}' >"$W/in/app-$f.log" &
done
wait
IN_BYTES=$(cat "$W"/in/*.log | wc -c)
IN_LINES=$(cat "$W"/in/*.log | wc -l)
echo "# input: $NFILES files, $IN_LINES lines, $IN_BYTES bytes (json-file)"

free_port() {
	local p
	for ((p = 20000 + RANDOM % 10000; ; p++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || {
			echo "$p"
			return
		}
	done
}

cpu_s() { # PID: user+system seconds
	awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"
}

sent() { # URL
	curl -s --max-time 5 "$1/metrics" | awk '/^berth_logs_output_records_sent_total/ { print $2 }'
}

run_berth() { # LABEL FSYNC(on|off)
	local label=$1 fs=$2 port url t0 t1 n cpu rss dir=$W/run-$2
	rm -rf "$dir"
	mkdir -p "$dir"
	port=$(free_port)
	url=http://127.0.0.1:$port
	local ofs=1
	[ "$fs" = on ] || ofs=0
	t0=$(date +%s.%N)
	"$BERTH_BIN" agent --only logs --no-docker --listen "127.0.0.1:$port" \
		--logs-buffer-dir "$dir/buf" --logs-fsync "$fs" \
		--log-files "json-file:$W/in/*.log" \
		--log-output "out file path=$dir/out.ndjson fsync=$ofs" 2>"$dir/agent.log" &
	PID=$!
	while :; do
		n=$(sent "$url" || true)
		[ "${n:-0}" -ge "$IN_LINES" ] && break
		kill -0 "$PID" 2>/dev/null || {
			cat "$dir/agent.log" >&2
			exit 1
		}
		sleep 0.05
	done
	t1=$(date +%s.%N)
	cpu=$(cpu_s "$PID")
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	local outl
	outl=$(wc -l <"$dir/out.ndjson")
	[ "$outl" -eq "$IN_LINES" ] || echo "WARNING: $outl output lines for $IN_LINES input lines" >&2
	awk -v l="$label" -v b="$IN_BYTES" -v n="$IN_LINES" -v t0="$t0" -v t1="$t1" -v c="$cpu" -v r="$rss" 'BEGIN {
		w = t1 - t0; mb = b / 1048576
		printf "%-22s %8.2f s %9.1f MB/s %11.0f lines/s %7.2f CPU s %8.1f MB/CPU-s %6.2f CPU-s/GB  peak RSS %5.1f MB\n",
			l, w, mb / w, n / w, c, mb / c, c / (b / 1073741824), r / 1024
	}'
	rm -rf "$dir"
}

echo "# tool                   wall       throughput       lines/s         CPU        per CPU s    CPU/GB"
run_berth "berth (fsync on)" on
run_berth "berth (fsync off)" off

# ---- latency of one line on an idle input
lat_dir=$W/lat
mkdir -p "$lat_dir/in"
: >"$lat_dir/in/a.log"
port=$(free_port)
"$BERTH_BIN" agent --only logs --no-docker --listen "127.0.0.1:$port" \
	--logs-buffer-dir "$lat_dir/buf" --log-files "$lat_dir/in/*.log" \
	--log-output "out file path=$lat_dir/out.ndjson" 2>"$lat_dir/agent.log" &
PID=$!
sleep 1
lats=()
for ((i = 0; i < 20; i++)); do
	t0=$(date +%s%N)
	echo "lat-$i" >>"$lat_dir/in/a.log"
	until grep -q "\"lat-$i\"" "$lat_dir/out.ndjson" 2>/dev/null; do sleep 0.001; done
	t1=$(date +%s%N)
	lats+=($(((t1 - t0) / 1000)))
	sleep 0.05
done
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
printf '%s\n' "${lats[@]}" | sort -n | awk '{ a[NR] = $1 } END {
	printf "# latency, line written -> in the output file (fsync on): median %.1f ms, max %.1f ms (%d samples)\n", a[int((NR + 1) / 2)] / 1000, a[NR] / 1000, NR }'

# ---- memory with a backlog
if [ "$BACKLOG_MB" -gt 0 ]; then
	# buffer frames are smaller than json-file lines (unescaped, no JSON
	# keys): give 1.5x the input so the backlog reaches BACKLOG_MB
	for ((k = 1; k * SIZE_MB * 2 < BACKLOG_MB * 3; k++)); do
		for f in "$W"/in/app-?.log; do ln "$f" "${f%.log}-copy$k.log"; done
	done
	dir=$W/backlog
	mkdir -p "$dir"
	port=$(free_port)
	url=http://127.0.0.1:$port
	"$BERTH_BIN" agent --only logs --no-docker --listen "127.0.0.1:$port" \
		--logs-buffer-dir "$dir/buf" --logs-buffer-max "${BACKLOG_MB}M" --logs-fsync off \
		--log-files "json-file:$W/in/*.log" \
		--log-output "down file path=$dir/missing/out.ndjson" 2>"$dir/agent.log" &
	PID=$!
	# until the buffer is full (reading pauses) or stops growing
	last=-1
	for ((i = 0; i < 600; i++)); do
		sleep 1
		m=$(curl -s --max-time 5 "$url/metrics")
		b=$(awk '/^berth_logs_buffer_bytes/ { print $2 }' <<<"$m")
		p=$(awk '/^berth_logs_paused / { print $2 }' <<<"$m")
		[ "${p:-0}" = 1 ] && break
		[ "${b:-0}" = "$last" ] && break
		last=${b:-0}
	done
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
	echo "# backlog: $((b / 1048576)) MiB waiting in the disk buffer (paused=$p), output down: RSS $((rss / 1024)) MB, peak RSS $((hwm / 1024)) MB"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
fi
