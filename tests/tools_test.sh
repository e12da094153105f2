#!/bin/sh
# tools_test.sh - host tests of tools/deps.sh and tools/usbwrite.sh on fake
# trees in a temporary directory; neither the machine's apt sources nor any
# disk is read for a decision or written.
#
# deps.sh: --print-backports-entry ROOT on fixture apt sources (a
# third-party repository first, the security suite first, deb822 only, no
# Debian entry at all, ...), then the whole script with APT_ROOT and fake
# apt-get/apt-cache/dpkg-query/id: the entry stays when apt-get update
# takes it, goes again when it does not.
#
# usbwrite.sh: --dry-run with SYSFS_ROOT, PROC_ROOT and DEV_ROOT on a fake
# /sys/block tree: each refusal's message and exit status 2, a stick
# swapped or put to use while the question waits, and the dry run's
# success. The "devices" are plain files under the temporary directory.
#
# Run from the top of the tree: sh tests/tools_test.sh
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/rt-tools-test.XXXXXX")
trap 'rm -rf "$t"' EXIT
pass=0 failed=0

ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok; else bad "$1: want '$2', got '$3'"; fi; }
# contains NAME FILE TEXT
contains() { if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in $(cat "$2")"; fi; }
lacks() { if grep -qF -- "$3" "$2"; then bad "$1: '$3' in $(cat "$2")"; else ok; fi; }
lines() { expect "$1: lines of $2" "$3" "$(wc -l <"$2" | tr -d ' ')"; }

# ---- deps.sh: which entry ----

DKR=/usr/share/keyrings/debian-archive-keyring.gpg

# aptroot NAME: an empty apt configuration whose default trusted set holds
# Debian's keys (as debian-archive-keyring installs them on Debian 12)
aptroot() {
	r=$t/apt/$1
	mkdir -p "$r/etc/apt/sources.list.d" "$r/etc/apt/trusted.gpg.d"
	: >"$r/etc/apt/trusted.gpg.d/debian-archive-bookworm-stable.asc"
}

# pick NAME WANT-STDOUT WANT-RC: --print-backports-entry on $t/apt/NAME
pick() {
	sh tools/deps.sh --print-backports-entry "$t/apt/$1" >"$t/out" 2>"$t/err" && rc=0 || rc=$?
	expect "deps $1: rc" "$3" "$rc"
	expect "deps $1: entry" "$2" "$(cat "$t/out")"
}

# A third-party repository for bookworm first: the Debian line after it.
aptroot thirdparty-first
cat >"$r/etc/apt/sources.list" <<'EOF'
deb [arch=amd64 signed-by=/etc/apt/keyrings/thirdparty.gpg] https://thirdparty.invalid/apt bookworm main
deb http://archive.invalid/debian bookworm main contrib
deb http://archive.invalid/debian-security bookworm-security main
EOF
pick thirdparty-first "deb http://archive.invalid/debian bookworm-backports main" 0
lacks "deps thirdparty-first: stderr" "$t/err" "already lists"

# The security suite first: the mirror after it, with its Signed-By.
aptroot security-first
cat >"$r/etc/apt/sources.list" <<EOF
deb http://security.invalid/debian-security bookworm-security main
deb http://archive.invalid/debian bookworm-updates main
  deb [ arch=amd64 signed-by=$DKR ] http://archive.invalid/debian bookworm main   # the mirror
EOF
pick security-first "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" 0

# An entry signed by Debian's keyring wins over an earlier one without
# Signed-By (a third party trusted through the default set).
aptroot signed-preferred
cat >"$r/etc/apt/sources.list" <<EOF
deb https://legacy.invalid/apt bookworm main
EOF
cat >"$r/etc/apt/sources.list.d/mirror.list" <<EOF
deb [signed-by=$DKR] http://archive.invalid/debian bookworm main
EOF
pick signed-preferred "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" 0

# deb822 only, as Debian 12's installer writes it, after a third party's
# stanza, one with its key inline and a disabled one; files in name order.
aptroot deb822
cat >"$r/etc/apt/sources.list.d/a-thirdparty.sources" <<'EOF'
Types: deb
URIs: https://thirdparty.invalid/apt
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/thirdparty.gpg

Types: deb
URIs: https://inline.invalid/apt
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGQ
 -----END PGP PUBLIC KEY BLOCK-----
EOF
cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://security.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: $DKR

Enabled: no
Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
Signed-By: $DKR

# the mirror
types: deb deb-src
URIs: http://archive.invalid/debian
Suites: bookworm
  bookworm-updates
Components: main non-free-firmware
signed-by: $DKR
EOF
pick deb822 "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" 0

# No Debian entry at all: a clear error, nothing on stdout.
aptroot none
cat >"$r/etc/apt/sources.list" <<EOF
deb cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1]/ bookworm main
deb http://security.invalid/debian-security bookworm-security main
# deb http://archive.invalid/debian bookworm main
deb-src [signed-by=$DKR] http://archive.invalid/debian bookworm main
deb [signed-by=/etc/apt/keyrings/thirdparty.gpg] https://thirdparty.invalid/apt bookworm main
deb http://archive.invalid/debian bookworm contrib
EOF
echo "deb http://archive.invalid/debian bookworm main" >"$r/etc/apt/sources.list.d/old.list.disabled"
printf 'Types: deb\nURIs: http://archive.invalid/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n' \
	>"$r/etc/apt/sources.list.d/off.sources"
