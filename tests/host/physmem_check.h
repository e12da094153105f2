/*
 * physmem_check.h - one run of the kernel's use of the memory map, as
 * physmem_init does it (memmap_sanitize, memmap_plan, then the real
 * buddy.c fed the plan), with every answer checked against the raw map;
 * shared by physmem_test.c and fuzz_physmem.c. pm_run returns NULL when
 * all is well, else what is wrong.
 *
 * The checks use their own ranking of the kinds (the spec, written out
 * apart from memmap.c's): where raw entries overlap, the sanitised map
 * holds the strongest kind; no page the allocator gets, holds back, keeps
 * for real mode or uses for its metadata lies in any raw entry that is not
 * free; each such page is free in the sanitised map, in [1 MiB, limit);
 * none is handed over twice (buddy.c's own check stops that); and, when
 * the raw map is page aligned, every free page in [1 MiB, limit) is
 * handed over (allocated, held or metadata).
 */
#ifndef HOST_PHYSMEM_CHECK_H
#define HOST_PHYSMEM_CHECK_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "memmap.h"

#define PM_PAGE    4096ull
#define PM_PHYSEND (1ull << 52)
#define PM_BUDDY_MAX (1ull << 16)       /* spans up to 256 MiB are run through buddy.c */

static char pm_why[256];
static jmp_buf pm_jmp;

static void pm_panic(const char *msg)
{
	snprintf(pm_why, sizeof pm_why, "buddy: %s", msg);
	longjmp(pm_jmp, 1);
}

static bool pm_free(uint32_t t) { return t == 7 || t == 3 || t == 4; }

/* the spec's ranking: free < loader's < the firmware's < reserved/unknown */
static int pm_rank(uint32_t t)
{
	switch (t) {
	case 7: return 0;  case 4: return 1;  case 3: return 2;  case 2: return 3;  case 1: return 4;
	case 14: return 5; case 9: return 6;  case 6: return 7;  case 5: return 8;  case 10: return 9;
	case 13: return 10; case 12: return 11; case 11: return 12; case 8: return 13; case 0: return 14;
	default: return 15;
	}
}
static bool pm_stronger(uint32_t a, uint32_t b)
{
	return pm_rank(a) != pm_rank(b) ? pm_rank(a) > pm_rank(b) : a > b;
}

/* a raw entry's extent: free kinds' whole pages, other kinds' every byte
 * rounded out to pages (what no free page may touch) */
static bool pm_extent(const struct bootinfo_mem *e, uint64_t *a, uint64_t *b)
{
	uint64_t lo = e->phys, hi;
	if (lo >= PM_PHYSEND || e->pages == 0)
		return false;
	hi = e->pages > (PM_PHYSEND - lo) / PM_PAGE ? PM_PHYSEND : lo + e->pages * PM_PAGE;
	if (pm_free(e->type)) {
		lo = lo > PM_PHYSEND - PM_PAGE ? PM_PHYSEND : (lo + PM_PAGE - 1) & ~(PM_PAGE - 1);
		hi &= ~(PM_PAGE - 1);
	} else {
		lo &= ~(PM_PAGE - 1);
		hi = hi > PM_PHYSEND - PM_PAGE ? PM_PHYSEND : (hi + PM_PAGE - 1) & ~(PM_PAGE - 1);
	}
	*a = lo;
	*b = hi;
	return lo < hi;
}

static int pm_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* what the checks need to know of one run */
struct pm_run {
	const struct bootinfo_mem *raw;
	uint32_t nraw;
	uint64_t limit;
	const struct bootinfo_mem *map;         /* sanitised */
	uint32_t nmap;
	unsigned flags;
	const struct memmap_plan *plan;
	bool aligned;                           /* every raw entry page aligned, none past 2^52 */
};

/* the strongest raw kind covering x, or -1 */
static int64_t pm_raw_kind(const struct pm_run *r, uint64_t x, int *cover)
{
	int64_t best = -1;
	*cover = 0;
	for (uint32_t i = 0; i < r->nraw; i++) {
		uint64_t a, b;
		if (!pm_extent(&r->raw[i], &a, &b) || x < a || x >= b)
			continue;
		(*cover)++;
		if (best < 0 || pm_stronger(r->raw[i].type, (uint32_t)best))
			best = r->raw[i].type;
	}
	return best;
}

/* does any raw entry of a kind that is not free touch [x, y)? */
static bool pm_raw_reserved(const struct pm_run *r, uint64_t x, uint64_t y)
{
	for (uint32_t i = 0; i < r->nraw; i++) {
		uint64_t a, b;
		if (!pm_free(r->raw[i].type) && pm_extent(&r->raw[i], &a, &b) && a < y && x < b)
			return true;
	}
	return false;
}

