#!/usr/bin/env bash
# (p) The screen console: a run with --screenshot has the GOP framebuffer in
# its capability report, draws the verdict screen, holds it (screen_hold=on)
# until run.sh has QEMU's screendump, and the PNG is, pixel for pixel, the
# verdict screen that build/host/screencheck draws on the host with the same
# code (lib/fb.c, lib/font8x16.c, lib/tally.c) from the serial log: verdict,
# counts, SUMMARY and the failed test's name.  The check must be able to
# fail: the same log drawn with another verdict must differ.  A run that
# ends before its verdict screen keeps its exit status and has no picture.
# screen=off is reported as such; bad values are refused before anything runs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
PNG=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX.png")
EXP=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX.png")
CMP=$(mktemp "${TMPDIR:-/tmp}/hv-int-$NAME.XXXXXX")
trap 'rm -f "$OUT" "$PNG" "$EXP" "$CMP"' EXIT
SC=build/host/screencheck
[ -x "$SC" ] || fail "$SC not built (make integration-build)"

# Bad input: exit 2 from run.sh, or the hypervisor's ERROR before ExitBootServices.
run_hv --screenshot /nonexistent/shot.png
expect_rc 2 "--screenshot into a missing folder"
expect_out "no such directory"
run_hv --tests cpuid --smp 1 --cfg screen=maybe
expect_rc 5 "screen=maybe"
expect_log "ERROR boot: .*bad value in 'screen=maybe'"

# A FAILURE, so that the screen lists a failed test.
rm -f "$PNG"
run_hv --tests cpuid,fail_on_purpose --smp 2 --screenshot "$PNG"
expect_rc 1 "FAILURE (fail_on_purpose)"
expect_log '^screen: GOP [0-9]+x[0-9]+ (RGBX8888|BGRX8888|bit masks).*\(screen=on\)'
expect_log 'INFO screen: verdict screen drawn; waiting up to 60 s for a byte on the serial console \(screen_hold=on\)'
expect_log 'INFO screen: the host answered; ending'
[ -s "$PNG" ] || fail "no picture at $PNG"

"$SC" --expected "$EXP" "$LOG" "$PNG" >"$CMP" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "the screenshot differs from the verdict screen drawn on the host (screencheck exit $rc): $(tr '\n' ' ' <"$CMP")"
grep -q "verdict 'FAILURE'" "$CMP" || fail "screencheck did not draw FAILURE: $(cat "$CMP")"
grep -q " 0 of [1-9][0-9]* pixels differ" "$CMP" || fail "screencheck: $(cat "$CMP")"
# The counts on the screen are run.sh's (its verdict tool reads the same log).
counts=$(sed -n 's/^run\.sh: FAILURE (\([0-9]*\) pass, \([0-9]*\) fail, \([0-9]*\) skip;.*/\1 pass, \2 fail, \3 skip lines/p' "$OUT")
[ -n "$counts" ] && grep -q "($counts)" "$CMP" || fail "screen counts ($(cat "$CMP")) are not run.sh's ($counts)"

# The comparison can fail: another verdict, or only the verdict's band of another one.
"$SC" --verdict SUCCESS "$LOG" "$PNG" >"$CMP" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "screencheck --verdict SUCCESS on a FAILURE screen exited $rc, expected 1: $(cat "$CMP")"
"$SC" --region 0,0,16,16 "$LOG" "$PNG" >"$CMP" 2>&1 || fail "screencheck --region 0,0,16,16: $(cat "$CMP")"
"$SC" --region 0,0,0,0 "$LOG" "$PNG" >"$CMP" 2>&1
[ $? = 2 ] || fail "screencheck --region 0,0,0,0 was not refused"

# A run that ends before its verdict screen (ERROR before ExitBootServices) keeps its
# status, with a warning, and leaves no picture.
rm -f "$PNG"
run_hv --tests cpuid --smp 1 --apic avic --screenshot "$PNG"
expect_rc 5 "ERROR: apic=avic on a CPU without AVIC"
expect_out "warning: --screenshot: no picture taken \(the run ended before the verdict screen\)"
[ ! -e "$PNG" ] || fail "a picture was written for a run without a verdict screen"

# screen=off: said in the report, and the run still ends normally.
run_hv --tests cpuid --smp 1 --cfg screen=off
expect_rc 0 "SUCCESS with screen=off"
expect_log '^screen: off \(screen=off; GOP [0-9]+x[0-9]+'
pass
