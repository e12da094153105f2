#!/bin/sh
# external_app.sh BUILD - a program written outside the repository against
# include/rt.h, built with `make image APP=/its/path.c` into BUILD/ext and
# booted: its output and its exit status must come through.
set -eu
build=$1
dir=$(mktemp -d /tmp/rt-external-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/prog.c" <<'PROG'
#include <rt.h>

static int inits;
static void setup(void) { inits++; }
RT_INIT(setup);

static volatile int sum;
static void add(void *arg) { sum += (int)(intptr_t)arg; }

void main_main(void)
{
	for (int i = 1; i <= 10; i++)
		go(add, (void *)(intptr_t)i);
	while (sum < 55)
		gosched();
	printf("external program: inits=%d sum=%d goid=%ld\n", inits, sum, goid());
	exit(7);
}
PROG
make --no-print-directory -s image BUILD="$build/ext" APP="$dir/prog.c" CMDLINE= >/dev/null
out=$(python3 tools/qemu.py --image "$build/ext/usb.img" --smp 1 </dev/null 2>&1) && rc=0 || rc=$?
if [ "$rc" = 7 ] && printf '%s\n' "$out" | grep -q '^external program: inits=1 sum=55 goid=1' &&
   printf '%s\n' "$out" | tr -d '\r' | grep -q '^exit status 7$'; then
	echo "PASS external-app: built from $dir/prog.c, exit status 7"
else
	echo "FAIL external-app: QEMU status $rc"
	printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
	exit 1
fi
