/*
 * tsc.c - the time-stamp counter's frequency, and short delays on it.
 *
 * CPUID leaf 15h (the crystal ratio) or 16h (the nominal base frequency)
 * says what the TSC should run at; a reference clock says what it does:
 * the HPET (over the boot's own work: tsc_calibrate_finish), the ACPI PM
 * timer (3.579545 MHz) or PIT channel 2 (1.193182 MHz, median of three
 * 10 ms runs). CPUID's figure is checked against the first reference
 * that answers and kept when they agree within 0.05 % (clockcheck.h).
 *
 * Every probe is bounded in TSC ticks (clockcheck.h: tens of ms at most
 * on any machine), a counter that does not move within 256 reads and
 * 50 us is declared dead, and the next clock is tried; with none left the
 * rate is a guess, and tsc_report says so. clocksource=NAME puts one
 * clock first (the tests of each path).
 */
#include "kernel.h"
#include "cpu.h"
#include "acpi.h"
#include "clockcheck.h"

extern struct acpi_info acpi;

static uint64_t hz;
static uint64_t fast_hz = CLOCK_FASTEST_HZ;     /* budgets until hz is known */

#define GUESS_HZ 3000000000ull          /* no clock answered: a typical TSC of today */

/* ---- what happened, for tsc_report ---- */

enum { SRC_CPUID15, SRC_CPUID16, SRC_HPET, SRC_PM, SRC_PIT, NSRC, SRC_GUESS = NSRC };
static const char *const names[NSRC] = { "cpuid15", "cpuid16", "hpet", "pm", "pit" };
static const char *const longnames[NSRC + 1] = {
	"CPUID leaf 15h", "CPUID leaf 16h", "HPET", "ACPI PM timer", "PIT", "a guess",
};

static int chosen = -1;                 /* SRC_*: whose rate hz is */
static const char *why[NSRC];           /* a clock tried that did not answer: why */
static int claimed_src = -1;            /* the CPUID leaf that claimed a rate, if any */
static uint64_t claimed_hz, measured_hz, measured_err_ppm;
static int measured_src = -1;
static int xverdict = -1;               /* clock_xcheck's verdict, once decided */
static const char *unknown_force;       /* clocksource= naming no clock */
static int forced = -1;                 /* the clock clocksource= named */

/* ---- a counter read with the TSC around it ---- */

struct sample {
	uint64_t tsc;           /* the middle of the TSC reads around the count's */
	uint64_t width;         /* their distance: the sample's uncertainty */
	uint64_t count;
};

static const char NO_TICKS[] = "no ticks";     /* measure's word for a dead counter */

struct refclock {
	uint64_t freq;          /* counts per second */
	uint64_t mask;          /* the counter wraps at mask + 1 */
	uint64_t (*read)(void); /* counts up */
};

/* take: a count bracketed by TSC reads, the narrowest bracket of four (a
 * read that waits for a lock or a bus, an SMI, the host descheduling this
 * virtual CPU: the count may come from anywhere in its bracket). */
static struct sample take(const struct refclock *c)
{
	struct sample best = { 0, ~0ull, 0 };
	for (int tries = 0; tries < 24 && (tries < 4 || best.width > clock_budget(fast_hz, 5)); tries++) {
		uint64_t a = rdtsc(), v = c->read(), b = rdtsc();
		if (b - a < best.width)
			best = (struct sample){ a + (b - a) / 2, b - a, v & c->mask };
	}
	return best;
}

/*
 * measure: the TSC's rate against c over `counts` of its counts, summed
 * read by read (so the counter may wrap), from one bracketed sample to
 * another. 0 with *fail set when the counter does not move (dead) or the
 * window is not over within four times its length plus 10 ms at the
 * fastest TSC (a counter that runs slow or stalls; a loaded host that
 * deschedules this virtual CPU for longer than the PIT takes to wrap
 * comes close). *err_ppm: the uncertainty of the two samples and of one
 * count.
 */
