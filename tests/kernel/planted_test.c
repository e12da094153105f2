/*
 * planted_test.c - failures planted on purpose, to show that the harness
 * reports each as what it is (tests/planted.py, run by tests/planted_check.py):
 *   test=planted_wrong        a KTAP suite with a subtest that fails
 *   test=planted_hang         a KTAP suite whose second case never returns
 *   test=planted_triplefault  the CPU triple-faults (a reset, under QEMU's
 *                             -no-reboot an exit without "exit status")
 * They are not part of test=all.
 */
#include "ktest.h"

static void passes(void)
{
	KT_EXPECT_EQ(1 + 1, 2);
}

static void fails(void)
{
	volatile int two = 2;
	KT_EXPECT_EQ(1 + 1, two + 1);   /* planted: 2 != 3 */
}

static const struct ktest_case wrong_cases[] = {
	{passes, "passes"},
	{fails, "planted_failure"},
};
KTEST_SUITE(planted_wrong, wrong_cases);

static void loops_forever(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}

static const struct ktest_case hang_cases[] = {
	{passes, "passes"},
	{loops_forever, "loops_forever"},
};
KTEST_SUITE(planted_hang, hang_cases);

/* An empty IDT: the breakpoint cannot be delivered, nor the double fault
 * that follows; the third fault resets the CPU. */
static void triplefault(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };
	printf("planted: loading an empty IDT and trapping\n");
	__asm__ volatile("cli; lidt %0; int3" : : "m"(idtr));
	for (;;)
		;
}
KTEST_SCENARIO(planted_triplefault, triplefault);
