/*
 * os_baremetal.c - the runtime's OS layer, as Go's os_linux.go: the only
 * runtime file (with mem_baremetal.c) that calls into kernel/. It sets the
 * per-CPU TLS, counts CPUs and calibrates the clock (osinit), writes the
 * console, ends the machine, and registers the hooks through which the
 * kernel reaches the runtime (printing, traps).
 */
#include "runtime.h"
#include "os.h"
#include "print.h"
#include "../kernel/kernel.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"

extern uint64_t rt0_tsc;        /* rt0_efi_amd64.asm: TSC at the first instruction */

int32_t ncpu;
int32_t physPageSize;
uint64_t tsc_hz;                /* TSC ticks per second, from osinit */
static uint64_t ns_per_tick_32; /* ns per tick, 32.32 fixed point */

/* settls points GS base at the m's TLS block (Go's settls: arch_prctl). */
void settls(uintptr_t *tls)
{
	wrmsr(MSR_GS_BASE, (uint64_t)tls);
}

static int print_hook(const char *fmt, va_list ap)
{
	return vprintf(fmt, ap);
}

/* osearlyinit: what the OS did for a Go process before its first
 * instruction: a console, descriptors, trap handling. */
void osearlyinit(uint64_t bootinfo_phys)
{
	set_print_hook(print_hook);
	kinit(bootinfo_phys);
	set_trap_hook(sigtrap);
}

void write_console(const char *s, size_t n)
{
	console_write(s, n);
}

const char *getcmdline(void)
{
	return kcmdline();
}

/*
 * calibrate_tsc measures the TSC against PIT channel 2 (1.193182 MHz)
 * over 10 ms, polling its output bit; CPUID leaf 15h wins where it states
 * the frequency. The full clock selection (HPET, ACPI PM timer) comes with
 * the timer work; the PIT is on every PC-compatible machine QEMU emulates.
 */
static uint64_t calibrate_tsc(void)
{
	uint32_t r[4];
	x86_cpuid(0, 0, r);
	if (r[0] >= 0x15) {
		x86_cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	const uint32_t ticks = 11932;   /* 10 ms of the PIT's 1.193182 MHz */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);  /* gate on, speaker off */
	outb(0x43, 0xb0);                       /* channel 2, lo/hi, mode 0 */
	outb(0x42, ticks & 0xff);
	outb(0x42, ticks >> 8);
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; !(inb(0x61) & 0x20); i++)
		if (i > 100000000)
			return 0;               /* no PIT: caller falls back */
	uint64_t t1 = rdtsc();
	return (t1 - t0) * 100;
}

void osinit(void)
{
	inittrace_mark("osinit");
	ncpu = 1;                       /* the other CPUs come with SMP bring-up */
	physPageSize = 4096;
	tsc_hz = calibrate_tsc();
	if (tsc_hz == 0) {
		printf("runtime: cannot calibrate the TSC; assuming 1 GHz\n");
		tsc_hz = 1000000000;
	}
	ns_per_tick_32 = (1000000000ull << 32) / tsc_hz;
}

uint64_t cputicks(void)
{
	return rdtsc();
}

/* ticks_to_ns converts TSC ticks by a 32.32 fixed-point multiplier: a
 * multiply and a shift, no division (and no libgcc) on the clock path. */
int64_t ticks_to_ns(uint64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * ns_per_tick_32) >> 32);
}

int64_t nanotime(void)
{
	return ticks_to_ns(rdtsc() - rt0_tsc);
}

uint64_t rt0_ticks(void)
{
	return rt0_tsc;
}

_Noreturn void exitmachine(int code)
{
	machine_exit(code);
}

_Noreturn void osyield_halt(void)
{
	machine_halt();
}

const char *funcname(uintptr_t pc, uintptr_t *off)
{
	uint64_t o = 0;
	const char *s = ksym_lookup(pc, &o);
	*off = o;
	return s;
}

void print_trap_report(struct trapframe *tf)
{
	trap_report(tf);
}

uint64_t faultaddr(void)
{
	return read_cr2();
}
