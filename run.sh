#!/usr/bin/env bash
# shellcheck disable=SC2054  # QEMU options contain commas on purpose
# run.sh - build the hypervisor, boot it under QEMU + OVMF, judge the results.
# Run ./run.sh --help for the options and exit codes.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=run.sh
orig_args=("$@")

usage() {
	cat <<'EOF'
usage: ./run.sh [options] [-- extra QEMU arguments]

Builds build/BOOTX64.EFI if needed, boots it under QEMU + OVMF with a fresh
HV.CFG on its ESP, shows the serial console live and judges the results.

  --smp N              CPUs, 1-64 (default 2)
  --cpu MODEL          QEMU CPU model (default EPYC; 'host' under KVM); features as in
                       QEMU, e.g. EPYC,+x2apic (QEMU 10) for --cfg host_apic=x2apic
  --mem SIZE           RAM in QEMU syntax, e.g. 512M, 2G (default 1G)
  --tests GLOB[,GLOB]  tests to run, names from hv/tests.def (default: the default set)
  --guest FILE         boot this Multiboot (v1) ELF kernel instead of the tests: one VM
                       named 'guest' with all vCPUs; it passes when its vCPU 0 writes 0
                       to port 0xF4 (docs/multiboot.md; not with --tests)
  --append ARGS        the kernel's command line (Multiboot cmdline), with --guest
  --module FILE        a Multiboot module, with --guest; repeatable, at most 8, in order
  --timeout S          limit for the whole QEMU run, seconds (default 600, and 60 more per
                       CPU above 8: TCG runs many vCPUs on few host cores; 0 = none)
  --test-timeout MS    per-vCPU watchdog (HV.CFG test_timeout; the hypervisor's default is 10000,
                       120000 for --guest)
  --cfg KEY=VALUE      extra HV.CFG line, repeatable (e.g. --cfg verbose=1)
  --console com1|com2  the serial port the hypervisor prints on (HV.CFG console=); com2:
                       QEMU's second serial port is the log (and the live echo), the
                       first (OVMF's console) goes to build/runs/<id>.com1.log
  --usb                boot the USB stick image (make usb) from an xHCI stick
                       instead of a directory on an emulated disk; with --cfg end=save
                       two boots: the run, then the one that writes RESULTS.TXT, which
                       is copied to build/runs/<id>.RESULTS.TXT
  --usb-readonly       --usb with the stick write-protected (QEMU readonly=on)
  --accel tcg|kvm      force the accelerator (default: KVM only when nested SVM is usable)
  --icount SHIFT       deterministic TSC: -icount shift=SHIFT (single-threaded TCG)
  --apic MODE          virtual-APIC backend: auto (default: AVIC where the CPU has it),
                       soft, avic, avic-emu (the AVIC model, for machines without AVIC)
  --bench              the benchmark: test 'bench' under -icount (shift 6 unless --icount
                       says otherwise), then the instruction count of each round trip
                       (TSC ticks >> shift) and its ratio to the bare world switch
                       (bench.world_switch: VMMCALL, RIP += 3, VMRUN; hv/bench.c) as
                       METRIC lines; with --apic avic-emu also avic_ipi_not_running;
                       not with --tests/--guest
  --gdb                start QEMU halted with a gdb stub on :1234 (no timeout unless --timeout)
  --qemu PATH          the QEMU binary (default: $QEMU, else qemu-system-x86_64 from PATH);
                       its version is printed and written at the top of the serial log
  --junit FILE         also write the run as JUnit XML to FILE: one testcase per test
                       that ran (FAIL lines as <failure>, SKIP as <skipped>, its part of
                       the serial log as <system-out>; a CRASH, TIMEOUT or ERROR as an
                       <error>), the QEMU version and the options as <properties>
  --screenshot FILE    save QEMU's screen at the end of the run as a PNG: the
                       hypervisor's verdict screen (HV.CFG screen_hold=on: it waits on
                       it until run.sh has the picture; see README "The screen console")
  --quiet              do not echo the serial console; print only the verdict
  --keep               keep the run directory (ESP, HV.CFG, OVMF variables)
  -h, --help           this text

Environment: NO_BUILD=1 (do not run make), OVMF_CODE / OVMF_VARS (firmware files,
default /usr/share/OVMF/OVMF_{CODE,VARS}_4M.fd), QEMU (the QEMU binary; --qemu wins),
HV_EFI (boot this EFI file instead of build/BOOTX64.EFI).

Exit status:
  0  SUCCESS   every test passed (or was skipped with a reason)
  1  FAILURE   at least one check failed
  2  usage, environment or build error (nothing was judged), or the --junit file
     could not be written, or the run reached its verdict screen and --screenshot
     still got no picture (a run that ends before it keeps its own status)
  3  CRASH     QEMU ended without a final 'Test result:' line
  4  TIMEOUT   the --timeout limit was hit
  5  ERROR     the hypervisor reported ERROR (e.g. the CPU lacks a feature it needs)
  77 SKIP      everything was skipped

The serial log is kept in build/runs/<id>.log (the newest also as build/runs/last.log).
EOF
}

