#!/usr/bin/env bash
# tools/deps.sh - install the Debian packages that the build and the QEMU runs need.
#
#   tools/deps.sh          install what is missing, saying what it does (make deps)
#   tools/deps.sh --auto   silent and quick when nothing is missing (the Makefile and
#                          run.sh call it before every build/run)
#   tools/deps.sh --check  only list what is missing; exit 1 if anything is
#
# A package counts as present when a file or command it provides is there, so
# the check costs no dpkg/apt call.  Installing needs root; otherwise we say
# what to run and exit 1.
set -u

mode=install
case "${1:-}" in
	"") ;;
	--auto) mode=auto ;;
	--check) mode=check ;;
	-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

# sbin directories are not on a normal user's PATH; mkfs.fat and sgdisk live there.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_file() { [ -e "$1" ]; }

# package  kind  what-it-provides
checks=(
	"gnu-efi          file /usr/lib/elf_x86_64_efi.lds"
	"nasm             cmd  nasm"
	"qemu-system-x86  cmd  qemu-system-x86_64"
	"ovmf             file /usr/share/OVMF/OVMF_CODE_4M.fd"
	"mtools           cmd  mcopy"
	"gdisk            cmd  sgdisk"
	"dosfstools       cmd  mkfs.fat"
	"build-essential  cmd  gcc"
	"make             cmd  make"
	"clang            cmd  clang"
	"libclang-rt-14-dev file /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
)

missing=()
for line in "${checks[@]}"; do
	read -r pkg kind what <<<"$line"
	if [ "$kind" = cmd ]; then have_cmd "$what" && continue; else have_file "$what" && continue; fi
	missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "$mode" = auto ] || echo "deps.sh: all Debian packages are present"
	exit 0
fi

if [ "$mode" = check ]; then
	echo "missing Debian packages: ${missing[*]}"
	exit 1
fi

if [ "$EUID" != 0 ]; then
	echo "missing Debian packages: ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi

if ! have_cmd apt-get; then
	echo "deps.sh: missing Debian packages: ${missing[*]}, and apt-get is not available: install them by hand" >&2
	exit 1
fi

echo "deps.sh: installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/deps.XXXXXX")
trap 'rm -f "$log"' EXIT
# Run the update once, then the install; show apt's output only when it fails
# (in --auto mode) so a build that had to install something stays readable.
if [ "$mode" = auto ]; then
	if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
		tail -n 30 "$log" >&2
		echo "deps.sh: apt-get failed; missing Debian packages: ${missing[*]}" >&2
		exit 1
	fi
else
	apt-get update </dev/null || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
	apt-get install -y --no-install-recommends "${missing[@]}" </dev/null ||
		{ echo "deps.sh: apt-get install failed: ${missing[*]}" >&2; exit 1; }
fi
echo "deps.sh: installed ${missing[*]}" >&2
exit 0
