# shellcheck shell=bash
# berth df against ground truth: du -s -B1 -x on the same directories.

# the one-pass walk (an agent another test or user runs on the default port
# must not answer these)
df_json() { berth df "$@" --json --bytes --no-agent; }
du_b() { du -s -B1 -x "$1" | cut -f1; }

t_df_writable_layer_matches_du() {
	ctr_run dfw -- sh -c 'sleep 600' >/dev/null
	local up
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' dfw)
	[ -d "$up" ] || skip "storage driver $(docker info -f '{{.Driver}}') has no upper dir"
	docker exec dfw dd if=/dev/zero of=/big bs=1M count=20 2>/dev/null
	local got want
	got=$(df_json dfw | jq '.containers[0].writable_bytes')
	want=$(du_b "$up")
	assert_eq "$got" "$want" "writable layer = du -s -B1 -x"
	assert_ge "$got" $((20 * 1024 * 1024)) "20 MiB written"
	assert_eq "$(df_json dfw | jq -r '.containers[0].writable_source')" overlay2-upper "source: the upper dir, not the engine"
	docker exec dfw rm /big
	got=$(df_json dfw | jq '.containers[0].writable_bytes')
	assert_eq "$got" "$(du_b "$up")" "after rm, = du again"
	assert_le "$got" $((1024 * 1024)) "the 20 MiB are gone"
}

t_df_shared_volume_counted_once() {
	on_exit docker volume rm -f berth-test-dfvol
	ctr_run dfa -v berth-test-dfvol:/data -- sh -c 'dd if=/dev/zero of=/data/v bs=1M count=5 2>/dev/null; sleep 600' >/dev/null
	ctr_run dfb -v berth-test-dfvol:/data -- sleep 600 >/dev/null
	local src want j
	src=$(docker volume inspect -f '{{.Mountpoint}}' berth-test-dfvol)
	wait_for 10 test -s "$src/v"
	sleep 1
	want=$(du_b "$src")
	j=$(df_json)
	assert_eq "$(jq '.containers[] | select(.name == "dfa") | .volumes_bytes' <<<"$j")" "$want" "dfa's volume"
	assert_eq "$(jq '.containers[] | select(.name == "dfb") | .volumes_bytes' <<<"$j")" "$want" "dfb's volume"
	assert_eq "$(jq '.containers[] | select(.name == "dfb") | .volumes[0].shared' <<<"$j")" true "marked shared"
	# the total counts it once: total volumes = the sum over distinct volumes
	local distinct
	distinct=$(jq '[.containers[].volumes[]] | unique_by(.source) | map(.bytes) | add' <<<"$j")
	assert_eq "$(jq '.totals.volumes_bytes' <<<"$j")" "$distinct" "counted once in the total"
	# shared even when only one of them is asked for
	assert_eq "$(df_json dfa | jq '.containers[0].volumes[0].shared')" true "shared, filtered"
}

t_df_logs_grow() {
	ctr_run dfl -- sh -c 'dd if=/dev/zero bs=1k count=2048 2>/dev/null | od -v | head -c 3000000; sleep 600' >/dev/null
	local log
	log=$(docker inspect -f '{{.LogPath}}' dfl)
	grown() { [ "$(stat -c %s "$log")" -ge 3000000 ]; }
	wait_for 15 grown || fail "the container's log did not grow"
	# JSON lines make the log longer than the 3 MB: wait until it stops
	# growing, so that df and du see the same file
	stable() {
		local a
		a=$(stat -c %s "$log")
		sleep 0.5
		[ "$a" = "$(stat -c %s "$log")" ]
	}
	wait_for 15 stable || fail "the log keeps growing"
	local got
	got=$(df_json dfl | jq '.containers[0].logs_bytes')
	assert_eq "$got" "$(du -B1 "$log" | cut -f1)" "logs = du of the json log"
	assert_ge "$got" 3000000 "the 3 MB written to stdout"
	assert_match "$(berth df dfl)" 'dfl +running' "table"
}

# ---------------------------------------------------------------------------
# The agent's disk tracker: figures kept current in the background.

# the issue's bound for a change to show (default settings), more under ASan
dk_limit() { if [ "$BERTH_SANITIZED" = 1 ]; then echo 30; else echo 10; fi; }

# dk_metric NAME CONTAINER [EXTRA_RE]: the value for that container, or fail
dk_metric() { metric "$1" "name=\"$2\"${3:-}"; }