pick none "" 1
contains "deps none: message" "$t/err" "deps: no Debian archive entry for bookworm in $t/apt/none/etc/apt/"
lines "deps none" "$t/err" 1

# Without Signed-By the entry counts only if apt's default trusted set has
# Debian's keys.
aptroot nokeys
rm "$r/etc/apt/trusted.gpg.d/debian-archive-bookworm-stable.asc"
echo "deb http://archive.invalid/debian bookworm main" >"$r/etc/apt/sources.list"
pick nokeys "" 1

# Backports already listed: the entry is still shown, with a note; a
# commented-out backports line does not count.
aptroot has-bpo
printf 'deb [signed-by=%s] http://archive.invalid/debian bookworm main\n# deb http://archive.invalid/debian bookworm-backports main\n' "$DKR" >"$r/etc/apt/sources.list"
pick has-bpo "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" 0
lacks "deps has-bpo: commented" "$t/err" "already lists"
echo "deb http://archive.invalid/debian bookworm-backports main" >"$r/etc/apt/sources.list.d/bpo.list"
pick has-bpo "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" 0
contains "deps has-bpo: note" "$t/err" "already lists bookworm-backports"

# ---- deps.sh: the whole script, with fake apt commands ----

fakes=$t/fakes
mkdir -p "$fakes"
printf '#!/bin/sh\nexit 1\n' >"$fakes/dpkg-query"                  # nothing installed
printf '#!/bin/sh\necho 0\n' >"$fakes/id"                           # root
cat >"$fakes/apt-get" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_LOG"
[ "$1" != update ] || exit "${FAKE_UPDATE_RC:-0}"
EOF
cat >"$fakes/apt-cache" <<'EOF'
#!/bin/sh
[ "$FAKE_BPO" = 0 ] || echo "     release o=Debian Backports,a=oldstable-backports,n=bookworm-backports,l=Debian Backports,c=main,b=amd64"
EOF
chmod +x "$fakes"/*

# full NAME UPDATE-RC BPO-IN-POLICY: deps.sh on $t/apt/NAME (Debian 12)
full() {
	r=$t/apt/$1
	echo VERSION_CODENAME=bookworm >"$r/etc/os-release"
	rm -rf "$t/tmp" && mkdir -p "$t/tmp" && : >"$t/apt.log"
	APT_ROOT=$r TMPDIR=$t/tmp PATH="$fakes:$PATH" FAKE_LOG=$t/apt.log FAKE_UPDATE_RC=$2 FAKE_BPO=$3 \
		sh tools/deps.sh >"$t/out" 2>"$t/err" && rc=0 || rc=$?
}
list=etc/apt/sources.list.d/rt-backports.list

aptroot upd-fails
cp "$t/apt/security-first/etc/apt/sources.list" "$r/etc/apt/"
full upd-fails 100 1
expect "deps upd-fails: rc" 1 "$rc"
expect "deps upd-fails: entry removed" no "$([ -e "$r/$list" ] && echo yes || echo no)"
contains "deps upd-fails: message" "$t/err" "apt-get update failed with the new bookworm-backports entry; removed $r/$list again"
expect "deps upd-fails: apt-get calls" update "$(cat "$t/apt.log")"
expect "deps upd-fails: log kept" 1 "$(ls "$t"/tmp/rt-deps.*/apt.log 2>/dev/null | wc -l | tr -d ' ')"

