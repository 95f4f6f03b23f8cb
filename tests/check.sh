#!/usr/bin/env bash
# tests/check.sh - the `make check` driver: host unit tests, a short fuzz
# pass (tests/fuzz), then the QEMU integration scenarios
# (tests/integration/NN-<name>.sh, in order).
#
#   tests/check.sh                  everything
#   tests/check.sh --unit           only the unit tests
#   tests/check.sh --fuzz           only the fuzz pass (FUZZ_CHECK_SECONDS=25 long)
#   tests/check.sh --integration    only the scenarios
#   tests/check.sh ... GLOB         only the scenarios whose name matches (e.g. 'smp*')
# Selectors combine: --unit --fuzz runs both.
#
# Every check prints one PASS:/FAIL: line; the last line is
# "<N> passed, <F> failed" over all kinds; exit 1 on any failure.
# Expects the artefacts built (make check does that): build/BOOTX64.EFI,
# build/host/unit-tests, build/fuzz/fuzz_vapic, build/host/verdict,
# build/host/screencheck, build/hv-usb.img.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

do_unit=1 do_fuzz=1 do_int=1 glob='*' picked=0
# The first selector turns the other kinds off.
pick() { [ "$picked" = 1 ] || do_unit=0 do_fuzz=0 do_int=0; picked=1; }
while [ $# -gt 0 ]; do
	case $1 in
	--unit) pick; do_unit=1 ;;
	--fuzz) pick; do_fuzz=1 ;;
	--integration) pick; do_int=1 ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "check.sh: unknown option '$1'" >&2; exit 2 ;;
	*) glob=$1 ;;
	esac
	shift
done

passed=0 failed=0 skipped=0
t0=$(date +%s)

if [ "$do_unit" = 1 ]; then
	bin=build/host/unit-tests
	if [ ! -x "$bin" ]; then
		echo "FAIL: unit: $bin not found (run 'make check', which builds it)"
		failed=$((failed + 1))
	else
		out=$(mktemp)
		"$bin" >"$out" 2>&1 </dev/null
		rc=$?
		# Its own "N passed, M failed" line is left out: ours is the only one.
		grep -a -v -E '^[0-9]+ passed, [0-9]+ failed$' "$out"
		p=$(grep -a -c '^PASS: ' "$out") f=$(grep -a -c '^FAIL: ' "$out")
		passed=$((passed + p)) failed=$((failed + f))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "FAIL: unit: $bin exited with status $rc without a FAIL line (crash or sanitizer report above)"
			failed=$((failed + 1))
		fi
		if [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$rc" = 0 ]; then
			echo "FAIL: unit: $bin ran no test"
			failed=$((failed + 1))
		fi
		echo "check.sh: unit tests: $p pass, $f fail"
		rm -f "$out"
	fi
fi

# A short, bounded libFuzzer pass over avic/vapic.c (tests/fuzz/README.md):
# fixed seed and time, a fresh work corpus on top of the committed seeds.
if [ "$do_fuzz" = 1 ]; then
	bin=build/fuzz/fuzz_vapic
	secs=${FUZZ_CHECK_SECONDS:-25}
	if [ ! -x "$bin" ]; then
		if ! command -v clang >/dev/null 2>&1; then
			echo "FAIL: fuzz: vapic: clang not found: install the Debian packages 'clang' and '$(tools/deps.sh --list | grep '^libclang-rt')', then run 'make check'"
		elif ! missing=$(tools/deps.sh --check); then
			echo "FAIL: fuzz: vapic: $bin not built: $missing (install them, or run 'sudo make deps'), then run 'make check'"
		else
			echo "FAIL: fuzz: vapic: $bin not found (run 'make check', which builds it)"
		fi
		failed=$((failed + 1))
	else
		work=build/fuzz/check-corpus
		rm -rf "$work" && mkdir -p "$work"
		out=$(mktemp)
		"$bin" -seed=1 -max_total_time="$secs" -max_len=1024 -timeout=10 \
			-artifact_prefix=build/fuzz/ -print_final_stats=1 \
			"$work" tests/fuzz/corpus >"$out" 2>&1 </dev/null
		rc=$?
		done_line=$(grep -a -m1 '^Done [0-9]* runs in [0-9]* second' "$out")
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' <<<"$done_line")
		took=$(sed -n 's/.* in \([0-9]*\) second.*/\1/p' <<<"$done_line")
		if [ "$rc" = 0 ] && [ -n "$runs" ]; then
			echo "PASS: fuzz: vapic: $runs runs, ${took}s"
			passed=$((passed + 1))
		else
			# What broke, and the input libFuzzer saved.
			grep -a -E '^fuzz_vapic: |ERROR: |runtime error|SUMMARY|Test unit written' "$out" | head -n 20
			art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$out" | tail -n 1)
			echo "FAIL: fuzz: vapic: exit status $rc${art:+; input saved as $art (replay: make fuzz-repro FUZZ_INPUT=$art)}"
			failed=$((failed + 1))
		fi
		echo "check.sh: fuzz: $(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$out" | tail -n 1), corpus $(find "$work" -type f | wc -l) new inputs"
		rm -f "$out"
	fi
fi

if [ "$do_int" = 1 ]; then
	ran=0
	for s in tests/integration/[0-9]*.sh; do
		name=$(basename "$s" .sh)
		name=${name#[0-9][0-9]-}
		# shellcheck disable=SC2053  # a glob on purpose
		[[ $name == $glob ]] || continue
		ran=$((ran + 1))
		s0=$(date +%s)
		out=$(bash "$s" 2>&1 </dev/null)
		rc=$?
		echo "$out"
		p=$(grep -a -c '^PASS: ' <<<"$out") f=$(grep -a -c '^FAIL: ' <<<"$out")
		k=$(grep -a -c '^SKIP: integration/' <<<"$out")
		if [ "$rc" = 0 ] && [ "$p" = 1 ] && [ "$f" = 0 ] && [ "$k" = 0 ]; then
			passed=$((passed + 1))
		elif [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$k" = 1 ]; then
			skipped=$((skipped + 1))
		else
			[ "$f" != 0 ] || echo "FAIL: integration/$name: the scenario exited with status $rc without a verdict line"
			failed=$((failed + 1))
		fi
		echo "check.sh: integration/$name took $(( $(date +%s) - s0 ))s"
	done
	if [ "$ran" = 0 ]; then
		echo "FAIL: integration: no scenario matches '$glob'"
		failed=$((failed + 1))
	fi
fi

echo "check.sh: total time $(( $(date +%s) - t0 ))s"
[ "$skipped" = 0 ] || echo "check.sh: $skipped scenario(s) skipped (SKIP lines above say why)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
