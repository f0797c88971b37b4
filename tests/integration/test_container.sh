# shellcheck shell=bash
# berth as its own container (deploy/Dockerfile, deploy/docker-compose.yml,
# docs/container.md): the image is built locally (debootstrap + docker
# import, no registry), berth runs in it with exactly the documented
# privileges, and what it reports about OTHER containers is checked against
# ground truth read on the host. Container names start with `bc-`.
#
# The image is built from $BERTH_BIN; the sanitizer pass builds its own tags
# (its binary links libasan/libubsan, so its base holds other packages).

if [ "${BERTH_SANITIZED:-0}" = 1 ]; then
	BC_IMAGE=${BC_IMAGE:-berth:test-asan}
	BC_BASE=${BC_BASE:-berth-base:bookworm-asan}
else
	BC_IMAGE=${BC_IMAGE:-berth:latest}
	BC_BASE=${BC_BASE:-berth-base:bookworm}
fi

# The documented privileges (docs/container.md): nothing else.
BC_PRIVS=(--pid host --cap-drop ALL --cap-add SYS_ADMIN --cap-add SYS_PTRACE
	--security-opt no-new-privileges --read-only)
# The documented mounts, host root under /host.
BC_MOUNTS=(-v /sys/fs/cgroup:/host/sys/fs/cgroup:ro -v /proc:/host/proc:ro
	-v /var/lib/docker/containers:/host/var/lib/docker/containers:ro
	-v /var/run/docker.sock:/var/run/docker.sock:ro)

has_sample() { metric "$@" >/dev/null 2>&1; }
# value_is NAME REGEX WANT: a predicate for wait_for (which runs its command
# anew each time, unlike a $(...) in its arguments).
value_is() { [ "$(metric "$1" "$2" 2>/dev/null)" = "$3" ]; }

# bc_image: build (or reuse) the image; skip when the Debian mirror is out
# of reach, fail on any other error.
bc_image() {
	local rc=0
	BERTH_IMAGE=$BC_IMAGE BERTH_BASE_IMAGE=$BC_BASE BERTH_BIN=$BERTH_BIN \
		bash "$BERTH_ROOT/scripts/build-berth-image.sh" >"$TEST_LOGDIR/build-image.log" 2>&1 || rc=$?
	case $rc in
	0) ;;
	3) skip "debootstrap cannot reach the Debian mirror: no base image ($(tail -n 1 "$TEST_LOGDIR/build-image.log"))" ;;
	*)
		show_file "$TEST_LOGDIR/build-image.log" "build-berth-image.sh"
		fail "scripts/build-berth-image.sh failed (status $rc)"
		;;
	esac
}

# _bc_logs NAME: keep a container's output in the test log directory.
_bc_logs() {
	docker logs "$1" >"$TEST_LOGDIR/$1.log" 2>&1 || true
}