static uint64_t measure(const struct refclock *c, uint64_t counts, uint64_t *err_ppm, const char **fail)
{
	uint64_t window_us = counts * 1000000 / c->freq;
	uint64_t budget = clock_budget(fast_hz, 4 * window_us + 10000);
	struct sample s0 = take(c), s = s0;
	uint64_t prev = s0.count, elapsed = 0, reads = 0;
	while (elapsed < counts) {
		s = take(c);
		reads++;
		elapsed += (s.count - prev) & c->mask;
		prev = s.count;
		uint64_t ticks = s.tsc - s0.tsc;
		if (elapsed == 0 && clock_dead(reads, ticks, fast_hz)) {
			*fail = NO_TICKS;
			return 0;
		}
		if (ticks > budget) {
			*fail = "too slow";
			return 0;
		}
	}
	uint64_t dt = s.tsc - s0.tsc;
	if (dt == 0) {
		*fail = "no TSC ticks";
		return 0;
	}
	if (err_ppm)
		*err_ppm = (s0.width / 2 + s.width / 2) * 1000000 / dt + 1000000 / elapsed + 1;
	return clock_rate(dt, elapsed, c->freq);
}

/* ---- CPUID ---- */

static uint64_t from_cpuid15(void)
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

static uint64_t from_cpuid16(void)
{
	uint32_t r[4];
	x86_cpuid(0, 0, r);
	if (r[0] < 0x16)
		return 0;
	x86_cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000000;
}

/* ---- PIT channel 2: 16 bits counting down at 1.193182 MHz ---- */

static uint64_t pit_read(void)
{
	outb(0x43, 0x80);                       /* latch channel 2 */
	uint8_t lo = inb(0x42), hi = inb(0x42);
	return (uint16_t)-(lo | hi << 8);       /* as a count up */
}

static const struct refclock pit = { 1193182, 0xffff, pit_read };

static uint64_t from_pit(const char **fail)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb4);                       /* channel 2, lo/hi byte, mode 2 */
	outb(0x42, 0);                          /* 0: 65536, so it wraps as 16 bits do */
	outb(0x42, 0);
	uint64_t f[3];
	for (int run = 0; run < 3; run++) {
		f[run] = measure(&pit, 11932, NULL, fail);               /* 10 ms */
		if (f[run] == 0 && *fail == NO_TICKS)
			return 0;                               /* no ticks: dead */
		if (f[run] == 0 && (f[run] = measure(&pit, 11932, NULL, fail)) == 0)
			return 0;                               /* too slow twice */
	}
	uint64_t lo = f[0] < f[1] ? f[0] : f[1], hi = f[0] ^ f[1] ^ lo;
	return f[2] < lo ? lo : f[2] > hi ? hi : f[2];
}

/* ---- HPET: the main counter, period in femtoseconds ---- */

static volatile uint64_t *hpet_regs;
static uint64_t hpet_read(void) { return hpet_regs[30]; }
static struct refclock hpet = { 0, 0, hpet_read };

/* The HPET's long window: from_hpet takes its first sample and returns a
 * rate from a short window, good to a fraction of a percent, for the rest
 * of the boot; tsc_calibrate_finish takes the second sample when the boot
 * has done its other work (milliseconds later), so the long window costs
 * no waiting. */
static struct sample hpet_s0;
static bool hpet_pending;

static bool hpet_setup(void)
{
	if (hpet.freq)
		return true;
	if (!acpi.hpet_addr)
		return false;
	volatile uint64_t *h = vm_map_mmio(acpi.hpet_addr, 1024);
	if (!h)
		return false;
	uint64_t period_fs = h[0] >> 32;        /* capabilities: counter period */
	if (period_fs == 0 || period_fs > 100000000)
		return false;                   /* the spec allows at most 100 ns */
	h[2] |= 1;                              /* general configuration: enable */
	hpet_regs = h;
	hpet.freq = 1000000000000000ull / period_fs;
	/* capabilities bit 13: a 64-bit main counter; else it wraps at 2^32 */
	hpet.mask = (h[0] >> 13) & 1 ? ~0ull : 0xffffffffull;
	(void)hpet_read();                      /* the first read maps and warms the way */
	return true;
}

static uint64_t from_hpet(const char **fail)
{
	if (!hpet_setup())
		return 0;
	hpet_s0 = take(&hpet);
	uint64_t f = measure(&hpet, hpet.freq / 4000, NULL, fail);      /* 250 us */
	hpet_pending = f != 0;
	return f;
}

/* ---- ACPI PM timer: 24 or 32 bits at 3.579545 MHz ---- */

static uint64_t pm_read(void) { return inl((uint16_t)acpi.pm_timer_port); }
static struct refclock pm = { 3579545, 0, pm_read };

static bool pm_setup(void)
{
	if (!acpi.pm_timer_port)
		return false;
	pm.mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	return true;
}