die() { echo "$PROG: $*" >&2; exit 2; }
bad_usage() { echo "$PROG: $*" >&2; echo "$PROG: try './run.sh --help'" >&2; exit 2; }
info() { [ "$quiet" = 1 ] || echo "$PROG: $*" >&2; }
warn() { echo "$PROG: warning: $*" >&2; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# --- options -----------------------------------------------------------------
smp=2 cpu='' mem=1G tests='' timeout='' test_timeout='' usb=0 accel='' icount='' gdb=0 quiet=0 keep=0 bench=0 apic=''
guest='' append='' append_set=0 qemu_opt='' junit='' screenshot='' console=com1 usb_ro=0
cfg_extra=() qemu_extra=() modules=()

need_arg() { if [ $# -lt 2 ] || [ -z "$2" ]; then bad_usage "option $1 needs a value"; fi; }
while [ $# -gt 0 ]; do
	opt=$1 val=
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; set -- "$opt" "$val" "${@:2}" ;;
	esac
	case $opt in
	--smp) need_arg "$@"; smp=$2; shift 2 ;;
	--cpu) need_arg "$@"; cpu=$2; shift 2 ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--tests) need_arg "$@"; tests=$2; shift 2 ;;
	--guest) need_arg "$@"; guest=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || bad_usage "option --append needs a value"; append=$2 append_set=1; shift 2 ;;
	--module) need_arg "$@"; modules+=("$2"); shift 2 ;;
	--timeout) need_arg "$@"; timeout=$2; shift 2 ;;
	--test-timeout) need_arg "$@"; test_timeout=$2; shift 2 ;;
	--cfg) need_arg "$@"; cfg_extra+=("$2"); shift 2 ;;
	--accel) need_arg "$@"; accel=$2; shift 2 ;;
	--icount) need_arg "$@"; icount=$2; shift 2 ;;
	--console) need_arg "$@"; console=$2; shift 2 ;;
	--usb) usb=1; shift ;;
	--usb-readonly) usb=1 usb_ro=1; shift ;;
	--bench) bench=1; shift ;;
	--apic) need_arg "$@"; apic=$2; shift 2 ;;
	--gdb) gdb=1; shift ;;
	--qemu) need_arg "$@"; qemu_opt=$2; shift 2 ;;
	--junit) need_arg "$@"; junit=$2; shift 2 ;;
	--screenshot) need_arg "$@"; screenshot=$2; shift 2 ;;
	--quiet|-q) quiet=1; shift ;;
	--keep) keep=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; qemu_extra=("$@"); break ;;
	*) bad_usage "unknown option '$opt'" ;;
	esac
done

# --cfg end=save: two boots of the stick (see "end=save" below); the last end= wins, as in HV.CFG.
save=0
for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do
	case $kv in end=save) save=1 ;; end=*) save=0 ;; esac
done
if [ "$save" = 1 ]; then
	[ "$usb" = 1 ] || bad_usage "--cfg end=save needs --usb: the second boot writes RESULTS.TXT on the stick image"
	[ "$gdb" = 0 ] || bad_usage "--cfg end=save and --gdb exclude each other (two boots)"
fi
case $console in com1|com2) ;; *) bad_usage "--console wants com1 or com2, not '$console'" ;; esac
for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do
	# console=auto stays possible: an -acpitable SPCR may name the port --console connected.
	case $kv in console=auto) ;; console=*) bad_usage "--cfg $kv: use --console (run.sh must connect the same port)" ;; esac
done
case $apic in ""|auto|soft|avic|avic-emu) ;; *) bad_usage "--apic wants auto, soft, avic or avic-emu, not '$apic'" ;; esac
if [ "$bench" = 1 ]; then
	[ -z "$tests" ] || bad_usage "--bench runs its own test ('bench'): drop --tests"
	[ -z "$guest" ] || bad_usage "--bench and --guest exclude each other"
	[ "$accel" != kvm ] || bad_usage "--bench needs TCG -icount (instruction counts), not KVM"
	tests=bench
	icount=${icount:-6}
