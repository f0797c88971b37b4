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
