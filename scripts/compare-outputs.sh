#!/usr/bin/env bash
# compare-outputs.sh: show that two berth binaries answer the same.
#
#   scripts/compare-outputs.sh [--out DIR] [--keep] OLD_BIN NEW_BIN
#
# Why: a re-layout of the tree (issue 10) must not change any output. Unit
# tests pin what they were written for; this script compares everything a
# user or a scraper sees, from two real agents, on the same containers, at
# the same time: every HTTP route (status, content type, body), the CLI
# (stdout, stderr, exit code), the Zabbix passive items and the log
# pipeline's NDJSON records.
#
# How: it starts a fixed set of containers (label berth-compare-run=RUN,
# names bcmp-*), starts both agents side by side on free loopback ports with
# the same options, waits until both have collected, probed services and
# walked the disk, then captures each output from both at once (in
# parallel). Two agents sampling a few milliseconds apart legitimately
# differ in sampled figures, so every capture is normalised before it is
# compared:
#   - JSON: one line per leaf, "path<TAB>type<TAB>value", in document order
#     (so key order, key paths and value types are exact). Strings are
#     exact, except the few that are clocks (their digits become 9). Numbers
#     are exact for the figures that do not move (limits, ids, ports,
#     counts, created/started times, pids of processes in containers...) and
#     "~" for the others; a history's sample matrix becomes its row widths.
#     Arrays of containers keep only this script's containers (other work
#     on the same dockerd comes and goes). A format line records what the
#     leaf view cannot: compact or not, final newline, the classes of number
#     literals (int, float) and the escapes used.
#   - /metrics: HELP and TYPE lines exact, series names with their whole
#     label sets exact and in order, values exact for the families that do
#     not move and "num" for the others (NaN and Inf stay); series
#     of other containers dropped (same reason).
#   - tables: numbers become N, runs of blanks one blank (column widths
#     follow the figures); the header and this script's rows are kept.
#   - Zabbix: the value, exact for stable items, its class for moving ones;
#     LLD arrays filtered to this script's containers.
# A capture that differs is taken again once (both sides) before it is
# reported DIFF: a container of another job starting between the two
# answers, or a figure moving across a unit boundary, is not a change of
# behaviour, but a real one shows twice.
#
# Output: one verdict line per capture ("same NAME" / "DIFF NAME" followed
# by the first lines of a unified diff of the normalised texts), a summary,
# and exit status 0 when everything is the same, 1 when something differs,
# 2 on a setup failure. Normalised and raw captures stay in DIR (default a
# new temporary directory): DIR/old/NAME, DIR/new/NAME (normalised),
# DIR/raw/{old,new}/NAME, DIR/diff/NAME.diff, DIR/verdicts.txt.
#
# Not compared: berth top (a terminal UI), the event stream past its first
# frame, HTTP error paths of the server itself (malformed requests, methods,
# limits), conditional requests, log outputs other than file and the
# active-mode payloads (no receiver runs), --host-root, the values of
# figures that move (only their type or literal class), host-wide counts,
# the padding of tables, the agents' own log lines.
#
# Needs: root (cgroups, disk tracker), Docker, berth-test:latest
# (scripts/build-test-image.sh), curl, jq, zabbix_get. Takes 30 to 60 s.
set -euo pipefail

usage() {
	sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

OUT=
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out)
		OUT=${2:?--out DIR}
		shift 2
		;;
	--keep)
		KEEP=1
		shift
		;;
	-h | --help) usage ;;
	--*)
		echo "compare-outputs: unknown option $1" >&2
		usage
		;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac }
BIN_old=$(abspath "$1")
BIN_new=$(abspath "$2")
for b in "$BIN_old" "$BIN_new"; do
	[ -x "$b" ] || {
		echo "compare-outputs: $b is not an executable" >&2
		exit 2
	}
done
for t in curl jq zabbix_get docker; do
	command -v "$t" >/dev/null || {
		echo "compare-outputs: $t is not installed" >&2
		exit 2
	}
done
IMAGE=${BERTH_TEST_IMAGE:-berth-test:latest}
docker image inspect "$IMAGE" >/dev/null 2>&1 || {
	echo "compare-outputs: image $IMAGE missing (scripts/build-test-image.sh)" >&2
	exit 2
}

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/berth-compare.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/old" "$OUT/new" "$OUT/raw" "$OUT/diff" "$OUT/agents"
mkdir -p "$OUT/old" "$OUT/new" "$OUT/raw/old" "$OUT/raw/new" "$OUT/diff" "$OUT/agents"
: >"$OUT/verdicts.txt"
export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1