/* the sanitised kind at x, or -1 */
static int64_t pm_map_kind(const struct pm_run *r, uint64_t x)
{
	for (uint32_t i = 0; i < r->nmap; i++)
		if (x >= r->map[i].phys && x - r->map[i].phys < r->map[i].pages * PM_PAGE)
			return r->map[i].type;
	return -1;
}

/* what the plan does with the page at x: 0 nothing, 1 add, 2 held, 3 metadata, 4 real mode; -1 twice */
static int pm_plan_use(const struct memmap_plan *p, uint64_t x)
{
	int use = 0, n = 0;
	for (uint32_t i = 0; i < p->nadd; i++)
		if (x >= p->add[i].lo && x < p->add[i].hi)
			use = 1, n++;
	for (uint32_t i = 0; i < p->nheld; i++)
		if (x >= p->held[i].lo && x < p->held[i].hi)
			use = 2, n++;
	if (x >= p->meta_lo && x < p->meta_hi)
		use = 3, n++;
	if (x >= p->low_lo && x < p->low_hi)
		use = 4, n++;
	return n > 1 ? -1 : use;
}

static const char *pm_fail(const char *what, uint64_t x)
{
	snprintf(pm_why, sizeof pm_why, "%s at %#llx", what, (unsigned long long)x);
	return pm_why;
}

static const char *pm_check_map(const struct pm_run *r, uint32_t cap)
{
	for (uint32_t i = 0; i < r->nmap; i++) {
		const struct bootinfo_mem *m = &r->map[i];
		if (m->pages == 0 || m->phys % PM_PAGE || m->phys >= PM_PHYSEND || m->pages > (PM_PHYSEND - m->phys) / PM_PAGE)
			return pm_fail("sanitised entry empty, misaligned or past 2^52", m->phys);
		if (i && r->map[i - 1].phys + r->map[i - 1].pages * PM_PAGE > m->phys)
			return pm_fail("sanitised entries unsorted or overlapping", m->phys);
		if (i && r->map[i - 1].phys + r->map[i - 1].pages * PM_PAGE == m->phys &&
		    r->map[i - 1].type == m->type && r->map[i - 1].attr == m->attr)
			return pm_fail("sanitised entries left unmerged", m->phys);
	}
	if (r->nmap > cap || (!(r->flags & MEMMAP_TRUNCATED) && r->nraw && r->nmap > 2 * r->nraw - 1))
		return "too many sanitised entries";
	return NULL;
}

/* the boundaries where anything may change, sorted; caller frees */
static uint64_t *pm_points(const struct pm_run *r, uint32_t *np)
{
	const struct memmap_plan *p = r->plan;
	uint32_t cap = 2 * r->nraw + 2 * r->nmap + 2 * (p ? p->nadd + p->nheld + 2 : 0) + 4, n = 0;
	uint64_t *x = malloc(cap * sizeof *x);
	for (uint32_t i = 0; i < r->nraw; i++) {
		uint64_t a, b;
		if (pm_extent(&r->raw[i], &a, &b))
			x[n++] = a, x[n++] = b;
	}
	for (uint32_t i = 0; i < r->nmap; i++)
		x[n++] = r->map[i].phys, x[n++] = r->map[i].phys + r->map[i].pages * PM_PAGE;
	if (p) {
		for (uint32_t i = 0; i < p->nadd; i++)
			x[n++] = p->add[i].lo, x[n++] = p->add[i].hi;
		for (uint32_t i = 0; i < p->nheld; i++)
			x[n++] = p->held[i].lo, x[n++] = p->held[i].hi;
		x[n++] = p->meta_lo, x[n++] = p->meta_hi, x[n++] = p->low_lo, x[n++] = p->low_hi;
	}
	x[n++] = 0, x[n++] = MEMMAP_LOW_LIMIT, x[n++] = r->limit, x[n++] = PM_PHYSEND;
	qsort(x, n, sizeof *x, pm_cmp);
	*np = n;
	return x;
}

