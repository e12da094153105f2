/*
 * physmem_test.c - host test for kernel/memmap.c, the kernel's use of the
 * boot memory map: memmap_sanitize (sorted, overlaps resolved for the
 * stronger kind) and memmap_plan (what physmem_init hands the buddy
 * allocator, in which order, where its metadata goes), run against the
 * real kernel/buddy.c as physmem_init runs them. Every run is checked by
 * physmem_check.h against the raw map; the named cases check exact
 * answers too.
 *
 * The maps that once broke physmem_init: the same range listed twice
 * (buddy_add_range stopped the machine: "page ... was already added"),
 * free memory overlapping ACPI tables or runtime-services data (those
 * pages were handed out), unsorted entries, page counts that wrap.
 *
 *   build/host/physmem_test [CORPUS_DIR]   (make test-host runs it with fuzz_physmem's seeds)
 *   build/host/physmem_test --write-corpus DIR
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replay.h"
#include "physmem_check.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define RUNTIME (1ull << 63)

struct map {
	uint32_t n;
	struct bootinfo_mem e[64];
};

static void add(struct map *m, uint32_t type, uint64_t phys, uint64_t pages)
{
	m->e[m->n++] = (struct bootinfo_mem){ .type = type, .phys = phys, .pages = pages,
		.attr = type == BI_MEM_RUNTIME_CODE || type == BI_MEM_RUNTIME_DATA ? RUNTIME | 0xf : 0xf };
}

/* a 512 MiB machine as OVMF describes it */
static void ovmf(struct map *m)
{
	m->n = 0;
	add(m, BI_MEM_BOOT_CODE, 0, 1);
	add(m, BI_MEM_CONVENTIONAL, 0x1000, 0x9f);
	add(m, BI_MEM_CONVENTIONAL, 0x100000, 0x700);
	add(m, BI_MEM_ACPI_NVS, 0x800000, 8);
	add(m, BI_MEM_BOOT_DATA, 0x808000, 0x1000);
	add(m, BI_MEM_LOADER_DATA, 0x1808000, 0x200);
	add(m, BI_MEM_CONVENTIONAL, 0x1a08000, 0x1c000);
	add(m, BI_MEM_BOOT_CODE, 0x1da08000, 0x1000);
	add(m, BI_MEM_RUNTIME_DATA, 0x1ea08000, 0x100);
	add(m, BI_MEM_ACPI_RECLAIM, 0x1eb08000, 0x10);
	add(m, BI_MEM_RESERVED, 0x1eb18000, 0x14e8);
	add(m, BI_MEM_MMIO, 0xffc00000, 0x400);
}

static struct bootinfo_mem out[256];
static struct memmap_plan plan;
static uint32_t nmap;
static unsigned flags;
static const char *plan_why;

/* run: the map through sanitize, plan and buddy.c, with physmem_check.h's checks */
static void run(const char *name, const struct map *m, uint64_t limit, uint32_t cap)
{
	const char *why = pm_run(m->e, m->n, limit, out, cap, &plan, &nmap, &flags, &plan_why);
	CHECK(!why, "%s: %s", name, why);
}

static uint64_t added_pages(void)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < plan.nadd; i++)
		n += (plan.add[i].hi - plan.add[i].lo) / 4096;
	for (uint32_t i = 0; i < plan.nheld; i++)
		n += (plan.held[i].hi - plan.held[i].lo) / 4096;
	return n + (plan.meta_hi - plan.meta_lo) / 4096;
}

static void test_clean(void)
{
	struct map m;
	ovmf(&m);
	run("OVMF's map", &m, 4 * GIB, 256);
	CHECK(flags == 0 && nmap == 12 && !plan_why, "OVMF's map: flags %#x, %u entries, %s", flags, nmap, plan_why);
	CHECK(plan.low_lo == 0x1000 && plan.low_hi == 0xa0000, "real-mode pages [%#llx, %#llx)",
	      (unsigned long long)plan.low_lo, (unsigned long long)plan.low_hi);
	CHECK(plan.nheld == 1 && plan.held[0].lo == 0x1da08000, "boot code held back");
	CHECK(plan.meta_lo == 0x808000, "metadata in the firmware's data: %#llx", (unsigned long long)plan.meta_lo);
	CHECK(plan.add[plan.nadd - 1].hi == 0x1808000, "the firmware's data added last");
	CHECK(added_pages() == 0x700 + 0x1000 + 0x1c000 + 0x1000, "pages: %#llx", (unsigned long long)added_pages());
}

