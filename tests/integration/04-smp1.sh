#!/usr/bin/env bash
# (a) One CPU: the default tests pass; the hypervisor reports the SVM
# capabilities; the smp test (needs 2 vCPUs) is skipped with a reason.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 1
expect_rc 0 "SUCCESS"
expect_log 'SVM revision'
expect_log '^Test result: SUCCESS$'
expect_log '^SKIP: smp: .*[A-Za-z]'
[ "$(log_count '^FAIL:')" = 0 ] || fail "FAIL lines in a SUCCESS run"
pass