RUN=${BERTH_COMPARE_RUN:-$$}
P=bcmp # container name prefix
LBL=(--label "berth-compare-run=$RUN")
VOL="bcmp-vol-$RUN"
PIDS=()

note() { echo "# $(date +%T) $*" >&2; }

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$? p ids
	set +e
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	ids=$(docker ps -aq --filter "label=berth-compare-run=$RUN" 2>/dev/null)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
	docker volume rm -f "$VOL" >/dev/null 2>&1
	[ "$KEEP" = 1 ] || rm -rf "$OUT"/agents/*/buf "$OUT"/agents/*/buf-only
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Containers

run_ctr() { # NAME DOCKER-ARGS... -- CMD...
	local name=$1 args=()
	shift
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	docker rm -f "$name" >/dev/null 2>&1 || true
	docker run -d "${LBL[@]}" --name "$name" "${args[@]}" "$IMAGE" "$@" >/dev/null
}

note "starting containers (label berth-compare-run=$RUN)"
docker volume create "$VOL" >/dev/null
# fixed output, then idle: its logs and its records are exact on both sides
run_ctr $P-idle -- sh -c 'echo "hello from idle"; echo "to stderr \"quoted\" tab	end" >&2; exec sleep 86400'
run_ctr $P-burn --cpus 0.5 -- sh -c 'while :; do :; done'
run_ctr $P-lim --memory 64m --cpus 0.25 --pids-limit 50 -- sleep 86400
run_ctr $P-labels --label app=web --label secret=hidden -- sleep 86400
run_ctr $P-web --mount "type=volume,src=$VOL,dst=/data" -- httpd -f -p 8080 -h /tmp
run_ctr $P-log -- sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 1; done'
run_ctr $P-stop -- sh -c 'echo bye; exit 3'
docker wait $P-stop >/dev/null

ids() { docker ps -aq --no-trunc --filter "label=berth-compare-run=$RUN"; }
# An id prefix shared by two of our containers, for the 409 answer; stopped
# pads are made until two ids share their first digit (78 % at once).
AMBIG=
for i in $(seq 0 12); do
	AMBIG=$(ids | cut -c1 | sort | uniq -d | head -n 1)
	[ -z "$AMBIG" ] || break
	docker create "${LBL[@]}" --name "$P-pad$i" "$IMAGE" true >/dev/null
done
[ -n "$AMBIG" ] || {
	echo "compare-outputs: no shared id prefix" >&2
	exit 2
}
ID_IDLE=$(docker inspect -f '{{.Id}}' $P-idle)
OURIDS=$(ids | tr '\n' ' ')
export OURIDS

# ---------------------------------------------------------------------------
# Agents