# bc_agent NAME [DOCKER RUN ARGS...] [-- BERTH AGENT ARGS...]: run berth in
# its container NAME (with BC_MOUNTS, a named volume at /var/lib/berth and
# -p 127.0.0.1:PORT:9393), listening on 0.0.0.0:9393 inside its own network
# namespace; docker run arguments default to BC_PRIVS. Sets AGENT_URL,
# AGENT_LOG (written when the test ends or by bc_logs) and BC_VOLUME; waits
# until /healthz answers. Everything is removed when the test ends.
bc_agent() {
	local name=$1 port i
	shift
	local dargs=() bargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		dargs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	bargs=("$@")
	[ ${#dargs[@]} -gt 0 ] || dargs=("${BC_PRIVS[@]}")
	port=$(free_port)
	BC_VOLUME="bc-data-$BERTH_TEST_RUN-$name"
	AGENT_URL="http://127.0.0.1:$port"
	AGENT_LOG="$TEST_LOGDIR/$name.log"
	export AGENT_URL AGENT_LOG BC_VOLUME
	docker rm -f "$name" >/dev/null 2>&1 || true
	on_exit docker volume rm -f "$BC_VOLUME"
	on_exit docker rm -f "$name"
	on_exit _bc_logs "$name"
	# SIGTERM first, so that berth exits as it would (and a sanitized build
	# checks for leaks on the way out)
	on_exit docker stop -t 10 "$name"
	# The sanitizer pass: the same options as for agents on the host, and
	# their report directory mounted, so tests/run.sh finds the reports.
	local san=()
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		local sdir
		sdir=$(sed -nE 's/.*log_path=([^:]*)\/asan.*/\1/p' <<<"$ASAN_OPTIONS")
		san+=(-e "ASAN_OPTIONS=$ASAN_OPTIONS" -e "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}")
		[ -z "$sdir" ] || san+=(-v "$sdir:$sdir")
	fi
	note "berth in a container: docker run ${dargs[*]} ... $BC_IMAGE agent --host-root /host --listen 0.0.0.0:9393 ${bargs[*]}"
	docker run -d --name "$name" --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" \
		"${dargs[@]}" "${san[@]}" "${BC_MOUNTS[@]}" -v "$BC_VOLUME:/var/lib/berth" \
		-p "127.0.0.1:$port:9393" "$BC_IMAGE" \
		agent --host-root /host --listen 0.0.0.0:9393 "${bargs[@]}" >/dev/null ||
		fail "docker run of berth's container $name failed"
	for ((i = 0; i < 100; i++)); do
		if hcurl -sf -o /dev/null "$AGENT_URL/healthz"; then
			note "containerised agent $name answers on $AGENT_URL"
			return 0
		fi
		if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
			_bc_logs "$name"
			show_file "$AGENT_LOG" "agent log ($name)"
			fail "berth's container $name exited before answering /healthz"
		fi
		sleep 0.2
	done
	_bc_logs "$name"
	show_file "$AGENT_LOG" "agent log ($name)"
	fail "berth's container $name did not answer $AGENT_URL/healthz within 20 s"
}

# cg_cpu_seconds ID: ground truth, the container's cpuacct.usage (cgroup v1)
# or cpu.stat usage_usec (v2) read on the host, in seconds.
cg_cpu_seconds() {
	local f
	for f in /sys/fs/cgroup/cpuacct/docker/"$1"/cpuacct.usage \
		/sys/fs/cgroup/cpu,cpuacct/docker/"$1"/cpuacct.usage; do
		[ -r "$f" ] && {
			awk '{ printf "%.6f\n", $1 / 1e9 }' "$f"
			return 0
		}
	done
	for f in /sys/fs/cgroup/system.slice/docker-"$1".scope/cpu.stat /sys/fs/cgroup/docker/"$1"/cpu.stat; do
		[ -r "$f" ] && {
			awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }' "$f"
			return 0
		}
	done
	fail "no cpu accounting file for container $1 on the host"
}

t_image_runs_without_privileges() {
	bc_image
	# The image is what the Dockerfile says: berth as entrypoint, the binary
	# under test, every library it links present (ldd finds them all).
	local v want
	v=$(docker run --rm --network none --read-only --cap-drop ALL "$BC_IMAGE" version)
	want=$(berth version)
	assert_eq "$v" "$want" "berth version in the image"
	local missing
	missing=$(docker run --rm --network none --entrypoint ldd "$BC_IMAGE" /usr/local/bin/berth | grep -c 'not found' || true)
	assert_eq "$missing" 0 "libraries ldd cannot find in the image"
	assert_eq "$(docker image inspect -f '{{json .Config.Entrypoint}}' "$BC_IMAGE")" '["/usr/local/bin/berth"]' "entrypoint"
	docker image inspect -f '{{json .Config.Volumes}}' "$BC_IMAGE" | grep -q '/var/lib/berth' ||
		fail "no volume for /var/lib/berth in the image"
	note "image $BC_IMAGE: $(docker image inspect -f '{{.Size}}' "$BC_IMAGE") bytes"
}

t_metrics_of_other_containers() {
	bc_image
	ctr_run bc-target -m 64m -- sh -c 'yes > /dev/null' >/dev/null
	local id=$CTR_ID
	bc_agent bc-berth-m
	wait_for 15 has_sample container_cpu_usage_seconds_total 'name="bc-target"' ||
		fail "bc-target not in the containerised agent's /metrics"
	# the limit the kernel enforces, read by berth through /host
	assert_eq "$(metric container_spec_memory_limit_bytes 'name="bc-target"')" 67108864 "64 MiB limit"
	local lim
	lim=$(cat /sys/fs/cgroup/memory/docker/"$id"/memory.limit_in_bytes 2>/dev/null ||
		cat /sys/fs/cgroup/system.slice/docker-"$id".scope/memory.max)
	assert_eq "$lim" 67108864 "host's own memory limit file"
	# CPU: berth's counter over 8 s against the host's cgroup counter over
	# the same 8 s. `yes` spins on one CPU, so the host says ~1 on an idle
	# machine (less when other work shares the cores: the comparison, not
	# the absolute figure, is the test). Each of berth's two samples is up to
	# one 1 s interval old, so its rate may differ by 1/8 CPU plus noise.
	local b0 b1 h0 h1 t0 t1 r rh
	h0=$(cg_cpu_seconds "$id")
	b0=$(metric container_cpu_usage_seconds_total 'name="bc-target"')
	t0=$(date +%s.%N)
	sleep 8
	h1=$(cg_cpu_seconds "$id")
	b1=$(metric container_cpu_usage_seconds_total 'name="bc-target"')
	t1=$(date +%s.%N)
	r=$(awk -v a="$b0" -v b="$b1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f\n", (b - a) / (t1 - t0) }')
	rh=$(awk -v a="$h0" -v b="$h1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f\n", (b - a) / (t1 - t0) }')
	note "bc-target: berth in a container says $r CPU, the host's cgroup says $rh"
	assert_ge "$rh" 0.3 "host's own figure for yes (is the machine overloaded?)"
	assert_between "$r" "$(awk -v h="$rh" 'BEGIN { print h - 0.2 }')" "$(awk -v h="$rh" 'BEGIN { print h + 0.2 }')" \
		"berth's CPU rate of bc-target vs the host's cgroup"
	# A sample is at most one interval old: berth never runs ahead of the
	# kernel, and lags it by at most ~1 interval of one CPU.
	assert_le "$b1" "$(cg_cpu_seconds "$id")" "berth's counter vs the host's, now"
	assert_ge "$b1" "$(awk -v h="$h1" 'BEGIN { print h - 1.5 }')" "berth's counter lags the host's"
	# berth sees itself too, read-only root and all
	has_sample container_memory_usage_bytes 'name="bc-berth-m"' || fail "berth does not list its own container"
}

t_services_in_other_containers() {
	bc_image
	# bound to the container's own loopback: only reachable from inside its
	# network namespace, which needs setns (CAP_SYS_ADMIN) on a namespace
	# file only CAP_SYS_PTRACE may open
	ctr_run bc-web -- sh -c 'httpd -p 127.0.0.1:8080; sleep 600' >/dev/null
	local sel='name="bc-web",proto="tcp",addr="127.0.0.1",port="8080"'
	bc_agent bc-berth-s -- --services-interval 2s
	wait_for 20 has_sample berth_service_up "$sel,process=\"httpd\"" ||
		fail "httpd in bc-web not discovered with its process"
	wait_for 10 value_is berth_service_up "$sel" 1 || fail "httpd in bc-web not probed up"
	# ground truth: the probe is real, stopping the server turns it down
	docker exec bc-web killall httpd
	wait_for 15 value_is berth_service_up "$sel" 0 || fail "bc-web's httpd stopped but still up"
}

# _logged NAME REGEX: true when container NAME's output holds REGEX.
_logged() {
	docker logs "$1" 2>&1 | grep -E "$2" >/dev/null
}

t_least_privileges_degrade_as_documented() {
	bc_image
	ctr_run bc-web2 -- httpd -f -p 127.0.0.1:8080 >/dev/null
	local short=${CTR_ID:0:12} sel='name="bc-web2",proto="tcp",addr="127.0.0.1",port="8080"'
	# No capability at all: found (from /proc/<pid>/net/tcp), owner unknown,
	# never probed up (the namespace file cannot be opened).
	bc_agent bc-berth-p0 --pid host --cap-drop ALL --security-opt no-new-privileges --read-only -- --services-interval 1s
	wait_for 20 has_sample berth_service_listening "$sel" || fail "no listener found without capabilities"
	wait_for 20 _logged bc-berth-p0 "probes for $short: Permission denied" ||
		fail "no probe error logged without CAP_SYS_PTRACE"
	assert_eq "$(metric berth_service_up "$sel,process=\"\"")" 0 "probe without capabilities"
	# ... and everything else works with no capability at all
	assert_eq "$(metric container_spec_memory_limit_bytes 'name="bc-web2"')" 0 "cgroup figures without capabilities"
	has_sample container_network_receive_bytes_total 'name="bc-web2"' || fail "network counters without capabilities"
	has_sample container_memory_usage_bytes 'image="[^"]+",name="bc-web2"' || fail "names and images (Docker API) without capabilities"
	docker rm -f bc-berth-p0 >/dev/null
	# SYS_PTRACE only: the owner is known, setns is refused.
	bc_agent bc-berth-p1 --pid host --cap-drop ALL --cap-add SYS_PTRACE --security-opt no-new-privileges --read-only -- --services-interval 1s
	wait_for 20 has_sample berth_service_listening "$sel,process=\"httpd\"" || fail "owner not found with CAP_SYS_PTRACE"
	wait_for 20 _logged bc-berth-p1 "probes for $short: Operation not permitted" ||
		fail "no setns error logged without CAP_SYS_ADMIN"
	assert_eq "$(metric berth_service_up "$sel,process=\"httpd\"")" 0 "probe without CAP_SYS_ADMIN"
	docker rm -f bc-berth-p1 >/dev/null
	# No host PID namespace: cgroup figures stay, processes are invisible, so
	# neither services nor network counters.
	bc_agent bc-berth-p2 --cap-drop ALL --cap-add SYS_ADMIN --cap-add SYS_PTRACE --security-opt no-new-privileges --read-only -- --services-interval 1s
	wait_for 15 has_sample container_spec_memory_limit_bytes 'name="bc-web2"' || fail "no cgroup figures without --pid host"
	sleep 3
	has_sample berth_service_listening 'name="bc-web2"' && fail "services found without the host's pid namespace?"
	has_sample container_network_receive_bytes_total 'name="bc-web2"' && fail "network counters without the host's pid namespace?"
	return 0
}

