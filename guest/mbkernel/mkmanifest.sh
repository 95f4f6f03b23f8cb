#!/usr/bin/env bash
# guest/mbkernel/mkmanifest.sh [--mem-upper KIB] OUT CMDLINE [MODULE...]
#
# Writes OUT, a manifest module for the Multiboot test kernel
# (guest/mbkernel/main.c): it tells the kernel the command line it must
# get, optionally the exact mem_upper, and the size and POSIX cksum of each
# MODULE.  Pass OUT as the first --module and the MODULEs after it, in order:
#     guest/mbkernel/mkmanifest.sh m.txt "x y" data.bin
#     ./run.sh --guest build/mbkernel/mbkernel.elf --append "x y" --module m.txt --module data.bin
set -eu

usage() { echo "usage: guest/mbkernel/mkmanifest.sh [--mem-upper KIB] OUT CMDLINE [MODULE...]" >&2; exit 2; }
mem_upper=
if [ "${1:-}" = --mem-upper ]; then
	if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then usage; fi
	mem_upper=$2
	shift 2
fi
[ $# -ge 2 ] || usage
out=$1 cmdline=$2
shift 2
[[ $cmdline != *$'\n'* ]] || { echo "mkmanifest.sh: the command line cannot hold a newline" >&2; exit 2; }
[ $# -le 7 ] || { echo "mkmanifest.sh: at most 7 modules besides the manifest (8 in all)" >&2; exit 2; }

{
	echo "mbkernel-manifest 1"
	printf 'cmdline %s\n' "$cmdline"
	[ -z "$mem_upper" ] || echo "mem_upper $mem_upper"
	echo "modules $(($# + 1))"
	i=1
	for m in "$@"; do
		read -r crc size _ < <(cksum <"$m")
		echo "module $i $size $crc"
		i=$((i + 1))
	done
	echo "end"
} >"$out"
