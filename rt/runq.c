/*
 * runq.c - run queues, from Go's proc.go (split out for size).
 *
 * Each P has a local queue of 256 Gs, a ring with head and tail counters,
 * and runnext, a G that runs before the queue (a G readied by the running
 * one, so a producer/consumer pair keeps its time slice). Only the owner P
 * puts and writes tail; anyone may take from the head with a CAS (the
 * owner in runqget, thieves in runqgrab), so a P's queue is read without
 * a lock. When the queue is full, half of it moves to the global queue,
 * under sched.lock.
 *
 * tests/host/runq_test.c builds this file as it is, on Linux, so it uses
 * nothing of the runtime but sched, gomaxprocs_, lock/unlock and throw.
 */
#include "runtime.h"

void gqueue_push(struct gqueue *q, g *gp)
{
	gp->schedlink = NULL;
	if (q->tail)
		q->tail->schedlink = gp;
	else
		q->head = gp;
	q->tail = gp;
}

g *gqueue_pop(struct gqueue *q)
{
	g *gp = q->head;
	if (gp) {
		q->head = gp->schedlink;
		if (!q->head)
			q->tail = NULL;
	}
	return gp;
}

/* globrunqput puts gp on the global queue; sched.lock held. */
void globrunqput(g *gp)
{
	gqueue_push(&sched.runq, gp);
	sched.runqsize++;
}

/*
 * globrunqget takes a G from the global queue for pp and moves up to max
 * more (at most a fair share, at most half a local queue) into pp's local
 * queue; sched.lock held.
 */
g *globrunqget(p *pp, int32_t max)
{
	if (sched.runqsize == 0)
		return NULL;
	int32_t n = sched.runqsize / gomaxprocs_ + 1;
	if (n > sched.runqsize)
		n = sched.runqsize;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	sched.runqsize -= n;
	g *gp = gqueue_pop(&sched.runq);
	for (n--; n > 0; n--)
		runqput(pp, gqueue_pop(&sched.runq), false);
	return gp;
}

/* runqputslow moves half of pp's full local queue, plus gp, to the global
 * queue in one batch. Returns false if a thief changed the queue first. */
static bool runqputslow(p *pp, g *gp, uint32_t h, uint32_t t)
{
	g *batch[RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;
	if (n != RUNQ_SIZE / 2)
		throw("runqputslow: queue is not full");
	for (uint32_t i = 0; i < n; i++)
		batch[i] = pp->runq[(h + i) % RUNQ_SIZE];
	if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return false;
	batch[n] = gp;
	lock(&sched.lock);
	for (uint32_t i = 0; i <= n; i++)
		globrunqput(batch[i]);
	unlock(&sched.lock);
	return true;
}

/* runqput puts gp on pp's local queue; next: into runnext, kicking the
 * old runnext to the tail. Owner P only. */
void runqput(p *pp, g *gp, bool next)
{
	if (next) {
		g *old = __atomic_exchange_n(&pp->runnext, gp, __ATOMIC_ACQ_REL);
		if (!old)
			return;
		gp = old;
	}
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runqtail;
		if (t - h < RUNQ_SIZE) {
			pp->runq[t % RUNQ_SIZE] = gp;
			__atomic_store_n(&pp->runqtail, t + 1, __ATOMIC_RELEASE);
			return;
		}
		if (runqputslow(pp, gp, h, t))
			return;
	}
}

/* runqget takes runnext first, then the queue's head. Owner P only.
 * *inheritTime says the G came from runnext: it inherits the time slice of
 * the G that readied it (Go's rule), so two Gs handing off to each other
 * share one slice and sysmon can preempt them, and the queue behind
 * runnext is not starved. */
g *runqget_inherit(p *pp, bool *inheritTime)
{
	g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
	*inheritTime = false;
	if (next && __atomic_compare_exchange_n(&pp->runnext, &next, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		*inheritTime = true;
		return next;
	}
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runqtail;
		if (t == h)
			return NULL;
		g *gp = pp->runq[h % RUNQ_SIZE];
		if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return gp;
	}
}

g *runqget(p *pp)
{
	bool inherit;
	return runqget_inherit(pp, &inherit);
}

bool runqempty(p *pp)
{
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
	return h == t && !__atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
}

uint32_t runqlen(p *pp)
{
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
	return t - h + (__atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE) ? 1 : 0);
}

/*
 * runqgrab copies half of pp's queue into batch (a ring, from batchHead)
 * and takes them with one CAS on pp's head; with stealRunNextG it takes
 * pp's runnext when the queue is empty. Returns how many it took.
 */
static uint32_t runqgrab(p *pp, g **batch, uint32_t batchHead, bool stealRunNextG)
{
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
		uint32_t n = t - h;
		n -= n / 2;
		if (n == 0) {
			if (!stealRunNextG)
				return 0;
			g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
			if (!next)
				return 0;
			if (pp->status == _Prunning) {
				/* its P is about to run it: give it a moment (Go
				 * sleeps 3 µs here) before taking it away */
				for (int i = 0; i < 100; i++)
					__asm__ volatile("pause");
			}
			if (!__atomic_compare_exchange_n(&pp->runnext, &next, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			batch[batchHead % RUNQ_SIZE] = next;
			return 1;
		}
		if (n > RUNQ_SIZE / 2)
			continue;       /* h and t read at different times: inconsistent */
		for (uint32_t i = 0; i < n; i++)
			batch[(batchHead + i) % RUNQ_SIZE] = pp->runq[(h + i) % RUNQ_SIZE];
		if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return n;
	}
}

/* runqsteal steals half of p2's queue into pp's and returns one of them. */
g *runqsteal(p *pp, p *p2, bool stealRunNextG)
{
	uint32_t t = pp->runqtail;
	uint32_t n = runqgrab(p2, pp->runq, t, stealRunNextG);
	if (n == 0)
		return NULL;
	n--;
	g *gp = pp->runq[(t + n) % RUNQ_SIZE];
	if (n == 0)
		return gp;
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	if (t - h + n >= RUNQ_SIZE)
		throw("runqsteal: runq overflow");
	__atomic_store_n(&pp->runqtail, t + n, __ATOMIC_RELEASE);
	return gp;
}