static void test_overlaps(void)
{
	struct map m;

	/* the same range twice (was: "page ... was already added") */
	ovmf(&m);
	add(&m, BI_MEM_CONVENTIONAL, 0x1a08000, 0x1c000);
	run("a range listed twice", &m, 4 * GIB, 256);
	CHECK((flags & MEMMAP_OVERLAP) && (flags & MEMMAP_UNSORTED) && !plan_why, "twice: flags %#x", flags);
	CHECK(added_pages() == 0x700 + 0x1000 + 0x1c000 + 0x1000, "twice: pages %#llx", (unsigned long long)added_pages());

	/* free memory over ACPI tables and runtime-services data (was: handed out) */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x3ff00);                /* 1 MiB .. 1 GiB */
	add(&m, BI_MEM_ACPI_RECLAIM, 0x1000000, 0x10);
	add(&m, BI_MEM_RUNTIME_DATA, 0x2000000, 0x100);
	add(&m, BI_MEM_ACPI_NVS, 0x3fff0000, 0x20);                     /* across the free range's end */
	run("free over ACPI and runtime data", &m, 4 * GIB, 256);
	CHECK((flags & MEMMAP_OVERLAP) && nmap == 6, "ACPI: flags %#x, %u entries", flags, nmap);
	CHECK(out[1].type == BI_MEM_ACPI_RECLAIM && out[1].phys == 0x1000000 && out[1].pages == 0x10,
	      "ACPI tables kept whole");
	CHECK(out[3].type == BI_MEM_RUNTIME_DATA && (out[3].attr & RUNTIME), "runtime data kept, still runtime");
	CHECK(added_pages() == 0x3ff00 - 0x10 - 0x100 - 0x10, "ACPI: pages %#llx", (unsigned long long)added_pages());

	/* two free kinds over each other: the stronger (boot data) wins, no page twice */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x1000);
	add(&m, BI_MEM_BOOT_DATA, 0x800000, 0x1000);
	run("conventional over boot data", &m, 4 * GIB, 256);
	CHECK(nmap == 2 && out[1].type == BI_MEM_BOOT_DATA && out[1].phys == 0x800000 && out[1].pages == 0x1000,
	      "free kinds: %u entries", nmap);
	CHECK(added_pages() == 0x1700, "free kinds: pages %#llx", (unsigned long long)added_pages());

	/* an MMIO entry inside RAM, the loader's data over free memory */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x10000);
	add(&m, BI_MEM_MMIO, 0x4000000, 0x10);
	add(&m, BI_MEM_LOADER_DATA, 0x2000000, 0x100);
	run("MMIO and the loader's data inside RAM", &m, 4 * GIB, 256);
	CHECK(added_pages() == 0x10000 - 0x10 - 0x100, "inside: pages %#llx", (unsigned long long)added_pages());
}

