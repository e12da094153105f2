/*
 * timemath_test.c - host test of kernel/timemath.h: the local APIC timer's
 * one-shot counts and TSC-deadline values (the TSC-deadline path cannot
 * run under TCG), over the frequencies real machines have.
 *
 *   gcc -fsanitize=address,undefined -I kernel tests/host/timemath_test.c
 */
#include <stdio.h>
#include <stdlib.h>

#include "timemath.h"

static int failures;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);     \
			printf(__VA_ARGS__);                            \
			printf("\n");                                   \
			failures++;                                     \
		}                                                       \
	} while (0)

int main(void)
{
	/* TSC 1-5 GHz, APIC timer (bus / 16) 6.25-100 MHz */
	const uint64_t tscs[] = { 1000000000, 2596000000, 3000000000, 4999999999 };
	const uint64_t timers[] = { 6250000, 25000000, 62500000, 100000000 };
	for (size_t i = 0; i < sizeof tscs / sizeof tscs[0]; i++)
		for (size_t j = 0; j < sizeof timers / sizeof timers[0]; j++) {
			uint64_t tsc = tscs[i], tim = timers[j];
			/* calibration: counted over 10 ms */
			uint64_t rate = rate32(tim / 100, tsc / 100);
			uint64_t now = 123456789012ull;
			CHECK(oneshot_count(now, now, rate) == 1, "deadline now");
			CHECK(oneshot_count(now - 5, now, rate) == 1, "deadline passed");
			/* 1 ms ahead: tim/1000 ticks, within 0.01 % and never early */
			uint64_t want = tim / 1000;
			uint32_t got = oneshot_count(now + tsc / 1000, now, rate);
			CHECK(got >= want && got <= want + want / 10000 + 2,
			      "1 ms at tsc %lu timer %lu: %u ticks, want %lu", tsc, tim, got, want);
			/* a day ahead: clamped to the 32-bit counter */
			CHECK(oneshot_count(now + tsc * 86400, now, rate) == 0xffffffffu, "clamp");
		}
	CHECK(tscdeadline_value(0) == 1, "deadline 0 must not disarm");
	CHECK(tscdeadline_value(42) == 42, "deadline passes through");
	/* scale32 is exact for an integral rate and rounds down otherwise */
	CHECK(scale32(1000, 3ull << 32) == 3000, "integral rate");
	CHECK(scale32(10, rate32(1, 3)) == 3, "one third of 10");
	printf("timemath_test: %s\n", failures ? "FAILED" : "all passed");
	return failures != 0;
}
