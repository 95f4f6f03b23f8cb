#!/usr/bin/env bash
# (k) run.sh --guest boots a user's Multiboot kernel (docs/multiboot.md): our
# test kernel (guest/mbkernel) gets the command line and the modules run.sh
# was given - a manifest module tells it what to expect - and reports each
# check on COM1; the hypervisor's verdict is what its vCPU 0 writes to 0xF4.
# With 2 CPUs vCPU 1 waits for a STARTUP that never comes and must not spoil
# the run.  A wrong expectation must turn into FAILURE, a truncated kernel
# into a clear ERROR before anything runs, a missing file into a usage error.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
KERNEL=build/mbkernel/mbkernel.elf
[ -f "$KERNEL" ] || fail "$KERNEL not found (make check builds it: make integration-build)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hv-int-mb.XXXXXX")
trap 'rm -rf "$OUT" "$TMP"' EXIT

CMDLINE='console=ttyS0  x=1 # y'
seq 1 5000 >"$TMP/numbers.txt"
head -c 9000 /dev/urandom >"$TMP/random.bin"
: >"$TMP/empty.bin"
# guest_ram_mb is the hypervisor's default, 32 MiB: upper memory is 31 MiB.
guest/mbkernel/mkmanifest.sh --mem-upper 31744 "$TMP/manifest.txt" "$CMDLINE" \
	"$TMP/numbers.txt" "$TMP/random.bin" "$TMP/empty.bin" || fail "mkmanifest.sh failed"
mods=(--module "$TMP/manifest.txt" --module "$TMP/numbers.txt" --module "$TMP/random.bin" --module "$TMP/empty.bin")

run_hv --smp 2 --guest "$KERNEL" --append "$CMDLINE" "${mods[@]}"
expect_rc 0 "SUCCESS"
expect_log '^PASS: guest: \\guest\\mbkernel\.elf: exited with status 0$'
expect_log '^Test result: SUCCESS$'
expect_log '^\[guest guest/0\] cmdline: '"'console=ttyS0  x=1 # y'"
for check in 'com1: LSR' 'magic:' 'machine state:' 'mbi flags:' 'placement: the MBI' 'memory: mem_lower' \
	'memory: mem_upper is what the manifest says' 'mmap:' 'cmdline: equals' 'modules: 4 modules' \
	'manifest: module 0 is exactly' 'manifest: module count' 'module 1:' 'module 2:' 'module 3:' \
	'data:' 'bss:' 'pic:' 'com1: every character'; do
	expect_log "^\[guest guest/0\] PASS: $check"
done
n=$(log_count '^\[guest guest/0\] PASS: perf msr 0xc001000[0-7]:')
[ "$n" = 8 ] || fail "expected a PASS for each of the 8 perf MSRs, got $n"
[ "$(log_count '^\[guest guest/0\] FAIL:')" = 0 ] || fail "the kernel reported FAIL lines"
expect_log '^\[guest guest/0\] mbkernel: [0-9]+ passed, 0 failed'
[ "$(log_count '^(PASS|FAIL|SKIP): ')" = 1 ] || fail "expected exactly one result line (the guest's)"

# The kernel's own FAIL is the run's FAILURE: a command line other than the manifest's.
run_hv --smp 1 --guest "$KERNEL" --append "console=ttyS0" "${mods[@]}"
expect_rc 1 "FAILURE"
expect_log '^\[guest guest/0\] FAIL: cmdline: equals what the manifest says'
expect_log '^FAIL: guest: \\guest\\mbkernel\.elf: exited with status 1 \(expected 0, got 1\)$'
expect_log '^Test result: FAILURE$'

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
