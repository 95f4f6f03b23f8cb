#!/usr/bin/env bash
# tools/mkusb.sh IMG EFI [HV.CFG] - make a bootable USB stick image.
#
# IMG becomes a 64 MiB disk with a GPT and one FAT32 EFI System Partition
# (sectors 2048..end) holding EFI/BOOT/BOOTX64.EFI (from EFI) and, when given,
# EFI/BOOT/HV.CFG.  No root and no loop mounts: sgdisk writes the partition
# table, mtools formats and fills the partition through the image file at
# offset 1 MiB.  Write it to a stick with
#     dd if=IMG of=/dev/sdX bs=1M conv=fsync
set -eu

usage() { echo "usage: tools/mkusb.sh IMG EFI [HV.CFG]" >&2; exit 2; }
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
img=$1 efi=$2 cfg=${3:-}

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
for t in truncate:coreutils sgdisk:gdisk mformat:mtools mmd:mtools mcopy:mtools; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
		{ echo "mkusb.sh: ${t%%:*} not found: install the Debian package '${t#*:}' (or run 'make deps' as root)" >&2; exit 2; }
done
[ -f "$efi" ] || { echo "mkusb.sh: $efi: no such file" >&2; exit 2; }
[ -z "$cfg" ] || [ -f "$cfg" ] || { echo "mkusb.sh: $cfg: no such file" >&2; exit 2; }

size_mib=64
tmp="$img.tmp.$$"
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
truncate -s ${size_mib}M "$tmp"
# -Z: fresh protective MBR + GPT; partition 1 from sector 2048 (1 MiB) to the
# last usable sector, type EF00 (EFI System Partition).
sgdisk -Z -n 1:2048:0 -t 1:ef00 -c 1:"EFI system partition" "$tmp" >/dev/null
# mtools sees the rest of the file after the offset; give mformat the
# partition's exact size so the FAT ends before the backup GPT.
last=$(sgdisk -i 1 "$tmp" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
[ -n "$last" ] || { echo "mkusb.sh: cannot read the partition's last sector from sgdisk" >&2; exit 1; }
sectors=$((last - 2048 + 1))
export MTOOLS_SKIP_CHECK=1
mformat -i "$tmp@@1M" -F -T "$sectors" -h 64 -s 32 -H 2048 -v HVESP ::
mmd -i "$tmp@@1M" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp@@1M" "$efi" ::/EFI/BOOT/BOOTX64.EFI
[ -z "$cfg" ] || mcopy -i "$tmp@@1M" "$cfg" ::/EFI/BOOT/HV.CFG
mv -f "$tmp" "$img"
trap - EXIT
echo "mkusb.sh: wrote $img (${size_mib} MiB, GPT, FAT32 ESP${cfg:+, with HV.CFG})"
