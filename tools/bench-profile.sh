#!/usr/bin/env bash
# tools/bench-profile.sh - where the instructions of each bench round trip
# go: hypervisor function by function (docs/BENCH-PROFILE.md).
#
#   tools/bench-profile.sh [run.sh options, e.g. --apic avic-emu]
#
# 1. ./run.sh --bench: the figures, and the image base the hypervisor
#    prints ("image base 0x...": OVMF loads it at the same place each boot).
# 2. The same run again, with QEMU logging every executed instruction of the
#    guest's code and the hypervisor's image (-singlestep: one instruction
#    per translation block; -d exec,nochain; -dfilter on both ranges) into a
#    FIFO that tools/bench-profile.c reads, so the log (13 GB for one run)
#    never reaches the disk.  Under -icount the run is the same run: its
#    round trips must come out with the counts of step 1.
# 3. Per kind of window (exiting guest instruction, closing RDTSC), the one
#    with the fewest instructions (the guest's minimum), by function.
# Takes about 8 minutes (QEMU 7.2 under TCG, one host core).  Output on
# stdout; exit 1 if a step fails.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
HOSTCC=${HOSTCC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-profile.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
die() { echo "bench-profile: $*" >&2; exit 1; }

[ "${NO_BUILD:-0}" = 1 ] || make -j2 >/dev/null || die "make failed"
for f in build/hv.so build/guest/guest.elf build/BOOTX64.EFI; do [ -r "$f" ] || die "$f not found"; done
$HOSTCC -O2 -Wall -Wextra -Werror -o "$TMP/bench-profile" tools/bench-profile.c || die "cannot build tools/bench-profile.c"

NO_BUILD=1 ./run.sh --bench --quiet "$@" >"$TMP/plain.out" 2>&1 || die "./run.sh --bench $* failed: $(tail -n 1 "$TMP/plain.out")"
log=$(sed -n 's/^run\.sh: [A-Z]* (.*; log: \(.*\))$/\1/p' "$TMP/plain.out" | tail -n 1)
base=$(sed -n 's/.*image base \(0x[0-9a-f]*\) size \(0x[0-9a-f]*\).*/\1 \2/p' "$log" | head -n 1)
[ -n "$base" ] || die "no 'image base' line in $log"
read -r base size <<<"$base"
# The guest's code: its executable LOAD segment (readelf prints the flags "R E" as two fields).
read -r glo gsz < <(readelf -lW build/guest/guest.elf | awk '$1 == "LOAD" && ($7 ~ /E/ || $8 ~ /E/) { print $3, $6; exit }')
[ -n "${glo:-}" ] || die "no executable segment in build/guest/guest.elf"
ghi=$(printf '0x%x' $((glo + gsz)))
nm -n build/hv.so | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' >"$TMP/syms"
objdump -d --no-show-raw-insn build/guest/guest.elf | awk '$2 == "rdtsc" { sub(":", "", $1); print $1 }' >"$TMP/rdtsc"
[ -s "$TMP/rdtsc" ] || die "no RDTSC in the guest"

mkfifo "$TMP/fifo"
"$TMP/bench-profile" "$TMP/syms" "$base" "$glo" "$ghi" "$TMP/rdtsc" <"$TMP/fifo" >"$TMP/windows" &
prof=$!
NO_BUILD=1 ./run.sh --bench --quiet --timeout 1800 "$@" -- -singlestep -d exec,nochain \
	-dfilter "$glo..$(printf '0x%x' $((ghi - 1))),$base+$size" -D "$TMP/fifo" >"$TMP/traced.out" 2>&1 ||
	die "the traced run failed: $(tail -n 1 "$TMP/traced.out")"
wait "$prof" || die "tools/bench-profile.c failed"

echo "bench-profile: $(git describe --always --dirty 2>/dev/null), ./run.sh --bench $*; $(readelf -p .comment build/hv.so | sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | sort -u | paste -sd';')"
grep -E '^METRIC: bench\.[a-z0-9_]*\.instructions' "$TMP/plain.out"
cmp -s <(grep -E '^METRIC: bench\.' "$TMP/plain.out") <(grep -E '^METRIC: bench\.' "$TMP/traced.out") ||
	die "the traced run's figures differ from the plain run's"
# Per kind of window the smallest one; name the exiting instruction from the guest's disassembly.
sort -k1,1 -k2,2 -k3,3n "$TMP/windows" | awk '!seen[$1 " " $2]++' | sort -k3,3n |
while read -r exit_pc end_pc total rest; do
	insn=$(objdump -d --no-show-raw-insn --start-address=0x"$exit_pc" --stop-address=$((0x$exit_pc + 16)) \
		build/guest/guest.elf | awk -F'\t' '/^ +[0-9a-f]+:/ && NF >= 2 { print $2; exit }')
	n=$(awk -v e="$exit_pc" -v d="$end_pc" '$1 == e && $2 == d' "$TMP/windows" | wc -l)
	echo
	echo "== $total instructions: exit at guest 0x$exit_pc ($insn), window closed at 0x$end_pc; $n windows of this kind"
	tr ' ' '\n' <<<"$rest" | awk -F= '{ print $2, $1 }' | sort -k1,1nr | awk '{ printf "  %6d  %s\n", $1, $2 }'
done