port_busy() { [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }
free_port() {
	local p=$((20000 + RANDOM % 11000))
	while port_busy $p || port_busy $((p + 1)); do p=$((p + 2)); done
	echo $p
}

# Zabbix active mode is on, towards a port nobody listens on: its job runs
# and its /metrics families are rendered (failed pushes counted), which
# nothing else here would show.
ZBX_NOWHERE=$(free_port)
# start_agent SIDE [ARGS...]: the agent of SIDE with the options of this
# comparison, or with ARGS when given (each SIDE's files in agents/SIDE)
start_agent() {
	local s=$1 bin port
	shift
	bin=BIN_$s
	port=$(free_port)
	mkdir -p "$OUT/agents/$s"
	eval "URL_$s=http://127.0.0.1:$port ZPORT_$s=$((port + 1))"
	note "agent $s: ${!bin} on 127.0.0.1:$port, Zabbix on $((port + 1))"
	[ $# -gt 0 ] || set -- --zabbix-listen "127.0.0.1:$((port + 1))" \
		--label-allow app --services-interval 2s --logs on \
		--zabbix-active "127.0.0.1:$ZBX_NOWHERE" --zabbix-active-interval 1s --zabbix-host bcmp-host \
		--logs-buffer-dir "$OUT/agents/$s/buf" --logs-containers "$P-*" \
		--log-output "out file path=$OUT/agents/$s/out.ndjson"
	"${!bin}" agent --listen "127.0.0.1:$port" "$@" >>"$OUT/agents/$s/agent.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$s=$!"
	# the ports are taken only when the agent binds them: a second agent
	# started at once must not pick the same ones
	for _ in $(seq 100); do
		port_busy "$port" && return 0
		sleep 0.1
	done
	echo "compare-outputs: agent $s does not listen; its log:" >&2
	tail -n 20 "$OUT/agents/$s/agent.log" >&2
	exit 2
}
start_agent old
start_agent new
note "waiting for both agents: cycles, services probed, disk walked, logs shipped"
ready() { # SIDE
	local u=URL_$1 f=$OUT/agents/$1/out.ndjson
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${!u}/healthz")" = 200 ] &&
		curl -s "${!u}/api/v1/containers/$P-web/services" |
		jq -e '.services | length > 0 and all(.[]; .probed and .up)' >/dev/null &&
		curl -s "${!u}/api/v1/disk" |
		jq -e --arg p "$P-" '.ready and ([.containers[] | select(.name | startswith($p)) | .ready] | length >= 7 and all)' >/dev/null &&
		[ -f "$f" ] && grep -q "\"container_name\":\"$P-idle\"" "$f" &&
		[ "$(grep -c "\"container_name\":\"$P-log\"" "$f")" -ge 3 ]
}
t0=$SECONDS
until ready old && ready new; do
	if ((SECONDS - t0 > 90)); then
		echo "compare-outputs: agents not ready after 90 s" >&2
		tail -n 20 "$OUT"/agents/*/agent.log >&2
		exit 2
	fi
	sleep 0.5
done
sleep 3 # a few more cycles, so rates are valid on both
note "both ready after $((SECONDS - t0 + 3)) s"

# ---------------------------------------------------------------------------
# Normalisers: stdin raw, stdout normalised text.

# Leaf keys whose numbers do not move between two agents on one host.
# Host-wide counts (containers_running, _total, _unhealthy) are not among
# them: other jobs' containers move them. The count of our containers is
# exact anyway: it is the length of every filtered list.
STABLE_NUM='^(cpus|memory_total_bytes|quota_us|period_us|shares|limit_cores|limit_bytes|limit|swap_limit_bytes|port|uid|ppid|pid|restart_count|exit_code|created|started_at|layers|files|log_files|writable_files|writable_bytes|writable_apparent_bytes|volumes_bytes|volumes_apparent_bytes|threads|status|streams|streams_refused|n|count|\{#PORT\})$'
# Leaf keys whose strings are clocks.
MOVING_STR='^(time|checked_at|sampled_at|updated_at|since)$'
JQ_NORM='
def mine: tostring | startswith("bcmp-");
def ours:
	if type != "object" then true
	elif has("{#CONTAINER.NAME}") then ."{#CONTAINER.NAME}" | mine
	elif has("container_name") then .container_name | mine
	elif has("name") and ((.id? // "") | tostring | test("^[0-9a-f]{64}$")) then .name | mine
	else true end;
def img_ok:
	if type == "object" and ((.id? // "") | tostring | startswith("sha256:")) and has("layers")
	then .name == "berth-test:latest" else true end;
def keep: if type == "array" then map(select(ours and img_ok)) else . end;
def leaves($p; $k):
	if type == "object" then
		if length == 0 then "\($p)\tobject\t{}"
		else to_entries[] as $e | ($e.value | leaves($p + "." + $e.key; $e.key)) end
	elif type == "array" then
		if length == 0 then "\($p)\tarray\t[]"
		elif all(.[]; type == "array") and all(.[][]; type == "number") then
			"\($p)\tarray\trows of \(map(length) | unique | map(tostring) | join("/")) numbers"
		else to_entries[] as $e | ($e.value | leaves($p + "[\($e.key)]"; $k)) end
	elif type == "number" then
		"\($p)\tnumber\t\(if ($k | test($stable)) and ($p | test("^\\.totals\\.") | not) then tostring else "~" end)"
	elif type == "string" then
		"\($p)\tstring\t\(if ($k | test($movs)) then gsub("[0-9]"; "9") else tojson end)"
	else "\($p)\t\(type)\t\(tojson)" end;
walk(keep) | leaves(""; "")
'
# Extra jq filter applied before the generic one, per capture.
PRE=.

# fmt_line FILE: what the leaf view cannot see about a JSON text.
fmt_line() {
	local f=$1 bare
	bare=$(sed -E 's/"(\\.|[^"\\])*"/S/g' "$f")
	printf 'format\tcompact=%s\tfinal_newline=%s\tnumbers=%s\tescapes=%s\n' \
		"$(printf '%s' "$bare" | grep -q '[[:space:]]' && echo no || echo yes)" \
		"$([ -s "$f" ] && [ -z "$(tail -c 1 "$f")" ] && echo yes || echo no)" \
		"$(printf '%s' "$bare" | grep -oE -- '-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?' |
			sed -E 's/.*[.eE].*/float/; s/^-?[0-9]+$/int/' | sort -u | tr '\n' ',')" \
		"$(grep -oE '\\(u[0-9a-fA-F]{4}|.)' "$f" | sort -u | tr '\n' ',')"
}

