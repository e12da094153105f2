/*
 * fbcons_test.c - test=fbscroll: how many lines a second the framebuffer
 * console scrolls, measured with the TSC. Lines go straight to fbcons (no
 * serial line in the way), one flush per line as console_write does, once
 * the screen is full so every line scrolls. docs/performance.md has the
 * figures.
 */
#include "ktest.h"
#include "../../kernel/console.h"

extern uint64_t tsc_hz;

#define LINES 2000

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void put_line(int i)
{
	char line[] = "fbscroll: line 00000 of the scrolling test, with some text for the glyphs\n";
	for (int k = 19, v = i; k >= 15; k--, v /= 10)
		line[k] = (char)('0' + v % 10);
	for (const char *p = line; *p; p++)
		fbcons_putc(*p);
	fbcons_flush();
}

static void scroll_rate(void)
{
	if (!fbcons_active()) {
		kt_skip("no framebuffer");
		return;
	}
	uint64_t fl;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(fl) : : "memory");
	for (int i = 0; i < 200; i++)           /* fill the screen: from here on every line scrolls */
		put_line(i);
	uint64_t t0 = tsc();
	for (int i = 0; i < LINES; i++)
		put_line(i);
	uint64_t dt = tsc() - t0;
	if (fl & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
	uint64_t ms = dt * 1000 / tsc_hz;
	printf("# fbscroll: %d lines in %lu ms: %lu lines/s\n", LINES, ms, ms ? LINES * 1000 / ms : 0);
	KT_ASSERT(ms > 0);
}

static const struct ktest_case fbscroll_cases[] = {
	{ scroll_rate, "scroll_rate" },
};
KTEST_SUITE(fbscroll, fbscroll_cases);
