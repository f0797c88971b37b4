# shellcheck shell=bash
# Log shipping (berth agent --only logs): every line a container prints
# arrives in the file output exactly once in the normal case, and at least
# once (duplicates within one batch per crash) across SIGKILL, Docker's own
# rotation, long lines and containers that live for less than a second.
# The ground truth is the numbered lines the containers print (seq).
#
# Other test runs share the dockerd: the agent follows only containers
# named lg-* (logs_containers), and each test looks only at its own.

LG_DIR=
LG_OUT=

# lg_agent [ARGS...]: start the log pipeline alone with its buffer and the
# file output in a fresh directory of this test (kept in LG_DIR across
# restarts of the same test).
lg_agent() {
	if [ -z "$LG_DIR" ]; then
		LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
		LG_OUT=$LG_DIR/out.ndjson
	fi
	agent_start --only logs --logs-buffer-dir "$LG_DIR/buf" \
		--log-output "out file path=$LG_OUT batch_records=500" --logs-poll 20ms \
		--logs-containers 'lg-*' "$@"
}

# lg_msgs NAME: the messages shipped for container NAME, one per line.
lg_msgs() {
	[ -f "$LG_OUT" ] || return 0
	grep -F "\"container_name\":\"$1\"" "$LG_OUT" | jq -r '.message' || true
}

# lg_count NAME: how many records were shipped for container NAME.
lg_count() {
	[ -f "$LG_OUT" ] || {
		echo 0
		return 0
	}
	grep -cF "\"container_name\":\"$1\"" "$LG_OUT" || true
}

# lg_has_all NAME N: true once every number 1..N was shipped for NAME.
lg_has_all() {
	local n
	n=$(lg_msgs "$1" | sort -u | grep -cxE '[0-9]+' || true)
	[ "$n" -ge "$2" ]
}

# lg_check_seq NAME N MAXDUP: every number 1..N shipped, nothing else, and
# at most MAXDUP records shipped twice or more.
lg_check_seq() {
	local name=$1 n=$2 maxdup=$3 missing extra dups
	lg_msgs "$name" >"$LG_DIR/$name.got"
	missing=$(seq 1 "$n" | sort >"$LG_DIR/$name.want" && sort -u "$LG_DIR/$name.got" |
		comm -23 "$LG_DIR/$name.want" - | wc -l)
	extra=$(sort -u "$LG_DIR/$name.got" | comm -13 "$LG_DIR/$name.want" - | wc -l)
	dups=$(sort "$LG_DIR/$name.got" | uniq -d | wc -l)
	note "$name: $(wc -l <"$LG_DIR/$name.got") records, missing $missing, unexpected $extra, duplicated $dups"
	assert_eq "$missing" 0 "$name: numbered lines missing"
	assert_eq "$extra" 0 "$name: lines that were never printed"
	[ "$dups" -le "$maxdup" ] || fail "$name: $dups lines duplicated, allowed $maxdup"
}