norm_json() { # FILE (raw) -> stdout
	local f=$1
	if [ ! -s "$f" ]; then
		echo "empty"
		return
	fi
	if ! jq -e . "$f" >/dev/null 2>&1; then
		echo "not JSON:"
		cat "$f"
		return
	fi
	fmt_line "$f"
	jq -r --arg stable "$STABLE_NUM" --arg movs "$MOVING_STR" "$PRE | $JQ_NORM" "$f"
}

norm_ndjson() { # FILE: one JSON document per line, each normalised
	local f=$1 line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$f.line"
		echo "record $n"
		norm_json "$f.line"
	done <"$f"
	rm -f "$f.line"
}

# Prometheus families whose values do not move.
PROM_STABLE='^(container_spec_.*|machine_.*|berth_.*_info|berth_service_(listening|up)|container_threads_max|container_start_time_seconds|berth_container_restarts|berth_docker_up|berth_disk_first_walk_done|berth_logs_inputs|berth_logs_paused|berth_image_fs_bytes|berth_container_fs_(writable_bytes|writable_apparent_bytes|writable_files|volumes_bytes|logs_files))$'
norm_prom() {
	awk -v stable="$PROM_STABLE" -v ours="$OURIDS" '
	BEGIN { n = split(ours, a, " "); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
	function cls(v) { # a moving value: a number (%g moves between
		# 12, 0.5 and 5e-05 with the value) or its special literal
		if (v ~ /^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/) return "num"
		return v # NaN, +Inf
	}
	/^#/ { print; next }
	NF == 0 { print "(empty line)"; next }
	{
		line = $0
		brace = index(line, "{")
		sp = index(line, " ")
		if (brace && brace < sp) {
			for (e = length(line); e > 0 && substr(line, e, 1) != "}"; e--) ;
			series = substr(line, 1, e)
			rest = substr(line, e + 2)
		} else {
			series = substr(line, 1, sp - 1)
			rest = substr(line, sp + 1)
		}
		name = series; sub(/\{.*/, "", name)
		if (match(series, /[{,]name="[^"]*"/)) {
			v = substr(series, RSTART, RLENGTH); sub(/^.name="/, "", v); sub(/"$/, "", v)
			if (v !~ /^bcmp-/) next
		} else if (match(series, /[{,]image="[^"]*"/)) { # an image series
			v = substr(series, RSTART, RLENGTH); sub(/^.image="/, "", v); sub(/"$/, "", v)
			if (v != "berth-test:latest") next
		} else if (match(series, /id="(\/docker\/)?[0-9a-f]{64}"/)) {
			v = substr(series, RSTART, RLENGTH); sub(/^id="(\/docker\/)?/, "", v); sub(/"$/, "", v)
			if (!(v in mine)) next
		}
		split(rest, f, " ")
		val = name ~ stable ? f[1] : cls(f[1])
		print series " " val (f[2] != "" ? " <timestamp>" : "")
	}'
}

norm_table() {
	# Column widths follow the widest value of every row shown, other jobs'
	# containers included, so padding cannot be compared; what can is the
	# columns: a run of two or more blanks (the gap between columns, at
	# least three wide) becomes " | ", a single blank (inside "CPU %",
	# "0B/s / 0B/s") stays. Rows kept: the header, ours, those whose first
	# word is upper case (IMAGES, TOTAL) and image rows; numbers become N
	# except in the header.
	awk -v all="${TABLE_ALL:-0}" 'all || NR == 1 || /bcmp-/ || $1 ~ /^[A-Z]+$/ || $1 == "image"' |
		sed -E '2,${s/[0-9]+(\.[0-9]+)?/N/g}; s/[[:blank:]]+$//; s/^[[:blank:]]{2,}/| /; s/[[:blank:]]{2,}/ | /g'
}

norm_text() { # exact, but the git revision and version strings
	sed -E 's/\([0-9a-f]{7,40}(-dirty)?\)/(REV)/g'
}

# ---------------------------------------------------------------------------
# Captures

N_SAME=0
N_DIFF=0
DIFFS=()

# compare NAME: normalised old vs new; 0 when the same.
compare() {
	cmp -s "$OUT/old/$1" "$OUT/new/$1"
}

verdict() { # NAME RETRIED
	local name=$1
	if compare "$name"; then
		N_SAME=$((N_SAME + 1))
		echo "same  $name${2:+ (after a retry)}" | tee -a "$OUT/verdicts.txt"
		rm -f "$OUT/diff/$name.diff"
	else
		N_DIFF=$((N_DIFF + 1))
		DIFFS+=("$name")
		diff -u --label "old/$name" --label "new/$name" "$OUT/old/$name" "$OUT/new/$name" >"$OUT/diff/$name.diff" || true
		echo "DIFF  $name" | tee -a "$OUT/verdicts.txt"
		head -n 30 "$OUT/diff/$name.diff" | sed 's/^/      /' | tee -a "$OUT/verdicts.txt"
		[ "$(wc -l <"$OUT/diff/$name.diff")" -le 30 ] ||
			echo "      ... ($(wc -l <"$OUT/diff/$name.diff") lines in diff/$name.diff)" | tee -a "$OUT/verdicts.txt"
	fi
}

# http NAME KIND PATH: GET on both agents at once; status, content type
# and the normalised body.
http_one() { # SIDE NAME PATH
	local s=$1 name=$2 path=$3 u=URL_$1 r="$OUT/raw/$1/$2"
	# CURL_EXTRA: more curl arguments for this capture (compression, a
	# time limit for the event stream)
	# shellcheck disable=SC2086 # a word list
	curl -s --max-time 20 ${CURL_EXTRA:-} -o "$r" -D "$r.headers" -w '%{http_code}' "${!u}$path" >"$r.status" || true
}
http_norm() { # SIDE NAME KIND
	local s=$1 name=$2 kind=$3 r="$OUT/raw/$1/$2"
	{
		echo "status $(cat "$r.status")"
		# headers in order, less those that move with time and size
		tr -d '\r' <"$r.headers" | grep -v -i -E '^(date|content-length):' | grep -v '^$' | sed 's/^/header /'
		case $kind in
		json) norm_json "$r" ;;
		prom) norm_prom <"$r" ;;
		sse) # the first frame: its id line and its JSON, rows filtered to ours
			sed -n '1{s/[0-9]/9/g;p}' "$r"
			sed -n '/^data: /{s/^data: //;p;q}' "$r" >"$r.frame"
			PRE='.rows |= map(select(any(.[]?; type == "string" and startswith("bcmp-"))))' norm_json "$r.frame"
			;;
		bytes) echo "body sha256 $(sha256sum <"$r" | cut -c1-64) $(wc -c <"$r") bytes" ;;
		text) norm_text <"$r" ;;
		esac
	} >"$OUT/$s/$name"
}
http() { # NAME KIND PATH
	local name=$1 kind=$2 path=$3 retried=
	for try in 1 2; do
		http_one old "$name" "$path" &
		p1=$!
		http_one new "$name" "$path" &
		# not a bare wait: the agents are children too
		wait $p1 $!
		http_norm old "$name" "$kind"
		http_norm new "$name" "$kind"
		compare "$name" && break
		retried=1
		[ $try = 2 ] || sleep 1
	done
	verdict "$name" "$retried"
}

