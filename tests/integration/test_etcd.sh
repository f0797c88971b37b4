# shellcheck shell=bash
# test_etcd.sh: the etcd v3 JSON-gateway client (src/release/env/etcd.c)
# against a real one-member etcd, driven through build/tools/etcd_cli and
# checked against etcdctl.

# shellcheck source=tests/integration/lib_etcd.sh
source "$BERTH_ROOT/tests/integration/lib_etcd.sh"

ETCD_CLI="$BERTH_ROOT/build/tools/etcd_cli"

_etcd_tools() {
	make -s -C "$BERTH_ROOT" tools >&2 || fail "make tools failed"
}

# Values written with etcdctl (blanks, '=', UTF-8, an empty one) read back
# by the client exactly as `etcdctl get --prefix` prints them.
t_etcd_get_matches_etcdctl() {
	etcd_start
	_etcd_tools
	etcdctl_ put /cfg/a 'one' >/dev/null
	etcdctl_ put /cfg/b 'two words = x' >/dev/null
	etcdctl_ put /cfg/c 'héllo' >/dev/null
	etcdctl_ put /cfg/d '' >/dev/null
	etcdctl_ put /cfg0 'outside' >/dev/null
	etcdctl_ put /cfe 'outside' >/dev/null
	local want got
	want=$(etcdctl_ get --prefix /cfg/ | paste -d= - -)
	got=$("$ETCD_CLI" get /cfg/ --prefix | tail -n +2)
	assert_eq "$got" "$want"
	assert_eq "$("$ETCD_CLI" get /cfg/b | tail -n +2)" "/cfg/b=two words = x"
	assert_eq "$("$ETCD_CLI" get /cfg/nope | wc -l)" 1
}

# get_many reads several prefixes in one txn: one revision for all, even
# while another writer keeps writing.
t_etcd_many_one_revision() {
	etcd_start
	_etcd_tools
	etcdctl_ put /m/a/1 a1 >/dev/null
	etcdctl_ put /m/b/1 b1 >/dev/null
	etcdctl_ put /m/b/2 b2 >/dev/null
	local rev out
	rev=$(etcdctl_ get /m/a/1 -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
	out=$("$ETCD_CLI" many /m/a/ /m/b/ /m/c/)
	assert_eq "$(printf '%s\n' "$out" | head -1)" "$rev"
	assert_eq "$(printf '%s\n' "$out" | tail -n +2)" "$(printf '/m/a/1=a1\n/m/b/1=b1\n/m/b/2=b2')"
	# A put between two reads moves the revision of both ranges together.
	etcdctl_ put /m/a/2 a2 >/dev/null
	out=$("$ETCD_CLI" many /m/a/ /m/b/)
	assert_eq "$(printf '%s\n' "$out" | head -1)" "$((rev + 1))"
	assert_eq "$(printf '%s\n' "$out" | tail -n +2 | wc -l)" 4
}

# 100 rapid puts, every one seen by the watch, in order.
t_etcd_watch_100_puts() {
	etcd_start
	_etcd_tools
	local rev out i want
	rev=$(etcdctl_ put /w/start x -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
	out="$TEST_LOGDIR/watch.out"
	"$ETCD_CLI" watch /w/k/ "$((rev + 1))" 100 >"$out" 2>"$TEST_LOGDIR/watch.err" &
	local wpid=$!
	on_exit _agent_kill "$wpid"
	for ((i = 1; i <= 100; i++)); do
		etcdctl_ put "/w/k/$(printf %03d "$i")" "v$i" >/dev/null
	done
	wait "$wpid" || { show_file "$TEST_LOGDIR/watch.err" "watch stderr"; fail "watch failed"; }
	want=$(for ((i = 1; i <= 100; i++)); do
		printf 'PUT /w/k/%03d=v%d %d\n' "$i" "$i" "$((rev + i))"
	done)
	assert_eq "$(cat "$out")" "$want"
}

# The first endpoint is a closed port: every request goes on to the second.
t_etcd_dead_endpoint_failover() {
	etcd_start
	_etcd_tools
	local dead
	dead=$(free_port)
	etcdctl_ put /f/a alive >/dev/null
	local eps="http://127.0.0.1:$dead,$ETCD_ENDPOINTS"
	assert_eq "$("$ETCD_CLI" --endpoints "$eps" get /f/a | tail -n +2)" "/f/a=alive"
	"$ETCD_CLI" --endpoints "$eps" put /f/b written >/dev/null
	assert_eq "$(etcdctl_ get --print-value-only /f/b)" "written"
	# Only dead endpoints: an error naming one, a nonzero status.
	local err
	if err=$("$ETCD_CLI" --endpoints "http://127.0.0.1:$dead" get /f/a 2>&1); then
		fail "a read from a closed port succeeded: $err"
	fi
	assert_match "$err" "127.0.0.1:$dead"
}

# With auth on: user/password fetch a token and the read works; without
# them or with a wrong password it fails, and the password is never in
# the message.
t_etcd_auth_user_password() {
	etcd_start
	_etcd_tools
	etcdctl_ put /s/a secret-ok >/dev/null
	etcdctl_ user add root:Pw-s3cret >/dev/null
	etcdctl_ auth enable >/dev/null 2>&1
	assert_eq "$("$ETCD_CLI" --user root --password Pw-s3cret get /s/a | tail -n +2)" "/s/a=secret-ok"
	"$ETCD_CLI" --user root --password Pw-s3cret put /s/b via-token >/dev/null
	assert_eq "$(etcdctl_ --user root:Pw-s3cret get --print-value-only /s/b)" "via-token"
	local err
	if err=$("$ETCD_CLI" get /s/a 2>&1); then
		fail "a read without credentials succeeded: $err"
	fi
	if err=$("$ETCD_CLI" --user root --password wrong-Pw get /s/a 2>&1); then
		fail "a read with a wrong password succeeded: $err"
	fi
	assert_match "$err" "authentication of user root failed"
	[[ $err != *wrong-Pw* ]] || fail "the password is in the message: $err"
}
