# shellcheck shell=bash
# Dashboard tests: the front end served from the binary, its API and the
# live stream, and the whole page in headless Chromium (tests/e2e).
# Containers are named web-*. Sourced by tests/run.sh after lib.sh.

# _e2e_ready: chromium, node and tests/e2e's playwright-core are there
# (installed by scripts/install-deps.sh --test; npm ci here if only the
# node_modules are missing). Skips the test otherwise.
_e2e_ready() {
	command -v chromium >/dev/null || skip "chromium not installed (scripts/install-deps.sh --test)"
	command -v node >/dev/null || skip "node not installed (scripts/install-deps.sh --test)"
	if [ ! -d "$BERTH_ROOT/tests/e2e/node_modules/playwright-core" ]; then
		(cd "$BERTH_ROOT/tests/e2e" && npm ci --no-audit --no-fund >&2) ||
			skip "npm ci in tests/e2e failed (no npm registry?)"
	fi
}

# _hdr URL NAME [CURL ARGS...]: print the value of response header NAME.
_hdr() {
	local url=$1 name=$2
	shift 2
	hcurl -s -o /dev/null -D - "$@" "$url" | tr -d '\r' |
		awk -v n="$name" -F': ' 'tolower($1) == tolower(n) { print $2 }'
}

# The front end is served from the binary: right types, a strict CSP, an
# ETag that revalidates to 304, gzip that decompresses to the same bytes.
t_dashboard_assets() {
	agent_start
	local f ct
	for f in / /index.html /app.js /style.css; do
		assert_eq "$(http_status "$AGENT_URL$f")" 200 "GET $f"
	done
	assert_match "$(_hdr "$AGENT_URL/" Content-Type)" '^text/html' "Content-Type of /"
	assert_match "$(_hdr "$AGENT_URL/app.js" Content-Type)" '^text/javascript' "Content-Type of /app.js"
	assert_match "$(_hdr "$AGENT_URL/style.css" Content-Type)" '^text/css' "Content-Type of /style.css"
	ct=$(_hdr "$AGENT_URL/" Content-Security-Policy)
	assert_contains "$ct" "default-src 'none'" "CSP"
	assert_contains "$ct" "script-src 'self'" "CSP"
	case "$ct" in *unsafe* | *http:* | *https:*) fail "CSP allows more than self: $ct" ;; esac
	# the page has no inline script or style: everything comes from 'self'
	hcurl -s "$AGENT_URL/" >"$TEST_LOGDIR/index.html"
	if grep -Eq '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$TEST_LOGDIR/index.html"; then
		fail "index.html has inline script or style"
	fi
	for f in /app.js /index.html; do
		local etag
		etag=$(_hdr "$AGENT_URL$f" ETag)
		assert_match "$etag" '^"[0-9a-f]{16}"$' "ETag of $f"
		assert_eq "$(hcurl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$AGENT_URL$f")" 304 "revalidation of $f"
		assert_eq "$(_hdr "$AGENT_URL$f" Content-Encoding -H 'Accept-Encoding: gzip')" gzip "gzip of $f"
		hcurl -s -H 'Accept-Encoding: gzip' "$AGENT_URL$f" | gzip -dc >"$TEST_LOGDIR/gz.out"
		hcurl -s "$AGENT_URL$f" >"$TEST_LOGDIR/plain.out"
		cmp -s "$TEST_LOGDIR/gz.out" "$TEST_LOGDIR/plain.out" || fail "gzip of $f does not decompress to the plain body"
		assert_eq "$(_hdr "$AGENT_URL$f" Content-Encoding -H 'Accept-Encoding: gzip;q=0')" "" "gzip;q=0 on $f"
	done
	# the bytes served are the files of web/
	hcurl -s "$AGENT_URL/app.js" | cmp -s - "$BERTH_ROOT/web/app.js" || fail "/app.js differs from web/app.js"
	assert_eq "$(http_status "$AGENT_URL/nope.js")" 404 "GET /nope.js"
	agent_stop
}

# _json_ok URL JQ: true when GET URL answers JSON for which JQ is true.
_json_ok() {
	local body
	body=$(hcurl -sf "$1") || return 1
	jq -e "$2" <<<"$body" >/dev/null
	return $?
}

