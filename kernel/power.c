/*
 * power.c - the end of a run.
 *
 * Under QEMU, isa-debug-exit (port 0xf4) makes QEMU exit with
 * (code << 1) | 1, which the harness reads; the port is written only when
 * the hypervisor leaf says QEMU, since on a real PC an unknown port is not
 * ours to poke. Where that did not end the machine, the command line's
 * onexit= decides (machine_onexit), by default:
 *
 *   exit status 0   power off: EFI ResetSystem(EfiResetShutdown), else
 *                   ACPI soft off (S5: SLP_TYP | SLP_EN into the FADT's
 *                   PM1 control blocks, SLP_TYP from the DSDT's \_S5_)
 *   any other       halt: the message stays on the screen and the serial
 *                   line, and a last line says how to leave: P (power off)
 *                   or R (reboot) on the keyboard or the serial console.
 *                   Every other CPU is stopped; this one sleeps in hlt with
 *                   only the keyboard's and the serial port's interrupts
 *                   to wake it.
 *   reboot          EFI ResetSystem(EfiResetCold), else the PCI reset
 *                   register 0xcf9, else the keyboard controller's reset
 *                   line, else a triple fault.
 *
 * A power-off that does not take halts as above, after saying so.
 */
#include "kernel.h"
#include "cpu.h"
#include "console.h"
#include "acpi.h"

extern struct acpi_info acpi;           /* smp.c */

#define EFI_RESET_COLD     0
#define EFI_RESET_SHUTDOWN 2
#define RT_RESET_SYSTEM_OFFSET 104      /* EFI_RUNTIME_SERVICES: header + 10 pointers */

#define KBD_VECTOR 0xe1                 /* the keyboard's IRQ 1 while halted */

/* PM1 control register */
#define PM1_SCI_EN      (1u << 0)
#define PM1_SLP_TYP(t)  ((uint16_t)((t) << 10))
#define PM1_SLP_TYP_MASK (7u << 10)
#define PM1_SLP_EN      (1u << 13)

typedef void (__attribute__((ms_abi)) *efi_reset_fn)(int type, uint64_t status, uint64_t size, void *data);

static int onexit;                      /* ONEXIT_*; ONEXIT_DEFAULT: by the status */
static bool acpi_only;                  /* poweroff=acpi: soft off without the firmware */
static uint32_t exiting;                /* atomic: a CPU is in machine_exit */

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

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

void machine_onexit(int how, bool acpi_poweroff)
{
	onexit = how;
	acpi_only = acpi_poweroff;
}

bool machine_exiting(void)
{
	return __atomic_load_n(&exiting, __ATOMIC_ACQUIRE) != 0;
}

_Noreturn void machine_halt(void)
{
	for (;;) {
		cli();
		halt();
	}
}

/* efi_reset calls ResetSystem where the firmware's runtime services are
 * mapped (vm.c maps exactly their regions 1:1: SetVirtualAddressMap was
 * never called); it returns when it cannot, or when the firmware did. */
static void efi_reset(int type, uint64_t status)
{
	if (!bootinfo || !bootinfo->efi_runtime)
		return;
	uint64_t rt = bootinfo->efi_runtime;
	if (!vm_mapped(rt + RT_RESET_SYSTEM_OFFSET))
		return;
	efi_reset_fn reset = *(efi_reset_fn *)(rt + RT_RESET_SYSTEM_OFFSET);
	if (reset && vm_mapped((uint64_t)reset))
		reset(type, status, 0, 0);
}

/* acpi_enable_mode hands the PM1 registers to us (SCI_EN), as an OS does
 * before writing them: on a legacy-mode chipset the firmware owns them. */
static void acpi_enable_mode(void)
{
	if ((inw(acpi.pm1a_cnt ? acpi.pm1a_cnt : acpi.pm1b_cnt) & PM1_SCI_EN) ||
	    !acpi.smi_cmd || !acpi.acpi_enable)
		return;
	outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
	for (int ms = 0; ms < 300; ms++) {
		if (inw(acpi.pm1a_cnt ? acpi.pm1a_cnt : acpi.pm1b_cnt) & PM1_SCI_EN)
			return;
		tsc_delay_us(1000);
	}
}

static void pm1_write(uint16_t port, uint8_t typ)
{
	if (!port)
		return;
	uint16_t v = inw(port) & (uint16_t)~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
	outw(port, v | PM1_SLP_TYP(typ) | PM1_SLP_EN);
}

/* acpi_soft_off: S5 through the PM1 control blocks (a block first, then
 * b, as the specification orders); returns when the machine is still on
 * half a second later, or when the tables gave no way. */
static void acpi_soft_off(void)
{
	if (!acpi.s5) {
		kprintf("poweroff: no ACPI soft off (no PM1 control block or no \\_S5_ in the DSDT)\n");
		return;
	}
	kprintf("poweroff: ACPI S5 (PM1a 0x%x, PM1b 0x%x, SLP_TYP %u/%u)\n",
	        acpi.pm1a_cnt, acpi.pm1b_cnt, acpi.slp_typa, acpi.slp_typb);
	acpi_enable_mode();
	pm1_write(acpi.pm1a_cnt, acpi.slp_typa);
	pm1_write(acpi.pm1b_cnt, acpi.slp_typb);
	tsc_delay_us(500000);
}