t_logs_exactly_once() {
	lg_agent --label-allow lg.team
	ctr_run lg-off --label berth.logs=off -- sh -c 'echo never shipped; sleep 600' >/dev/null
	ctr_run nolg-once -- sh -c 'echo not matched; sleep 600' >/dev/null
	ctr_run lg-once --label lg.team=blue --label com.docker.compose.project=lgproj \
		--label com.docker.compose.service=web -- sh -c 'seq 1 20000; sleep 600' >/dev/null
	wait_for 60 lg_has_all lg-once 20000 || fail "not every line arrived"
	sleep 1 # anything extra would arrive now
	lg_check_seq lg-once 20000 0
	# only what logs_containers and the berth.logs label let through
	assert_eq "$(jq -r .container_name "$LG_OUT" | grep -cv '^lg-' || true)" 0 "unmatched names shipped"
	assert_eq "$(lg_count lg-off)" 0 "berth.logs=off shipped"
	# tags: id, name, image, stream, nanosecond time, allow-listed label
	local rec
	rec=$(grep -m1 -F '"container_name":"lg-once"' "$LG_OUT")
	assert_eq "$(jq -r .container_id <<<"$rec")" "$CTR_ID" "container_id"
	assert_eq "$(jq -r .image <<<"$rec")" "$BERTH_TEST_IMAGE" "image"
	assert_match "$(jq -r .image_id <<<"$rec")" '^sha256:' "image_id"
	assert_eq "$(jq -r .stream <<<"$rec")" stdout "stream"
	assert_eq "$(jq -r .labels.\"lg.team\" <<<"$rec")" blue "allow-listed label"
	assert_eq "$(jq -r .host <<<"$rec")" "$(hostname)" "host"
	assert_eq "$(jq -r .compose_project <<<"$rec")" lgproj "compose project"
	assert_eq "$(jq -r .compose_service <<<"$rec")" web "compose service"
	# the time is Docker's own, to the nanosecond
	local first
	first=$(docker logs -t lg-once 2>&1 | sed -n 1p | cut -d' ' -f1)
	assert_eq "$(jq -r .time <<<"$rec")" "$first" "original timestamp"
	# self-monitoring agrees with the ground truth
	local sent
	sent=$(metric berth_logs_input_records_total "name=\"lg-once\"")
	assert_eq "$sent" 20000 "berth_logs_input_records_total"
	assert_ge "$(metric berth_logs_output_records_sent_total 'output="out"')" 20000 "sent"
	assert_eq "$(metric berth_logs_input_lag_bytes "name=\"lg-once\"")" 0 "lag"
	agent_stop
}

t_logs_sigkill() {
	# A container prints 60000 numbered lines over a few seconds; berth is
	# killed with SIGKILL at random moments and restarted. Every line must
	# arrive; duplicates stay within one batch (500 records) per kill.
	local kills=4 i
	lg_agent
	ctr_run lg-kill -- sh -c 'i=0; while [ $i -lt 60 ]; do i=$((i+1)); seq $(( (i-1)*1000+1 )) $((i*1000)); usleep 100000; done; sleep 600' >/dev/null
	for ((i = 0; i < kills; i++)); do
		sleep "0.$((RANDOM % 9 + 1))"
		sleep $((RANDOM % 2))
		kill -KILL "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
		note "SIGKILL $((i + 1)) after $(lg_count lg-kill) records"
		lg_agent
	done
	wait_for 90 lg_has_all lg-kill 60000 || fail "lines lost across SIGKILL"
	sleep 1
	lg_check_seq lg-kill 60000 $((kills * 500))
	agent_stop
}

t_logs_rotation() {
	# Docker rotates the json-file at 100 KiB keeping 3 files while the
	# container prints ~3 MB (about 30 rotations, one every ~0.3 s): berth
	# follows every rename, nothing is lost or repeated. (A reader stalled
	# for longer than max-file rotations cannot see a file Docker created
	# and deleted meanwhile; the rate here leaves it about a second even on
	# a loaded machine.)
	lg_agent
	ctr_run lg-rot --log-opt max-size=100k --log-opt max-file=3 -- \
		sh -c 'i=0; while [ $i -lt 500 ]; do i=$((i+1)); seq $(( (i-1)*100+1 )) $((i*100)); usleep 20000; done; sleep 600' >/dev/null
	wait_for 120 lg_has_all lg-rot 50000 || fail "lines lost across rotation"
	sleep 1
	lg_check_seq lg-rot 50000 0
	assert_ge "$(metric berth_logs_rotations_total)" 10 "rotations followed"
	agent_stop
}

