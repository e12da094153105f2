/*
 * memmap.c - the boot memory map made sane, and the plan for handing its
 * free pages to the buddy allocator (see memmap.h). Pure logic: built
 * into the kernel (physmem.c follows the plan) and on the host
 * (tests/host/physmem_test.c, fuzz_physmem.c).
 *
 * Firmware maps are not always clean: entries overlap (a free range over
 * ACPI tables or runtime-services data, the same range listed twice),
 * arrive unsorted, or carry page counts that wrap. Handed to the buddy
 * allocator as they are, an overlap either stops the machine ("page ...
 * was already added") or gives out pages the firmware still owns. So the
 * map is swept once, as Linux's e820__update_table does: at every address
 * where an entry starts or ends, the strongest kind covering it is taken.
 */
#include "memmap.h"
#include "buddy.h"

#define PAGE     4096ull
#define PHYS_END (1ull << 52)           /* no x86-64 physical address reaches this */
#define LOW_FIRST 0x1000ull             /* the page at 0 is never used */

bool memmap_free_type(uint32_t t)
{
	return t == BI_MEM_CONVENTIONAL || t == BI_MEM_BOOT_CODE || t == BI_MEM_BOOT_DATA;
}

/*
 * strength: who wins where entries overlap. Free memory is weakest (a page
 * any other entry claims is not free), then the loader's own (the kernel,
 * boot info, page tables), then what the firmware keeps: ACPI tables,
 * runtime services, NVS, devices, and reserved or unknown kinds strongest.
 * Types of equal rank cannot meet: the type breaks ties.
 */
static uint64_t strength(uint32_t t)
{
	static const unsigned char rank[] = {
		[BI_MEM_CONVENTIONAL] = 0, [BI_MEM_BOOT_DATA] = 1, [BI_MEM_BOOT_CODE] = 2,
		[BI_MEM_LOADER_DATA] = 3, [BI_MEM_LOADER_CODE] = 4, [BI_MEM_PERSISTENT] = 5,
		[BI_MEM_ACPI_RECLAIM] = 6, [BI_MEM_RUNTIME_DATA] = 7, [BI_MEM_RUNTIME_CODE] = 8,
		[BI_MEM_ACPI_NVS] = 9, [BI_MEM_PAL_CODE] = 10, [BI_MEM_MMIO_PORT] = 11,
		[BI_MEM_MMIO] = 12, [BI_MEM_UNUSABLE] = 13, [BI_MEM_RESERVED] = 14,
	};
	uint64_t r = t < sizeof rank ? rank[t] : 15;    /* unknown (OEM, OS) types: reserved */
	return r << 32 | t;
}

/* bounds: the whole pages entry e covers, [*a, *b): a free kind shrunk to
 * them, any other grown; saturated at 2^52. False when nothing is left;
 * *cut when anything was (misaligned, wrapping, past 2^52). */
static bool bounds(const struct bootinfo_mem *e, uint64_t *a, uint64_t *b, bool *cut)
{
	uint64_t lo = e->phys, hi;
	if (lo >= PHYS_END || e->pages > (PHYS_END - lo) / PAGE) {
		hi = PHYS_END;
		*cut = true;
	} else {
		hi = lo + e->pages * PAGE;
	}
	if (lo % PAGE) {
		*cut = true;
		if (memmap_free_type(e->type)) {
			lo = lo > PHYS_END - PAGE ? PHYS_END : (lo + PAGE - 1) & ~(PAGE - 1);
			hi &= ~(PAGE - 1);
		} else {
			lo &= ~(PAGE - 1);
			hi = hi > PHYS_END - PAGE ? PHYS_END : (hi + PAGE - 1) & ~(PAGE - 1);
		}
	}
	*a = lo;
	*b = hi;
	return lo < hi;
}

/* sort_points: Shell sort by address (no library in the kernel; n is at
 * most a few thousand). */
static void sort_points(struct memmap_point *p, uint32_t n)
{
	for (uint32_t gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11) {
		for (uint32_t i = gap; i < n; i++) {
			struct memmap_point t = p[i];
			uint32_t j = i;
			for (; j >= gap && p[j - gap].addr > t.addr; j -= gap)
				p[j] = p[j - gap];
			p[j] = t;
		}
	}
}

uint32_t memmap_sanitize(const struct bootinfo_mem *in, uint32_t n, struct bootinfo_mem *out,
                         uint32_t cap, struct memmap_point *pts, unsigned *flags)
{
	uint32_t np = 0, nout = 0;
	*flags = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a, b;
		bool cut = in[i].pages == 0;
		if (i && in[i].phys < in[i - 1].phys)
			*flags |= MEMMAP_UNSORTED;
		bool some = bounds(&in[i], &a, &b, &cut);
		if (cut)
			*flags |= MEMMAP_CLIPPED;
		if (!some)
			continue;
		pts[np++] = (struct memmap_point){ a, i, 1 };
		pts[np++] = (struct memmap_point){ b, i, 0 };
	}
	sort_points(pts, np);

	/* each elementary interval [x, next) between change points: the
	 * strongest entry covering it, or a gap */
	for (uint32_t k = 0; k + 1 < np; k++) {
		uint64_t x = pts[k].addr, next = pts[k + 1].addr;
		if (x == next)
			continue;
		uint64_t best = 0, attr = 0;
		uint32_t type = 0, covering = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t a, b;
			bool cut = false;
			if (!bounds(&in[i], &a, &b, &cut) || a > x || b <= x)
				continue;
			covering++;
			attr |= in[i].attr;
			if (covering == 1 || strength(in[i].type) > best) {
				best = strength(in[i].type);
				type = in[i].type;
			}
		}
		if (covering > 1)
			*flags |= MEMMAP_OVERLAP;
		if (covering == 0)
			continue;
		struct bootinfo_mem *last = nout ? &out[nout - 1] : 0;
		if (last && last->type == type && last->attr == attr && last->phys + last->pages * PAGE == x) {
			last->pages += (next - x) / PAGE;
			continue;
		}
		if (nout == cap) {
			*flags |= MEMMAP_TRUNCATED;
			break;
		}
		out[nout++] = (struct bootinfo_mem){ .type = type, .phys = x, .pages = (next - x) / PAGE, .attr = attr };
	}
	return nout;
}