# dk_equals_du NAME CONTAINER DIR: the metric equals du -s -B1 -x DIR now
dk_equals_du() {
	local v
	v=$(dk_metric "$1" "$2") || return 1
	[ "$v" = "$(du_b "$3")" ]
}

t_disk_agent_writable_follows_writes() {
	ctr_run dk-w -- sleep 600 >/dev/null
	local up
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' dk-w)
	[ -d "$up" ] || skip "storage driver $(docker info -f '{{.Driver}}') has no upper dir"
	agent_start --no-services
	wait_for 60 dk_metric berth_container_fs_writable_bytes dk-w || fail "no writable figure"
	wait_for 10 dk_equals_du berth_container_fs_writable_bytes dk-w "$up" || fail "first figure != du"
	local before after
	before=$(dk_metric berth_container_fs_writable_bytes dk-w)
	docker exec dk-w dd if=/dev/zero of=/big bs=1M count=20 2>/dev/null
	grown() {
		local v
		v=$(dk_metric berth_container_fs_writable_bytes dk-w) || return 1
		[ "$v" -ge $((before + 20 * 1024 * 1024)) ]
	}
	wait_for "$(dk_limit)" grown || fail "20 MiB written did not show within $(dk_limit) s"
	wait_for 5 dk_equals_du berth_container_fs_writable_bytes dk-w "$up" || fail "!= du after write"
	after=$(dk_metric berth_container_fs_writable_bytes dk-w)
	# exactly the file's blocks (and at most a block of directory growth)
	assert_between "$after" $((before + 20 * 1024 * 1024)) $((before + 20 * 1024 * 1024 + 8192)) \
		"grew by the 20 MiB written"
	assert_eq "$(dk_metric berth_container_fs_writable_files dk-w)" "$(find "$up" -xdev -type f | wc -l)" "files"
	# cAdvisor's series: writable layer + logs
	assert_eq "$(dk_metric container_fs_usage_bytes dk-w)" \
		$((after + $(dk_metric berth_container_fs_logs_bytes dk-w))) "container_fs_usage_bytes"
	docker exec dk-w rm /big
	shrunk() {
		local v
		v=$(dk_metric berth_container_fs_writable_bytes dk-w) || return 1
		[ "$v" -le $((before + 8192)) ]
	}
	wait_for "$(dk_limit)" shrunk || fail "deleting the 20 MiB did not show within $(dk_limit) s"
	wait_for 5 dk_equals_du berth_container_fs_writable_bytes dk-w "$up" || fail "!= du after rm"
	# the change was found by re-reading directories, not by walking again
	assert_eq "$(metric berth_disk_info)" 1 "info"
	if [ "$(metric_count berth_disk_info 'mode="fanotify"')" = 1 ]; then
		assert_ge "$(metric berth_disk_rescans_total)" 1 "rescans"
	fi
}

t_disk_agent_shared_volume_once() {
	on_exit docker volume rm -f berth-test-dkvol
	ctr_run dk-va -v berth-test-dkvol:/data -- sleep 600 >/dev/null
	ctr_run dk-vb -v berth-test-dkvol:/data -- sleep 600 >/dev/null
	local src
	src=$(docker volume inspect -f '{{.Mountpoint}}' berth-test-dkvol)
	agent_start --no-services
	wait_for 60 dk_metric berth_container_fs_volume_bytes dk-va || fail "no volume figure"
	docker exec dk-va dd if=/dev/zero of=/data/v bs=1M count=5 2>/dev/null
	vol_ok() {
		local a b
		a=$(dk_metric berth_container_fs_volume_bytes dk-va ',volume="berth-test-dkvol",type="volume",shared="true"') || return 1
		b=$(dk_metric berth_container_fs_volume_bytes dk-vb ',volume="berth-test-dkvol",type="volume",shared="true"') || return 1
		[ "$a" = "$(du_b "$src")" ] && [ "$b" = "$a" ] && [ "$a" -ge $((5 * 1024 * 1024)) ]
	}
	wait_for "$(dk_limit)" vol_ok || fail "the 5 MiB in the shared volume did not show on both"
	# the JSON API and berth df count it once in the totals
	local j distinct
	j=$(hcurl -sSf "$AGENT_URL/api/v1/disk")
	distinct=$(jq '[.containers[].volumes[]] | unique_by(.source) | map(.bytes) | add // 0' <<<"$j")
	assert_eq "$(jq '.totals.volumes_bytes' <<<"$j")" "$distinct" "API: counted once"
	j=$(berth df --agent "$AGENT_URL" --json --bytes dk-va)
	assert_eq "$(jq -r '.source' <<<"$j")" agent "berth df asked the agent"
	assert_eq "$(jq '.containers[0].volumes[0].shared' <<<"$j")" true "shared"
	assert_eq "$(jq '.containers[0].volumes_bytes' <<<"$j")" "$(du_b "$src")" "df = du"
	# the container object of the JSON API carries the same figures
	assert_eq "$(hcurl -sSf "$AGENT_URL/api/v1/containers/dk-vb" | jq '.disk.volumes_bytes')" "$(du_b "$src")" "container object"
}

