/*
 * trap.c - what happens when the CPU takes an exception.
 *
 * The runtime registers a hook at boot (set_trap_hook) that turns a fault
 * in a goroutine into Go's panic and anything else into a fatal error;
 * trap_report prints the machine's side of it: vector, error code, RIP with
 * its symbol, CR2 for page faults, the registers. Without a hook (a trap
 * before the runtime is up) the kernel reports and exits with status 2
 * itself. Either way: never a silent reboot.
 */
#include "kernel.h"
#include "cpu.h"

static trap_hook_fn trap_hook;
static intr_handler_fn intr_handlers[256];

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
	"invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
	"invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point error", "virtualization exception", "control protection exception",
};

void set_trap_hook(trap_hook_fn fn) { trap_hook = fn; }

void set_intr_handler(uint8_t vector, intr_handler_fn fn) { intr_handlers[vector] = fn; }

/* interrupt: a device or IPI vector (32 and up). Spurious interrupts are
 * not acknowledged (the APIC did not deliver one); the rest are, after
 * their handler, which must be short and must not block. */
static void interrupt(struct trapframe *tf)
{
	if (tf->vector == SPURIOUS_VECTOR)
		return;
	if (tf->vector == TIMER_VECTOR)
		watchdog_tick();
	intr_handler_fn fn = intr_handlers[tf->vector];
	if (fn)
		fn(tf);
	else if (tf->vector != WAKE_VECTOR)
		kprintf("kernel: unexpected interrupt %lu on CPU %d\n", tf->vector, cpu_index());
	watchdog_rearm();
	lapic_eoi();
}

const char *trap_name(uint64_t vector)
{
	if (vector < 32)
		return names[vector] ? names[vector] : "reserved";
	return "interrupt";
}

static void print_symbol(uint64_t addr)
{
	uint64_t off;
	const char *s = ksym_lookup(addr, &off);
	if (s)
		kprintf("%s+0x%lx", s, off);
	else
		kprintf("?");
}

void trap_report(const struct trapframe *tf)
{
	kprintf("trap: vector %lu (%s), error code 0x%lx\n", tf->vector, trap_name(tf->vector), tf->error);
	kprintf("rip    0x%016lx ", tf->rip);
	print_symbol(tf->rip);
	kprintf("\n");
	if (tf->vector == T_PAGE_FAULT)
		kprintf("cr2    0x%016lx (%s, %s, %s)\n", read_cr2(),
		        tf->error & 1 ? "protection violation" : "not present",
		        tf->error & 2 ? "write" : "read",
		        tf->error & 16 ? "instruction fetch" : "data");
	kprintf("rax    0x%016lx  rbx    0x%016lx  rcx    0x%016lx\n", tf->rax, tf->rbx, tf->rcx);
	kprintf("rdx    0x%016lx  rsi    0x%016lx  rdi    0x%016lx\n", tf->rdx, tf->rsi, tf->rdi);
	kprintf("rbp    0x%016lx  rsp    0x%016lx  r8     0x%016lx\n", tf->rbp, tf->rsp, tf->r8);
	kprintf("r9     0x%016lx  r10    0x%016lx  r11    0x%016lx\n", tf->r9, tf->r10, tf->r11);
	kprintf("r12    0x%016lx  r13    0x%016lx  r14    0x%016lx\n", tf->r12, tf->r13, tf->r14);
	kprintf("r15    0x%016lx  rflags 0x%016lx  cs     0x%lx  ss 0x%lx\n", tf->r15, tf->rflags, tf->cs, tf->ss);
}

/* trap is called by trap_common (trapasm.asm) with interrupts off. */
void trap(struct trapframe *tf)
{
	if (tf->vector == T_NMI && watchdog_probe((tf->rflags & (1u << 9)) != 0) == WD_RESUME)
		return;         /* the lockup watchdog's probe, answered */
	if (tf->vector >= 32 && tf->vector != T_DOUBLE_FAULT) {
		interrupt(tf);
		return;
	}
	if (trap_hook) {
		trap_hook(tf);
		return;
	}
	trap_report(tf);
	kprintf("fatal error: unexpected trap\n");
	kprintf("exit status 2\n");
	machine_exit(2);
}
