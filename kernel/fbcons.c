/*
 * fbcons.c - the framebuffer half of the console: a fixed grid of text
 * cells drawn with the bitmap font tools/psf2c.py compiles into font.h,
 * light grey on black, scrolling up when output runs past the bottom.
 *
 * Video memory is only ever written. On real GPUs the framebuffer is
 * uncached (or write-combining) memory behind a bus: a read costs a round
 * trip, so moving the screen up by reading it back takes most of a second
 * per line at 1080p. Instead the text lives in a shadow (text[], one
 * character + attribute per cell, its rows a ring so a scroll moves no
 * text) and shown[] remembers what each cell on the screen holds;
 * fbcons_flush draws just the cells where the two differ. Output between
 * two flushes, however many lines it scrolls, costs one redraw.
 *
 * The firmware's and the loader's lines stay: fbcons_init is told how far
 * down their text goes, starts below it and leaves those rows alone (they
 * are "foreign": pixels we never drew and cannot redraw). When the screen
 * is full, the first scroll drops all the foreign rows at once, since
 * moving their pixels would mean reading them back.
 *
 * Not reentrant: the caller (console.c) serialises access. Linked into
 * the loader too (boot/stranded.c), so no allocation: the shadow is static,
 * sized for 3840x2160 with the 8x16 font (the loader's for less); a larger
 * screen uses its top left part.
 */
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "font.h"

#define TAB_WIDTH 8
#ifndef FBCONS_MAX_COLS
#define FBCONS_MAX_COLS 480
#define FBCONS_MAX_ROWS 135
#endif
#define MAX_COLS FBCONS_MAX_COLS
#define MAX_ROWS FBCONS_MAX_ROWS

/* VGA's "light grey" and black, as 8-bit R, G, B. */
#define FG_R 0xaa
#define FG_G 0xaa
#define FG_B 0xaa
#define BG_R 0x00
#define BG_G 0x00
#define BG_B 0x00

/* A cell: the character in the low byte, its attribute (reserved for
 * colours; 0 now) in the high one. FOREIGN marks a cell whose pixels are
 * the firmware's. */
#define BLANK   ((uint16_t)' ')
#define FOREIGN ((uint16_t)0xffff)

static uint16_t text[MAX_ROWS * MAX_COLS];     /* logical row r is ring row (top + r) % rows */
static uint16_t shown[MAX_ROWS * MAX_COLS];    /* screen row r, as drawn */

static struct {
	volatile uint32_t *base;
	uint32_t width, height;   /* pixels */
	uint32_t stride;          /* pixels per scan line */
	uint32_t cols, rows;      /* text cells */
	uint32_t cx, cy;          /* cursor; cx == cols means "wrap on next glyph" */
	uint32_t top;             /* ring row of logical row 0 */
	uint32_t foreign;         /* logical rows 0..foreign-1 hold the firmware's text */
	uint32_t dirty_lo, dirty_hi;      /* screen rows to compare at the next flush */
	uint32_t fg, bg;          /* pixel values in the framebuffer's format */
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

static void fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t px)
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
	const unsigned char *g = font_glyphs[c & 0x7f];
	volatile uint32_t *line = fb.base +
		(size_t)row * FONT_HEIGHT * fb.stride + (size_t)col * FONT_WIDTH;
	uint32_t fg = fb.fg, bg = fb.bg;

	for (uint32_t y = 0; y < FONT_HEIGHT; y++, line += fb.stride) {
		const unsigned char *bits = g + y * FONT_ROWBYTES;
		for (uint32_t x = 0; x < FONT_WIDTH; x++)
			line[x] = bits[x / 8] & (0x80 >> (x % 8)) ? fg : bg;
	}
}

static uint16_t *text_row(uint32_t r)
{
	uint32_t ring = fb.top + r;
	if (ring >= fb.rows)
		ring -= fb.rows;
	return &text[(size_t)ring * fb.cols];
}

static void dirty(uint32_t lo, uint32_t hi)
{
	if (fb.dirty_lo >= fb.dirty_hi) {
		fb.dirty_lo = lo;
		fb.dirty_hi = hi;
		return;
	}
	if (lo < fb.dirty_lo)
		fb.dirty_lo = lo;
	if (hi > fb.dirty_hi)
		fb.dirty_hi = hi;
}

