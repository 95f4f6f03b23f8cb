#!/usr/bin/env bash
# tools/bench-ratios.sh - the bench regression check (integration/bench_ratios).
#
#   tools/bench-ratios.sh FIGURES APIC COMPILER RUN-OUTPUT
#
# FIGURES is tests/bench-ratios.txt: sections "[<compiler>]", then lines
# "<apic> <round trip> <ratio>" (run.sh --bench's bench.<name>.ratio, the
# round trip's instructions over the bare world switch's).  RUN-OUTPUT is
# what `run.sh --bench [--apic APIC]` printed.  COMPILER is the compiler
# string the hypervisor was built with (readelf -p .comment build/hv.so).
#
# One line per round trip the section lists for APIC:
#   PASS: bench ratio <name>: R (committed C, limit L)
#   FAIL: bench ratio <name>: R, above L = C + 10%   (or: no figure in the run)
# and a FAIL for a ratio in the run that the section does not list (commit
# it).  A committed ratio "-" (a round trip of two vCPUs, not exact) gives
# a SKIP line with the measured figure.  Under -icount the counts are exact (docs/BENCH-PROFILE.md), so a
# rise is the code's, never noise; 10% leaves room for small, meant changes.
# A compiler with no section: one SKIP line naming it (the figures are the
# compiled code's: gcc 12 and gcc 14 differ).  Exit 0 unless a FAIL.
set -u
[ $# = 4 ] || { echo "usage: $0 FIGURES APIC COMPILER RUN-OUTPUT" >&2; exit 2; }
figures=$1 apic=$2 compiler=$3 out=$4
[ -r "$figures" ] || { echo "FAIL: bench ratios: $figures not readable"; exit 1; }
[ -r "$out" ] || { echo "FAIL: bench ratios: $out not readable"; exit 1; }

# The committed "<name> <ratio>" lines of this compiler's section for apic.
committed=$(awk -v c="[$compiler]" -v a="$apic" '
	/^[[:space:]]*(#|$)/ { next }
	/^\[/ { on = ($0 == c); seen = seen || on; next }
	on && $1 == a { print $2, $3 }
	END { if (!seen) exit 3 }' "$figures")
case $? in
0) ;;
3) echo "SKIP: bench ratios: no committed figures for compiler '$compiler' in $figures" \
	"(the ratios are the compiled code's; measure them with ./run.sh --bench and add a section)"
   exit 0 ;;
*) echo "FAIL: bench ratios: cannot read $figures"; exit 1 ;;
esac
[ -n "$committed" ] || { echo "FAIL: bench ratios: $figures has no '$apic' lines for '$compiler'"; exit 1; }

measured=$(sed -n 's/^METRIC: bench\.\([a-z0-9_]*\)\.ratio \([0-9]*\.[0-9][0-9]\)$/\1 \2/p' "$out")
# Ratios in hundredths, integers only: 17.43 -> 1743.
hundredths() { local i=${1%.*} f=${1#*.}; echo $((10#$i * 100 + 10#$f)); }

failed=0
while read -r name ratio; do
	r=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$measured" | tail -n 1)
	if [ "$ratio" = - ]; then
		echo "SKIP: bench ratio $name ($apic): ${r:-not measured}: two vCPUs under single-threaded TCG," \
			"not exact (guest/tests/bench.c \"Exact and not exact\"): not held to a figure"
		continue
	fi
	if [ -z "$r" ]; then
		echo "FAIL: bench ratio $name ($apic): no bench.$name.ratio in the run"
		failed=1
		continue
	fi
	c=$(hundredths "$ratio") m=$(hundredths "$r")
	limit=$(( (c * 110 + 99) / 100 ))         # +10%, rounded up to the hundredth
	lim=$(printf '%d.%02d' $((limit / 100)) $((limit % 100)))
	if [ "$m" -gt "$limit" ]; then
		echo "FAIL: bench ratio $name ($apic): $r, above $lim = committed $ratio + 10%"
		failed=1
	elif [ $((m * 110)) -lt $((c * 100)) ]; then
		# A stale high figure would hide a later rise up to it.
		echo "PASS: bench ratio $name ($apic): $r, more than 10% below the committed $ratio:" \
			"update $figures"
	else
		echo "PASS: bench ratio $name ($apic): $r (committed $ratio, limit $lim)"
	fi
done <<<"$committed"
while read -r name _; do
	[ -n "$name" ] || continue
	awk -v n="$name" '$1 == n { f = 1 } END { exit !f }' <<<"$committed" && continue
	echo "FAIL: bench ratio $name ($apic): measured, but no committed figure in $figures: add it"
	failed=1
done <<<"$measured"
exit "$failed"
