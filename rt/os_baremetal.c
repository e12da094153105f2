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
static uint64_t tick_per_ns32;  /* TSC ticks per ns, 32.32 fixed point */

static void on_timer(struct trapframe *tf);
static void on_preempt(struct trapframe *tf);

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

static void setclockrate(uint64_t hz)
{
	tsc_hz = hz;
	tick_per_ns32 = ((hz / 1000) << 32) / 1000000;
	ns_per_tick_32 = (1000000000ull << 32) / hz;
}

/* onexitinit reads what the machine does after "exit status N"
 * (kernel/power.c): first, so that an end during boot follows it too. */
static void onexitinit(void)
{
	static const char *const how[] = { "halt", "poweroff", "reboot" };
	static const char *const off[] = { "efi", "acpi" };
	int h = getenv_choice("onexit", how, 3, 3), o = getenv_choice("poweroff", off, 2, 0);
	if (h < 0 || o < 0)
		exit(2);
	machine_onexit(h == 3 ? ONEXIT_DEFAULT : h == 0 ? ONEXIT_HALT : h == 1 ? ONEXIT_POWEROFF : ONEXIT_REBOOT,
	               o == 1);
}

void osinit(void)
{
	inittrace_mark("osinit");
	onexitinit();
	smp_init((int)getenv_int("maxcpus", 0, 0, MAXCPU));    /* ACPI MADT, this CPU's APIC */
	ncpu = ncpus;                   /* newm may find some do not answer */
	physPageSize = 4096;
	lapic_timer_calib_start();      /* measured from here to osclockfinish */
	setclockrate(tsc_calibrate(gogetenv("clocksource")));  /* never 0: a guess at worst */
	set_intr_handler(TIMER_VECTOR, on_timer);
	set_intr_handler(PREEMPT_VECTOR, on_preempt);
}

/*
 * osclockfinish ends the clock's calibration, in schedinit before
 * anything has kept a time: the TSC's rate over the reference clock's
 * long window (tsc.c), then the APIC timer's against the TSC over the
 * same stretch. osinit's rate until here is good to a fraction of a
 * percent; the boot's work in between is the waiting a calibration
 * needs, so it costs no time of its own.
 */