# History ranges: since/until/step select and thin the ring's samples; bad
# values get 400 with the reason; the host has a history too.
t_dashboard_history() {
	ctr_run web-hist -- sleep 600 >/dev/null
	agent_start
	wait_for 30 _json_ok "$AGENT_URL/api/v1/containers/web-hist/history?since=1m" '.samples | length >= 6'
	wait_for 10 _json_ok "$AGENT_URL/api/v1/host/history?since=1m" '.samples | length >= 3'
	local all stepped last first since
	all=$(hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/history?since=1h" | jq '.samples | length')
	stepped=$(hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/history?since=1h&step=3s" | jq '.samples | length')
	note "samples: $all every one, $stepped with step=3s"
	assert_le "$stepped" $(((all + 2) / 3 + 1)) "samples with step=3s"
	assert_ge "$stepped" $((all / 3 - 1)) "samples with step=3s"
	# an absolute since (unix ms) after the next-to-last sample returns the last one only
	hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/history?since=1h" >"$TEST_LOGDIR/h.json"
	last=$(jq '.samples[-1][0]' "$TEST_LOGDIR/h.json")
	first=$(jq '.samples[0][0]' "$TEST_LOGDIR/h.json")
	since=$((last - 1))
	assert_eq "$(hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/history?since=$since&until=$last" | jq '.samples | length')" 1 "samples in [last-1ms, last]"
	assert_eq "$(hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/history?since=$first&until=$first" | jq '.samples[0][0]')" "$first" "the first sample by unix ms"
	assert_eq "$(http_status "$AGENT_URL/api/v1/containers/web-hist/history?since=yesterday")" 400 "since=yesterday"
	assert_contains "$(hcurl -s "$AGENT_URL/api/v1/containers/web-hist/history?step=2h")" "bad step" "step=2h"
	assert_eq "$(http_status "$AGENT_URL/api/v1/containers/web-nosuch/history")" 404 "history of an unknown container"
	hcurl -sf "$AGENT_URL/api/v1/host/history?since=1m" >"$TEST_LOGDIR/hh.json"
	assert_eq "$(jq -r '.fields | join(",")' "$TEST_LOGDIR/hh.json")" \
		timestamp_ms,cpu_busy_millicores,memory_used_bytes,net_rx_bytes,net_tx_bytes,disk_used_bytes "host history fields"
	assert_ge "$(jq '.samples | length' "$TEST_LOGDIR/hh.json")" 3 "host history samples"
	# host memory used as /proc/meminfo says, within what moves in a few seconds
	local used truth
	used=$(jq '.samples[-1][2]' "$TEST_LOGDIR/hh.json")
	truth=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print (t - a) * 1024 }' /proc/meminfo)
	assert_between "$used" "$(echo "$truth * 0.8" | bc)" "$(echo "$truth * 1.2" | bc)" "host memory used"
	hcurl -sf "$AGENT_URL/api/v1/host" | jq -e '.disk.total_bytes > 0 and .containers_total >= 1 and (.network | has("rx_bytes"))' >/dev/null ||
		fail "/api/v1/host lacks disk, network or container counts"
	hcurl -sf "$AGENT_URL/api/v1/containers/web-hist/services" | jq -e '.name == "web-hist" and (.services | type == "array")' >/dev/null ||
		fail "/api/v1/containers/web-hist/services"
	agent_stop
}

# The stream pushes a frame per interval with every running container; a
# container started later appears in it; SIGTERM with streams open still
# exits 0 at once.
t_dashboard_stream() {
	ctr_run web-s1 -- sleep 600 >/dev/null
	agent_start
	local out=$TEST_LOGDIR/stream.txt out2=$TEST_LOGDIR/stream2.txt
	{ hcurl -sN --max-time 60 "$AGENT_URL/api/v1/stream" >"$out" || true; } &
	local c1=$!
	{ hcurl -sN --max-time 60 "$AGENT_URL/api/v1/stream" >"$out2" || true; } &
	local c2=$!
	wait_for 20 grep -q '"web-s1"' "$out"
	assert_match "$(_hdr "$AGENT_URL/api/v1/stream" Content-Type -X HEAD)" '^text/event-stream' "stream Content-Type"
	ctr_run web-s2 -- sleep 600 >/dev/null
	wait_for 20 grep -q '"web-s2"' "$out"
	wait_for 20 grep -q '"web-s2"' "$out2"
	# every frame is one line of JSON with the documented columns
	grep '^data: ' "$out" | tail -n 1 | sed 's/^data: //' >"$TEST_LOGDIR/frame.json"
	jq -e '(.cols | index("name")) != null and (.rows | length) >= 2 and (.host | has("cpus"))' "$TEST_LOGDIR/frame.json" >/dev/null ||
		fail "last frame is not the documented summary"
	assert_ge "$(grep -c '^data: ' "$out")" 2 "frames received"
	local t0=$SECONDS
	agent_stop
	note "agent stopped with 2 streams open in $((SECONDS - t0)) s"
	wait "$c1" "$c2" || true
}