fi
{ is_uint "$smp" && [ ${#smp} -le 3 ] && [ "$smp" -ge 1 ] && [ "$smp" -le 64 ]; } || bad_usage "--smp wants a number from 1 to 64, not '$smp'"
[[ $mem =~ ^[1-9][0-9]*[kKmMgGtT]?$ ]] || bad_usage "--mem wants a size like 512M or 2G, not '$mem'"
[[ -z $cpu || $cpu =~ ^[A-Za-z0-9][A-Za-z0-9_.,=+-]*$ ]] || bad_usage "--cpu: bad CPU model '$cpu'"
[ -z "$timeout" ] || { is_uint "$timeout" && [ ${#timeout} -le 7 ]; } || bad_usage "--timeout wants seconds, not '$timeout'"
[ -z "$test_timeout" ] || { is_uint "$test_timeout" && [ ${#test_timeout} -le 7 ] &&
	[ "$test_timeout" -ge 10 ] && [ "$test_timeout" -le 3600000 ]; } ||
	bad_usage "--test-timeout wants milliseconds from 10 to 3600000, not '$test_timeout'"
case $accel in ""|tcg|kvm) ;; *) bad_usage "--accel wants tcg or kvm, not '$accel'" ;; esac
[ -z "$icount" ] || { is_uint "$icount" && [ "$icount" -le 10 ]; } || bad_usage "--icount wants a shift from 0 to 10, not '$icount'"
[ -z "$icount" ] || [ "$accel" != kvm ] || bad_usage "--icount works only with TCG"
for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do
	[[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]#]*$ ]] || bad_usage "--cfg wants KEY=VALUE without blanks or '#', not '$kv'"
done
if [ -z "$timeout" ]; then
	# Many vCPUs on few host cores are slow, not hung: the limit grows with --smp.
	if [ "$gdb" = 1 ]; then timeout=0; else timeout=$((600 + 60 * (smp > 8 ? smp - 8 : 0))); fi
fi

abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# --qemu (or $QEMU): a path must be an executable file, a bare name a command on PATH.
# The default, qemu-system-x86_64, is looked for after the dependency installer ran.
qemu_from=
if [ -n "$qemu_opt" ]; then
	QEMU=$qemu_opt qemu_from="--qemu $qemu_opt"
elif [ -n "${QEMU:-}" ]; then
	qemu_from="QEMU=$QEMU"
fi
if [ -n "$qemu_from" ]; then
	case $QEMU in
	*/*)
		[ -e "$QEMU" ] || die "$qemu_from: no such file"
		[ ! -d "$QEMU" ] || die "$qemu_from: is a directory, not the QEMU binary"
		[ -x "$QEMU" ] || die "$qemu_from: not executable"
		QEMU=$(abspath "$QEMU")
		;;
	*)
		command -v "$QEMU" >/dev/null 2>&1 || die "$qemu_from: no such command on PATH"
		;;
	esac
fi

# check_out_file OPTION FILE: a file written after the run; its folder must be there now.
check_out_file() {
	[ ! -d "$2" ] || die "$1 $2: is a directory (give a file name)"
	[ -d "$(dirname "$2")" ] || die "$1 $2: no such directory $(dirname "$2")"
	[ -w "$(dirname "$2")" ] || die "$1 $2: cannot write in $(dirname "$2")"
	[ ! -e "$2" ] || [ -w "$2" ] || die "$1 $2: the file exists and cannot be written"
}
if [ -n "$junit" ]; then
	junit=$(abspath "$junit")
	check_out_file --junit "$junit"
fi
if [ -n "$screenshot" ]; then
	screenshot=$(abspath "$screenshot")
	check_out_file --screenshot "$screenshot"
	for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do
		case $kv in screen=off|screen=0|screen=no) warn "--screenshot with --cfg $kv: the picture shows what the firmware left on the screen" ;; esac
	done
fi

# --guest: the files must exist before we boot anything (the hypervisor checks their contents).
if [ -n "$guest" ]; then
	[ -z "$tests" ] || bad_usage "--guest and --tests exclude each other: a run boots either a Multiboot kernel or the built-in tests"
	for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do
		case $kv in tests=*|guest=*|append=*|module=*) bad_usage "--cfg $kv: with --guest, use --guest/--append/--module only" ;; esac
	done
else
	[ "$append_set" = 0 ] || bad_usage "--append needs --guest (the command line of a Multiboot kernel)"
	[ ${#modules[@]} = 0 ] || bad_usage "--module needs --guest (a module of a Multiboot kernel)"
fi
[ ${#modules[@]} -le 8 ] || bad_usage "--module: at most 8 modules, not ${#modules[@]}"
# HV.CFG holds it as append="...": one line, printable, no double quote; 511 characters (CFG_APPEND_MAX).
[[ $append =~ ^[[:print:]]*$ && $append != *'"'* ]] || bad_usage "--append: printable characters without '\"', please"
[ ${#append} -le 511 ] || bad_usage "--append: at most 511 characters, not ${#append}"
check_guest_file() {   # OPTION FILE
	local hint=
	case $2 in *mbkernel/mbkernel.elf) hint=" (the test kernel: build it with 'make mbkernel')" ;; esac
	[ -e "$2" ] || die "$1 $2: no such file$hint"
	[ -f "$2" ] || die "$1 $2: not a regular file"
	[ -r "$2" ] || die "$1 $2: cannot be read"
}
[ -z "$guest" ] || check_guest_file --guest "$guest"
for m in ${modules[@]+"${modules[@]}"}; do check_guest_file --module "$m"; done
# Its name on the ESP: the basename, with anything FAT or HV.CFG would mind replaced by '_'.
esp_name() { local b; b=$(basename -- "$1"); b=${b//[^A-Za-z0-9._-]/_}; printf '%s' "${b:0:100}"; }

# --tests: every pattern must match a test of hv/tests.def before we boot anything.
if [ -n "$tests" ]; then
	mapfile -t all_tests < <(sed -n 's/^TEST(\([A-Za-z0-9_]*\),.*/\1/p' "$ROOT/hv/tests.def")
	[ ${#all_tests[@]} -gt 0 ] || die "no test names found in hv/tests.def"
	IFS=, read -r -a globs <<<"$tests"
	[ ${#globs[@]} -gt 0 ] || bad_usage "--tests is empty"
	[ ${#tests} -le 255 ] || bad_usage "--tests: at most 255 characters (HV.CFG tests=)"
	[[ $tests != *, && $tests != ,* && $tests != *,,* ]] || bad_usage "--tests: empty pattern in '$tests'"
	for g in "${globs[@]}"; do
		# The hypervisor's glob_match knows '*' and '?' only.
		[[ $g =~ ^[A-Za-z0-9_*?]+$ ]] || bad_usage "--tests: bad pattern '$g' (letters, digits, _, * and ? only)"
		hit=0
		for t in "${all_tests[@]}"; do
			# shellcheck disable=SC2053  # $g is a glob on purpose
			if [[ $t == $g ]]; then hit=1; break; fi
		done
		[ $hit = 1 ] || { echo "$PROG: no test matches '$g' (tests: ${all_tests[*]})" >&2; exit 2; }
	done
fi

# --- environment ---------------------------------------------------------------
if [ -z "${NO_DEPS:-}" ]; then "$ROOT/tools/deps.sh" --auto || true; fi

if [ -z "$qemu_from" ]; then
	QEMU="qemu-system-x86_64"
	command -v "$QEMU" >/dev/null 2>&1 ||
		die "$QEMU not found: install the Debian package 'qemu-system-x86' (or run 'sudo make deps')"
fi
# Which QEMU runs: the first line of its --version, for the log and the JUnit file.
# (--version only: an unpacked QEMU 10 aborts on module enumeration such as -device help.)
qemu_path=$(command -v "$QEMU")
qemu_version=$(timeout 30 "$QEMU" --version </dev/null 2>&1 | head -n 1)
[[ $qemu_version == *[Vv]ersion* ]] ||
	die "$qemu_path --version did not print a version${qemu_version:+ (it said: $qemu_version)}: is it a QEMU system emulator?"
command -v timeout >/dev/null 2>&1 || die "timeout not found: install the Debian package 'coreutils'"

ovmf_code=$(abspath "${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}")
if [ -n "${OVMF_VARS:-}" ]; then
	ovmf_vars=$(abspath "$OVMF_VARS")
elif [ -n "${OVMF_CODE:-}" ] && [ -f "$(dirname "$ovmf_code")/$(basename "$ovmf_code" | sed 's/CODE/VARS/')" ]; then
	ovmf_vars="$(dirname "$ovmf_code")/$(basename "$ovmf_code" | sed 's/CODE/VARS/')"   # the pair of a custom OVMF_CODE
else
	ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
fi
[ -f "$ovmf_code" ] || die "OVMF firmware not found: $ovmf_code (install the Debian package 'ovmf', or set OVMF_CODE)"
[ -f "$ovmf_vars" ] || die "OVMF variable store not found: $ovmf_vars (install the Debian package 'ovmf', or set OVMF_VARS)"

# Accelerator: TCG unless KVM can really run an SVM hypervisor as its guest.
kvm_why=
kvm_usable() {
	if [ ! -e /dev/kvm ]; then kvm_why="no /dev/kvm"; return 1; fi
	if ! { : <>/dev/kvm; } 2>/dev/null; then kvm_why="/dev/kvm cannot be opened read-write"; return 1; fi
	if ! grep -qw svm /proc/cpuinfo 2>/dev/null; then kvm_why="the host CPU has no svm flag"; return 1; fi
	case $(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null) in
	1|Y|y) ;;
	*) kvm_why="kvm_amd's nested SVM is off or kvm_amd is not loaded"; return 1 ;;
	esac
	return 0
}
case $accel in
kvm) kvm_usable || die "--accel kvm: KVM is not usable here: $kvm_why" ; accel_why="forced by --accel" ;;
tcg) accel_why="forced by --accel" ;;
"") if kvm_usable; then accel=kvm accel_why="/dev/kvm usable and nested SVM enabled"
    else accel=tcg accel_why="KVM not usable: $kvm_why"; fi ;;
esac
if [ "$accel" = kvm ]; then
	[ -z "$icount" ] || die "--icount needs TCG, but KVM was chosen ($accel_why): add --accel tcg"
	accel_args=(-accel kvm) cpu=${cpu:-host}
elif [ -n "$icount" ]; then
	accel_args=(-accel tcg,thread=single -icount "shift=$icount,align=off,sleep=off")
elif [ "$smp" -gt 1 ]; then
	accel_args=(-accel tcg,thread=multi)
else
	accel_args=(-accel tcg)
fi
cpu=${cpu:-EPYC}
info "accel $accel ($accel_why)${icount:+, icount shift=$icount}, -cpu $cpu, -smp $smp"
info "QEMU: $qemu_version ($qemu_path)"
[ -z "$guest" ] || info "guest kernel $guest with ${#modules[@]} module(s), command line \"$append\""

# --- build ---------------------------------------------------------------------
VERDICT=$ROOT/build/host/verdict
efi=${HV_EFI:+$(abspath "$HV_EFI")}
efi=${efi:-$ROOT/build/BOOTX64.EFI}
usb_img=$ROOT/build/hv-usb.img
if [ -z "${NO_BUILD:-}" ]; then
	targets=(build/host/verdict)
	[ -n "${HV_EFI:-}" ] || targets+=(all)
	[ "$usb" = 0 ] || [ -n "${HV_EFI:-}" ] || targets+=(build/hv-usb.img)
	if [ "$quiet" = 1 ]; then
		make -s -C "$ROOT" "${targets[@]}" >/dev/null || die "the build failed (make -s ${targets[*]})"
	else
		make -s -C "$ROOT" "${targets[@]}" >&2 || die "the build failed (make -s ${targets[*]})"
	fi
fi
[ -x "$VERDICT" ] || die "$VERDICT not found: build it with 'make build/host/verdict' (or unset NO_BUILD)"
if [ "$usb" = 1 ] && [ -z "${HV_EFI:-}" ]; then
	[ -f "$usb_img" ] || die "$usb_img not found: build it with 'make usb' (or unset NO_BUILD)"
else
	[ -f "$efi" ] || die "$efi not found: build it with 'make' (or unset NO_BUILD)"
fi

# --- the run directory -----------------------------------------------------------
runs=$ROOT/build/runs
id=$(date +%Y%m%d-%H%M%S)-$$
rundir=$runs/$id
log=$runs/$id.log
mkdir -p "$rundir" || die "cannot create $rundir"
# shellcheck disable=SC2317  # called by the trap
cleanup() { [ "$keep" = 1 ] || rm -rf "$rundir"; }
trap cleanup EXIT
trap 'echo; echo "$PROG: interrupted (log: $log)" >&2; exit 130' INT TERM

{
	echo "# HV.CFG written by run.sh for run $id"
	echo "debug_exit=on"
	[ -z "$tests" ] || echo "tests=$tests"
	[ -z "$test_timeout" ] || echo "test_timeout=$test_timeout"
	[ -z "$apic" ] || echo "apic=$apic"
	[ "$console" = com1 ] || echo "console=$console"
	[ -z "$screenshot" ] || echo "screen_hold=on"
	if [ -n "$guest" ]; then
		printf 'guest=\\guest\\%s\n' "$(esp_name "$guest")"
		[ "$append_set" = 0 ] || printf 'append="%s"\n' "$append"
		for i in "${!modules[@]}"; do
			printf 'module=\\guest\\mod%u\\%s\n' "$i" "$(esp_name "${modules[$i]}")"
		done
	fi
	for kv in ${cfg_extra[@]+"${cfg_extra[@]}"}; do echo "$kv"; done
} >"$rundir/HV.CFG"
debug_exit_off=0
[ "$(grep -E '^debug_exit=' "$rundir/HV.CFG" | tail -n 1)" = debug_exit=on ] || debug_exit_off=1
[ "$save" = 0 ] || debug_exit_off=1   # end=save ends with a reset, never through the debug-exit port

cp "$ovmf_vars" "$rundir/OVMF_VARS.fd" || die "cannot copy $ovmf_vars"

qarg() { printf '%s' "${1//,/,,}"; }   # QEMU option values: a comma is written twice
if [ "$usb" = 1 ]; then
	if [ -n "${HV_EFI:-}" ]; then
		"$ROOT/tools/mkusb.sh" "$rundir/hv-usb.img" "$efi" "$rundir/HV.CFG" >/dev/null || die "mkusb.sh failed"
	else
		cp "$usb_img" "$rundir/hv-usb.img" || die "cannot copy $usb_img"
		MTOOLS_SKIP_CHECK=1 mcopy -o -i "$rundir/hv-usb.img@@1M" "$rundir/HV.CFG" ::/EFI/BOOT/HV.CFG ||
			die "cannot put HV.CFG on the USB image (mtools)"
	fi
	if [ -n "$guest" ]; then
		(
			img="$rundir/hv-usb.img@@1M"
			MTOOLS_SKIP_CHECK=1 mmd -i "$img" ::/guest &&
			MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$guest" "::/guest/$(esp_name "$guest")" &&
			for i in "${!modules[@]}"; do
				MTOOLS_SKIP_CHECK=1 mmd -i "$img" "::/guest/mod$i" &&
				MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "${modules[$i]}" "::/guest/mod$i/$(esp_name "${modules[$i]}")" ||
					exit 1
			done
		) || die "cannot put the guest kernel and its modules on the USB image (mtools; the image has 64 MiB)"
	fi
	disk_args=(-drive "if=none,id=stick,format=raw,file=$(qarg "$rundir/hv-usb.img")$([ "$usb_ro" = 0 ] || echo ,readonly=on)"
		-device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=stick,removable=on)
	boot_from="USB stick image"
else
	mkdir -p "$rundir/esp/EFI/BOOT"
	{ cp "$efi" "$rundir/esp/EFI/BOOT/BOOTX64.EFI" && cp "$rundir/HV.CFG" "$rundir/esp/EFI/BOOT/HV.CFG"; } ||
		die "cannot lay out the ESP in $rundir/esp"
	if [ -n "$guest" ]; then
		(
			mkdir -p "$rundir/esp/guest" && cp "$guest" "$rundir/esp/guest/$(esp_name "$guest")" &&
			for i in "${!modules[@]}"; do
				mkdir -p "$rundir/esp/guest/mod$i" &&
				cp "${modules[$i]}" "$rundir/esp/guest/mod$i/$(esp_name "${modules[$i]}")" || exit 1
			done
		) || die "cannot copy the guest kernel and its modules to $rundir/esp/guest"
	fi
	# vvfat: QEMU presents the directory as a FAT disk (rw: read-only vvfat is refused on IDE/AHCI).
	disk_args=(-drive "format=raw,file=fat:rw:$(qarg "$rundir/esp")")
	boot_from="directory $rundir/esp"
fi

qemu=("$QEMU" -machine q35 -m "$mem" -cpu "$cpu" -smp "$smp" "${accel_args[@]}"
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$(qarg "$ovmf_code")"
	-drive "if=pflash,format=raw,unit=1,file=$(qarg "$rundir/OVMF_VARS.fd")"
	"${disk_args[@]}"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-display none -monitor none -net none -no-reboot)
# The log is the hypervisor's console port; with --console com2, COM1 (OVMF's console) goes to a file.
com1_log=
if [ "$console" = com2 ]; then
	com1_log=$runs/$id.com1.log
	qemu+=(-serial "file:$(qarg "$com1_log")" -serial stdio)
else
	qemu+=(-serial stdio)
fi
[ "$gdb" = 0 ] || qemu+=(-s -S)
# --screenshot: a QMP monitor on two FIFOs (qmp.in, qmp.out; QEMU opens them read-write,
# so neither side blocks), and the serial console's input (-serial stdio) from a FIFO
# instead of /dev/null.
qemu_in=/dev/null
if [ -n "$screenshot" ]; then
	mkfifo "$rundir/qmp.in" "$rundir/qmp.out" "$rundir/serial.in" || die "cannot create FIFOs in $rundir"
	qemu+=(-chardev "pipe,id=qmp,path=$(qarg "$rundir/qmp")" -mon chardev=qmp,mode=control)
	qemu_in=$rundir/serial.in
fi
qemu+=(${qemu_extra[@]+"${qemu_extra[@]}"})
printf '%q ' "${qemu[@]}" >"$rundir/qemu.cmd"; echo >>"$rundir/qemu.cmd"

if [ "$gdb" = 1 ]; then
	cat >&2 <<EOF
$PROG: --gdb: QEMU starts halted with a gdb stub on localhost:1234. From another terminal:
$PROG:     gdb -ex 'target remote :1234' -ex continue
$PROG: The firmware relocates BOOTX64.EFI to an address known only at run time; the
$PROG: hypervisor prints it first: '[cpu0] INFO boot: image base 0x... (gdb: ...)'. Then,
$PROG: in gdb, interrupt (Ctrl-C) and load the symbols at that base (hv.so is linked at 0):
$PROG:     add-symbol-file $ROOT/build/hv.so -o 0x<image base>
$PROG: Ctrl-C here ends QEMU.
EOF
fi

info "booting from the $boot_from; timeout ${timeout}s; log $log"
ln -sfn "$id.log" "$runs/last.log" 2>/dev/null

# --- run -------------------------------------------------------------------------
# --screenshot, without guessing at timing: with screen_hold=on the hypervisor
# draws the verdict screen, prints the line matched below and waits for one
# byte on the serial console.  This watcher sees the line in the log, asks QEMU over QMP for
# a screendump (QMP answers once the file is written), then sends the byte;
# the hypervisor goes on to the debug-exit port.  A run that ends before the
# line (crash, timeout) leaves no picture, and the watcher ends with QEMU.
# qmp REQUEST: sends it, reads QEMU's lines (greeting, events) up to the answer.
qmp() {
	local l
	echo "$1" >&"$qmp_w"
	while read -r -t 60 l <&"$qmp_r"; do
		case $l in
		*'"return"'*) return 0 ;;
		*'"error"'*) echo "QEMU answered: $l" >>"$rundir/screenshot.err"; return 1 ;;
		esac
	done
	echo "no answer from QEMU's QMP monitor within 60 s" >>"$rundir/screenshot.err"
	return 1
}
screenshot_watch() {
	local hold_line='INFO screen: .*waiting up to 60 s for a byte on the serial console \(screen_hold=on\)'
	until grep -a -q -E "$hold_line" "$log"; do
		[ ! -e "$rundir/qemu.done" ] || { echo "the run ended before the verdict screen" >>"$rundir/screenshot.err"; return 1; }
		sleep 0.2   # polling the log for the line; the hypervisor waits for us
	done
	exec {qmp_w}<>"$rundir/qmp.in" {qmp_r}<>"$rundir/qmp.out"
	qmp '{"execute": "qmp_capabilities"}' &&
		qmp '{"execute": "screendump", "arguments": {"filename": "'"$rundir/screen.png"'", "format": "png"}}'
	printf 'x' >&"$serial_w"   # the hypervisor ends its wait either way
}
# stdin is /dev/null: CI has no stdin, and a tty stdin would let QEMU's stdio
# backend reconfigure the terminal.  --foreground keeps QEMU in our process
# group so Ctrl-C reaches it.  The live echo drops OVMF's escape sequences
# (they would clear the screen); the log keeps the raw bytes, after two lines
# of our own that say which QEMU ran and how.
{
	echo "run.sh: QEMU: $qemu_version ($qemu_path)"
	echo "run.sh: command: $(cat "$rundir/qemu.cmd")"
} >"$log"
stamp=$(date +%Y-%m-%dT%H:%M:%S)
start_ms=$(date +%s%3N)
watch_pid=
if [ -n "$screenshot" ]; then
	exec {serial_w}<>"$rundir/serial.in"
	screenshot_watch &
	watch_pid=$!
fi
# run_qemu LOG STDERR: one boot; sets rc.
run_qemu() {
	if [ "$quiet" = 1 ]; then
		timeout --foreground -k 5 "$timeout" "${qemu[@]}" <"$qemu_in" >>"$1" 2>"$2"
		rc=$?
	else
		timeout --foreground -k 5 "$timeout" "${qemu[@]}" <"$qemu_in" 2>"$2" |
			tee -a "$1" | sed -u -e 's|\x1b\[[0-9;?=<>]*[ -/]*[@-~]||g' -e 's|\x1b[()][A-Za-z0-9]||g' -e 's|\r||g'
		rc=${PIPESTATUS[0]}
	fi
}
run_qemu "$log" "$rundir/qemu.stderr"
elapsed_ms=$(( $(date +%s%3N) - start_ms ))
screenshot_ok=1
if [ -n "$watch_pid" ]; then
	touch "$rundir/qemu.done"
	wait "$watch_pid" 2>/dev/null
	if [ -s "$rundir/screen.png" ] && cp "$rundir/screen.png" "$screenshot"; then
		info "screenshot: $screenshot"
	else
		warn "--screenshot: no picture taken ($(tr '\n' ' ' <"$rundir/screenshot.err" 2>/dev/null | sed 's/ *$//'))"
		# A run that ended before its verdict screen keeps its own exit status (CRASH, ERROR, ...).
		grep -a -q 'INFO screen: .*(screen_hold=on)' "$log" && screenshot_ok=0
	fi
fi
elapsed=$(( elapsed_ms / 1000 ))
info "QEMU ran for ${elapsed}s, exit status $rc"

# end=save: the first boot ended with a cold reset (-no-reboot turns it into
# QEMU's exit 0) after keeping the results in the UEFI variables of
# OVMF_VARS.fd; the second boot of the same stick and variables writes
# \EFI\BOOT\RESULTS.TXT and powers off; mtools takes the file out.
saved_file='' save_why=''
if [ "$save" = 1 ]; then
	if [ "$rc" != 0 ] || ! grep -a -q '^Test result: ' "$log"; then
		save_why="the first boot did not end with a reset after its verdict (QEMU exit status $rc): no second boot"
	else
		save_log=$runs/$id.save.log
		info "end=save: booting the stick a second time to write RESULTS.TXT (log: $save_log)"
		{
			echo "run.sh: end=save, second boot of run $id"
			echo "run.sh: command: $(cat "$rundir/qemu.cmd")"
		} >"$save_log"
		rc1=$rc
		run_qemu "$save_log" "$rundir/qemu2.stderr"
		rc2=$rc rc=$rc1
		sed 's/^/qemu: /' "$rundir/qemu2.stderr" | grep -v -F "TCG doesn't support requested feature" | awk '!seen[$0]++' >&2
		saved_file=$runs/$id.RESULTS.TXT
		if [ "$rc2" != 0 ]; then
			save_why="the second boot ended with QEMU exit status $rc2 (log: $save_log)"
			saved_file=
		elif ! MTOOLS_SKIP_CHECK=1 mcopy -o -n -i "$rundir/hv-usb.img@@1M" ::/EFI/BOOT/RESULTS.TXT "$saved_file" 2>"$rundir/mcopy.err"; then
			save_why="no \EFI\BOOT\RESULTS.TXT on the stick after the second boot ($(head -n 1 "$rundir/mcopy.err"); log: $save_log)"
			saved_file=
		fi
	fi
fi

# QEMU's own messages go to the end of the log and to the screen, once each,
# except TCG's usual "doesn't support requested feature" warnings for the CPU
# model (one per feature and CPU): those are only counted.
if [ -s "$rundir/qemu.stderr" ]; then
	tcg_warn="TCG doesn't support requested feature"
	awk '!seen[$0]++' "$rundir/qemu.stderr" | grep -v -F "$tcg_warn" >"$rundir/qemu.msgs"
	n_tcg=$(awk '!seen[$0]++' "$rundir/qemu.stderr" | grep -c -F "$tcg_warn")
	{
		echo
		echo "--- QEMU stderr ---"
		cat "$rundir/qemu.msgs"
		[ "$n_tcg" = 0 ] || echo "($n_tcg warnings \"$tcg_warn\" for -cpu $cpu left out)"
	} >>"$log"
	sed 's/^/qemu: /' "$rundir/qemu.msgs" >&2
fi

# --- verdict ---------------------------------------------------------------------
rank() {
	case $1 in SUCCESS) echo 0 ;; SKIP) echo 1 ;; FAILURE) echo 2 ;; ERROR) echo 3 ;; CRASH) echo 4 ;; *) echo 5 ;; esac
}
code_of() {
	case $1 in SUCCESS) echo 0 ;; FAILURE) echo 1 ;; CRASH) echo 3 ;; TIMEOUT) echo 4 ;; ERROR) echo 5 ;; SKIP) echo 77 ;; *) echo 3 ;; esac
}