static void test_odd(void)
{
	struct map m;

	/* unsorted */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x8000000, 0x1000);
	add(&m, BI_MEM_RESERVED, 0x4000000, 0x10);
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x1000);
	run("unsorted", &m, 4 * GIB, 256);
	CHECK(flags == MEMMAP_UNSORTED && nmap == 3 && out[0].phys == 0x100000, "unsorted: flags %#x", flags);

	/* a reserved entry whose page count wraps: everything above it is gone */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x10000);
	add(&m, BI_MEM_RESERVED, 0x8000000, ~0ull - 5);
	run("wrapping reserved", &m, 4 * GIB, 256);
	CHECK((flags & MEMMAP_CLIPPED) && (flags & MEMMAP_OVERLAP), "wrapping: flags %#x", flags);
	CHECK(added_pages() == (0x8000000 - 0x100000) / 4096, "wrapping: pages %#llx", (unsigned long long)added_pages());

	/* misaligned: free shrunk, reserved grown */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100800, 0x100);
	add(&m, BI_MEM_ACPI_RECLAIM, 0x300800, 1);
	add(&m, BI_MEM_CONVENTIONAL, 0x300000, 0x100);
	run("misaligned", &m, 4 * GIB, 256);
	CHECK((flags & MEMMAP_CLIPPED) && added_pages() == 0xff + 0x100 - 2, "misaligned: flags %#x, pages %#llx",
	      flags, (unsigned long long)added_pages());

	/* free memory across the direct map's end: the part below is used
	 * (it was dropped whole) */
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0xff00);
	add(&m, BI_MEM_CONVENTIONAL, 3 * GIB, 0x80000);
	run("across the limit", &m, 4 * GIB, 256);
	CHECK(added_pages() == 0xff00 + 0x40000, "across the limit: pages %#llx", (unsigned long long)added_pages());

	/* no room for the answer: cut, flagged, still sound */
	ovmf(&m);
	run("truncated", &m, 4 * GIB, 4);
	CHECK(nmap == 4 && (flags & MEMMAP_TRUNCATED), "truncated: %u, flags %#x", nmap, flags);

	/* nothing free; the metadata finds no room */
	m.n = 0;
	add(&m, BI_MEM_RESERVED, 0, 0x100000);
	run("nothing free", &m, 4 * GIB, 256);
	CHECK(plan_why && strcmp(plan_why, "the memory map has no free memory") == 0, "nothing free: %s", plan_why);
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 1);
	add(&m, BI_MEM_CONVENTIONAL, 0x40000000, 1);
	run("no room for metadata", &m, 4 * GIB, 256);
	CHECK(plan_why && strcmp(plan_why, "no room for the allocator's bitmaps") == 0, "no room: %s", plan_why);
	m.n = 0;
	run("empty", &m, 4 * GIB, 256);
	CHECK(nmap == 0 && plan_why, "empty map");
}

/* a deterministic random walk over small overlapping maps */
static void test_random(unsigned seed)
{
	srand(seed);
	static uint8_t buf[1 + 40 * PM_ENTRY];
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = 1 + (size_t)(rand() % 40) * PM_ENTRY;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		for (size_t off = 1; off < len; off += PM_ENTRY) {
			buf[off] %= 16;                 /* mostly known kinds */
			buf[off + 1] &= rand() % 8 ? 2 : 0xf;
		}
		const char *why = pm_fuzz_one(buf, len);
		CHECK(!why, "random map %d (seed %u): %s", iter, seed, why);
	}
}

/* ---- fuzz_physmem's seeds ---- */

static void write_seed(const char *dir, const char *name, uint8_t limit_sel, const struct map *m)
{
	uint8_t buf[1 + 64 * PM_ENTRY];
	size_t n = pm_encode(buf, limit_sel, m->e, m->n);
	write_seed_file(dir, name, buf, n);
}

static void write_corpus(const char *dir)
{
	struct map m;
	ovmf(&m);
	write_seed(dir, "ovmf", 31, &m);                /* 512 MiB */
	add(&m, BI_MEM_CONVENTIONAL, 0x1a08000, 0x1c000);
	write_seed(dir, "listed-twice", 31, &m);
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x1ff00);
	add(&m, BI_MEM_ACPI_RECLAIM, 0x1000000, 0x10);
	add(&m, BI_MEM_RUNTIME_DATA, 0x2000000, 0x100);
	add(&m, BI_MEM_ACPI_NVS, 0x1fff0000, 0x20);
	write_seed(dir, "free-over-acpi", 31, &m);
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x8000000, 0x1000);
	add(&m, BI_MEM_RESERVED, 0x4000000, 0x10);
	add(&m, BI_MEM_CONVENTIONAL, 0x100000, 0x1000);
	add(&m, BI_MEM_BOOT_CODE, 0x9000000, 0x100);
	write_seed(dir, "unsorted", 15, &m);
	m.n = 0;
	add(&m, BI_MEM_CONVENTIONAL, 0x100800, 0x100);
	add(&m, BI_MEM_ACPI_RECLAIM, 0x300800, 1);
	add(&m, BI_MEM_CONVENTIONAL, 0x300000, 0x100);
	write_seed(dir, "misaligned", 64 + 3, &m);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
		write_corpus(argv[2]);
		return 0;
	}
	test_clean();
	test_overlaps();
	test_odd();
	test_random(1);
	if (argc > 1)
		replay_seeds(argv[1], pm_fuzz_one);
	printf("physmem_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