void osclockfinish(void)
{
	setclockrate(tsc_calibrate_finish());
	if (tsc_report_notable()) {     /* a clock failed, CPUID's rate was off, a guess: say so */
		printf("tsc: ");
		tsc_report();
		printf("\n");
	}
	lapic_timer_init(tsc_hz);
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

_Noreturn /* ---- CPUs ---- */

#define G0_STACK 65536

/* mstart_ap is where an AP arrives (kernel/smp.c's ap_main) on its g0
 * stack: it becomes its M. */
static void mstart_ap(void *arg)
{
	m *mp = arg;
	mp->tls[0] = (uintptr_t)mp->g0;
	settls(mp->tls);
	mstart();
}

/* newosproc starts the CPU an M stands for, on a g0 stack with a guard
 * page below it. */
bool newosproc(m *mp)
{
	char *v = sysReserve(G0_STACK + 4096);
	if (!v || !sysMap(v + 4096, G0_STACK))
		throw("newosproc: no memory for a g0 stack");
	g *g0p = malloc(sizeof *g0p);
	g0p->stack = (struct stack){ (uintptr_t)v + 4096, (uintptr_t)v + 4096 + G0_STACK };
	g0p->stackguard0 = g0p->stack.lo + 1024;
	g0p->stackmapped = g0p->stack.lo;
	g0p->m = mp;
	g0p->goid = 0;
	g0p->atomicstatus = _Grunning;
	mp->g0 = g0p;
	return cpu_start(mp->cpu, g0p->stack.hi, mstart_ap, mp);
}

void osidle(uint32_t *key)
{
	cpu_idle(key);
}

/* ---- this CPU's timer ---- */

int64_t sysmon_next;                    /* CPU 0's next sysmon round (nanotime); CPU 0 only */

static uint64_t ns_to_tsc(int64_t ns)
{
	return rt0_tsc + (uint64_t)(((unsigned __int128)(uint64_t)ns * tick_per_ns32) >> 32);
}

/* ostimer_rearm arms this CPU's timer for the earliest of what it waits
 * for: its idle deadline, and on CPU 0 sysmon's next round. */
void ostimer_rearm(m *mp)
{
	int64_t when = mp->timerwhen;
	if (mp->cpu == 0 && sysmon_next && (!when || sysmon_next < when))
		when = sysmon_next;
	lapic_timer_arm(when ? ns_to_tsc(when) : 0);
}

/* osidle_until halts until *key is set, an interrupt, or when. */
void osidle_until(uint32_t *key, int64_t when)
{
	m *mp = acquirem();
	mp->timerwhen = when;
	ostimer_rearm(mp);
	cpu_idle(key);
	mp->timerwhen = 0;
	ostimer_rearm(mp);
	mp->locks--;            /* no preemption on g0 anyway */
}

static void on_timer(struct trapframe *tf)
{
	timerintr(tf);
}

static void on_preempt(struct trapframe *tf)
{
	preemptintr(tf);
}

void ospreempt(int cpu)
{
	if (cpu >= 0)
		cpu_preempt(cpu);
}

const char *ostimermode(void) { return lapic_timer_mode(); }
uint32_t osxsavesize(void) { return cpu_xsave_size(); }

void oswakeup(int cpu)
{
	if (cpu >= 0)
		cpu_wake(cpu);
}

void osenableintr(void)
{
	__asm__ volatile("sti" ::: "memory");
}

const char *osclocksource(void) { return tsc_source(); }

struct enableargs {
	void (*hook)(void);
	bool ok;
};

static void osconsole_enable_g0(void *arg)
{
	struct enableargs *a = arg;
	a->ok = serial_enable_rx(a->hook);
}

/* osconsole_enable maps the I/O APIC (the page tables' lock): on g0's
 * stack, never a goroutine's (mem_baremetal.c says why). */
bool osconsole_enable(void (*hook)(void))
{
	struct enableargs a = { hook, false };
	systemstack(osconsole_enable_g0, &a);
	return a.ok;
}
size_t osconsole_read(char *buf, size_t n) { return serial_read(buf, n); }

/* checktscskew reports CPUs whose TSC is off the boot CPU's by more than a
 * few microseconds beyond what the measurement can tell. */
void checktscskew(void)
{
	for (int i = 1; i < ncpu; i++) {
		int64_t skew = cpus[i].tsc_skew;
		uint64_t abs = skew < 0 ? (uint64_t)-skew : (uint64_t)skew;
		if (abs > cpus[i].tsc_skew_err + tsc_hz / 200000)        /* 5 us */
			printf("runtime: CPU %d's TSC is %ld ns off the boot CPU's (+-%ld ns); nanotime may go backward across CPUs\n",
			       i, ticks_to_ns(abs) * (skew < 0 ? -1 : 1), ticks_to_ns(cpus[i].tsc_skew_err));
	}
}

void exitmachine(int code)
{
	machine_exit(code);
}

/* for the NMI report (signal_amd64.c) */
int oscpuindex(void) { return cpu_index(); }
int oscpucount(void) { return ncpus; }
bool oscpuonline(int cpu) { return __atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE) != 0; }
void osnmicpu(int cpu) { lapic_ipi_nmi(cpus[cpu].apicid); }
int osconsoleowner(void) { return console_owner(); }
bool osexiting(void) { return machine_exiting(); }
void oswatchdogresync(void) { watchdog_resync(); }

bool oswatchdogstart(void) { return watchdog_start(tsc_hz); }
void oswatchdogstop(void) { watchdog_stop(); }
bool oswatchdognmi(void) { return watchdog_nmi(); }

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
