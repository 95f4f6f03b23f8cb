#!/usr/bin/env bash
# (l) run.sh --bench: the bench guest under -icount prints the TSC ticks of
# each round trip, and run.sh turns them into instruction counts and ratios
# to the bare world switch (bench.world_switch, hv/bench.c).  Every
# figure must be there, be a multiple of 2^shift (under -icount the TSC
# counts instructions << shift exactly) and be non-zero.  Two runs: the
# one-vCPU round trips are exact and must give the same count both times;
# ipi_halted (two vCPUs, guest/tests/bench.c "Exact and not exact") depends
# on when QEMU switches between them, so it is held only to the guest's
# check that each IPI arrived and was handled once, and to a bound no
# scheduling can reach: 1,000,000 instructions (64 ms of virtual time at
# shift 6), where the usual figure is a few thousand and a lost kick would
# leave the target asleep until the 10 s watchdog.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
EXACT="world_switch vmmcall cpuid pio_in x2apic_eoi x2apic_self_ipi tsc_deadline xapic_eoi xapic_tpr_read"
CROSS="ipi_halted"
CROSS_MAX=1000000
declare -A first
for run in 1 2; do
	run_hv --bench
	expect_rc 0 "SUCCESS"
	expect_log '^PASS: bench: vcpu0: ipi_halted: 32 IPIs to the halted vcpu1, each handled once;'
	for op in $EXACT $CROSS; do
		ticks=$(sed -n "s/^METRIC: bench\.${op}_tsc \([0-9]*\)\r*$/\1/p" "$LOG" | tail -n 1)
		[ -n "$ticks" ] || fail "no METRIC bench.${op}_tsc line in the log"
		[ $((ticks % 64)) = 0 ] || fail "bench.${op}_tsc $ticks is not a multiple of 64: -icount shift=6 is not counting instructions"
		insns=$(sed -n "s/^METRIC: bench\.${op}\.instructions \([0-9]*\)$/\1/p" "$OUT" | tail -n 1)
		[ "$insns" = $((ticks >> 6)) ] || fail "run.sh printed '${insns}' instructions for $op, expected $((ticks >> 6))"
		[ "$insns" -gt 0 ] || fail "bench.$op: 0 instructions"
		if [ "$op" != world_switch ]; then
			ws=$(sed -n 's/^METRIC: bench\.world_switch\.instructions \([0-9]*\)$/\1/p' "$OUT" | tail -n 1)
			ratio=$(sed -n "s/^METRIC: bench\.${op}\.ratio \([0-9]*\.[0-9][0-9]\)$/\1/p" "$OUT" | tail -n 1)
			want=$(( (insns * 200 + ws) / (2 * ws) ))
			[ "$ratio" = "$(printf '%d.%02d' $((want / 100)) $((want % 100)))" ] ||
				fail "run.sh printed ratio '${ratio}' for $op: $insns / $ws instructions is $((want / 100)).$((want % 100)) (hundredths)"
		fi
		if [ "$run" = 1 ]; then
			first[$op]=$insns
		elif [[ " $EXACT " == *" $op "* ]] && [ "$insns" != "${first[$op]}" ]; then
			fail "bench.$op: ${first[$op]} instructions, then $insns: a one-vCPU round trip under -icount must repeat exactly"
		fi
		if [ "$op" = "$CROSS" ] && [ "$insns" -ge "$CROSS_MAX" ]; then
			fail "bench.$op: $insns instructions, not below $CROSS_MAX: the IPI reached the halted vCPU only late"
		fi
	done
done
pass