# cli NAME KIND ARGS...: run BIN ARGS on both at once; @URL in ARGS is the
# side's agent URL. Exit code, normalised stdout, stderr.
cli_one() { # SIDE NAME ARGS...
	local s=$1 name=$2 bin=BIN_$1 u=URL_$1 a args=()
	shift 2
	for a in "$@"; do args+=("${a//@URL/${!u}}"); done
	local rc=0
	timeout 60 "${!bin}" "${args[@]}" >"$OUT/raw/$s/$name" 2>"$OUT/raw/$s/$name.stderr" || rc=$?
	echo "$rc" >"$OUT/raw/$s/$name.rc"
}
cli_norm() { # SIDE NAME KIND
	local s=$1 name=$2 kind=$3 r="$OUT/raw/$1/$2" u=URL_$1
	{
		echo "exit $(cat "$r.rc")"
		echo "--- stdout"
		case $kind in
		json) norm_json "$r" ;;
		table) norm_table <"$r" ;;
		text) norm_text <"$r" ;;
		esac
		echo "--- stderr"
		sed "s#${!u}#AGENT_URL#g" "$r.stderr" | norm_text
	} >"$OUT/$s/$name"
}
cli() { # NAME KIND ARGS...
	local name=$1 kind=$2 retried=
	shift 2
	for try in 1 2; do
		cli_one old "$name" "$@" &
		p1=$!
		cli_one new "$name" "$@" &
		# not a bare wait: the agents are children too
		wait $p1 $!
		cli_norm old "$name" "$kind"
		cli_norm new "$name" "$kind"
		compare "$name" && break
		retried=1
		[ $try = 2 ] || sleep 1
	done
	verdict "$name" "$retried"
}

