# shellcheck shell=bash
# Container metrics against ground truth: real containers doing known work,
# read back from the agent's /metrics, `berth ps` and the JSON API.

# rate NAME REGEX SECONDS: per-second increase of a counter over SECONDS,
# from two scrapes, using the wall time between them.
rate() {
	local name=$1 re=$2 secs=$3 v0 v1 t0 t1
	v0=$(metric "$name" "$re")
	t0=$(date +%s.%N)
	sleep "$secs"
	v1=$(metric "$name" "$re")
	t1=$(date +%s.%N)
	awk -v a="$v0" -v b="$v1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f\n", (b - a) / (t1 - t0) }'
}

has_sample() { metric "$@" >/dev/null 2>&1; }
no_sample() { ! metric "$@" >/dev/null 2>&1; }

t_cpu_one_core() {
	# `yes` spins on one CPU: the counter must grow by about 1 s per second.
	ctr_run burn -- sh -c 'yes > /dev/null' >/dev/null
	agent_start
	wait_for 10 has_sample container_cpu_usage_seconds_total 'name="burn"'
	local r
	r=$(rate container_cpu_usage_seconds_total 'name="burn"' 5)
	note "burn uses $r CPU"
	assert_between "$r" 0.85 1.1 "cpu of a container running yes"
	# berth ps agrees: CPU % near 100
	local pct
	pct=$(berth ps --format '{{.Name}} {{.CPUPerc}}' | awk '$1 == "burn" { sub("%", "", $2); print $2 }')
	assert_between "$pct" 80 110 "berth ps CPU % of burn"
}

t_cpu_half_core_throttled() {
	# --cpus 0.5: quota 50000/100000; the container is held near half a core
	# and the kernel counts throttled periods.
	ctr_run half --cpus 0.5 -- sh -c 'yes > /dev/null' >/dev/null
	agent_start
	wait_for 10 has_sample container_cpu_cfs_throttled_periods_total 'name="half"'
	assert_eq "$(metric container_spec_cpu_quota 'name="half"')" 50000 "quota"
	assert_eq "$(metric container_spec_cpu_period 'name="half"')" 100000 "period"
	local r t0 t1
	t0=$(metric container_cpu_cfs_throttled_periods_total 'name="half"')
	r=$(rate container_cpu_usage_seconds_total 'name="half"' 5)
	t1=$(metric container_cpu_cfs_throttled_periods_total 'name="half"')
	note "half uses $r CPU, throttled periods $t0 -> $t1"
	assert_between "$r" 0.4 0.6 "cpu of a --cpus 0.5 container"
	assert_ge "$((t1 - t0))" 20 "throttled periods in 5 s (about 50 expected)"
	local ts
	ts=$(rate container_cpu_cfs_throttled_seconds_total 'name="half"' 3)
	assert_ge "$ts" 0.1 "throttled seconds grow"
}

t_memory_limit() {
	ctr_run lim -m 64m -- sleep 600 >/dev/null
	agent_start
	wait_for 10 has_sample container_spec_memory_limit_bytes 'name="lim"'
	assert_eq "$(metric container_spec_memory_limit_bytes 'name="lim"')" 67108864 "64 MiB limit"
	local json
	json=$(hcurl -sf "$AGENT_URL/api/v1/containers/lim")
	assert_eq "$(jq -r .memory.limit_bytes <<<"$json")" 67108864 "JSON limit_bytes"
	assert_eq "$(jq -r .name <<<"$json")" lim "JSON name"
}

t_memory_filled() {
	# 40 MiB written to tmpfs is charged to the container as shmem, which
	# is not inactive file cache: usage and working set both grow by it.
	ctr_run fill --shm-size 128m -- sh -c 'sleep 2; dd if=/dev/zero of=/dev/shm/f bs=1M count=40 2>/dev/null; sleep 600' >/dev/null
	agent_start
	wait_for 10 has_sample container_memory_working_set_bytes 'name="fill"'
	local before after u
	before=$(metric container_memory_working_set_bytes 'name="fill"')
	filled() { [ "$(docker exec fill sh -c 'wc -c < /dev/shm/f' 2>/dev/null)" = 41943040 ]; }
	wait_for 15 filled || fail "dd did not fill /dev/shm"
	sleep 2
	after=$(metric container_memory_working_set_bytes 'name="fill"')
	u=$(metric container_memory_usage_bytes 'name="fill"')
	note "working set $before -> $after, usage $u"
	assert_ge "$((after - before))" $((40 * 1024 * 1024 - 2 * 1024 * 1024)) "working set grew by ~40 MiB"
	assert_ge "$u" $((40 * 1024 * 1024)) "usage includes the 40 MiB"
}

