# shellcheck shell=bash
# tests/integration/lib.sh - sourced by each scenario tests/integration/NN-<name>.sh.
#
# A scenario runs ./run.sh once (run_hv ARGS...), checks the exit status and
# the serial log, and ends with exactly one line:
#     PASS: integration/<name>
#     FAIL: integration/<name>: <why>      followed by the last 30 lines of the log
#     SKIP: integration/<name>: <why>      (something it needs is missing; says what)
# (exit 0 / 1).  tests/check.sh runs them in order and counts those lines.
# The artefacts must exist (make check builds them): run.sh gets NO_BUILD=1.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
NAME=$(basename "$0" .sh)
NAME=${NAME#[0-9][0-9]-}

OUT=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX")
trap 'rm -f "$OUT"' EXIT
RC='' LOG='' ELAPSED=''
export ELAPSED   # read by the scenarios

# run_hv RUN.SH-ARGS...  (environment: VAR=value run_hv ...)
# Sets RC (run.sh's exit status), LOG (the serial log, "" if none), ELAPSED (s).
run_hv() {
	local start
	start=$(date +%s)
	NO_BUILD=1 ./run.sh --quiet "$@" >"$OUT" 2>&1 </dev/null
	RC=$?
	ELAPSED=$(( $(date +%s) - start ))
	LOG=$(sed -n 's/^run\.sh: [A-Z]* (.*; log: \(.*\))$/\1/p' "$OUT" | tail -n 1)
	[ -z "$LOG" ] || [ -f "$LOG" ] || LOG=
}

pass() {
	echo "PASS: integration/$NAME"
	exit 0
}

skip() {
	echo "SKIP: integration/$NAME: $*"
	exit 0
}

fail() {
	echo "FAIL: integration/$NAME: $*"
	echo "  --- run.sh output ---"
	sed 's/^/  | /' "$OUT" | tail -n 15
	if [ -n "$LOG" ]; then
		echo "  --- last 30 lines of $LOG ---"
		# The same filter as the live console: no escapes, no CR.
		sed -e 's|\x1b\[[0-9;?=<>]*[ -/]*[@-~]||g' -e 's|\r||g' "$LOG" | tail -n 30 | sed 's/^/  | /'
	fi
	exit 1
}

expect_rc() {
	[ "$RC" = "$1" ] || fail "run.sh exited $RC, expected $1${2:+ ($2)}"
}

# log_count ERE: lines of the serial log (escapes and CR removed) matching it.
log_count() {
	[ -n "$LOG" ] || { echo 0; return; }
	sed -e 's|\x1b\[[0-9;?=<>]*[ -/]*[@-~]||g' -e 's|\r||g' "$LOG" | grep -a -c -E -- "$1"
}

expect_log() {
	[ -n "$LOG" ] || fail "no serial log (run.sh printed no log path)"
	[ "$(log_count "$1")" -gt 0 ] || fail "the log has no line matching '$1'"
}

expect_out() {
	grep -a -q -E -- "$1" "$OUT" || fail "run.sh's output has no line matching '$1'"
}

# Names from hv/tests.def whose flags field contains $1 (e.g. T_DEFAULT).
tests_with_flag() {
	sed -n 's/^TEST(\([A-Za-z0-9_]*\), *[0-9]*, *\([^,]*\),.*/\1 \2/p' hv/tests.def |
		awk -v f="$1" 'index($0, f) { print $1 }'
}
tests_without_flag() {
	sed -n 's/^TEST(\([A-Za-z0-9_]*\), *[0-9]*, *\([^,]*\),.*/\1 \2/p' hv/tests.def |
		awk -v f="$1" '!index($0, f) { print $1 }'
}

# expect_default_passes N: every default test has a PASS line, from each of
# vCPUs 0..N-1 unless it runs on one vCPU (T_ONE_VCPU).
expect_default_passes() {
	local one_vcpu t n i
	one_vcpu=" $(tests_with_flag T_ONE_VCPU | tr '\n' ' ') "
	for t in $(tests_with_flag T_DEFAULT); do
		n=$(log_count "^PASS: $t:")
		if [[ $one_vcpu == *" $t "* ]]; then
			[ "$n" -ge 1 ] || fail "test '$t' has no PASS line"
			continue
		fi
		for ((i = 0; i < $1; i++)); do
			[ "$(log_count "^PASS: $t: vcpu$i:")" -gt 0 ] ||
				fail "test '$t' has no PASS line from vcpu$i ($n PASS lines in all)"
		done
	done
}
