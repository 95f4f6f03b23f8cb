#!/usr/bin/env bash
# (issue 12) console=auto takes the UART of the ACPI SPCR table (Microsoft
# "Serial Port Console Redirection Table"): QEMU is given an SPCR (revision
# 2, 16550 at I/O port 0x2F8, 115200 baud) with -acpitable, run.sh connects
# COM2 as the log, and the run must end there with SUCCESS.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
spcr=$(mktemp "${TMPDIR:-/tmp}/hv-int-spcr.XXXXXX")
trap 'rm -f "$OUT" "$spcr"' EXIT
# The 44 bytes after the 36-byte header (QEMU writes the header):
# +0x24 interface type 0 (16550), 3 reserved; +0x28 GAS: I/O space, 8 bits, offset 0,
# byte access, address 0x2f8; +0x34 interrupt type 1, IRQ 3, GSI 0; +0x3a baud code 7
# (115200), parity 0, stop bits 1, flow 0, terminal 0, language 0; +0x40 PCI device and
# vendor 0xffff (not PCI), bus/device/function 0, flags 0, segment 0; +0x4c 4 reserved.
printf '\0\0\0\0\001\010\0\001\370\002\0\0\0\0\0\0\001\003\0\0\0\0\007\0\001\0\0\0\377\377\377\377\0\0\0\0\0\0\0\0\0\0\0\0' >"$spcr"
[ "$(wc -c <"$spcr")" = 44 ] || fail "the SPCR body is $(wc -c <"$spcr") bytes, not 44"
run_hv --console com2 --cfg console=auto --tests cpuid -- -acpitable "sig=SPCR,rev=2,data=$spcr"
expect_rc 0 "SUCCESS"
expect_log '^serial console: COM2, 16550 at I/O port 0x2f8 \(console=auto: the ACPI SPCR table.s UART\), 115200 baud$'
expect_log '^PASS: cpuid:'
expect_log '^Test result: SUCCESS$'
pass
