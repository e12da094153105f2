/*
 * power.c - the end of a run. Under QEMU, isa-debug-exit (port 0xf4) makes
 * QEMU exit with (code << 1) | 1, which the harness reads; the port is
 * written only when the hypervisor leaf says QEMU, since on a real PC an
 * unknown port is not ours to poke. Otherwise EFI ResetSystem(shutdown),
 * and if that returns, halt with interrupts off.
 */
#include "kernel.h"
#include "cpu.h"

#define EFI_RESET_SHUTDOWN 2
#define RT_RESET_SYSTEM_OFFSET 104      /* EFI_RUNTIME_SERVICES: header + 10 pointers */

typedef void (__attribute__((ms_abi)) *efi_reset_fn)(int type, uint64_t status, uint64_t size, void *data);

bool cpu_under_qemu(void)
{
	uint32_t r[4];
	x86_cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))       /* no hypervisor */
		return false;
	x86_cpuid(0x40000000, 0, r);
	char sig[12];
	__builtin_memcpy(sig, &r[1], 4);
	__builtin_memcpy(sig + 4, &r[2], 4);
	__builtin_memcpy(sig + 8, &r[3], 4);
	return __builtin_memcmp(sig, "TCGTCGTCGTCG", 12) == 0 || __builtin_memcmp(sig, "KVMKVMKVM\0\0\0", 12) == 0;
}

_Noreturn void machine_halt(void)
{
	for (;;) {
		cli();
		halt();
	}
}

_Noreturn void machine_exit(int code)
{
	cli();
	watchdog_stop();        /* the other CPUs are about to stop ticking */
	cpus_stop();
	if (cpu_under_qemu())
		outb(0xf4, (uint8_t)code);
	if (bootinfo && bootinfo->efi_runtime) {
		/* Runtime services were never moved (no SetVirtualAddressMap):
		 * they run 1:1, and vm.c keeps exactly their regions mapped so. */
		uint64_t rt = bootinfo->efi_runtime;
		efi_reset_fn reset = vm_mapped(rt + RT_RESET_SYSTEM_OFFSET) ?
		                     *(efi_reset_fn *)(rt + RT_RESET_SYSTEM_OFFSET) : NULL;
		if (reset && vm_mapped((uint64_t)reset))        /* not when vm.c could not map it */
			reset(EFI_RESET_SHUTDOWN, code ? 0x8000000000000015ull /* EFI_ABORTED */ : 0, 0, 0);
	}
	machine_halt();
}