/* 2 ms, or 10 ms when it checks CPUID's figure (to a few ppm then) */
static uint64_t from_pm(const char **fail)
{
	if (!pm_setup())
		return 0;
	return measure(&pm, claimed_hz ? 35795 : 7159, &measured_err_ppm, fail);
}

/* ---- choosing ---- */

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* try: one reference clock; its rate, or 0 with why[] filled in. */
static uint64_t try(int src)
{
	const char *fail = "absent";
	uint64_t f = 0;
	switch (src) {
	case SRC_HPET: f = from_hpet(&fail); break;
	case SRC_PM: f = from_pm(&fail); break;
	case SRC_PIT: f = from_pit(&fail); break;
	}
	if (!f)
		why[src] = fail;
	return f;
}

/* decide: CPUID's claim against the measurement, once both are in. */
static void decide(void)
{
	xverdict = clock_xcheck(claimed_hz, measured_hz, measured_err_ppm);
	if (xverdict == XCHECK_MEASURED) {
		hz = measured_hz;
		chosen = measured_src;
	} else {
		hz = claimed_hz;
		chosen = claimed_src;
	}
}

/*
 * tsc_calibrate: the TSC's rate, never 0. force (clocksource=) names the
 * clock to try first: a CPUID leaf forced is taken as it is, unchecked.
 */
uint64_t tsc_calibrate(const char *force)
{
	int first = -1;
	if (force) {
		for (int i = 0; i < NSRC; i++)
			if (streq(force, names[i]))
				first = i;
		if (first < 0)
			unknown_force = force;
		forced = first;
	}
	uint64_t c15 = from_cpuid15(), c16 = from_cpuid16();
	fast_hz = clock_fast_hz(c15 ? c15 : c16);
	if (first == SRC_CPUID15 || first == SRC_CPUID16) {
		uint64_t c = first == SRC_CPUID15 ? c15 : c16;
		if (c) {
			chosen = first;
			return hz = c;
		}
		why[first] = "absent";
	}
	if (c15 || c16) {
		claimed_src = c15 ? SRC_CPUID15 : SRC_CPUID16;
		claimed_hz = c15 ? c15 : c16;
	}
	static const int order[] = { SRC_HPET, SRC_PM, SRC_PIT };
	int tries[4], n = 0;
	if (first >= SRC_HPET)
		tries[n++] = first;
	for (int i = 0; i < 3; i++)
		if (order[i] != first)
			tries[n++] = order[i];
	for (int i = 0; i < n; i++) {
		uint64_t f = try(tries[i]);
		if (!f)
			continue;
		measured_src = tries[i];
		measured_hz = f;
		if (!claimed_hz) {
			chosen = measured_src;
			return hz = f;
		}
		if (measured_src != SRC_HPET)   /* the HPET's decision waits for its long window */
			decide();
		else
			hz = claimed_hz;
		return hz;
	}
	if (claimed_hz) {
		decide();
		return hz;
	}
	chosen = SRC_GUESS;
	return hz = GUESS_HZ;
}

/* tsc_calibrate_finish returns the TSC rate over the HPET's long window
 * (at least 1 ms, 10 ms when it checks CPUID's figure, waited for if the
 * boot was quicker; each end is a read bracketed within a microsecond or
 * two), or the rate tsc_calibrate returned when it used another clock. */
uint64_t tsc_calibrate_finish(void)
{
	if (!hpet_pending)
		return hz;
	hpet_pending = false;
	uint64_t window = claimed_hz ? claimed_hz / 100 : hz / 1000;
	while (rdtsc() - hpet_s0.tsc < window)
		cpu_relax();
	struct sample s1 = take(&hpet);
	uint64_t dt = s1.tsc - hpet_s0.tsc, dc = (s1.count - hpet_s0.count) & hpet.mask;
	if (dc > 0 && dt > 0) {
		measured_hz = clock_rate(dt, dc, hpet.freq);
		measured_err_ppm = (hpet_s0.width / 2 + s1.width / 2) * 1000000 / dt + 1000000 / dc + 1;
	}
	if (claimed_hz)
		decide();
	else
		hz = measured_hz;
	return hz;
}

const char *tsc_source(void) { return longnames[chosen < 0 ? SRC_GUESS : chosen]; }

static void mhz(uint64_t f)
{
	kprintf("%lu.%lu MHz", f / 1000000, f / 100000 % 10);
}