# zbx NAME KIND KEY: zabbix_get on both ports. KIND: exact, num (a moving
# figure: its class), lld (JSON, filtered to our containers).
zbx_one() { # SIDE NAME KEY
	local s=$1 p=ZPORT_$1 rc=0
	timeout 20 zabbix_get -s 127.0.0.1 -p "${!p}" -k "$3" >"$OUT/raw/$s/$2" 2>&1 || rc=$?
	echo "$rc" >"$OUT/raw/$s/$2.rc"
}
zbx_norm() { # SIDE NAME KIND
	local s=$1 r="$OUT/raw/$1/$2"
	{
		echo "exit $(cat "$r.rc")"
		case $3 in
		exact) cat "$r" ;;
		num) # a moving figure: its literal's class, with the fraction's
			# width (a printf precision, fixed per item)
			awk '/^-?[0-9]+$/ { print "int"; next }
			     /^-?[0-9]*\.[0-9]+$/ { sub(/^[^.]*\./, ""); print "dec." length($0); next }
			     { print }' "$r" ;;
		lld) norm_json "$r" ;;
		esac
	} >"$OUT/$s/$2"
}
zbx() { # NAME KIND KEY
	local name=zbx_$1 kind=$2 key=$3 retried=
	for try in 1 2; do
		zbx_one old "$name" "$key" &
		p1=$!
		zbx_one new "$name" "$key" &
		# not a bare wait: the agents are children too
		wait $p1 $!
		zbx_norm old "$name" "$kind"
		zbx_norm new "$name" "$kind"
		compare "$name" && break
		retried=1
		[ $try = 2 ] || sleep 1
	done
	verdict "$name" "$retried"
}

note "capturing"
T_CAP=$SECONDS

# ---- HTTP: the agent's routes
http metrics prom /metrics
CURL_EXTRA=--compressed http metrics_gzip prom /metrics
CURL_EXTRA='-N --max-time 2.5' http stream sse /api/v1/stream
http healthz text /healthz
http host json /api/v1/host
http containers json /api/v1/containers
http containers_all json '/api/v1/containers?all=1'
http container_by_name json /api/v1/containers/$P-lim
http container_labels json /api/v1/containers/$P-labels
http container_stopped json /api/v1/containers/$P-stop
http container_by_id12 json "/api/v1/containers/${ID_IDLE:0:12}"
http container_by_id64 json "/api/v1/containers/$ID_IDLE"
http container_ambiguous json "/api/v1/containers/$AMBIG"
http container_missing json /api/v1/containers/nosuch-container
http container_subpath json /api/v1/containers/$P-lim/nosuch
http history json /api/v1/containers/$P-idle/history
http history_range json "/api/v1/containers/$P-burn/history?since=-30s&step=5s"
http history_bad_range json "/api/v1/containers/$P-idle/history?since=banana"
http history_missing json /api/v1/containers/nosuch-container/history
http services json /api/v1/containers/$P-web/services
http services_none json /api/v1/containers/$P-idle/services
http services_missing json /api/v1/containers/nosuch-container/services
http host_history json /api/v1/host/history
http disk json /api/v1/disk
http logs_idle json /api/v1/containers/$P-idle/logs
http logs_tail json "/api/v1/containers/$P-log/logs?tail=2"
http logs_bad_tail json "/api/v1/containers/$P-idle/logs?tail=0"
http logs_missing json /api/v1/containers/nosuch-container/logs
http logs_ambiguous json "/api/v1/containers/$AMBIG/logs"
http dashboard bytes /
http dashboard_index bytes /index.html
# every static asset the index names
# shellcheck disable=SC2154 # URL_old is set by eval in start_agent
asset_list=$(curl -s "$URL_old/" | grep -oE '(src|href)="/?[^"#?]+"' | sed -E 's/^(src|href)="\/?//; s/"$//' | grep -v '^http' | sort -u)
for a in $asset_list; do
	http "asset_${a//[^A-Za-z0-9._-]/_}" bytes "/$a"
done
http not_found text /nosuch
http api_not_found text /api/v1/nosuch

