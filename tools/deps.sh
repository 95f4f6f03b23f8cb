#!/usr/bin/env bash
# tools/deps.sh - install the Debian packages that the build and the QEMU runs need.
#
#   tools/deps.sh          install what is missing, saying what it does (make deps)
#   tools/deps.sh --auto   silent and quick when nothing is missing (the Makefile and
#                          run.sh call it before every build/run)
#   tools/deps.sh --check  only list what is missing; exit 1 if anything is
#   tools/deps.sh --list   print every package this release needs, one per line
#                          (.ci/run installs those)
#
# A package counts as present when a file or command it provides is there, so
# the check costs no dpkg/apt call.  Installing needs root; otherwise we say
# what to run and exit 1.  Package names that differ between Debian releases
# are chosen by what the release has (fuzz_rt_pkg below).
set -u

mode=install
case "${1:-}" in
	"") ;;
	--auto) mode=auto ;;
	--check) mode=check ;;
	--list) mode=list ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

# sbin directories are not on a normal user's PATH; mkfs.fat and sgdisk live there.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_file() { [ -e "$1" ]; }
# clang's libFuzzer runtime, where clang itself finds it: -print-file-name
# prints the path, or the bare name when it is absent.  Its name is
# libclang_rt.fuzzer-x86_64.a in lib/linux (Debian 12 and 13), or
# libclang_rt.fuzzer.a in a per-target folder (lib/x86_64-pc-linux-gnu; clang
# 19's --print-runtime-dir names that folder even where it does not exist).
have_fuzz_rt() {
	local n f
	for n in libclang_rt.fuzzer-x86_64.a libclang_rt.fuzzer.a; do
		f=$(clang -print-file-name="$n" 2>/dev/null)
		[[ $f == /* && -e $f ]] && return 0
	done
	return 1
}

# The package with clang's runtime libraries (libFuzzer's among them; only a
# Recommends of clang): 'libclang-rt-dev' follows the release's default clang
# (Debian 13: clang 19; Debian 12 has it since llvm-defaults 0.55.7~deb12u1),
# else 'libclang-rt-<N>-dev' for the installed clang N, else Debian 12's
# 'libclang-rt-14-dev' there (no apt lists yet, e.g. a fresh CI machine).
fuzz_rt_pkg() {
	local major
	if apt-cache show libclang-rt-dev >/dev/null 2>&1; then
		echo libclang-rt-dev
		return
	fi
	major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	if [[ $major =~ ^[0-9]+$ ]]; then
		echo "libclang-rt-$major-dev"
	elif [ "$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")" = 12 ]; then
		echo libclang-rt-14-dev
	else
		echo libclang-rt-dev
	fi
}

# package  kind  what-it-provides   (kind: cmd, file, or fuzzrt for have_fuzz_rt)
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
	"@fuzz-rt         fuzzrt -"
	"libxml2-utils    cmd  xmllint"
	"zlib1g-dev       file /usr/include/zlib.h"
)

# The name of a check's package on this release.
pkg_name() { if [ "$1" = @fuzz-rt ]; then fuzz_rt_pkg; else echo "$1"; fi; }

if [ "$mode" = list ]; then
	for line in "${checks[@]}"; do
		read -r pkg _ <<<"$line"
		pkg_name "$pkg"
	done
	exit 0
fi

missing=()
for line in "${checks[@]}"; do
	read -r pkg kind what <<<"$line"
	case $kind in
	cmd) have_cmd "$what" && continue ;;
	fuzzrt) have_fuzz_rt && continue ;;
	*) have_file "$what" && continue ;;
	esac
	missing+=("$(pkg_name "$pkg")")
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
