#!/usr/bin/env bash
# (m) --apic: asking for AVIC on a CPU without it (QEMU TCG has none) ends the
# run with ERROR and a message naming the ways out, before any test runs; a
# bad --apic value is refused by run.sh.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --apic avic --tests cpuid --smp 1
expect_rc 5 "ERROR"
expect_log '^\[cpu0\] ERROR boot: apic=avic, but CPUID 0x8000000A EDX\[13\] says the CPU has no AVIC'
expect_log '^Test result: ERROR$'
[ "$(log_count '^PASS: ')" = 0 ] || fail "a test ran although the APIC choice failed"
run_hv --apic avic2 --tests cpuid
expect_rc 2 "usage error"
expect_out "--apic wants auto, soft, avic or avic-emu, not 'avic2'"
pass