/* every elementary interval: the sanitised kind, the plan's use of it */
static const char *pm_check_intervals(const struct pm_run *r)
{
	uint32_t np;
	uint64_t *pt = pm_points(r, &np);
	const char *why = NULL;
	bool overlap = false;
	for (uint32_t k = 0; k + 1 < np && !why; k++) {
		uint64_t x = pt[k], y = pt[k + 1];
		if (x == y || x >= PM_PHYSEND)
			continue;
		int cover;
		int64_t want = pm_raw_kind(r, x, &cover), got = pm_map_kind(r, x);
		overlap |= cover > 1;
		bool reserved = pm_raw_reserved(r, x, y);
		if (r->aligned && !(r->flags & MEMMAP_TRUNCATED) && want != got)
			why = pm_fail("sanitised map has the wrong kind", x);
		else if (got >= 0 && pm_free((uint32_t)got) && reserved)
			why = pm_fail("sanitised map has free memory where a raw entry is not free", x);
		if (why || !r->plan)
			continue;
		int use = pm_plan_use(r->plan, x);
		if (use < 0)
			why = pm_fail("the plan uses a page twice", x);
		else if (use && reserved)
			why = pm_fail("the plan hands out a page a raw entry reserves", x);
		else if (use && (got < 0 || !pm_free((uint32_t)got)))
			why = pm_fail("the plan hands out a page the sanitised map does not have free", x);
		else if (use && use != 4 && (x < MEMMAP_LOW_LIMIT || y > r->limit))
			why = pm_fail("the plan hands out a page outside [1 MiB, limit)", x);
		else if (use == 4 && (x < 0x1000 || y > MEMMAP_LOW_LIMIT))
			why = pm_fail("real-mode pages outside [4 KiB, 1 MiB)", x);
		else if (!use && r->aligned && !(r->flags & MEMMAP_TRUNCATED) && got >= 0 &&
		         pm_free((uint32_t)got) && x >= MEMMAP_LOW_LIMIT && x < r->limit)
			why = pm_fail("a free page the plan never hands out", x);
	}
	if (!why && r->aligned && overlap != !!(r->flags & MEMMAP_OVERLAP))
		why = "MEMMAP_OVERLAP wrong";
	free(pt);
	return why;
}

static const char *pm_check_plan(const struct memmap_plan *p)
{
	const struct memmap_range *rs[2] = { p->add, p->held };
	uint32_t ns[2] = { p->nadd, p->nheld };
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < ns[k]; i++)
			if (rs[k][i].lo >= rs[k][i].hi || rs[k][i].lo % PM_PAGE || rs[k][i].hi % PM_PAGE ||
			    rs[k][i].lo < p->span_lo || rs[k][i].hi > p->span_hi)
				return pm_fail("a range empty, misaligned or outside the span", rs[k][i].lo);
	if (p->meta_lo % PM_PAGE || p->meta_hi % PM_PAGE || p->meta_hi <= p->meta_lo ||
	    p->meta_hi - p->meta_lo < buddy_meta_size((p->span_hi - p->span_lo) / PM_PAGE))
		return "metadata range too small or misaligned";
	if (p->low_lo != 0x1000 || p->low_hi < p->low_lo || p->low_hi % PM_PAGE)
		return "real-mode range malformed";
	return NULL;
}

/* the plan through buddy.c, as physmem_init runs it */
static const char *pm_buddy(const struct memmap_plan *p)
{
	uint64_t npages = (p->span_hi - p->span_lo) / PM_PAGE;
	if (npages > PM_BUDDY_MAX)
		return NULL;
	void *meta = malloc(buddy_meta_size(npages));
	struct buddy b;
	const char *why = NULL;
	buddy_panic = pm_panic;
	if (setjmp(pm_jmp) == 0) {
		buddy_init(&b, p->span_lo, npages, meta);
		uint64_t want = 0;
		for (uint32_t i = 0; i < p->nadd; i++) {
			buddy_add_range(&b, p->add[i].lo, (p->add[i].hi - p->add[i].lo) / PM_PAGE);
			want += (p->add[i].hi - p->add[i].lo) / PM_PAGE;
		}
		for (uint32_t i = 0; i < p->nheld; i++) {       /* release_held */
			buddy_add_range(&b, p->held[i].lo, (p->held[i].hi - p->held[i].lo) / PM_PAGE);
			want += (p->held[i].hi - p->held[i].lo) / PM_PAGE;
		}
		if ((why = buddy_check(&b)) == NULL && (b.total_pages != want || b.free_pages != want))
			why = "buddy: page count differs from the plan's";
	} else {
		why = pm_why;
	}
	buddy_panic = NULL;
	free(meta);
	return why;
}

/*
 * pm_run: raw map (nraw entries) and limit, through the kernel's steps;
 * *nmap_out and *plan_rc report what happened (for exact tests).
 */
