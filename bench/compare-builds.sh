#!/usr/bin/env bash
# compare-builds.sh: run the benchmarks of BENCHMARKS.md for two berth
# binaries and write their figures side by side.
#
#   bench/compare-builds.sh [--quick] [--repeat K] [--only 'ps agent ...']
#                           [--out FILE] [--logs DIR] OLD_BIN NEW_BIN
#
# Why: a change that must not move performance (issue 10's re-layout) is
# shown by re-running every benchmark on the old and the new build, on the
# same machine, close in time, with the same arguments, and putting the
# figures next to each other.
#
# How: for each benchmark, the script of this tree (the same measuring code
# for both) runs with BERTH_BIN=OLD_BIN, then at once with BERTH_BIN=NEW_BIN,
# one at a time; with --repeat K, K times in turn, old, new, old, new...,
# and each figure is the median of its K values (they label their containers berth-bench=1 and clean up by
# that label: two at once would remove each other's). Each run's output is
# kept in the logs folder. Its figures are read generically: every line of
# the output with numbers in it is a template (the line with its numbers
# taken out); a figure is one number of one line, named by the line with
# that number shown as `#`. Old and new lines are paired by template and
# occurrence, so a figure lines up with the same figure of the other run
# whatever the script prints. The markdown section written (to FILE and to
# stdout) has one table per benchmark: figure, old, new, ratio new/old; the
# exact commands; and lines where a script said something was missing or
# failed.
#
# Sizes: by default those BENCHMARKS.md states. --quick uses small ones so
# that both binaries go through every benchmark in under 15 minutes on a
# 2-core machine; then the figures compare OLD with NEW only, not with
# BENCHMARKS.md, and the ones named in each benchmark's note below are
# noise at that size (CPU seconds within a few 10 ms ticks, medians of 3).
#
# Tools the scripts compare berth with (docker stats, du, zabbix_sender,
# rsyslog, Netdata, zabbix_agent2, syslog-ng) do not depend on the binary:
# the scripts measure them in both runs (their figures show the machine's
# noise between the two runs); bench_logs_out.sh runs with ONLY=berth here
# (it would otherwise run rsyslog and syslog-ng twice and may fetch
# syslog-ng with apt-get download). A tool that is not installed is
# reported by the script itself and listed under the table.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

QUICK=0
REPEAT=1
ONLY=
OUTF=
LOGS=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick)
		QUICK=1
		shift
		;;
	--repeat)
		REPEAT=${2:?--repeat K}
		[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || usage
		shift 2
		;;
	--only)
		ONLY=${2:?--only LIST}
		shift 2
		;;
	--out)
		OUTF=${2:?--out FILE}
		shift 2
		;;
	--logs)
		LOGS=${2:?--logs DIR}
		shift 2
		;;
	-h | --help) usage ;;
	--*)
		echo "compare-builds: unknown option $1" >&2
		usage
		;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$OLDPWD/$1" ;; esac }
OLD=$(abspath "$1")
NEW=$(abspath "$2")
for b in "$OLD" "$NEW"; do
	[ -x "$b" ] || {
		echo "compare-builds: $b is not an executable" >&2
		exit 2
	}
done
[ -n "$LOGS" ] || LOGS=$(mktemp -d /tmp/berth-bench-compare.XXXXXX)
mkdir -p "$LOGS"
LOGS=$(cd "$LOGS" && pwd)
[ -n "$OUTF" ] || OUTF=$LOGS/compare.md

