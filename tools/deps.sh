#!/bin/sh
# Installs what the build, the images and the tests need, when something is
# missing. Called by `make deps` (and so by every target that builds); a
# machine that already has everything pays one dpkg-query.
#
# On Debian 12 QEMU comes from bookworm-backports (10.x: 7.2 emulates no
# x2APIC under TCG). The backports suite is added with the URI of the
# Debian archive the machine's apt sources already use, so no host name is
# written here: the entry whose suite is `bookworm` itself (not
# bookworm-security or bookworm-updates), signed by Debian's keyring,
# written with that entry's Signed-By. If `apt-get update` fails with it,
# it is removed again.
#
#   deps.sh                               install what is missing
#   deps.sh --print-backports-entry [ROOT]
#                                         print the bookworm-backports entry it
#                                         would add, from ROOT's apt sources
#                                         (default /); nothing is written
#
# APT_ROOT=DIR (tests): read and write every /etc file under DIR instead of
# /; apt-get, apt-cache, dpkg-query and id are whatever PATH finds.
set -eu

suite=bookworm
root=${APT_ROOT:-}
root=${root%/}

# sources_entries ROOT: every entry in ROOT's apt sources, one-line
# (sources.list, sources.list.d/*.list) and deb822 (sources.list.d/*.sources)
# alike, in apt's order, one line per type, URI and suite:
#   TYPE <tab> URI <tab> SUITE <tab> COMPONENTS <tab> SIGNED-BY <tab> FILE
# SIGNED-BY is empty without one, "inline" for a key written in the entry.
sources_entries() {
	d=$1
	set --
	[ ! -f "$d/etc/apt/sources.list" ] || set -- "$d/etc/apt/sources.list"
	for f in "$d/etc/apt/sources.list.d"/*; do
		case "$f" in *.list|*.sources) [ -f "$f" ] && set -- "$@" "$f" ;; esac
	done
	[ $# -gt 0 ] || return 0
	awk '
	function emit(types, uris, suites, comps, kr, file,   nt, t, nu, u, ns, s, i, j, k) {
		nt = split(types, t, " "); nu = split(uris, u, " "); ns = split(suites, s, " ")
		for (i = 1; i <= nt; i++) for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
			printf "%s\t%s\t%s\t%s\t%s\t%s\n", t[i], u[j], s[k], comps, kr, file
	}
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	function flush() {
		if (nf && tolower(f["enabled"]) != "no" && f["types"] != "" && f["uris"] != "" && f["suites"] != "") {
			kr = f["signed-by"]
			if (kr ~ /BEGIN PGP/) kr = "inline"
			else kr = trim(kr)
			emit(f["types"], f["uris"], f["suites"], f["components"], kr, stanzafile)
		}
		split("", f); nf = 0; key = ""
	}
	FNR == 1 { flush() }
	FILENAME ~ /\.sources$/ {
		# deb822: stanzas of "Key: value", continued by indented lines
		if ($0 ~ /^#/) next
		if ($0 ~ /^[ \t]*$/) { flush(); next }
		if ($0 ~ /^[ \t]/) { if (key != "") f[key] = f[key] " " trim($0); next }
		i = index($0, ":")
		if (i == 0) next
		key = tolower(trim(substr($0, 1, i - 1)))
		f[key] = trim(substr($0, i + 1)); nf++; stanzafile = FILENAME
		next
	}
	{
		# one-line: TYPE [OPTIONS] URI SUITE [COMPONENT...], "#" starts a comment
		line = $0; sub(/#.*/, "", line); sub(/[ \t]+$/, "", line)
		n = split(line, w, /[ \t]+/)
		i = 1; if (w[1] == "") i = 2
		if (w[i] != "deb" && w[i] != "deb-src") next
		type = w[i++]; kr = ""
		if (substr(w[i], 1, 1) == "[") {
			opts = ""
			for (; i <= n; i++) { opts = opts " " w[i]; if (w[i] ~ /\]$/) { i++; break } }
			gsub(/\[|\]/, " ", opts)
			no = split(opts, o, " ")
			for (j = 1; j <= no; j++) if (tolower(o[j]) ~ /^signed-by=/) kr = substr(o[j], 11)
		}
		if (i + 1 > n) next
		comps = ""
		for (j = i + 2; j <= n; j++) if (w[j] != "") comps = comps (comps == "" ? "" : " ") w[j]
		emit(type, w[i], w[i + 1], comps, kr, FILENAME)
	}
	END { flush() }' "$@"
}

# debian_archive ROOT: the Debian archive in ROOT's apt sources, as
#   URI <tab> SIGNED-BY
# the first `deb` entry of suite $suite itself with component main, signed
# by Debian's keyring (a Signed-By naming debian-archive-keyring or another
# debian-archive-* keyring), else the first without Signed-By if apt's
# default trusted set holds Debian's keys. Fails when there is none.
debian_archive() {
	deftrust=0
	for k in "$1/etc/apt/trusted.gpg.d"/debian-archive-*; do
		case "$k" in *removed*) ;; *) [ -f "$k" ] && deftrust=1 ;; esac
	done
	sources_entries "$1" | awk -F '\t' -v suite="$suite" -v deftrust="$deftrust" '
	$1 == "deb" && $3 == suite && (" " $4 " ") ~ / main / && $2 ~ /^[a-z0-9+.-]+:/ && $2 !~ /^cdrom:/ {
		base = $5; sub(/.*\//, "", base)
		if ($5 != "" && $5 != "inline" && base ~ /^debian-archive-/ && base !~ /removed/) {
			if (signed == "") signed = $2 "\t" $5
		} else if ($5 == "" && deftrust) {
			if (unsigned == "") unsigned = $2 "\t"
		}
	}
	END {
		if (signed != "") print signed
		else if (unsigned != "") print unsigned
		else exit 1
	}'
}

