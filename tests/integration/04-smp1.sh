#!/usr/bin/env bash
# (a) One CPU: the default tests pass; the hypervisor reports the SVM
# capabilities; every default test that needs more vCPUs (smp, the
# multi-vCPU APIC tests) is skipped, saying how many it needs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 1
expect_rc 0 "SUCCESS"
expect_log 'SVM revision'
# The x2AVIC MSRPM policy exactly as issue 4 states it, and its read-back self-check.
expect_log '^x2avic msrpm: read-passthrough 0x802 0x803 0x808 0x80a 0x80d 0x80f 0x810-0x827 0x828 0x830 0x832-0x838 0x83e ; write-passthrough 0x808 0x80b 0x830 0x83f$'
expect_log 'INFO avic: x2avic msrpm self-check: the map matches the policy'
expect_log '^Test result: SUCCESS$'
expect_log '^SKIP: smp: .*[A-Za-z]'
multi=$(sed -n 's/^TEST(\([a-z0-9_]*\), *\([0-9]*\), *\([^,]*\),.*/\1 \2 \3/p' hv/tests.def |
	awk '$2 > 1 && $3 ~ /T_DEFAULT/ { print $1 }')
[ -n "$multi" ] || fail "found no multi-vCPU default test in hv/tests.def"
for t in $multi; do
	expect_log "^SKIP: $t: needs [0-9]+ vCPUs, this run has 1 CPU"
done
[ "$(log_count '^FAIL:')" = 0 ] || fail "FAIL lines in a SUCCESS run"
pass
