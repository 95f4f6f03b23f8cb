#!/usr/bin/env bash
# (p) run.sh --junit: a run with a PASS, a FAIL and a SKIP gives a JUnit file
# that an XML parser (xmllint) accepts, whose testcase, failure and skipped
# counts are the run's SUMMARY and whose properties name the QEMU that ran;
# a run that never finishes (QEMU started halted, -S) still gives a valid
# file with the TIMEOUT as an <error>.  Then tools/stress must count and
# report failed runs: two runs of fail_on_purpose are 2 failed, exit non-zero.
# Bad values of --qemu, --junit and tools/stress's options are usage errors.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
XML=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX.xml")
XML2=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX.xml")
STRESS=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX")
trap 'rm -f "$OUT" "$XML" "$XML2" "$STRESS"' EXIT

# A declared dependency (libxml2-utils), so its absence is a failure, not a SKIP.
command -v xmllint >/dev/null 2>&1 || fail "xmllint not found: install the Debian package 'libxml2-utils'"

# Bad --qemu / --junit values and bad tools/stress options: exit 2 with a message, before anything boots.
for bad in "--qemu /nonexistent/qemu|no such file" "--qemu $ROOT/README.md|not executable" \
	"--qemu $ROOT|is a directory" "--junit /nonexistent/x.xml|no such directory" "--junit $ROOT|is a directory"; do
	# shellcheck disable=SC2086  # split on purpose: option and value
	run_hv ${bad%|*}
	expect_rc 2 "for '${bad%|*}'"
	expect_out "${bad#*|}"
done
for bad in "--runs 0" "--runs x" "--runs" "--gdb"; do
	# shellcheck disable=SC2086
	NO_BUILD=1 tools/stress $bad >"$OUT" 2>&1 </dev/null
	RC=$?
	expect_rc 2 "tools/stress $bad"
	expect_out "^stress: .*try 'tools/stress --help'"
done

xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }
wellformed() { # FILE
	local err
	err=$(xmllint --noout "$1" 2>&1) || fail "the JUnit file is not well-formed XML: $(head -n 3 <<<"$err")"
}

run_hv --tests cpuid,fail_on_purpose,apic_storm --smp 1 --junit "$XML"
expect_rc 1 "FAILURE: fail_on_purpose"
[ -s "$XML" ] || fail "run.sh --junit wrote no file"
wellformed "$XML"
sum=$(sed -n 's/^SUMMARY: \([0-9]*\) tests, \([0-9]*\) unexpected failures*, \([0-9]*\) skipped\r*$/\1 \2 \3/p' "$LOG")
read -r n f s <<<"$sum"
[ -n "${s:-}" ] || fail "no SUMMARY line in the log"
{ [ "$n" = 3 ] && [ "$f" = 1 ] && [ "$s" = 1 ]; } || fail "SUMMARY says $n tests, $f failures, $s skipped; expected 3, 1, 1"
for check in "count(/testsuite/testcase) $n" "count(//testcase/failure) $f" "count(//testcase/skipped) $s" \
	"count(//testcase/error) 0" "string(/testsuite/@tests) $n" "string(/testsuite/@failures) $f" \
	"string(/testsuite/@skipped) $s" "string(/testsuite/@errors) 0" \
	"count(//testcase[@name='fail_on_purpose']/failure) 1" "count(//testcase[@name='apic_storm']/skipped) 1" \
	"count(//testcase[@name='cpuid']/*[not(self::system-out)]) 0"; do
	got=$(xpath "$XML" "${check% *}")
	[ "$got" = "${check##* }" ] || fail "JUnit: ${check% *} is '$got', expected ${check##* }"
done
# The failure's message is the log's FAIL line; the testcase's output is its part of the log.
want=$(sed -n 's/^FAIL: fail_on_purpose: \(.*\)\r$/\1/p' "$LOG" | head -n 1)
got=$(xpath "$XML" "string(//testcase[@name='fail_on_purpose']/failure/@message)")
{ [ -n "$want" ] && [ "$got" = "$want" ]; } || fail "JUnit failure message '$got', the log's FAIL line says '$want'"
pc=$(log_count '^PASS: cpuid: ')
got=$(xpath "$XML" "string(//testcase[@name='cpuid']/system-out)" | grep -c '^PASS: cpuid: ')
{ [ "$pc" -gt 0 ] && [ "$got" = "$pc" ]; } || fail "cpuid's system-out has $got PASS lines, the log $pc"
# Which QEMU ran it: the first line of its --version, in the properties and at the top of the log.
ver=$(qemu-system-x86_64 --version | head -n 1)
got=$(xpath "$XML" "string(/testsuite/properties/property[@name='qemu.version']/@value)")
[ "$got" = "$ver" ] || fail "JUnit property qemu.version is '$got', expected '$ver'"
head -n 1 "$LOG" | grep -q -F "run.sh: QEMU: $ver" || fail "the log's first line does not name the QEMU version '$ver'"

# A run that cannot end by itself: QEMU halted from the start (-S), stopped by --timeout.
run_hv --tests cpuid --timeout 2 --junit "$XML2" -- -S
expect_rc 4 "TIMEOUT"
wellformed "$XML2"
got="$(xpath "$XML2" 'string(//testcase/error/@type)') $(xpath "$XML2" 'string(/testsuite/@errors)')"
[ "$got" = "TIMEOUT 1" ] || fail "TIMEOUT run: JUnit error type and count are '$got', expected 'TIMEOUT 1'"

# tools/stress: both runs fail, each is listed with its FAIL line and kept log, one summary line.
NO_BUILD=1 tools/stress --runs 2 --tests fail_on_purpose --smp 1 >"$STRESS" 2>&1 </dev/null
rc=$?
cp "$STRESS" "$OUT"   # shown by fail()
[ "$rc" != 0 ] || fail "tools/stress exited 0 although both runs failed"
[ "$(tail -n 1 "$STRESS")" = "stress: 2 runs, 2 failed" ] || fail "tools/stress's last line is not 'stress: 2 runs, 2 failed'"
[ "$(grep -c -E '^stress: [0-9]+ runs, [0-9]+ failed$' "$STRESS")" = 1 ] || fail "tools/stress printed more than one summary line"
for i in 1 2; do
	line=$(grep "^stress: failed run $i: FAILURE, exit 1: FAIL: fail_on_purpose: " "$STRESS") ||
		fail "tools/stress does not list run $i with its verdict, exit code and FAIL line"
	kept=${line##*; log: }
	[ -f "$kept" ] || fail "tools/stress names the log '$kept' of run $i, which does not exist"
done
pass
