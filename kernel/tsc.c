/*
 * tsc.c - the time-stamp counter's frequency, and short delays on it.
 *
 * In order of preference: CPUID leaf 15h (the crystal ratio: exact),
 * leaf 16h (the nominal base frequency), or a measurement against the
 * HPET (over the boot's own work: tsc_calibrate_finish), the ACPI PM
 * timer (3.579545 MHz, 2 ms), or PIT channel 2 (1.193182 MHz, 3 x 10
 * ms). tsc_calibrate(force) can insist on one source (the command line's
 * clocksource=, used by the tests of each path).
 */
#include "kernel.h"
#include "cpu.h"
#include "acpi.h"

extern struct acpi_info acpi;

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

/* pit2_read latches and reads PIT channel 2's count, with the TSC read
 * just before; reads that took long (an SMI, or the host descheduling
 * this virtual CPU) are retried so the pair is tight. */
static uint16_t pit2_read(uint64_t *tsc)
{
	for (int tries = 0;; tries++) {
		uint64_t t0 = rdtsc();
		outb(0x43, 0x80);                       /* latch channel 2 */
		uint8_t lo = inb(0x42), hi = inb(0x42);
		uint64_t t1 = rdtsc();
		if (t1 - t0 < 200000 || tries > 20) {   /* ~50-100 us at 2-4 GHz */
			*tsc = t0;
			return (uint16_t)(lo | hi << 8);
		}
	}
}

/* from_pit: the TSC against PIT channel 2 counting down from 0xffff at
 * 1.193182 MHz, over about 10 ms. Both ends are read as (count, TSC)
 * pairs, so a pause between them (a descheduled virtual CPU) lengthens
 * both sides alike instead of inflating the TSC's; the count is summed
 * read by read, so it may wrap. The median of three runs. */
static uint64_t from_pit(void)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb4);                       /* channel 2, lo/hi byte, mode 2 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	uint64_t hz[3];
	for (int run = 0; run < 3; run++) {
		uint64_t t0, t1;
		uint16_t prev = pit2_read(&t0), c;
		uint64_t elapsed = 0;
		for (uint64_t i = 0; elapsed < 11932; i++) {    /* 10 ms */
			c = pit2_read(&t1);
			elapsed += (uint16_t)(prev - c);
			prev = c;
			if (i > 100000000)
				return 0;               /* no PIT: the count never moves */
		}
		hz[run] = (t1 - t0) * 1193182ull / elapsed;
	}
	uint64_t lo = hz[0] < hz[1] ? hz[0] : hz[1], hi = hz[0] ^ hz[1] ^ lo;
	return hz[2] < lo ? lo : hz[2] > hi ? hi : hz[2];
}

static uint64_t from_cpuid16(void)
{
	uint32_t r[4];
	x86_cpuid(0, 0, r);
	if (r[0] < 0x16)
		return 0;
	x86_cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000000;
}

/* hpet_window: one estimate of the TSC rate over `ticks` HPET ticks. Each
 * counter read is bracketed by TSC reads and its TSC time is their
 * middle, so a read's own latency biases neither end. */
static uint64_t hpet_window(volatile uint64_t *h, uint64_t ticks, uint64_t hpet_hz)
{
	uint64_t a0 = rdtsc(), c0 = h[30], b0 = rdtsc();
	uint64_t a1, c1, b1;
	for (uint64_t i = 0;; i++) {
		a1 = rdtsc();
		c1 = h[30];
		b1 = rdtsc();
		if (c1 - c0 >= ticks)
			break;
		if (i > 100000000)
			return 0;               /* a counter that does not count */
	}
	uint64_t t0 = a0 + (b0 - a0) / 2, t1 = a1 + (b1 - a1) / 2;
	return (t1 - t0) * hpet_hz / (c1 - c0);
}

/* hpet_sample: the HPET's count and the middle of the TSC reads around
 * it, retried while they are far apart (a descheduled virtual CPU). */
static void hpet_sample(volatile uint64_t *h, uint64_t *tsc, uint64_t *count)
{
	for (int tries = 0;; tries++) {
		uint64_t a = rdtsc(), c = h[30], b = rdtsc();
		if (b - a < 200000 || tries > 20) {     /* ~50-100 us at 2-4 GHz */
			*tsc = a + (b - a) / 2;
			*count = c;
			return;
		}
	}
}

/* The HPET's long window: from_hpet takes its first sample and returns a
 * rate from a short window, good to a fraction of a percent, for the rest
 * of the boot; tsc_calibrate_finish takes the second sample when the boot
 * has done its other work (milliseconds later), so the long window costs
 * no waiting. */
static volatile uint64_t *hpet_regs;
static uint64_t hpet_freq, hpet_tsc0, hpet_count0, hpet_mask;

