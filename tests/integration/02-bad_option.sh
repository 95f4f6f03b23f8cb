#!/usr/bin/env bash
# (h) An unknown option or a bad value is a usage error: exit 2 with a hint.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --bogus
expect_rc 2
expect_out "unknown option '--bogus'"
expect_out "run.sh --help"
for bad in "--smp 0" "--smp 65" "--smp two" "--mem lots" "--accel xen" "--timeout -1" "--test-timeout 5"; do
	# shellcheck disable=SC2086  # split on purpose: option and value
	run_hv $bad
	expect_rc 2 "for '$bad'"
done
run_hv --help
expect_rc 0 "--help"
expect_out "^Exit status:"
pass
