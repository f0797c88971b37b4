# shellcheck shell=bash
# Services inside containers, found and probed from outside: what listens
# (TCP and UDP, the owning process), probes from inside the container's
# network namespace, and the Zabbix passive-check listener, queried with the
# real zabbix_get.

has_sample() { metric "$@" >/dev/null 2>&1; }

# svc_container NAME [docker run args]: httpd on 8080 (all addresses) and on
# 127.0.0.1:8081 (the container's own loopback only), nc on tcp 9000, and a
# UDP listener on 9999.
svc_container() {
	local name=$1
	shift
	ctr_run "$name" "$@" -- sh -c 'httpd -p 8080; httpd -p 127.0.0.1:8081; nc -l -p 9000 >/dev/null & sleep 600' >/dev/null
	local bin=$TEST_LOGDIR/udp_listen
	[ -x "$bin" ] || gcc -static -O2 -o "$bin" "$BERTH_ROOT/tests/integration/udp_listen.c" ||
		fail "cannot build the UDP listener"
	docker cp "$bin" "$name:/udp_listen" >/dev/null
	docker exec -d "$name" /udp_listen 9999
}

up_of() { metric berth_service_up "name=\"$1\".*port=\"$2\""; }

t_services_found_and_probed() {
	svc_container svc
	agent_start --services-interval 2s
	wait_for 20 has_sample berth_service_listening 'name="svc".*proto="udp".*port="9999"' ||
		fail "services not discovered"
	local f=$TEST_LOGDIR/m.txt
	scrape >"$f"
	has_sample berth_service_up 'name="svc",proto="tcp",addr="(::|0.0.0.0)",port="8080",process="httpd"' "$f" ||
		fail "httpd on 8080 with its process"
	# bound only to the container's loopback, still reached: probes run in its namespace
	assert_eq "$(metric berth_service_up 'name="svc",proto="tcp",addr="127.0.0.1",port="8081",process="httpd"' "$f")" 1 "loopback-only httpd is up"
	has_sample berth_service_up 'name="svc".*port="9000",process="nc"' "$f" || fail "nc on 9000"
	has_sample berth_service_probe_seconds 'name="svc".*port="8080"' "$f" || fail "probe latency"
	# UDP is listed (with its process) but not connect-probed
	has_sample berth_service_listening 'name="svc",proto="udp",addr="0.0.0.0",port="9999",process="udp_listen"' "$f" ||
		fail "udp listener"
	has_sample berth_service_up 'name="svc",proto="udp"' "$f" && fail "UDP has no up/down"
	# the same through the CLI (answered by the agent) and the JSON API
	local j
	j=$(berth services svc --json --agent "$AGENT_URL")
	assert_eq "$(jq -r '[.[] | select(.port == 8081)][0].up' <<<"$j")" true "berth services --json"
	assert_eq "$(jq -r '[.[] | select(.port == 9000)][0].process' <<<"$j")" nc "process of 9000"
	assert_match "$(berth services svc --agent "$AGENT_URL")" 'svc +tcp +127\.0\.0\.1 +8081 +httpd' "table"
	agent_stop
}

t_service_down_within_one_interval() {
	svc_container svcdown
	agent_start --services-interval 2s
	wait_for 20 has_sample berth_service_up 'name="svcdown".*port="8080"' || fail "not discovered"
	assert_eq "$(up_of svcdown 8080)" 1 "8080 up first"
	# stop only the httpd on 8080 (busybox nc -l serves one connection, so
	# it is no witness for "the others stay up": a probe ends it)
	docker exec svcdown sh -c 'for p in $(pidof httpd); do grep -q "8080" /proc/$p/cmdline && kill $p; done'
	# one interval (2 s) plus the pass itself; it stays listed, down
	down() { [ "$(up_of svcdown 8080)" = 0 ]; }
	wait_for 6 down || fail "8080 not down within one interval"
	assert_eq "$(up_of svcdown 8081)" 1 "the other services stay up"
	# and back up when it listens again
	docker exec svcdown httpd -p 8080
	up() { [ "$(up_of svcdown 8080)" = 1 ]; }
	wait_for 6 up || fail "8080 not up again"
	agent_stop
}