static const char *pm_run(const struct bootinfo_mem *raw, uint32_t nraw, uint64_t limit,
                          struct bootinfo_mem *map, uint32_t cap, struct memmap_plan *plan,
                          uint32_t *nmap_out, unsigned *flags_out, const char **plan_why)
{
	struct memmap_point *pts = malloc((2 * nraw + 1) * sizeof *pts);
	struct pm_run r = { .raw = raw, .nraw = nraw, .limit = limit, .map = map, .aligned = true };
	r.nmap = memmap_sanitize(raw, nraw, map, cap, pts, &r.flags);
	free(pts);
	for (uint32_t i = 0; i < nraw; i++)
		if (raw[i].phys % PM_PAGE || raw[i].phys >= PM_PHYSEND ||
		    raw[i].pages > (PM_PHYSEND - raw[i].phys) / PM_PAGE)
			r.aligned = false;
	*nmap_out = r.nmap;
	*flags_out = r.flags;
	const char *why = pm_check_map(&r, cap);
	if (!why)
		why = pm_check_intervals(&r);
	*plan_why = why ? NULL : memmap_plan(map, r.nmap, limit, plan);
	if (why || *plan_why)
		return why;
	r.plan = plan;
	if ((why = pm_check_plan(plan)) || (why = pm_check_intervals(&r)))
		return why;
	return pm_buddy(plan);
}

#endif

/*
 * fuzz_physmem's input format (physmem_test.c writes the seeds): byte 0
 * picks the limit ((1 + b % 64) * 16 MiB, 255: 4 GiB), then 10-byte
 * entries: type (16 and up: an OEM type 0x70000000 + b), flags (bit 0 the
 * start 2 KiB off a page, 1 EFI_MEMORY_RUNTIME, 2 a page count that
 * wraps, 3 the start anywhere below 2^44), the start in pages (mod 2^17:
 * under 512 MiB) and the length in pages (mod 2^17), both 32-bit.
 */
#define PM_ENTRY 10
#define PM_MAX_ENTRIES 256

static uint64_t pm_decode_limit(uint8_t b)
{
	return b == 255 ? 4ull << 30 : (1ull + b % 64) * (16ull << 20);
}

static struct bootinfo_mem pm_decode_entry(const uint8_t *e)
{
	uint32_t phys, pages;
	memcpy(&phys, e + 2, 4);
	memcpy(&pages, e + 6, 4);
	struct bootinfo_mem m = { .type = e[0] < 16 ? e[0] : 0x70000000u + e[0] };
	m.phys = e[1] & 8 ? (uint64_t)phys << 12 : (uint64_t)(phys % (1u << 15)) << 12;
	if (e[1] & 1)
		m.phys += 0x800;
	m.pages = e[1] & 4 ? ~0ull - pages : pages % (1u << 15);
	m.attr = e[1] & 2 ? 1ull << 63 : 0xf;
	return m;
}

__attribute__((unused)) static size_t pm_encode(uint8_t *buf, uint8_t limit_sel, const struct bootinfo_mem *m, uint32_t n)
{
	buf[0] = limit_sel;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = buf + 1 + i * PM_ENTRY;
		uint32_t phys = (uint32_t)(m[i].phys >> 12), pages = (uint32_t)m[i].pages;
		e[0] = m[i].type < 16 ? (uint8_t)m[i].type : 0xff;
		e[1] = (m[i].phys & 0x800 ? 1 : 0) | (m[i].attr >> 63 ? 2 : 0) | (phys >= 1u << 15 ? 8 : 0);
		memcpy(e + 2, &phys, 4);
		memcpy(e + 6, &pages, 4);
	}
	return 1 + n * PM_ENTRY;
}

/* one fuzz input: NULL, or what is wrong */
static const char *pm_fuzz_one(const uint8_t *data, size_t size)
{
	static struct bootinfo_mem raw[PM_MAX_ENTRIES];
	static struct memmap_plan plan;
	if (size < 1)
		return NULL;
	uint32_t n = 0;
	for (size_t off = 1; off + PM_ENTRY <= size && n < PM_MAX_ENTRIES; off += PM_ENTRY)
		raw[n++] = pm_decode_entry(data + off);
	/* the raw map and the answer in blocks of exactly their size, so ASan
	 * sees any access past them; the answer's room from the input too */
	uint32_t cap = data[0] & 64 ? n / 2 + 1 : 2 * n + 1;
	struct bootinfo_mem *in = malloc((n + 1) * sizeof *in), *out = malloc(cap * sizeof *out);
	memcpy(in, raw, n * sizeof *in);
	uint32_t nmap;
	unsigned flags;
	const char *plan_why;
	const char *why = pm_run(in, n, pm_decode_limit(data[0]), out, cap, &plan, &nmap, &flags, &plan_why);
	free(in);
	free(out);
	return why;
}
