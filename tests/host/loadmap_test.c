/*
 * loadmap_test.c - host test for boot/memmap.c, the loader's memory-map
 * and page-table logic: how far the direct map reaches (memmap_limit),
 * the firmware's map turned into bootinfo's (memmap_copy) and the page
 * tables (memmap_build_tables), each answer checked against
 * loadmap_invariants.h and, for the named cases, its exact value.
 *
 * Maps that once broke the loader: a descriptor ending past 2^47 (the
 * direct map's PML4 entries ran past the PML4 page), a 64-bit PCI window
 * listed as MMIO near the top of a 48-bit space (a page directory per GiB
 * up to it), a page count that wraps. Tables are built in a block of
 * exactly the size memmap_tables_size asks for, so ASan reports any write
 * past it.
 *
 *   build/host/loadmap_test [CORPUS_DIR]   (make test-host runs it with fuzz_loadmap's seeds)
 *   build/host/loadmap_test --write-corpus DIR
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmap.h"
#include "check.h"
#include "replay.h"
#include "loadmap_invariants.h"
#include "loadmap_input.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define TIB (1ull << 40)

/* ---- a map builder: descriptors desc_size bytes apart ---- */

struct map {
	size_t desc_size, n;
	unsigned char b[64 * 64];
};

static void add(struct map *m, uint32_t type, uint64_t phys, uint64_t pages)
{
	struct efi_desc d = { .type = type, .phys = phys, .pages = pages, .attr = 0xf };
	memset(m->b + m->n * m->desc_size, 0x5a, m->desc_size);        /* the firmware's extra fields */
	memcpy(m->b + m->n * m->desc_size, &d, sizeof d);
	m->n++;
}

/* the map OVMF gives a 512 MiB q35 machine, in short */
static void ovmf_map(struct map *m, size_t desc_size)
{
	memset(m, 0, sizeof *m);
	m->desc_size = desc_size;
	add(m, BI_MEM_BOOT_CODE, 0, 1);
	add(m, BI_MEM_CONVENTIONAL, 0x1000, 0x9f);
	add(m, BI_MEM_CONVENTIONAL, 0x100000, 0x700);
	add(m, BI_MEM_ACPI_NVS, 0x800000, 8);
	add(m, BI_MEM_BOOT_DATA, 0x808000, 0x1000);
	add(m, BI_MEM_LOADER_DATA, 0x1808000, 0x200);
	add(m, BI_MEM_CONVENTIONAL, 0x1a08000, 0x1d000);
	add(m, BI_MEM_RUNTIME_DATA, 0x1ea08000, 0x100);
	add(m, BI_MEM_ACPI_RECLAIM, 0x1eb08000, 0x10);
	add(m, BI_MEM_RESERVED, 0x1eb18000, 0x14e8);
	add(m, BI_MEM_MMIO, 0xffc00000, 0x400);
}

static struct memmap_limit limit_of(const struct map *m, uint64_t fb_base, uint64_t fb_size)
{
	struct memmap_limit l;
	memset(&l, 0xa5, sizeof l);
	size_t sz = m->n * m->desc_size;
	void *copy = malloc(sz ? sz : 1);       /* exactly sized: ASan sees reads past the map */
	memcpy(copy, m->b, sz);
	memmap_limit(copy, sz, m->desc_size, fb_base, fb_size, &l);
	const char *why = lm_check_limit(copy, sz, m->desc_size, fb_base, fb_size, &l);
	CHECK(!why, "limit: %s", why);
	free(copy);
	return l;
}