t_logs_rotation_while_stopped() {
	# berth is stopped while Docker rotates the file it was reading (~60
	# KB/s into 50 KB files, 8 rotated files kept: a few rotations while
	# stopped, none deleted): on start it finds its checkpointed file by
	# inode and fingerprint among PATH.1..., finishes it, then the newer.
	lg_agent
	ctr_run lg-rotstop --log-opt max-size=50k --log-opt max-file=9 -- \
		sh -c 'i=0; while [ $i -lt 150 ]; do i=$((i+1)); seq $(( (i-1)*100+1 )) $((i*100)); usleep 100000; done; sleep 600' >/dev/null
	wait_for 30 bash -c "[ \$(grep -cF '\"container_name\":\"lg-rotstop\"' '$LG_OUT' 2>/dev/null || echo 0) -ge 2000 ]" ||
		fail "nothing arrived"
	agent_stop
	sleep 2
	lg_agent
	wait_for 60 lg_has_all lg-rotstop 15000 || fail "lines lost across rotation while stopped"
	sleep 1
	lg_check_seq lg-rotstop 15000 0
	grep -q 'lg-rotstop.*from its checkpoint' "$AGENT_LOG" || fail "did not resume"
	assert_eq "$(metric berth_logs_rotation_gaps_total)" 0 "gaps"
	assert_ge "$(metric berth_logs_rotations_total)" 2 "rotations after the restart"
	agent_stop
}

t_logs_long_lines() {
	# Docker splits lines over 16 KiB into partial records; they arrive
	# whole (40 KiB and 200 KiB), and so does the next short line.
	lg_agent
	# The last line has no newline: when the container exits Docker writes
	# it as a partial piece whose end never comes; it is shipped after 5 s
	# as it is (the container is stopped, not removed).
	ctr_run lg-long -- sh -c 'head -c 40000 /dev/zero | tr "\0" a; echo; head -c 200000 /dev/zero | tr "\0" b; echo; echo short; printf "no newline"' >/dev/null
	wait_for 30 bash -c "[ \$(grep -cF '\"container_name\":\"lg-long\"' '$LG_OUT' 2>/dev/null || echo 0) -ge 4 ]" ||
		fail "long lines did not arrive"
	local lens
	lens=$(lg_msgs lg-long | awk '{ print length($0) }' | tr '\n' ' ')
	assert_eq "$lens" "40000 200000 5 10 " "lengths of the shipped lines"
	assert_eq "$(lg_msgs lg-long | tail -n 1)" "no newline" "the unterminated last line"
	assert_ge "$(metric berth_logs_partial_joined_total)" 2 "partial lines joined"
	agent_stop
}

t_logs_short_lived() {
	# A container that prints and is removed within a second still has all
	# its lines shipped (berth opens its file on the start event and keeps
	# it open until drained).
	lg_agent
	local i
	for i in 1 2 3; do
		docker run --name "lg-brief$i" --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" \
			"$BERTH_TEST_IMAGE" seq 1 3000 >/dev/null
		docker rm "lg-brief$i" >/dev/null
	done
	for i in 1 2 3; do
		wait_for 30 lg_has_all "lg-brief$i" 3000 || fail "lg-brief$i: lines lost"
		lg_check_seq "lg-brief$i" 3000 0
	done
	wait_for 10 grep -q 'drained and forgotten' "$AGENT_LOG" || fail "removed container not forgotten"
	agent_stop
}

t_logs_restart_resumes() {
	# A clean stop and start: nothing is shipped twice, lines printed while
	# berth was down arrive.
	lg_agent
	ctr_run lg-resume -- sh -c 'seq 1 5000; sleep 4; seq 5001 10000; sleep 600' >/dev/null
	wait_for 30 lg_has_all lg-resume 5000 || fail "first half"
	agent_stop
	sleep 5
	lg_agent
	wait_for 30 lg_has_all lg-resume 10000 || fail "second half"
	sleep 1
	lg_check_seq lg-resume 10000 0
	agent_stop
}

