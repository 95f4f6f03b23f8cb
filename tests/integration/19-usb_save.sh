#!/usr/bin/env bash
# (issue 12) end=save on the USB stick: the first boot runs the tests and
# keeps the compact results in UEFI variables (several, the AVIC probe's
# table is longer than one), resets; the second boot writes
# \EFI\BOOT\RESULTS.TXT, deletes the variables, runs no tests and powers
# off; run.sh takes the file out.  The file must hold what the serial log
# says: the same verdict, SUMMARY, FAIL lines, probe table and capability
# report, and no PASS lines.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
run_hv --usb --cfg end=save --tests cpuid,fail_on_purpose,avic_probe --apic avic-emu
expect_rc 1 "FAILURE: fail_on_purpose"
expect_log '^Test result: FAILURE$'
expect_out '^run\.sh: results saved on the stick: '
file=$(sed -n 's/^run\.sh: results saved on the stick: //p' "$OUT" | tail -n 1)
[ -f "$file" ] || fail "no file $file"
clean() { sed -e 's|\x1b\[[0-9;?=<>]*[ -/]*[@-~]||g' -e 's|\r||g' "$1"; }
same() {   # ERE: the lines matching it, in the log and in the file, must be the same
	local a b
	a=$(clean "$LOG" | grep -a -E -- "$1") b=$(grep -a -E -- "$1" "$file")
	[ -n "$a" ] || fail "the log has no line matching '$1'"
	[ "$a" = "$b" ] || fail "lines matching '$1' differ between the log and RESULTS.TXT: $(diff <(echo "$a") <(echo "$b") | head -n 4 | tr '\n' ' ')"
}
same '^Test result: '
same '^SUMMARY: '
same '^FAIL: '
same '^AVIC probe: '
same '^METRIC: '
a=$(clean "$LOG" | sed -n '/^== capability report ==$/,/^== end of capability report ==$/p')
b=$(sed -n '/^== capability report ==$/,/^== end of capability report ==$/p' "$file")
{ [ -n "$a" ] && [ "$a" = "$b" ]; } || fail "the capability report differs between the log and RESULTS.TXT"
[ "$(grep -a -c '^PASS: ' "$file")" = 0 ] || fail "PASS lines in RESULTS.TXT"
[ "$(tail -n 1 "$file")" = "Test result: FAILURE" ] || fail "RESULTS.TXT does not end with the verdict"
save_log=${LOG%.log}.save.log
[ -f "$save_log" ] || fail "no log of the second boot ($save_log)"
n=$(clean "$save_log" | sed -n 's/.*INFO save: wrote \([0-9]*\) bytes from \([0-9]*\) variables to .*RESULTS.TXT and deleted them$/\2/p')
[ -n "$n" ] || fail "the second boot did not say that it wrote the file and deleted the variables"
[ "$n" -ge 2 ] || fail "the results went into $n variable(s); expected several (chunks of at most 4 KiB)"
[ "$(wc -c <"$file")" -gt 4096 ] || fail "RESULTS.TXT has only $(wc -c <"$file") bytes"
[ "$(clean "$save_log" | grep -a -c -E '^(PASS|FAIL|Test result)|WARN save|ERROR')" = 0 ] ||
	fail "the second boot ran tests or reported a problem"
pass
