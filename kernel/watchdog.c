/*
 * watchdog.c - the lockup watchdog, after Linux's buddy hard-lockup
 * detector: no CPU may stop taking interrupts without a word.
 *
 * Each CPU's local APIC timer interrupt counts a tick (watchdog_tick);
 * while the watchdog runs, no CPU's timer is ever armed more than
 * WD_TICK_MS ahead, idle or not, so a healthy CPU ticks at least that
 * often. CPU i watches CPU i+1 (the last watches CPU 0): on each of its
 * own ticks it looks at its buddy's count.
 *
 * A count that has not moved for WD_STUCK_MS does not prove a lockup by
 * itself: under a hypervisor (or TCG with more CPUs than host cores) a
 * CPU may simply not have run. So the watcher then probes its buddy with
 * an NMI, which nothing masks, every WD_TICK_MS. The probe looks at what
 * it interrupted (watchdog_probe): with interrupts on and the timer's
 * priority class free, the tick will come as soon as the probe returns,
 * and the CPU is healthy. Interrupts off, or the timer blocked by an
 * interrupt in service that was never acknowledged, is a bad probe;
 * WD_PROBES bad probes in a row with still no tick in between is a
 * lockup (spinning with interrupts off, a lost interrupt, a spin lock
 * taken twice). The probe's NMI handler (trap.c) then hands the frame to
 * the runtime, which prints "fatal error: CPU N stuck" with the traceback
 * of what that CPU was running and ends the machine. An NMI that is no
 * probe (WD_NOT_OURS: a board's NMI button, the MADT's LINT pin) goes to
 * the runtime's NMI report, which holds every CPU for its length and then
 * calls watchdog_resync, so that the pause is not taken for a lockup. A
 * buddy that takes
 * no probe at all for WD_NOANSWER_MS is reported by the watcher itself.
 *
 * With one CPU there is nobody to watch it: the watchdog is absent
 * (docs/runtime.md). It runs from watchdog_start (the runtime, once every
 * CPU is up: bring-up waits with interrupts off) until watchdog_stop (a
 * crash is printing, or the machine stops: printing a long traceback with
 * interrupts off is not a lockup). Command line: watchdog=0 turns it off.
 */
#include "kernel.h"
#include "cpu.h"

#define WD_TICK_MS     100      /* the longest a running watchdog lets a timer sleep; the probe period */
#define WD_STUCK_MS    1000     /* no tick for this long: start probing */
#define WD_PROBES      5        /* bad probes in a row: stuck */
#define WD_NOANSWER_MS 10000    /* a probe not taken for this long: stuck beyond NMIs */

static struct {
	uint64_t ticks;         /* this CPU's timer interrupts; atomic */
	uint32_t probe;         /* a probe NMI is on its way to this CPU; atomic */
	uint32_t bad;           /* bad probes in a row; this CPU only */
	uint64_t armed;         /* its timer's deadline, 0: none; this CPU only */
	/* the watcher's view of its buddy; this CPU only */
	uint64_t seen;          /* the buddy's ticks at our last look */
	uint64_t since;         /* TSC when they last changed */
	uint64_t probed;        /* TSC of our last probe */
} wd[MAXCPU];

static uint32_t running;                /* atomic */
static uint64_t tick_tsc, stuck_tsc, noanswer_tsc;
static int32_t reported = -1;           /* the CPU being reported; atomic */

bool watchdog_start(uint64_t tsc_hz)
{
	if (ncpus < 2 || tsc_hz == 0)
		return false;
	tick_tsc = tsc_hz / 1000 * WD_TICK_MS;
	stuck_tsc = tsc_hz / 1000 * WD_STUCK_MS;
	noanswer_tsc = tsc_hz / 1000 * WD_NOANSWER_MS;
	uint64_t now = rdtsc();
	for (int i = 0; i < ncpus; i++) {
		wd[i].seen = __atomic_load_n(&wd[(i + 1) % ncpus].ticks, __ATOMIC_RELAXED);
		wd[i].since = now;
	}
	__atomic_store_n(&running, 1, __ATOMIC_RELEASE);
	/* a CPU parked with its timer off arms it on its way out of this
	 * interrupt (watchdog_rearm) */
	int self = cpu_index();
	for (int i = 0; i < ncpus; i++)
		if (i != self && cpus[i].online)
			lapic_ipi(cpus[i].apicid, WAKE_VECTOR);
	return true;
}

void watchdog_stop(void)
{
	__atomic_store_n(&running, 0, __ATOMIC_RELEASE);
}

