# shellcheck shell=bash
# Smoke tests: the binary runs, explains itself and its agent starts and
# stops cleanly. Sourced by tests/run.sh after lib.sh.

# `berth version` prints the version from the VERSION file.
t_version() {
	local out want
	want=$(cat "$BERTH_ROOT/VERSION")
	out=$(berth version)
	note "berth version: $out"
	assert_contains "$out" "$want" "berth version"
}

# `berth --help` exits 0 and names the subcommands.
t_help() {
	local out cmd
	out=$(berth --help)
	for cmd in ps top agent version; do
		assert_contains "$out" "$cmd" "berth --help"
	done
}

# An unknown subcommand is an error, not a silent success.
t_unknown_command() {
	local rc=0
	berth no-such-command >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "berth no-such-command exited 0"
	[ "$rc" -lt 126 ] || fail "berth no-such-command crashed or was not run (status $rc)"
}

# The agent starts, answers /healthz with 200 and exits 0 on SIGTERM.
t_agent_health() {
	agent_start
	assert_eq "$(http_status "$AGENT_URL/healthz")" 200 "GET /healthz"
	agent_stop
}
