/*
 * crash_test.c - scenarios that must end the machine cleanly, with Go's
 * words and exit status 2 (tests/cases.py checks the console):
 *   test=nullwrite  a goroutine writes through a nil pointer
 *   test=divzero    integer divide by zero
 *   test=panic      panic("...") from a nested call
 *   test=throw      throw("...") with other goroutines alive
 *   test=badfree    free of a pointer malloc did not return
 *   test=deadlock   every goroutine blocked
 *   test=nilgo      go(NULL, ...)
 *   test=g0fault    a fault on the scheduler's own stack
 */
#include "ktest.h"
#include "../../rt/runtime.h"

static volatile int *volatile nilptr;

static __attribute__((noinline)) void nullwrite(void)
{
	*nilptr = 42;
}
KTEST_SCENARIO(nullwrite, nullwrite);

static volatile int zero, hundred = 100;
static __attribute__((noinline)) void divzero(void)
{
	printf("%d\n", hundred / zero);
}
KTEST_SCENARIO(divzero, divzero);

static __attribute__((noinline)) void panic_c(int v) { panic("something went wrong: %d", v); }
static __attribute__((noinline)) void panic_b(int v) { panic_c(v + 1); }
static __attribute__((noinline)) void panic_a(int v) { panic_b(v + 1); }
static void do_panic(void) { panic_a(40); }
KTEST_SCENARIO(panic, do_panic);

static g *volatile parkedg;
static void parked(void *arg)
{
	(void)arg;
	parkedg = getg();
	gopark(NULL, NULL, waitReasonChanReceive);
}
static void do_throw(void)
{
	go(parked, NULL);
	/* on another CPU it may take a moment to get parked */
	while (!parkedg || readgstatus(parkedg) != _Gwaiting)
		gosched();
	throw("test throw");
}
KTEST_SCENARIO(throw, do_throw);

static void badfree(void)
{
	static char notheap[64] __attribute__((aligned(16)));
	free(notheap + 16);
}
KTEST_SCENARIO(badfree, badfree);

static void deadlock(void)
{
	go(parked, NULL);
	gopark(NULL, NULL, waitReasonSelectNoCases);
}
KTEST_SCENARIO(deadlock, deadlock);

static void nilgo(void)
{
	go(NULL, NULL);
}
KTEST_SCENARIO(nilgo, nilgo);

static void g0fault_m(g *gp)
{
	(void)gp;
	*nilptr = 1;
}
static void g0fault(void)
{
	mcall(g0fault_m);
}
KTEST_SCENARIO(g0fault, g0fault);