t_disk_agent_logs_grow() {
	ctr_run dk-l -- sh -c 'sleep 2; dd if=/dev/zero bs=1k count=2048 2>/dev/null | od -v | head -c 3000000; sleep 600' >/dev/null
	local log
	log=$(docker inspect -f '{{.LogPath}}' dk-l)
	agent_start --no-services --disk-interval 2s
	grown() { [ "$(stat -c %s "$log")" -ge 3000000 ]; }
	wait_for 20 grown || fail "the container's log did not grow"
	logs_ok() {
		local v
		v=$(dk_metric berth_container_fs_logs_bytes dk-l) || return 1
		[ "$v" = "$(du -B1 "$log" | cut -f1)" ] && [ "$v" -ge 3000000 ]
	}
	# logs are re-read every disk_interval (2 s here)
	wait_for "$(dk_limit)" logs_ok || fail "log growth did not show under logs"
	assert_ge "$(dk_metric berth_container_fs_logs_files dk-l)" 1 "log files"
}

t_disk_df_agent_equals_walk() {
	ctr_run dk-d -- sh -c 'mkdir -p /t/a/b && dd if=/dev/zero of=/t/a/b/f bs=1k count=700 2>/dev/null; echo hi; sleep 600' >/dev/null
	agent_start --no-services
	wait_for 60 dk_metric berth_container_fs_writable_bytes dk-d || fail "no figure"
	local up
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' dk-d)
	wait_for 10 dk_equals_du berth_container_fs_writable_bytes dk-d "$up" || fail "!= du"
	local a b f
	a=$(berth df --agent "$AGENT_URL" --json --bytes dk-d)
	b=$(berth df --json --bytes --no-agent dk-d)
	assert_eq "$(jq -r .source <<<"$a")" agent "from the agent"
	assert_eq "$(jq -r '.containers[0].writable_source' <<<"$a")" overlay2-upper "agent: source is the upper dir"
	assert_eq "$(dk_metric berth_container_fs_writable_source_info dk-d '.*source="overlay2-upper"')" 1 "source info series"
	for f in writable_source writable_bytes writable_apparent_bytes writable_files volumes_bytes logs_bytes total_bytes; do
		assert_eq "$(jq ".containers[0].$f" <<<"$a")" "$(jq ".containers[0].$f" <<<"$b")" "$f: agent = walk"
	done
	# images: each image's layers once, and the total reconciles
	a=$(berth df --agent "$AGENT_URL" --json --bytes)
	local img
	img=$(jq '[.images[] | select(.name == "berth-test:latest")][0].bytes' <<<"$a")
	assert_ge "$img" 1 "image line"
	assert_eq "$(jq '.totals.total_bytes' <<<"$a")" \
		"$(jq '.totals.writable_bytes + .totals.volumes_bytes + .totals.logs_bytes + .totals.images_bytes' <<<"$a")" "total"
	assert_match "$(berth df --agent "$AGENT_URL" | tail -1)" '^TOTAL' "total line"
}

t_disk_agent_poll_mode() {
	# without fanotify (disk_fanotify off: what an unprivileged agent gets)
	# a directory whose mtime moved is re-read at the next interval
	ctr_run dk-p -- sleep 600 >/dev/null
	local up
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' dk-p)
	[ -d "$up" ] || skip "no upper dir"
	agent_start --no-services --disk-fanotify off --disk-interval 2s
	assert_eq "$(metric_count berth_disk_info 'mode="poll"')" 1 "poll mode"
	wait_for 60 dk_metric berth_container_fs_writable_bytes dk-p || fail "no figure"
	local before
	before=$(dk_metric berth_container_fs_writable_bytes dk-p)
	docker exec dk-p sh -c 'mkdir -p /var/x && dd if=/dev/zero of=/var/x/f bs=1M count=6 2>/dev/null'
	grown() {
		local v
		v=$(dk_metric berth_container_fs_writable_bytes dk-p) || return 1
		[ "$v" -ge $((before + 6 * 1024 * 1024)) ]
	}
	wait_for "$(dk_limit)" grown || fail "6 MiB written did not show in poll mode"
	wait_for 10 dk_equals_du berth_container_fs_writable_bytes dk-p "$up" || fail "!= du"
}

