#!/bin/sh
# usbwrite.sh [--dry-run] IMAGE DEV - `make usb DEV=/dev/sdX`: write the boot
# image to a USB stick.
#
# Refuses (one line on stderr, exit status 2) anything that is not a whole,
# removable (or USB) disk with a medium big enough for the image, and a
# disk in use: a file system mounted from it or its partitions, a holder
# (LVM, md, dm-crypt) of it or its partitions, swap on it or its
# partitions. Then it names the disk (size, vendor, model, serial, its
# /dev/disk/by-id names) and asks; after "yes" it looks again and refuses
# if the disk is not the one it named (another stick at the same name) or
# has come into use. It writes through a descriptor opened before the
# question, so a stick swapped after that cannot receive the image either.
#
# --dry-run: every check and the question, then say what would be written
# instead of writing. For tests, SYSFS_ROOT, PROC_ROOT and DEV_ROOT (default
# /sys, /proc, /dev) point at a fake tree; they require --dry-run.
set -eu

die() { echo "usb: $*" >&2; exit 2; }

dry=no
if [ "${1:-}" = --dry-run ]; then dry=yes; shift; fi
img=${1:-}
dev=${2:-}
sysfs=${SYSFS_ROOT:-/sys}
proc=${PROC_ROOT:-/proc}
devroot=${DEV_ROOT:-/dev}
fake=no
if [ "$sysfs" != /sys ] || [ "$proc" != /proc ] || [ "$devroot" != /dev ]; then fake=yes; fi
[ "$fake" = no ] || [ "$dry" = yes ] || die "SYSFS_ROOT, PROC_ROOT and DEV_ROOT are for tests and need --dry-run; nothing written"

[ -n "$dev" ] || die "say which device: make usb DEV=/dev/sdX (lsblk lists them)"
[ -n "$img" ] && [ -f "$img" ] || die "${img:-IMAGE}: no image (make image)"
# A fake tree's devices are plain files.
[ -b "$dev" ] || { [ "$fake" = yes ] && [ -f "$dev" ]; } || die "$dev: not a block device"
path=$(readlink -f "$dev")
name=${path##*/}
[ -d "$sysfs/class/block/$name" ] || die "$dev: $name not found in $sysfs/class/block"
[ ! -e "$sysfs/class/block/$name/partition" ] || die "$dev is a partition; give the whole device (e.g. /dev/sdb, not /dev/sdb1)"
sys=$sysfs/block/$name
[ -d "$sys" ] || die "$dev: $name is not a whole disk (not in $sysfs/block)"

# val FILE: the first line of a sysfs file, without surrounding blanks
val() {
	v=""
	[ ! -r "$1" ] || IFS= read -r v <"$1" || true
	v=${v#"${v%%[![:space:]]*}"}
	printf '%s' "${v%"${v##*[![:space:]]}"}"
}

removable=$(val "$sys/removable")
tran=other
case $(readlink -f "$sys") in */usb[0-9]*/*) tran=usb ;; esac
if [ "$removable" != 1 ] && [ "$tran" != usb ]; then
	die "$dev is neither removable nor on USB (removable=${removable:-?}, transport=$tran); refusing to overwrite what looks like an internal disk"
fi

# parts: the disk's partitions (sdb1 sdb2 ...)
parts=""
for p in "$sys"/*; do
	if [ -e "$p/partition" ]; then parts="$parts ${p##*/}"; fi
done

# check_free: refuse a disk with no medium, a read-only one, one too small,
# or one in use. Run before the question and again after it.
check_free() {
	sectors=$(val "$sys/size")
	case "$sectors" in ''|*[!0-9]*) sectors=0 ;; esac
	[ "$sectors" -gt 0 ] || die "$dev has no medium (size 0); insert the stick or card"
	[ "$(val "$sys/ro")" != 1 ] || die "$dev is read-only (a write-protect switch?)"
	bytes=$((sectors * 512))
	ibytes=$(($(wc -c <"$img")))
	[ "$ibytes" -le "$bytes" ] || die "$img ($ibytes bytes) does not fit on $dev ($bytes bytes)"

	held=""
	for n in $name $parts; do
		d=$sys; [ "$n" = "$name" ] || d=$sys/$n
		for h in "$d/holders"/*; do
			[ -e "$h" ] || [ -L "$h" ] || continue
			h=${h##*/}
			dm=$(val "$sysfs/block/$h/dm/name")
			held="$held${held:+, }$n by $h${dm:+ ($dm)}"
		done
	done
	[ -z "$held" ] || die "$dev is in use: held ($held) by LVM, md or dm-crypt; stop that first"

	swaps=""
	if [ -r "$proc/swaps" ]; then
		for s in $(awk 'NR > 1 { print $1 }' "$proc/swaps"); do
			case "$s" in /dev/*) ;; *) continue ;; esac
			for n in $name $parts; do
				[ "${s##*/}" != "$n" ] || swaps="$swaps${swaps:+, }$s"
			done
		done
	fi
	[ -z "$swaps" ] || die "$dev is in use: swap on $swaps; swapoff it first"

	# A mount whose device number is the disk's or a partition's, or whose
	# source names one of them (btrfs reports its own device numbers).
	nums=$(for n in $name $parts; do
		d=$sys; [ "$n" = "$name" ] || d=$sys/$n
		val "$d/dev"; echo
	done)
	mounted=$(awk -v nums="$nums" -v names="$name $parts" '
		BEGIN { split(nums, a, " "); for (i in a) num[a[i]] = 1; split(names, b, " "); for (i in b) nm["/dev/" b[i]] = 1 }
		{
			for (i = 7; i <= NF && $i != "-"; i++) ;
			src = $(i + 2)
			if (($3 in num) || (src in nm)) { printf "%s%s on %s", sep, src, $5; sep = ", " }
		}' "$proc/self/mountinfo" 2>/dev/null || true)
	[ -z "$mounted" ] || die "$dev has mounted file systems ($mounted); unmount them first"

	if [ "$fake" = no ] && command -v python3 >/dev/null 2>&1; then
		# The kernel's own answer: an exclusive open fails on a disk that
		# a mount, md, dm or swap has claimed.
		python3 - "$dev" <<'EOF' || die "$dev is in use: the kernel refuses an exclusive open (mounted, or claimed by md, dm or swap)"
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))
except OSError as e:
    sys.exit(1 if e.errno == errno.EBUSY else 0)