static void test_limit(void)
{
	struct map m;
	ovmf_map(&m, 48);
	struct memmap_limit l = limit_of(&m, 0x80000000, 0x300000);
	CHECK(l.limit == 4 * GIB && !l.dropped && !l.fb_dropped, "OVMF's map: limit %#llx", (unsigned long long)l.limit);

	add(&m, BI_MEM_CONVENTIONAL, 0x100000000, 0x80001);     /* 4 GiB .. 6 GiB + 4 KiB */
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == 7 * GIB, "RAM to 6 GiB + 4 KiB: limit %#llx", (unsigned long long)l.limit);

	/* a 64-bit PCI window listed as MMIO near the top: not mapped */
	ovmf_map(&m, 40);
	add(&m, BI_MEM_MMIO, 0x3ff000000000ull, 0x100000);
	add(&m, BI_MEM_RESERVED, 0xfd00000000ull, 0x300000);
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == 4 * GIB, "high MMIO and reserved: limit %#llx", (unsigned long long)l.limit);

	/* memory past 2^47 (the defect: PML4 entries past the page) */
	ovmf_map(&m, 48);
	add(&m, BI_MEM_CONVENTIONAL, 0x7fff00000000ull, 0x200000);     /* 8 GiB across 2^47 */
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == DIRECT_MAP_MAX && l.dropped == 8 * GIB, "memory across 2^47: limit %#llx dropped %#llx",
	      (unsigned long long)l.limit, (unsigned long long)l.dropped);

	/* memory across DIRECT_MAP_MAX: the part below it counts */
	ovmf_map(&m, 48);
	add(&m, BI_MEM_CONVENTIONAL, DIRECT_MAP_MAX - GIB, 0x80000);   /* 1 GiB below, 1 GiB above */
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == DIRECT_MAP_MAX && l.dropped == GIB, "memory across 64 TiB: dropped %#llx",
	      (unsigned long long)l.dropped);

	/* a page count that wraps the address space */
	ovmf_map(&m, 48);
	add(&m, BI_MEM_BOOT_DATA, 0x100000000, ~0ull);
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == DIRECT_MAP_MAX && l.dropped == (1ull << 52) - DIRECT_MAP_MAX, "wrapping count: %#llx",
	      (unsigned long long)l.dropped);

	/* the framebuffer extends the limit, unless it is out of reach */
	ovmf_map(&m, 48);
	l = limit_of(&m, 0x800000000ull, 8 * MIB);
	CHECK(l.limit == 33 * GIB && !l.fb_dropped, "framebuffer at 32 GiB: limit %#llx", (unsigned long long)l.limit);
	l = limit_of(&m, 0x800000000000ull, 8 * MIB);
	CHECK(l.limit == 4 * GIB && l.fb_dropped, "framebuffer at 128 TiB: limit %#llx", (unsigned long long)l.limit);

	/* a descriptor size smaller than a descriptor: the map is not read */
	ovmf_map(&m, 48);
	add(&m, BI_MEM_CONVENTIONAL, 0x100000000, 0x80001);
	m.desc_size = 24;
	l = limit_of(&m, 0, 0);
	CHECK(l.limit == 4 * GIB && l.bad_desc_size, "desc_size 24");
}

static uint32_t copy_of(const struct map *m, struct bootinfo_mem *out, uint32_t max, uint32_t *dropped)
{
	size_t sz = m->n * m->desc_size;
	void *copy = malloc(sz ? sz : 1);
	memcpy(copy, m->b, sz);
	struct bootinfo_mem *o = malloc((max ? max : 1) * sizeof *o);    /* exactly max entries */
	uint32_t n = memmap_copy(copy, sz, m->desc_size, o, max, dropped);
	const char *why = lm_check_copy(copy, sz, m->desc_size, o, n, max, *dropped);
	CHECK(!why, "copy: %s", why);
	memcpy(out, o, n * sizeof *o);
	free(o);
	free(copy);
	return n;
}

static void test_copy(void)
{
	struct map m;
	struct bootinfo_mem out[64];
	uint32_t dropped;

	ovmf_map(&m, 48);
	uint32_t n = copy_of(&m, out, 64, &dropped);
	CHECK(n == 11 && dropped == 0, "OVMF's map: %u entries", n);
	CHECK(out[4].type == BI_MEM_BOOT_DATA && out[4].phys == 0x808000 && out[4].pages == 0x1000 && out[4].attr == 0xf,
	      "an entry copied wrong");

	/* contiguous same-type entries merge; empty ones vanish; past 2^52 clipped */
	memset(&m, 0, sizeof m);
	m.desc_size = 56;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x100);
	add(&m, BI_MEM_CONVENTIONAL, 0x200000, 0x100);
	add(&m, BI_MEM_BOOT_DATA, 0x300000, 0);
	add(&m, BI_MEM_CONVENTIONAL, 0x300000, 0x100);
	add(&m, BI_MEM_BOOT_DATA, 0x400000, 0x100);
	add(&m, BI_MEM_RESERVED, (1ull << 52) - 0x1000, 5);
	add(&m, BI_MEM_RESERVED, 1ull << 52, 5);
	add(&m, BI_MEM_RESERVED, (1ull << 52) - 0x800, 5);     /* misaligned: nothing left (fuzz_loadmap found it) */
	n = copy_of(&m, out, 64, &dropped);
	CHECK(n == 3 && dropped == 0, "merge: %u entries", n);
	CHECK(out[0].phys == 0x100000 && out[0].pages == 0x300, "merged run: %#llx pages", (unsigned long long)out[0].pages);
	CHECK(out[2].pages == 1, "the entry at 2^52 - 4 KiB: %llu pages", (unsigned long long)out[2].pages);

	/* no room: the rest is counted, never written */
	ovmf_map(&m, 48);
	n = copy_of(&m, out, 4, &dropped);
	CHECK(n == 4 && dropped == 7, "4 of 11: %u, dropped %u", n, dropped);
	n = copy_of(&m, out, 0, &dropped);
	CHECK(n == 0 && dropped == 11, "0 of 11: %u, dropped %u", n, dropped);
}

/* build_and_check: tables for limit and an image of `pages` pages at
 * KERNEL_BASE + off, in a block of exactly the asked size */