aptroot no-bpo
cp "$t/apt/security-first/etc/apt/sources.list" "$r/etc/apt/"
full no-bpo 0 0
expect "deps no-bpo: rc" 1 "$rc"
expect "deps no-bpo: entry removed" no "$([ -e "$r/$list" ] && echo yes || echo no)"
contains "deps no-bpo: message" "$t/err" "apt-get update brought no bookworm-backports from that entry; removed"

aptroot takes
cp "$t/apt/deb822/etc/apt/sources.list.d/"*.sources "$r/etc/apt/sources.list.d/"
full takes 0 1
expect "deps takes: rc" 0 "$rc"
expect "deps takes: entry" "deb [signed-by=$DKR] http://archive.invalid/debian bookworm-backports main" "$(cat "$r/$list" 2>/dev/null)"
expect "deps takes: apt-get update once" 1 "$(grep -c '^update$' "$t/apt.log")"
contains "deps takes: qemu from backports" "$t/apt.log" "install -y --no-install-recommends -t bookworm-backports qemu-system-x86"
contains "deps takes: the rest from stable" "$t/apt.log" "install -y --no-install-recommends nasm"
expect "deps takes: log removed" "" "$(ls "$t/tmp")"
# and the next run leaves the sources as they are
cp "$r/$list" "$t/list.before"
full takes 0 1
expect "deps takes again: rc" 0 "$rc"
lacks "deps takes again: nothing added" "$t/out" "adding"
expect "deps takes again: entry" "$(cat "$t/list.before")" "$(cat "$r/$list")"

aptroot nothing
cp "$t/apt/none/etc/apt/sources.list" "$r/etc/apt/"
full nothing 0 1
expect "deps nothing: rc" 1 "$rc"
expect "deps nothing: no entry" no "$([ -e "$r/$list" ] && echo yes || echo no)"
expect "deps nothing: no apt-get" "" "$(cat "$t/apt.log")"

# ---- usbwrite.sh ----

u=$t/usb
S=$u/sys P=$u/proc D=$u/dev
img=$u/usb.img
usbdev=devices/pci0000:00/0000:00:14.0/usb2/2-1
scsi=$usbdev/2-1:1.0/host6/target6:0:0/6:0:0:0

# tree: a fake /sys, /proc and /dev with sda (internal SATA disk, sda1
# mounted on /) and sdx (a 1 GiB USB stick, partition sdx1)
tree() {
	rm -rf "$u"
	mkdir -p "$S/block" "$S/class/block" "$P/self" "$D/disk/by-id"
	head -c 4096 /dev/zero >"$img"
	# sda
	b=$S/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda
	mkdir -p "$b/holders" "$b/sda1/holders"
	echo 0 >"$b/removable"; echo 0 >"$b/ro"; echo 500118192 >"$b/size"; echo 8:0 >"$b/dev"
	echo 1 >"$b/sda1/partition"; echo 8:1 >"$b/sda1/dev"
	ln -s "$b" "$S/block/sda"; ln -s "$b" "$S/class/block/sda"; ln -s "$b/sda1" "$S/class/block/sda1"
	# sdx
	b=$S/$scsi/block/sdx
	mkdir -p "$b/holders" "$b/sdx1/holders"
	echo SERIAL1 >"$S/$usbdev/serial"
	echo "Fake    " >"$S/$scsi/vendor"; echo "Stick           " >"$S/$scsi/model"
	ln -s ../.. "$b/device"
	echo 1 >"$b/removable"; echo 0 >"$b/ro"; echo 2097152 >"$b/size"; echo 8:16 >"$b/dev"; echo 42 >"$b/diskseq"
	echo 1 >"$b/sdx1/partition"; echo 8:17 >"$b/sdx1/dev"; echo 2095104 >"$b/sdx1/size"
	ln -s "$b" "$S/block/sdx"; ln -s "$b" "$S/class/block/sdx"; ln -s "$b/sdx1" "$S/class/block/sdx1"
	sdx=$b
	for n in sda sda1 sdx sdx1; do : >"$D/$n"; done
	ln -s ../../sdx "$D/disk/by-id/usb-Fake_Stick_SERIAL1-0:0"
	ln -s ../../sdx1 "$D/disk/by-id/usb-Fake_Stick_SERIAL1-0:0-part1"
	ln -s ../../sda "$D/disk/by-id/ata-Internal_Disk_XYZ"
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' >"$P/swaps"
	printf '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n' >"$P/self/mountinfo"
}

