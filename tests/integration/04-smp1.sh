#!/usr/bin/env bash
# (a) One CPU: the default tests pass; the hypervisor reports the SVM
# capabilities; every default test that needs more vCPUs (smp, the
# multi-vCPU APIC tests) is skipped, saying how many it needs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 1
expect_rc 0 "SUCCESS"
expect_log 'SVM revision'
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
