#!/usr/bin/env bash
# Make sure a Docker daemon answers on this machine.
#
# Does nothing when `docker info` already works. Otherwise starts the
# daemon: with systemctl when systemd is PID 1, else dockerd directly in the
# background (CI machines and containers have no init system), logging to
# /var/log/berth-dockerd.log (or /tmp/berth-dockerd.log when /var/log is not
# writable). Waits up to DOCKER_START_TIMEOUT seconds (default 60) for the
# daemon to answer and fails with the end of its log if it does not.
set -euo pipefail

timeout_s=${DOCKER_START_TIMEOUT:-60}

# docker_ok: true when the daemon answers the CLI.
docker_ok() {
	timeout 10 docker info >/dev/null 2>&1
}

if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
	echo "start-docker: docker/dockerd not found; run scripts/install-deps.sh --test" >&2
	exit 1
fi

if docker_ok; then
	exit 0
fi

log=/var/log/berth-dockerd.log
if ! { : >>"$log"; } 2>/dev/null; then
	log=/tmp/berth-dockerd.log
fi

if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
	echo "start-docker: systemctl start docker"
	systemctl start docker
else
	# A daemon killed hard leaves its pid file behind; dockerd refuses to
	# start only if that pid is alive, so remove it when it is not a dockerd.
	pidfile=/var/run/docker.pid
	if [ -f "$pidfile" ]; then
		pid=$(cat "$pidfile" 2>/dev/null || true)
		if [ -n "$pid" ] && [ "$(ps -p "$pid" -o comm= 2>/dev/null)" = dockerd ]; then
			echo "start-docker: dockerd (pid $pid) is running but not answering yet"
		else
			rm -f "$pidfile"
			pid=
		fi
	fi
	if [ -z "${pid:-}" ]; then
		echo "start-docker: starting dockerd, log in $log"
		# setsid + nohup: the daemon outlives this script and its session.
		# (A background child of a script is no group leader, so setsid
		# execs instead of forking and $! is dockerd itself.)
		setsid nohup dockerd >>"$log" 2>&1 </dev/null &
		daemon_pid=$!
	fi
fi

for ((i = 0; i < timeout_s * 2; i++)); do
	if docker_ok; then
		echo "start-docker: docker is up after $((i / 2)) s"
		exit 0
	fi
	if [ -n "${daemon_pid:-}" ] && ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "start-docker: dockerd exited during startup" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
	sleep 0.5
done

echo "start-docker: docker did not answer within ${timeout_s} s" >&2
if [ -f "$log" ]; then
	echo "--- last lines of $log:" >&2
	tail -n 30 "$log" >&2
fi
exit 1
