# shellcheck shell=bash
# Log shipping to network receivers (berth agent --only logs with one
# network output): every numbered line a container prints arrives at a
# real receiver exactly once in the normal case, every line arrives after
# the receiver was down or answered errors, and berth keeps running and
# counts what happened.
#
# Receivers, all on 127.0.0.1 and free ports:
#   syslog   rsyslogd (Debian rsyslog) with imtcp, octet-counted framing
#   redis    redis-server (Debian), read back with redis-cli LRANGE
#   es, loki build/tools/recv_http: the project's strict receiver, which
#            checks every request against the published format and writes
#            "CONTAINER<TAB>MESSAGE" lines; its violations file must stay
#            empty
#   gelf     build/tools/recv_http --gelf-tcp (Graylog is not in Debian)
#
# The agent follows every container on the shared dockerd; each test looks
# only at its own containers (names lo-*).

LO_DIR=
LO_PORT=
LO_RECV_PID=
LO_REDIS_PID=

_lo_dir() {
	[ -n "$LO_DIR" ] || LO_DIR=$(mktemp -d "$TEST_LOGDIR/lo.XXXXXX")
}

# lo_tools: build recv_http and lout_send (make tools; quick when current).
lo_tools() {
	make -s -C "$BERTH_ROOT" tools >&2 || fail "make tools failed"
}

# lo_agent OUTPUT_SPEC [ARGS...]: the log pipeline alone, its buffer in this
# test's directory, one output "lo TYPE k=v..." with small batches and a
# short retry ceiling so that recovery shows within seconds.
lo_agent() {
	local spec=$1
	shift
	_lo_dir
	agent_start --only logs --logs-buffer-dir "$LO_DIR/buf" \
		--log-output "lo $spec batch_records=500 retry_max=1000" --logs-poll 20ms "$@"
}

# lo_recv MODE_ARGS...: start recv_http on LO_PORT (picked once per test)
# writing to $LO_DIR/out.txt; waits until it listens.
lo_recv() {
	lo_tools
	_lo_dir
	[ -n "$LO_PORT" ] || LO_PORT=$(free_port)
	"$BERTH_ROOT/build/tools/recv_http" --port "$LO_PORT" --out "$LO_DIR/out.txt" \
		--mode-file "$LO_DIR/mode" --violations "$LO_DIR/violations.txt" "$@" \
		2>>"$LO_DIR/recv.log" &
	LO_RECV_PID=$!
	on_exit kill "$LO_RECV_PID"
	wait_for 10 _port_listening "$LO_PORT" || fail "recv_http did not listen"
}

lo_recv_stop() {
	kill "$LO_RECV_PID" 2>/dev/null || true
	wait "$LO_RECV_PID" 2>/dev/null || true
}

# lo_mode MODE: what recv_http answers from now on.
lo_mode() {
	echo "$1" >"$LO_DIR/mode"
}

# lo_rsyslog: rsyslogd in the foreground with imtcp on LO_PORT, writing
# "APP-NAME<TAB>MSG" lines (APP-NAME is the container name) to out.txt and
# the parsed header and structured data to full.txt.
lo_rsyslog() {
	command -v rsyslogd >/dev/null || skip "rsyslog not installed (scripts/install-deps.sh --test)"
	_lo_dir
	[ -n "$LO_PORT" ] || LO_PORT=$(free_port)
	cat >"$LO_DIR/rsyslog.conf" <<-EOF
		global(workDirectory="$LO_DIR")
		module(load="imtcp")
		input(type="imtcp" port="$LO_PORT" address="127.0.0.1")
		template(name="lo" type="string" string="%app-name%\t%msg%\n")
		template(name="full" type="string" string="%pri% %hostname% %app-name% %procid% %msgid% %structured-data%\n")
		*.* action(type="omfile" file="$LO_DIR/out.txt" template="lo")
		*.* action(type="omfile" file="$LO_DIR/full.txt" template="full")
	EOF
	rsyslogd -n -f "$LO_DIR/rsyslog.conf" -i "$LO_DIR/rsyslog.pid" >>"$LO_DIR/rsyslog.log" 2>&1 &
	LO_RECV_PID=$!
	on_exit kill "$LO_RECV_PID"
	wait_for 10 _port_listening "$LO_PORT" || fail "rsyslogd did not listen"
}

