#!/usr/bin/env bash
# (o) The default suite at --smp 4 under QEMU 10 (build/qemu10, make qemu10):
# SUCCESS, every default test passes on every vCPU as in scenario smp4, and
# nothing is skipped at all, since the QEMU 7.2 TCG bug that lets apic_nmi
# skip its STI-shadow check is fixed in 10: that check must PASS, in xAPIC
# and x2APIC mode.  The binary must say it is QEMU 10.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
qemu=build/qemu10/bin/qemu-system-x86_64
[ -x "$qemu" ] || fail "$qemu not found: 'make qemu10' failed or did not run (make check builds it)"
version=$("$qemu" --version 2>&1 | head -n 1)
[[ $version =~ ^QEMU\ emulator\ version\ 10\. ]] || fail "'$qemu --version' says '$version', expected QEMU 10.x"
QEMU=$qemu run_hv --smp 4
# run.sh names the QEMU it ran when it prints a version: then it must be this one.
if grep -a -q -E 'QEMU (emulator )?(version )?[0-9]+\.[0-9]+' "$OUT"; then
	expect_out 'QEMU (emulator )?(version )?10\.'
fi
expect_rc 0 "SUCCESS"
expect_log '^Test result: SUCCESS$'
skips=$(log_count '^SKIP: ')
[ "$skips" = 0 ] || fail "$skips SKIP lines under $version, expected none (first: $(grep -a -m1 '^SKIP: ' "$LOG"))"
for m in xapic x2apic; do
	expect_log "^PASS: apic_nmi: vcpu0: $m: [1-9][0-9]* NMIs during [0-9]+ \"sti; out\" pairs, none taken inside the STI shadow"
done
expect_default_passes 4
pass
