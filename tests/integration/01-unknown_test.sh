#!/usr/bin/env bash
# (g) A --tests pattern that matches nothing in hv/tests.def is refused before
# anything boots: exit 2 at once, with the list of test names.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --tests no_such_test_xyz
expect_rc 2
expect_out "no test matches 'no_such_test_xyz' \(tests: .*cpuid"
[ "$ELAPSED" -le 5 ] || fail "took ${ELAPSED}s: it should not boot anything"
[ -z "$LOG" ] || fail "a serial log was written: it booted"
pass
