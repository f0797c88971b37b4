#!/usr/bin/env bash
# bench_logs_out.sh: log shipping from files to a loopback TCP receiver,
# berth against rsyslog (imfile) and syslog-ng (wildcard-file), in one run
# on the same generated Docker json-file logs.
#
#   bench/bench_logs_out.sh [SIZE_MB] [FILES]     (defaults 256 MB, 4 files)
#   ONLY="berth rsyslog" bench/bench_logs_out.sh  (a subset of the tools)
#
# Every tool reads the same FILES files (Docker json-file lines, ~190
# bytes each, SIZE_MB in all) from the start and sends every line as an
# RFC 5424 syslog message with RFC 6587 octet counting over TCP to the same
# sink on 127.0.0.1 (build/tools/recv_http --null, which counts bytes,
# octet-counted frames and the time of the last byte). A run is over when
# the sink has one frame per input line (or nothing came for 10 s: then it
# is reported incomplete); the time is from the tool's start to the last
# byte received. CPU is the tool's user+system
# time (from /proc) when it is over.
#
# berth reads the files as Docker json-file logs (--log-files json-file:GLOB,
# what it does for every container): it parses each line's JSON, unescapes
# "log", takes "stream" and the nanosecond "time", and ships the log text
# with its tags; it also writes every record through its checksummed disk
# buffer and fsyncs it and its checkpoint each cycle (its defaults). rsyslog
# imfile (inotify mode; omfwd TCP octet-counted, RFC 5424 template, default
# queues) and syslog-ng wildcard-file (flags(no-parse); syslog() over TCP;
# the log path with flags(flow-control): without it syslog-ng drops lines
# once its output queue is full, ~23% of them in a trial run here) ship
# each raw line unparsed, which is less work.
# BERTH_FILES_PREFIX= (empty) makes berth read them as plain lines too.
# The machine is shared: wall-clock MB/s moves with its load; CPU seconds
# per GB is the figure to compare.
#
# rsyslog and syslog-ng-core conflict as Debian packages (both are the
# system log daemon), so when syslog-ng is not installed the script fetches
# syslog-ng-core, libivykis0 and libnet1 with `apt-get download` into
# bench/.cache and runs it from there (dpkg -x, LD_LIBRARY_PATH); nothing is
# installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZE_MB=${1:-256}
NFILES=${2:-4}
BERTH_BIN=${BERTH_BIN:-build/berth}
W=$(mktemp -d /tmp/bench-logs-out.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

make -s tools all >/dev/null
command -v rsyslogd >/dev/null || {
	echo "rsyslog missing: scripts/install-deps.sh --test" >&2
	exit 1
}

# syslog-ng: installed, or unpacked from Debian's packages
SNG=(syslog-ng)
SNG_MOD=()
if ! command -v syslog-ng >/dev/null; then
	C=$ROOT/bench/.cache/syslog-ng
	if [ ! -x "$C/root/usr/sbin/syslog-ng" ]; then
		mkdir -p "$C"
		(cd "$C" && apt-get download syslog-ng-core libivykis0 libnet1 >/dev/null 2>&1)
		for d in "$C"/*.deb; do dpkg -x "$d" "$C/root"; done
	fi
	SNG=(env "LD_LIBRARY_PATH=$C/root/usr/lib/x86_64-linux-gnu:$C/root/usr/lib/syslog-ng"
		"$C/root/usr/sbin/syslog-ng")
	SNG_MOD=("--module-path=$C/root/usr/lib/syslog-ng/3.38")
fi

# ---- the input: Docker json-file lines
mkdir -p "$W/in"
lines_per_file=$((SIZE_MB * 1024 * 1024 / 190 / NFILES))
for ((f = 1; f <= NFILES; f++)); do
	awk -v n="$lines_per_file" -v f="$f" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"log\":\"2026-11-25 16:22:44,%03d INFO  [worker-%d] GET /api/v1/orders/%d?expand=items 200 in %d ms user=u%05d\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T16:22:%02d.%09dZ\"}\n", i % 1000, f, i, i % 97, i % 50000, i % 60, i
	}' >"$W/in/app-$f.log"
done
IN_BYTES=$(cat "$W"/in/*.log | wc -c)
IN_LINES=$(cat "$W"/in/*.log | wc -l)
echo "# input: $NFILES files, $IN_LINES lines, $IN_BYTES bytes"

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 11800))
		ss -Htln "sport = :$p" | grep -q . || {
			echo "$p"
			return
		}
	done
}

now_ms() { date +%s%3N; }

cpu_s() { # PID: user+system seconds
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

RESULTS=()
# run NAME CMD...: start the sink and the tool, wait until done, record.
run() {
	local name=$1
	shift
	[[ " ${ONLY:-berth rsyslog syslog-ng} " == *" $name "* ]] || return 0
	local port=$SINK_PORT stats=$W/$name.stats
	local last=0 same=0 bytes=0 lastms=0 frames=0 bad=0 t0 pid cpu secs mbs lps cpugb
	"$ROOT/build/tools/recv_http" --null --port "$port" --stats "$stats" >/dev/null &
	local sink=$!
	PIDS+=("$sink")
	sleep 0.3
	t0=$(now_ms)
	"$@" &
	pid=$!
	PIDS+=("$pid")
	local deadline=$((SECONDS + ${BENCH_MAX_S:-300}))
	while ((SECONDS < deadline)); do
		sleep 0.5
		[ -f "$stats" ] && read -r bytes lastms frames bad <"$stats"
		# over once every line arrived as a frame; or when nothing has
		# come for 10 s (then it is reported incomplete)
		[ "$frames" -ge "$IN_LINES" ] && break
		if [ "$bytes" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 20 ] && break
		else
			same=0
		fi
		last=$bytes
		kill -0 "$pid" 2>/dev/null || {
			echo "$name exited early" >&2
			break
		}
	done
	# the tool's own process: for `env ... syslog-ng` it is the same pid
	cpu=$(cpu_s "$pid")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	kill "$sink" 2>/dev/null || true
	wait "$sink" 2>/dev/null || true
	secs=$(awk -v a="$lastms" -v b="$t0" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
	mbs=$(awk -v b="$IN_BYTES" -v s="$secs" 'BEGIN { printf "%.1f", b / 1048576 / s }')
	lps=$(awk -v l="$IN_LINES" -v s="$secs" 'BEGIN { printf "%.0f", l / s }')
	cpugb=$(awk -v c="$cpu" -v b="$IN_BYTES" 'BEGIN { printf "%.2f", c / (b / 1073741824) }')
	local ok=yes
	[ "$frames" -ge "$IN_LINES" ] || ok="NO: $frames of $IN_LINES lines"
	[ "$bad" = 0 ] || ok="$ok, $bad bytes outside frames"
	printf '%-10s %8s s %8s MB/s %10s lines/s %8s CPU s %8s CPU s/GB  sink %s bytes %s frames, complete: %s\n' \
		"$name" "$secs" "$mbs" "$lps" "$cpu" "$cpugb" "$bytes" "$frames" "$ok"
	RESULTS+=("$name $mbs $cpugb")
}

# ---- berth
SINK_PORT=$(free_port)
run berth "$BERTH_BIN" agent --only logs --no-docker --listen "127.0.0.1:$(free_port)" \
	--logs-buffer-dir "$W/berth-buf" --log-files "${BERTH_FILES_PREFIX-json-file:}$W/in/*.log" \
	--log-output "b syslog host=127.0.0.1 port=$SINK_PORT" --log-level warn ${BERTH_ARGS:-}

# ---- rsyslog imfile
SINK_PORT=$(free_port)
mkdir -p "$W/rs"
cat >"$W/rs/rsyslog.conf" <<EOF
global(workDirectory="$W/rs")
module(load="imfile" mode="inotify")
input(type="imfile" File="$W/in/*.log" Tag="app" Severity="info" Facility="daemon")
action(type="omfwd" target="127.0.0.1" port="$SINK_PORT" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
EOF
run rsyslog rsyslogd -n -f "$W/rs/rsyslog.conf" -i "$W/rs/pid"

# ---- syslog-ng wildcard-file
SINK_PORT=$(free_port)
mkdir -p "$W/sng"
cat >"$W/sng/syslog-ng.conf" <<EOF
@version: 3.38
options { keep-hostname(yes); stats_freq(0); };
source s { wildcard-file(base-dir("$W/in") filename-pattern("*.log") flags(no-parse)); };
destination d { syslog("127.0.0.1" port($SINK_PORT) transport(tcp)); };
log { source(s); destination(d); flags(flow-control); };
EOF
run syslog-ng "${SNG[@]}" -F "${SNG_MOD[@]}" -f "$W/sng/syslog-ng.conf" \
	--persist-file="$W/sng/persist" --pidfile="$W/sng/pid" --control="$W/sng/ctl"

# ---- ratios: berth against each other tool, and the issue's target (at
# least twice the better of them in MB per CPU second)
printf '%s\n' "${RESULTS[@]}" | awk '
	{ mb[$1] = $2; cpu[$1] = $3 }
	END {
		if (!("berth" in mb)) exit
		best = ""
		for (t in mb) {
			if (t == "berth") continue
			printf "berth / %s: throughput x%.2f, MB per CPU second x%.2f\n", t, mb["berth"] / mb[t], cpu[t] / cpu["berth"]
			if (best == "" || cpu[t] < cpu[best]) best = t
		}
		if (best != "")
			printf "target: MB per CPU second >= 2x the better (%s): x%.2f, %s\n", best, cpu[best] / cpu["berth"], ((cpu[best] / cpu["berth"] >= 2) ? "met" : "NOT met")
	}'
