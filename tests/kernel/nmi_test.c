/*
 * nmi_test.c - test=nmiwait: a program that runs for a few seconds with a
 * goroutine spinning (preemptible) and others asleep, while the harness
 * sends NMIs from QEMU's monitor (tests/cases.py, nmi-report): the NMI
 * report must show every CPU and goroutine, and the program must still
 * end with exit status 0.
 */
#include "ktest.h"
#include "../../rt/runtime.h"

static volatile uint32_t stop;

static __attribute__((noinline)) void nmispin(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static __attribute__((noinline)) void nmisleeper(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		sleep_ns(50000000);
}

static void nmiwait(void)
{
	go(nmispin, NULL);
	go(nmisleeper, NULL);
	printf("nmiwait: running for 12 s\n");
	int64_t t0 = nanotime();
	while (nanotime() - t0 < 12000000000ll)
		sleep_ns(100000000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	printf("nmiwait: done\n");
}
KTEST_MAIN(nmiwait, nmiwait);