/* worth: whether clock i's failure is worth a word: anything but its
 * absence, unless it was asked for or nothing else answered */
static bool worth(int i)
{
	return why[i] && (!streq(why[i], "absent") || i == forced || chosen == SRC_GUESS);
}

/* tsc_report_notable: whether the report says more than the usual: a
 * clock that did not answer, CPUID's figure corrected or unchecked, a
 * clocksource= not followed, a guess. */
bool tsc_report_notable(void)
{
	for (int i = 0; i < NSRC; i++)
		if (worth(i))
			return true;
	return chosen == SRC_GUESS || unknown_force || xverdict == XCHECK_MEASURED || xverdict == XCHECK_UNCHECKED;
}

/*
 * tsc_report prints, without a newline, the rate and where it came from,
 * then in parentheses what else was found or failed:
 *   2995.1 MHz from HPET (PIT: no ticks)
 *   2995.1 MHz from HPET (CPUID leaf 15h said 3000.0 MHz: 1632 ppm off)
 *   3000.0 MHz from CPUID leaf 15h (HPET agrees: 3000.1 MHz)
 *   3000.0 MHz, a guess (HPET: absent, ACPI PM timer: no ticks, PIT: no ticks)
 */
void tsc_report(void)
{
	mhz(hz);
	if (chosen == SRC_GUESS)
		kprintf(", a guess");
	else
		kprintf(" from %s", tsc_source());
	const char *sep = " (";
	if (unknown_force) {
		kprintf("%sclocksource=%s: no such clock (cpuid15, cpuid16, hpet, pm, pit)", sep, unknown_force);
		sep = ", ";
	}
	if (claimed_src >= 0 && xverdict >= 0) {
		if (xverdict == XCHECK_MEASURED) {
			kprintf("%s%s said ", sep, longnames[claimed_src]);
			mhz(claimed_hz);
			kprintf(": %lu ppm off", clock_ppm(claimed_hz, measured_hz));
		} else if (xverdict == XCHECK_AGREE) {
			kprintf("%s%s agrees: ", sep, longnames[measured_src]);
			mhz(measured_hz);
		} else if (measured_src >= 0) {
			kprintf("%sunchecked: %s says ", sep, longnames[measured_src]);
			mhz(measured_hz);
			kprintf(" +-%lu ppm", measured_err_ppm);
		} else {
			kprintf("%sunchecked: no clock to check it against", sep);
		}
		sep = ", ";
	}
	for (int i = 0; i < NSRC; i++) {
		if (!worth(i))
			continue;
		kprintf("%s%s: %s", sep, longnames[i], why[i]);
		sep = ", ";
	}
	if (sep[0] == ',')
		kprintf(")");
}

/* ---- the reference clocks for test=hw ---- */

/*
 * tsc_refclock_rate measures the TSC against reference clock i (0 HPET,
 * 1 ACPI PM timer, 2 PIT) over ms milliseconds: its name, and the rate
 * with its uncertainty, or 0 with *fail saying why (absent, no ticks).
 * The PIT is left programmed as tsc_calibrate left it (or set up here).
 */
const char *tsc_refclock_name(int i)
{
	return i >= 0 && i < 3 ? longnames[SRC_HPET + i] : NULL;
}

uint64_t tsc_refclock_rate(int i, uint64_t ms, uint64_t *err_ppm, const char **fail)
{
	*fail = "absent";
	*err_ppm = 0;
	const struct refclock *c;
	switch (i) {
	case 0:
		if (!hpet_setup())
			return 0;
		c = &hpet;
		break;
	case 1:
		if (!pm_setup())
			return 0;
		c = &pm;
		break;
	case 2:
		outb(0x61, (inb(0x61) & ~0x02) | 0x01);
		outb(0x43, 0xb4);
		outb(0x42, 0);
		outb(0x42, 0);
		c = &pit;
		ms = ms > 50 ? 50 : ms;         /* it wraps every 55 ms: read it well within */
		break;
	default:
		return 0;
	}
	uint64_t saved = fast_hz;
	fast_hz = clock_fast_hz(hz);
	uint64_t f = measure(c, c->freq * ms / 1000, err_ppm, fail);
	fast_hz = saved;
	return f;
}

/* ---- skew between CPUs ---- */

