#!/bin/sh
# mkimage.sh BUILD CMDLINE - the boot images, from the loader and kernel in BUILD.
#
# Both images hold the same three files, on a FAT file system the firmware
# reads:
#   /EFI/BOOT/BOOTX64.EFI   the loader (the removable-media default path,
#                           so no firmware boot entry is needed)
#   /EFI/BOOT/KERNEL.ELF    the runtime and the program
#   /EFI/BOOT/CMDLINE.TXT   the command line, one line
#
# usb.img: a GPT disk, one EFI System Partition at 1 MiB (FAT32, 64 MiB):
#          dd it to a USB stick, or attach it as a disk.
# rt.iso:  El Torito EFI boot image (a small FAT image of the same files),
#          made hybrid (GPT + MBR pointing at that image) so the same file
#          boots from a CD or written to a USB stick.
#
# No root, no loop devices: mtools writes into the images directly.
set -eu
build=$1
cmdline=$2

work=$build/image
rm -rf "$work"
mkdir -p "$work/isoroot"
printf '%s\n' "$cmdline" > "$work/CMDLINE.TXT"

# fill IMAGE: put the three files into a FAT image
fill() {
	mmd -i "$1" ::/EFI ::/EFI/BOOT
	mcopy -i "$1" "$build/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$1" "$build/kernel.elf" ::/EFI/BOOT/KERNEL.ELF
	mcopy -i "$1" "$work/CMDLINE.TXT" ::/EFI/BOOT/CMDLINE.TXT
}

# ---- usb.img ----
esp_mib=64
mkfs.fat -C -F 32 -n RTBOOT "$work/esp.img" $((esp_mib * 1024)) >/dev/null
fill "$work/esp.img"
rm -f "$build/usb.img.tmp"
truncate -s $((esp_mib + 2))M "$build/usb.img.tmp"
sfdisk --quiet "$build/usb.img.tmp" <<SFDISK
label: gpt
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System"
SFDISK
dd if="$work/esp.img" of="$build/usb.img.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
mv "$build/usb.img.tmp" "$build/usb.img"

# ---- rt.iso ----
# The El Torito image is sized to its contents (FAT12/16, 1 MiB of slack):
# its sector count must fit El Torito's 16-bit field.
kib=$(( ( $(stat -c %s "$build/BOOTX64.EFI") + $(stat -c %s "$build/kernel.elf") ) / 1024 + 1024 ))
mkfs.fat -C -n RTBOOT "$work/isoroot/efiboot.img" "$kib" >/dev/null
fill "$work/isoroot/efiboot.img"
xorriso -as mkisofs -quiet -R -J -V RTBOOT \
	-e efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
	-o "$build/rt.iso.tmp" "$work/isoroot" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; exit 1; }
mv "$build/rt.iso.tmp" "$build/rt.iso"
echo "image: $build/usb.img, $build/rt.iso (command line: \"$cmdline\")"
