/*
 * timemath.h - the clock arithmetic, kept pure so the host tests check it
 * (TCG has no CPU model with TSC-deadline, so that path's numbers are
 * tested here rather than in QEMU): 32.32 fixed-point rates, no division
 * and no 128-bit libcalls on the hot paths.
 */
#ifndef KERNEL_TIMEMATH_H
#define KERNEL_TIMEMATH_H

#include <stdint.h>

/* rate32 is a/b as 32.32 fixed point; a < 2^32 (a 64-bit division). */
static inline uint64_t rate32(uint64_t a, uint64_t b)
{
	return (a << 32) / b;
}

/* scale32 is x * rate (32.32), rounded down. */
static inline uint64_t scale32(uint64_t x, uint64_t rate)
{
	return (uint64_t)(((unsigned __int128)x * rate) >> 32);
}

/* oneshot_count: the local APIC one-shot count that fires at TSC value
 * deadline, from now, at timer_per_tsc (32.32): at least 1 (a deadline
 * already passed fires at once), at most the 32-bit counter (further out
 * it fires early and the handler re-arms). */
static inline uint32_t oneshot_count(uint64_t deadline, uint64_t now, uint64_t timer_per_tsc)
{
	if (deadline <= now)
		return 1;
	uint64_t ticks = scale32(deadline - now, timer_per_tsc) + 1;
	return ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks;
}

/* tscdeadline_value: what goes into IA32_TSC_DEADLINE for a deadline; 0
 * disarms, so a deadline of 0 (at boot's first tick) becomes 1. */
static inline uint64_t tscdeadline_value(uint64_t deadline)
{
	return deadline ? deadline : 1;
}

#endif
