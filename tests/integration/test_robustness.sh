# shellcheck shell=bash
# The agent keeps working and stays bounded when its surroundings misbehave.

has_sample() { metric "$@" >/dev/null 2>&1; }

t_no_docker_socket() {
	# No Docker API: metrics still flow, named by cgroup id, said once.
	ctr_run nosock -- sleep 600 >/dev/null
	local id=$CTR_ID
	agent_start --docker-host unix:///nonexistent/docker.sock
	wait_for 10 has_sample container_memory_usage_bytes "id=\"/docker/$id\"" ||
		fail "container not exported without Docker"
	assert_eq "$(metric berth_docker_up)" 0 "berth_docker_up"
	sleep 3 # the watcher retries meanwhile; it must not repeat itself
	assert_eq "$(grep -c 'Docker API unavailable' "$AGENT_LOG")" 1 "said once"
	hcurl -sf "$AGENT_URL/api/v1/containers" | jq -e ".[] | select(.id == \"$id\")" >/dev/null ||
		fail "JSON API without Docker"
	agent_stop
}

t_docker_api_named() {
	ctr_run named -- sleep 600 >/dev/null
	agent_start
	wait_for 10 has_sample container_memory_usage_bytes 'image="berth-test:latest",name="named"' ||
		fail "name and image labels missing"
	assert_eq "$(metric berth_docker_up)" 1 "berth_docker_up"
	agent_stop
}

t_hostile_http() {
	agent_start
	local port=${AGENT_URL##*:}
	# 100 KiB header, a body on GET, garbage bytes, a POST, a long URL
	hcurl -s -o /dev/null -H "X-Big: $(head -c 102400 /dev/zero | tr '\0' a)" "$AGENT_URL/metrics" || true
	hcurl -s -o /dev/null -X POST -d x=1 "$AGENT_URL/metrics" || true
	assert_match "$(http_status "$AGENT_URL/$(head -c 20000 /dev/zero | tr '\0' a)")" '^(414|431)$' "long URL"
	printf '\x00\xff GARBAGE\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" || true
	assert_eq "$(hcurl -s -o /dev/null -w '%{http_code}' -X DELETE "$AGENT_URL/metrics")" 405 "DELETE"
	assert_eq "$(http_status "$AGENT_URL/nope")" 404 "unknown path"
	assert_eq "$(http_status "$AGENT_URL/api/v1/containers/doesnotexist")" 404 "unknown container"
	assert_eq "$(http_status "$AGENT_URL/metrics")" 200 "still serving"
	agent_stop
}

fd_count() { ls "/proc/$1/fd" | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

t_churn_keeps_fds_and_memory_flat() {
	# Containers started and removed in rounds while the agent runs at a
	# 200 ms interval: after a warm-up round (allocator arenas, curl
	# connections, the store's array), descriptors and memory must stay
	# where they were round after round, not grow with the total churned.
	agent_start --interval 200ms
	churn() { # start N containers, removing them ten at a time, one by one
		# (dockerd 20.10 has been seen to deadlock on parallel rm -f of a
		# batch while other clients inspect; berth is not a party to that)
		local n=$1 i c batch=()
		for ((i = 0; i < n; i++)); do
			# dockerd 20.10 now and then refuses a start while removals
			# are in flight ("marked for removal"): retry that one
			batch+=("$(docker run -d --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" "$BERTH_TEST_IMAGE" sleep 600 ||
				{ sleep 1; docker run -d --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" "$BERTH_TEST_IMAGE" sleep 600; })")
			if ((${#batch[@]} == 10)); then
				for c in "${batch[@]}"; do docker rm -f "$c" >/dev/null; done
				batch=()
			fi
		done
		for c in "${batch[@]}"; do docker rm -f "$c" >/dev/null; done
	}
	settled() { [ "$(metric berth_containers)" = "$(docker ps -q | wc -l)" ]; }
	local round fds=() rss=()
	for round in 0 1 2 3 4; do
		churn 50
		wait_for 30 settled
		sleep 1
		fds+=("$(fd_count "$AGENT_PID")")
		rss+=("$(rss_kib "$AGENT_PID")")
		note "after round $round ($(((round + 1) * 50)) containers): fds ${fds[round]}, rss ${rss[round]} KiB"
	done
	assert_le "${fds[4]}" "$((fds[1] + 2))" "open descriptors, round 4 vs round 1"
	if [ -z "${BERTH_SANITIZED:-}" ]; then # ASan's quarantine holds freed memory
		assert_le "${rss[4]}" "$((rss[1] + 2048))" "RSS (KiB), round 4 vs round 1"
	fi
	assert_eq "$(metric berth_containers)" "$(docker ps -q | wc -l)" "tracked containers = running ones"
	agent_stop
}

t_host_root_cgroup_v2_fixture() {
	# A cgroup v2 host with the systemd driver, podman and kubepods, from a
	# fixture tree written to the kernel's documented formats.
	local root=$BERTH_ROOT/tests/fixtures/cgroup/v2-systemd j
	j=$(berth ps --host-root "$root" --no-docker --json)
	# five cgroups look like containers; one ('ffff...') holds only garbage
	# and is left out, without an error
	assert_eq "$(jq length <<<"$j")" 4 "containers found"
	assert_eq "$(jq -r '[.[].runtime] | sort | join(",")' <<<"$j")" "containerd,docker,docker,podman" "runtimes"
	local a
	a=$(jq '.[] | select(.id | startswith("aaaa"))' <<<"$j")
	assert_eq "$(jq -r .cpu.total_seconds <<<"$a")" 2.5 "cpu seconds from cpu.stat usage_usec"
	assert_eq "$(jq -r .memory.working_set_bytes <<<"$a")" $((134217728 - 16777216)) "working set"
	assert_eq "$(jq -r .memory.oom_kills <<<"$a")" 2 "oom_kill from memory.events"
	assert_eq "$(jq -r .pressure.io.full_seconds <<<"$a")" 0.0025 "io full pressure"
	assert_eq "$(jq -r .network.rx_bytes <<<"$a")" 5000 "eth0 rx from /proc/<pid>/net/dev"
	# PSI off for the 'e' container: no pressure object at all, no fake zeros
	assert_eq "$(jq -r '.[] | select(.id | startswith("eeee")) | has("pressure")' <<<"$j")" false "no PSI"
	agent_start --host-root "$root" --no-docker
	wait_for 10 has_sample container_pressure_cpu_waiting_seconds_total 'id="/system.slice/docker-a' ||
		fail "PSI series missing"
	local n
	n=$(metric_count container_pressure_cpu_waiting_seconds_total '')
	assert_eq "$n" 3 "PSI series only where the files exist"
	agent_stop
}

t_bad_config_rejected_with_line() {
	local f=$TEST_LOGDIR/bad.conf out rc=0
	printf 'listen 127.0.0.1:9999\n# fine\nbogus_key 1\n' >"$f"
	out=$(berth agent --config "$f" 2>&1) || rc=$?
	assert_eq "$rc" 2 "exit status"
	assert_contains "$out" "line 3" "error names the line"
	assert_contains "$out" "bogus_key" "error names the key"
	rc=0
	out=$(berth agent --interval banana 2>&1) || rc=$?
	assert_eq "$rc" 2 "bad flag value"
}