static void build_and_check(uint64_t limit, uint64_t off, uint64_t pages, uint64_t kphys, int walk)
{
	struct memmap_tables t;
	uint64_t lo = KERNEL_BASE + off, hi = lo + pages * 4096;
	int rc = memmap_tables_size(limit, lo, hi, kphys, &t);
	CHECK(rc == 0, "tables for limit %#llx, image %#llx+%llu pages refused", (unsigned long long)limit,
	      (unsigned long long)off, (unsigned long long)pages);
	if (rc)
		return;
	void *block = aligned_alloc(4096, t.pages * 4096);
	memset(block, 0, t.pages * 4096);
	uint64_t pml4 = memmap_build_tables(block, &t, limit, lo, hi, kphys);
	if (walk) {
		const char *why = lm_check_tables(block, &t, pml4, limit, lo, hi, kphys);
		CHECK(!why, "tables for limit %#llx, image %#llx+%llu: %s", (unsigned long long)limit,
		      (unsigned long long)off, (unsigned long long)pages, why);
	}
	free(block);
}

static void test_tables(void)
{
	build_and_check(4 * GIB, 0x100000, 300, 0x1808000, 1);
	build_and_check(7 * GIB, 0x1ff000, 2, 0x200000, 1);             /* across a page table */
	build_and_check(4 * GIB, 0, 512, 0x1000, 1);                    /* exactly one table */
	build_and_check(4 * GIB, GIB - 4096, 1, 0x7000, 1);             /* the window's last page */
	build_and_check(513 * GIB, 0x100000, 10, 0x1000, 1);            /* a second PDPT */
	/* the largest limit: sized and built without writing past the block */
	build_and_check(DIRECT_MAP_MAX, 0x100000, 10, 0x1000, 0);

	struct memmap_tables t;
	CHECK(memmap_tables_size(DIRECT_MAP_MAX + GIB, KERNEL_BASE, KERNEL_BASE + 4096, 0, &t) == -1, "limit past the max");
	CHECK(memmap_tables_size(5 * GIB + 4096, KERNEL_BASE, KERNEL_BASE + 4096, 0, &t) == -1, "limit not in GiB");
	CHECK(memmap_tables_size(2 * GIB, KERNEL_BASE, KERNEL_BASE + 4096, 0, &t) == -1, "limit under 4 GiB");
	CHECK(memmap_tables_size(4 * GIB, KERNEL_BASE, KERNEL_BASE + GIB + 4096, 0, &t) == -1, "image past 1 GiB");
	CHECK(memmap_tables_size(4 * GIB, KERNEL_BASE - 4096, KERNEL_BASE + 4096, 0, &t) == -1, "image below -2 GiB");
	CHECK(memmap_tables_size(4 * GIB, KERNEL_BASE, KERNEL_BASE + 4096, 0x1001, &t) == -1, "image at an odd address");
	CHECK(memmap_tables_size(4 * GIB, KERNEL_BASE, KERNEL_BASE + 8192, (1ull << 52) - 4096, &t) == -1,
	      "image past 2^52");
}

/* ---- the seeds of fuzz_loadmap (the input format: loadmap_input.h) ---- */

static void write_seed(const char *dir, const char *name, const struct map *m, uint64_t fb_base, uint64_t fb_size)
{
	unsigned char buf[LM_HDR + sizeof m->b];
	size_t n = lm_encode(buf, m->desc_size, fb_base, fb_size, 0x100, 300, 0x1808000, m->b, m->n * m->desc_size);
	write_seed_file(dir, name, buf, n);
}

static void write_corpus(const char *dir)
{
	struct map m;
	ovmf_map(&m, 48);
	write_seed(dir, "ovmf", &m, 0x80000000, 0x300000);
	add(&m, BI_MEM_CONVENTIONAL, 0x100000000, 0x80001);
	write_seed(dir, "above-4g", &m, 0, 0);
	ovmf_map(&m, 40);
	add(&m, BI_MEM_MMIO, 0x3ff000000000ull, 0x100000);
	write_seed(dir, "high-mmio", &m, 0, 0);
	ovmf_map(&m, 48);
	add(&m, BI_MEM_CONVENTIONAL, 0x7fff00000000ull, 0x200000);
	write_seed(dir, "past-2-47", &m, 0, 0);
	ovmf_map(&m, 48);
	add(&m, BI_MEM_BOOT_DATA, 0x100000000, ~0ull);
	write_seed(dir, "wrapping-count", &m, 0x800000000000ull, 8 * MIB);
	ovmf_map(&m, 48);
	m.desc_size = 24;
	write_seed(dir, "small-desc-size", &m, 0, 0);
}

/* every seed through the fuzzer's own checks */
int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
		write_corpus(argv[2]);
		return 0;
	}
	test_limit();
	test_copy();
	test_tables();
	if (argc > 1)
		replay_seeds(argv[1], lm_run);
	printf("loadmap_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
