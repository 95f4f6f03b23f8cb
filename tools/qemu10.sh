#!/usr/bin/env bash
# tools/qemu10.sh - QEMU 10 next to the system's QEMU (make qemu10).
#
#   tools/qemu10.sh [DIR]     DIR defaults to build/qemu10
#   tools/qemu10.sh --help
#
# Leaves DIR/bin/qemu-system-x86_64, a wrapper to give run.sh as
# QEMU=DIR/bin/qemu-system-x86_64.  When the system QEMU is already 10.x
# (Debian 13), the wrapper runs it.  Otherwise the highest 10.x that the
# Debian archive offers (<release>-backports, else <release>) is fetched with
# a private apt configuration (own sources, lists and cache: the system's apt
# state and its installed QEMU stay as they are), qemu-system-x86,
# qemu-system-data and qemu-system-common are unpacked into DIR/root, and the
# wrapper runs that binary with its own data and module folders.
# Nothing is done when the wrapper is there and runs a QEMU 10.
# Exit 0: the wrapper works; 1: it could not be made (the reason is printed);
# 2: usage error.
set -u

PROG=qemu10.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WANT_MAJOR=10
PKGS=(qemu-system-x86 qemu-system-data qemu-system-common)

die() { echo "$PROG: $*" >&2; exit 1; }

dir=
case $# in
0) ;;
1) case $1 in
   -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
   -*) echo "$PROG: unknown option '$1' (try --help)" >&2; exit 2 ;;
   *) dir=$1 ;;
   esac ;;
*) echo "$PROG: at most one argument, the folder (try --help)" >&2; exit 2 ;;
esac
dir=${dir:-$ROOT/build/qemu10}
mkdir -p "$dir/bin" || die "cannot create $dir/bin"
dir=$(cd "$dir" && pwd)
wrapper=$dir/bin/qemu-system-x86_64

# "QEMU emulator version 10.0.2 (Debian ...)" -> 10.0.2; empty if the binary does not run.
qemu_version() {
	"$1" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p'
}

# One make at a time (two scenarios or `make -j` may both ask for it).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock" || die "cannot create $dir/.lock"
	flock 9
fi

if [ -x "$wrapper" ]; then
	v=$(qemu_version "$wrapper")
	if [ "${v%%.*}" = "$WANT_MAJOR" ]; then
		echo "$PROG: QEMU $v is already there ($wrapper): nothing to do"
		exit 0
	fi
	echo "$PROG: $wrapper exists but does not run a QEMU $WANT_MAJOR${v:+ (it runs $v)}: making it again"
fi

# write_wrapper LINES...: the wrapper, written whole or not at all.
write_wrapper() {
	{
		echo '#!/usr/bin/env bash'
		echo "# Written by tools/qemu10.sh ($(date -u +%Y-%m-%d)); to redo it, remove $(basename "$dir")/ and run make qemu10."
		printf '%s\n' "$@"
	} >"$wrapper.tmp" && chmod 755 "$wrapper.tmp" && mv -f "$wrapper.tmp" "$wrapper" ||
		die "cannot write $wrapper"
}

