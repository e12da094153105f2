/*
 * loadmap_input.h - fuzz_loadmap's input format, and one run of
 * boot/memmap.c over an input with every answer checked
 * (loadmap_invariants.h); loadmap_test.c writes the seeds and replays
 * them through the same lm_run.
 *
 * An input is a 33-byte header, then the firmware's memory map:
 *    0      desc_size (one byte: sizes under 40 are refused maps)
 *    1..8   framebuffer base     9..16  framebuffer size
 *   17..20  the image's first page in the 1 GiB window (mod 2^18)
 *   21..24  its pages (1 + mod 4096)
 *   25..32  where it was loaded (page aligned down)
 * all little-endian.
 */
#ifndef HOST_LOADMAP_INPUT_H
#define HOST_LOADMAP_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memmap.h"
#include "loadmap_invariants.h"

#define LM_HDR 33
#define LM_WALK_MAX (64ull << 30)       /* tables walked whole only up to this limit */

__attribute__((unused)) static size_t lm_encode(unsigned char *buf, size_t desc_size, uint64_t fb_base, uint64_t fb_size,
                        uint32_t first, uint32_t pages, uint64_t kphys, const void *map, size_t map_size)
{
	buf[0] = (unsigned char)desc_size;
	memcpy(buf + 1, &fb_base, 8);
	memcpy(buf + 9, &fb_size, 8);
	memcpy(buf + 17, &first, 4);
	pages -= 1;
	memcpy(buf + 21, &pages, 4);
	memcpy(buf + 25, &kphys, 8);
	memcpy(buf + LM_HDR, map, map_size);
	return LM_HDR + map_size;
}

static const char *lm_run(const unsigned char *data, size_t size)
{
	if (size < LM_HDR)
		return NULL;
	size_t desc_size = data[0];
	uint64_t fb_base, fb_size, kphys;
	uint32_t first, pages;
	memcpy(&fb_base, data + 1, 8);
	memcpy(&fb_size, data + 9, 8);
	memcpy(&first, data + 17, 4);
	memcpy(&pages, data + 21, 4);
	memcpy(&kphys, data + 25, 8);
	first %= 1u << 18;
	pages = 1 + pages % 4096;
	kphys &= ~0xfffull;

	/* the map in a block of exactly its size */
	size_t map_size = size - LM_HDR;
	void *map = malloc(map_size ? map_size : 1);
	memcpy(map, data + LM_HDR, map_size);
	const char *why;

	struct memmap_limit l;
	memset(&l, 0xa5, sizeof l);
	memmap_limit(map, map_size, desc_size, fb_base, fb_size, &l);
	why = lm_check_limit(map, map_size, desc_size, fb_base, fb_size, &l);

	/* the copy, with room for all and with room for three */
	for (uint32_t max = 64; !why && max; max = max == 64 ? 3 : 0) {
		struct bootinfo_mem *out = malloc(max * sizeof *out);
		uint32_t dropped = 0xa5a5a5a5;
		uint32_t n = memmap_copy(map, map_size, desc_size, out, max, &dropped);
		why = lm_check_copy(map, map_size, desc_size, out, n, max, dropped);
		free(out);
	}

	/* the tables: for the limit found when small enough to walk, else a
	 * smaller one it suggests */
	uint64_t limit = l.limit;
	if (limit > LM_WALK_MAX)
		limit = MEMMAP_LIMIT_MIN + (limit % (LM_WALK_MAX - MEMMAP_LIMIT_MIN)) / LM_GIB * LM_GIB;
	uint64_t lo = KERNEL_BASE + (uint64_t)first * LM_PAGE, hi = lo + (uint64_t)pages * LM_PAGE;
	int fits = hi - KERNEL_BASE <= LM_GIB && kphys < LM_PHYSEND && hi - lo <= LM_PHYSEND - kphys;
	struct memmap_tables t;
	int rc = why ? -1 : memmap_tables_size(limit, lo, hi, kphys, &t);
	if (!why && rc != (fits ? 0 : -1))
		why = "memmap_tables_size: wrong answer";
	if (!why && rc == 0) {
		if (t.pages != 1 + t.pdpts + t.pds + 2 + t.kpts || t.pds != limit / LM_GIB)
			why = "memmap_tables_size: wrong sizes";
		void *block = aligned_alloc(4096, t.pages * 4096);
		memset(block, 0, t.pages * 4096);
		uint64_t pml4 = memmap_build_tables(block, &t, limit, lo, hi, kphys);
		if (!why)
			why = lm_check_tables(block, &t, pml4, limit, lo, hi, kphys);
		free(block);
	}
	free(map);
	return why;
}

#endif