t_logs_bad_input() {
	# A plain file with invalid UTF-8, binary garbage with NUL bytes, a line
	# over the line cap and an unterminated last line: berth keeps running,
	# counts each case and ships every line (valid JSON out).
	LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
	LG_OUT=$LG_DIR/out.ndjson
	local f=$LG_DIR/app.log
	{
		echo "good 1"
		printf 'bad utf8 \xff\xfe \xc3\x28 end\n'
		head -c 3000 /dev/urandom | tr '\n' ' '
		echo
		printf 'nul \0 inside\n'
		head -c 3000000 /dev/zero | tr '\0' x
		echo
		echo "good 2"
	} >"$f"
	# a json-file (as Docker writes them) with broken lines among good ones
	{
		echo '{"log":"j1\n","stream":"stdout","time":"2026-11-25T16:22:44.000000001Z"}'
		echo '{"log":"cut in the mid'
		echo 'binary garbage, not json at all'
		echo '{"log":"j2\n","stream":"stderr","time":"2026-11-25T16:22:44.000000002Z"}'
	} >"$LG_DIR/docker.json"
	agent_start --only logs --no-docker --logs-buffer-dir "$LG_DIR/buf" \
		--log-output "out file path=$LG_OUT" --log-files "$LG_DIR/*.log,json-file:$LG_DIR/*.json" \
		--logs-line-max 1M
	wait_for 20 bash -c "[ \$(wc -l <'$LG_OUT') -ge 10 ]" || fail "lines did not arrive"
	printf 'unterminated' >>"$f"
	# every output line is valid JSON; the order and content are kept
	jq -e . "$LG_OUT" >/dev/null || fail "output is not valid JSON"
	jq -c 'select(.path | endswith(".log"))' "$LG_OUT" >"$LG_DIR/plain.out"
	assert_eq "$(jq -r .message "$LG_DIR/plain.out" | sed -n 1p)" "good 1" "first line"
	assert_eq "$(jq -r .message "$LG_DIR/plain.out" | sed -n 6p)" "good 2" "last line"
	# json-file: good lines parsed, broken ones shipped raw and flagged
	jq -c 'select(.path | endswith(".json"))' "$LG_OUT" >"$LG_DIR/json.out"
	assert_eq "$(jq -r '[.message, .stream, (.parse_error // false)] | @tsv' "$LG_DIR/json.out" | tr '\t\n' ',;')" \
		'j1,stdout,false;{"log":"cut in the mid,stdout,true;binary garbage, not json at all,stdout,true;j2,stderr,false;' "json-file records"
	# (jq reads numbers as doubles: look at the text)
	assert_eq "$(grep -F '"message":"j2"' "$LG_OUT" | grep -o '"ts_ns":[0-9]*')" '"ts_ns":1795623764000000002' "ns time"
	assert_eq "$(jq -r 'select(.message == "j2") | .time' "$LG_DIR/json.out")" 2026-11-25T16:22:44.000000002Z "time"
	assert_ge "$(metric berth_logs_parse_errors_total)" 2 "parse errors counted"
	grep -q 'parse_error' "$AGENT_LOG" || fail "parse errors not logged"
	assert_eq "$(jq -r 'select(.truncated) | .message | length' "$LG_OUT")" 1048576 "cut at the line cap"
	assert_ge "$(metric berth_logs_invalid_utf8_total)" 2 "invalid UTF-8 counted"
	assert_ge "$(metric berth_logs_truncated_total)" 1 "truncation counted"
	grep -q 'invalid UTF-8' "$AGENT_LOG" || fail "invalid UTF-8 not logged"
	hcurl -sf "$AGENT_URL/healthz" >/dev/null || fail "agent unhealthy"
	agent_stop
}