# lo_rsyslog_tls: rsyslogd with imtcp over TLS (rsyslog-openssl) on
# LO_PORT, its certificate made here for 127.0.0.1 (ca.pem is the same
# self-signed certificate).
lo_rsyslog_tls() {
	command -v rsyslogd >/dev/null || skip "rsyslog not installed (scripts/install-deps.sh --test)"
	[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 ||
		skip "rsyslog-openssl not installed (scripts/install-deps.sh --test)"
	_lo_dir
	[ -n "$LO_PORT" ] || LO_PORT=$(free_port)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LO_DIR/key.pem" -out "$LO_DIR/ca.pem" \
		-days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
	cat >"$LO_DIR/rsyslog.conf" <<-EOF
		global(workDirectory="$LO_DIR" DefaultNetstreamDriver="ossl"
		       DefaultNetstreamDriverCAFile="$LO_DIR/ca.pem"
		       DefaultNetstreamDriverCertFile="$LO_DIR/ca.pem"
		       DefaultNetstreamDriverKeyFile="$LO_DIR/key.pem")
		module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
		input(type="imtcp" port="$LO_PORT" address="127.0.0.1")
		template(name="lo" type="string" string="%app-name%\t%msg%\n")
		*.* action(type="omfile" file="$LO_DIR/out.txt" template="lo")
	EOF
	rsyslogd -n -f "$LO_DIR/rsyslog.conf" -i "$LO_DIR/rsyslog.pid" >>"$LO_DIR/rsyslog.log" 2>&1 &
	LO_RECV_PID=$!
	on_exit kill "$LO_RECV_PID"
	wait_for 10 _port_listening "$LO_PORT" || fail "rsyslogd did not listen"
}

# lo_redis [ARGS...]: redis-server on LO_PORT, no persistence, ARGS added.
lo_redis() {
	command -v redis-server >/dev/null || skip "redis-server not installed (scripts/install-deps.sh --test)"
	_lo_dir
	[ -n "$LO_PORT" ] || LO_PORT=$(free_port)
	redis-server --port "$LO_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--daemonize no "$@" >>"$LO_DIR/redis.log" 2>&1 &
	LO_RECV_PID=$!
	on_exit kill "$LO_RECV_PID"
	wait_for 10 _port_listening "$LO_PORT" || fail "redis-server did not listen"
}

# lo_redis_dump: the list as "NAME<TAB>MESSAGE" lines in out.txt.
lo_redis_dump() {
	redis-cli -p "$LO_PORT" ${LO_REDIS_CLI:-} --raw LRANGE lo 0 -1 |
		jq -r '[(.container.name // "-"), .message] | @tsv' >"$LO_DIR/out.txt"
}

# lo_msgs NAME: the messages received for container NAME.
lo_msgs() {
	[ -f "$LO_DIR/out.txt" ] || return 0
	awk -F '\t' -v n="$1" '$1 == n { print substr($0, length(n) + 2) }' "$LO_DIR/out.txt"
}

# lo_has_all NAME N: true once every number 1..N arrived for NAME.
lo_has_all() {
	local n
	[ -z "${LO_REFRESH:-}" ] || $LO_REFRESH
	n=$(lo_msgs "$1" | sort -u | grep -cxE '[0-9]+' || true)
	[ "$n" -ge "$2" ]
}

# lo_check_seq NAME N MAXDUP: every number 1..N arrived, nothing else, at
# most MAXDUP of them more than once.
lo_check_seq() {
	local name=$1 n=$2 maxdup=$3 missing extra dups
	lo_msgs "$name" >"$LO_DIR/$name.got"
	seq 1 "$n" | sort >"$LO_DIR/$name.want"
	missing=$(sort -u "$LO_DIR/$name.got" | comm -23 "$LO_DIR/$name.want" - | wc -l)
	extra=$(sort -u "$LO_DIR/$name.got" | comm -13 "$LO_DIR/$name.want" - | wc -l)
	dups=$(sort "$LO_DIR/$name.got" | uniq -d | wc -l)
	note "$name: $(wc -l <"$LO_DIR/$name.got") received, missing $missing, unexpected $extra, duplicated $dups"
	assert_eq "$missing" 0 "$name: numbered lines missing"
	assert_eq "$extra" 0 "$name: lines that were never printed"
	[ "$dups" -le "$maxdup" ] || fail "$name: $dups lines duplicated, allowed $maxdup"
}

# lo_no_violations: the strict receiver found nothing wrong.
lo_no_violations() {
	if [ -s "$LO_DIR/violations.txt" ]; then
		show_file "$LO_DIR/violations.txt" violations
		fail "the receiver saw requests that break the protocol"
	fi
}

# lo_once TYPE_SPEC NAME N: a container prints 1..N; all arrive exactly once.
lo_once() {
	local spec=$1 name=$2 n=$3
	lo_agent "$spec"
	ctr_run "$name" -- sh -c "seq 1 $n; sleep 600" >/dev/null
	wait_for 60 lo_has_all "$name" "$n" || fail "not every line arrived"
	sleep 1 # anything extra would arrive now
	[ -z "${LO_REFRESH:-}" ] || $LO_REFRESH
	lo_check_seq "$name" "$n" 0
	assert_ge "$(metric berth_logs_output_records_sent_total 'output="lo"')" "$n" "sent"
}

t_lo_es_exactly_once() {
	lo_recv
	lo_once "elasticsearch url=http://127.0.0.1:$LO_PORT compress=gzip index=lo-%Y.%m.%d" lo-es 20000
	lo_no_violations
	grep -q 'POST /_bulk' "$LO_DIR/recv.log" || fail "no bulk request seen"
	agent_stop
}

t_lo_loki_exactly_once() {
	lo_recv
	lo_once "loki url=http://127.0.0.1:$LO_PORT compress=gzip" lo-loki 20000
	lo_no_violations
	agent_stop
}

t_lo_gelf_exactly_once() {
	lo_recv --gelf-tcp
	lo_once "gelf host=127.0.0.1 port=$LO_PORT" lo-gelf 20000
	lo_no_violations
	agent_stop
}

t_lo_syslog_rsyslog() {
	lo_rsyslog
	lo_once "syslog host=127.0.0.1 port=$LO_PORT" lo-sys 20000
	# rsyslog parsed our header and structured data: facility daemon (3),
	# severity info (6) = 30; APP-NAME the container; MSGID the stream
	local line
	line=$(grep -m1 ' lo-sys ' "$LO_DIR/full.txt")
	note "rsyslog parsed: $line"
	assert_match "$line" '^30 [^ ]+ lo-sys [0-9a-f]{12} stdout \[berth@32473 container_id="[0-9a-f]{64}" container_name="lo-sys" image="berth-test:latest"'
	agent_stop
}

t_lo_syslog_huge_line() {
	# A 300 KB line is cut to max_message (64 KiB) so rsyslog keeps its
	# octet-counted framing: the numbered lines after it all arrive.
	lo_rsyslog
	lo_agent "syslog host=127.0.0.1 port=$LO_PORT"
	ctr_run lo-syshuge -- sh -c 'head -c 300000 /dev/zero | tr "\\0" x; echo; seq 1 5000; sleep 600' >/dev/null
	wait_for 60 lo_has_all lo-syshuge 5000 || fail "lines after a huge one lost"
	if grep -q 'Framing Error' "$LO_DIR/rsyslog.log"; then
		show_file "$LO_DIR/rsyslog.log" rsyslog
		fail "rsyslog lost the framing"
	fi
	agent_stop
}

t_lo_syslog_tls() {
	# syslog over TLS (RFC 5425 framing) into rsyslog's TLS input: the
	# certificate is checked against ca= and the IP; every line arrives.
	lo_rsyslog_tls
	lo_once "syslog host=127.0.0.1 port=$LO_PORT tls=on ca=$LO_DIR/ca.pem" lo-tls 20000
	agent_stop
}

t_lo_syslog_tls_wrong_ca() {
	# A server whose certificate the CA does not vouch for gets nothing:
	# the handshake fails, it is counted, and nothing is marked delivered.
	lo_rsyslog_tls
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LO_DIR/other.key" -out "$LO_DIR/other.pem" \
		-days 2 -subj /CN=other 2>/dev/null
	lo_agent "syslog host=127.0.0.1 port=$LO_PORT tls=on ca=$LO_DIR/other.pem timeout=2s"
	ctr_run lo-tlsbad -- sh -c 'seq 1 100; sleep 600' >/dev/null
	wait_for 20 _lo_errors_ge 2 || fail "failed handshakes not counted"
	grep -q 'certificate' "$AGENT_LOG" || fail "no certificate error logged"
	assert_eq "$(_lo_metric berth_logs_output_records_sent_total)" 0 "records sent to an unverified server"
	assert_eq "$(lo_msgs lo-tlsbad | wc -l)" 0 "lines received by an unverified server"
	agent_stop
}

t_lo_redis() {
	lo_redis
	LO_REFRESH=lo_redis_dump
	lo_once "redis host=127.0.0.1 port=$LO_PORT key=lo" lo-redis 20000
	# what Logstash's redis input reads: one JSON document per element
	local doc
	doc=$(redis-cli -p "$LO_PORT" --raw LINDEX lo 0)
	jq -e '."@timestamp" and .message and .container.id' <<<"$doc" >/dev/null ||
		fail "list element is not a Logstash-ready document: $doc"
	agent_stop
}

t_lo_redis_down_auth() {
	# Redis is not there when the lines come, then starts with a password:
	# berth retries, authenticates, selects the database, and every line
	# arrives exactly once (RPUSH is atomic and acknowledged).
	_lo_dir
	LO_PORT=$(free_port)
	lo_agent "redis host=127.0.0.1 port=$LO_PORT key=lo password=s3cret db=3 timeout=2s"
	ctr_run lo-rdown -- sh -c 'seq 1 10000; sleep 600' >/dev/null
	wait_for 20 _lo_errors_ge 2 || fail "no send errors counted while Redis was down"
	lo_redis --requirepass s3cret
	LO_REDIS_CLI="-a s3cret -n 3 --no-auth-warning"
	LO_REFRESH=lo_redis_dump
	wait_for 60 lo_has_all lo-rdown 10000 || fail "lines lost while Redis was down"
	sleep 1
	lo_redis_dump
	lo_check_seq lo-rdown 10000 0
	agent_stop
}

t_lo_redis_wrong_password() {
	# A wrong password is an error, counted and logged, never a delivery.
	lo_redis --requirepass right
	lo_agent "redis host=127.0.0.1 port=$LO_PORT key=lo password=wrong timeout=2s"
	ctr_run lo-rauth -- sh -c 'seq 1 100; sleep 600' >/dev/null
	wait_for 20 _lo_errors_ge 2 || fail "AUTH failures not counted"
	grep -q 'redis AUTH' "$AGENT_LOG" || fail "AUTH failure not logged"
	assert_eq "$(redis-cli -p "$LO_PORT" -a right --no-auth-warning LLEN lo)" 0 "list length"
	agent_stop
}

t_lo_gelf_receiver_down() {
	# The GELF receiver restarts mid-stream: every line arrives (no acks:
	# duplicates within one batch allowed).
	lo_recv --gelf-tcp
	lo_agent "gelf host=127.0.0.1 port=$LO_PORT timeout=2s"
	ctr_run lo-gdown -- sh -c 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); seq $(( (i-1)*1000+1 )) $((i*1000)); usleep 200000; done; sleep 600' >/dev/null
	wait_for 30 _lo_count_ge lo-gdown 3000 || fail "nothing arrived"
	lo_recv_stop
	note "receiver stopped after $(lo_msgs lo-gdown | wc -l) lines"
	sleep 2
	lo_recv --gelf-tcp
	wait_for 90 lo_has_all lo-gdown 30000 || fail "lines lost across the receiver's restart"
	sleep 1
	lo_check_seq lo-gdown 30000 500
	lo_no_violations
	agent_stop
}

