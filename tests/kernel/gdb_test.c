/*
 * gdb_test.c - scenario "gdbpark" for tests/gdb_goroutines.py, which
 * breaks twice and checks what tools/gdb/rt-gdb.py shows:
 *   gdbpark_ready     the main goroutine runs, 100 goroutines are parked
 *                     on a receive from a channel nobody sends on;
 *   gdbpark_spinning  one more goroutine spins on another CPU.
 * Then main returns and the machine exits 0.
 *
 * The stops must see settled states, so each wait below is for the
 * runtime's own view (status and wait reason) rather than for a flag the
 * goroutine sets on its way in. GODEBUG=asyncpreemptoff=1 keeps the
 * spinner and main on their CPUs, or gdb could catch one mid-preemption.
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define NPARKED 100
#define SEC 1000000000ll

static chan_t *gdbpark_c;
static g *volatile parkers[NPARKED];
static g *volatile spinner;

static GDBSTOP void gdbpark_parker(void *arg)
{
	int v;
	parkers[(intptr_t)arg] = getg();
	chan_recv(gdbpark_c, &v);
	printf("gdbpark: goroutine %ld received from a channel nobody sends on\n", goid());
}

static GDBSTOP void gdbpark_spinner(void *arg)
{
	(void)arg;
	spinner = getg();
	for (;;)
		__asm__ volatile("pause");
}

/* The breakpoints: noipa, or gcc would see empty functions and drop the
 * calls. */
__attribute__((noipa)) void gdbpark_ready(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa)) void gdbpark_spinning(void)
{
	__asm__ volatile("" ::: "memory");
}

static bool all_parked(void)
{
	for (int i = 0; i < NPARKED; i++) {
		g *gp = parkers[i];
		if (!gp || readgstatus(gp) != _Gwaiting ||
		    __atomic_load_n(&gp->waitreason, __ATOMIC_RELAXED) != waitReasonChanReceive)
			return false;
	}
	return true;
}

static void gdbpark(void)
{
	gdbpark_c = chan_make(sizeof(int), 0);
	for (intptr_t i = 0; i < NPARKED; i++)
		go(gdbpark_parker, (void *)i);
	int64_t end = nanotime() + 20 * SEC;
	while (!all_parked()) {
		if (nanotime() > end)
			panic("gdbpark: the goroutines did not all park");
		gosched();
	}
	printf("gdbpark: %d goroutines parked in chan_recv, main is goroutine %ld\n", NPARKED, goid());
	gdbpark_ready();

	/* main does not yield: an idle P must steal the spinner */
	go(gdbpark_spinner, NULL);
	while (!spinner || readgstatus(spinner) != _Grunning) {
		if (nanotime() > end)
			panic("gdbpark: the spinner never ran beside main");
		__asm__ volatile("pause");
	}
	printf("gdbpark: goroutine %ld spins on CPU %d, main on CPU %d\n",
	       spinner->goid, spinner->m->cpu, cpuid());
	gdbpark_spinning();
}
KTEST_MAIN(gdbpark, gdbpark);
