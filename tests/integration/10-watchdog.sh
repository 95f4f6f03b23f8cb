#!/usr/bin/env bash
# (j) The watchdog (hv/vcpu.c) tells a hang from slowness by progress:
#  - the watchdog test sets its own 300 ms limit (HC_EXPECT_STOP): with a
#    20 s test_timeout the run passes and does not wait for the 20 s;
#  - hang (announces nothing, spins with IF=0 after one barrier) at --smp 2
#    with the default test_timeout (10 s) is stopped within that window of
#    its last progress, plus the eighth of a window between two looks;
#  - hang_stepping steps its progress counter for ever: only the hard limit
#    (60 windows: 12 s at --test-timeout 200) may stop it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --tests watchdog --test-timeout 20000
expect_rc 0 "SUCCESS"
expect_log '^PASS: watchdog: '
[ "$ELAPSED" -lt 20 ] || fail "took ${ELAPSED}s: the guest's 300 ms limit was not used (test_timeout is 20 s)"

run_hv --tests hang --smp 2
expect_rc 1 "FAILURE: the hang is stopped by the watchdog"
# Whichever vCPU looks first stops; the other ends with the VM.
expect_log '^FAIL: hang: vcpu[01]: stopped: watchdog: no progress in the VM for [0-9]+ ms'
ms=$(sed -n 's/^FAIL: hang: vcpu[01]: stopped: watchdog: no progress in the VM for \([0-9]*\) ms.*/\1/p' "$LOG" | head -n 1)
{ [ "$ms" -ge 10000 ] && [ "$ms" -le 11500 ]; } ||
	fail "the hang was stopped after $ms ms without progress, expected 10000-11500 (one window, default test_timeout)"
[ "$(log_count '^FAIL: hang: vcpu[01]: stopped: ')" = 2 ] || fail "not both vCPUs of the hung VM were stopped"

run_hv --tests hang_stepping --test-timeout 200
expect_rc 1 "FAILURE: a VM that steps for ever ends at the hard limit"
expect_log '^FAIL: hang_stepping: vcpu[01]: stopped: watchdog: still running after [0-9]+ ms, the hard limit of 60 windows of 200 ms'
[ "$(log_count 'watchdog: no progress')" = 0 ] || fail "a stepping VM was taken for a hang"
pass
