#!/usr/bin/env bash
# (b) Four CPUs: every default test passes, and every test that runs on all
# vCPUs reports a PASS from each of the 4 (T_ONE_VCPU tests from one).
# A check's line names its vCPU: "PASS: <test>: vcpu<i>: <message>".
# No SKIP, except one that names a QEMU 7.2 TCG bug below us.
# The set-up figure the README cites (METRIC: boot.setup_ms) must be printed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 4
expect_rc 0 "SUCCESS"
expect_log '^Test result: SUCCESS$'
expect_log '^METRIC: boot\.setup_ms [0-9]+$'
# apic_regs makes illegal APIC accesses on purpose: they are counted as refused.
expect_log '^APIC: apic_regs: accesses=[1-9][0-9]* refused=[1-9][0-9]*$'
n=$(log_count '^PASS: smp:')
[ "$n" -ge 4 ] || fail "'PASS: smp:' appears $n times, expected one per vCPU (4)"
for t in $(tests_with_flag T_DEFAULT); do
	# A check may say SKIP for a QEMU 7.2 TCG bug it names (apic_nmi's STI shadow); nothing else.
	[ "$(grep -a -E "^SKIP: $t:" "$LOG" | grep -a -v -c 'QEMU 7\.2 TCG')" = 0 ] ||
		fail "test '$t' was skipped with 4 CPUs"
done
expect_default_passes 4
pass