# entry TYPE SUITE URI SIGNED-BY: one line of sources.list. (The deb-src
# entry for `apt-get source` is `entry deb-src $suite "$uri" "$kr"`.)
entry() {
	echo "$1 ${4:+[signed-by=$4] }$3 $2 main"
}

# backports_entry ROOT: the bookworm-backports entry to add to ROOT's sources.
backports_entry() {
	a=$(debian_archive "$1") || {
		echo "deps: no Debian archive entry for $suite in $1/etc/apt/sources.list{,.d} (a 'deb' line or deb822 stanza with suite $suite and component main, signed by debian-archive-keyring); add bookworm-backports by hand" >&2
		return 1
	}
	uri=$(printf '%s\n' "$a" | cut -f1)
	kr=$(printf '%s\n' "$a" | cut -f2)
	entry deb "$suite-backports" "$uri" "$kr"
}

# has_backports ROOT: ROOT's sources already list $suite-backports.
has_backports() {
	sources_entries "$1" | awk -F '\t' -v s="$suite-backports" '$1 == "deb" && $3 == s { found = 1 } END { exit !found }'
}

if [ "${1:-}" = --print-backports-entry ]; then
	r=${2:-${root:-/}}
	r=${r%/}
	backports_entry "$r"
	! has_backports "$r" || echo "deps: (${r:-/} already lists $suite-backports: nothing would be written)" >&2
	exit 0
elif [ $# -gt 0 ]; then
	echo "usage: deps.sh [--print-backports-entry [ROOT]]" >&2
	exit 2
fi

# libclang-rt-dev: libFuzzer and the sanitizers' runtimes for clang (make
# fuzz): clang's packages only recommend it, and apt-get runs --no-install-recommends.
# Secure Boot (make image SIGN=...): sbsigntool signs the loader, openssl
# converts the certificate, shim-signed brings Microsoft-signed shim and
# MokManager (SHIM=1); python3-virt-firmware (bookworm-backports on Debian
# 12) enrolls the test key in a copy of OVMF's variables.
pkgs="qemu-system-x86 qemu-utils nasm gnu-efi ovmf xorriso mtools dosfstools fdisk python3 gdb binutils gcc make clang libclang-rt-dev console-setup-linux sbsigntool openssl shim-signed python3-virt-firmware"
# what each package gives, to detect a missing one cheaply
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done

need_bpo=no
if [ -r "$root/etc/os-release" ] && grep -q "^VERSION_CODENAME=$suite" "$root/etc/os-release"; then
	qv=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
	case "$qv" in
	1:1[0-9].*) ;;
	*) need_bpo=yes; case " $missing " in *" qemu-system-x86 "*) ;; *) missing="$missing qemu-system-x86" ;; esac ;;
	esac
	case " $missing " in *" python3-virt-firmware "*) need_bpo=yes ;; esac
fi

[ -z "$missing" ] && exit 0

echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root. Install them as root, then run make again:" >&2
	echo "      sudo apt-get install$missing" >&2
	[ "$need_bpo" = no ] || echo "      (qemu-system-x86 from bookworm-backports: sudo make deps)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
logdir=$(mktemp -d "${TMPDIR:-/tmp}/rt-deps.XXXXXX")
log=$logdir/apt.log
added=""
# On any way out: an entry added but not yet proven by apt-get update goes
# again; the log goes too unless something failed.
cleanup() {
	rc=$?
	[ -z "$added" ] || rm -f "$added"
	[ "$rc" != 0 ] || rm -rf "$logdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

fail() {
	tail -20 "$log" >&2
	echo "deps: $*; the whole log is in $log" >&2
	exit 1
}

updated=no
if [ "$need_bpo" = yes ] && ! has_backports "$root"; then
	line=$(backports_entry "$root") || exit 1
	list=$root/etc/apt/sources.list.d/rt-backports.list
	echo "deps: adding $list: $line"
	added=$list
	echo "$line" >"$list"
	echo "deps: apt-get update (log: $log)"
	if ! apt-get update >>"$log" 2>&1; then
		rm -f "$list"; added=""
		fail "apt-get update failed with the new $suite-backports entry; removed $list again, apt's sources are as they were"
	fi
	if ! apt-cache policy 2>>"$log" | grep -Eq "n=$suite-backports(,|\$)"; then
		rm -f "$list"; added=""
		fail "apt-get update brought no $suite-backports from that entry; removed $list again, apt's sources are as they were"
	fi
	added=""
	updated=yes
fi

# Two steps: everything but QEMU from the stable suite first, then QEMU
# from backports. In the other order QEMU's dependencies would bring
# backports' libelf1, which stable's gdb (libdw1) cannot live with.
rest="" qemu=""
for p in $missing; do
	case "$p" in
	qemu-system-x86|qemu-utils|python3-virt-firmware) qemu="$qemu $p" ;;
	*) rest="$rest $p" ;;
	esac
done
bpo=""
[ "$need_bpo" = no ] || bpo="-t $suite-backports"
echo "deps: apt-get install$rest$qemu (log: $log)"
if ! { { [ "$updated" = yes ] || apt-get update; } &&
       { [ -z "$rest" ] || apt-get install -y --no-install-recommends $rest; } &&
       { [ -z "$qemu" ] || apt-get install -y --no-install-recommends $bpo $qemu qemu-utils; }; } >>"$log" 2>&1; then
	fail "apt-get failed"
fi
echo "deps: done"
