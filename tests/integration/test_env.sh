# shellcheck shell=bash
# test_env.sh: `berth env` (src/cmd/env.c over release/env/envq.c) against
# a real one-member etcd. Ground truth is what etcdctl wrote and reads back,
# and values written by hand here.

# shellcheck source=tests/integration/lib_etcd.sh
source "$BERTH_ROOT/tests/integration/lib_etcd.sh"

benv() {
	berth env --etcd "$ETCD_ENDPOINTS" "$@"
}

# The store's revision, as etcd's own client reports it.
etcd_rev() {
	etcdctl_ get / -w json | jq -r '.header.revision'
}

# Every layer of the issue's list written with etcdctl, a key set in the
# first N layers for each N: each comes from the highest layer that sets
# it, and the layers of another app, env or dc never leak in.
t_env_seven_layers() {
	etcd_start
	local layers=(global dc/fra env/prod env/prod/dc/fra app/web app/web/env/prod
		app/web/env/prod/dc/fra) i j
	for ((i = 0; i < 7; i++)); do
		for ((j = i; j < 7; j++)); do
			etcdctl_ put "/berth/env/${layers[i]}/K$((j + 1))" "from ${layers[i]}" >/dev/null
		done
	done
	# the neighbours that must not apply
	etcdctl_ put /berth/env/dc/ams/K1 ams >/dev/null
	etcdctl_ put /berth/env/env/staging/K1 staging >/dev/null
	etcdctl_ put /berth/env/app/api/K1 api >/dev/null
	etcdctl_ put /berth/env/app/web/env/prod/dc/ams/K7 ams >/dev/null
	etcdctl_ put /berth/env/app/webx/K1 webx >/dev/null
	local want got
	want=$(printf 'K%d=from %s\n' 1 global 2 dc/fra 3 env/prod 4 env/prod/dc/fra 5 app/web \
		6 app/web/env/prod 7 app/web/env/prod/dc/fra)
	got=$(benv export web --env prod --dc fra)
	assert_eq "$got" "$want" "merged set"
	# each key's layer and mod revision equal etcd's own
	local doc rev
	doc=$(benv show web --env prod --dc fra --json)
	for ((j = 0; j < 7; j++)); do
		assert_eq "$(jq -r ".keys[$j].source.layer" <<<"$doc")" "${layers[j]}" "K$((j + 1)) layer"
		rev=$(etcdctl_ get "/berth/env/${layers[j]}/K$((j + 1))" -w json |
			jq -r '.kvs[0].mod_revision')
		assert_eq "$(jq -r ".keys[$j].source.mod_revision" <<<"$doc")" "$rev" "K$((j + 1)) rev"
	done
	assert_eq "$(jq -r '.revision' <<<"$doc")" "$(etcd_rev)" "read revision"
	# explain lists every layer that sets K7, lowest first
	doc=$(benv explain web K7 --env prod --dc fra --json)
	assert_eq "$(jq -r '[.layers[].layer] | join(" ")' <<<"$doc")" "${layers[*]}" "explain"
	# without a dc, the dc layers drop out
	assert_eq "$(benv export web --env prod | tr '\n' ' ')" \
		"K1=from global K2=from global K3=from env/prod K4=from env/prod K5=from app/web K6=from app/web/env/prod K7=from app/web/env/prod " \
		"merged set without dc"
}

# A secret set from stdin: in etcd with its mark, absent from show, export,
# --json and the journal; shown with --reveal only.
t_env_secret_hidden() {
	etcd_start
	local pw='s3cr3t-Value-9f2'
	printf '%s\n' "$pw" | benv set app/web --stdin DB_PASS --secret >/dev/null
	assert_eq "$(etcdctl_ get /berth/env/app/web/DB_PASS --print-value-only)" "$pw" "stored"
	assert_eq "$(etcdctl_ get /berth/secret/DB_PASS --keys-only | head -1)" "/berth/secret/DB_PASS" \
		"mark"
	benv set app/web USER=shop >/dev/null
	local all
	all=$(benv show web --env prod; benv show web --env prod --json; benv export web --env prod
		benv export web --env prod --json; benv explain web DB_PASS --env prod
		benv history web DB_PASS --json; benv export --layer app/web --json
		etcdctl_ get --prefix /berth/journal/)
	[[ $all != *"$pw"* ]] || fail "the secret's value was printed: $all"
	assert_contains "$all" "(secret)"
	assert_eq "$(benv show web --env prod --json --reveal | jq -r '.keys[] | select(.key=="DB_PASS") | .source.value')" \
		"$pw" "--reveal"
	assert_eq "$(benv export web --env prod --reveal | grep DB_PASS)" "DB_PASS=$pw" "export --reveal"
	# the set's digest does not depend on the value: an offline guess
	# cannot be checked against a container's label
	local sha1 sha2
	sha1=$(benv show web --env prod --json | jq -r .sha256)
	etcdctl_ put /berth/env/app/web/DB_PASS "$pw" >/dev/null
	sha2=$(benv show web --env prod --json | jq -r .sha256)
	[ "$sha1" != "$sha2" ] || fail "a new write of the secret did not change the digest"
	local guess
	guess=$(printf 'DB_PASS=%s\nUSER=shop\n' "$pw" | sha256sum | cut -d' ' -f1)
	[ "$sha2" != "$guess" ] || fail "the digest is the sha256 of the secret's value"
}