vout=$("$VERDICT" "$log" 2>"$rundir/verdict.notes")
vrc=$?
[ $vrc != 2 ] || die "the verdict tool could not read $log"
sed 's/^verdict: note: /'"$PROG"': warning: /' "$rundir/verdict.notes" >&2
if [[ $vout =~ ^([A-Z]+)\ \(([0-9]+)\ pass,\ ([0-9]+)\ fail,\ ([0-9]+)\ skip\)(:\ (.*))?$ ]]; then
	lv=${BASH_REMATCH[1]} npass=${BASH_REMATCH[2]} nfail=${BASH_REMATCH[3]} nskip=${BASH_REMATCH[4]} why=${BASH_REMATCH[6]}
else
	die "cannot understand the verdict tool's output: '$vout'"
fi
verdict=$lv
run_why=   # why the verdict is not the log's, for the JUnit file

# write_junit VERDICT: --junit FILE, through the verdict tool (verdict.h, verdict_junit).
junit_props() {
	local p opts=
	[ ${#orig_args[@]} = 0 ] || opts=$(printf '%q ' "${orig_args[@]}")
	for p in "qemu.version=$qemu_version" "qemu.binary=$qemu_path" "qemu.exit_status=$rc" \
		"run.options=${opts% }" "run.accel=$accel" "run.cpu=$cpu" "run.smp=$smp" "run.mem=$mem" \
		"run.apic=${apic:-auto}" "run.tests=${tests:-default}" "run.guest=$guest" "run.usb=$usb" \
		"run.icount=$icount" "run.timeout=$timeout" "run.log=$log"; do
		[ -z "${p#*=}" ] || printf '%s\0' --property "$p"
	done
}
write_junit() {
	[ -n "$junit" ] || return 0
	local props=()
	mapfile -d '' props < <(junit_props)
	"$VERDICT" --junit "$junit" --run-verdict "$1" ${run_why:+--reason "$run_why"} \
		--classname "avic-hv.${apic:-auto}" --time-ms "$elapsed_ms" --timestamp "$stamp" \
		"${props[@]}" "$log" >/dev/null 2>"$rundir/junit.err"
	[ $? != 2 ] || { sed 's/^/'"$PROG"': /' "$rundir/junit.err" >&2; echo "$PROG: could not write --junit $junit" >&2; return 1; }
	info "JUnit XML: $junit"
}

case $rc in
33) qv=SUCCESS ;; 35) qv=FAILURE ;; 37) qv=SKIP ;; 39) qv=ERROR ;; *) qv= ;;
esac
if [ "$timeout" != 0 ] && { [ "$rc" = 124 ] || [ "$rc" = 137 ]; }; then
	verdict=TIMEOUT run_why="QEMU was stopped after ${timeout}s (--timeout)"
	[ "$lv" = CRASH ] || warn "the log has its final line ($lv) but QEMU did not end: the debug-exit write did not stop it"
	echo "$PROG: $run_why" >&2
