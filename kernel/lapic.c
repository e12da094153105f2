/*
 * lapic.c - this CPU's local APIC: identity, end of interrupt, and the
 * inter-processor interrupts SMP needs (INIT and STARTUP to start a CPU,
 * fixed vectors to wake one or flush its TLB).
 *
 * LINT0/LINT1 carry NMIs where the MADT says so (lapic_lint_nmi).
 *
 * x2APIC mode (MSRs) when CPUID says the CPU has it, else xAPIC (MMIO at
 * the MADT's address, mapped uncached). Every CPU runs the same mode: the
 * BSP decides in lapic_init and the APs follow.
 */
#include "kernel.h"
#include "cpu.h"
#include "timemath.h"
#include "acpi.h"

extern struct acpi_info acpi;           /* smp.c: the MADT's NMI entries */
#include "clockcheck.h"

#define MSR_APIC_BASE   0x1b
#define APIC_BASE_EN    (1ull << 11)
#define APIC_BASE_X2    (1ull << 10)
#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

/* register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset/16) */
enum {
	LAPIC_TIMER_INIT = 0x380, LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3e0,
	LAPIC_ID = 0x20, LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0, LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
	LAPIC_TPR = 0x80, LAPIC_PPR = 0xa0, LAPIC_IRR = 0x200,
};
#define LVT_MASKED (1u << 16)
#define LVT_NMI        (4u << 8)        /* delivery mode NMI */
#define LVT_ACTIVE_LOW (1u << 13)
#define ICR_PENDING (1u << 12)

static bool x2apic;
static volatile uint32_t *mmio;         /* xAPIC registers, uncached */
static bool tscdeadline;                /* the timer counts to a TSC value */
static uint64_t timer_per_tsc32;        /* one-shot mode: timer ticks per TSC tick, 32.32 fixed point */

#define MSR_TSC_DEADLINE 0x6e0
#define LVT_ONESHOT     (0u << 17)
#define LVT_TSCDEADLINE (2u << 17)

static uint32_t rd(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		mmio[reg / 4] = v;
}

bool lapic_x2apic(void) { return x2apic; }

uint32_t lapic_id(void)
{
	uint32_t id = rd(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

/* lapic_set_tpr: interrupts of a priority class at or below tpr >> 4 wait
 * (a test plants with it the state a lost EOI leaves behind). */
void lapic_set_tpr(uint8_t tpr)
{
	wr(LAPIC_TPR, tpr);
}

/* lapic_timer_blocked: whether this CPU's timer interrupt could not be
 * taken now for its priority (an interrupt of its class or above in
 * service, or the task priority), whatever the interrupt flag says. */
bool lapic_timer_blocked(void)
{
	return (rd(LAPIC_PPR) & 0xf0) >= (TIMER_VECTOR & 0xf0);
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

/*
 * lapic_lint_nmi makes this CPU's LINT pins that the MADT's NMI entries
 * name (for this processor's ACPI uid, or for all) deliver NMIs: how a
 * board's NMI button or a server's management controller asks the CPUs
 * what they are doing. The polarity comes from the entry's flags (01
 * active high, 11 low; 00 the bus's default, high); an NMI pin is always
 * edge-triggered, whatever the entry says. Written after the software
 * enable, which until then holds every LVT masked.
 */
static void lapic_lint_nmi(void)
{
	uint32_t id = lapic_id(), uid = ACPI_UID_ALL;
	for (int i = 0; i < acpi.ncpu; i++)
		if (acpi.cpu[i].apic_id == id)
			uid = acpi.cpu[i].uid;
	for (int i = 0; i < acpi.nnmi; i++) {
		const struct acpi_nmi *n = &acpi.nmi[i];
		if (n->uid != ACPI_UID_ALL && n->uid != uid)
			continue;
		uint32_t lvt = LVT_NMI | ((n->flags & 3) == 3 ? LVT_ACTIVE_LOW : 0);
		wr(n->lint ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0, lvt);
	}
}

/* lapic_enable turns this CPU's APIC on in the chosen mode, all local
 * interrupt sources masked, spurious interrupts to SPURIOUS_VECTOR. */
static void lapic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;
	if (x2apic)
		base |= APIC_BASE_X2;
	wrmsr(MSR_APIC_BASE, base);
	wr(LAPIC_TPR, 0);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	wr(LAPIC_LVT_LINT0, LVT_MASKED);
	wr(LAPIC_LVT_LINT1, LVT_MASKED);
	wr(LAPIC_LVT_ERROR, ERROR_VECTOR);
	wr(LAPIC_ESR, 0);
	wr(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);  /* software enable */
	lapic_lint_nmi();
	lapic_eoi();
}

static void timertest_ack(struct trapframe *tf) { (void)tf; }

void lapic_init(uint64_t mmio_phys)
{
	set_intr_handler(TIMERTEST_VECTOR, timertest_ack);
	uint32_t r[4];
	x86_cpuid(1, 0, r);
	x2apic = (r[2] >> 21) & 1;
	if (!x2apic)
		mmio = vm_map_mmio(mmio_phys, 4096);
	lapic_enable();
}

void lapic_init_ap(void)
{
	lapic_enable();
}

static void icr_wait(void)
{
	if (x2apic)
		return;         /* x2APIC ICR writes do not report delivery */
	for (int i = 0; i < 1000000 && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

static void icr(uint32_t apicid, uint32_t lo)
{
	if (x2apic) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)apicid << 32) | lo);
		return;
	}
	uint64_t fl = 0;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(fl) : : "memory");
	icr_wait();
	wr(LAPIC_ICR_HI, apicid << 24);
	wr(LAPIC_ICR_LO, lo);
	icr_wait();
	if (fl & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}

