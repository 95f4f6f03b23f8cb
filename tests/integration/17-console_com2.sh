#!/usr/bin/env bash
# (issue 12) The serial console on COM2 (console=com2, run.sh --console com2):
# the default suite passes with its output on QEMU's second serial port, and
# after ExitBootServices nothing more goes to COM1 (the firmware's console
# before it, kept by run.sh as <log>.com1.log).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 2 --console com2
expect_rc 0 "SUCCESS"
expect_log '^serial console: COM2, 16550 at I/O port 0x2f8 \(console=com2\)$'
expect_log 'INFO boot: ExitBootServices done'
# Every default test reported on COM2: a PASS line, or a SKIP saying why (apic_storm needs 4 vCPUs).
for t in $(tests_with_flag T_DEFAULT); do
	[ "$(log_count "^(PASS: $t:|SKIP: $t: .*[a-z])")" -gt 0 ] || fail "test '$t' has no PASS or SKIP line on COM2"
done
[ "$(log_count '^FAIL:')" = 0 ] || fail "FAIL lines in a SUCCESS run"
expect_log '^Test result: SUCCESS$'
com1=${LOG%.log}.com1.log
[ -f "$com1" ] || fail "no COM1 log $com1"
clean() { sed -e 's|\x1b\[[0-9;?=<>]*[ -/]*[@-~]||g' -e 's|\r||g' "$1"; }
clean "$com1" | grep -a -q 'calling ExitBootServices' || fail "COM1 lacks the last line before ExitBootServices"
after=$(clean "$com1" | sed -n '/calling ExitBootServices/,$p' | tail -n +2 | grep -a -c '[^[:space:]]')
[ "$after" = 0 ] || fail "COM1 got $after lines after ExitBootServices (first: $(clean "$com1" |
	sed -n '/calling ExitBootServices/,$p' | sed -n 2p))"
[ "$(clean "$com1" | grep -a -c -E '^(PASS|FAIL|Test result):')" = 0 ] || fail "test results on COM1"
pass