elif [ -n "$qv" ]; then
	if [ "$qv" != "$lv" ]; then
		[ "$(rank "$qv")" -gt "$(rank "$lv")" ] && verdict=$qv
		run_why="QEMU's exit status $rc (debug-exit: $qv) disagrees with the log ($lv): taking the stricter, $verdict"
		warn "$run_why"
	fi
elif [ "$rc" = 130 ] || [ "$rc" = 143 ] || grep -q 'terminating on signal' "$rundir/qemu.stderr" 2>/dev/null; then
	# Ctrl-C: QEMU exits with status 0 on SIGINT, and bash then skips our INT trap.
	echo "$PROG: QEMU was interrupted (log: $log)" >&2
	exit 130
elif [ "$rc" = 0 ]; then
	# QEMU ended by itself: ACPI power-off, or a reset/triple fault turned into an exit by -no-reboot.
	if [ "$lv" = CRASH ]; then
		run_why="QEMU ended (reset, triple fault or power-off) before the final line"
		echo "$PROG: $run_why" >&2
	elif [ "$debug_exit_off" = 0 ]; then
		warn "QEMU ended with status 0, not through the debug-exit port"
	fi
else
	if ! grep -q -a -e 'BdsDxe' -e 'Test result' -e '^\[cpu' "$log" && [ "$lv" = CRASH ]; then
		run_why="QEMU failed to start (exit status $rc)"
		echo "$PROG: $run_why; its command line is at the top of the log ($log)" >&2
		write_junit ERROR
		exit 2
	fi
	warn "QEMU exited with status $rc"
	if [ "$lv" = CRASH ]; then
		run_why="QEMU exited with status $rc: $why"
	elif [ "$(rank CRASH)" -gt "$(rank "$lv")" ]; then
		verdict=CRASH run_why="QEMU exited with status $rc, not through the debug-exit port (the log says $lv)"
	fi