t_disk_zabbix_items() {
	command -v zabbix_get >/dev/null || skip "zabbix_get not installed"
	ctr_run dk-z -- sh -c 'dd if=/dev/zero of=/z bs=1k count=3000 2>/dev/null; echo logged; sleep 600' >/dev/null
	local zport up
	zport=$(free_port)
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' dk-z)
	agent_start --no-services --zabbix-listen "127.0.0.1:$zport"
	wait_for 60 dk_equals_du berth_container_fs_writable_bytes dk-z "$up" || fail "no figure = du"
	zg() { zabbix_get -s 127.0.0.1 -p "$zport" -k "$1"; }
	assert_eq "$(zg 'berth.container.disk.writable[dk-z]')" "$(du_b "$up")" "writable item = du"
	local w v l tot
	w=$(zg 'berth.container.disk.writable[dk-z]')
	v=$(zg 'berth.container.disk.volumes[dk-z]')
	l=$(zg 'berth.container.disk.logs[dk-z]')
	tot=$(zg 'berth.container.disk.total[dk-z]')
	assert_eq "$tot" $((w + v + l)) "total = writable + volumes + logs"
	assert_ge "$(zg berth.disk.images)" 1 "image layers"
	assert_match "$(zg 'berth.container.disk.total[nobody]' 2>&1)" 'ZBX_NOTSUPPORTED.*No container' "unknown container"
}

t_df_walk_keys_and_pseudo_binds() {
	# without an agent berth df runs the tracker once and prints its
	# one-shot view of the disk schema (export/json_disk.c): the keys its
	# own walk always printed, in that order, and source "walk"
	local j bind
	bind=$(mktemp -d /var/tmp/berth-dfk.XXXXXX)
	on_exit rm -rf "$bind"
	head -c 50000 /dev/zero >"$bind/f"
	ctr_run dfk -v /proc:/hostproc:ro -v "$bind:/t" -- sh -c 'echo hi; sleep 600' >/dev/null
	j=$(df_json dfk)
	assert_eq "$(jq -c 'keys_unsorted' <<<"$j")" '["source","containers","images","totals"]' "top keys"
	assert_eq "$(jq -r .source <<<"$j")" walk "source"
	assert_eq "$(jq -c '.containers[0] | keys_unsorted' <<<"$j")" \
		'["id","name","state","storage_driver","ready","writable_source","writable_bytes","writable_apparent_bytes","writable_files","volumes_bytes","logs_bytes","log_files","total_bytes","volumes"]' "container keys"
	assert_eq "$(jq -c '.containers[0].volumes[0] | keys_unsorted' <<<"$j")" '["name","source","bytes","files","shared"]' "volume keys"
	assert_eq "$(jq -c '.totals | keys_unsorted' <<<"$j")" '["writable_bytes","volumes_bytes","logs_bytes","images_bytes","total_bytes"]' "total keys"
	assert_eq "$(jq '.containers[0].ready' <<<"$j")" true "counted"
	assert_eq "$(jq --arg s "$bind" '.containers[0].volumes[] | select(.source == $s) | .bytes' <<<"$j")" "$(du_b "$bind")" "bind = du"
	# /proc is no disk: 0 bytes and 0 files, as the agent counts it
	assert_eq "$(jq -c '[.containers[0].volumes[] | select(.source == "/proc") | .bytes, .files]' <<<"$j")" '[0,0]' "/proc counts nothing"
	j=$(df_json)
	assert_eq "$(jq -c '.images[0] | keys_unsorted' <<<"$j")" '["id","name","ready","layers","bytes"]' "image keys"
	assert_eq "$(jq '.totals.total_bytes' <<<"$j")" \
		"$(jq '.totals.writable_bytes + .totals.volumes_bytes + .totals.logs_bytes + .totals.images_bytes' <<<"$j")" "total"
}
