/*
 * sysmon.c - the system monitor, from Go's proc.go: sysmon runs without a
 * P, here as the handler of CPU 0's local APIC timer, every 20 µs while
 * it finds things to do, backing off to every 10 ms when it does not
 * (Go's delays). Each round:
 *
 *   retake    a P that has run the same goroutine for more than 10 ms
 *             (Go's forcePreemptNS) gets it preempted;
 *   wake      an idle P when the global run queue or an expired timer
 *             needs one and no M is looking for work;
 *   checkdead with every M idle;
 *   schedtrace every GODEBUG=schedtrace milliseconds.
 *
 * It runs with interrupts off and may have interrupted CPU 0 anywhere,
 * even holding sched.lock: it only ever try-locks, and skips the round's
 * work that needs a lock it cannot get.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define MAXPROCS 256
/* GODEBUG=forcepreemptns=N shortens (or stretches) the slice, to force
 * preemption often (a torture run); GODEBUG=sysmonperiod=US fixes the
 * period below (at least 20 µs), with no backoff. */
#define forcePreemptNS (debug.forcepreemptns > 0 ? (int64_t)debug.forcepreemptns : 10 * 1000000ll)

static struct {
	uint32_t schedtick;     /* the P's schedtick when sysmon last saw it change */
	int64_t schedwhen;
} pdesc[MAXPROCS];

static int64_t delay = 20000;           /* ns until the next round */
static int idle;                        /* rounds in a row that did nothing */
static int64_t lastschedtrace;

void sysmon_start(void)
{
	sysmon_next = nanotime() + delay;
	ostimer_rearm(getg()->m);
}

/* preemptone asks the goroutine running on pp to stop (Go's preemptone). */
static bool preemptone(p *pp)
{
	m *mp = pp->m;
	if (!mp)
		return false;
	g *gp = mp->curg;
	if (!gp || gp == mp->g0)
		return false;
	gp->preempt = true;
	if (mp->cpu != 0)
		ospreempt(mp->cpu);     /* CPU 0's own goroutine: timerintr handles it */
	return true;
}

/* retake preempts goroutines that have run too long; returns how many. */
static int retake(int64_t now)
{
	int n = 0;
	for (int32_t i = 0; i < gomaxprocs_; i++) {
		p *pp = allp[i];
		if (!pp || pp->status != _Prunning)
			continue;
		uint32_t t = __atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED);
		if (pdesc[i].schedtick != t) {
			pdesc[i].schedtick = t;
			pdesc[i].schedwhen = now;
		} else if (pdesc[i].schedwhen + forcePreemptNS <= now && !debug.asyncpreemptoff) {
			if (preemptone(pp))
				n++;
			pdesc[i].schedwhen = now;       /* once per slice */
		}
	}
	return n;
}

/* wakeidle starts an M on an idle P for queued work or expired timers,
 * with try-locks only. */
static bool wakeidle(int64_t now)
{
	int64_t t = earliestTimer();
	if (t && t <= now && __atomic_load_n(&sched.polling, __ATOMIC_ACQUIRE)) {
		int64_t pu = __atomic_load_n(&sched.pollUntil, __ATOMIC_ACQUIRE);
		if (pu > t) {
			pollerbreak();  /* a sleeper halted past an expired timer: a last resort */
			return true;
		}
	}
	bool need = __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) > 0 || (t && t <= now) ||
	            console_waiting();  /* its wake-up from the interrupt may have missed */
	if (!need || __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) == 0 ||
	    __atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) > 0 ||
	    __atomic_load_n(&sched.polling, __ATOMIC_ACQUIRE))
		return false;
	return wakep_nolock_wait();
}

/* sysmon is one round of Go's sysmon loop (its sleeps are the timer's). */
GDBSTOP void sysmon(int64_t now)
{
	int did = retake(now) + wakeidle(now);
	/* from runtime_main on, as Go's sysmon, which runtime.main starts */
	if (debug.schedtrace > 0 && __atomic_load_n(&mainStarted, __ATOMIC_ACQUIRE) &&
	    now - lastschedtrace >= (int64_t)debug.schedtrace * 1000000) {
		lastschedtrace = now;
		schedtrace(debug.scheddetail > 0);
	}
	if (did) {
		idle = 0;
		delay = 20000;
	} else if (++idle > 50) {
		delay *= 2;
		if (delay > 10000000)
			delay = 10000000;
	}
	if (debug.sysmonperiod > 0)
		delay = debug.sysmonperiod < 20 ? 20000 : debug.sysmonperiod * 1000ll;
}

/* timerintr is every CPU's timer interrupt: sysmon's rounds on CPU 0, and
 * the end of an idle M's timed halt anywhere (the interrupt itself ends
 * the hlt; the M looks at the clock). */
void timerintr(struct trapframe *tf)
{
	m *mp = getg()->m;
	int32_t held = mp->locks;
	mp->locks++;            /* nothing in here may reschedule */
	int64_t now = nanotime();
	if (mp->cpu == 0 && sysmon_next && now >= sysmon_next) {
		sysmon(now);
		sysmon_next = nanotime() + delay;
	}
	ostimer_rearm(mp);
	mp->locks--;
	preempt_check(tf, held);
}