void lapic_ipi(uint32_t apicid, uint8_t vector)
{
	icr(apicid, vector);                            /* fixed, physical, edge */
}

void lapic_ipi_nmi(uint32_t apicid)
{
	icr(apicid, 0x4400);                            /* NMI, level assert (the vector is ignored) */
}

void lapic_ipi_init(uint32_t apicid)
{
	icr(apicid, 0x4500);                            /* INIT, level assert */
}

void lapic_ipi_startup(uint32_t apicid, uint8_t page)
{
	icr(apicid, 0x4600 | page);                     /* STARTUP at page << 12 */
}

/* A count read bracketed by TSC reads, the narrowest bracket of four (a
 * descheduled virtual CPU, an SMI): the count goes with the bracket's
 * middle. */
struct timer_sample {
	uint64_t tsc;
	uint32_t count;
};

static struct timer_sample timer_sample(void)
{
	struct timer_sample best = { 0, 0 };
	uint64_t width = ~0ull;
	for (int tries = 0; tries < 24 && (tries < 4 || width > 20000); tries++) {
		uint64_t a = rdtsc();
		uint32_t c = rd(LAPIC_TIMER_CUR);
		uint64_t b = rdtsc();
		if (b - a < width) {
			width = b - a;
			best = (struct timer_sample){ a + (b - a) / 2, c };
		}
	}
	return best;
}

static struct timer_sample calib_start;
static bool calib_started;

/* lapic_timer_calib_start sets the boot CPU's APIC timer counting down
 * (masked) from its largest count, so that lapic_timer_init can measure
 * its rate over whatever the boot does in between - the TSC's own
 * calibration - instead of waiting for it. */
