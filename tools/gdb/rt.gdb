# rt.gdb - what `make debug` loads into gdb (with build/kernel.elf's symbols).
#
# The firmware and the loader run first; the kernel is not in memory until
# the loader has copied it, so the first stop is a hardware breakpoint on
# the ELF entry point, which needs no code to patch. From there on the
# kernel is mapped and ordinary breakpoints work: b runtime_main, c, n,
# info registers, as in a gdb session on a Go binary.
#
# rt-gdb.py adds info goroutines, goroutine N bt, info ps and info ms
# (docs/debugging.md); the path is from the top of the tree, where make
# debug runs gdb.
source tools/gdb/rt-gdb.py
set pagination off
set confirm off
set disassembly-flavor intel
target remote localhost:${RT_GDB_PORT}
hbreak _rt0_amd64_efi
continue
delete
echo \nAt the kernel's entry point (_rt0_amd64_efi). Try:\n
echo   b runtime_main / b main_main, c, n, si, info registers, bt, x/8i $pc\n
echo   info goroutines, goroutine N bt, info ps, info ms (once main_main runs)\n\n
