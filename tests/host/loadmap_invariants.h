/*
 * loadmap_invariants.h - what boot/memmap.c's answers must satisfy,
 * whatever the firmware's map says; shared by loadmap_test.c and
 * fuzz_loadmap.c. Each function returns NULL when all is well, else what
 * is wrong.
 *
 * The page tables are checked by walking them as the CPU would: every
 * table address must lie inside the block the loader allocated, and every
 * mapping must be exactly the one memmap.h promises.
 */
#ifndef HOST_LOADMAP_INVARIANTS_H
#define HOST_LOADMAP_INVARIANTS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

#define LM_PAGE    4096ull
#define LM_GIB     (1ull << 30)
#define LM_PHYSEND (1ull << 52)

static char lm_why[200];

static uint64_t lm_end(uint64_t phys, uint64_t pages)
{
	if (phys >= LM_PHYSEND || pages > (LM_PHYSEND - phys) / LM_PAGE)
		return LM_PHYSEND;
	return phys + pages * LM_PAGE;
}

static int lm_is_memory(uint32_t t)
{
	return (t >= 1 && t <= 7) || t == 9 || t == 10 || t == 14;
}

static struct efi_desc lm_desc(const void *map, size_t off)
{
	struct efi_desc d;
	memcpy(&d, (const char *)map + off, sizeof d);
	return d;
}

/* the limit: GiB multiple in [4 GiB, DIRECT_MAP_MAX], covering every
 * memory descriptor and the framebuffer, and no more than needed */
static const char *lm_check_limit(const void *map, size_t map_size, size_t desc_size,
                                  uint64_t fb_base, uint64_t fb_size, const struct memmap_limit *l)
{
	if (l->limit % LM_GIB || l->limit < MEMMAP_LIMIT_MIN || l->limit > DIRECT_MAP_MAX)
		return snprintf(lm_why, sizeof lm_why, "limit %#llx out of range", (unsigned long long)l->limit), lm_why;
	if (l->bad_desc_size != (desc_size < EFI_DESC_MIN))
		return "bad_desc_size wrong";
	uint64_t need = MEMMAP_LIMIT_MIN, dropped = 0;
	if (desc_size >= EFI_DESC_MIN)
		for (size_t off = 0; off + desc_size <= map_size; off += desc_size) {
			struct efi_desc d = lm_desc(map, off);
			if (!lm_is_memory(d.type) || !d.pages)
				continue;
			uint64_t e = lm_end(d.phys, d.pages);
			if (e > DIRECT_MAP_MAX) {
				if (d.phys < e)         /* past 2^52 nothing exists to drop */
					dropped += e - (d.phys > DIRECT_MAP_MAX ? d.phys : DIRECT_MAP_MAX);
				e = DIRECT_MAP_MAX;
			}
			if (e > need)
				need = e;
		}
	if (fb_size) {
		uint64_t e = lm_end(fb_base, (fb_size + LM_PAGE - 1) / LM_PAGE);
		if ((e > DIRECT_MAP_MAX) != l->fb_dropped)
			return "fb_dropped wrong";
		if (e <= DIRECT_MAP_MAX && e > need)
			need = e;
	} else if (l->fb_dropped) {
		return "fb_dropped without a framebuffer";
	}
	if (l->limit < need || l->limit - need >= LM_GIB)
		return snprintf(lm_why, sizeof lm_why, "limit %#llx, needed %#llx",
		                (unsigned long long)l->limit, (unsigned long long)need), lm_why;
	if (l->dropped != dropped)
		return "dropped bytes wrong";
	return NULL;
}

/* the copy: entries non-empty, below 2^52, every page of every descriptor
 * accounted for (copied, merged or counted as dropped), order kept */
static const char *lm_check_copy(const void *map, size_t map_size, size_t desc_size,
                                 const struct bootinfo_mem *out, uint32_t n, uint32_t max, uint32_t dropped)
{
	if (n > max)
		return "more entries than room";
	uint64_t in_pages = 0, out_pages = 0;
	uint32_t in_n = 0;
	if (desc_size >= EFI_DESC_MIN)
		for (size_t off = 0; off + desc_size <= map_size; off += desc_size) {
			struct efi_desc d = lm_desc(map, off);
			uint64_t e = lm_end(d.phys, d.pages);
			if (d.pages && d.phys < e) {
				in_pages += (e - d.phys) / LM_PAGE;
				in_n++;
			}
		}
	for (uint32_t i = 0; i < n; i++) {
		if (out[i].pages == 0 || out[i].phys >= LM_PHYSEND ||
		    out[i].pages > (LM_PHYSEND - out[i].phys) / LM_PAGE)
			return "an entry empty or past 2^52";
		if (i && out[i - 1].type == out[i].type && out[i - 1].attr == out[i].attr &&
		    out[i - 1].phys + out[i - 1].pages * LM_PAGE == out[i].phys)
			return "two mergeable entries left apart";
		out_pages += out[i].pages;
	}
	if (dropped == 0 && out_pages != in_pages)
		return snprintf(lm_why, sizeof lm_why, "%llu pages in, %llu out", (unsigned long long)in_pages,
		                (unsigned long long)out_pages), lm_why;
	if (dropped > in_n || (dropped && n != max))
		return "dropped count wrong";
	return NULL;
}

