#!/usr/bin/env bash
# tests/run.sh: berth's one test command.
#
#   tests/run.sh             install test dependencies, build, start Docker,
#                            build the test image, run the unit tests and the
#                            integration tests (and again under ASan+UBSan
#                            when BERTH_ASAN=1, as .ci/run sets)
#   tests/run.sh --quick     build and run the unit tests only: no install,
#                            no Docker
#   tests/run.sh FILTER...   only the integration tests whose "file:function"
#                            matches one of the extended regexes FILTER,
#                            e.g. `smoke` or `test_smoke.sh:t_version$`
#
# Environment:
#   BERTH_ASAN=1          also build `make asan` and rerun everything with
#                         build-asan/, any sanitizer report failing the test
#   BERTH_FUZZ=SECONDS    also build `make fuzz` and run every libFuzzer
#                         target for SECONDS from its seed corpus (CI: 30);
#                         a crash, leak or sanitizer report fails it
#   BERTH_NO_INSTALL=1    skip scripts/install-deps.sh
#   BERTH_NO_BUILD=1      skip make; test the binaries already built (or
#                         the one named by BERTH_BIN)
#   BERTH_BIN             binary for the integration tests (build/berth)
#   BERTH_TEST_TIMEOUT    seconds per integration test (180)
#   BERTH_UNIT_TIMEOUT    seconds per unit test binary (300)
#   BERTH_TEST_BUDGET     seconds for the whole run (3600, within CI's 90
#                         minutes); tests not started by then count as
#                         failed, so a slow run still ends with a verdict
#
# Unit tests are the binaries built from tests/unit/test_*.c; their cmocka
# summaries are parsed so each test case counts. Integration tests are the
# t_* functions of tests/integration/test_*.sh, each run in its own bash
# process with lib.sh sourced (see lib.sh). Every log goes under
# test-output/; failures are also printed. The last line is always
# "N passed, N failed" (", N skipped" added when some were skipped), and the
# exit status is non-zero when anything failed or nothing ran.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# One id for this run: its containers carry it, and only they are cleaned up.
BERTH_TEST_RUN=${BERTH_TEST_RUN:-run$$}
export BERTH_TEST_RUN
OUT=$ROOT/test-output
JOBS=$(nproc 2>/dev/null || echo 2)
TEST_TIMEOUT=${BERTH_TEST_TIMEOUT:-180}
UNIT_TIMEOUT=${BERTH_UNIT_TIMEOUT:-300}
BUDGET=${BERTH_TEST_BUDGET:-3600}

QUICK=0
FILTERS=()
for arg in "$@"; do
	case "$arg" in
	--quick) QUICK=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	-*)
		echo "run.sh: unknown option $arg (see --help)" >&2
		exit 2
		;;
	*) FILTERS+=("$arg") ;;
	esac