t_logs_multiline_and_json() {
	# berth.logs.multiline groups a stack trace with its first line;
	# berth.logs.json=1 turns a JSON message's members into fields.
	lg_agent
	ctr_run lg-ml --label 'berth.logs.multiline=^[0-9]' -- \
		sh -c 'printf "1 boom\n  at a()\n  at b()\n2 fine\n3 last\n"; sleep 600' >/dev/null
	ctr_run lg-json --label berth.logs.json=1 -- \
		sh -c 'echo "{\"level\":\"warn\",\"n\":3,\"o\":{\"k\":[1,2]}}"; echo "not json"; sleep 600' >/dev/null
	wait_for 20 bash -c "[ \$(grep -cF '\"container_name\":\"lg-ml\"' '$LG_OUT') -ge 3 ]" ||
		fail "multiline groups did not arrive"
	assert_eq "$(lg_msgs lg-ml | head -c 100000 | jq -Rs .)" "$(printf '1 boom\n  at a()\n  at b()\n2 fine\n3 last\n' | jq -Rs .)" "groups"
	assert_eq "$(grep -cF '"container_name":"lg-ml"' "$LG_OUT")" 3 "three records"
	wait_for 20 bash -c "[ \$(grep -cF '\"container_name\":\"lg-json\"' '$LG_OUT') -ge 2 ]" ||
		fail "JSON lines did not arrive"
	local rec
	rec=$(grep -m1 -F '"container_name":"lg-json"' "$LG_OUT")
	assert_eq "$(jq -r .fields.level <<<"$rec")" warn "field level"
	assert_eq "$(jq -c .fields.o <<<"$rec")" '{"k":[1,2]}' "nested field"
	assert_eq "$(jq -r .message <<<"$rec")" '{"level":"warn","n":3,"o":{"k":[1,2]}}' "message kept"
	assert_eq "$(grep -F '"container_name":"lg-json"' "$LG_OUT" | sed -n 2p | jq -r '.fields // "none"')" none "plain line"
	agent_stop
}

t_logs_output_down_pause() {
	# The output is down (its directory does not exist): the 1 MiB buffer
	# fills, reading pauses (Docker's file waits), nothing is dropped; once
	# the output is back every line arrives.
	LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
	LG_OUT=$LG_DIR/later/out.ndjson
	agent_start --only logs --logs-buffer-dir "$LG_DIR/buf" --logs-buffer-max 1M \
		--log-output "out file path=$LG_OUT retry_max=500" --logs-poll 20ms --logs-containers 'lg-*'
	ctr_run lg-down -- sh -c 'seq 1 100000; sleep 600' >/dev/null
	wait_for 30 bash -c "[ \"\$(curl -s $AGENT_URL/metrics | awk '/^berth_logs_paused /{print \$2}')\" = 1 ]" ||
		fail "reading did not pause with a full buffer"
	assert_ge "$(metric berth_logs_output_errors_total)" 1 "send errors counted"
	# Docker may still be writing the file: the lag shows once it has
	wait_for 30 bash -c "curl -s $AGENT_URL/metrics | grep -q '^berth_logs_input_lag_bytes{.*name=\"lg-down\"} [1-9]'" ||
		fail "the input does not wait while reading is paused"
	local used
	used=$(metric berth_logs_buffer_bytes)
	[ "$used" -le $((1024 * 1024 + 2 * 65536 + 1100000)) ] || fail "buffer over its bound: $used"
	mkdir -p "$LG_DIR/later"
	wait_for 90 lg_has_all lg-down 100000 || fail "lines lost while the output was down"
	sleep 1
	lg_check_seq lg-down 100000 500
	assert_eq "$(metric berth_logs_output_records_dropped_total)" 0 "nothing dropped"
	agent_stop
}