/* lm_table: the table an entry points to, if inside the block */
static const uint64_t *lm_table(uint64_t e, const void *block, uint64_t pages)
{
	uint64_t a = e & 0x000ffffffffff000ull, b = (uint64_t)block;
	if (e & 0xfff0000000000000ull || a < b || a >= b + pages * LM_PAGE)
		return NULL;
	return (const uint64_t *)a;
}

/*
 * The tables: PML4 entries only where promised, every table inside the
 * block, the 2 MiB pages of [0, limit) at both the identity and direct
 * addresses, the image's 4 KiB pages at KERNEL_BASE + (lo - KERNEL_BASE)
 * and nothing else in the image's window. Walks every entry: keep limit
 * small when calling it often.
 */
static const char *lm_check_tables(const void *block, const struct memmap_tables *t, uint64_t pml4,
                                   uint64_t limit, uint64_t lo, uint64_t hi, uint64_t kphys)
{
	const uint64_t *top = (const uint64_t *)pml4;
	if (pml4 != (uint64_t)block)
		return "PML4 not at the block's start";
	uint64_t npdpt = (limit / LM_GIB + 511) / 512;
	for (unsigned i = 0; i < 512; i++) {
		int ident = i < npdpt, direct = i >= 256 && i - 256 < npdpt, image = i == 511;
		if (!(top[i] & 1)) {
			if (ident || direct || image)
				return "a PML4 entry missing";
			continue;
		}
		if (!ident && !direct && !image)
			return snprintf(lm_why, sizeof lm_why, "PML4[%u] present", i), lm_why;
		const uint64_t *pdpt = lm_table(top[i], block, t->pages);
		if (!pdpt)
			return "a PDPT outside the block";
		if (image) {
			for (unsigned j = 0; j < 512; j++) {
				if (j != 510) {
					if (pdpt[j] & 1)
						return "the image's PDPT maps more than -2 GiB";
					continue;
				}
				const uint64_t *pd = lm_table(pdpt[j], block, t->pages);
				if (!pd)
					return "the image's PD outside the block";
				uint64_t first = (lo - KERNEL_BASE) / LM_PAGE, last = (hi - KERNEL_BASE) / LM_PAGE;
				for (unsigned k = 0; k < 512; k++) {
					int used = k >= first / 512 && k <= (last - 1) / 512;
					if (!(pd[k] & 1)) {
						if (used)
							return "an image page table missing";
						continue;
					}
					if (!used)
						return "an image page table too many";
					if (pd[k] & 0x80)
						return "a large page in the image";
					const uint64_t *pt = lm_table(pd[k], block, t->pages);
					if (!pt)
						return "an image page table outside the block";
					for (unsigned m = 0; m < 512; m++) {
						uint64_t pg = (uint64_t)k * 512 + m;
						if (pg >= first && pg < last) {
							if (pt[m] != ((kphys + (pg - first) * LM_PAGE) | 3))
								return "an image page mapped wrong";
						} else if (pt[m]) {
							return "a page outside the image mapped";
						}
					}
				}
			}
			continue;
		}
		if (direct && top[i] != top[i - 256])
			return "direct and identity maps differ";
		for (unsigned j = 0; j < 512; j++) {
			uint64_t gib = (uint64_t)(i % 256) * 512 + j;
			if (gib >= limit / LM_GIB) {
				if (pdpt[j] & 1)
					return "a GiB past the limit mapped";
				continue;
			}
			if (direct)
				continue;       /* the same PDPT as the identity map's */
			const uint64_t *pd = lm_table(pdpt[j], block, t->pages);
			if (!pd || (pdpt[j] & 0x80))
				return "a page directory outside the block";
			for (unsigned k = 0; k < 512; k++)
				if (pd[k] != (((gib << 30) + ((uint64_t)k << 21)) | 0x83))
					return snprintf(lm_why, sizeof lm_why, "2 MiB page %#llx mapped wrong",
					                (unsigned long long)((gib << 30) + ((uint64_t)k << 21))), lm_why;
		}
	}
	return NULL;
}

#endif