done
if [ "$QUICK" = 1 ] && [ ${#FILTERS[@]} -gt 0 ]; then
	echo "run.sh: --quick runs unit tests only and takes no FILTER" >&2
	exit 2
fi

PASSED=0
FAILED=0
SKIPPED=0
START=$SECONDS

# ---------------------------------------------------------------------------
# Reporting

# say MSG...: a progress line, kept apart from results by its "#".
say() {
	echo "# [$((SECONDS - START))s] $*"
}

# show_log FILE: print the end of a failure's log, indented, with its path.
show_log() {
	local f=$1 n
	[ -f "$f" ] || return 0
	n=$(wc -l <"$f")
	echo "    --- $f ($n lines$([ "$n" -gt 150 ] && echo ", last 150 shown"))"
	tail -n 150 "$f" | sed 's/^/    | /'
	echo "    ---"
}

# pass ID: count and print one passed test.
pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

# failed ID LOG [WHY]: count and print one failed test with its log.
failed() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1${3:+ ($3)}"
	show_log "$2"
}

# out_of_time ID LOG: when the run's time budget is spent, count ID as
# failed without running it and return 0.
out_of_time() {
	((SECONDS - START >= BUDGET)) || return 1
	echo "not run: the run's budget of $BUDGET s (BERTH_TEST_BUDGET) is spent" >"$2"
	failed "$1" "" "not run, out of time"
}

# skipped ID REASON: count and print one skipped test.
skipped() {
	SKIPPED=$((SKIPPED + 1))
	echo "ok - $1 # SKIP $2"
}

# finish: print the closing line and exit with the overall status.
finish() {
	local line="$PASSED passed, $FAILED failed"
	[ "$SKIPPED" -eq 0 ] || line+=", $SKIPPED skipped"
	say "done in $((SECONDS - START)) s"
	if [ $((PASSED + FAILED)) -eq 0 ]; then
		echo "# no test ran${FILTERS[0]:+ (no test matches ${FILTERS[*]})}"
		echo "$line"
		exit 1
	fi
	echo "$line"
	[ "$FAILED" -eq 0 ]
}

# status_text RC: "exit status RC", naming the signal when RC > 128.
status_text() {
	local sig
	if [ "$1" -gt 128 ] && sig=$(kill -l $(($1 - 128)) 2>/dev/null); then
		echo "exit status $1, SIG$sig"
	else
		echo "exit status $1"
	fi
}

# ---------------------------------------------------------------------------
# Setup steps: each failure is one failed test and skips what needs it.

# step NAME CMD...: run a setup command with its output in
# test-output/NAME.log; on failure count "setup:NAME" as failed.
step() {
	local name=$1
	shift
	local log="$OUT/$name.log" t0=$SECONDS
	if "$@" >"$log" 2>&1 </dev/null; then
		say "$name: ok ($((SECONDS - t0)) s)"
		return 0
	fi
	failed "setup:$name" "$log"
	return 1
}

# fresh BUILDDIR TARGET: whether make sees TARGET as up to date, so that
# a binary left from an earlier build whose sources no longer compile is
# never tested. Always true with BERTH_NO_BUILD=1.
fresh() {
	[ "${BERTH_NO_BUILD:-0}" = 1 ] && return 0
	make -q BUILD="$1" "$2" >/dev/null 2>&1
}

# unit_bins DIR: the unit test binaries make builds into DIR, one per
# tests/unit/test_*.c (so stale binaries of deleted tests never run).
unit_bins() {
	local src
	for src in tests/unit/test_*.c; do
		[ -e "$src" ] || continue
		src=${src##*/}
		echo "$1/tests/${src%.c}"
	done
}

# cleanup_containers: remove containers the integration tests left.
cleanup_containers() {
	local ids
	command -v docker >/dev/null || return 0
	ids=$(timeout 30 docker ps -aq --filter "label=berth-test-run=$BERTH_TEST_RUN" 2>/dev/null) || return 0
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086 # one id per word
		timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
	fi
}

# ---------------------------------------------------------------------------
# Sanitizers

SAN=0 # 1 in the sanitizer pass: reports fail tests
TAG=  # "asan:" in the sanitizer pass, before each result's name
SAN_DIR=

# san_env DIR: export ASan/UBSan options for one test whose reports go to
# files in DIR (so reports from the agent or any child count too).
san_env() {
	SAN_DIR=$1
	rm -rf "$SAN_DIR"
	mkdir -p "$SAN_DIR"
	export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=$LSAN:disable_coredump=1:strip_path_prefix=$ROOT/:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:strip_path_prefix=$ROOT/:log_path=$SAN_DIR/ubsan"
	if [ -f "$ROOT/tests/lsan.supp" ]; then
		export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
	fi
}

# san_reports LOG: when the current test left sanitizer reports, append
# them to LOG and return 0.
san_reports() {
	[ -n "$SAN_DIR" ] || return 1
	local f found=1
	for f in "$SAN_DIR"/*; do
		[ -f "$f" ] || continue
		found=0
		{
			echo "=== sanitizer report $f"
			cat "$f"
		} >>"$1"
	done
	return "$found"
}

# lsan_works: whether LeakSanitizer can run here (it cannot under ptrace
# and in some sandboxes); probed with a tiny program that does not leak.
lsan_works() {
	local d="$OUT/lsan-probe"
	mkdir -p "$d"
	printf '#include <stdlib.h>\nint main(void){void *p=malloc(8);free(p);return 0;}\n' >"$d/p.c"
	cc -fsanitize=address -o "$d/p" "$d/p.c" >/dev/null 2>&1 &&
		ASAN_OPTIONS=detect_leaks=1 "$d/p" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# Unit tests

# count_cmocka LOG: print "passed failed skipped" summed over the cmocka
# summary lines of LOG ("[  PASSED  ] 3 test(s).", "[  FAILED  ] 1 test(s),
# listed below:"), or nothing when LOG has no summary.
count_cmocka() {
	awk '
		/^\[  PASSED  \] [0-9]+ test\(s\)/ { p += $4; seen = 1 }
		/^\[  FAILED  \] [0-9]+ test\(s\)/ { f += $4; seen = 1 }
		/^\[  SKIPPED \] [0-9]+ test\(s\)/ { s += $4; seen = 1 }
		END { if (seen) print p + 0, f + 0, s + 0 }' "$1"
}

# run_unit BUILDDIR LOGDIR: run every unit test binary of BUILDDIR, logs
# in LOGDIR. Results are named "unit/test_x", after $TAG.
run_unit() {
	local dir=$1 logdir=$2 bin name id log rc counts p f s why
	mkdir -p "$logdir"
	for bin in $(unit_bins "$dir"); do
		name=${bin##*/}
		id="${TAG}unit/$name"
		log="$logdir/$name.log"
		out_of_time "$id" "$log" && continue
		if [ ! -x "$bin" ] || ! fresh "$dir" "$bin"; then
			echo "$bin was not built: see the build logs in $OUT" >"$log"
			failed "$id" "$log" "not built"
			continue
		fi
		[ "$SAN" = 0 ] || san_env "$logdir/$name.san"
		rc=0
		# (the braces keep bash's "Aborted" job notice out of the output)
		{ CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 10 "$UNIT_TIMEOUT" "$bin" \
			</dev/null >"$log" 2>&1; } 2>/dev/null || rc=$?
		counts=$(count_cmocka "$log")
		if [ -n "$counts" ]; then
			read -r p f s <<<"$counts"
		else # not a cmocka program: one test, judged by its exit status
			p=$((rc == 0)) f=$((rc != 0)) s=0
		fi
		why=
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			why="timed out after $UNIT_TIMEOUT s"
		elif [ "$rc" -ne 0 ]; then
			why=$(status_text "$rc")
		fi
		if [ "$SAN" = 1 ] && san_reports "$log"; then
			why="sanitizer report"
		fi
		# A crash, sanitizer abort or timeout after the last summary still
		# fails the binary: count one failure if cmocka counted none.
		if [ -n "$why" ] && [ "$f" -eq 0 ]; then
			f=1
		fi
		PASSED=$((PASSED + p))
		SKIPPED=$((SKIPPED + s))
		if [ "$f" -eq 0 ]; then
			echo "ok - $id ($p passed$([ "$s" -eq 0 ] || echo ", $s skipped"))"
		else
			FAILED=$((FAILED + f))
			echo "not ok - $id ($p passed, $f failed${why:+, $why})"
			show_log "$log"
		fi
	done
	SAN_DIR=
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
}

# ---------------------------------------------------------------------------
# Integration tests

# matches ID: whether ID ("file:function") is selected by FILTERS.
matches() {
	local f
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for f in "${FILTERS[@]}"; do
		[[ $1 =~ $f ]] && return 0
	done
	return 1
}

# test_functions FILE: the t_* functions FILE defines, in file order.
test_functions() {
	sed -nE 's/^(function[[:space:]]+)?(t_[A-Za-z0-9_]+)[[:space:]]*\(\).*/\2/p' "$1"
}

# run_integration BIN LOGDIR: run every selected integration test with
# BERTH_BIN=BIN, logs in LOGDIR. Results are named "file:function", after
# $TAG.
run_integration() {
	local bin=$1 out=$2 file base fn id logdir log rc why t0
	for file in tests/integration/test_*.sh; do
		[ -e "$file" ] || continue
		base=${file##*/}
		local fns=()
		mapfile -t fns < <(test_functions "$file")
		if [ ${#fns[@]} -eq 0 ] && [ ${#FILTERS[@]} -eq 0 ]; then
			log="$out/${base%.sh}.log"
			mkdir -p "${log%/*}"
			echo "$file defines no t_* function" >"$log"
			failed "$TAG$base" "$log" "no tests"
			continue
		fi
		for fn in "${fns[@]}"; do
			id="$base:$fn"
			matches "$id" || continue
			logdir="$out/${base%.sh}/$fn"
			log="$logdir.log"
			rm -rf "$logdir"
			mkdir -p "$logdir"
			out_of_time "$TAG$id" "$log" && continue
			[ "$SAN" = 0 ] || san_env "$logdir/san"
			rc=0
			t0=$SECONDS
			# A bash of its own per test: lib.sh turns on set -e there, and
			# timeout signals the whole process group (agents included).
			# shellcheck disable=SC2016 # $1 and $2 expand in that bash
			BERTH_BIN="$bin" TEST_LOGDIR="$logdir" BERTH_SANITIZED=$SAN timeout -k 30 "$TEST_TIMEOUT" \
				bash -c 'source tests/integration/lib.sh
					source "$1"
					"$2"' run.sh "$file" "$fn" </dev/null >"$log" 2>&1 || rc=$?
			why=
			case "$rc" in
			0) ;;
			77) ;;
			124 | 137) why="timed out after $TEST_TIMEOUT s" ;;
			*) why=$(status_text "$rc") ;;
			esac
			if [ "$SAN" = 1 ] && san_reports "$log"; then
				why="sanitizer report"
			fi
			echo "# took $((SECONDS - t0)) s, exit status $rc" >>"$log"
			if [ -n "$why" ]; then
				failed "$TAG$id" "$log" "$why"
			elif [ "$rc" -eq 77 ]; then
				skipped "$TAG$id" "$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)"
			else
				pass "$TAG$id"
			fi
		done
		cleanup_containers
	done
	SAN_DIR=
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
}

