#!/usr/bin/env bash
# tests/fuzz/mutants.sh - check the checkers: plant each bug of
# tests/fuzz/mutants.txt and expect the target's make-check pass to catch it.
#
#   tests/fuzz/mutants.sh [NAME...]     all mutants, or the named ones
#
# Each mutant is a one-line sed edit of a file under test.  The file is
# copied to build/fuzz/mut/NAME/<path> and edited there; the target is built
# with -Ibuild/fuzz/mut/NAME before -I. (FUZZ_MUT), so its #include of the
# .c finds the copy.  The source tree is never touched.  Prints
# "CAUGHT: NAME ..." or "MISSED: NAME ..."; exit 1 if any is missed.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

missed=0
while IFS='|' read -r name target file expr; do
	case $name in ''|'#'*) continue ;; esac
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	dir=build/fuzz/mut/$name
	rm -rf "$dir" && mkdir -p "$dir/$(dirname "$file")"
	sed -e "$expr" "$file" >"$dir/$file"
	changed=$(diff "$file" "$dir/$file" | grep -c '^>')
	if [ "$changed" != 1 ]; then
		echo "MISSED: $name: the edit changes $changed lines of $file, not 1 (fix tests/fuzz/mutants.txt)"
		missed=$((missed + 1))
		continue
	fi
	if ! make -s FUZZ_DIR="$dir" FUZZ_MUT="-I$dir" "$dir/fuzz_$target" >"$dir/build.log" 2>&1; then
		echo "MISSED: $name: the mutant does not build (see $dir/build.log)"
		missed=$((missed + 1))
		continue
	fi
	s0=$(date +%s)
	out=$(FUZZ_BIN_DIR=$dir tests/fuzz/run.sh check "$target" 2>&1)
	if grep -q '^FAIL: ' <<<"$out"; then
		why=$(grep -a -m1 -E "^fuzz_$target: |runtime error|ERROR: AddressSanitizer" <<<"$out")
		echo "CAUGHT: $name ($file: $(diff "$file" "$dir/$file" | grep '^>' | sed 's/^> *//')) in $(( $(date +%s) - s0 ))s: $why"
	else
		echo "MISSED: $name: $(grep '^PASS' <<<"$out")"
		missed=$((missed + 1))
	fi
done <tests/fuzz/mutants.txt
[ "$missed" = 0 ]