void lapic_timer_calib_start(void)
{
	if (!calib_started) {
		uint32_t r[4];
		x86_cpuid(1, 0, r);
		tscdeadline = (r[2] >> 24) & 1;
	}
	calib_started = true;
	if (tscdeadline)
		return;
	wr(LAPIC_TIMER_DIV, 0x3);               /* divide by 16 */
	wr(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	wr(LAPIC_TIMER_INIT, 0xffffffffu);
	calib_start = timer_sample();
}

/* pending: whether vector v waits in this CPU's interrupt request register */
static bool pending(uint8_t v)
{
	return (rd(LAPIC_IRR + (v / 32) * 0x10) >> (v % 32)) & 1;
}

static uint64_t armed[MAXCPU];          /* each CPU's last deadline (lapic_timer_arm), to restore */

/*
 * lapic_timer_probe arms this CPU's timer, in TSC-deadline mode or
 * one-shot, `ahead` TSC ticks ahead on TIMERTEST_VECTOR, with interrupts
 * off, and watches its request register for up to `wait` ticks past the
 * deadline: the TSC when it was seen pending (0: never), the deadline in
 * *deadline. The runtime's own deadline is armed again after; the test
 * vector's interrupt, still pending, is taken and acknowledged once
 * interrupts are on again (lapic_init's no-op handler).
 */
uint64_t lapic_timer_probe(bool deadline_mode, uint64_t ahead, uint64_t wait, uint64_t *deadline)
{
	uint64_t fl;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(fl) : : "memory");
	uint64_t seen = 0, d;
	/* the runtime's timer stopped first: firing between the vector's
	 * change and the arming, it would look like the test's, early */
	wr(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	if (tscdeadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	wr(LAPIC_TIMER_INIT, 0);
	if (deadline_mode) {
		wr(LAPIC_LVT_TIMER, LVT_TSCDEADLINE | TIMERTEST_VECTOR);
		__asm__ volatile("mfence" ::: "memory");        /* the mode first, then the MSR (Intel's advice) */
		d = rdtsc() + ahead;
		wrmsr(MSR_TSC_DEADLINE, d);
	} else {
		wr(LAPIC_TIMER_DIV, 0x3);
		wr(LAPIC_LVT_TIMER, LVT_ONESHOT | TIMERTEST_VECTOR);
		uint64_t now = rdtsc();
		d = now + ahead;
		wr(LAPIC_TIMER_INIT, oneshot_count(d, now, timer_per_tsc32));
	}
	while (rdtsc() < d + wait)
		if (pending(TIMERTEST_VECTOR)) {
			seen = rdtsc();
			break;
		}
	if (deadline_mode)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		wr(LAPIC_TIMER_INIT, 0);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	*deadline = d;
	uint64_t back = armed[cpu_index()];
	if (back)
		lapic_timer_arm(back);
	if (fl & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
	return seen;
}

/*
 * deadline_selftest: CPUID's word that the TSC-deadline timer exists is
 * not taken on trust (a hypervisor may offer the bit and deliver late, or
 * not at all): armed 100 us ahead it must be seen pending, never early,
 * within 1 ms, in one of three tries. Else one-shot mode, and a line says
 * why.
 */
static bool deadline_selftest(uint64_t tsc_hz)
{
	int v = TIMER_SILENT;
	for (int i = 0; i < 3 && v != TIMER_OK; i++) {
		uint64_t d, seen = lapic_timer_probe(true, tsc_hz / 10000, tsc_hz / 1000, &d);
		v = clock_timer_verdict(d, seen, 0, tsc_hz / 1000);
	}
	if (v != TIMER_OK)
		kprintf("lapic: the TSC-deadline timer %s in its self-test (3 tries, 100 us ahead); using one-shot mode\n",
		        clock_timer_word(v));
	return v == TIMER_OK;
}

/*
 * lapic_timer_init chooses the timer's mode: TSC-deadline where CPUID
 * offers it and its self-test passes (the deadline is a TSC value: no
 * conversion, no drift), else one-shot counting down at the bus clock
 * divided by 16, measured against the TSC from lapic_timer_calib_start to
 * here (at least 1 ms: at 62.5 MHz, a count per 16 ns and a bracket of a
 * microsecond or two at each end, about 0.1 %). Called on the boot CPU;
 * the APs share the result (every CPU of a machine runs its APIC timer at
 * the same rate).
 */
void lapic_timer_init(uint64_t tsc_hz)
{
	if (!calib_started)
		lapic_timer_calib_start();
	if (tscdeadline) {
		if (deadline_selftest(tsc_hz))
			return;
		tscdeadline = false;
		lapic_timer_calib_start();      /* one-shot after all: measure it now */
	}
	while (rdtsc() - calib_start.tsc < tsc_hz / 1000)
		cpu_relax();
	struct timer_sample end = timer_sample();
	wr(LAPIC_TIMER_INIT, 0);
	uint64_t counted = calib_start.count - end.count;
	if (counted == 0)
		counted = 1;    /* a timer that did not count: guess, slowly */
	timer_per_tsc32 = rate32(counted, end.tsc - calib_start.tsc);
}

bool lapic_timer_deadline_mode(void) { return tscdeadline; }

const char *lapic_timer_mode(void) { return tscdeadline ? "TSC-deadline" : "one-shot"; }

/* lapic_timer_arm makes this CPU's timer interrupt at TSC value deadline
 * (at once if it has passed); 0 disarms it. The watchdog, while it runs,
 * bounds every deadline: each CPU must keep ticking. */
void lapic_timer_arm(uint64_t deadline)
{
	armed[cpu_index()] = deadline;
	deadline = watchdog_deadline(deadline);
	if (tscdeadline) {
		wr(LAPIC_LVT_TIMER, LVT_TSCDEADLINE | TIMER_VECTOR);
		wrmsr(MSR_TSC_DEADLINE, deadline ? tscdeadline_value(deadline) : 0);   /* 0 disarms */
		return;
	}
	if (deadline == 0) {
		wr(LAPIC_TIMER_INIT, 0);
		return;
	}
	wr(LAPIC_TIMER_DIV, 0x3);
	wr(LAPIC_LVT_TIMER, LVT_ONESHOT | TIMER_VECTOR);
	wr(LAPIC_TIMER_INIT, oneshot_count(deadline, rdtsc(), timer_per_tsc32));
}