# set: one transaction with its journal record; run again, nothing written.
t_env_set_idempotent_journal() {
	etcd_start
	local out r1 r2 rec
	out=$(benv set app/web A=1 B='two words' --json)
	assert_eq "$(jq -r '.changes | length' <<<"$out")" 2 "changes"
	r1=$(etcd_rev)
	assert_eq "$(jq -r .revision <<<"$out")" "$r1" "revision reported"
	# both keys and the record at one revision: one transaction
	assert_eq "$(etcdctl_ get /berth/env/app/web/A -w json | jq -r '.kvs[0].mod_revision')" "$r1"
	assert_eq "$(etcdctl_ get /berth/env/app/web/B -w json | jq -r '.kvs[0].mod_revision')" "$r1"
	assert_eq "$(etcdctl_ get --prefix /berth/journal/env/ --keys-only | grep -c .)" 1 "records"
	rec=$(etcdctl_ get --prefix /berth/journal/env/ --print-value-only)
	assert_eq "$(jq -r '.action' <<<"$rec")" set
	assert_eq "$(jq -r '[.changes[].key] | join(",")' <<<"$rec")" "A,B"
	assert_eq "$(jq -r '.host' <<<"$rec")" "$(hostname)"
	[[ $rec != *"two words"* ]] || fail "a value in the journal: $rec"
	# the same set again: no write at all
	out=$(benv set app/web A=1 B='two words')
	assert_contains "$out" "0 changes"
	r2=$(etcd_rev)
	assert_eq "$r2" "$r1" "revision after the same set"
	# --dry-run says what it would do and writes nothing
	out=$(benv set app/web A=2 --dry-run)
	assert_contains "$out" "would set app/web A"
	assert_eq "$(etcd_rev)" "$r1" "revision after --dry-run"
	assert_eq "$(etcdctl_ get /berth/env/app/web/A --print-value-only)" 1
	# unset of a missing key: nothing written; of a present one: deleted
	benv unset app/web NOPE >/dev/null
	assert_eq "$(etcd_rev)" "$r1" "revision after unset of a missing key"
	benv unset app/web A >/dev/null
	assert_eq "$(etcdctl_ get /berth/env/app/web/A --keys-only | grep -c .)" 0 "unset"
	assert_eq "$(etcdctl_ get --prefix /berth/journal/env/ --keys-only | grep -c .)" 2 "records"
}

# history lists the versions etcd keeps, newest first, with etcd's
# revisions; rollback brings a layer back and is idempotent.
t_env_history_rollback() {
	etcd_start
	benv set env/prod DB=db1 X=keep >/dev/null
	local r1 r2 r3 doc
	r1=$(etcd_rev)
	benv set env/prod DB=db2 NEW=added >/dev/null
	r2=$(etcd_rev)
	benv set global DB=base >/dev/null
	r3=$(etcd_rev)
	doc=$(benv history web DB --env prod --json)
	assert_eq "$(jq -r '[.versions[] | "\(.revision):\(.layer):\(.value)"] | join(" ")' <<<"$doc")" \
		"$r3:global:base $r2:env/prod:db2 $r1:env/prod:db1" "history"
	# a layer nested under another's path is not part of it
	benv set env/prod/dc/fra DB=nested >/dev/null
	doc=$(benv rollback env/prod --to "$r1" --json)
	assert_eq "$(jq -r '[.changes[] | "\(.op):\(.key)"] | join(" ")' <<<"$doc")" "put:DB delete:NEW" \
		"rollback plan"
	assert_eq "$(benv export --layer env/prod)" "$(printf 'DB=db1\nX=keep')" "rolled back"
	assert_eq "$(etcdctl_ get /berth/env/env/prod/dc/fra/DB --print-value-only)" nested "nested layer"
	local r4
	r4=$(etcd_rev)
	doc=$(benv rollback env/prod --to "$r1" --json)
	assert_eq "$(jq -r '.changes | length' <<<"$doc")" 0 "second rollback"
	assert_eq "$(etcd_rev)" "$r4" "revision after the second rollback"
	assert_eq "$(etcdctl_ get --prefix /berth/journal/env/ --print-value-only | jq -r .action | tail -1)" \
		rollback
}