/* scroll moves the text up n rows: the ring turns, the rows that come in
 * at the bottom are blank, and every row will be compared at the flush.
 * Once foreign rows are gone, the margins (outside the grid) that may
 * still hold firmware pixels are cleared too. */
static void scroll(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint16_t *t = text_row(0);
		for (uint32_t c = 0; c < fb.cols; c++)
			t[c] = BLANK;
		fb.top = fb.top + 1 == fb.rows ? 0 : fb.top + 1;
	}
	if (fb.foreign) {
		fb.foreign = fb.foreign > n ? fb.foreign - n : 0;
		if (!fb.foreign) {
			uint32_t gw = fb.cols * FONT_WIDTH, gh = fb.rows * FONT_HEIGHT;
			fill_rect(gw, 0, fb.width - gw, fb.height, fb.bg);
			fill_rect(0, gh, gw, fb.height - gh, fb.bg);
		}
	}
	dirty(0, fb.rows);
}

/* Scrolling happens here rather than when a line fills up, so the last
 * line stays usable until something actually goes below it. With the
 * firmware's rows still on top, they all go at once. */
static void newline(void)
{
	fb.cx = 0;
	if (fb.cy + 1 < fb.rows) {
		fb.cy++;
		return;
	}
	uint32_t n = fb.foreign ? fb.foreign : 1;
	scroll(n);
	fb.cy = fb.rows - n;
}

/* The wrap is deferred to the next glyph, so a line exactly cols wide
 * followed by '\n' does not leave an empty line behind it. */
static void put_glyph(unsigned char c)
{
	if (fb.cx >= fb.cols)
		newline();
	text_row(fb.cy)[fb.cx] = c;
	dirty(fb.cy, fb.cy + 1);
	fb.cx++;
}

void fbcons_init(volatile uint32_t *base, uint32_t width, uint32_t height,
		 uint32_t stride, uint32_t format, uint32_t text_end)
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
	fb.cols = width / FONT_WIDTH > MAX_COLS ? MAX_COLS : width / FONT_WIDTH;
	fb.rows = height / FONT_HEIGHT > MAX_ROWS ? MAX_ROWS : height / FONT_HEIGHT;
	fb.fg = pack_rgb(format, FG_R, FG_G, FG_B);
	fb.bg = pack_rgb(format, BG_R, BG_G, BG_B);
	fb.top = 0;
	fb.dirty_lo = fb.dirty_hi = 0;

	/* The firmware's text, rounded up to whole rows of ours, keeping one
	 * row at least for our own; below it, whatever else the screen shows
	 * (a logo) is cleared. */
	fb.foreign = text_end >= height ? fb.rows - 1 : (text_end + FONT_HEIGHT - 1) / FONT_HEIGHT;
	if (fb.foreign >= fb.rows)
		fb.foreign = fb.rows - 1;
	for (uint32_t r = 0; r < fb.rows; r++)
		for (uint32_t c = 0; c < fb.cols; c++)
			text[r * fb.cols + c] = shown[r * fb.cols + c] = r < fb.foreign ? FOREIGN : BLANK;
	uint32_t y0 = fb.foreign * FONT_HEIGHT;
	fill_rect(0, y0, width, height - y0, fb.bg);
	fb.cx = 0;
	fb.cy = fb.foreign;
	fb.active = 1;
}

void fbcons_remap(volatile uint32_t *base)
{
	if (fb.active && base)
		fb.base = base;
}

int fbcons_active(void)
{
	return fb.active;
}

/* fbcons_flush draws every cell of the dirty rows whose shadow differs
 * from what the screen shows. */
void fbcons_flush(void)
{
	if (!fb.active)
		return;
	uint32_t hi = fb.dirty_hi > fb.rows ? fb.rows : fb.dirty_hi;
	for (uint32_t r = fb.dirty_lo; r < hi; r++) {
		const uint16_t *t = text_row(r);
		uint16_t *s = &shown[(size_t)r * fb.cols];
		for (uint32_t c = 0; c < fb.cols; c++) {
			if (t[c] == s[c] || t[c] == FOREIGN)
				continue;
			draw_glyph(c, r, (unsigned char)t[c]);
			s[c] = t[c];
		}
	}
	fb.dirty_lo = fb.dirty_hi = 0;
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
