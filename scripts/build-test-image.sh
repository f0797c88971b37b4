#!/usr/bin/env bash
# Build berth-test:latest, the image the integration tests run containers
# from, without any registry: a root filesystem holding Debian's static
# busybox plus one symlink per applet, imported with `docker import`.
#
# The image carries the label berth.test-image=<busybox version>-r<recipe>;
# when an image with the same label already exists nothing is done, so this
# is cheap to call before every test run. Bump RECIPE when the layout below
# changes so existing images get rebuilt.
set -euo pipefail

IMAGE=${BERTH_TEST_IMAGE:-berth-test:latest}
RECIPE=1
BUSYBOX=/bin/busybox # from busybox-static: no shared libraries needed

if [ ! -x "$BUSYBOX" ] || ! dpkg-query -W busybox-static >/dev/null 2>&1; then
	echo "build-test-image: busybox-static missing; run scripts/install-deps.sh --test" >&2
	exit 1
fi

want="$(dpkg-query -W -f='${Version}' busybox-static)-r$RECIPE"
have=$(docker image inspect -f '{{index .Config.Labels "berth.test-image"}}' "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$want" ]; then
	echo "build-test-image: $IMAGE is up to date ($want)"
	exit 0
fi

old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,root}
install -d -m 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
# --list-full prints paths like usr/bin/awk; every applet gets a symlink.
"$BUSYBOX" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -sf /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
	docker import \
		--change "LABEL berth.test-image=$want" \
		--change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["/bin/sh"]' \
		- "$IMAGE" >/dev/null

# Prove the image runs before anyone relies on it.
out=$(docker run --rm --network none "$IMAGE" sh -c 'echo ok; ls /bin/sleep >/dev/null')
if [ "$out" != ok ]; then
	echo "build-test-image: $IMAGE does not run a shell (got: $out)" >&2
	exit 1
fi
# The previous build is now untagged: drop it unless a container uses it.
if [ -n "$old_id" ]; then
	docker rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "build-test-image: built $IMAGE ($want)"