t_oom_kill_counted() {
	# busybox `tail /dev/zero` buffers an endless line until the kernel OOM
	# killer ends it; the shell survives, so the cgroup stays to be read.
	ctr_run oom -m 32m --memory-swap 32m -- sh -c 'sleep 2; tail /dev/zero; sleep 600' >/dev/null
	agent_start
	wait_for 10 has_sample container_oom_events_total 'name="oom"'
	assert_eq "$(metric container_oom_events_total 'name="oom"')" 0 "no OOM kill yet"
	oom_seen() { [ "$(metric container_oom_events_total 'name="oom"')" -ge 1 ]; }
	wait_for 20 oom_seen || fail "OOM kill not counted"
	local ps
	ps=$(berth ps --format '{{.Name}} {{.OOMKills}}' | awk '$1 == "oom" { print $2 }')
	assert_ge "$ps" 1 "berth ps OOM kills"
}

t_network_counters_move() {
	# 2 MiB fetched over the container's own loopback, inside its network
	# namespace: its lo interface must count at least that many bytes.
	ctr_run net -- sh -c 'dd if=/dev/zero of=/tmp/f bs=1k count=2048 2>/dev/null; httpd -p 8080 -h /tmp; sleep 600' >/dev/null
	agent_start
	wait_for 10 has_sample container_network_receive_bytes_total 'name="net",interface="lo"'
	local rx0 tx0 rx1 tx1
	rx0=$(metric container_network_receive_bytes_total 'name="net",interface="lo"')
	tx0=$(metric container_network_transmit_bytes_total 'name="net",interface="lo"')
	docker exec net wget -q -O /dev/null http://127.0.0.1:8080/f
	sleep 2
	rx1=$(metric container_network_receive_bytes_total 'name="net",interface="lo"')
	tx1=$(metric container_network_transmit_bytes_total 'name="net",interface="lo"')
	note "lo rx $rx0 -> $rx1, tx $tx0 -> $tx1"
	assert_ge "$((rx1 - rx0))" 2097152 "lo receive bytes"
	assert_ge "$((tx1 - tx0))" 2097152 "lo transmit bytes"
	# eth0 exists too (the bridge network) with its own series
	has_sample container_network_receive_bytes_total 'name="net",interface="eth0"' ||
		fail "no eth0 series"
}

t_blkio_counts_writes() {
	# 32 MiB written with O_DIRECT, so the container's own task submits the
	# I/O (buffered writeback is charged to the flusher on cgroup v1).
	ctr_run blk -- sh -c 'sleep 2; dd if=/dev/zero of=/data bs=1M count=32 oflag=direct 2>/dev/null; sleep 600' >/dev/null
	local id=$CTR_ID
	agent_start
	wait_for 10 has_sample container_fs_writes_bytes_total 'name="blk"'
	sleep 4
	# Some kernels (this CI's among them) keep the v1 blkio files but never
	# fill them; then there is no ground truth to compare with.
	local f
	for f in "/sys/fs/cgroup/blkio/docker/$id/blkio.throttle.io_service_bytes" \
		"/sys/fs/cgroup/blkio/system.slice/docker-$id.scope/blkio.throttle.io_service_bytes" \
		"/sys/fs/cgroup/docker/$id/io.stat" "/sys/fs/cgroup/system.slice/docker-$id.scope/io.stat"; do
		[ -f "$f" ] || continue
		grep -qE 'Write [1-9]|wbytes=[1-9]' "$f" || skip "the kernel accounts no block I/O per cgroup here ($f)"
	done
	written() { [ "$(metric container_fs_writes_bytes_total 'name="blk"')" -ge $((32 * 1024 * 1024)) ]; }
	wait_for 20 written || fail "32 MiB of writes not counted"
}

t_pids_counted() {
	ctr_run pids --pids-limit 50 -- sh -c 'sleep 600 & sleep 600 & sleep 600 & wait' >/dev/null
	agent_start
	wait_for 10 has_sample container_threads 'name="pids"'
	four() { [ "$(metric container_threads 'name="pids"')" = 4 ]; }
	wait_for 5 four || fail "pids.current of sh + 3 sleeps"
	assert_eq "$(metric container_threads_max 'name="pids"')" 50 "pids limit"
}

t_rename_followed() {
	ctr_run before -- sleep 600 >/dev/null
	on_exit docker rm -f after
	agent_start
	wait_for 10 has_sample container_memory_usage_bytes 'name="before"'
	docker rename before after
	wait_for 5 has_sample container_memory_usage_bytes 'name="after"' || fail "rename not seen within 5 s"
	no_sample container_memory_usage_bytes 'name="before"' || fail "old name still exported"
}