EOF
	fi
}

# identify: what names this disk, one "key=value" a line, to compare
# before and after the question.
identify() {
	echo "device=$(readlink -f "$sys" 2>/dev/null || true)"
	echo "dev=$(val "$sys/dev")"
	echo "diskseq=$(val "$sys/diskseq")"
	echo "size=$(val "$sys/size")"
	echo "vendor=$(val "$sys/device/vendor")"
	echo "model=$(val "$sys/device/model")"
	serial=""
	d=$(readlink -f "$sys/device" 2>/dev/null || true)
	top=$(readlink -f "$sysfs")
	while [ -n "$d" ] && [ "$d" != / ] && [ "$d" != "$top" ]; do
		if [ -f "$d/serial" ]; then serial=$(val "$d/serial"); break; fi
		d=${d%/*}
	done
	echo "serial=$serial"
	ids=""
	for l in "$devroot/disk/by-id"/*; do
		if [ -L "$l" ] && [ "$(readlink -f "$l")" = "$path" ]; then ids="$ids${ids:+ }${l##*/}"; fi
	done
	echo "by-id=$ids"
}

check_free

if [ "$dry" = no ]; then
	[ -w "$dev" ] || die "$dev: no permission to write (run as root)"
	exec 3<>"$dev"
fi
before=$(identify)

# get IDENTITY KEY: KEY's value in identify's output
get() {
	printf '%s\n' "$1" | while IFS= read -r l; do
		case "$l" in "$2="*) printf '%s' "${l#*=}" ;; esac
	done
}
size=$(($(get "$before" size) * 512))
human=$(awk -v b="$size" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1; while (b >= 1024 && i < 5) { b /= 1024; i++ } fmt = i == 1 ? "%d %s" : "%.1f %s"; printf fmt, b, u[i] }')
desc=$human
for k in vendor model; do v=$(get "$before" $k); [ -z "$v" ] || desc="$desc, $v"; done
v=$(get "$before" serial); [ -z "$v" ] || desc="$desc, serial $v"
v=$(get "$before" by-id); [ -z "$v" ] || desc="$desc, $v"
echo "usb: about to overwrite $dev ($desc) with $img."
echo "usb: everything on $dev will be lost. Type 'yes' to go on:"
read -r answer || answer=""
[ "$answer" = yes ] || die "not confirmed; nothing written"

# The same disk, still free?
[ -d "$sys" ] || die "$dev is gone (unplugged while waiting for 'yes'); nothing written"
after=$(identify)
if [ "$after" != "$before" ]; then
	for k in device dev diskseq size vendor model serial by-id; do
		b=$(get "$before" $k); a=$(get "$after" $k)
		[ "$a" = "$b" ] || die "$dev changed while waiting for 'yes' ($k: '$b' -> '$a'): not the disk that was named; nothing written"
	done
	die "$dev changed while waiting for 'yes': not the disk that was named; nothing written"
fi
check_free

if [ "$dry" = yes ]; then
	echo "usb: dry run: would write $img to $dev (dd if=$img of=$dev bs=4M conv=fsync); nothing written"
	exit 0
fi
dd if="$img" bs=4M conv=fsync status=progress >&3
exec 3>&-
sync
echo "usb: done. Boot the machine from $dev with Secure Boot off (see docs/real-hardware.md)."
