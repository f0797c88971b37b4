# shellcheck shell=bash
# berth df against ground truth: du -s -B1 -x on the same directories.

df_json() { berth df "$@" --json --bytes; }
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
	local got
	got=$(df_json dfl | jq '.containers[0].logs_bytes')
	assert_eq "$got" "$(du -B1 "$log" | cut -f1)" "logs = du of the json log"
	assert_ge "$got" 3000000 "the 3 MB written to stdout"
	assert_match "$(berth df dfl)" 'dfl +running' "table"
}