t_logs_output_down_drop_oldest() {
	# Same, with logs_full_policy drop_oldest: reading goes on, the oldest
	# records are dropped, counted and logged; what is kept arrives.
	LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
	LG_OUT=$LG_DIR/later/out.ndjson
	agent_start --only logs --logs-buffer-dir "$LG_DIR/buf" --logs-buffer-max 1M \
		--logs-full-policy drop_oldest --log-output "out file path=$LG_OUT retry_max=500" --logs-poll 20ms --logs-containers 'lg-*'
	ctr_run lg-drop -- sh -c 'seq 1 100000; sleep 600' >/dev/null
	wait_for 30 bash -c "[ \"\$(curl -s $AGENT_URL/metrics | awk '/^berth_logs_input_records_total.*lg-drop/{print \$2}')\" = 100000 ]" ||
		fail "reading did not go on"
	local dropped
	dropped=$(metric berth_logs_output_records_dropped_total)
	assert_ge "$dropped" 1 "drops counted"
	grep -q 'dropped the oldest' "$AGENT_LOG" || fail "drops not logged"
	mkdir -p "$LG_DIR/later"
	wait_for 60 bash -c "[ \$(grep -cF '\"container_name\":\"lg-drop\"' '$LG_OUT' 2>/dev/null || echo 0) -ge \$((100000 - $dropped)) ]" ||
		fail "kept records did not arrive"
	# the newest line is never the one dropped
	lg_msgs lg-drop | grep -qx 100000 || fail "newest line missing"
	agent_stop
}

t_logs_two_outputs() {
	# Two outputs, each with its own buffer and cursor: while one is down
	# the other gets every line; when it comes back it gets every line too.
	LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
	LG_OUT=$LG_DIR/a.ndjson
	agent_start --only logs --logs-buffer-dir "$LG_DIR/buf" --logs-poll 20ms --logs-containers 'lg-*' \
		--log-output "a file path=$LG_DIR/a.ndjson" \
		--log-output "b file path=$LG_DIR/later/b.ndjson retry_max=300"
	ctr_run lg-two -- sh -c 'seq 1 30000; sleep 600' >/dev/null
	wait_for 60 lg_has_all lg-two 30000 || fail "output a did not get every line"
	lg_check_seq lg-two 30000 0
	assert_ge "$(metric berth_logs_output_lag_bytes 'output="b"')" 1 "b is behind"
	assert_eq "$(metric berth_logs_output_lag_bytes 'output="a"')" 0 "a is not"
	mkdir -p "$LG_DIR/later"
	LG_OUT=$LG_DIR/later/b.ndjson
	wait_for 60 lg_has_all lg-two 30000 || fail "output b did not catch up"
	sleep 1
	lg_check_seq lg-two 30000 0
	agent_stop
}

t_logs_memory_bounded() {
	# 400 MB of json-file input, the output down: the backlog goes to the
	# disk buffer, not to memory (RSS under 64 MB; 96 MB under ASan).
	LG_DIR=$(mktemp -d "$TEST_LOGDIR/logs.XXXXXX")
	mkdir -p "$LG_DIR/in"
	local f
	for f in 1 2; do
		awk -v n=1100000 'BEGIN { for (i = 1; i <= n; i++)
			printf "{\"log\":\"line %d of a long enough application log message, padded to look real %d\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T16:22:44.%09dZ\"}\n", i, i, i }' \
			>"$LG_DIR/in/$f.log" &
	done
	wait
	agent_start --only logs --no-docker --logs-buffer-dir "$LG_DIR/buf" --logs-fsync off \
		--log-files "json-file:$LG_DIR/in/*.log" --log-output "down file path=$LG_DIR/missing/o.ndjson"
	wait_for 120 bash -c "[ \"\$(curl -s $AGENT_URL/metrics | awk '/^berth_logs_input_records_total/ { s += \$2 } END { print s }')\" = 2200000 ]" ||
		fail "input not read"
	local used rss max=65536
	[ "$BERTH_SANITIZED" = 1 ] && max=98304
	used=$(metric berth_logs_buffer_bytes)
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")
	note "backlog $((used / 1048576)) MiB on disk, peak RSS $((rss / 1024)) MiB"
	assert_ge "$used" $((200 * 1024 * 1024)) "backlog on disk"
	[ "$rss" -lt "$max" ] || fail "peak RSS ${rss} KiB with the backlog on disk"
	agent_stop
}
