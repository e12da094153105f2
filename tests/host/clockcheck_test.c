/*
 * clockcheck_test.c - the clock decisions of kernel/clockcheck.h, the
 * paths TCG never takes: budgets that last long enough at any TSC rate,
 * a dead counter, CPUID's frequency against a measurement, a timer's
 * self-test, the verdict on a CPU whose TSC is off.
 */
#include <stdint.h>

#include "check.h"
#include "clockcheck.h"

static void test_budgets(void)
{
	/* no estimate: 6 GHz; an estimate: twice it, bounded */
	CHECK(clock_fast_hz(0) == CLOCK_FASTEST_HZ, "no estimate");
	CHECK(clock_fast_hz(2000000000) == 4000000000ull, "twice 2 GHz");
	CHECK(clock_fast_hz(5000000000ull) == CLOCK_FASTEST_HZ, "an absurd estimate");
	/* a budget lasts at least its time at any rate up to fast, and at
	 * most fast/rate times it: 10 ms at 6 GHz is 60 ms at 1 GHz */
	uint64_t b = clock_budget(clock_fast_hz(0), 10000);
	for (uint64_t rate = 500000000; rate <= CLOCK_FASTEST_HZ; rate += 500000000) {
		uint64_t us = b / (rate / 1000000);
		CHECK(us >= 10000, "%llu Hz: %llu us", (unsigned long long)rate, (unsigned long long)us);
		CHECK(us * (rate / 1000000) <= 10000 * (CLOCK_FASTEST_HZ / 1000000), "%llu Hz: %llu us",
		      (unsigned long long)rate, (unsigned long long)us);
	}
	/* with CPUID's 3 GHz, a 20 ms budget is 20-40 ms at 1.5-3 GHz */
	b = clock_budget(clock_fast_hz(3000000000ull), 20000);
	CHECK(b / 3000 >= 20000 && b / 3000 <= 40000, "20 ms at 3 GHz: %llu us", (unsigned long long)(b / 3000));
}

static void test_dead(void)
{
	uint64_t f = clock_fast_hz(0);
	CHECK(!clock_dead(255, 1ull << 40, f), "255 reads are not enough");
	CHECK(!clock_dead(100000, clock_budget(f, 49), f), "49 us are not enough");
	CHECK(clock_dead(256, clock_budget(f, 50), f), "256 reads and 50 us");
	/* the PIT ticks every 0.84 us: a live one moves well within the limit */
	CHECK(clock_budget(f, CLOCK_DEAD_US) / (f / 1000000) > 10, "the limit spans many PIT ticks");
}

static void test_rate(void)
{
	uint64_t r;
	/* 10 ms of a 3 GHz TSC against the PM timer */
	r = clock_rate(30000000, 35795, 3579545);
	CHECK(r > 2999900000ull && r < 3000100000ull, "10 ms: %llu", (unsigned long long)r);
	/* a window of minutes against a 100 MHz HPET: no overflow */
	r = clock_rate(3000000000ull * 600, 100000000ull * 600, 100000000);
	CHECK(r > 2999000000ull && r < 3001000000ull, "600 s: %llu", (unsigned long long)r);
	CHECK(clock_rate(1, 0, 1000) == 0, "no counts");
}

static void test_xcheck(void)
{
	uint64_t c = 3000000000ull;
	CHECK(clock_ppm(c, c + 1500000) == 500, "500 ppm: %llu", (unsigned long long)clock_ppm(c, c + 1500000));
	CHECK(clock_ppm(0, 1) == ~0ull, "zero");
	/* agree within 0.05 %: CPUID's (exact when right) stays */
	CHECK(clock_xcheck(c, c + 1000000, 20) == XCHECK_AGREE, "333 ppm");
	CHECK(clock_xcheck(c, c - 1500000, 20) == XCHECK_AGREE, "-500 ppm");
	/* 0.1-0.3 % off, as on many Intel parts: the measurement wins */
	CHECK(clock_xcheck(c, c + 3000000, 20) == XCHECK_MEASURED, "1000 ppm");
	CHECK(clock_xcheck(c, c - 9000000, 20) == XCHECK_MEASURED, "-3000 ppm");
	/* a measurement that cannot tell keeps CPUID's, unchecked */
	CHECK(clock_xcheck(c, c + 3000000, 2000) == XCHECK_UNCHECKED, "1000 ppm +-2000");
	CHECK(clock_xcheck(c, 0, 0) == XCHECK_UNCHECKED, "no measurement");
}

static void test_timer(void)
{
	uint64_t d = 1000000;
	CHECK(clock_timer_verdict(d, 0, 0, 100) == TIMER_SILENT, "silent");
	CHECK(clock_timer_verdict(d, d - 1, 0, 100) == TIMER_EARLY, "one tick early, no slack");
	CHECK(clock_timer_verdict(d, d - 10, 10, 100) == TIMER_OK, "within the slack");
	CHECK(clock_timer_verdict(d, d - 11, 10, 100) == TIMER_EARLY, "beyond the slack");
	CHECK(clock_timer_verdict(d, d, 0, 100) == TIMER_OK, "on the tick");
	CHECK(clock_timer_verdict(d, d + 100, 0, 100) == TIMER_OK, "at the limit");
	CHECK(clock_timer_verdict(d, d + 101, 0, 100) == TIMER_LATE, "late");
	CHECK(clock_timer_verdict(5, 3, 10, 100) == TIMER_OK, "no wrap below 0");
}

static void test_skew(void)
{
	uint64_t bound = 15000;         /* 5 us at 3 GHz */
	CHECK(clock_skew_verdict(0, 100, bound, false) == SKEW_OK, "none");
	CHECK(clock_skew_verdict(15100, 100, bound, false) == SKEW_OK, "within err + bound");
	CHECK(clock_skew_verdict(-15101, 100, bound, false) == SKEW_UNSTABLE, "behind, no TSC_ADJUST");
	CHECK(clock_skew_verdict(3000000, 100, bound, true) == SKEW_ADJUST, "1 ms ahead, TSC_ADJUST");
	CHECK(clock_skew_verdict(3000000, 100, bound, false) == SKEW_UNSTABLE, "1 ms ahead, adjusted already");
	/* a measurement that timed out (err all ones) cannot condemn a CPU */
	CHECK(clock_skew_verdict(INT64_MIN + 1, ~0ull, bound, false) == SKEW_OK, "no measurement");
	/* a noisy measurement (a descheduled virtual CPU) cannot either */
	CHECK(clock_skew_verdict(3000000, 3000000, bound, false) == SKEW_OK, "+-1 ms");
}

int main(void)
{
	test_budgets();
	test_dead();
	test_rate();
	test_xcheck();
	test_timer();
	test_skew();
	printf("clockcheck_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