# ---------------------------------------------------------------------------
# Main

trap 'echo "# interrupted"; cleanup_containers; exit 130' INT TERM

mkdir -p "$OUT"
UNITS=$(unit_bins build)
BUILDING=1
[ "${BERTH_NO_BUILD:-0}" != 1 ] || BUILDING=0

# build_units: build every unit test binary, going on past failures (-k):
# the ones that compile still run, the others count as failed.
build_units() {
	[ "$BUILDING" = 1 ] && [ -n "$UNITS" ] || return 0
	# shellcheck disable=SC2086 # one path per word
	step build-unit make -k -j"$JOBS" $UNITS || true
}

if [ "$QUICK" = 1 ]; then
	rm -rf "$OUT/unit"
	say "quick: unit tests only"
	build_units
	run_unit build "$OUT/unit"
	finish
	exit
fi

rm -rf "$OUT/unit" "$OUT/integration" "$OUT/asan"
say "berth tests on $(uname -sr), cgroup fs $(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo '?'), $JOBS cpus"

have_deps=1
if [ "${BERTH_NO_INSTALL:-0}" != 1 ]; then
	step install-deps scripts/install-deps.sh --test || have_deps=0
fi

berth_ok=0 # the binary for the integration tests is built and current
if [ "$BUILDING" = 0 ]; then
	berth_ok=1
