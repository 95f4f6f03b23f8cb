#!/usr/bin/env bash
# (e) A test that fails on purpose: the runner must see it (exit 1, FAILURE).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --tests fail_on_purpose
expect_rc 1 "FAILURE"
expect_log '^Test result: FAILURE$'
expect_log '^FAIL: fail_on_purpose: '
pass