t_stopped_and_removed_vanish() {
	ctr_run gone1 -- sleep 600 >/dev/null
	ctr_run gone2 -- sleep 600 >/dev/null
	agent_start
	wait_for 10 has_sample container_memory_usage_bytes 'name="gone2"'
	docker stop -t 0 gone1 >/dev/null
	docker rm -f gone2 >/dev/null
	wait_for 5 no_sample container_memory_usage_bytes 'name="gone1"' || fail "stopped container still in /metrics"
	wait_for 5 no_sample container_memory_usage_bytes 'name="gone2"' || fail "removed container still in /metrics"
	local names
	names=$(berth ps --format '{{.Name}}')
	[[ $names != *gone1* && $names != *gone2* ]] || fail "berth ps still lists them: $names"
	# ps --all still shows the stopped one, as exited
	assert_match "$(berth ps --all --format '{{.Name}} {{.State}}' | grep '^gone1 ')" '^gone1 exited' "ps --all"
}

t_promtool_accepts_metrics() {
	command -v promtool >/dev/null || skip "promtool not installed"
	ctr_run prom1 --cpus 0.5 -m 64m --label com.example.team=ops -- sleep 600 >/dev/null
	agent_start --label-allow com.example.team
	wait_for 10 has_sample container_memory_usage_bytes 'name="prom1"'
	scrape >"$TEST_LOGDIR/metrics.txt"
	promtool check metrics <"$TEST_LOGDIR/metrics.txt" || fail "promtool rejected /metrics"
	has_sample container_memory_usage_bytes 'container_label_com_example_team="ops"' "$TEST_LOGDIR/metrics.txt" ||
		fail "allow-listed label missing"
	local ct
	ct=$(hcurl -sI "$AGENT_URL/metrics" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-type" { print $2 }')
	assert_eq "$ct" "text/plain; version=0.0.4; charset=utf-8" "content type"
}

t_ps_json_and_format() {
	ctr_run psj -m 64m -- sh -c 'yes > /dev/null' >/dev/null
	local j
	j=$(berth ps --json)
	assert_eq "$(jq -r '.[] | select(.name == "psj") | .memory.limit_bytes' <<<"$j")" 67108864 "ps --json limit"
	local cores
	cores=$(jq -r '.[] | select(.name == "psj") | .cpu.cores' <<<"$j")
	# two samples 50 ms apart: the kernel's tick makes that +-15 %
	assert_between "$cores" 0.5 1.3 "ps --json cores of yes"
	assert_eq "$(berth ps --format 'table {{.Name}}' | head -1)" "NAME" "table header"
	berth ps --format '{{.Bogus}}' 2>/dev/null && fail "unknown field accepted"
	berth ps --sort cpu --format '{{.Name}}' | head -1 | grep -qx psj || fail "--sort cpu: busiest first"
}

t_ps_is_quick() {
	# No timing threshold (machines are noisy): check that ps takes two
	# samples about 100 ms apart, not Docker's multi-second stats wait, by
	# asking for a longer gap and seeing rates still valid.
	ctr_run quick -- sleep 600 >/dev/null
	berth ps --sample 50ms --json | jq -e '.[] | select(.name == "quick") | .rates_valid' >/dev/null ||
		fail "rates not valid with --sample 50ms"
}

t_docker_update_seen() {
	# Limits change with `docker update`; its event makes berth re-read them
	# at once instead of at the next periodic re-read a minute later.
	ctr_run upd -m 64m --memory-swap 256m --cpus 0.5 -- sleep 600 >/dev/null
	agent_start
	wait_for 10 has_sample container_spec_memory_limit_bytes 'name="upd"'
	assert_eq "$(metric container_spec_memory_limit_bytes 'name="upd"')" 67108864 "before"
	docker update -m 128m --cpus 1.5 upd >/dev/null
	limit_is() { [ "$(metric container_spec_memory_limit_bytes 'name="upd"')" = 134217728 ]; }
	wait_for 5 limit_is || fail "new memory limit not seen within 5 s"
	assert_eq "$(metric container_spec_cpu_quota 'name="upd"')" 150000 "new CPU quota"
}

t_ps_container_processes() {
	# `berth ps NAME`: the container's processes from its cgroup and /proc,
	# with CPU measured over the gap: the `yes` child near one CPU.
	ctr_run procs -- sh -c 'yes > /dev/null & sleep 600' >/dev/null
	sleep 1
	local j
	j=$(berth ps procs --json)
	assert_eq "$(jq length <<<"$j")" 2 "two processes"
	assert_eq "$(jq -r '.[] | select(.comm == "sleep") | .state' <<<"$j")" S "sleep is sleeping"
	assert_between "$(jq -r '.[] | select(.comm == "yes") | .cpu_percent' <<<"$j")" 70 110 "yes uses a CPU"
	assert_match "$(berth ps procs)" 'sleep 600' "table"
	berth ps no-such-container 2>/dev/null && fail "unknown container accepted"
	return 0
}