/* from_hpet: the HPET's main counter, period in femtoseconds. */
static uint64_t from_hpet(void)
{
	if (!acpi.hpet_addr)
		return 0;
	volatile uint64_t *h = vm_map_mmio(acpi.hpet_addr, 1024);
	if (!h)
		return 0;
	uint64_t period_fs = h[0] >> 32;        /* capabilities: counter period */
	if (period_fs == 0 || period_fs > 100000000)
		return 0;                       /* the spec allows at most 100 ns */
	h[2] |= 1;                              /* general configuration: enable */
	(void)h[30];                            /* the first read maps and warms the way */
	uint64_t hpet_hz = 1000000000000000ull / period_fs;
	hpet_sample(h, &hpet_tsc0, &hpet_count0);
	uint64_t f = hpet_window(h, hpet_hz / 4000, hpet_hz);  /* 250 us */
	if (f) {
		hpet_regs = h;
		hpet_freq = hpet_hz;
		/* capabilities bit 13: a 64-bit main counter; else it wraps at 2^32 */
		hpet_mask = (h[0] >> 13) & 1 ? ~0ull : 0xffffffffull;
	}
	return f;
}

/* from_pmtimer: the ACPI PM timer, 24 or 32 bits at 3.579545 MHz. */
static uint64_t from_pmtimer(void)
{
	uint16_t port = (uint16_t)acpi.pm_timer_port;
	if (!port)
		return 0;
	uint32_t mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t ticks = 7159;                  /* 2 ms: a coarser counter than the HPET */
	uint32_t c0 = inl(port) & mask, elapsed = 0;
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; elapsed < ticks; i++) {
		elapsed = ((inl(port) & mask) - c0) & mask;
		if (i > 100000000)
			return 0;
	}
	uint64_t t1 = rdtsc();
	return (t1 - t0) * 3579545ull / elapsed;
}

static const struct {
	const char *name;
	uint64_t (*fn)(void);
} sources[] = {
	{"cpuid15", from_cpuid}, {"cpuid16", from_cpuid16}, {"hpet", from_hpet},
	{"pm", from_pmtimer}, {"pit", from_pit},
};

static const char *const longnames[] = {
	"CPUID leaf 15h", "CPUID leaf 16h", "HPET", "ACPI PM timer", "PIT",
};

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* tsc_calibrate_finish returns the TSC rate over the HPET's long window
 * (at least 1 ms, waited for if the boot was quicker; each end is a read
 * bracketed within a microsecond or two), or the rate
 * tsc_calibrate returned when it used another source. */
uint64_t tsc_calibrate_finish(void)
{
	if (!hpet_regs)
		return hz;
	while (rdtsc() - hpet_tsc0 < hz / 1000)
		cpu_relax();
	uint64_t t1, c1;
	hpet_sample(hpet_regs, &t1, &c1);
	uint64_t dt = t1 - hpet_tsc0, dc = (c1 - hpet_count0) & hpet_mask;
	while (dt > ~0ull / hpet_freq) {        /* a very long boot: keep the product in 64 bits */
		dt >>= 1;
		dc >>= 1;
	}
	if (dc > 0)
		hz = dt * hpet_freq / dc;
	hpet_regs = 0;
	return hz;
}

/* tsc_calibrate tries the sources in order, or only force (a name above). */
uint64_t tsc_calibrate(const char *force)
{
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		if (force && !streq(force, sources[i].name))
			continue;
		if ((hz = sources[i].fn()) != 0) {
			source = longnames[i];
			return hz;
		}
	}
	return 0;
}

/* tsc_skew measures how far CPU idx's TSC is from this one's: the other
 * CPU answers a handshake with its TSC; the answer is compared with the
 * middle of the round trip, best of 8 rounds. Returns the skew in TSC
 * ticks and the uncertainty (half the shortest round trip) in *err. */
static volatile uint64_t skew_ping, skew_pong;

void tsc_skew_answer(void)
{
	for (int r = 1; r <= 8; r++) {
		while (__atomic_load_n(&skew_ping, __ATOMIC_ACQUIRE) != (uint64_t)r)
			cpu_relax();
		__atomic_store_n(&skew_pong, rdtsc(), __ATOMIC_RELEASE);
		__atomic_store_n(&skew_ping, 0, __ATOMIC_RELEASE);
	}
}

int64_t tsc_skew_measure(uint64_t *err)
{
	int64_t best = 0;
	uint64_t bestrtt = ~0ull;
	for (int r = 1; r <= 8; r++) {
		uint64_t t0 = rdtsc();
		__atomic_store_n(&skew_ping, (uint64_t)r, __ATOMIC_RELEASE);
		for (uint64_t i = 0; __atomic_load_n(&skew_ping, __ATOMIC_ACQUIRE) != 0; i++)
			if (i > 1000000000) {
				*err = ~0ull;
				return 0;
			}
		uint64_t t1 = rdtsc(), theirs = skew_pong;
		if (t1 - t0 < bestrtt) {
			bestrtt = t1 - t0;
			best = (int64_t)(theirs - (t0 + (t1 - t0) / 2));
		}
	}
	*err = bestrtt / 2;
	return best;
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
