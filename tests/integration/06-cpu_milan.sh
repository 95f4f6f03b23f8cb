#!/usr/bin/env bash
# (c) A second CPU model: EPYC-Milan (NP and CPUID 0x8000000A EDX bit 28 set).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 2 --cpu EPYC-Milan
expect_rc 0 "SUCCESS"
expect_log '^Test result: SUCCESS$'
pass
