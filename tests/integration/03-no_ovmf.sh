#!/usr/bin/env bash
# (i) Missing firmware: exit 2 and a message that names the Debian package 'ovmf'.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
OVMF_CODE=/nonexistent run_hv --smp 1
expect_rc 2
expect_out "ovmf"
[ -z "$LOG" ] || fail "a serial log was written: it booted"
pass