# usb NAME ANSWER [DEV [IMAGE]]: usbwrite.sh --dry-run on the fake tree
usb() {
	printf '%s\n' "$2" | SYSFS_ROOT=$S PROC_ROOT=$P DEV_ROOT=$D \
		sh "$top/tools/usbwrite.sh" --dry-run "${4-$img}" "${3-$D/sdx}" >"$t/out" 2>"$t/err" && rc=0 || rc=$?
}
# refused NAME TEXT: exit status 2, one line saying TEXT, nothing "written"
refused() {
	expect "usb $1: rc" 2 "$rc"
	contains "usb $1: message" "$t/err" "$2"
	lines "usb $1" "$t/err" 1
	lacks "usb $1: no write" "$t/out" "would write"
}

tree
usb accepted yes
expect "usb accepted: rc" 0 "$rc"
contains "usb accepted: names the disk" "$t/out" "about to overwrite $D/sdx (1.0 GiB, Fake, Stick, serial SERIAL1, usb-Fake_Stick_SERIAL1-0:0) with $img."
contains "usb accepted: dry run" "$t/out" "usb: dry run: would write $img to $D/sdx"
expect "usb accepted: stderr" "" "$(cat "$t/err")"

usb no-dev yes ""; refused no-dev "say which device"
usb no-image yes "$D/sdx" "$u/missing.img"; refused no-image "no image (make image)"
usb not-block yes "$D/disk"; refused not-block "$D/disk: not a block device"
usb not-in-sys yes "$img"; refused not-in-sys "usb.img not found in $S/class/block"
usb partition yes "$D/sdx1"; refused partition "$D/sdx1 is a partition"
usb internal yes "$D/sda"; refused internal "$D/sda is neither removable nor on USB (removable=0, transport=other)"
usb no no; refused no "not confirmed; nothing written"
printf '' | SYSFS_ROOT=$S PROC_ROOT=$P DEV_ROOT=$D sh tools/usbwrite.sh --dry-run "$img" "$D/sdx" >"$t/out" 2>"$t/err" && rc=0 || rc=$?
refused eof "not confirmed; nothing written"

# by by-id name; on USB though not flagged removable
echo 0 >"$sdx/removable"
usb usb-fixed yes "$D/disk/by-id/usb-Fake_Stick_SERIAL1-0:0"
expect "usb usb-fixed: rc" 0 "$rc"
contains "usb usb-fixed: dry run" "$t/out" "would write $img to $D/disk/by-id/usb-Fake_Stick_SERIAL1-0:0"

tree; echo 0 >"$sdx/size"; usb no-medium yes; refused no-medium "$D/sdx has no medium (size 0)"
tree; echo 1 >"$sdx/ro"; usb read-only yes; refused read-only "$D/sdx is read-only"
tree; echo 4 >"$sdx/size"; usb small yes; refused small "$img (4096 bytes) does not fit on $D/sdx (2048 bytes)"

tree; mkdir -p "$S/devices/virtual/block/dm-0/dm"; echo vg-data >"$S/devices/virtual/block/dm-0/dm/name"
ln -s "$S/devices/virtual/block/dm-0" "$S/block/dm-0"; ln -s "$S/devices/virtual/block/dm-0" "$sdx/holders/dm-0"
usb held-disk yes; refused held-disk "$D/sdx is in use: held (sdx by dm-0 (vg-data)) by LVM, md or dm-crypt"
tree; mkdir -p "$S/devices/virtual/block/md0"; ln -s "$S/devices/virtual/block/md0" "$sdx/sdx1/holders/md0"
usb held-part yes; refused held-part "held (sdx1 by md0)"

