#!/bin/sh
# usbwrite.sh IMAGE DEV - `make usb DEV=/dev/sdX`: write the boot image to a
# USB stick. Refuses anything that is not a whole, removable (or USB)
# block device with nothing mounted from it, and asks before writing.
set -eu
img=$1
dev=${2:-}

die() { echo "usb: $*" >&2; exit 2; }

[ -n "$dev" ] || die "say which device: make usb DEV=/dev/sdX (lsblk lists them)"
[ -f "$img" ] || die "$img: no image (make image)"
[ -b "$dev" ] || die "$dev: not a block device"
name=$(basename "$(readlink -f "$dev")")
sys=/sys/class/block/$name
[ -d "$sys" ] || die "$dev: not found in /sys/class/block"
[ ! -e "$sys/partition" ] || die "$dev is a partition; give the whole device (e.g. /dev/sdb, not /dev/sdb1)"
removable=$(cat "$sys/removable" 2>/dev/null || echo 0)
tran=$(lsblk -dno TRAN "$dev" 2>/dev/null || true)
if [ "$removable" != 1 ] && [ "$tran" != usb ]; then
	die "$dev is neither removable nor on USB (removable=$removable, transport=${tran:-?}); refusing to overwrite what looks like an internal disk"
fi
mounted=$(lsblk -nro NAME,MOUNTPOINT "$dev" | awk '$2 != "" { print "/dev/" $1 " on " $2 }')
[ -z "$mounted" ] || die "$dev has mounted file systems; unmount them first:
$mounted"

size=$(lsblk -dno SIZE "$dev")
model=$(lsblk -dno MODEL "$dev" 2>/dev/null || true)
echo "usb: about to overwrite $dev ($size${model:+, $model}) with $img."
echo "usb: everything on $dev will be lost. Type 'yes' to go on:"
read -r answer
[ "$answer" = yes ] || die "not confirmed; nothing written"
dd if="$img" of="$dev" bs=4M conv=fsync status=progress
sync
echo "usb: done. Boot the machine from $dev with Secure Boot off (see docs/hardware.md)."
