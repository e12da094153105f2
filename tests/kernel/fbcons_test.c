/*
 * fbcons_test.c - test=fbscroll: how many lines a second the framebuffer
 * console scrolls, measured with the TSC. Lines go straight to fbcons (no
 * serial line in the way), one flush per line as console_write does, once
 * the screen is full so every line scrolls. docs/performance.md has the
 * figures. And keeps_firmware_lines: on a small framebuffer in memory,
 * the firmware's pixels above text_end stay until the screen is full,
 * then go all at once, the text moving to the top.
 */
#include "ktest.h"
#include "../../kernel/console.h"
#include "../../kernel/kernel.h"

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

#define FW_PIXEL 0x00123456u
enum { W = 64, H = 64 };                /* 8 x 4 cells of 8x16 */
static uint32_t fakefb[W * H];

static int count(uint32_t y0, uint32_t y1, uint32_t px)
{
	int n = 0;
	for (uint32_t i = y0 * W; i < y1 * W; i++)
		n += fakefb[i] == px;
	return n;
}

static void puts_fb(const char *s)
{
	for (; *s; s++)
		fbcons_putc(*s);
	fbcons_flush();
}

static void keeps_firmware_lines(void)
{
	uint64_t fl;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(fl) : : "memory");
	for (int i = 0; i < W * H; i++)
		fakefb[i] = FW_PIXEL;
	fbcons_init(fakefb, W, H, W, 1, 20);    /* firmware text in pixel rows 0-19: our rows 0-1 */
	KT_ASSERT(count(0, 32, FW_PIXEL) == 32 * W);
	KT_ASSERT(count(32, 64, FW_PIXEL) == 0);        /* below: cleared */
	puts_fb("a\n");
	KT_ASSERT(count(0, 32, FW_PIXEL) == 32 * W);
	KT_ASSERT(count(32, 48, 0x00aaaaaa) > 0);        /* 'a' on row 2 */
	uint32_t a[16 * 8];
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 8; x++)
			a[y * 8 + x] = fakefb[(32 + y) * W + x];
	puts_fb("b\n");                        /* past the bottom: the firmware's rows go */
	KT_ASSERT(count(0, 64, FW_PIXEL) == 0);
	int same = 1;
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 8; x++)
			same &= a[y * 8 + x] == fakefb[y * W + x];
	KT_ASSERT(same);                        /* 'a' now on row 0 */
	KT_ASSERT(count(48, 64, 0) == 16 * W);  /* row 3 blank */

	const struct bootinfo_fb *f = &bootinfo->fb;
	fbcons_init(f->base ? phys_to_virt(f->base) : NULL, f->width, f->height, f->stride, f->format, 0);
	if (fl & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}

static const struct ktest_case fbscroll_cases[] = {
	{ keeps_firmware_lines, "keeps_firmware_lines" },
	{ scroll_rate, "scroll_rate" },
};
KTEST_SUITE(fbscroll, fbscroll_cases);
