#!/usr/bin/env bash
# (k) run.sh --guest boots a user's Multiboot kernel (docs/multiboot.md): our
# test kernel (guest/mbkernel) gets the command line and the modules run.sh
# was given - a manifest module tells it what to expect - and reports each
# check on COM1; the hypervisor's verdict is what its vCPU 0 writes to 0xF4.
# With 4 CPUs and "cpus=3" it starts APIC IDs 1 and 2 with INIT/STARTUP
# through its virtual local APIC (APM Vol 2 §16.5): each must run the real-mode
# trampoline and check in exactly once with its own APIC ID, while vCPU 3
# waits for a STARTUP that never comes and must not spoil the run.  A wrong
# expectation must turn into FAILURE (a command line other than the
# manifest's, an AP that is not there), a truncated kernel into a clear ERROR
# before anything runs, a missing file into a usage error.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
KERNEL=build/mbkernel/mbkernel.elf
[ -f "$KERNEL" ] || fail "$KERNEL not found (make check builds it: make integration-build)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hv-int-mb.XXXXXX")
trap 'rm -rf "$OUT" "$TMP"' EXIT

CMDLINE='console=ttyS0  x=1 # y cpus=3'
seq 1 5000 >"$TMP/numbers.txt"
head -c 9000 /dev/urandom >"$TMP/random.bin"
: >"$TMP/empty.bin"
# No guest_ram_mb: a Multiboot kernel this small gets the minimum, 128 MiB: upper memory is 127 MiB.
guest/mbkernel/mkmanifest.sh --mem-upper 130048 "$TMP/manifest.txt" "$CMDLINE" \
	"$TMP/numbers.txt" "$TMP/random.bin" "$TMP/empty.bin" || fail "mkmanifest.sh failed"
mods=(--module "$TMP/manifest.txt" --module "$TMP/numbers.txt" --module "$TMP/random.bin" --module "$TMP/empty.bin")
CMDLINE_1='console=ttyS0 cpus=1'
guest/mbkernel/mkmanifest.sh "$TMP/manifest1.txt" "$CMDLINE_1" || fail "mkmanifest.sh failed"
mods_1=(--module "$TMP/manifest1.txt")

run_hv --smp 4 --guest "$KERNEL" --append "$CMDLINE" "${mods[@]}"
expect_rc 0 "SUCCESS"
expect_log '^PASS: guest: \\guest\\mbkernel\.elf: exited with status 0$'
expect_log '^Test result: SUCCESS$'
expect_log '^\[guest guest/0\] cmdline: '"'console=ttyS0  x=1 # y cpus=3'"
for check in 'com1: LSR' 'magic:' 'machine state:' 'mbi flags:' 'placement: the MBI' 'memory: mem_lower' \
	'memory: mem_upper is what the manifest says' 'mmap:' 'cmdline: equals' 'modules: 4 modules' \
	'manifest: module 0 is exactly' 'manifest: module count' 'module 1:' 'module 2:' 'module 3:' \
	'data:' 'bss:' 'pic:' 'apic: CPUID 1 EDX\[9\] set' "apic: the BSP's APIC ID .* is 0 " \
	'apic: version register' 'apic: ESR reads 0' 'apic: ICR delivery status \(bit 12\) idle' \
	'com1: every character'; do
	expect_log "^\[guest guest/0\] PASS: $check"
done
# The APs: each checked in as itself, once; the extra STARTUP changed nothing; vCPU 3 never ran.
for ap in 1 2; do
	expect_log "^\[guest guest/0\] PASS: smp: AP $ap checked in after [12] STARTUPs? and [0-9]+ TSC ticks: as APIC ID $ap,"
done
expect_log '^\[guest guest/0\] PASS: smp: one more STARTUP to each running AP is ignored: each of the 2 running APs .*got 2 and 2\)$'
[ "$(log_count '^\[guest guest/0\] PASS: smp: AP ')" = 2 ] || fail "expected exactly 2 AP check-in lines"
[ "$(log_count '^\[guest guest/[1-9]\]')" = 0 ] || fail "an AP printed on COM1 (only the BSP may)"
n=$(log_count '^\[guest guest/0\] PASS: perf msr 0xc001000[0-7]:')
[ "$n" = 8 ] || fail "expected a PASS for each of the 8 perf MSRs, got $n"
[ "$(log_count '^\[guest guest/0\] FAIL:')" = 0 ] || fail "the kernel reported FAIL lines"
expect_log '^\[guest guest/0\] mbkernel: [0-9]+ passed, 0 failed'
[ "$(log_count '^(PASS|FAIL|SKIP): ')" = 1 ] || fail "expected exactly one result line (the guest's)"

# INIT then at once one STARTUP, no delay and no retry (as kernels for current
# CPUs do): every AP must come up from that single STARTUP.
CMDLINE_ND='cpus=4 smp_nodelay'
guest/mbkernel/mkmanifest.sh "$TMP/manifest_nd.txt" "$CMDLINE_ND" || fail "mkmanifest.sh failed"
run_hv --smp 4 --guest "$KERNEL" --append "$CMDLINE_ND" --module "$TMP/manifest_nd.txt"
expect_rc 0 "SUCCESS (smp_nodelay)"
[ "$(log_count '^\[guest guest/0\] PASS: smp: AP [123] checked in after 1 STARTUP ')" = 3 ] ||
	fail "smp_nodelay: expected APs 1-3 each to check in after a single STARTUP"

# The kernel's own FAILs are the run's FAILURE: a command line other than the
# manifest's, and cpus=2 on a machine with one CPU: AP 1 never checks in.
run_hv --smp 1 --guest "$KERNEL" --append "console=ttyS0 cpus=2" "${mods[@]}"
expect_rc 1 "FAILURE"
expect_log '^\[guest guest/0\] FAIL: cmdline: equals what the manifest says'
expect_log '^\[guest guest/0\] FAIL: smp: AP 1: no check-in after INIT and 2 STARTUPs '
expect_log '^\[guest guest/0\] INFO: smp: no AP is running'
[ "$(log_count '^\[guest guest/0\] FAIL:')" = 2 ] || fail "expected exactly the 2 FAIL lines above"
expect_log '^FAIL: guest: \\guest\\mbkernel\.elf: exited with status 2 \(expected 0, got 2\)$'
expect_log '^Test result: FAILURE$'

# One CPU and cpus=1: no AP to start, which is no failure.
run_hv --smp 1 --guest "$KERNEL" --append "$CMDLINE_1" "${mods_1[@]}"
expect_rc 0 "SUCCESS"
expect_log '^\[guest guest/0\] INFO: smp: cpus=1: there are no APs to start$'
[ "$(log_count '^\[guest guest/0\] (PASS|FAIL): smp:')" = 0 ] || fail "SMP checks ran without APs"
expect_log '^PASS: guest: \\guest\\mbkernel\.elf: exited with status 0$'

# A truncated kernel: refused by name and reason before anything runs.
head -c 300 "$KERNEL" >"$TMP/cut.elf"
run_hv --smp 1 --guest "$TMP/cut.elf"
expect_rc 5 "ERROR"
expect_log '^\[cpu0\] ERROR boot: guest \\guest\\cut\.elf: truncated file: '
expect_log '^Test result: ERROR$'
[ "$(log_count '^\[guest ')" = 0 ] || fail "a guest ran although its kernel file is truncated"

# A file that is not there: run.sh says so and boots nothing.
run_hv --guest "$TMP/no-such-kernel.elf"
expect_rc 2 "usage error"
expect_out "no-such-kernel\.elf: no such file"
[ -z "$LOG" ] || fail "a serial log was written for a missing kernel: it booted"
pass