t_service_in_container_without_shell() {
	# An image holding one file, busybox renamed httpd: no shell, no tools.
	local root=$TEST_LOGDIR/bare-root
	mkdir -p "$root"
	cp "$(command -v busybox)" "$root/httpd"
	tar -C "$root" -c . | docker import - berth-test-bare:latest >/dev/null
	on_exit docker rmi -f berth-test-bare:latest
	docker rm -f bare >/dev/null 2>&1 || true
	on_exit docker rm -f bare
	docker run -d --label berth-test=1 --label "berth-test-run=$BERTH_TEST_RUN" --name bare berth-test-bare:latest /httpd -f -p 8080 >/dev/null
	docker exec bare /httpd true 2>/dev/null # nothing else in there
	agent_start --services-interval 2s
	wait_for 20 has_sample berth_service_up 'name="bare",proto="tcp".*port="8080",process="httpd"' ||
		fail "service in a shell-less container not found"
	assert_eq "$(up_of bare 8080)" 1 "probed up"
	agent_stop
}

t_zabbix_get() {
	command -v zabbix_get >/dev/null || skip "zabbix_get not installed"
	on_exit docker volume rm -f berth-test-vol
	svc_container zbx -m 64m -v berth-test-vol:/data
	local zport
	zport=$(free_port)
	agent_start --services-interval 2s --zabbix-listen "127.0.0.1:$zport"
	wait_for 20 has_sample berth_service_up 'name="zbx".*port="8081"' || fail "not discovered"
	zg() { zabbix_get -s 127.0.0.1 -p "$zport" -k "$1"; }
	assert_eq "$(zg agent.ping)" 1 "agent.ping"
	local lld
	lld=$(zg berth.containers.discovery)
	assert_eq "$(jq -r '.[] | select(."{#CONTAINER.NAME}" == "zbx") | ."{#IMAGE}"' <<<"$lld")" "berth-test:latest" "containers LLD"
	lld=$(zg berth.services.discovery)
	assert_eq "$(jq -r '[.[] | select(."{#CONTAINER.NAME}" == "zbx" and ."{#PORT}" == 8081)][0]."{#PROCESS}"' <<<"$lld")" httpd "services LLD"
	assert_eq "$(jq -r '[.[] | select(."{#CONTAINER.NAME}" == "zbx" and ."{#PORT}" == 9999)][0]."{#PROTO}"' <<<"$lld")" udp "UDP in LLD"
	lld=$(zg berth.volumes.discovery)
	assert_eq "$(jq -r '.[] | select(."{#CONTAINER.NAME}" == "zbx") | ."{#VOLUME.NAME}" + " " + ."{#VOLUME.DESTINATION}"' <<<"$lld")" "berth-test-vol /data" "volumes LLD"
	assert_eq "$(zg 'berth.container.memory.limit[zbx]')" 67108864 "memory limit item"
	assert_eq "$(zg 'berth.service.up[zbx,8081]')" 1 "service item"
	assert_eq "$(zg 'berth.container.state[zbx]')" running "state item"
	# disk items answer once the disk tracker has counted the container
	wait_for 30 has_sample berth_container_fs_writable_bytes 'name="zbx"' || fail "no disk figures for zbx"
	# every item key of the shipped template is answered for a real container
	local k v tpl=$BERTH_ROOT/templates/zabbix/berth_template.yaml n=0
	while read -r k; do
		k=${k//\{#CONTAINER.NAME\}/zbx}
		k=${k//\{#PORT\}/8081}
		k=${k//\{#PROTO\}/tcp}
		v=$(zg "$k" 2>&1)
		[[ $v != *ZBX_NOTSUPPORTED* ]] || fail "template key $k: $v"
		n=$((n + 1))
	done < <(sed -n "s/^ *key: '\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$tpl")
	assert_ge "$n" 20 "template keys checked"
	assert_match "$(zg 'no.such.key' 2>&1)" 'ZBX_NOTSUPPORTED' "unknown key"
	assert_match "$(zg 'berth.container.cpu[nobody]' 2>&1)" 'ZBX_NOTSUPPORTED.*No running container' "unknown container"
	agent_stop
	# a client outside the allow list is refused (the list names an address
	# nobody connects from; no traffic goes there)
	agent_start --zabbix-listen "127.0.0.1:$zport" --zabbix-allow 192.0.2.1
	local out
	out=$(zg agent.ping 2>&1) && fail "refused client got an answer: $out"
	assert_match "$(grep -c 'refused\|not allowed' "$AGENT_LOG")" '^[1-9]' "refusal logged"
	agent_stop
}

t_exposed_and_published_ports() {
	# Docker's view beside the kernel's: a published port is marked on its
	# listener; an exposed port nothing listens on is listed, not probed.
	local hp
	hp=$(free_port)
	ctr_run pub -p "127.0.0.1:$hp:8080" --expose 9090 -- sh -c 'httpd -p 8080; sleep 600' >/dev/null
	agent_start --services-interval 2s
	wait_for 20 has_sample berth_service_up 'name="pub".*port="8080"' || fail "not discovered"
	# ports come from Docker's inspect: the pass after the names arrived
	published() { berth services pub --json --agent "$AGENT_URL" | jq -e ".[] | select(.port == 8080 and .published == \"127.0.0.1:$hp\")" >/dev/null; }
	wait_for 10 published || fail "published port not marked"
	local j
	j=$(berth services pub --json --agent "$AGENT_URL")
	assert_eq "$(jq -r '.[] | select(.port == 9090) | .exposed' <<<"$j")" true "exposed"
	assert_eq "$(jq -r '.[] | select(.port == 9090) | .listening' <<<"$j")" false "not listening"
	has_sample berth_service_up 'name="pub".*port="9090"' && fail "an exposed port nobody listens on is not probed"
	agent_stop
}

t_probe_settings_from_config_and_labels() {
	# HTTP probes and ignored ports, from the config file (by container
	# name) and from a label: a 404 where 200 is expected is down.
	ctr_run cfgp --label berth.probe.http=8081:/:200 -- sh -c \
		'mkdir /www; echo hi > /www/index.html; httpd -p 8080 -h /www; httpd -p 8081 -h /www; httpd -p 9000 -h /www; sleep 600' >/dev/null
	local conf=$TEST_LOGDIR/probe.conf
	printf 'probe_http cfgp:8080:/missing.html:200\nprobe_ignore cfgp:9000\nservices_interval 2s\n' >"$conf"
	agent_start --config "$conf"
	wait_for 20 has_sample berth_service_up 'name="cfgp".*port="8081"' || fail "not discovered"
	# settings apply by name and label: from the pass after the names arrived
	settled() { hcurl -sf "$AGENT_URL/api/v1/containers/cfgp" | jq -e '[.services[] | select(.port == 8080 and .up == false)] | length == 1' >/dev/null; }
	wait_for 10 settled || fail "config probe_http not applied"
	local j
	j=$(hcurl -sf "$AGENT_URL/api/v1/containers/cfgp")
	assert_eq "$(jq -r '.services[] | select(.port == 8081) | .up' <<<"$j")" true "label: GET / answers 200"
	assert_eq "$(jq -r '.services[] | select(.port == 8080) | .up' <<<"$j")" false "config: 404 is down"
	assert_match "$(jq -r '.services[] | select(.port == 8080) | .error' <<<"$j")" '404' "the error says why"
	assert_eq "$(jq -r '[.services[] | select(.port == 9000)] | length' <<<"$j")" 0 "ignored port not listed"
	agent_stop
}

# ---------------------------------------------------------------------------
# Zabbix active mode, against a strict trapper receiver
# (tests/tools/zbx_trapper.c: checks every frame's header and JSON,
# records every value, answers as a Zabbix server does).

# trapper_start [ARGS...]: build and start the receiver on an ephemeral
# port; sets TRAP_PORT, TRAP_VALUES (host<TAB>key<TAB>value<TAB>clock<TAB>ns
# lines), TRAP_VIOL (protocol violations, must stay empty) and TRAP_PID.
trapper_start() {
	local bin=$TEST_LOGDIR/zbx_trapper dir
	if [ ! -x "$bin" ]; then
		# shellcheck disable=SC2046 # pkg-config prints several words
		gcc -O2 -o "$bin" "$BERTH_ROOT/tests/tools/zbx_trapper.c" $(pkg-config --cflags --libs jansson zlib) ||
			fail "cannot build zbx_trapper"
	fi
	dir=$(mktemp -d "$TEST_LOGDIR/trap.XXXXXX")
	TRAP_VALUES=$dir/values
	TRAP_VIOL=$dir/violations
	: >"$TRAP_VALUES"
	: >"$TRAP_VIOL"
	"$bin" -p "$dir/port" -o "$TRAP_VALUES" -v "$TRAP_VIOL" "$@" &
	TRAP_PID=$!
	on_exit kill "$TRAP_PID"
	wait_for 5 test -s "$dir/port" || fail "zbx_trapper did not start"
	TRAP_PORT=$(cat "$dir/port")
}

# trap_value HOST KEY: the last value the receiver got for KEY of HOST.
trap_value() {
	awk -F '\t' -v h="$1" -v k="$2" '$1 == h && $2 == k { v = $3; f = 1 } END { if (!f) exit 1; print v }' "$TRAP_VALUES"
}

no_violations() {
	[ ! -s "$TRAP_VIOL" ] || fail "protocol violations: $(head -5 "$TRAP_VIOL")"
}

t_zabbix_active_delivers() {
	trapper_start -H zx-host
	ctr_run zx-act -m 64m -- sh -c 'httpd -p 8080; sleep 600' >/dev/null
	agent_start --services-interval 2s --zabbix-active "127.0.0.1:$TRAP_PORT" \
		--zabbix-host zx-host --zabbix-active-interval 2s
	pushed() { trap_value zx-host "$1" >/dev/null; }
	wait_for 30 pushed 'berth.service.up[zx-act,8080,tcp]' || fail "service item not pushed"
	# ground truth: docker run -m 64m
	assert_eq "$(trap_value zx-host 'berth.container.memory.limit[zx-act]')" 67108864 "memory limit pushed"
	assert_eq "$(trap_value zx-host 'berth.service.up[zx-act,8080,tcp]')" 1 "service up pushed"
	assert_eq "$(trap_value zx-host 'berth.container.state[zx-act]')" running "state pushed"
	assert_eq "$(trap_value zx-host agent.ping)" 1 "agent.ping pushed"
	# discovery goes as its JSON (trapper LLD rules take it as is)
	assert_eq "$(trap_value zx-host berth.containers.discovery |
		jq -r '.[] | select(."{#CONTAINER.NAME}" == "zx-act") | ."{#IMAGE}"')" berth-test:latest "containers LLD pushed"
	lld_has_svc() { trap_value zx-host berth.services.discovery | jq -e '.[] | select(."{#CONTAINER.NAME}" == "zx-act" and ."{#PORT}" == 8080 and ."{#USER}" == "root")' >/dev/null; }
	wait_for 10 lld_has_svc || fail "services LLD with {#USER} not pushed"
	# values carry the time they were read
	local now c
	now=$(date +%s)
	c=$(awk -F '\t' '$2 == "agent.ping" { c = $4 } END { print c }' "$TRAP_VALUES")
	assert_between "$c" $((now - 60)) $((now + 1)) "clock of the last agent.ping"
	no_violations
	# the agent's counters agree with what the receiver recorded (checked
	# between two batches: retried until no batch is in flight)
	counted() { [ "$(metric berth_zabbix_active_values_processed_total)" = "$(wc -l <"$TRAP_VALUES")" ]; }
	wait_for 10 counted || fail "processed counter differs from the values received"
	assert_eq "$(metric berth_zabbix_active_values_failed_total)" 0 "no failed values"
	assert_eq "$(metric berth_zabbix_active_up)" 1 "up"
	agent_stop
	# the shipped trapper template is current, and berth pushed every key
	# it names (a trapper item berth never sends would stay empty)
	local tpl=$TEST_LOGDIR/trapper.yaml k n=0
	bash "$BERTH_ROOT/scripts/gen-zabbix-trapper-template.sh" "$tpl" >/dev/null
	cmp -s "$tpl" "$BERTH_ROOT/templates/zabbix/berth_template_trapper.yaml" ||
		fail "templates/zabbix/berth_template_trapper.yaml is stale: run scripts/gen-zabbix-trapper-template.sh"
	while read -r k; do
		k=${k//\{#CONTAINER.NAME\}/zx-act}
		k=${k//\{#PORT\}/8080}
		k=${k//\{#PROTO\}/tcp}
		trap_value zx-host "$k" >/dev/null || fail "template key $k never pushed"
		n=$((n + 1))
	done < <(sed -n "s/^ *key: '\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$tpl")
	assert_ge "$n" 20 "template keys checked"
}

t_zabbix_active_failed_values_counted() {
	# a server that knows no host of that name fails every value, as Zabbix
	# does: counted, logged once with the hint, and the agent goes on
	trapper_start -H some-other-host
	agent_start --zabbix-active "127.0.0.1:$TRAP_PORT" --zabbix-host zx-unknown \
		--zabbix-active-interval 1s --no-services
	failed() { [ "$(metric berth_zabbix_active_values_failed_total)" -ge 3 ]; }
	wait_for 15 failed || fail "failed values not counted"
	assert_eq "$(metric berth_zabbix_active_values_processed_total)" 0 "nothing processed"
	assert_eq "$(grep -c 'trapper items do not exist' "$AGENT_LOG")" 1 "logged once"
	no_violations
	agent_stop
}

t_zabbix_active_dead_server() {
	# nothing listens: the agent keeps serving, counts errors, keeps the
	# batches; a server that accepts and never answers does not hold up a
	# stop; when the server comes back the queued batches arrive, oldest
	# first, with the time they were read
	local dead
	dead=$(free_port)
	agent_start --zabbix-active "127.0.0.1:$dead" --zabbix-host zx-host \
		--zabbix-active-interval 1s --no-services
	errs() { [ "$(metric berth_zabbix_active_send_errors_total)" -ge 3 ]; }
	wait_for 20 errs || fail "send errors not counted"
	assert_eq "$(metric berth_zabbix_active_up)" 0 "down"
	assert_ge "$(metric berth_zabbix_active_queue_batches)" 2 "batches kept"
	hcurl -sf "$AGENT_URL/api/v1/host" >/dev/null || fail "agent stopped answering"
	local t_down
	t_down=$(date +%s)
	sleep 2
	trapper_start -H zx-host -P "$dead"
	arrived() { [ "$(metric berth_zabbix_active_queue_batches)" = 0 ] && trap_value zx-host agent.ping >/dev/null; }
	wait_for 30 arrived || fail "queued batches not delivered"
	# the first batch delivered was read while the server was down
	local first
	first=$(awk -F '\t' '$2 == "agent.ping" { print $4; exit }' "$TRAP_VALUES")
	assert_le "$first" "$t_down" "oldest batch first, with its own clock"
	# clocks never go back: batches arrive in order
	awk -F '\t' '$2 == "agent.ping" { if ($4 < last) exit 1; last = $4 }' "$TRAP_VALUES" ||
		fail "batches out of order"
	no_violations
	agent_stop
	# a hung server (accepts, reads, never answers): stop is still prompt
	# (agent_stop fails the test after 10 s)
	trapper_start -m stall
	agent_start --zabbix-active "127.0.0.1:$TRAP_PORT" --zabbix-active-interval 1s --no-services
	sleep 2
	hcurl -sf "$AGENT_URL/metrics" >/dev/null || fail "agent stopped answering"
	agent_stop
}

t_zabbix_active_frame_matches_zabbix_sender() {
	# Byte for byte: berth's first batch (discovery JSON included, so the
	# escaping is exercised) is given to the real zabbix_sender (Debian:
	# zabbix-agent) with the same hosts, keys, values and clock/ns; both
	# frames reach the same strict receiver and must be identical but for
	# the request's own clock/ns (the send time).
	command -v zabbix_sender >/dev/null || skip "zabbix_sender not installed"
	local raw=$TEST_LOGDIR/raw-$$
	mkdir -p "$raw"
	trapper_start -H zx-host -r "$raw"
	ctr_run zx-snd -- sh -c 'sleep 600' >/dev/null
	agent_start --zabbix-active "127.0.0.1:$TRAP_PORT" --zabbix-host zx-host --zabbix-active-interval 2s \
		--zabbix-active-items agent.ping,berth.containers.discovery,berth.containers.count --no-services
	wait_for 15 test -s "$raw/frame-1" || fail "no frame from berth"
	agent_stop
	# zabbix_sender's input: host key clock ns "value" (\ and " escaped)
	tail -c +14 "$raw/frame-1" |
		jq -r '.data[] | "\(.host) \(.key) \(.clock) \(.ns) \"\(.value | gsub("\\\\"; "\\\\") | gsub("\""; "\\\""))\""' >"$TEST_LOGDIR/zs.in"
	assert_eq "$(wc -l <"$TEST_LOGDIR/zs.in")" 3 "three values in berth's batch"
	local n
	n=$(find "$raw" -name 'frame-*' | wc -l)
	zabbix_sender -z 127.0.0.1 -p "$TRAP_PORT" -T -N -i "$TEST_LOGDIR/zs.in" >/dev/null ||
		fail "zabbix_sender failed against the receiver"
	no_violations
	local ours=$raw/frame-1 theirs=$raw/frame-$((n + 1))
	[ -s "$theirs" ] || fail "no frame from zabbix_sender"
	assert_eq "$(head -c 5 "$ours" | od -An -tx1 | tr -d ' \n')" "$(head -c 5 "$theirs" | od -An -tx1 | tr -d ' \n')" "header magic and flags"
	assert_eq "$(head -c 13 "$ours" | tail -c 4 | od -An -tx1 | tr -d ' \n')" 00000000 "reserved"
	strip() { tail -c +14 "$1" | sed -E 's/,"clock":[0-9]+,"ns":[0-9]+\}$/}/'; }
	[ "$(strip "$ours")" = "$(strip "$theirs")" ] || {
		cmp <(strip "$ours") <(strip "$theirs") >&2 || true
		fail "berth's JSON differs from zabbix_sender's for the same values"
	}
	assert_ge "$(strip "$ours" | wc -c)" 200 "compared a real batch"
}

t_container_user_names() {
	# A user that exists only in the container's /etc/passwd: berth shows
	# its name, read from the container, not the host's passwd.
	! getent passwd 1234 >/dev/null || skip "the host has a uid 1234; the test needs one it lacks"
	ctr_run zx-user -- sh -c 'echo "zxsvc:x:1234:1234::/:/bin/sh" >> /etc/passwd; httpd -p 8090 -u zxsvc; sleep 600' >/dev/null
	local zport
	zport=$(free_port)
	agent_start --services-interval 2s --zabbix-listen "127.0.0.1:$zport"
	user_is() { [ "$(berth services zx-user --json --agent "$AGENT_URL" | jq -r '.[] | select(.port == 8090) | .user')" = "$1" ]; }
	wait_for 20 user_is zxsvc || fail "listener's user name not from the container's passwd"
	local j
	j=$(berth services zx-user --json --agent "$AGENT_URL")
	assert_eq "$(jq -r '.[] | select(.port == 8090) | .uid' <<<"$j")" 1234 "uid beside the name"
	assert_match "$(berth services zx-user --agent "$AGENT_URL")" 'zx-user +tcp +[^ ]+ +8090 +httpd +[0-9]+ +zxsvc ' "table"
	# berth ps NAME: the httpd runs as zxsvc, the shell as root
	j=$(berth ps zx-user --json)
	assert_eq "$(jq -r '[.[] | select(.comm == "httpd")][0].user' <<<"$j")" zxsvc "ps --json user"
	assert_eq "$(jq -r '[.[] | select(.comm == "sleep")][0].user' <<<"$j")" root "ps --json root"
	assert_match "$(berth ps zx-user)" '[0-9]+ +[0-9]+ +zxsvc .*httpd' "ps table"
	if command -v zabbix_get >/dev/null; then
		assert_eq "$(zabbix_get -s 127.0.0.1 -p "$zport" -k berth.services.discovery |
			jq -r '.[] | select(."{#CONTAINER.NAME}" == "zx-user" and ."{#PORT}" == 8090) | ."{#USER}"')" zxsvc "{#USER} in LLD"
	fi
	# the file changes (a new inode, as sed -i makes): the new name shows
	docker exec zx-user sed -i 's/^zxsvc:/zxren:/' /etc/passwd
	wait_for 20 user_is zxren || fail "a changed passwd is not re-read"
	agent_stop
}

t_zabbix_active_real_proxy() {
	# A real Zabbix 6.0 proxy (Debian: zabbix-proxy-sqlite3, passive, an
	# empty SQLite database it creates itself) takes berth's batches with
	# its own parser and answers with its own counts. It has no hosts (only
	# a server could give it some), so it fails every value: berth must get
	# "success" replies, no errors, and count every value as failed.
	command -v zabbix_proxy >/dev/null || skip "zabbix_proxy not installed"
	local dir=$TEST_LOGDIR/proxy port sock
	mkdir -p "$dir"
	port=$(free_port)
	# its unix sockets need a short path (108 bytes at most)
	sock=$(mktemp -d /tmp/zxp.XXXXXX)
	on_exit rm -rf "$sock"
	cat >"$dir/proxy.conf" <<-CONF
		ProxyMode=1
		Server=127.0.0.1
		Hostname=zx-proxy
		ListenIP=127.0.0.1
		ListenPort=$port
		DBName=$dir/proxy.db
		LogType=file
		LogFile=$dir/proxy.log
		PidFile=$dir/proxy.pid
		SocketDir=$sock
		AllowRoot=1
		StartPollers=1
		StartTrappers=2
		StartPreprocessors=1
		StartPingers=0
		StartDiscoverers=0
		StartHTTPPollers=0
	CONF
	zabbix_proxy -c "$dir/proxy.conf" -f >"$dir/proxy.out" 2>&1 &
	local ppid=$!
	on_exit kill "$ppid"
	wait_for 30 _port_listening "$port" || {
		show_file "$dir/proxy.log" "proxy log"
		fail "zabbix_proxy did not start"
	}
	sleep 1
	_alive "$ppid" || {
		show_file "$dir/proxy.log" "proxy log"
		fail "zabbix_proxy exited"
	}
	agent_start --zabbix-active "127.0.0.1:$port" --zabbix-host zx-host \
		--zabbix-active-interval 1s --no-services
	sent() { [ "$(metric berth_zabbix_active_batches_sent_total)" -ge 3 ]; }
	wait_for 30 sent || fail "the proxy did not answer berth's batches with success"
	local f
	f=$TEST_LOGDIR/m-proxy.txt
	scrape >"$f"
	assert_eq "$(metric berth_zabbix_active_send_errors_total '' "$f")" 0 "no exchange failed"
	assert_eq "$(metric berth_zabbix_active_batches_rejected_total '' "$f")" 0 "no batch refused as a whole"
	assert_eq "$(metric berth_zabbix_active_values_processed_total '' "$f")" 0 "nothing processed: no such host on the proxy"
	assert_ge "$(metric berth_zabbix_active_values_failed_total '' "$f")" 3 "values failed"
	assert_eq "$(metric berth_zabbix_active_values_failed_total '' "$f")" "$(metric berth_zabbix_active_values_sent_total '' "$f")" "the proxy counted every value berth sent"
	agent_stop
	! grep -qi 'cannot parse\|invalid JSON\|protocol error' "$dir/proxy.log" || fail "the proxy complained: $(grep -i 'cannot parse\|invalid JSON\|protocol error' "$dir/proxy.log" | head -3)"
	kill "$ppid"
}
