#!/usr/bin/env bash
# (m) --apic: asking for AVIC on a CPU without it (QEMU TCG has none) ends the
# run with ERROR and a message naming the ways out, before any test runs;
# avic-emu runs the model of AVIC (scenario 14 runs the suite with it); a
# bad --apic value is refused by run.sh.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --apic avic --tests cpuid --smp 1
expect_rc 5 "ERROR"
expect_log '^\[cpu0\] ERROR boot: apic=avic, but CPUID 0x8000000A EDX\[13\] says the CPU has no AVIC'
expect_log '^Test result: ERROR$'
[ "$(log_count '^PASS: ')" = 0 ] || fail "a test ran although the APIC choice failed"
# apic=avic-emu runs the model, with x2AVIC unless x2avic=off says otherwise.
run_hv --apic avic-emu --tests cpuid --smp 1
expect_rc 0 "SUCCESS"
expect_log '^APIC virtualization: AVIC emulation \(apic=avic-emu'
[ "$(log_count 'not implemented')" = 0 ] || fail "the avic-emu backend still says it is not implemented"
run_hv --apic avic-emu --cfg x2avic=off --tests cpuid --smp 1
expect_rc 0 "SUCCESS"
expect_log '^APIC virtualization: AVIC emulation \(.*; x2avic=off: x2APIC guests run without AVIC \(inhibit\)\)$'
run_hv --cfg x2avic=maybe --tests cpuid --smp 1
[ "$RC" != 0 ] || fail "x2avic=maybe was accepted"
# avic_emu_quirks: the model's, so refused with any other backend; a bad value refused.
run_hv --apic soft --cfg avic_emu_quirks=on --tests cpuid --smp 1
[ "$RC" != 0 ] || fail "avic_emu_quirks=on was accepted with apic=soft"
expect_log 'ERROR boot: configuration: avic_emu_quirks=on needs apic=avic-emu'
run_hv --apic avic-emu --cfg avic_emu_quirks=some --tests cpuid --smp 1
[ "$RC" != 0 ] || fail "avic_emu_quirks=some was accepted"
expect_log 'ERROR boot: .*avic_emu_quirks'
run_hv --apic avic-emu --cfg avic_emu_quirks=on --tests cpuid --smp 1
expect_rc 0 "SUCCESS (avic_emu_quirks=on)"
expect_log '^APIC virtualization: AVIC emulation \(.*; avic_emu_quirks=on: family 17h profile'
run_hv --apic avic2 --tests cpuid
expect_rc 2 "usage error"
expect_out "--apic wants auto, soft, avic or avic-emu, not 'avic2'"
pass