# ---- CLI
cli version text version
cli help text --help
cli help_agent text agent --help
cli help_ps text ps --help
cli help_df text df --help
cli help_services text services --help
cli help_top text top --help
cli unknown_command text nosuch
cli agent_bad_flag text agent --nosuch
cli ps_bad_flag text ps --nosuch
cli ps_json json ps --json --agent @URL
cli ps_all_json json ps -a --json --agent @URL
cli ps_table table ps --agent @URL
cli ps_all_table table ps -a --agent @URL
cli ps_format table ps --agent @URL --format 'table {{.Name}}\t{{.Image}}\t{{.State}}\t{{.PIDs}}'
cli ps_sort_name table ps --agent @URL --sort name
cli ps_noagent_json json ps --no-agent --json
cli ps_name_json json ps $P-web --json --agent @URL
TABLE_ALL=1 cli ps_name table ps $P-web --agent @URL
cli ps_missing text ps nosuch-container --agent @URL
cli df_json json df --json --agent @URL
cli df_table table df --agent @URL
cli df_bytes table df --bytes --agent @URL
cli df_name_json json df $P-web --json --agent @URL
cli df_missing text df nosuch-container --agent @URL
cli df_noagent_json json df --no-agent --json
cli df_noagent_name_json json df $P-log --no-agent --json
cli services_json json services --json --agent @URL
cli services_table table services --agent @URL
cli services_name_json json services $P-web --json --agent @URL
cli services_noagent_json json services $P-web --json --no-agent

# ---- option errors: every key of the config file and its flag, with a
# bad value; a `listen bogus` after it fails anyway, so a bad value that is
# accepted shows as the listen error (and no agent starts)
KEYS='listen interval history host_root docker_host docker label_allow log_level
http_max_connections http_timeout services services_interval probe_timeout
probe_http probe_ignore zabbix_listen zabbix_allow zabbix_active zabbix_host
zabbix_active_interval zabbix_active_items disk disk_interval disk_verify
disk_fanotify disk_max_dirs logs only log_output log_files logs_containers
logs_buffer_dir logs_buffer_max logs_full_policy logs_fsync logs_poll
logs_line_max'
CF="$OUT/agents/bad.conf"
for k in $KEYS nosuch_key; do
	printf '# a comment\n\n%s !bad!\nlisten bogus\n' "$k" >"$CF.$k"
	cli "config_bad_$k" text agent --config "$CF.$k"
	cli "flag_bad_$k" text agent "--${k//_/-}" '!bad!' --listen bogus
done
printf 'interval\n' >"$CF.novalue"
cli config_no_value text agent --config "$CF.novalue"
cli config_missing_file text agent --config "$OUT/agents/nosuch.conf"
cli flag_no_value text agent --interval
for o in 'o nosuchtype' 'o file' 'o file path=/tmp/x nosuch=1' 'o file path=relative' \
	'o loki url=notaurl' 'o syslog host=' 'o elasticsearch url=http://127.0.0.1:1 compress=maybe' \
	'o gelf host=127.0.0.1:1 tls=maybe' 'o redis host=127.0.0.1:1 timeout=banana' 'bad'; do
	cli "log_output_${o//[^A-Za-z0-9]/_}" text agent --log-output "$o" --listen bogus
done
cli ps_bad_sort text ps --sort banana --no-agent
cli ps_bad_sample text ps --sample banana
cli df_bad_sort text df --sort banana --no-agent
cli services_bad_timeout text services --probe-timeout banana --no-agent

# ---- Zabbix passive checks
zbx agent.ping exact agent.ping
zbx agent.version exact agent.version
zbx agent.hostname exact agent.hostname
zbx containers.count num berth.containers.count # host-wide: other jobs move it
zbx containers.discovery lld berth.containers.discovery
zbx services.discovery lld berth.services.discovery
zbx volumes.discovery lld berth.volumes.discovery
zbx disk.images num berth.disk.images # host-wide
for c in $P-lim $P-burn $P-web; do
	for it in state health restarts cpu.limit memory.limit pids oom_kills; do
		zbx "${it}[$c]" exact "berth.container.${it}[$c]"
	done
	for it in cpu cpu.throttled memory memory.usage memory.pused net.rx net.tx blk.read blk.write; do
		zbx "${it}[$c]" num "berth.container.${it}[$c]"
	done
	for it in writable volumes; do
		zbx "disk.${it}[$c]" exact "berth.container.disk.${it}[$c]"
	done
	for it in logs total growth; do
		zbx "disk.${it}[$c]" num "berth.container.disk.${it}[$c]"
	done
