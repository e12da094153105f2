#!/bin/sh
# mkimage.sh BUILD CMDLINE - the boot images, from the loader and kernel in BUILD.
#
# Both images hold the same files, on a FAT file system the firmware reads:
#   /EFI/BOOT/BOOTX64.EFI   the loader (the removable-media default path,
#                           so no firmware boot entry is needed)
#   /EFI/BOOT/KERNEL.ELF    the runtime and the program
#   /EFI/BOOT/CMDLINE.TXT   the command line, one line
#
# usb.img: a GPT disk, one EFI System Partition at 1 MiB (FAT32, 64 MiB):
#          dd it to a USB stick, or attach it as a disk.
# rt.iso:  an ISO 9660 image whose EFI System Partition (a small FAT image of
#          the same files) is appended after the ISO file system and listed
#          in a GPT, and is also the El Torito EFI boot image: the same file
#          boots from a CD or written to a USB stick.
#
# Secure Boot (the environment, from the Makefile's SIGN= and SHIM=):
#   SIGN_KEY, SIGN_CERT  a PEM private key and its certificate: the loader
#                        put on the images is a copy of BUILD/BOOTX64.EFI
#                        holding KERNEL.ELF's SHA-256 (tools/kdigest.py),
#                        signed with sbsign. The certificate also goes on
#                        the ESP in DER form, as /RT-KEY.cer (to enroll).
#   SHIM=1               with SIGN_KEY: Debian's Microsoft-signed shim
#                        starts first, as shim expects on removable media:
#                          /EFI/BOOT/BOOTX64.EFI   shimx64.efi.signed
#                          /EFI/BOOT/grubx64.efi   the signed loader
#                          /EFI/BOOT/mmx64.efi     MokManager (mmx64.efi.signed)
#   SIGN_NODIGEST=1      (tests only) sign the loader without the digest
#
# No root, no loop devices: mtools writes into the images directly.
set -eu
build=$1
cmdline=$2
SIGN_KEY=${SIGN_KEY:-}
SIGN_CERT=${SIGN_CERT:-}
SHIM=${SHIM:-}
SHIM_DIR=${SHIM_DIR:-/usr/lib/shim}

work=$build/image
rm -rf "$work"
mkdir -p "$work/isoroot" "$work/esp/EFI/BOOT"
printf '%s\n' "$cmdline" > "$work/esp/EFI/BOOT/CMDLINE.TXT"
cp "$build/kernel.elf" "$work/esp/EFI/BOOT/KERNEL.ELF"

# ---- the loader: as built, or holding the kernel's digest and signed ----
if [ -z "$SIGN_KEY" ]; then
	[ -z "$SHIM" ] || { echo "mkimage: SHIM=1 needs SIGN=KEY: shim starts only a signed loader" >&2; exit 2; }
	loader=$work/esp/EFI/BOOT/BOOTX64.EFI
	cp "$build/BOOTX64.EFI" "$loader"
else
	for f in "$SIGN_KEY" "$SIGN_CERT"; do
		[ -r "$f" ] || { echo "mkimage: $f: cannot read it (SIGN= key, SIGNCERT= certificate)" >&2; exit 2; }
	done
	command -v sbsign >/dev/null || { echo "mkimage: sbsign missing: install sbsigntool (make deps)" >&2; exit 2; }
	if [ -n "$SHIM" ]; then
		loader=$work/esp/EFI/BOOT/grubx64.efi
		for f in shimx64.efi.signed mmx64.efi.signed; do
			[ -r "$SHIM_DIR/$f" ] || { echo "mkimage: $SHIM_DIR/$f missing: install shim-signed (make deps)" >&2; exit 2; }
		done
		cp "$SHIM_DIR/shimx64.efi.signed" "$work/esp/EFI/BOOT/BOOTX64.EFI"
		cp "$SHIM_DIR/mmx64.efi.signed" "$work/esp/EFI/BOOT/mmx64.efi"
	else
		loader=$work/esp/EFI/BOOT/BOOTX64.EFI
	fi
	if [ -n "${SIGN_NODIGEST:-}" ]; then
		cp "$build/BOOTX64.EFI" "$work/unsigned.efi"
	else
		python3 "$(dirname "$0")/../tools/kdigest.py" fill "$build/BOOTX64.EFI" "$build/kernel.elf" "$work/unsigned.efi"
	fi
	echo "  SBSIGN  $loader (key $SIGN_KEY, certificate $SIGN_CERT)"
	sbsign --key "$SIGN_KEY" --cert "$SIGN_CERT" --output "$loader" "$work/unsigned.efi" 2>"$work/sbsign.log" ||
		{ cat "$work/sbsign.log" >&2; echo "mkimage: sbsign failed" >&2; exit 2; }
	sbverify --cert "$SIGN_CERT" "$loader" >"$work/sbsign.log" 2>&1 ||
		{ cat "$work/sbsign.log" >&2; echo "mkimage: the signed loader does not verify against $SIGN_CERT" >&2; exit 2; }
	openssl x509 -in "$SIGN_CERT" -outform DER -out "$work/esp/RT-KEY.cer"
fi

# fill IMAGE: put the ESP's files into a FAT image
fill() {
	mcopy -s -i "$1" "$work/esp/"* ::/
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
# The ESP is sized to its contents (FAT12/16, 1 MiB of slack), appended
# after the ISO file system as partition 2 of a GPT (xorriso types 0xef as
# the EFI System Partition) and named by El Torito's EFI entry too. Its
# El Torito sector count must fit a 16-bit field: 32 MiB at most.
kib=$(( $(du -s -k "$work/esp" | cut -f1) + 1024 ))
mkfs.fat -C -n RTBOOT "$work/efiboot.img" "$kib" >/dev/null
fill "$work/efiboot.img"
xorriso -as mkisofs -quiet -R -J -V RTBOOT \
	-partition_offset 16 \
	-append_partition 2 0xef "$work/efiboot.img" -appended_part_as_gpt \
	-e --interval:appended_partition_2:all:: -no-emul-boot \
	-o "$build/rt.iso.tmp" "$work/isoroot" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; exit 1; }
mv "$build/rt.iso.tmp" "$build/rt.iso"
echo "image: $build/usb.img, $build/rt.iso (command line: \"$cmdline\"${SIGN_KEY:+, loader signed}${SHIM:+, shim first})"
