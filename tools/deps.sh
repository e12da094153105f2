#!/bin/sh
# Installs what the build, the images and the tests need, when something is
# missing. Called by `make deps` (and so by every target that builds); a
# machine that already has everything pays one dpkg-query.
#
# On Debian 12 QEMU comes from bookworm-backports (10.x: 7.2 emulates no
# x2APIC under TCG). The backports suite is added with the mirror URI the
# machine's apt sources already use, so no host name is written here.
set -eu

# libclang-rt-dev: libFuzzer and the sanitizers' runtimes for clang (make
# fuzz): clang's packages only recommend it, and apt-get runs --no-install-recommends
pkgs="qemu-system-x86 qemu-utils nasm gnu-efi ovmf xorriso mtools dosfstools fdisk python3 gdb binutils gcc make clang libclang-rt-dev console-setup-linux"
# what each package gives, to detect a missing one cheaply
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done

need_bpo=no
if [ -r /etc/os-release ] && grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
	qv=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
	case "$qv" in
	1:1[0-9].*) ;;
	*) need_bpo=yes; case " $missing " in *" qemu-system-x86 "*) ;; *) missing="$missing qemu-system-x86" ;; esac ;;
	esac
fi

[ -z "$missing" ] && exit 0

echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root. Install them as root, then run make again:" >&2
	echo "      sudo apt-get install$missing" >&2
	[ "$need_bpo" = no ] || echo "      (qemu-system-x86 from bookworm-backports: sudo make deps)" >&2
	exit 1
fi

if [ "$need_bpo" = yes ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	# The first Debian mirror URI in the apt sources (one-line or deb822 form).
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $0 ~ /bookworm/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }')
	fi
	case "$uri" in
	*-security*|"") echo "deps: no Debian mirror URI found in the apt sources; add bookworm-backports by hand" >&2; exit 1 ;;
	esac
	echo "deps: adding bookworm-backports from $uri"
	echo "deb $uri bookworm-backports main" >/etc/apt/sources.list.d/rt-backports.list
fi

export DEBIAN_FRONTEND=noninteractive
log=/tmp/rt-deps.log
# Two steps: everything but QEMU from the stable suite first, then QEMU
# from backports. In the other order QEMU's dependencies would bring
# backports' libelf1, which stable's gdb (libdw1) cannot live with.
rest="" qemu=""
for p in $missing; do
	case "$p" in
	qemu-system-x86|qemu-utils) qemu="$qemu $p" ;;
	*) rest="$rest $p" ;;
	esac
done
bpo=""
[ "$need_bpo" = no ] || bpo="-t bookworm-backports"
echo "deps: apt-get install$rest$qemu (log: $log)"
if ! { apt-get update &&
       { [ -z "$rest" ] || apt-get install -y --no-install-recommends $rest; } &&
       { [ -z "$qemu" ] || apt-get install -y --no-install-recommends $bpo $qemu qemu-utils; }; } >"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "deps: apt-get failed; the whole log is in $log" >&2
	exit 1
fi
echo "deps: done"
