/*
 * fbcons.c - the framebuffer half of the console: a fixed grid of text
 * cells drawn with the bitmap font tools/psf2c.py compiles into font.h,
 * light grey on black, scrolling up by one text line when output runs past
 * the bottom. It keeps no shadow copy of the screen; a scroll moves the
 * pixels already on the framebuffer and clears only the freed line, so its
 * cost does not depend on how much text is shown. Not reentrant: the
 * caller (console.c) serialises access.
 */
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "font.h"

#define TAB_WIDTH 8

/* VGA's "light grey" and black, as 8-bit R, G, B. */
#define FG_R 0xaa
#define FG_G 0xaa
#define FG_B 0xaa
#define BG_R 0x00
#define BG_G 0x00
#define BG_B 0x00

static struct {
	volatile uint32_t *base;
	uint32_t width, height;   /* pixels */
	uint32_t stride;          /* pixels per scan line */
	uint32_t cols, rows;      /* text cells */
	uint32_t cx, cy;          /* cursor; cx == cols means "wrap on next glyph" */
	uint32_t fg, bg;          /* pixel values in the framebuffer's format */
	int wide_copy;            /* scroll may move 8 bytes at a time */
	int active;
} fb;

/* The framebuffer's byte order decides where red goes; EFI only promises
 * these two 32-bit layouts for a linear framebuffer. */
static uint32_t pack_rgb(uint32_t format, uint32_t r, uint32_t g, uint32_t b)
{
	if (format == 0)
		return r | g << 8 | b << 16;    /* RGBX: red in the low byte */
	return b | g << 8 | r << 16;            /* BGRX */
}

/* Fill is the single primitive behind clearing the screen and the line a
 * scroll frees, so both stay a plain store loop. */
static void fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint32_t px)
{
	for (uint32_t row = 0; row < h; row++) {
		volatile uint32_t *p = fb.base + (size_t)(y + row) * fb.stride + x;
		for (uint32_t i = 0; i < w; i++)
			p[i] = px;
	}
}

/* Every pixel of the cell is written, background included, so a glyph
 * replaces whatever was under it without a separate clear. */
static void draw_glyph(uint32_t col, uint32_t row, unsigned char c)
{
	const unsigned char *g = font_glyphs[c];
	volatile uint32_t *line = fb.base +
		(size_t)row * FONT_HEIGHT * fb.stride + (size_t)col * FONT_WIDTH;

	for (uint32_t y = 0; y < FONT_HEIGHT; y++, line += fb.stride) {
		const unsigned char *bits = g + y * FONT_ROWBYTES;
		for (uint32_t x = 0; x < FONT_WIDTH; x++) {
			int on = bits[x / 8] & (0x80 >> (x % 8));
			line[x] = on ? fb.fg : fb.bg;
		}
	}
}

/* Moving pixels up is a forward copy (destination below source), so a
 * plain ascending loop is safe. Eight-byte accesses halve the number of
 * framebuffer reads, which are the slow part on real hardware. */
static void copy_lines_up(uint32_t dst_y, uint32_t src_y, uint32_t nlines,
			  uint32_t w)
{
	for (uint32_t i = 0; i < nlines; i++) {
		size_t d = (size_t)(dst_y + i) * fb.stride;
		size_t s = (size_t)(src_y + i) * fb.stride;
		if (fb.wide_copy) {
			volatile uint64_t *dp = (volatile uint64_t *)(fb.base + d);
			volatile uint64_t *sp = (volatile uint64_t *)(fb.base + s);
			for (uint32_t j = 0; j < w / 2; j++)
				dp[j] = sp[j];
		} else {
			for (uint32_t j = 0; j < w; j++)
				fb.base[d + j] = fb.base[s + j];
		}
	}
}

/* Only the text area moves; the margin right of and below the grid never
 * holds text and stays background. */
static void scroll_up(void)
{
	uint32_t w = fb.cols * FONT_WIDTH;
	uint32_t keep = (fb.rows - 1) * FONT_HEIGHT;

	copy_lines_up(0, FONT_HEIGHT, keep, w);
	fill_rect(0, keep, w, FONT_HEIGHT, fb.bg);
}

/* Scrolling happens here rather than when a line fills up, so the last
 * line stays usable until something actually goes below it. */
static void newline(void)
{
	fb.cx = 0;
	if (fb.cy + 1 < fb.rows)
		fb.cy++;
	else
		scroll_up();
}

/* The wrap is deferred to the next glyph, so a line exactly cols wide
 * followed by '\n' does not leave an empty line behind it. */
static void put_glyph(unsigned char c)
{
	if (fb.cx >= fb.cols)
		newline();
	draw_glyph(fb.cx, fb.cy, c);
	fb.cx++;
}

/* 64-bit copies need every scan line and the text width to stay 8-byte
 * aligned; otherwise fall back to 32-bit pixels. */
static int can_copy_wide(void)
{
	uintptr_t base = (uintptr_t)fb.base;
	return (base % 8) == 0 && (fb.stride % 2) == 0 &&
	       ((fb.cols * FONT_WIDTH) % 2) == 0;
}

void fbcons_init(volatile uint32_t *base, uint32_t width, uint32_t height,
		 uint32_t stride, uint32_t format)
{
	fb.active = 0;
	/* Anything we could not draw into correctly leaves the console off
	 * rather than scribbling over memory or showing garbage. */
	if (base == NULL || width == 0 || height == 0 || stride < width ||
	    format > 1 || width < FONT_WIDTH || height < FONT_HEIGHT)
		return;

	fb.base = base;
	fb.width = width;
	fb.height = height;
	fb.stride = stride;
	fb.cols = width / FONT_WIDTH;
	fb.rows = height / FONT_HEIGHT;
	fb.cx = fb.cy = 0;
	fb.fg = pack_rgb(format, FG_R, FG_G, FG_B);
	fb.bg = pack_rgb(format, BG_R, BG_G, BG_B);
	fb.wide_copy = can_copy_wide();
	fill_rect(0, 0, width, height, fb.bg);
	fb.active = 1;
}

int fbcons_active(void)
{
	return fb.active;
}

void fbcons_putc(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (!fb.active)
		return;
	switch (c) {
	case '\n':
		newline();
		return;
	case '\r':
		fb.cx = 0;
		return;
	case '\t':
		/* Tabs only move the cursor, like a terminal; at most to
		 * the pending-wrap column, never onto the next line. */
		fb.cx = (fb.cx / TAB_WIDTH + 1) * TAB_WIDTH;
		if (fb.cx > fb.cols)
			fb.cx = fb.cols;
		return;
	case '\b':
		/* Moves back without erasing, as terminals do; "\b \b" is
		 * how a line editor erases. */
		if (fb.cx > 0)
			fb.cx--;
		return;
	}
	if (c < 0x20 || c == 0x7f)
		return;         /* other controls (bell, escape...) draw nothing */
	if (c >= 0x80)
		c = '?';        /* the font holds ASCII only; UTF-8 bytes show as '?' */
	put_glyph(c);
}
