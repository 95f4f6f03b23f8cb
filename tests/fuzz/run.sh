#!/usr/bin/env bash
# tests/fuzz/run.sh - run libFuzzer targets (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh check [TARGET...]   the short pass of make check: fixed seed,
#                                         a fixed time per target, a fresh work corpus
#                                         on top of tests/fuzz/corpus/TARGET; one
#                                         PASS:/FAIL: line per target
#   tests/fuzz/run.sh long [TARGET...]    per target until LONG_RUNS executions (default
#                                         10 million) or SECONDS_EACH seconds (default 600),
#                                         whichever comes first, one after another; corpus kept in
#                                         build/fuzz/long/TARGET; prints runs, exec/s
#                                         and coverage per target
# No TARGET: every build/fuzz/fuzz_* that tests/fuzz/fuzz_*.c names.
# Environment: FUZZ_BIN_DIR (default build/fuzz: where the binaries are),
# FUZZ_CHECK_SECONDS (per target for check; default below), FUZZ_ARGS (extra).
# Exit 1 when any target fails.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

mode=${1:-}
shift || true
case $mode in
check|long) ;;
*) echo "usage: tests/fuzz/run.sh check|long [TARGET...]" >&2; exit 2 ;;
esac
bindir=${FUZZ_BIN_DIR:-build/fuzz}
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		targets+=("${t%.c}")
	done
fi

# Seconds per target in the make-check pass: the whole stage about 2 minutes
# on 2 cores (vapic's model is deep and gets the most).
check_secs() {
	if [ -n "${FUZZ_CHECK_SECONDS:-}" ]; then echo "$FUZZ_CHECK_SECONDS"; return; fi
	case $1 in
	vapic) echo 25 ;;
	*) echo 12 ;;
	esac
}

# -max_len per target: what a meaningful input needs.
max_len() {
	case $1 in
	insn|insn_mmio) echo 64 ;;
	input) echo 16384 ;;
	avic) echo 2048 ;;
	*) echo 1024 ;;
	esac
}

failed=0
for t in "${targets[@]}"; do
	bin=$bindir/fuzz_$t
	seeds=tests/fuzz/corpus/$t
	if [ ! -x "$bin" ]; then
		if ! command -v clang >/dev/null 2>&1; then
			echo "FAIL: fuzz: $t: clang not found: install the Debian packages 'clang' and '$(tools/deps.sh --list | grep '^libclang-rt')', then run 'make check'"
		elif ! missing=$(tools/deps.sh --check); then
			echo "FAIL: fuzz: $t: $bin not built: $missing (install them, or run 'sudo make deps'), then run 'make check'"
		else
			echo "FAIL: fuzz: $t: $bin not found (run 'make fuzz-build')"
		fi
		failed=$((failed + 1))
		continue
	fi
	if [ "$mode" = check ]; then
		work=$bindir/check-corpus/$t
		rm -rf "$work"
		secs=$(check_secs "$t")
		set -- -seed=1 -max_total_time="$secs"
	else
		work=build/fuzz/long/$t
		secs=${SECONDS_EACH:-600}
		set -- -max_total_time="$secs" -runs="${LONG_RUNS:-10000000}"
	fi
	mkdir -p "$work"
	out=$(mktemp)
	# shellcheck disable=SC2086
	"$bin" "$@" -max_len="$(max_len "$t")" -timeout=10 -artifact_prefix="$bindir/crash-$t-" \
		-print_final_stats=1 ${FUZZ_ARGS:-} "$work" "$seeds" >"$out" 2>&1 </dev/null
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$out" | tail -n 1)
	took=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out" | tail -n 1)
	cov=$(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$out" | tail -n 1)
	if [ "$rc" = 0 ] && [ -n "$took" ]; then
		echo "PASS: fuzz: $t: $runs runs, ${took}s"
	else
		# What broke, and the input libFuzzer saved.
		grep -a -E "^fuzz_$t: |ERROR: |runtime error|SUMMARY|Test unit written" "$out" | head -n 20
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$out" | tail -n 1)
		echo "FAIL: fuzz: $t: exit status $rc after ${runs:-?} runs${art:+; input saved as $art (replay: $bin $art)}"
		failed=$((failed + 1))
	fi
	echo "fuzz: $t: $cov, $(grep -a -o 'exec/s: [0-9]*' "$out" | tail -n 1), corpus $(find "$work" -type f | wc -l) inputs"
	rm -f "$out"
done
[ "$failed" = 0 ]
