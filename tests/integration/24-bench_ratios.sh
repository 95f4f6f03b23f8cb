#!/usr/bin/env bash
# (x) The bench regression check: every round trip's ratio to the bare
# world switch (run.sh --bench, soft and --apic avic-emu) stays within 10%
# above the figure committed in tests/bench-ratios.txt for the compiler that
# built the hypervisor (tools/bench-ratios.sh).  Under -icount the counts
# are exact, so a rise is the code's.  First the checker itself, on made-up
# run outputs: a ratio 11% above its figure must fail, 10% must pass, a
# round trip missing from the run must fail, an unknown compiler must SKIP.
# A compiler with no committed figures is a SKIP of this scenario, naming it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
FIG=tests/bench-ratios.txt
CHECK=tools/bench-ratios.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hv-int-ratios.XXXXXX")
trap 'rm -rf "$OUT" "$TMP"' EXIT

# --- the checker on made-up figures ---
cat >"$TMP/fig" <<'FIG'
[cc 1]
soft vmmcall 10.00
soft ipi_halted -
FIG
fake() { printf 'METRIC: bench.vmmcall.ratio %s\nMETRIC: bench.ipi_halted.ratio 40.00\n' "$1" >"$TMP/out"; }
fake 11.00; "$CHECK" "$TMP/fig" soft "cc 1" "$TMP/out" >"$TMP/r" || fail "checker: 10.00 -> 11.00 (+10%) failed: $(cat "$TMP/r")"
fake 11.01; ! "$CHECK" "$TMP/fig" soft "cc 1" "$TMP/out" >"$TMP/r" || fail "checker: 10.00 -> 11.01 (+10.1%) passed"
grep -q '^FAIL: bench ratio vmmcall (soft): 11.01, above 11.00' "$TMP/r" || fail "checker: no FAIL line for 11.01: $(cat "$TMP/r")"
printf 'METRIC: bench.ipi_halted.ratio 40.00\n' >"$TMP/out"
! "$CHECK" "$TMP/fig" soft "cc 1" "$TMP/out" >/dev/null || fail "checker: a committed round trip missing from the run passed"
fake 10.00; "$CHECK" "$TMP/fig" soft "cc 2" "$TMP/out" >"$TMP/r" || fail "checker: an unknown compiler failed: $(cat "$TMP/r")"
grep -q "^SKIP: .*'cc 2'" "$TMP/r" || fail "checker: an unknown compiler did not give a SKIP naming it: $(cat "$TMP/r")"

# --- the real figures ---
[ -r build/hv.so ] || fail "build/hv.so not found (make check builds it): the compiler cannot be read"
cc=$(readelf -p .comment build/hv.so | sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | sort -u | paste -sd';')
[ -n "$cc" ] || fail "no .comment (compiler) string in build/hv.so"
grep -qxF "[$cc]" "$FIG" || skip "no committed figures for compiler '$cc' in $FIG (measure with ./run.sh --bench and add a section)"
bad=0
for apic in soft avic-emu; do
	run_hv --bench --apic "$apic"
	expect_rc 0 "SUCCESS (--bench --apic $apic)"
	"$CHECK" "$FIG" "$apic" "$cc" "$OUT" >"$TMP/r.$apic" || bad=1
	sed 's/^/  | /' "$TMP/r.$apic"
done
[ "$bad" = 0 ] || fail "a ratio rose more than 10% above $FIG (the lines above)"
pass
