# shellcheck shell=bash
# lib.sh: helpers for berth's integration tests, which drive the real
# binary against the real Docker daemon.
#
# A test file tests/integration/test_AREA.sh defines functions named t_*,
# each written at the start of a line (`t_name() {`) and each pinning one
# behaviour. tests/run.sh runs every such function in its own bash process
# with this file and the test file sourced, under a timeout, so:
#   - the first failing command fails the test (this file sets -eEuo
#     pipefail), and the failing command and line are printed;
#   - whatever a test starts (agents, containers) is cleaned up by the EXIT
#     trap below however the test ends, even on timeout;
#   - a test may call `skip REASON` when the machine cannot run it.
#
# To run one test by hand from the repository root:
#   tests/run.sh test_smoke.sh:t_version
# or without the runner:
#   bash -c 'source tests/integration/lib.sh
#            source tests/integration/test_smoke.sh; t_version'
#
# Variables (all may be set before sourcing):
#   BERTH_ROOT        repository root (derived from this file's path)
#   BERTH_BIN         binary under test, default $BERTH_ROOT/build/berth
#   BERTH_TEST_IMAGE  image for test containers, default berth-test:latest
#   TEST_LOGDIR       where agent logs and scrapes go, one per test
#   BERTH_SANITIZED   1 when the runner runs BERTH_BIN built with ASan+UBSan
#                     (slower, and RSS grows by ASan's quarantine): tests
#                     may relax timing or memory thresholds on it
#
# Helpers that set variables for the caller (agent_start, ctr_run) must be
# called directly, not inside $(...), which would run them in a subshell.

set -eEuo pipefail
# Without this, `set -e` is off inside $(...): `v=$(helper)` would go on
# after a failing command in helper.
shopt -s inherit_errexit