# name | script | full arguments (BENCHMARKS.md) | quick arguments | env |
# what is not comparable at the quick size
BENCHES=(
	"ps|bench_ps.sh|50 5|10 3||wall times are a few ms (berth) and one docker stats cycle: medians of 3 move by 10-30 %"
	"agent|bench_agent.sh|50 1000 20|10 100 5||agent CPU over 5 s is 1-3 clock ticks (10 ms): its ratio is noise; per-container collector CPU and scrape time are fine"
	"history_rss|bench_history_rss.sh|50 1000 11 10m|10 100 1 1m||one minute of a 1-minute window: RSS and ring size only, not the 10-minute growth"
	"services|bench_services.sh|50 30 1000|10 5 200||services thread CPU over 5 s is a tick or two: noise; Zabbix latency (200 requests) and the one-pass figures are fine"
	"container|bench_container.sh|50 60|10 10||CPU over 10 s is a few ticks for both agents: the container/host ratio is noise; RSS is fine"
	"df|bench_df.sh|100 1000000|10 20000||20,000 files: wall times are tens of ms and dominated by process start"
	"zabbix_active|bench_zabbix_active.sh|50 60 100 120|10 10 10 10||per-value and per-batch CPU over 10 batches and the 10-s windows of agent 2 and of the whole agent are a few ticks"
	"dashboard|bench_dashboard.sh|200 30|20 5||5-s phases: CPU shares and page time are noise, bytes per second fine"
	"logs|bench_logs.sh|1024 4 1024|64 2 64||64 MB: run time is short against start-up; MB/s and CPU s per GB move by 10-20 %"
	"logs_out|bench_logs_out.sh|1024 4|64 2|ONLY=berth|64 MB: as for logs"
	"disk_track|bench_disk_track.sh|100 1000000 60 5|10 20000 10 3||20,000 files and a 10-s window: the per-interval cost is one interval, its ratios to the first walk are noise"
)