/* usable: the part of a free entry the allocator may have, [*lo, *hi) in
 * [1 MiB, limit), whole pages; empty (lo == hi) for any other entry. */
static void usable(const struct bootinfo_mem *m, uint64_t limit, uint64_t *lo, uint64_t *hi)
{
	uint64_t a, b;
	bool cut = false;
	*lo = *hi = 0;
	if (!memmap_free_type(m->type) || !bounds(m, &a, &b, &cut))
		return;
	if (a < MEMMAP_LOW_LIMIT)
		a = MEMMAP_LOW_LIMIT;
	if (b > limit)
		b = limit;
	if (a < b) {
		*lo = a;
		*hi = b;
	}
}

/* low_pages: the free run from 4 KiB up, below 1 MiB (the map is sorted,
 * so a run across entries of different free kinds is followed too). */
static void low_pages(const struct bootinfo_mem *map, uint32_t n, struct memmap_plan *p)
{
	p->low_lo = p->low_hi = LOW_FIRST;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a, b;
		bool cut = false;
		if (!memmap_free_type(map[i].type) || !bounds(&map[i], &a, &b, &cut))
			continue;
		if (a <= p->low_hi && b > p->low_hi)
			p->low_hi = b < MEMMAP_LOW_LIMIT ? b : MEMMAP_LOW_LIMIT;
	}
}

/* carve takes n bytes for the allocator's metadata from the start of the
 * first usable entry with room, the firmware's data preferred (physmem.c
 * says why: written soon anyway). */
static bool carve(const struct bootinfo_mem *map, uint32_t nmap, uint64_t limit, uint64_t n,
                  struct memmap_plan *p)
{
	n = (n + PAGE - 1) & ~(PAGE - 1);
	for (uint32_t k = 0; k < 2 * nmap; k++) {
		uint32_t i = k % nmap;
		if (k < nmap && map[i].type != BI_MEM_BOOT_DATA)
			continue;
		uint64_t lo, hi;
		usable(&map[i], limit, &lo, &hi);
		if (hi - lo >= n && n) {
			p->meta_lo = lo;
			p->meta_hi = lo + n;
			return true;
		}
	}
	return false;
}

/* add_region: [lo, hi) to the allocator, less the metadata's range. */
static void add_region(struct memmap_plan *p, uint64_t lo, uint64_t hi)
{
	if (lo < p->meta_hi && p->meta_lo < hi) {
		if (lo < p->meta_lo)
			p->add[p->nadd++] = (struct memmap_range){ lo, p->meta_lo };
		lo = p->meta_hi;
	}
	if (lo < hi)
		p->add[p->nadd++] = (struct memmap_range){ lo, hi };
}

const char *memmap_plan(const struct bootinfo_mem *map, uint32_t n, uint64_t limit,
                        struct memmap_plan *p)
{
	p->span_lo = ~0ull;
	p->span_hi = p->meta_lo = p->meta_hi = 0;
	p->nadd = p->nheld = 0;
	if (n > MEMMAP_MAX_ADD - 1)
		return "the memory map has too many entries";
	low_pages(map, n, p);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t lo, hi;
		usable(&map[i], limit, &lo, &hi);
		if (lo == hi)
			continue;
		if (lo < p->span_lo)
			p->span_lo = lo;
		if (hi > p->span_hi)
			p->span_hi = hi;
	}
	if (p->span_hi == 0)
		return "the memory map has no free memory";
	if (!carve(map, n, limit, buddy_meta_size((p->span_hi - p->span_lo) / PAGE), p))
		return "no room for the allocator's bitmaps";
	/* the firmware's data last: the free lists are LIFO, so it is handed
	 * out first; its code held back (physmem.c: MAX_HELD says why) */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t t = map[i].type;
			if ((t == BI_MEM_BOOT_DATA) != pass)
				continue;
			uint64_t lo, hi;
			usable(&map[i], limit, &lo, &hi);
			if (hi <= lo)
				continue;
			if (t == BI_MEM_BOOT_CODE && p->nheld < MEMMAP_MAX_HELD &&
			    (hi <= p->meta_lo || lo >= p->meta_hi)) {
				p->held[p->nheld++] = (struct memmap_range){ lo, hi };
				continue;
			}
			add_region(p, lo, hi);
		}
	}
	return 0;
}
