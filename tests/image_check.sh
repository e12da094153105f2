#!/bin/sh
# image_check.sh BUILD - host checks of the images make image and make
# signed-test-images wrote (make test runs it):
#   rt.iso and usb.img each list an EFI System Partition (sfdisk -l), and
#   rt.iso's holds the loader, the kernel and the command line;
#   the signed images: the loader verifies against the snakeoil certificate
#   (sbverify), its digest slot holds the SHA-256 of the image's own
#   KERNEL.ELF (tools/kdigest.py show against sha256sum) or is empty in
#   signed-nodigest, shim's layout is complete and the certificate is on
#   the ESP in DER form.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
cert=/usr/share/ovmf/PkKek-1-snakeoil.pem
t=$(mktemp -d "${TMPDIR:-/tmp}/rt-image-check.XXXXXX")
trap 'rm -rf "$t"' EXIT
pass=0 failed=0
export MTOOLS_SKIP_CHECK=1

ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect() { if [ "$2" = "$3" ]; then ok; else bad "$1: want '$2', got '$3'"; fi; }

# esp_offset IMAGE: byte offset of the EFI System Partition sfdisk lists; 1 without one
esp_offset() {
	sfdisk -l -o Device,Start,Type "$1" 2>/dev/null | awk '/EFI System$/ { print $2 * 512; found = 1; exit } END { exit !found }'
}

# files IMAGE@@OFFSET DIR: the files in DIR of the FAT file system there, sorted
files() {
	mdir -b -i "$1" "::/$2" 2>/dev/null | sed 's|.*/||' | sort | tr '\n' ' '
}

for img in rt.iso usb.img; do
	off=$(esp_offset "$build/$img") || { bad "$img: sfdisk -l lists no EFI System partition"; continue; }
	ok
	expect "$img: ESP files" "BOOTX64.EFI CMDLINE.TXT KERNEL.ELF " "$(files "$build/$img@@$off" EFI/BOOT)"
done

# digest LOADER: what the loader's slot holds (kdigest.py show)
digest() {
	python3 tools/kdigest.py show "$1" 2>&1 | sed 's/^[^:]*: //'
}

# signed DIR LOADER-PATH: the signed loader on DIR's usb.img, copied out
signed() {
	off=$(esp_offset "$build/$1/usb.img") || { bad "$1: no ESP"; return 1; }
	mcopy -n -i "$build/$1/usb.img@@$off" "::/$2" "$t/$1.efi" 2>/dev/null || { bad "$1: no $2"; return 1; }
	if sbverify --cert "$cert" "$t/$1.efi" >/dev/null 2>&1; then ok; else bad "$1: $2 does not verify against $cert"; fi
	mcopy -n -i "$build/$1/usb.img@@$off" ::/EFI/BOOT/KERNEL.ELF "$t/$1.elf"
	mcopy -n -i "$build/$1/usb.img@@$off" ::/RT-KEY.cer "$t/$1.cer" 2>/dev/null
	expect "$1: RT-KEY.cer" "$(openssl x509 -in "$cert" -outform DER | sha256sum)" "$(sha256sum <"$t/$1.cer")"
}

if [ -f "$build/signed/usb.img" ]; then
	signed signed EFI/BOOT/BOOTX64.EFI &&
		expect "signed: digest" "$(sha256sum <"$t/signed.elf" | cut -d' ' -f1)" "$(digest "$t/signed.efi")"
	signed signed-nodigest EFI/BOOT/BOOTX64.EFI &&
		expect "signed-nodigest: digest" "empty (the kernel is not checked unless Secure Boot is on)" "$(digest "$t/signed-nodigest.efi")"
	if signed signed-shim EFI/BOOT/grubx64.efi; then
		expect "signed-shim: digest" "$(sha256sum <"$t/signed-shim.elf" | cut -d' ' -f1)" "$(digest "$t/signed-shim.efi")"
		off=$(esp_offset "$build/signed-shim/usb.img")
		expect "signed-shim: ESP files" "BOOTX64.EFI CMDLINE.TXT KERNEL.ELF grubx64.efi mmx64.efi " \
			"$(files "$build/signed-shim/usb.img@@$off" EFI/BOOT)"
		mcopy -n -i "$build/signed-shim/usb.img@@$off" ::/EFI/BOOT/BOOTX64.EFI "$t/shim.efi"
		expect "signed-shim: BOOTX64.EFI is shim" "$(sha256sum </usr/lib/shim/shimx64.efi.signed)" "$(sha256sum <"$t/shim.efi")"
	fi
	# the unsigned loader verifies against nothing
	if sbverify --cert "$cert" "$build/BOOTX64.EFI" >/dev/null 2>&1; then bad "BOOTX64.EFI verifies unsigned"; else ok; fi
else
	bad "$build/signed/usb.img missing (make signed-test-images)"
fi

echo "image_check: $pass passed, $failed failed"
[ "$failed" = 0 ]