# The page in headless Chromium against real containers (tests/e2e/dashboard.js).
t_dashboard_e2e() {
	_e2e_ready
	ctr_run web-burn -m 64m -- sh -c 'echo berth-log-marker-out; echo berth-log-marker-err >&2; yes >/dev/null' >/dev/null
	ctr_run web-idle -- sleep 600 >/dev/null
	ctr_run web-gone -- sleep 600 >/dev/null
	agent_start
	wait_for 20 _json_ok "$AGENT_URL/api/v1/containers/web-gone" '.name == "web-gone"'
	WEB_BURN=web-burn WEB_IDLE=web-idle WEB_GONE=web-gone \
		timeout 150 node "$BERTH_ROOT/tests/e2e/dashboard.js" >&2 ||
		{
			show_file "$AGENT_LOG" "agent log"
			fail "tests/e2e/dashboard.js failed (screenshots in $TEST_LOGDIR)"
		}
	agent_stop
}

# A client that stops reading the stream does not make the agent buffer for
# it: once the kernel's socket buffers are full its frames are dropped
# (counted), memory stays flat, a reading client still gets every frame,
# and SIGTERM still exits 0 at once.
t_dashboard_slow_client() {
	ctr_run web-slow -- sleep 600 >/dev/null
	# 10 frames per second fill the stuck client's socket buffers sooner
	agent_start --interval 100ms
	local port=${AGENT_URL##*:}
	# perl (Debian's perl-base, always there): a 2 KiB receive buffer, asks
	# for the stream and then never reads
	perl -e '
		use Socket;
		socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
		setsockopt($s, SOL_SOCKET, SO_RCVBUF, 1024) or die "setsockopt: $!";
		connect($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "connect: $!";
		syswrite($s, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
		sleep 120;' "$port" &
	local stuck=$!
	on_exit kill "$stuck"
	local out=$TEST_LOGDIR/fast.txt
	{ hcurl -sN --max-time 120 "$AGENT_URL/api/v1/stream" >"$out" || true; } &
	local fast=$!
	on_exit kill "$fast"
	# the reading client may lose a frame now and then; the stuck one loses
	# ten a second once its buffers are full
	wait_for 90 _json_ok "$AGENT_URL/api/v1/host" '.dashboard.frames_dropped >= 20'
	local rss0 rss1 n0 n1 d0 d1
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status")
	n0=$(grep -c '^data: ' "$out")
	d0=$(hcurl -sf "$AGENT_URL/api/v1/host" | jq .dashboard.frames_dropped)
	sleep 5
	rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status")
	n1=$(grep -c '^data: ' "$out")
	d1=$(hcurl -sf "$AGENT_URL/api/v1/host" | jq .dashboard.frames_dropped)
	note "stuck client: $d0 -> $d1 frames dropped; RSS $rss0 -> $rss1 KiB; reading client $n0 -> $n1 frames"
	assert_ge "$((d1 - d0))" 1 "frames dropped for the stuck client in 5 s"
	assert_ge "$((n1 - n0))" 1 "frames the reading client got in 5 s"
	# dropping, not queueing: memory does not follow the ~50 frames sent
	# meanwhile (not under ASan, whose quarantine keeps freed memory resident)
	if [ "$BERTH_SANITIZED" != 1 ]; then
		assert_le "$((rss1 - rss0))" 1024 "RSS growth (KiB) while the client is stuck"
	fi
	agent_stop
}
