# shellcheck shell=bash
# lib_etcd.sh: a one-member etcd for the integration tests of the etcd
# client (test_etcd.sh). Source after lib.sh.
#
# etcd_start: starts /usr/bin/etcd on two free loopback ports, its data
# under this test's directory, waits (20 s at most) until /health says
# true, and exports ETCD_ENDPOINTS (http://127.0.0.1:PORT), ETCD_PID and
# ETCD_LOG. The member is killed by lib.sh's cleanup however the test
# ends. Skips the test when etcd is not installed.

ETCD_BIN=${ETCD_BIN:-/usr/bin/etcd}

# etcdctl_ ARGS...: etcdctl v3 on the test's member.
etcdctl_() {
	ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" --command-timeout=10s "$@"
}

etcd_start() {
	local cport pport dir i rc=0
	[ -x "$ETCD_BIN" ] || skip "$ETCD_BIN is not installed"
	command -v etcdctl >/dev/null || skip "etcdctl is not installed"
	cport=$(free_port)
	pport=$(free_port)
	[ "$pport" != "$cport" ] || pport=$((cport + 1))
	dir=$(mktemp -d "$TEST_LOGDIR/etcd.XXXXXX")
	ETCD_ENDPOINTS="http://127.0.0.1:$cport"
	ETCD_LOG="$dir/etcd.log"
	export ETCD_ENDPOINTS ETCD_LOG
	note "starting etcd on $ETCD_ENDPOINTS, data in $dir/data"
	"$ETCD_BIN" --name t --data-dir "$dir/data" \
		--listen-client-urls "$ETCD_ENDPOINTS" --advertise-client-urls "$ETCD_ENDPOINTS" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "t=http://127.0.0.1:$pport" >"$ETCD_LOG" 2>&1 &
	ETCD_PID=$!
	export ETCD_PID
	on_exit _agent_kill "$ETCD_PID"
	for ((i = 0; i < 100; i++)); do
		if [ "$(hcurl -s "$ETCD_ENDPOINTS/health" 2>/dev/null)" = '{"health":"true"}' ]; then
			note "etcd pid $ETCD_PID healthy on $ETCD_ENDPOINTS"
			return 0
		fi
		if ! _alive "$ETCD_PID"; then
			wait "$ETCD_PID" || rc=$?
			show_file "$ETCD_LOG" "etcd log"
			fail "etcd exited with status $rc before it was healthy"
		fi
		sleep 0.2
	done
	show_file "$ETCD_LOG" "etcd log"
	fail "etcd not healthy on $ETCD_ENDPOINTS within 20 s"
}