t_lo_es_receiver_down() {
	# The receiver is not there at first, comes up, goes away mid-stream
	# and comes back: every line arrives; ES dedup ids make a resent batch
	# a 409, so the receiver still stores each line once.
	_lo_dir
	LO_PORT=$(free_port)
	lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT timeout=2s"
	ctr_run lo-esdown -- sh -c 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); seq $(( (i-1)*1000+1 )) $((i*1000)); usleep 200000; done; sleep 600' >/dev/null
	wait_for 20 _lo_errors_ge 2 || fail "no send errors counted while the receiver was down"
	lo_recv
	wait_for 30 _lo_count_ge lo-esdown 5000 || fail "nothing arrived after the receiver came up"
	lo_recv_stop
	note "receiver stopped after $(lo_msgs lo-esdown | wc -l) lines"
	sleep 2
	lo_recv
	wait_for 90 lo_has_all lo-esdown 30000 || fail "lines lost across the receiver's outage"
	sleep 1
	lo_check_seq lo-esdown 30000 0
	lo_no_violations
	agent_stop
}

t_lo_syslog_receiver_down() {
	# rsyslog stops and starts again: every line arrives. syslog has no
	# acknowledgements, so a batch written just before the receiver went
	# away may be sent again: duplicates within one batch are allowed.
	lo_rsyslog
	lo_agent "syslog host=127.0.0.1 port=$LO_PORT timeout=2s"
	ctr_run lo-sysdown -- sh -c 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); seq $(( (i-1)*1000+1 )) $((i*1000)); usleep 200000; done; sleep 600' >/dev/null
	wait_for 30 _lo_count_ge lo-sysdown 3000 || fail "nothing arrived"
	kill "$LO_RECV_PID"
	wait "$LO_RECV_PID" 2>/dev/null || true
	note "rsyslog stopped after $(lo_msgs lo-sysdown | wc -l) lines"
	sleep 2
	lo_rsyslog
	wait_for 90 lo_has_all lo-sysdown 30000 || fail "lines lost across rsyslog's restart"
	sleep 1
	lo_check_seq lo-sysdown 30000 500
	assert_ge "$(metric berth_logs_output_errors_total 'output="lo"')" 1 "send errors counted"
	agent_stop
}