tree; echo "/dev/sdx1                               partition	1048572		0		-2" >>"$P/swaps"
usb swap-part yes; refused swap-part "$D/sdx is in use: swap on /dev/sdx1; swapoff it first"
tree; echo "/dev/sdx                                partition	1048572		0		-2" >>"$P/swaps"
usb swap-disk yes; refused swap-disk "swap on /dev/sdx;"
tree; printf '/dev/sdy1 partition 1048572 0 -2\n/swapfile file 1048572 0 -3\n' >>"$P/swaps"
usb swap-other yes; expect "usb swap-other: rc" 0 "$rc"

tree; echo '30 22 8:17 / /media/stick rw,nosuid shared:40 - vfat /dev/sdx1 rw' >>"$P/self/mountinfo"
usb mounted yes; refused mounted "$D/sdx has mounted file systems (/dev/sdx1 on /media/stick); unmount them first"
tree; echo '31 22 0:45 / /mnt rw master:3 - btrfs /dev/sdx1 rw' >>"$P/self/mountinfo"
usb mounted-btrfs yes; refused mounted-btrfs "(/dev/sdx1 on /mnt)"
tree; echo '32 22 8:16 / /mnt rw - ext4 /dev/disk/by-label/x rw' >>"$P/self/mountinfo"
usb mounted-whole yes; refused mounted-whole "(/dev/disk/by-label/x on /mnt)"

# Fake roots without --dry-run: refused before anything else.
tree; cp "$D/sdx" "$t/sdx.before"
printf 'yes\n' | SYSFS_ROOT=$S PROC_ROOT=$P DEV_ROOT=$D sh tools/usbwrite.sh "$img" "$D/sdx" >"$t/out" 2>"$t/err" && rc=0 || rc=$?
refused no-dry-run "SYSFS_ROOT, PROC_ROOT and DEV_ROOT are for tests and need --dry-run"
lacks "usb no-dry-run: no question" "$t/out" "about to overwrite"
expect "usb no-dry-run: target untouched" "" "$(cmp "$D/sdx" "$t/sdx.before" 2>&1)"

# during NAME COMMAND: answer yes once the question is out, after COMMAND
# has changed the tree as a swapped, replugged or newly mounted stick would.
during() {
	: >"$t/out"
	{
		i=0
		while ! grep -q "Type 'yes'" "$t/out" && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
		eval "$2"
		echo yes
	} | SYSFS_ROOT=$S PROC_ROOT=$P DEV_ROOT=$D sh tools/usbwrite.sh --dry-run "$img" "$D/sdx" >"$t/out" 2>"$t/err" && rc=0 || rc=$?
}
tree; during swapped 'echo SERIAL2 >"$S/$usbdev/serial"; rm "$D/disk/by-id/usb-Fake_Stick_SERIAL1-0:0"*; ln -s ../../sdx "$D/disk/by-id/usb-Fake_Stick_SERIAL2-0:0"'
refused swapped "$D/sdx changed while waiting for 'yes' (serial: 'SERIAL1' -> 'SERIAL2'): not the disk that was named; nothing written"
tree; during replugged 'echo 43 >"$sdx/diskseq"'
refused replugged "changed while waiting for 'yes' (diskseq: '42' -> '43')"
tree; during resized 'echo 4194304 >"$sdx/size"'
refused resized "(size: '2097152' -> '4194304')"
tree; during other-model 'echo Other >"$S/$scsi/model"'
refused other-model "(model: 'Stick' -> 'Other')"
tree; during gone 'rm "$S/block/sdx"'
refused gone "$D/sdx is gone (unplugged while waiting for 'yes'); nothing written"
tree; during automounted 'echo "30 22 8:17 / /media/stick rw - vfat /dev/sdx1 rw" >>"$P/self/mountinfo"'
refused automounted "has mounted file systems (/dev/sdx1 on /media/stick)"
tree; during unchanged ':'
expect "usb unchanged: rc" 0 "$rc"
contains "usb unchanged: dry run" "$t/out" "would write"

echo "tools_test: $pass passed, $failed failed"
[ "$failed" = 0 ]
