#!/usr/bin/env bash
# (j) The watchdog test sets its own 300 ms limit (HC_EXPECT_STOP): with a
# 20 s test_timeout the run passes and does not wait for the 20 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --tests watchdog --test-timeout 20000
expect_rc 0 "SUCCESS"
expect_log '^PASS: watchdog: '
[ "$ELAPSED" -lt 20 ] || fail "took ${ELAPSED}s: the guest's 300 ms limit was not used (test_timeout is 20 s)"
pass