elif [ "$have_deps" = 1 ]; then
	step build make -j"$JOBS" all && berth_ok=1
	[ ${#FILTERS[@]} -gt 0 ] || build_units
fi

docker_ok=0
if [ "$have_deps" = 1 ] && step start-docker scripts/start-docker.sh &&
	step test-image scripts/build-test-image.sh; then
	docker_ok=1
	cleanup_containers
	say "docker $(docker version -f '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')"
fi

if [ ${#FILTERS[@]} -eq 0 ] && [ "$have_deps" = 1 ]; then
	say "static checks"
	mkdir -p "$OUT/lint"
	for check in "clang-format:make format-check" \
		"cppcheck:cppcheck --error-exitcode=1 --enable=warning,performance,portability --std=c11 -D_GNU_SOURCE -Isrc --inline-suppr -q src" \
		"layers:scripts/check-layers.sh"; do
		if ${check#*:} >"$OUT/lint/${check%%:*}.log" 2>&1; then
			pass "lint:${check%%:*}"
		else
			failed "lint:${check%%:*}" "$OUT/lint/${check%%:*}.log"
		fi
	done
fi

if [ ${#FILTERS[@]} -eq 0 ] && { [ "$BUILDING" = 0 ] || [ "$have_deps" = 1 ]; }; then
	say "unit tests"
	run_unit build "$OUT/unit"
fi
if [ "$berth_ok" = 1 ] && [ "$docker_ok" = 1 ]; then
	say "integration tests (BERTH_BIN=${BERTH_BIN:-build/berth})"
	run_integration "${BERTH_BIN:-build/berth}" "$OUT/integration"
fi

if [ "${BERTH_ASAN:-0}" = 1 ] && [ "$have_deps" = 1 ]; then
	# -k: unit tests that compile still run when another part does not.
	[ "$BUILDING" = 0 ] || step build-asan make -k -j"$JOBS" asan || true
	LSAN=0
	if lsan_works; then LSAN=1; fi
	SAN=1 TAG=asan:
	say "ASan+UBSan run (LeakSanitizer $([ "$LSAN" = 1 ] && echo on || echo 'off: not supported here'))"
	if [ ${#FILTERS[@]} -eq 0 ]; then
		run_unit build-asan "$OUT/asan/unit"
	fi
	if [ "$docker_ok" = 1 ] && fresh build-asan build-asan/berth; then
		run_integration build-asan/berth "$OUT/asan/integration"
	fi
fi

if [ "${BERTH_FUZZ:-0}" != 0 ] && [ ${#FILTERS[@]} -eq 0 ] && [ "$have_deps" = 1 ]; then
	say "fuzzing, ${BERTH_FUZZ} s per target"
	mkdir -p "$OUT/fuzz"
	if step build-fuzz make -j"$JOBS" fuzz; then
		for f in build-fuzz/fuzz/fuzz_*; do
			name=$(basename "$f")
			log=$OUT/fuzz/$name.log
			out_of_time "fuzz:$name" "$log" && continue
			# fresh scratch corpus seeded from the committed one, so a
			# run never writes into the repository
			work=$(mktemp -d)
			seeds=()
			for d in "fuzz/corpus/${name#fuzz_}" "tests/fixtures/${name#fuzz_}"; do
				[ -d "$d" ] && seeds+=("$d")
			done
			if timeout $((BERTH_FUZZ + 60)) "$f" -max_total_time="$BERTH_FUZZ" -rss_limit_mb=2048 \
				-artifact_prefix="$OUT/fuzz/$name-" "$work" ${seeds[@]+"${seeds[@]}"} >"$log" 2>&1; then
				pass "fuzz:$name ($(grep -o 'Done [0-9]* runs' "$log" | tail -1))"
			else
				failed "fuzz:$name" "$log" "crash or sanitizer report; input saved in $OUT/fuzz/"
			fi
			rm -rf "$work"
		done
	fi
fi

finish
