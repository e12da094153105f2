/*
 * alg.c - the runtime's randomness (Go's alginit and fastrand): a seed per
 * M from RDRAND where the CPU has it, else from the TSC, and a cheap
 * xorshift generator for scheduling decisions (select order, steal order).
 */
#include "runtime.h"
#include "os.h"

static uint64_t seed_from_cpu(void)
{
	uint64_t v = 0;
	if (x86HasRDRAND)
		for (int i = 0; i < 10; i++) {
			unsigned char ok;
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
			if (ok)
				return v | 1;
		}
	v = cputicks();
	return (v * 0x9e3779b97f4a7c15ull) | 1;     /* never zero: xorshift would stay 0 */
}

void alginit(void)
{
	getg()->m->fastrand = seed_from_cpu();
}

uint32_t fastrand(void)
{
	m *mp = getg()->m;
	uint64_t x = mp->fastrand;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	mp->fastrand = x;
	return (uint32_t)(x >> 32);
}

/* fastrandn returns a number in [0, n) without a division. */
uint32_t fastrandn(uint32_t n)
{
	return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}
