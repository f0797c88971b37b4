#!/usr/bin/env bash
# Build berth:latest, the image that runs `berth agent` as its own container,
# without any registry (none is reachable here, so neither `FROM debian` nor
# a multi-stage build that compiles inside an image can work):
#
#   1. berth-base:bookworm: a minimal Debian 12 root filesystem made by
#      Debian's debootstrap (--variant=minbase) from the mirror apt uses on
#      this machine, plus the Debian packages that own every shared library
#      `ldd build/berth` lists (found with dpkg -S, so a library the Makefile
#      adds later comes along without editing this file) and ca-certificates
#      (for TLS log outputs), imported with
#      `docker import`. Skipped when an image with the same package list
#      (label berth.base-pkgs) exists.
#   2. berth:latest: `docker build -f deploy/Dockerfile` FROM that base,
#      copying build/berth. The binary is built on this host, Debian 12 like
#      the base, so the libraries it was linked against are the ones shipped.
#
# Usage: scripts/build-berth-image.sh [--base-only]
# Environment:
#   BERTH_BIN          binary to ship (build/berth)
#   BERTH_IMAGE        image to build (berth:latest)
#   BERTH_BASE_IMAGE   base image (berth-base:bookworm)
#   BERTH_MIRROR       Debian mirror (default: the first deb.debian.org-style
#                      URI apt uses here, else http://deb.debian.org/debian)
#   BERTH_REBUILD_BASE=1  rebuild the base even when it is up to date
#
# Exit status: 0 built or up to date; 3 when debootstrap cannot reach the
# mirror (tests skip on it); 1 on any other error.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=${BERTH_BIN:-build/berth}
IMAGE=${BERTH_IMAGE:-berth:latest}
BASE=${BERTH_BASE_IMAGE:-berth-base:bookworm}
SUITE=bookworm
RECIPE=1 # bump when the base's layout below changes

say() { echo "build-berth-image: $*" >&2; }
die() {
	say "$*"
	exit 1
}

BASE_ONLY=0
case "${1:-}" in
"") ;;
--base-only) BASE_ONLY=1 ;;
*) die "usage: $0 [--base-only]" ;;
esac

[ -x "$BIN" ] || die "$BIN missing: run make first"
command -v docker >/dev/null || die "docker missing: run scripts/install-deps.sh --test"
command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/install-deps.sh --test"
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"

# mirror: the Debian archive URI apt uses here (deb822 or one-line sources).
mirror() {
	local m
	if [ -n "${BERTH_MIRROR:-}" ]; then
		echo "$BERTH_MIRROR"
		return
	fi
	m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		awk '
			/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
			/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/ && $(i + 1) ~ /^bookworm$/) { print $i; exit } }
		' | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# lib_packages BIN: the Debian packages owning every shared library BIN
# loads, one per line, sorted. With merged /usr, dpkg may know a library
# under /lib while ldd prints /usr/lib (or the reverse): both are tried.
lib_packages() {
	local lib real p
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			real=$(readlink -f "$lib")
			for p in "$lib" "$real" "${lib#/usr}" "/usr$lib" "${real#/usr}" "/usr$real"; do
				if out=$(dpkg -S "$p" 2>/dev/null); then
					echo "${out%%:*}"
					continue 2
				fi
			done
			die "no Debian package owns $lib (ldd $1): cannot ship it"
		done | sort -u
}

build_base() {
	local pkgs want have old_id root mir rc=0
	# plus ca-certificates: what ldd cannot tell, the CA bundle libcurl and
	# OpenSSL verify TLS servers with (log outputs over HTTPS or TLS)
	pkgs=$({
		lib_packages "$BIN"
		echo ca-certificates
	} | sort -u | tr '\n' ',' | sed 's/,$//')
	want="$SUITE-r$RECIPE:$pkgs"
	have=$(docker image inspect -f '{{index .Config.Labels "berth.base-pkgs"}}' "$BASE" 2>/dev/null || true)
	if [ "$have" = "$want" ] && [ "${BERTH_REBUILD_BASE:-0}" != 1 ]; then
		say "$BASE is up to date ($pkgs)"
		return 0
	fi
	mir=$(mirror)
	say "building $BASE: debootstrap --variant=minbase $SUITE from $mir with $pkgs"
	old_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null || true)
	root=$(mktemp -d /var/tmp/berth-rootfs.XXXXXX)
	# shellcheck disable=SC2064 # expand $root now
	trap "rm -rf '$root'" EXIT
	debootstrap --variant=minbase --include="$pkgs" "$SUITE" "$root" "$mir" \
		>"$root.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$root.log" >&2
		if grep -qE "Failed getting release file|Couldn't download|Could not resolve|unable to fetch|Failed to connect" "$root.log"; then
			rm -f "$root.log"
			say "cannot reach the Debian mirror $mir"
			exit 3
		fi
		rm -f "$root.log"
		die "debootstrap failed (status $rc)"
	fi
	rm -f "$root.log"
	# What a process that only reads never needs: package caches, indexes,
	# documentation, manuals and locales.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/var/cache/debconf/*-old "$root"/var/log/* \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/locale/*
	mkdir -p "$root/host" "$root/var/lib/berth"
	tar --numeric-owner -C "$root" -c . |
		docker import \
			--change "LABEL berth.base-pkgs=$want" \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["/bin/sh"]' \
			- "$BASE" >/dev/null
	rm -rf "$root"
	trap - EXIT
	if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$BASE")" ]; then
		docker rmi "$old_id" >/dev/null 2>&1 || true
	fi
	say "built $BASE"
}

build_image() {
	local ctx old_id want have out
	# Up to date when built from this very binary on the current base.
	want="$(sha256sum "$BIN" | cut -c1-64)@$(docker image inspect -f '{{.Id}}' "$BASE")"
	have=$(docker image inspect -f '{{index .Config.Labels "berth.built-from"}}' "$IMAGE" 2>/dev/null || true)
	if [ "$have" = "$want" ]; then
		say "$IMAGE is up to date ($BIN unchanged)"
		return 0
	fi
	old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
	# A context of just the binary: nothing else of the tree is sent to dockerd.
	ctx=$(mktemp -d)
	# shellcheck disable=SC2064 # expand $ctx now
	trap "rm -rf '$ctx'" EXIT
	mkdir -p "$ctx/build"
	cp "$BIN" "$ctx/build/berth"
	# The legacy builder: BuildKit is a separate plugin this docker.io lacks.
	# Its deprecation notice is noise; real errors still reach stderr.
	DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$BASE" \
		--label "berth.version=$(cat "$ROOT/VERSION" 2>/dev/null || echo unknown)" \
		--label "berth.built-from=$want" \
		-f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ctx" 2>&1 >/dev/null |
		grep -vE 'DEPRECATED: The legacy builder|BuildKit is currently disabled|environment-variable\.|^ *$' >&2 || true
	[ "$(docker image inspect -f '{{index .Config.Labels "berth.built-from"}}' "$IMAGE" 2>/dev/null)" = "$want" ] ||
		die "docker build of $IMAGE failed"
	rm -rf "$ctx"
	trap - EXIT
	# Prove the image runs, with no capabilities and a read-only root.
	out=$(docker run --rm --network none --read-only --cap-drop ALL "$IMAGE" version) ||
		die "$IMAGE does not run 'berth version'"
	if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
		docker rmi "$old_id" >/dev/null 2>&1 || true
	fi
	say "built $IMAGE ($out; $(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
}

build_base
[ "$BASE_ONLY" = 1 ] || build_image
