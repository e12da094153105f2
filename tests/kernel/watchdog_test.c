/*
 * watchdog_test.c - hangs planted on purpose; each must end in the
 * lockup watchdog's report, "fatal error: CPU N stuck" with the traceback
 * of what that CPU was running, and exit status 2 (tests/cases.py):
 *   test=hang_cli        spin with interrupts off
 *   test=hang_lostirq    the timer's priority class blocked, as an
 *                        interrupt that was never acknowledged leaves it
 *                        (PPR 0xe0: the timer and the console wait, IPIs
 *                        still come)
 *   test=hang_selflock   a spin lock taken twice by the same CPU
 * and the rule that keeps stack growth from deadlocking:
 *   test=physlock_on_gstack  the page allocator called on a goroutine's
 *                        own stack ends the machine with a message
 * The hangs need a second CPU to watch the first (-smp 2 or more).
 */
#include "ktest.h"
#include "../../rt/runtime.h"
#include "../../kernel/kernel.h"

static void planted(const char *what)
{
	printf("planted: %s on CPU %d at %ld ms\n", what, cpuid(), (long)(nanotime() / 1000000));
}

static __attribute__((noinline)) void spin_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
	for (;;)
		__asm__ volatile("pause");
}

static void hang_cli(void)
{
	planted("spinning with interrupts off");
	spin_cli();
}
KTEST_SCENARIO(hang_cli, hang_cli);

static __attribute__((noinline)) void spin_blocked(void)
{
	lapic_set_tpr(0xe0);
	for (;;)
		__asm__ volatile("pause");
}

static void hang_lostirq(void)
{
	planted("timer class blocked (PPR 0xe0)");
	spin_blocked();
}
KTEST_SCENARIO(hang_lostirq, hang_lostirq);

static struct spinlock testlock = { .name = "testlock" };

static __attribute__((noinline)) void lock_twice(void)
{
	spin_lock_irqsave(&testlock);
	spin_lock_irqsave(&testlock);
}

static void hang_selflock(void)
{
	planted("taking a spin lock twice");
	lock_twice();
}
KTEST_SCENARIO(hang_selflock, hang_selflock);

static void physlock_on_gstack(void)
{
	printf("planted: page_alloc on goroutine %ld's own stack\n", goid());
	page_alloc(1);
	printf("page_alloc returned\n");
}
KTEST_SCENARIO(physlock_on_gstack, physlock_on_gstack);
