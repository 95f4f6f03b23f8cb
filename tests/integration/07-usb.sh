#!/usr/bin/env bash
# (d) Boot from the USB stick image (make usb) on an xHCI controller, as on a
# real machine: OVMF names the boot device, the tests pass on 4 CPUs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --smp 4 --usb
expect_rc 0 "SUCCESS"
expect_log 'UEFI QEMU QEMU USB HARDDRIVE'
expect_log '^Test result: SUCCESS$'
pass