want() { # NAME: selected by --only?
	[ -z "$ONLY" ] && return 0
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# figures FILE: "template<TAB>occurrence<TAB>k<TAB>value<TAB>label" per number,
# label being the line with that number as # and the others as printed.
figures() {
	awk '
	BEGIN { re = "(^|[^A-Za-z0-9_.-])-?[0-9]+(\\.[0-9]+)?" }
	{
		line = $0
		gsub(/\t/, " ", line)
		n = 0; rest = line; tmpl = ""; pos = 0
		delete val; delete st; delete ln
		while (match(rest, re)) {
			s = RSTART; l = RLENGTH
			lead = substr(rest, s, 1)
			if (lead !~ /[-0-9]/) { s++; l-- } # the character before the number
			n++
			val[n] = substr(rest, s, l)
			st[n] = pos + s; ln[n] = l
			tmpl = tmpl substr(rest, 1, s - 1) "#"
			pos += s + l - 1
			rest = substr(rest, s + l)
		}
		if (n == 0) next
		tmpl = tmpl rest
		occ[tmpl]++
		for (k = 1; k <= n; k++) {
			label = substr(line, 1, st[k] - 1) "#" substr(line, st[k] + ln[k])
			gsub(/\|/, "\\|", label)
			sub(/^ +/, "", label)
			gsub(/  +/, " ", label)
			print tmpl "\t" occ[tmpl] "\t" k "\t" val[k] "\t" label
		}
	}' "$1"
}

# medians: figure lines of K runs on stdin -> one line per figure, the
# median of its values (the lower middle one for an even K), in first-run
# order.
medians() {
	awk -F'\t' '
	{
		key = $1 "\t" $2 "\t" $3
		if (!(key in n)) { order[++nk] = key; label[key] = $5 }
		v[key, ++n[key]] = $4
	}
	END {
		for (i = 1; i <= nk; i++) {
			key = order[i]; m = n[key]
			for (a = 1; a <= m; a++) s[a] = v[key, a]
			for (a = 2; a <= m; a++) { # insertion sort, as numbers
				x = s[a]
				for (b = a - 1; b >= 1 && s[b] + 0 > x + 0; b--) s[b + 1] = s[b]
				s[b + 1] = x
			}
			print key "\t" s[int((m + 1) / 2)] "\t" label[key]
		}
	}'
}

# table NAME: the markdown rows of one benchmark, from its K runs per side.
table() {
	local i
	for i in $(seq "$REPEAT"); do figures "$LOGS/$1.old.$i.log"; done | medians >"$LOGS/$1.old.fig"
	for i in $(seq "$REPEAT"); do figures "$LOGS/$1.new.$i.log"; done | medians >"$LOGS/$1.new.fig"
	set -- "$LOGS/$1.old" "$LOGS/$1.new"
	echo "| figure | old | new | new/old |"
	echo "|---|---|---|---|"
	awk -F'\t' '
	NR == FNR { key = $1 "\t" $2 "\t" $3; newv[key] = $4; seen[key] = 0; next }
	{
		key = $1 "\t" $2 "\t" $3
		o = $4
		if (key in newv) {
			n = newv[key]; seen[key] = 1
			r = (o + 0 != 0) ? sprintf("%.2f", n / o) : (n + 0 == 0 ? "=" : "–")
			print "| " $5 " | " o " | " n " | " r " |"
		} else {
			print "| " $5 " | " o " | (no such line) | |"
		}
	}
	END {
		for (k in seen) if (!seen[k]) missing++
		if (missing) print "| (" missing " figures only in the new run: see its log) | | | |"
	}' "$2.fig" "$1.fig"
}

# notes LOG...: lines where a script says a tool is missing or it failed.
notes() {
	grep -h -i -E 'not (installed|available|found)|missing|skip|incomplete|error|fail|unavailable' "$@" 2>/dev/null |
		sort -u | head -n 10 | sed 's/^/    /' || true
}

run_one() { # SIDE.I BIN SCRIPT ARGS ENV: runs, logs, prints rc and seconds
	local side=$1 bin=$2 script=$3 args=$4 env=$5 log rc=0 t0
	log="$LOGS/$name.$side.log"
	t0=$SECONDS
	# shellcheck disable=SC2086 # ARGS and ENV are word lists
	env BERTH_BIN="$bin" $env timeout 3600 bash "bench/$script" $args >"$log" 2>&1 </dev/null || rc=$?
	echo "$rc $((SECONDS - t0))"
}

{
	echo "## Benchmarks, old and new build side by side"
	echo
	echo "- old: \`$OLD\` ($("$OLD" version 2>/dev/null || echo '?'))"
	echo "- new: \`$NEW\` ($("$NEW" version 2>/dev/null || echo '?'))"
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "- sizes: $([ "$QUICK" = 1 ] && echo 'quick (--quick): old vs new only, not comparable with the figures of BENCHMARKS.md' || echo 'those of BENCHMARKS.md')"
	echo "- command: \`bench/compare-builds.sh$([ "$QUICK" = 1 ] && echo ' --quick')$([ "$REPEAT" = 1 ] || echo " --repeat $REPEAT")${ONLY:+ --only '$ONLY'} $OLD $NEW\`; logs in \`$LOGS\`"
	echo
} >"$OUTF"

T_ALL=$SECONDS
for b in "${BENCHES[@]}"; do
	IFS='|' read -r name script full quick env caveat <<<"$b"
	want "$name" || continue
	args=$full
	[ "$QUICK" = 0 ] || args=$quick
	echo "# $(date +%T) $name: bench/$script $args (old, then new)" >&2
	rc_o=0 rc_n=0 t_o=0 t_n=0
	for i in $(seq "$REPEAT"); do
		read -r rc t <<<"$(run_one "old.$i" "$OLD" "$script" "$args" "$env")"
		[ "$rc" = 0 ] || rc_o=$rc
		t_o=$((t_o + t))
		read -r rc t <<<"$(run_one "new.$i" "$NEW" "$script" "$args" "$env")"
		[ "$rc" = 0 ] || rc_n=$rc
		t_n=$((t_n + t))
	done
	{
		echo "### $name: \`${env:+$env }bench/$script $args\`"
		echo
		echo "Exit status old $rc_o (${t_o} s), new $rc_n (${t_n} s)$([ "$REPEAT" = 1 ] || echo ", $REPEAT runs each, medians"). Commands:"
		echo "\`${env:+$env }BERTH_BIN=$OLD bench/$script $args\`, then the same with \`BERTH_BIN=$NEW\`."
		[ "$QUICK" = 0 ] || echo "At this size: $caveat."
		echo
		table "$name"
		n=$(notes "$LOGS/$name".*.log)
		if [ -n "$n" ] || [ "$rc_o" != 0 ] || [ "$rc_n" != 0 ]; then
			echo
			echo "What the script said (missing tools, failures):"
			echo
			[ -z "$n" ] || printf '%s\n' "$n"
			if [ "$rc_o" != 0 ] || [ "$rc_n" != 0 ]; then
				echo "    last lines of the old run:"
				tail -n 3 "$LOGS/$name.old.$REPEAT.log" | sed 's/^/      /'
				echo "    last lines of the new run:"
				tail -n 3 "$LOGS/$name.new.$REPEAT.log" | sed 's/^/      /'
			fi
		fi
		echo
	} >>"$OUTF"
done
echo "Total time: $((SECONDS - T_ALL)) s." >>"$OUTF"
cat "$OUTF"