t_lo_es_errors() {
	# The receiver answers 429, 500, garbage, per-item 429s, then hangs,
	# then recovers: berth keeps running, counts the errors, and in the
	# end every line is there exactly once.
	lo_recv
	lo_mode 429
	lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT timeout=2s"
	ctr_run lo-eserr -- sh -c 'seq 1 3000; sleep 600' >/dev/null
	local m
	for m in 429 500 garbage items hang; do
		lo_mode "$m"
		local before
		before=$(_lo_metric berth_logs_output_errors_total)
		[ "$m" = items ] && before=$(_lo_metric berth_logs_output_records_retried_total)
		note "receiver answers $m"
		if [ "$m" = items ]; then
			wait_for 20 _lo_metric_gt berth_logs_output_records_retried_total "$before" ||
				fail "per-item 429s not retried"
		else
			wait_for 20 _lo_metric_gt berth_logs_output_errors_total "$before" ||
				fail "$m not counted as an error"
		fi
		_alive "$AGENT_PID" || fail "agent died on $m"
		grep -q "mode=$m\$" "$LO_DIR/recv.log" || fail "no request was answered with $m"
	done
	lo_mode ok
	wait_for 60 lo_has_all lo-eserr 3000 || fail "lines lost after the errors"
	sleep 1
	lo_check_seq lo-eserr 3000 0
	lo_no_violations
	agent_stop
}

