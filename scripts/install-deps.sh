#!/usr/bin/env bash
# Install what berth needs on a Debian 12 machine.
#
#   scripts/install-deps.sh          build dependencies (compiler, libraries)
#   scripts/install-deps.sh --test   also what tests/run.sh needs: Docker,
#                                    busybox for the test image, promtool,
#                                    curl, jq, clang for fuzzing, ss, ps,
#                                    tmux, clang-format, cppcheck, bc,
#                                    debootstrap, docker-compose
#
# Idempotent and fast when everything is present: packages are checked with
# dpkg-query first and apt-get (update and install) only runs for missing
# ones. Needs root (or sudo) only when something is missing.
set -euo pipefail

BUILD_PKGS=(
	build-essential pkg-config
	libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libncurses-dev
	libcmocka-dev zlib1g-dev libssl-dev gzip
	libyaml-dev
)
# prometheus is only here for /usr/bin/promtool (it ships in the same
# package; its only Recommends is the node exporter). docker.io's
# Recommends (git, xz, apparmor, needrestart, cgroupfs-mount) are not
# needed to run containers from an imported image.
# tmux drives `berth top` in a real terminal; clang-format and cppcheck
# are the static checks; bc is for bench/; zabbix-proxy-sqlite3 brings
# zabbix_get, the real Zabbix client the tests query berth with (its proxy
# service is not started: there is no init system to start it, and the
# tests never need it). zabbix-agent brings zabbix_sender, the real
# sender the active-mode test and bench/bench_zabbix_active.sh compare
# berth's frames and cost with (its zabbix_agentd is not used; without an
# init system it is not started either). chromium, nodejs and npm run the dashboard's
# end-to-end test (tests/e2e: playwright-core from the npm registry, pinned
# by its package-lock.json, installed below with npm ci). rsyslog (imtcp) and redis-server are the real
# receivers of the syslog and Redis log outputs; the tests start their own
# instances on free ports (no system service is used).
TEST_PKGS=(
	docker.io busybox-static prometheus curl jq
	clang libclang-rt-14-dev procps iproute2
	tmux clang-format cppcheck bc zabbix-proxy-sqlite3
	zabbix-agent
	chromium nodejs
	rsyslog rsyslog-openssl openssl redis-server
)

# berth in its own container (tests/integration/test_container.sh):
# debootstrap builds the base of berth's image (no registry is reachable:
# scripts/build-berth-image.sh); docker-compose (Debian's 1.29) runs
# deploy/docker-compose.yml.
TEST_PKGS+=(debootstrap docker-compose)

# The configuration side (berth env, berth run): a real etcd 3.4 the tests
# start on their own loopback ports (tests/integration/lib_etcd.sh), and
# etcdctl, which the tests and bench/bench_env.sh compare berth with. The
# package's own service is not used.
TEST_PKGS+=(etcd-server etcd-client)

usage() {
	echo "usage: $0 [--test]" >&2
	exit 2
}

want=("${BUILD_PKGS[@]}")
case "${1:-}" in
"") ;;
--test)
	want+=("${TEST_PKGS[@]}")
	# Debian's npm; a nodejs from elsewhere (NodeSource) ships its own npm
	# and conflicts with Debian's
	command -v npm >/dev/null || want+=(npm)
	;;
*) usage ;;
esac
[ $# -le 1 ] || usage

# is_installed PKG: true when dpkg reports PKG fully installed.
is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${want[@]}"; do
	is_installed "$p" || missing+=("$p")
done

# e2e_deps: the dashboard test's node modules (tests/e2e), when missing.
e2e_deps() {
	local dir
	dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e"
	[ "${1:-}" = --test ] && [ -f "$dir/package-lock.json" ] || return 0
	[ -d "$dir/node_modules/playwright-core" ] && return 0
	echo "install-deps: npm ci in tests/e2e"
	(cd "$dir" && npm ci --no-audit --no-fund) || echo "install-deps: npm ci in tests/e2e failed; the dashboard e2e test will skip" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	e2e_deps "${1:-}"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "install-deps: need root to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A failing third-party source must not stop the install: apt-get install
# below fails clearly if a package really cannot be found.
"${sudo[@]}" apt-get update -q || echo "install-deps: apt-get update had errors, trying anyway" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "${missing[@]}"

for p in "${missing[@]}"; do
	is_installed "$p" || {
		echo "install-deps: $p still not installed" >&2
		exit 1
	}
done
if [ "${1:-}" = --test ] && ! command -v promtool >/dev/null; then
	echo "install-deps: prometheus is installed but promtool is missing" >&2
	exit 1
fi
e2e_deps "${1:-}"
echo "install-deps: done"