t_missing_mount_is_a_clear_error() {
	bc_image
	# without the host's cgroup tree under /host, berth must say so and stop,
	# not run and silently list no container
	local out rc=0
	out=$(timeout 30 docker run --rm --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" \
		"${BC_PRIVS[@]}" -v /proc:/host/proc:ro --network none \
		"$BC_IMAGE" agent --host-root /host --no-docker 2>&1) || rc=$?
	note "berth without /sys/fs/cgroup: status $rc: $out"
	[ "$rc" -ne 0 ] || fail "berth ran without the host's cgroup tree"
	assert_contains "$out" "/host/sys/fs/cgroup" "error names the missing directory"
	assert_contains "$out" "mount the host's /sys/fs/cgroup" "error says what to do"
	# nor without the host's /proc
	rc=0
	out=$(timeout 30 docker run --rm --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" \
		"${BC_PRIVS[@]}" -v /sys/fs/cgroup:/host/sys/fs/cgroup:ro --network none \
		"$BC_IMAGE" agent --host-root /host --no-docker 2>&1) || rc=$?
	note "berth without /proc: status $rc: $out"
	[ "$rc" -ne 0 ] || fail "berth ran without the host's /proc"
	assert_contains "$out" "cannot read /host/proc/1/mountinfo" "error names the missing file"
}

t_df_with_optional_mount() {
	bc_image
	# docs/container.md: `berth df` in a container needs /var/lib/docker at
	# its own path, and CAP_DAC_READ_SEARCH for files other users keep
	# private. bc-dfw writes 3 MB under a uid-1000 mode-700 directory and
	# 2000 log lines of 100 bytes.
	# shellcheck disable=SC2016 # expands in the container's shell
	ctr_run bc-dfw -- sh -c 'mkdir -p /s; head -c 3000000 /dev/urandom > /s/f; chown -R 1000:1000 /s; chmod 700 /s
		i=0; while [ $i -lt 2000 ]; do printf "%099d\n" $i; i=$((i+1)); done; touch /done; sleep 600' >/dev/null
	local id=$CTR_ID upper j got want wlog glog
	wait_for 20 docker exec bc-dfw test -e /done || fail "bc-dfw did not write its file"
	upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$id")
	[ -d "$upper" ] || skip "storage driver $(docker inspect -f '{{.Driver}}' "$id") has no upper dir"
	want=$(du -s -B1 -x "$upper" | cut -f 1)
	wlog=$(du -s -B1 -c /var/lib/docker/containers/"$id"/"$id"-json.log* | awk '$2 == "total" { print $1 }')
	j=$(docker run --rm --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" --pid host \
		--cap-drop ALL --cap-add DAC_READ_SEARCH --security-opt no-new-privileges --read-only \
		-v /var/lib/docker:/var/lib/docker:ro -v /var/run/docker.sock:/var/run/docker.sock:ro \
		"$BC_IMAGE" df --json bc-dfw)
	got=$(jq -r '.containers[] | select(.name == "bc-dfw") | .writable_bytes' <<<"$j")
	glog=$(jq -r '.containers[] | select(.name == "bc-dfw") | .logs_bytes' <<<"$j")
	note "berth df in a container: writable $got, logs $glog bytes; du -B1 on the host: $want, $wlog"
	assert_ge "$want" 3000000 "du of the writable layer"
	assert_eq "$got" "$want" "writable bytes of bc-dfw from inside a container"
	assert_ge "$wlog" 200000 "du of the log"
	assert_eq "$glog" "$wlog" "log bytes of bc-dfw from inside a container"
}

t_compose_file_runs() {
	bc_image
	command -v docker-compose >/dev/null || skip "docker-compose not installed (scripts/install-deps.sh --test)"
	local port proj
	port=$(free_port)
	proj="bc$BERTH_TEST_RUN"
	ctr_run bc-ctarget -m 96m -- sleep 600 >/dev/null
	export BERTH_LISTEN="127.0.0.1:$port" BERTH_IMAGE=$BC_IMAGE
	AGENT_URL="http://127.0.0.1:$port"
	on_exit docker-compose -p "$proj" -f "$BERTH_ROOT/deploy/docker-compose.yml" down -v --timeout 5
	docker-compose -p "$proj" -f "$BERTH_ROOT/deploy/docker-compose.yml" up -d >"$TEST_LOGDIR/compose.log" 2>&1 || {
		show_file "$TEST_LOGDIR/compose.log" "docker-compose up"
		fail "docker-compose up failed"
	}
	local cid
	cid=$(docker-compose -p "$proj" -f "$BERTH_ROOT/deploy/docker-compose.yml" ps -q berth)
	wait_for 20 hcurl -sf -o /dev/null "$AGENT_URL/healthz" || {
		docker logs "$cid" >&2 || true
		fail "berth from the compose file does not answer on $AGENT_URL"
	}
	# it runs as the compose file says: read-only, no capabilities but two
	assert_eq "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidMode}} {{.HostConfig.NetworkMode}}' "$cid")" "true host host" "compose settings"
	assert_eq "$(docker inspect -f '{{json .HostConfig.CapDrop}}' "$cid")" '["ALL"]' "cap_drop"
	assert_eq "$(docker inspect -f '{{range .HostConfig.CapAdd}}{{.}} {{end}}' "$cid" | tr ' ' '\n' | sed 's/^CAP_//' | grep . | sort | tr '\n' ' ')" \
		"SYS_ADMIN SYS_PTRACE " "cap_add"
	assert_match "$(docker inspect -f '{{json .HostConfig.SecurityOpt}}' "$cid")" 'no-new-privileges' "security_opt"
	# on the host's loopback only: nothing listens on the port elsewhere
	ss -Htln "sport = :$port" | awk '{ print $4 }' | grep -qv "^127\.0\.0\.1:$port$" &&
		fail "berth from compose listens beyond 127.0.0.1: $(ss -Htln "sport = :$port")"
	wait_for 15 has_sample container_spec_memory_limit_bytes 'name="bc-ctarget"' || fail "bc-ctarget not seen"
	assert_eq "$(metric container_spec_memory_limit_bytes 'name="bc-ctarget"')" 100663296 "96 MiB limit via compose"
	docker-compose -p "$proj" -f "$BERTH_ROOT/deploy/docker-compose.yml" stop --timeout 10 >/dev/null 2>&1
	assert_eq "$(docker inspect -f '{{.State.ExitCode}}' "$cid")" 0 "berth's exit status on docker stop"
	docker logs "$cid" >"$TEST_LOGDIR/compose-berth.log" 2>&1 || true
	grep -E "Sanitizer|runtime error:" "$TEST_LOGDIR/compose-berth.log" && fail "sanitizer report from berth under compose"
	return 0
}

# The log pipeline (issue 4, docs/config.md "Logs"): `logs on` and
# `log_output NAME file path=...` write NDJSON records carrying
# container_id, container_name and message. Until that is merged, berth does
# not know the keys, and this test skips saying so.
t_ships_every_line_of_another_container() {
	bc_image
	docker run --rm --network none "$BC_IMAGE" agent --help 2>&1 | grep -q -- '--log-output' ||
		skip "berth agent --help does not know log_output yet (log pipeline, issue 4, not merged)"
	local n=3000 conf=$TEST_LOGDIR/bc-logs.conf
	printf 'logs on\nlog_output local file path=/var/lib/berth/out.ndjson\n' >"$conf"
	chmod 644 "$conf"
	ctr_run bc-lines -- sh -c "sleep 2; i=1; while [ \$i -le $n ]; do echo \"bc-line \$i\"; i=\$((i+1)); done; sleep 600" >/dev/null
	local id=$CTR_ID
	# the host tag names the Docker host: with host networking the container
	# has the host's name; with a bridge, --hostname gives it
	bc_agent bc-berth-l "${BC_PRIVS[@]}" --hostname "$(hostname)" -v "$conf:/etc/berth.conf:ro" -- --config /etc/berth.conf
	local vol out
	vol=$(docker volume inspect -f '{{.Mountpoint}}' "$BC_VOLUME")
	out=$vol/out.ndjson
	# count the numbered lines of bc-lines in the output: every record is one
	# JSON object; the message and the container id under whichever names the
	# file output uses
	_bc_lines() {
		[ -f "$out" ] || return 0
		jq -r --arg id "$id" '
			select([.container_id?, .container?.id?, .container_name?, .container?.name?,
			        .docker?.container_id?, .docker?.container_name?, .container?]
			       | map(select(type == "string")) | any(. == $id or . == "bc-lines"))
			| [.message?, .msg?, .log?, .line?] | map(select(type == "string")) | (.[0] // "")' "$out" |
			awk '$1 == "bc-line" { print $2 }'
	}
	# shellcheck disable=SC2317 # called by wait_for
	_bc_all() { [ "$(_bc_lines | wc -l)" -ge "$n" ]; }
	wait_for 60 _bc_all || {
		_bc_logs bc-berth-l
		show_file "$AGENT_LOG" "agent log"
		fail "only $(_bc_lines | wc -l) of $n lines shipped"
	}
	sleep 3 # anything more would be a duplicate
	local got dups missing
	got=$(_bc_lines | sort -n)
	dups=$(uniq -d <<<"$got" | wc -l)
	missing=$(comm -23 <(seq 1 "$n" | sort) <(sort -u <<<"$got") | wc -l)
	assert_eq "$missing" 0 "lines of bc-lines missing from the output"
	assert_eq "$dups" 0 "lines of bc-lines shipped more than once"
	assert_eq "$(wc -l <<<"$got")" "$n" "lines shipped"
	# every record traceable: host, container, image, stream
	local tags
	tags=$(jq -r --arg id "$id" 'select(.container_id? == $id) | [.host, .container_name, .image, .stream] | join(" ")' "$out" | sort -u)
	assert_eq "$tags" "$(hostname) bc-lines $BERTH_TEST_IMAGE stdout" "tags of bc-lines' records"
}
