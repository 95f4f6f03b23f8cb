#!/usr/bin/env bash
# tests/check.sh - the `make check` driver: host unit tests, a short fuzz
# pass (tests/fuzz), then the QEMU integration scenarios
# (tests/integration/NN-<name>.sh, in order).
#
#   tests/check.sh                  everything
#   tests/check.sh --unit           only the unit tests
#   tests/check.sh --fuzz           only the fuzz pass (tests/fuzz/run.sh check)
#   tests/check.sh --integration    only the scenarios
#   tests/check.sh ... GLOB         only the scenarios whose name matches (e.g. 'smp*')
# Selectors combine: --unit --fuzz runs both.
#
# Every check prints one PASS:/FAIL: line; the last line is
# "<N> passed, <F> failed" over all kinds; exit 1 on any failure.
# Expects the artefacts built (make check does that): build/BOOTX64.EFI,
# build/host/unit-tests, build/fuzz/fuzz_*, build/host/verdict,
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

# A short, bounded libFuzzer pass over every target (tests/fuzz/README.md):
# fixed seed and time, a fresh work corpus on top of the committed seeds.
if [ "$do_fuzz" = 1 ]; then
	out=$(mktemp)
	f0=$(date +%s)
	tests/fuzz/run.sh check >"$out" 2>&1
	cat "$out"
	p=$(grep -a -c '^PASS: ' "$out") f=$(grep -a -c '^FAIL: ' "$out")
	passed=$((passed + p)) failed=$((failed + f))
	echo "check.sh: fuzz took $(( $(date +%s) - f0 ))s"
	rm -f "$out"
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