t_lo_loki_reject() {
	# A 400 naming a stream (out of order, too old) rejects that stream's
	# records for good: counted, logged, and the pipeline goes on.
	lo_recv
	lo_mode reject
	lo_agent "loki url=http://127.0.0.1:$LO_PORT"
	ctr_run lo-lrej -- sh -c 'seq 1 1000; sleep 600' >/dev/null
	wait_for 30 _lo_metric_ge_rej 1000 || fail "rejections not counted"
	_alive "$AGENT_PID" || fail "agent died"
	grep -q 'rejected a record of' "$AGENT_LOG" || fail "rejection not logged"
	lo_mode ok
	ctr_run lo-lok -- sh -c 'seq 1 1000; sleep 600' >/dev/null
	# lo-lok's stream is not the first of every push any more once lo-lrej
	# is done, but mode ok stores everything anyway
	wait_for 30 lo_has_all lo-lok 1000 || fail "lines after the rejections lost"
	lo_no_violations
	agent_stop
}

t_lo_es_sigkill() {
	# berth is killed with SIGKILL at random moments while shipping to the
	# ES receiver and restarted: every line arrives, and the dedup _ids
	# turn the batch repeated after each kill into 409s, so the receiver
	# stores each line exactly once.
	local kills=3 i
	lo_recv
	lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT"
	ctr_run lo-eskill -- sh -c 'i=0; while [ $i -lt 40 ]; do i=$((i+1)); seq $(( (i-1)*1000+1 )) $((i*1000)); usleep 100000; done; sleep 600' >/dev/null
	for ((i = 0; i < kills; i++)); do
		sleep "0.$((RANDOM % 9 + 1))"
		kill -KILL "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
		note "SIGKILL $((i + 1)) after $(lo_msgs lo-eskill | wc -l) lines"
		lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT"
	done
	wait_for 90 lo_has_all lo-eskill 40000 || fail "lines lost across SIGKILL"
	sleep 1
	lo_check_seq lo-eskill 40000 0
	grep -q 'mode=' "$LO_DIR/recv.log"
	lo_no_violations
	agent_stop
}

