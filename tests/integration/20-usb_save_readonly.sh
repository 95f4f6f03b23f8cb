#!/usr/bin/env bash
# (issue 12) end=save on a write-protected stick: the hypervisor must stop
# before ExitBootServices with a message naming the problem (the next boot
# could not write RESULTS.TXT), and run no tests.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --usb-readonly --cfg end=save --tests cpuid
expect_rc 5 "ERROR"
expect_log 'ERROR boot: end=save: the boot partition is not writable \(creating .*HVSAVE\.TMP: write-protected\): the next boot could not write RESULTS\.TXT there; use another end=$'
expect_log '^Test result: ERROR$'
[ "$(log_count 'ExitBootServices done|^PASS: ')" = 0 ] || fail "the run went on past the error"
pass