fi

[ -z "$why" ] || [ "$verdict" = TIMEOUT ] || warn "$why"
junit_ok=1
write_junit "$verdict" || junit_ok=0

# Prune old logs: keep the newest 50.
find "$runs" -maxdepth 1 -type f -name '*.log' ! -name '*.com1.log' ! -name '*.save.log' -printf '%T@ %p\n' | sort -rn | tail -n +51 | cut -d' ' -f2- |
	xargs -r -d '\n' rm -f
for f in "$runs"/*.com1.log "$runs"/*.save.log "$runs"/*.RESULTS.TXT; do
	b=${f%.com1.log} b=${b%.save.log} b=${b%.RESULTS.TXT}
	[ ! -f "$f" ] || [ -f "$b.log" ] || rm -f "$f"
done

shown_log=$log
[ "$PWD" != "$ROOT" ] || shown_log=${log#"$ROOT"/}
[ "$keep" = 0 ] || echo "$PROG: run directory kept: $rundir" >&2
[ -z "$com1_log" ] || info "COM1 (the firmware's console) was written to $com1_log"
if [ "$save" = 1 ]; then
	if [ -n "$saved_file" ]; then
		shown=$saved_file
		[ "$PWD" != "$ROOT" ] || shown=${saved_file#"$ROOT"/}
		echo "$PROG: results saved on the stick: $shown"
		fv=$(sed -n 's/^Test result: \([A-Z]*\)\r*$/\1/p' "$saved_file" | tail -n 1)
		[ "$fv" = "$lv" ] || warn "RESULTS.TXT says '${fv:-no verdict}', the serial log $lv"
	else
		echo "$PROG: end=save: $save_why" >&2
		[ "$(rank ERROR)" -le "$(rank "$verdict")" ] || verdict=ERROR
	fi
fi
# --bench: TSC ticks under -icount are executed instructions << shift (QEMU's -icount rule).
if [ "$bench" = 1 ] && [ -r "$log" ]; then
	echo "$PROG: bench (instructions per round trip, -icount shift=$icount, -smp $smp):"
	bench_figures=$(sed -n 's/^METRIC: bench\.\([a-z0-9_]*\)_tsc \([0-9]*\)\r*$/\1 \2/p' "$log")
	ws=$(awk '$1 == "world_switch" { print $2 }' <<<"$bench_figures" | tail -n 1)
	[ -z "$ws" ] || ws=$((ws >> icount))
	[ -n "$ws" ] && [ "$ws" -gt 0 ] || echo "$PROG: bench: no world_switch figure: no ratios" >&2
	while read -r op ticks; do
		[ -n "$op" ] || continue
		n=$((ticks >> icount))
		echo "METRIC: bench.$op.instructions $n"
		# The ratio to the bare world switch, two decimals, rounded half up.
		if [ "$op" != world_switch ] && [ -n "$ws" ] && [ "$ws" -gt 0 ]; then
			r=$(( (n * 200 + ws) / (2 * ws) ))
			printf 'METRIC: bench.%s.ratio %d.%02d\n' "$op" $((r / 100)) $((r % 100))
		fi
	done <<<"$bench_figures"
fi
echo "$PROG: $verdict ($npass pass, $nfail fail, $nskip skip; log: $shown_log)"
[ "$junit_ok" = 1 ] || exit 2
[ "$screenshot_ok" = 1 ] || exit 2
exit "$(code_of "$verdict")"
