/*
 * mgcsweep.c - the background sweeper (Go's bgsweep), started by gcenable
 * from runtime_main. There is no collector, so "sweeping" here is the
 * part of Go's sweeper that remains useful: spans whose objects have all
 * been freed go back to the page heap, and free heap pages beyond a small
 * reserve go back to the machine (Go's scavenger).
 *
 * bgsweep parks when there is nothing to do; free() wakes it when a span
 * becomes empty (sweep_wake). It is a system goroutine: not counted by
 * numgoroutine, not shown in tracebacks, and it does not keep the program
 * from deadlock detection.
 */
#include "mheap.h"
#include "print.h"

#define KEEP_FREE_BYTES (4ull << 20)    /* backed free heap kept for reuse */

static struct {
	struct mutex lock;
	g *g;                           /* the bgsweep goroutine */
	bool parked;                    /* lock */
	uint32_t pending;               /* atomic: work arrived since the last pass */
} sweep;

static void sweepall(void)
{
	uint64_t n = 0;
	for (int i = 1; i < _NumSizeClasses; i++)
		n += (uint64_t)mcentral_sweep(&mheap_.central[i]);
	__atomic_add_fetch(&mstats.nsweep, n, __ATOMIC_RELAXED);
	uint64_t keep = mheap_.pages_inuse * _PageSize / 8;
	if (keep < KEEP_FREE_BYTES)
		keep = KEEP_FREE_BYTES;
	__atomic_add_fetch(&mstats.released, mheap_scavenge(keep), __ATOMIC_RELAXED);
}

static bool unlock_sweep(g *gp, void *arg)
{
	(void)gp;
	unlock(arg);
	return true;
}

static void bgsweep(void *arg)
{
	(void)arg;
	for (;;) {
		while (__atomic_exchange_n(&sweep.pending, 0, __ATOMIC_ACQ_REL))
			sweepall();
		lock(&sweep.lock);
		if (__atomic_load_n(&sweep.pending, __ATOMIC_ACQUIRE)) {
			unlock(&sweep.lock);
			continue;
		}
		sweep.parked = true;
		gopark(unlock_sweep, &sweep.lock, waitReasonGCSweepWait);
	}
}

void gcenable(void)
{
	g *gp = newproc_system(bgsweep, NULL);
	sweep.g = gp;
}

/* sweep_wake tells bgsweep there are empty spans; callable from any goroutine. */
void sweep_wake(void)
{
	if (__atomic_exchange_n(&sweep.pending, 1, __ATOMIC_ACQ_REL) || !sweep.g)
		return;
	lock(&sweep.lock);
	bool wake = sweep.parked;
	sweep.parked = false;
	unlock(&sweep.lock);
	if (wake)
		goready(sweep.g);
}