done
zbx "disk.volume[$P-web,$VOL]" exact "berth.container.disk.volume[$P-web,$VOL]"
zbx "disk.volume[$P-web,nosuch]" exact "berth.container.disk.volume[$P-web,nosuch]"
zbx "disk.writable[$P-stop]" exact "berth.container.disk.writable[$P-stop]"
zbx "disk.writable[nosuch]" exact "berth.container.disk.writable[nosuch]"
zbx "disk.writable[]" exact "berth.container.disk.writable[]"
zbx "disk.nosuch[$P-web]" exact "berth.container.disk.nosuch[$P-web]"
zbx "state[$P-stop]" exact "berth.container.state[$P-stop]"
zbx "cpu[nosuch]" exact "berth.container.cpu[nosuch]"
zbx "cpu[]" exact "berth.container.cpu[]"
zbx "cpu" exact "berth.container.cpu"
zbx "nosuch[$P-web]" exact "berth.container.nosuch[$P-web]"
zbx "service.up[$P-web,8080,tcp]" exact "berth.service.up[$P-web,8080,tcp]"
zbx "service.up[$P-web,9999,tcp]" exact "berth.service.up[$P-web,9999,tcp]"
zbx "service.up[$P-web,8080,udp]" exact "berth.service.up[$P-web,8080,udp]"
zbx "service.latency[$P-web,8080,tcp]" num "berth.service.latency[$P-web,8080,tcp]"
zbx "service.latency[$P-web,9999,tcp]" exact "berth.service.latency[$P-web,9999,tcp]"
zbx "service.nosuch[$P-web,8080]" exact "berth.service.nosuch[$P-web,8080]"
zbx "nosuch" exact berth.nosuch
zbx "bad_key" exact 'berth.container.cpu[unclosed'

# ---- the log pipeline's output: the records of the idle container (its
# two lines are exact) and the first three of the writing one
logrec() {
	local s
	for s in old new; do
		grep -E "\"container_name\":\"($P-idle|$P-stop)\"" "$OUT/agents/$s/out.ndjson" |
			sort >"$OUT/raw/$s/log_records_idle" || true
		grep "\"container_name\":\"$P-log\"" "$OUT/agents/$s/out.ndjson" |
			head -n 3 >"$OUT/raw/$s/log_records_first3" || true
		for n in log_records_idle log_records_first3; do
			norm_ndjson "$OUT/raw/$s/$n" >"$OUT/$s/$n"
		done
	done
	verdict log_records_idle ""
	verdict log_records_first3 ""
}
logrec

# ---- the agents' exit on SIGTERM (status, and whether in time)
# both get SIGTERM at once; each is waited for here (the main shell is
# their parent)
stop_agent() { # SIDE
	local p=PID_$1 rc=0 i
	for ((i = 0; i < 100; i++)); do
		kill -0 "${!p}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${!p}" 2>/dev/null; then
		echo "still running 10 s after SIGTERM"
		return
	fi
	wait "${!p}" || rc=$?
	echo "exit $rc"
}
# shellcheck disable=SC2154 # PID_old and PID_new are set by eval in start_agent
kill -TERM "$PID_old" "$PID_new"
stop_agent old >"$OUT/old/agent_sigterm"
stop_agent new >"$OUT/new/agent_sigterm"
verdict agent_sigterm ""

# ---- `agent --only logs --no-docker` with plain files: the routes it
# answers (/metrics with only the pipeline's families, /healthz) and the
# text of the others
mkdir -p "$OUT/agents/plain"
printf 'plain line one\nplain line two\n' >"$OUT/agents/plain/a.log"
for s in old new; do
	start_agent $s --only logs --no-docker --log-files "$OUT/agents/plain/*.log" \
		--logs-buffer-dir "$OUT/agents/$s/buf-only" \
		--log-output "out file path=$OUT/agents/$s/only.ndjson"
done
t0=$SECONDS
until [ "$(grep -c 'plain line' "$OUT/agents/old/only.ndjson" 2>/dev/null)" = 2 ] &&
	[ "$(grep -c 'plain line' "$OUT/agents/new/only.ndjson" 2>/dev/null)" = 2 ]; do
	((SECONDS - t0 < 30)) || break
	sleep 0.3
done
http only_logs_metrics prom /metrics
http only_logs_healthz text /healthz
http only_logs_containers text /api/v1/containers
http only_logs_dashboard text /
for s in old new; do
	cp "$OUT/agents/$s/only.ndjson" "$OUT/raw/$s/only_logs_records" 2>/dev/null || : >"$OUT/raw/$s/only_logs_records"
	norm_ndjson "$OUT/raw/$s/only_logs_records" >"$OUT/$s/only_logs_records"
done
verdict only_logs_records ""
kill -TERM "$PID_old" "$PID_new"
stop_agent old >"$OUT/old/only_logs_sigterm"
stop_agent new >"$OUT/new/only_logs_sigterm"
verdict only_logs_sigterm ""

note "captured in $((SECONDS - T_CAP)) s"
echo "summary: $N_SAME same, $N_DIFF DIFF (normalised captures in $OUT)" | tee -a "$OUT/verdicts.txt"
[ "$N_DIFF" -eq 0 ] || {
	echo "differ: ${DIFFS[*]}" | tee -a "$OUT/verdicts.txt"
	exit 1
}
exit 0
