/*
 * tsc.c - the time-stamp counter's frequency, and short delays on it.
 *
 * CPUID leaf 15h states the frequency on recent Intel CPUs; otherwise it
 * is measured against PIT channel 2 (1.193182 MHz) over 10 ms, polling
 * its output bit. HPET and the ACPI PM timer come with the timer work.
 */
#include "kernel.h"
#include "cpu.h"

static uint64_t hz;
static const char *source = "none";

static uint64_t from_cpuid(void)
{
	uint32_t r[4];
	x86_cpuid(0, 0, r);
	if (r[0] < 0x15)
		return 0;
	x86_cpuid(0x15, 0, r);
	if (!r[0] || !r[1] || !r[2])
		return 0;
	return (uint64_t)r[2] * r[1] / r[0];
}

static uint64_t from_pit(void)
{
	const uint32_t ticks = 11932;           /* 10 ms of 1.193182 MHz */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb0);                       /* channel 2, lo/hi byte, mode 0 */
	outb(0x42, ticks & 0xff);
	outb(0x42, ticks >> 8);
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; !(inb(0x61) & 0x20); i++)
		if (i > 100000000)
			return 0;               /* no PIT */
	return (rdtsc() - t0) * 100;
}

uint64_t tsc_calibrate(void)
{
	if ((hz = from_cpuid()) != 0)
		source = "CPUID leaf 15h";
	else if ((hz = from_pit()) != 0)
		source = "PIT";
	return hz;
}

const char *tsc_source(void) { return source; }

/* tsc_delay_us waits at least us microseconds (busy: only for hardware
 * sequences that need a pause before anything can run, such as INIT-SIPI). */
void tsc_delay_us(uint64_t us)
{
	uint64_t f = hz ? hz : 3000000000ull;   /* uncalibrated: assume fast, wait longer */
	uint64_t end = rdtsc() + f / 1000000 * us;
	while (rdtsc() < end)
		cpu_relax();
}
