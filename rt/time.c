/*
 * time.c - timers, after Go's time.go: each P keeps its timers in a 4-ary
 * min-heap ordered by when (Go's choice: shallower than a binary heap, and
 * the four children share a cache line or two), under the P's timerslock.
 * timer0When is the earliest when, read without the lock by anyone
 * deciding whether a P's timers need looking at.
 *
 * Timers run where Go runs them: in schedule() for the M's own P, in
 * stealWork() for other Ps, and by the timer sleeper, the one idle M that
 * halts with its CPU's local APIC timer armed for the earliest timer of
 * all Ps (Go's netpoll(delay)). A new timer earlier than the sleeper's
 * deadline wakes it (wakeNetPoller).
 *
 * A timer's function runs on g0 with the timerslock released; for
 * sleep_ns it is goready.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"
#include "timerheap.h"

/* addtimer puts t (when, f, arg set) on the current P. */
void addtimer(struct timer *t)
{
	m *mp = acquirem();
	p *pp = mp->p;
	lock(&pp->timerslock);
	heap_push(pp, t);
	unlock(&pp->timerslock);
	releasem(mp);
	wakeNetPoller(t->when);
}

/* deltimer removes t if it has not run; returns whether it removed it. */
bool deltimer(struct timer *t)
{
	for (;;) {
		p *pp = __atomic_load_n(&t->pp, __ATOMIC_ACQUIRE);
		if (!pp)
			return false;
		lock(&pp->timerslock);
		if (t->pp == pp) {
			heap_remove(pp, t);
			unlock(&pp->timerslock);
			return true;
		}
		unlock(&pp->timerslock);        /* moved meanwhile: look again */
	}
}

/*
 * checkTimers runs pp's timers that are due at now (0: read the clock)
 * and returns the next when of pp's heap (0: none left). Gos they ready
 * go onto the calling M's P.
 */
int64_t checkTimers(p *pp, int64_t now)
{
	int64_t next = __atomic_load_n(&pp->timer0When, __ATOMIC_ACQUIRE);
	if (next == 0)
		return 0;
	if (now == 0)
		now = nanotime();
	if (now < next)
		return next;
	/* one M at a time runs a P's timers (its owner, or a thief in
	 * stealWork), so they fire in the order of their deadlines */
	if (__atomic_exchange_n(&pp->timersrunning, 1, __ATOMIC_ACQUIRE))
		return next;
	lock(&pp->timerslock);
	while (pp->ntimers > 0 && pp->timers[0]->when <= now) {
		struct timer *t = pp->timers[0];
		heap_remove(pp, t);
		unlock(&pp->timerslock);
		t->f(t->arg);
		lock(&pp->timerslock);
	}
	next = pp->ntimers ? pp->timers[0]->when : 0;
	unlock(&pp->timerslock);
	__atomic_store_n(&pp->timersrunning, 0, __ATOMIC_RELEASE);
	return next;
}

/* earliestTimer is the first when over all Ps (0: no timers). */
int64_t earliestTimer(void)
{
	int64_t first = 0;
	for (int32_t i = 0; i < gomaxprocs_; i++) {
		int64_t w = __atomic_load_n(&allp[i]->timer0When, __ATOMIC_ACQUIRE);
		if (w && (!first || w < first))
			first = w;
	}
	return first;
}

/* moveTimers hands a retired P's timers to pp (procresize); the world is stopped. */
void moveTimers(p *pp, p *from)
{
	if (pp == from)
		throw("moveTimers: to itself");
	lock(&from->timerslock);
	lock(&pp->timerslock);
	while (from->ntimers > 0) {
		struct timer *t = from->timers[0];
		heap_remove(from, t);
		heap_push(pp, t);
	}
	unlock(&pp->timerslock);
	unlock(&from->timerslock);
}

/* ---- sleep_ns ---- */

static void goroutineReady(void *arg)
{
	goready(arg);
}

/* resetForSleep arms the sleep timer once the goroutine is parked, so the
 * timer cannot fire (and goready it) before it sleeps. */
static bool resetForSleep(g *gp, void *arg)
{
	(void)gp;
	addtimer(arg);
	return true;
}

void sleep_ns(int64_t ns)
{
	if (ns <= 0)
		return;
	g *gp = getg();
	struct timer *t = &gp->sleeptimer;
	t->when = nanotime() + ns;
	if (t->when < 0)
		t->when = INT64_MAX;    /* overflow: forever */
	t->f = goroutineReady;
	t->arg = gp;
	gopark(resetForSleep, t, waitReasonGoroutineSleep);
}