# diff: each differing key with both sides; exit 1 when they differ, 0 when
# not, so a CI job can gate on it.
t_env_diff_exit() {
	etcd_start
	benv set global LOG=info SHARED=1 >/dev/null
	benv set env/prod LOG=warn ONLY_PROD=1 >/dev/null
	benv set env/staging ONLY_STG=1 >/dev/null
	local rc=0 doc
	doc=$(benv diff web --env prod --env staging --json) || rc=$?
	assert_eq "$rc" 1 "exit when different"
	assert_eq "$(jq -r '[.keys[].key] | join(" ")' <<<"$doc")" "LOG ONLY_PROD ONLY_STG"
	assert_eq "$(jq -r '.keys[0].a.layer + " " + .keys[0].b.layer' <<<"$doc")" "env/prod global"
	assert_eq "$(jq -r '.keys[2].a' <<<"$doc")" null
	rc=0
	benv diff web --env staging --env staging >/dev/null || rc=$?
	assert_eq "$rc" 0 "exit when equal"
}

# import reads env-files and JSON; export --layer reads back what import
# wrote; a bad file names its line and writes nothing.
t_env_import_export() {
	etcd_start
	local f="$TEST_LOGDIR/in.env"
	printf '# a comment\nA=1\nB=x=y\n\nC=with spaces \n' >"$f"
	benv import app/web "$f" >/dev/null
	assert_eq "$(etcdctl_ get /berth/env/app/web/C --print-value-only)" "with spaces " "raw value"
	benv export --layer app/web >"$TEST_LOGDIR/out.env"
	benv import app/api "$TEST_LOGDIR/out.env" >/dev/null
	assert_eq "$(benv export --layer app/api)" "$(benv export --layer app/web)" "round trip"
	echo '{"J":"json value","K":"2"}' | benv import env/prod - >/dev/null
	assert_eq "$(etcdctl_ get /berth/env/env/prod/J --print-value-only)" "json value"
	local r rc=0 err
	r=$(etcd_rev)
	printf 'OK=1\nbad line\n' >"$f"
	err=$(benv import app/web "$f" 2>&1) || rc=$?
	assert_eq "$rc" 2 "exit on a bad file"
	assert_contains "$err" "line 2"
	assert_eq "$(etcd_rev)" "$r" "nothing written"
	# more keys than one transaction holds: written in several, all there
	local i
	for ((i = 0; i < 150; i++)); do echo "K$i=v$i"; done >"$f"
	benv import global "$f" >/dev/null
	assert_eq "$(etcdctl_ get --prefix /berth/env/global/ --keys-only | grep -c .)" 150 "150 keys"
}

# Bad input and a dead etcd: a clear message naming what is wrong and the
# documented exit status; a key ops wrote by hand that berth cannot use is
# reported, the rest still shown.
t_env_bad_input() {
	etcd_start
	local rc err
	rc=0; err=$(benv set app/web 'bad-key=1' 2>&1) || rc=$?
	assert_eq "$rc" 2; assert_contains "$err" "bad-key"
	rc=0; err=$(benv set nolayer/x A=1 2>&1) || rc=$?
	assert_eq "$rc" 2; assert_contains "$err" "nolayer/x"
	rc=0; err=$(benv show 'we/b' --env prod 2>&1) || rc=$?
	assert_eq "$rc" 2; assert_contains "$err" "we/b"
	rc=0; err=$(benv show web 2>&1) || rc=$?
	assert_eq "$rc" 2; assert_contains "$err" "--env"
	rc=0; err=$(benv frobnicate 2>&1) || rc=$?
	assert_eq "$rc" 2; assert_contains "$err" "frobnicate"
	etcdctl_ put /berth/env/global/bad-key x >/dev/null
	etcdctl_ put /berth/env/global/GOOD y >/dev/null
	rc=0; err=$(benv show web --env prod 2>&1 >/dev/null) || rc=$?
	assert_eq "$rc" 0; assert_contains "$err" "/berth/env/global/bad-key"
	assert_eq "$(benv export web --env prod 2>/dev/null)" "GOOD=y"
	# etcd gone: exit 3 with the endpoint named, quickly
	local port
	port=$(free_port)
	rc=0; err=$(berth env --etcd "http://127.0.0.1:$port" show web --env prod 2>&1) || rc=$?
	assert_eq "$rc" 3; assert_contains "$err" "127.0.0.1:$port"
	rc=0; err=$(berth env --etcd "http://127.0.0.1:$port" set global A=1 2>&1) || rc=$?
	assert_eq "$rc" 3
}