/*
 * A new CPU's TSC against the boot CPU's: the new CPU answers a handshake
 * with its TSC; the answer is compared with the middle of the round trip,
 * best of 8 rounds. When the skew is beyond 5 us for certain
 * (clock_skew_verdict), a CPU with IA32_TSC_ADJUST writes the difference
 * into it and the rounds are run again; a skew that stays is an unstable
 * TSC, and the CPU is left out (docs/runtime.md says why).
 */
#define MSR_TSC_ADJUST 0x3b
enum { SKEW_PING_MAX = 8, SKEW_VERDICT = 100 };
static volatile uint64_t skew_ping, skew_pong;
static volatile int64_t skew_fix;       /* SKEW_VERDICT's payload: adjust by this, or a verdict */
enum { FIX_NONE = 0, FIX_STAY = 1, FIX_LEAVE = 2 };

static bool has_tsc_adjust(void)
{
	uint32_t r[4];
	x86_cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	x86_cpuid(7, 0, r);
	return (r[1] >> 1) & 1;
}

/* tsc_skew_answer runs on the new CPU: true when it may go on. */
bool tsc_skew_answer(void)
{
	for (int r = 1;; r++) {
		uint64_t v;
		while ((v = __atomic_load_n(&skew_ping, __ATOMIC_ACQUIRE)) == 0)
			cpu_relax();
		if (v == SKEW_VERDICT) {
			int64_t fix = skew_fix;
			__atomic_store_n(&skew_ping, 0, __ATOMIC_RELEASE);
			if (fix == FIX_STAY)
				return true;
			if (fix == FIX_LEAVE)
				return false;
			wrmsr(MSR_TSC_ADJUST, rdmsr(MSR_TSC_ADJUST) - (uint64_t)fix);
			continue;
		}
		__atomic_store_n(&skew_pong, rdtsc(), __ATOMIC_RELEASE);
		__atomic_store_n(&skew_ping, 0, __ATOMIC_RELEASE);
	}
}

/* ping: one request to the new CPU; false when it does not answer within a second or so. */
static bool ping(uint64_t what)
{
	__atomic_store_n(&skew_ping, what, __ATOMIC_RELEASE);
	uint64_t t0 = rdtsc(), limit = clock_budget(hz ? hz : fast_hz, 1000000);
	while (__atomic_load_n(&skew_ping, __ATOMIC_ACQUIRE) != 0)
		if (rdtsc() - t0 > limit)
			return false;
	return true;
}

static int64_t skew_rounds(uint64_t *err)
{
	int64_t best = 0;
	uint64_t bestrtt = ~0ull;
	for (int r = 1; r <= SKEW_PING_MAX; r++) {
		uint64_t t0 = rdtsc();
		if (!ping((uint64_t)r)) {
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

static void verdict(int64_t v)
{
	skew_fix = v;
	ping(SKEW_VERDICT);
}

/* tsc_skew_measure runs on the boot CPU: the new CPU's TSC minus ours in
 * ticks, its uncertainty in *err; *ok false when the CPU is left out. */
int64_t tsc_skew_measure(uint64_t *err, bool *ok)
{
	uint64_t bound = (hz ? hz : fast_hz) / 200000;  /* 5 us */
	int64_t skew = skew_rounds(err);
	int v = clock_skew_verdict(skew, *err, bound, has_tsc_adjust());
	if (v == SKEW_ADJUST) {
		int64_t before = skew;
		verdict(skew);
		skew = skew_rounds(err);
		v = clock_skew_verdict(skew, *err, bound, false);
		kprintf("smp: a CPU's TSC was %ld ticks off the boot CPU's; IA32_TSC_ADJUST set, now %ld\n",
		        (long)before, (long)skew);
	}
	*ok = v == SKEW_OK;
	verdict(*ok ? FIX_STAY : FIX_LEAVE);
	return skew;
}

/* tsc_skew_probe measures another CPU's TSC against this one's now
 * (test=hw): that CPU must be in tsc_skew_answer, sent there by an IPI. */
int64_t tsc_skew_probe(uint64_t *err)
{
	int64_t skew = skew_rounds(err);
	verdict(FIX_STAY);
	return skew;
}

/* tsc_delay_us waits at least us microseconds (busy: only for hardware
 * sequences that need a pause before anything can run, such as INIT-SIPI). */
void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + clock_budget(hz ? hz : fast_hz, us);
	while (rdtsc() < end)
		cpu_relax();
}
