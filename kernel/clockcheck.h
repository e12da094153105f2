/*
 * clockcheck.h - the clock decisions as pure logic, so the host tests
 * check the paths QEMU's TCG never takes (tests/host/clockcheck_test.c):
 * how long a probe may take before its TSC rate is known, when a counter
 * is dead, whether CPUID's TSC frequency stands against a measurement,
 * whether a timer fired when it should, and what a CPU whose TSC is off
 * the boot CPU's gets.
 *
 * Budgets are counted in TSC ticks: the TSC always runs, only its rate is
 * unknown until calibrated. clock_fast_hz is the fastest it can plausibly
 * run, so a budget of clock_budget(fast, us) ticks lasts at least us
 * microseconds on any machine (and a few times that on a slow one).
 */
#ifndef KERNEL_CLOCKCHECK_H
#define KERNEL_CLOCKCHECK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_FASTEST_HZ 6000000000ull  /* no TSC runs faster (the fastest parts: ~5 GHz) */

/* clock_fast_hz: twice CPUID's estimate when it has one (a TSC runs at
 * the nominal frequency, give or take a few percent), else 6 GHz. */
static inline uint64_t clock_fast_hz(uint64_t estimate)
{
	if (estimate == 0 || estimate > CLOCK_FASTEST_HZ / 2)
		return CLOCK_FASTEST_HZ;
	return estimate * 2;
}

/* clock_rate: ticks counted over counts of a clock of freq Hz, as ticks
 * per second, in 64-bit arithmetic (both halved while the product would
 * overflow: a window of seconds loses nothing that matters). */
static inline uint64_t clock_rate(uint64_t ticks, uint64_t counts, uint64_t freq)
{
	while (freq && ticks > UINT64_MAX / freq) {
		ticks >>= 1;
		counts >>= 1;
	}
	return counts ? ticks * freq / counts : 0;
}

/* clock_budget: TSC ticks that last at least us microseconds at fast_hz or slower. */
static inline uint64_t clock_budget(uint64_t fast_hz, uint64_t us)
{
	return fast_hz / 1000000 * us;
}

/* clock_dead: a counter still where it was after `reads` reads spanning
 * `ticks` TSC ticks is dead once it has had both 256 reads and 50 us:
 * the slowest reference, the PIT, ticks every 0.84 us. */
#define CLOCK_DEAD_READS 256
#define CLOCK_DEAD_US    50
static inline bool clock_dead(uint64_t reads, uint64_t ticks, uint64_t fast_hz)
{
	return reads >= CLOCK_DEAD_READS && ticks >= clock_budget(fast_hz, CLOCK_DEAD_US);
}

/* clock_ppm: how far b is from a, in parts per million (rounded down). */
static inline uint64_t clock_ppm(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;
	if (a == 0 || d > UINT64_MAX / 1000000)
		return ~0ull;
	return d * 1000000 / a;         /* no 128-bit division: the kernel has no libgcc */
}

/*
 * clock_xcheck: CPUID's claimed TSC rate against one measured with an
 * uncertainty of err_ppm. Within 500 ppm (0.05 %) they agree and CPUID's,
 * the exact one when right, is kept. Further apart, the measurement wins
 * when it can tell (the difference is beyond its own uncertainty); when
 * it cannot, or there is no measurement, CPUID's is kept and said to be
 * unchecked.
 */
#define CLOCK_XCHECK_PPM 500
enum { XCHECK_AGREE, XCHECK_MEASURED, XCHECK_UNCHECKED };
static inline int clock_xcheck(uint64_t claimed, uint64_t measured, uint64_t err_ppm)
{
	if (measured == 0)
		return XCHECK_UNCHECKED;
	uint64_t off = clock_ppm(claimed, measured);
	if (off <= CLOCK_XCHECK_PPM)
		return XCHECK_AGREE;
	if (off <= err_ppm)
		return XCHECK_UNCHECKED;
	return XCHECK_MEASURED;
}

/*
 * clock_timer_verdict: a timer armed to fire at TSC value deadline was
 * seen pending at TSC value seen (0: not within the wait). The pending
 * bit is read before the TSC, so seen is at or after the firing: seen
 * before deadline - early_slack is early for certain. A late one may be
 * the host's doing (a descheduled virtual CPU): callers retry and judge
 * the best try.
 */
enum { TIMER_OK, TIMER_SILENT, TIMER_EARLY, TIMER_LATE };
static inline int clock_timer_verdict(uint64_t deadline, uint64_t seen, uint64_t early_slack, uint64_t late_limit)
{
	if (seen == 0)
		return TIMER_SILENT;
	if (seen + early_slack < deadline)
		return TIMER_EARLY;
	if (seen > deadline + late_limit)
		return TIMER_LATE;
	return TIMER_OK;
}

static inline const char *clock_timer_word(int verdict)
{
	switch (verdict) {
	case TIMER_OK: return "on time";
	case TIMER_SILENT: return "did not fire";
	case TIMER_EARLY: return "fired early";
	default: return "fired late";
	}
}

/*
 * clock_skew_verdict: another CPU's TSC minus the boot CPU's is skew,
 * known to within err (half the best handshake's round trip), in TSC
 * ticks; bound is the skew nanotime tolerates (5 us). Within it: fine.
 * Beyond it for certain (|skew| > err + bound): the CPU writes
 * IA32_TSC_ADJUST to cancel it when it has that MSR and has not tried
 * yet; else its TSC is unstable and the CPU is left out, so that
 * nanotime never goes backward when a goroutine moves between CPUs.
 */
enum { SKEW_OK, SKEW_ADJUST, SKEW_UNSTABLE };
static inline int clock_skew_verdict(int64_t skew, uint64_t err, uint64_t bound, bool can_adjust)
{
	uint64_t abs = skew < 0 ? (uint64_t)-skew : (uint64_t)skew;
	if (err > UINT64_MAX - bound || abs <= err + bound)
		return SKEW_OK;
	return can_adjust ? SKEW_ADJUST : SKEW_UNSTABLE;
}

#endif