/* watchdog_deadline bounds a timer deadline (TSC; 0: none) so that this
 * CPU keeps ticking while the watchdog runs. */
uint64_t watchdog_deadline(uint64_t deadline)
{
	if (!__atomic_load_n(&running, __ATOMIC_RELAXED))
		return deadline;
	uint64_t latest = rdtsc() + tick_tsc;
	if (deadline == 0 || deadline > latest)
		deadline = latest;
	wd[cpu_index()].armed = deadline;
	return deadline;
}

/* watchdog_rearm runs at the end of every interrupt: a CPU whose timer
 * fired and was not armed again by its handler, or was never armed, gets
 * a tick armed. */
void watchdog_rearm(void)
{
	if (__atomic_load_n(&running, __ATOMIC_RELAXED) && wd[cpu_index()].armed == 0)
		lapic_timer_arm(0);
}

/* noanswer: the buddy takes no NMI (its local APIC is gone, or it is in
 * an NMI handler already). Say what we know and end the machine. */
static _Noreturn void noanswer(int buddy)
{
	watchdog_stop();
	kprintf("fatal error: CPU %d stuck\n\n", buddy);
	kprintf("watchdog: CPU %d took no timer interrupt, and no NMI for %d ms\n", buddy, WD_NOANSWER_MS);
	kprintf("exit status 2\n");
	machine_exit(2);
}

/* watch looks at the buddy's ticks, and probes it when they stand still. */
static void watch(int self, int buddy)
{
	uint64_t now = rdtsc(), t = __atomic_load_n(&wd[buddy].ticks, __ATOMIC_RELAXED);
	if (t != wd[self].seen) {
		wd[self].seen = t;
		wd[self].since = now;
		return;
	}
	if (now - wd[self].since < stuck_tsc || __atomic_load_n(&reported, __ATOMIC_ACQUIRE) >= 0)
		return;
	if (__atomic_load_n(&wd[buddy].probe, __ATOMIC_ACQUIRE)) {
		if (now - wd[self].probed >= noanswer_tsc)
			noanswer(buddy);
		return;                 /* the last probe is still on its way */
	}
	if (now - wd[self].probed < tick_tsc)
		return;
	wd[self].probed = now;
	__atomic_store_n(&wd[buddy].probe, 1, __ATOMIC_RELEASE);
	lapic_ipi_nmi(cpus[buddy].apicid);
}

/* watchdog_tick runs in every timer interrupt, interrupts off. */
void watchdog_tick(void)
{
	int self = cpu_index();
	__atomic_add_fetch(&wd[self].ticks, 1, __ATOMIC_RELAXED);
	wd[self].armed = 0;             /* one-shot: it fired */
	wd[self].bad = 0;
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return;
	int buddy = (self + 1) % ncpus;
	if (buddy != self && cpus[buddy].online)
		watch(self, buddy);
}

/* watchdog_probe judges an NMI that came to this CPU: not a probe (a
 * machine's own NMI), a probe that found it healthy (return to what it
 * was doing), or the last bad probe (report it). intr_on: the interrupted
 * code's interrupt flag. */
int watchdog_probe(bool intr_on)
{
	int self = cpu_index();
	if (!__atomic_exchange_n(&wd[self].probe, 0, __ATOMIC_ACQ_REL))
		return WD_NOT_OURS;
	if (intr_on && !lapic_timer_blocked()) {
		wd[self].bad = 0;       /* its tick comes once we return */
		return WD_RESUME;
	}
	if (++wd[self].bad < WD_PROBES || !__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return WD_RESUME;
	int32_t none = -1;
	if (!__atomic_compare_exchange_n(&reported, &none, self, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return WD_RESUME;      /* another CPU is being reported */
	return WD_STUCK;
}

/* watchdog_resync starts every watcher's clock afresh: after the NMI
 * report (the runtime's), during which every CPU sat in its NMI handler
 * with interrupts off, by request and not stuck. */
void watchdog_resync(void)
{
	uint64_t now = rdtsc();
	for (int i = 0; i < ncpus; i++) {
		wd[i].seen = __atomic_load_n(&wd[(i + 1) % ncpus].ticks, __ATOMIC_RELAXED);
		wd[i].since = now;
		wd[i].bad = 0;
	}
}

/* watchdog_nmi: whether this CPU is the one being reported stuck. */
bool watchdog_nmi(void)
{
	return __atomic_load_n(&reported, __ATOMIC_ACQUIRE) == cpu_index();
}