# --- Debian 13: the system QEMU is already the one we want ---------------------
sys=$(command -v qemu-system-x86_64 2>/dev/null)
[ -z "$sys" ] || sys=$(readlink -f "$sys")
case $sys in "$dir"/*) sys= ;; esac   # our own wrapper on PATH is not the system's
if [ -n "$sys" ]; then
	v=$(qemu_version "$sys")
	if [ "${v%%.*}" = "$WANT_MAJOR" ]; then
		write_wrapper "# The system QEMU is $v already: run it." "exec $(printf %q "$sys") \"\$@\""
		rm -rf "$dir/root"
		echo "$PROG: the system QEMU is already $v ($sys): $wrapper runs it, nothing downloaded"
		exit 0
	fi
fi

# --- otherwise: fetch it from the Debian archive -----------------------------------
for c in apt-get apt-cache dpkg-deb dpkg; do
	command -v "$c" >/dev/null 2>&1 || die "'$c' not found: this needs a Debian system (apt and dpkg)"
done
# shellcheck disable=SC1091  # the running system's file
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: cannot tell which Debian release this is"
# The archive the machine itself uses, whatever form its sources take
# (sources.list or deb822, a mirror or deb.debian.org): apt names it.
archive=$(apt-get update --print-uris 2>/dev/null |
	sed -n "s|^'\(.*\)/dists/$codename/InRelease'.*|\1|p" | head -n 1)
[ -n "$archive" ] || die "apt's sources have no entry for the Debian release '$codename' (apt-get update --print-uris)"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
opts=
[ -f "$keyring" ] && opts="[signed-by=$keyring] "

tmp=$(mktemp -d "$dir/tmp.XXXXXX") || die "cannot create a temporary folder in $dir"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/empty" "$tmp/debs"
# APT_CONFIG is read before /etc/apt/apt.conf.d (the machine's proxy and
# similar settings still apply); Dir::Etc::main after it, so the #clear there
# drops the update hooks of installed packages, which would act on the system.
cat >"$tmp/apt.conf" <<EOF
Dir::Etc::sourcelist "$tmp/sources.list";
Dir::Etc::sourceparts "$tmp/empty";
Dir::Etc::preferences "$tmp/empty/preferences";
Dir::Etc::preferencesparts "$tmp/empty";
Dir::Etc::main "$tmp/main.conf";
Dir::State::Lists "$tmp/lists";
Dir::Cache "$tmp/cache";
EOF
{
	[ ! -f /etc/apt/apt.conf ] || echo '#include "/etc/apt/apt.conf";'
	echo '#clear APT::Update::Pre-Invoke;'
	echo '#clear APT::Update::Post-Invoke;'
	echo '#clear APT::Update::Post-Invoke-Success;'
} >"$tmp/main.conf"
export APT_CONFIG=$tmp/apt.conf
apt_opts=(-q)
# As root apt downloads as user _apt, who cannot write to our private folders.
[ "$EUID" != 0 ] || apt_opts+=(-o APT::Sandbox::User=root)

version='' suite='' tried=() reached=0
for s in "$codename-backports" "$codename"; do
	echo "deb ${opts}$archive $s main" >"$tmp/sources.list"
	rm -rf "$tmp/lists" && mkdir -p "$tmp/lists/partial"
	if ! apt-get "${apt_opts[@]}" update >"$tmp/update.log" 2>&1 </dev/null ||
	   grep -q -E '^(E:|W: Failed to fetch)' "$tmp/update.log"; then
		tried+=("$s: apt-get update failed: $(grep -E '^(E|W):' "$tmp/update.log" | head -n 1)")
		continue
	fi
	reached=1
	# Every version of qemu-system-x86 the suite offers; the highest 10.x wins.
	best=
	while read -r v; do
		[[ $v =~ ^([0-9]+:)?$WANT_MAJOR\. ]] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done < <(apt-cache madison qemu-system-x86 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	if [ -z "$best" ]; then
		tried+=("$s: no qemu-system-x86 $WANT_MAJOR.x (offered: $(apt-cache madison qemu-system-x86 2>/dev/null |
			awk -F'|' '{ gsub(/ /, "", $2); printf "%s ", $2 }')none else)")
		continue
	fi
	version=$best suite=$s
	break
done
if [ -z "$version" ]; then
	for t in "${tried[@]}"; do echo "$PROG:   $t" >&2; done
	[ "$reached" = 1 ] || die "the download from the Debian archive ($archive) failed (above): QEMU $WANT_MAJOR not installed"
	die "the Debian archive ($archive) offers no QEMU $WANT_MAJOR for $codename (above)"
fi

echo "$PROG: fetching QEMU $version from $suite ($archive) into $dir"
specs=()
for p in "${PKGS[@]}"; do specs+=("$p=$version"); done
if ! (cd "$tmp/debs" && apt-get "${apt_opts[@]}" download "${specs[@]}") >"$tmp/download.log" 2>&1 </dev/null; then
	tail -n 5 "$tmp/download.log" >&2
	die "apt-get download ${specs[*]} failed (above)"
fi
rm -rf "$tmp/root"
for deb in "$tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $(basename "$deb") failed"
done
bin=$tmp/root/usr/bin/qemu-system-x86_64
[ -x "$bin" ] || die "the packages hold no usr/bin/qemu-system-x86_64"
# Its shared libraries come from the system (the system QEMU's packages pull them in).
libs=$(ldd "$bin" 2>/dev/null | awk '/not found/ { printf "%s ", $1 }')
[ -z "$libs" ] || die "QEMU $version needs libraries this system lacks: ${libs}(installing the Debian package 'qemu-system-x86' brings them)"

rm -rf "$dir/root" && mv "$tmp/root" "$dir/root" || die "cannot move the unpacked tree to $dir/root"
# The wrapper finds root/ next to its own folder, so the tree may be cloned or
# moved anywhere.  -L: QEMU 10's data files first, then SeaBIOS's (its VGA
# BIOS; Debian keeps those in the seabios package).  QEMU_MODULE_DIR: its own
# loadable modules before the system's, which belong to another build and are
# refused ("Only modules from the same build can be loaded").  -audio none:
# without it QEMU probes audio back-ends, and the D-Bus one loads ui-opengl,
# a module only the system's folder has.
# shellcheck disable=SC2016  # the wrapper's own variables, expanded when it runs
write_wrapper \
	"# QEMU $version, Debian's $suite packages unpacked by tools/qemu10.sh." \
	'root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../root" && pwd) || exit 127' \
	'export QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu' \
	'args=(-L "$root/usr/share/qemu")' \
	'[ ! -d /usr/share/seabios ] || args+=(-L /usr/share/seabios)' \
	'exec "$root/usr/bin/qemu-system-x86_64" "${args[@]}" -audio none "$@"'
v=$(qemu_version "$wrapper")
[ "${v%%.*}" = "$WANT_MAJOR" ] || die "$wrapper does not run: '$wrapper --version' gave '${v:-nothing}'"
echo "$PROG: installed QEMU $v (Debian package $version, $suite): $wrapper"
