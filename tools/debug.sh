#!/bin/sh
# debug.sh BUILD QEMU-COMMAND - `make debug`: QEMU halted with its gdb stub,
# the serial console to BUILD/debug-serial.log, and gdb in the terminal
# with kernel.elf's symbols. Quitting gdb stops QEMU.
set -eu
build=$1
qemu=$2
port=${RT_GDB_PORT:-1234}
log=$build/debug-serial.log

$qemu --gdb "$port" </dev/null >"$log" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT INT TERM
echo "debug: QEMU (pid $qpid) halted, gdb stub on :$port; serial console in $log (tail -f it)"
# gdb's script cannot read the environment in a target command: fill it in
sed "s/\${RT_GDB_PORT}/$port/" tools/gdb/rt.gdb > "$build/rt.gdb"
sleep 1
gdb -q -x "$build/rt.gdb" "$build/kernel.elf"
