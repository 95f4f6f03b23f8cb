#!/usr/bin/env bash
# (l) run.sh --bench: the bench guest under -icount prints the TSC ticks of
# each round trip, and run.sh turns them into instruction counts.  Every
# figure must be there, be a multiple of 2^shift (under -icount the TSC
# counts instructions << shift exactly) and be non-zero.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --bench
expect_rc 0 "SUCCESS"
for op in vmmcall x2apic_eoi x2apic_self_ipi xapic_eoi ipi_halted; do
	ticks=$(sed -n "s/^METRIC: bench\.${op}_tsc \([0-9]*\)\r*$/\1/p" "$LOG" | tail -n 1)
	[ -n "$ticks" ] || fail "no METRIC bench.${op}_tsc line in the log"
	[ $((ticks % 64)) = 0 ] || fail "bench.${op}_tsc $ticks is not a multiple of 64: -icount shift=6 is not counting instructions"
	insns=$(sed -n "s/^METRIC: bench\.${op}\.instructions \([0-9]*\)$/\1/p" "$OUT" | tail -n 1)
	[ "$insns" = $((ticks >> 6)) ] || fail "run.sh printed '${insns}' instructions for $op, expected $((ticks >> 6))"
	[ "$insns" -gt 0 ] || fail "bench.$op: 0 instructions"
done
pass