t_lo_long_lines() {
	# Lines over Docker's 16 KiB pieces (joined by the pipeline) arrive
	# whole at the ES receiver and the GELF receiver.
	lo_recv
	lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT compress=gzip"
	ctr_run lo-long -- sh -c 'for n in 20000 100000 300000; do head -c $n /dev/zero | tr "\\0" x; echo; done; echo end; sleep 600' >/dev/null
	wait_for 30 _lo_has_line lo-long end || fail "lines after the long ones did not arrive"
	local lens
	lens=$(lo_msgs lo-long | awk '{ print length($0) }' | tr '\n' ' ')
	assert_eq "$lens" "20000 100000 300000 3 " "lengths of the received lines"
	lo_no_violations
	agent_stop
}

t_lo_bad_input_garbage() {
	# Binary garbage and invalid UTF-8 from a container reach the strict
	# receivers as valid JSON (U+FFFD), nothing crashes.
	lo_recv
	lo_agent "elasticsearch url=http://127.0.0.1:$LO_PORT"
	ctr_run lo-garb -- sh -c 'printf "ok1\n\377\376bad\200\n\000nul\n"; head -c 20000 /dev/urandom; printf "\nok2\n"; sleep 600' >/dev/null
	wait_for 30 _lo_has_line lo-garb ok2 || fail "line after the garbage did not arrive"
	lo_no_violations
	_alive "$AGENT_PID" || fail "agent died"
	# (grep without -q: an early exit would fail the pipeline with SIGPIPE)
	lo_msgs lo-garb | grep "bad" >/dev/null || fail "invalid UTF-8 line lost"
	agent_stop
}

# ---- small predicates (return their status explicitly for wait_for)

_lo_metric() {
	metric "$1" 'output="lo"' 2>/dev/null || echo 0
}

_lo_metric_gt() {
	local v
	v=$(_lo_metric "$1")
	awk -v a="$v" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'
}

_lo_errors_ge() {
	local v
	v=$(_lo_metric berth_logs_output_errors_total)
	awk -v a="$v" -v b="$1" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

_lo_metric_ge_rej() {
	local v
	v=$(_lo_metric berth_logs_output_records_rejected_total)
	awk -v a="$v" -v b="$1" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

_lo_count_ge() {
	local n
	[ -z "${LO_REFRESH:-}" ] || $LO_REFRESH
	n=$(lo_msgs "$1" | wc -l)
	[ "$n" -ge "$2" ]
}

_lo_has_line() {
	lo_msgs "$1" | grep -xF "$2" >/dev/null
}