static void power_off(int code)
{
	if (!acpi_only)
		efi_reset(EFI_RESET_SHUTDOWN, code ? 0x8000000000000015ull /* EFI_ABORTED */ : 0);
	acpi_soft_off();
}

/* reboot: the firmware's way, then the chipset's reset register, then the
 * keyboard controller's reset line, then a triple fault (an empty IDT and
 * an exception), which resets every PC. */
static _Noreturn void reboot(void)
{
	efi_reset(EFI_RESET_COLD, 0);
	uint8_t cf9 = inb(0xcf9) & (uint8_t)~0x06;
	outb(0xcf9, cf9 | 0x02);                /* hard reset, armed */
	tsc_delay_us(50);
	outb(0xcf9, cf9 | 0x06);                /* and done */
	tsc_delay_us(100000);
	for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		cpu_relax();
	outb(0x64, 0xfe);                       /* pulse the reset line */
	tsc_delay_us(100000);
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(none));
	machine_halt();
}

/* ---- halted, waiting for a key ---- */

static void wakeup(struct trapframe *tf)
{
	(void)tf;               /* the loop in halt_for_key reads the devices */
}

/* key: the next P or R from the keyboard or the serial line, 0 if none. */
static int key(void)
{
	int c;
	while ((c = i8042_key()) >= 0)
		if (c == 'p' || c == 'r')
			return c;
	while ((c = serial_getc_nowait()) >= 0) {
		if (c == 'p' || c == 'P')
			return 'p';
		if (c == 'r' || c == 'R')
			return 'r';
	}
	return 0;
}

/* quiet_interrupts hands every vector that could still come here to a
 * handler that only wakes this CPU: the runtime is over, and its timer,
 * preemption and console handlers must not run again. */
static void quiet_interrupts(void)
{
	static const uint8_t v[] = { TIMER_VECTOR, PREEMPT_VECTOR, WAKE_VECTOR, STOP_VECTOR,
	                             CONSOLE_VECTOR, KBD_VECTOR };
	for (unsigned i = 0; i < sizeof v; i++)
		set_intr_handler(v[i], wakeup);
	lapic_timer_arm(0);
}

static _Noreturn void halt_for_key(int code)
{
	quiet_interrupts();
	bool kbd = i8042_enable(KBD_VECTOR);
	bool ser = serial_enable_rx(0);
	if (ser) {
		/* COM1 (IRQ 4) or COM2 (IRQ 3): to this CPU, the only one awake */
		set_intr_handler(CONSOLE_VECTOR, wakeup);
		ioapic_route_isa(4, CONSOLE_VECTOR, lapic_id());
		ioapic_route_isa(3, CONSOLE_VECTOR, lapic_id());
	}
	while (serial_getc_nowait() >= 0)
		;               /* what was typed before this line was not an answer to it */
	if (kbd || ser)
		kprintf("halted: press P to power off, R to reboot\n");
	else
		kprintf("halted: no keyboard or serial input; switch the machine off\n");
	for (;;) {
		int c = key();
		if (c == 'r')
			reboot();
		if (c == 'p') {
			power_off(code);
			kprintf("halted: the machine did not switch off; press R to reboot\n");
		}
		__asm__ volatile("sti; hlt; cli" ::: "memory");     /* sti's shadow: no wake-up lost */
	}
}

/* The end runs on a stack of its own: the caller's may be a goroutine's,
 * grown a page at a time by a fault the runtime handles, or an interrupt
 * stack; neither suits the firmware or a wait that never ends. */
static uint8_t exit_stack[65536] __attribute__((aligned(16)));
static int exit_code;

static _Noreturn void finish(void);

_Noreturn void machine_exit(int code)
{
	cli();
	if (__atomic_exchange_n(&exiting, 1, __ATOMIC_ACQ_REL))
		machine_halt();         /* another CPU is ending the run */
	exit_code = code;
	__asm__ volatile("mov %0, %%rsp; xor %%ebp, %%ebp; call *%1"
	                 : : "r"(exit_stack + sizeof exit_stack), "r"(finish) : "memory");
	__builtin_unreachable();
}

static _Noreturn void finish(void)
{
	int code = exit_code;
	watchdog_stop();        /* the other CPUs are about to stop ticking */
	cpus_stop();
	if (cpu_under_qemu())
		outb(0xf4, (uint8_t)code);      /* isa-debug-exit, where present, ends QEMU here */
	int how = onexit != ONEXIT_DEFAULT ? onexit : code ? ONEXIT_HALT : ONEXIT_POWEROFF;
	if (how == ONEXIT_REBOOT)
		reboot();
	if (how == ONEXIT_POWEROFF) {
		power_off(code);
		kprintf("poweroff: the machine did not switch off\n");
	}
	halt_for_key(code);
}
