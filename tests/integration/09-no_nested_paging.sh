#!/usr/bin/env bash
# (f) qemu64 offers SVM without the NP CPUID bit (TCG would run NPT anyway):
# the hypervisor must check the bit itself and refuse with ERROR.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --cpu qemu64
expect_rc 5 "ERROR"
expect_log '^Test result: ERROR$'
[ "$(log_count '[Nn]ested paging')" -gt 0 ] || fail "the log does not mention 'nested paging'"
pass