BERTH_ROOT=${BERTH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BERTH_BIN=${BERTH_BIN:-build/berth}
case "$BERTH_BIN" in
/*) ;;
*) BERTH_BIN="$BERTH_ROOT/$BERTH_BIN" ;;
esac
BERTH_TEST_IMAGE=${BERTH_TEST_IMAGE:-berth-test:latest}
TEST_LOGDIR=${TEST_LOGDIR:-$BERTH_ROOT/test-output/manual}
mkdir -p "$TEST_LOGDIR"
BERTH_SANITIZED=${BERTH_SANITIZED:-0}
# Containers carry the run's id so that cleanup only removes this run's
# containers: two runs (or a run and a benchmark) may share one dockerd.
BERTH_TEST_RUN=${BERTH_TEST_RUN:-$$}
export BERTH_ROOT BERTH_BIN BERTH_TEST_IMAGE TEST_LOGDIR BERTH_SANITIZED BERTH_TEST_RUN

# Proxies from the environment must never see test traffic to 127.0.0.1.
export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1

AGENT_PID=
AGENT_URL=
AGENT_LOG=
CTR_ID=

# ---------------------------------------------------------------------------
# Failing, skipping, logging

# _where: "file:line" of the innermost caller outside this file, so that a
# failed assertion points at the test line rather than at lib.sh.
_where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
			return
		fi
	done
	echo "?"
}

# fail MSG...: print "FAIL: MSG (file:line)" to stderr and end the test.
fail() {
	echo "FAIL: $* ($(_where))" >&2
	exit 1
}

# skip REASON...: end the test as skipped (exit 77); the runner reports it
# as "ok ... # SKIP REASON" and counts it apart.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# note MSG...: timestamped progress line in the test's log.
note() {
	echo "# $(date +%T) $*" >&2
}

# show_file FILE [TITLE]: copy FILE (e.g. an agent log) into the test's
# log, at most its last 100 lines, to explain a failure.
show_file() {
	local f=$1 title=${2:-$1}
	[ -f "$f" ] || return 0
	echo "--- $title (last 100 lines):" >&2
	tail -n 100 "$f" >&2 || true
	echo "--- end of $title" >&2
}

# With errtrace on, print each failing command (innermost first) so a test
# stopped by `set -e` says where and why.
trap 'echo "command failed (rc=$?) at $(_where): $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------
# Cleanup: one stack per test, run in reverse order on exit.

_CLEANUPS=()

# on_exit CMD [ARGS...]: run CMD when the test ends, however it ends.
# Commands run last-registered first; their failures are ignored.
on_exit() {
	local cmd
	printf -v cmd '%q ' "$@"
	_CLEANUPS+=("$cmd")
}

# _run_cleanups: the EXIT trap. Keeps the test's exit status.
_run_cleanups() {
	local rc=$? i
	set +eE
	trap - ERR
	for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${_CLEANUPS[i]}" >/dev/null 2>&1
	done
	_CLEANUPS=()
	cleanup_all
	return "$rc"
}
trap _run_cleanups EXIT
trap 'echo "killed by SIGTERM (test timeout?)" >&2; exit 143' TERM
trap 'echo "interrupted" >&2; exit 130' INT

# ---------------------------------------------------------------------------
# The binary

# berth ARGS...: run the binary under test; fails the test cleanly when it
# has not been built.
berth() {
	[ -x "$BERTH_BIN" ] || fail "berth binary $BERTH_BIN missing or not executable (run make)"
	"$BERTH_BIN" "$@"
}

# ---------------------------------------------------------------------------
# Waiting

# wait_for SECONDS CMD [ARGS...]: run CMD every 0.2 s until it succeeds;
# after SECONDS, run it once more with its output shown and return 1.
# CMD is a predicate: when it is a shell function it must return its status
# explicitly, since `set -e` does not apply inside a condition.
wait_for() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	if "$@" >&2; then
		return 0
	fi
	echo "wait_for: '$*' still failing after $secs s ($(_where))" >&2
	return 1
}

# ---------------------------------------------------------------------------
# HTTP and the agent

# hcurl ARGS...: curl for talking to the agent: no proxy, bounded time.
hcurl() {
	curl --noproxy '*' --max-time 10 "$@"
}

# http_status URL: print the HTTP status code of GET URL (000 when nothing
# answers).
http_status() {
	hcurl -s -o /dev/null -w '%{http_code}' "$1" || true
}

# _port_listening PORT: true when something listens on TCP PORT.
_port_listening() {
	if command -v ss >/dev/null; then
		[ -n "$(ss -Htln "sport = :$1")" ]
	else
		awk -v p="$(printf ':%04X' "$1")" \
			'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			 END { exit !f }' /proc/net/tcp /proc/net/tcp6
	fi
}

# free_port: print a TCP port nobody listens on, from a random base in
# 20000-31999 (below the kernel's ephemeral range, so no outgoing
# connection holds it either).
free_port() {
	local base=$((20000 + RANDOM % 11800)) i
	for ((i = 0; i < 200; i++)); do
		if ! _port_listening $((base + i)); then
			echo $((base + i))
			return 0
		fi
	done
	fail "no free TCP port found from $base"
}

# _alive PID: true while PID exists.
_alive() {
	kill -0 "$1" 2>/dev/null
}

# _agent_kill PID: cleanup for an agent a test did not stop itself.
_agent_kill() {
	local i
	_alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 25; i++)); do
		_alive "$1" || return 0
		sleep 0.2
	done
	kill -KILL "$1" 2>/dev/null
}

# agent_start [ARGS...]: start `berth agent --listen 127.0.0.1:PORT ARGS...`
# on a free port in the background and wait (20 s at most) until /healthz
# answers. Sets and exports AGENT_URL (http://127.0.0.1:PORT), AGENT_PID
# and AGENT_LOG (its stdout and stderr). The agent is killed at the end of
# the test unless agent_stop was called.
agent_start() {
	local port i rc=0
	[ -x "$BERTH_BIN" ] || fail "berth binary $BERTH_BIN missing or not executable (run make)"
	port=$(free_port)
	AGENT_URL="http://127.0.0.1:$port"
	AGENT_LOG="$TEST_LOGDIR/agent-$port.log"
	export AGENT_URL AGENT_LOG
	note "starting: $BERTH_BIN agent --listen 127.0.0.1:$port $*"
	"$BERTH_BIN" agent --listen "127.0.0.1:$port" "$@" >"$AGENT_LOG" 2>&1 &
	AGENT_PID=$!
	export AGENT_PID
	on_exit _agent_kill "$AGENT_PID"
	for ((i = 0; i < 100; i++)); do
		if hcurl -sf -o /dev/null "$AGENT_URL/healthz"; then
			note "agent pid $AGENT_PID answers on $AGENT_URL"
			return 0
		fi
		if ! _alive "$AGENT_PID"; then
			wait "$AGENT_PID" || rc=$?
			show_file "$AGENT_LOG" "agent log"
			fail "agent exited with status $rc before answering /healthz"
		fi
		sleep 0.2
	done
	show_file "$AGENT_LOG" "agent log"
	fail "agent did not answer $AGENT_URL/healthz within 20 s"
}

# agent_stop: send SIGTERM to the agent from agent_start and assert that
# it exits with status 0 within 10 s.
agent_stop() {
	local pid=${AGENT_PID:?agent_stop: no agent started} i rc=0
	_alive "$pid" || {
		wait "$pid" || rc=$?
		show_file "$AGENT_LOG" "agent log"
		fail "agent (pid $pid) died before agent_stop (status $rc)"
	}
	kill -TERM "$pid"
	for ((i = 0; i < 50; i++)); do
		_alive "$pid" || break
		sleep 0.2
	done
	if _alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		show_file "$AGENT_LOG" "agent log"
		fail "agent did not exit within 10 s of SIGTERM"
	fi
	wait "$pid" || rc=$?
	AGENT_PID=
	if [ "$rc" -ne 0 ]; then
		show_file "$AGENT_LOG" "agent log"
		fail "agent exited with status $rc after SIGTERM, want 0"
	fi
}

# ---------------------------------------------------------------------------
# Prometheus text

_SCRAPES=0

# scrape [URL]: print the body of GET URL (default $AGENT_URL/metrics) and
# keep a numbered copy in TEST_LOGDIR. Save it to a file to read several
# metrics from one consistent scrape: `scrape >"$TEST_LOGDIR/m.txt"`.
scrape() {
	local url=${1:-$AGENT_URL/metrics} copy
	_SCRAPES=$((_SCRAPES + 1))
	copy="$TEST_LOGDIR/scrape-$BASHPID-$_SCRAPES.txt"
	hcurl -sSf "$url" >"$copy" || fail "GET $url failed"
	cat "$copy"
}

# _samples NAME REGEX [FILE]: print "labels<TAB>value" for every sample of
# metric NAME whose label set (the text between the braces, e.g.
# name="web",image="x") matches the extended regex REGEX. Reads FILE, or
# scrapes the agent when FILE is not given.
_samples() {
	local name=$1 re=${2:-} src=${3:-}
	if [ -z "$src" ]; then
		src="$TEST_LOGDIR/scrape-last.txt"
		scrape "$AGENT_URL/metrics" >"$src"
	fi
	# The regex goes through ENVIRON: awk -v would eat its backslashes.
	M_NAME=$name M_RE=$re awk '
		/^#/ || NF == 0 { next }
		{
			line = $0
			labels = ""
			if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) next
			n = substr(line, 1, RLENGTH)
			if (n != ENVIRON["M_NAME"]) next
			rest = substr(line, RLENGTH + 1)
			if (substr(rest, 1, 1) == "{") {
				# label values may hold "}", so split at the last one
				for (e = length(rest); e > 0 && substr(rest, e, 1) != "}"; e--) ;
				labels = substr(rest, 2, e - 2)
				rest = substr(rest, e + 1)
			}
			split(rest, f, " ")
			if (labels ~ ENVIRON["M_RE"]) print labels "\t" f[1]
		}' "$src"
}

# metric NAME [REGEX [FILE]]: print the value of the first sample of NAME
# whose label set matches REGEX (any sample when REGEX is empty); fails
# (status 1) when there is none. Example:
#   v=$(metric container_memory_usage_bytes 'name="web"')
metric() {
	local out
	out=$(_samples "$@")
	if [ -z "$out" ]; then
		echo "metric: no sample of $1 matching '${2:-}'" >&2
		return 1
	fi
	printf '%s\n' "$out" | head -n 1 | cut -f 2
}

# metric_count NAME [REGEX [FILE]]: print how many samples of NAME match.
metric_count() {
	_samples "$@" | wc -l
}

# ---------------------------------------------------------------------------
# Containers

# ctr_run NAME [DOCKER RUN ARGS...] -- CMD [ARGS...]: run
#   docker run -d --label berth-test=1 --name NAME ARGS... berth-test:latest CMD...
# replacing any leftover container NAME, print the id and set CTR_ID.
# The container is removed when the test ends. Publish ports on 127.0.0.1
# only: -p 127.0.0.1:PORT:PORT.
ctr_run() {
	local name=${1:?ctr_run: NAME missing}
	shift
	local args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ $# -gt 1 ] || fail "ctr_run $name: want '-- CMD' after the docker run arguments"
	shift
	docker rm -f "$name" >/dev/null 2>&1 || true
	on_exit docker rm -f "$name"
	CTR_ID=$(docker run -d --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" --name "$name" "${args[@]}" \
		"$BERTH_TEST_IMAGE" "$@") || fail "docker run of $name failed"
	export CTR_ID
	echo "$CTR_ID"
}

# cleanup_all: remove every container of this run (label berth-test-run,
# what ctr_run made). Runs at the end of every test and of every test file.
cleanup_all() {
	local ids
	command -v docker >/dev/null || return 0
	ids=$(timeout 30 docker ps -aq --filter "label=berth-test-run=$BERTH_TEST_RUN" 2>/dev/null) || return 0
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086 # one id per word
		timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
	fi
}

# ---------------------------------------------------------------------------
# Assertions: each fails the test with both values and the test's line.

# _is_num X: true when X is a decimal number awk reads exactly (optional
# sign, fraction and exponent, as Prometheus prints them).
_is_num() {
	[[ $1 =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]
}

# _num_ok X CMP Y: compare two numbers in floating point with awk.
_num_ok() {
	_is_num "$1" || fail "not a number: '$1'"
	_is_num "$3" || fail "not a number: '$3'"
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		a += 0; b += 0
		exit !((op == ">=" && a >= b) || (op == "<=" && a <= b))
	}'
}

# assert_eq GOT WANT [MSG]: string equality.
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: got '$1', want '$2'"
}

# assert_ge GOT MIN [MSG]: GOT >= MIN, as numbers.
assert_ge() {
	_num_ok "$1" ">=" "$2" || fail "${3:-assert_ge}: got $1, want >= $2"
}

# assert_le GOT MAX [MSG]: GOT <= MAX, as numbers.
assert_le() {
	_num_ok "$1" "<=" "$2" || fail "${3:-assert_le}: got $1, want <= $2"
}

# assert_between GOT LOW HIGH [MSG]: LOW <= GOT <= HIGH, as numbers.
assert_between() {
	{ _num_ok "$1" ">=" "$2" && _num_ok "$1" "<=" "$3"; } ||
		fail "${4:-assert_between}: got $1, want between $2 and $3"
}

# assert_match STRING REGEX [MSG]: STRING matches the extended regex.
assert_match() {
	[[ $1 =~ $2 ]] || fail "${3:-assert_match}: '$1' does not match /$2/"
}

# assert_contains HAYSTACK NEEDLE [MSG]: NEEDLE is a substring of HAYSTACK.
assert_contains() {
	[[ $1 == *"$2"* ]] || fail "${3:-assert_contains}: '$2' not found in: $1"
}
