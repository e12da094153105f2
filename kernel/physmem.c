/*
 * physmem.c - physical pages, from the boot memory map into a buddy
 * allocator (buddy.c).
 *
 * Free after boot: conventional memory and the firmware's boot-services
 * code and data (ExitBootServices released them). Never handed out: ACPI
 * tables and NVS, runtime-services code and data (ResetSystem still runs
 * there), MMIO, unusable memory, and the loader's data, which holds the
 * kernel image, the boot info, kernel.elf's copy (symbols) and the
 * loader's page tables. Memory below 1 MiB is kept out too: real-mode code
 * (the APs' trampoline) must live there, and lowmem_page hands it out.
 *
 * The buddy metadata (a bitmap per order) is carved from the first free
 * region large enough, before the regions are handed to the allocator.
 */
#include "kernel.h"
#include "buddy.h"

#define PAGE 4096ull
#define LOW_LIMIT (1ull << 20)

static struct buddy buddy;
static struct spinlock physlock = { .fixedstack = true, .name = "physlock" };
static uint64_t lowmem_next = 0x1000, lowmem_end;   /* the page at 0 is never used */
static bool ready;

static bool free_type(uint32_t t)
{
	return t == BI_MEM_CONVENTIONAL || t == BI_MEM_BOOT_CODE || t == BI_MEM_BOOT_DATA;
}

static _Noreturn void buddy_fatal(const char *msg)
{
	kprintf("fatal error: physical page allocator: %s\n", msg);
	kprintf("exit status 2\n");
	machine_exit(2);
}

/* usable clips a map entry to what may be handed out: [lo, hi), or lo == hi. */
static void usable(const struct bootinfo_mem *m, uint64_t *lo, uint64_t *hi)
{
	*lo = m->phys;
	*hi = m->phys + m->pages * PAGE;
	if (!free_type(m->type) || *hi > bootinfo->direct_map_limit) {
		*lo = *hi = 0;
		return;
	}
	if (*lo < LOW_LIMIT) {
		if (*lo <= lowmem_next && *hi > lowmem_next && *hi <= LOW_LIMIT && lowmem_end == 0)
			lowmem_end = *hi;       /* the first free run at 4 KiB: real-mode pages */
		*lo = LOW_LIMIT;
	}
	if (*hi < *lo)
		*hi = *lo;
}

/*
 * Under emulation, which pages are handed out first matters a great deal
 * (on a PC it does not): the first write to a page the firmware ran code
 * from makes TCG throw away that page's translations, a few hundred
 * microseconds a page; an untouched 2 MiB of guest memory costs a host
 * fault and clear when first written, a millisecond; memory the firmware
 * wrote as data costs nothing more. So the firmware's data goes into the
 * allocator last (the free lists are LIFO: it is handed out first), and
 * its code regions are held back until the allocator has nothing else
 * (they are a few MiB): added at boot, they would merge with the data
 * around them into blocks handed out at once.
 */
#define MAX_HELD 128
static struct { uint64_t lo, hi; } held[MAX_HELD];
static int nheld;
static uint64_t held_pages;

/* add_region hands [lo, hi) to the allocator, less the metadata's range. */
static void add_region(uint64_t lo, uint64_t hi, uint64_t meta_lo, uint64_t meta_hi)
{
	if (lo < meta_hi && meta_lo < hi) {
		if (lo < meta_lo)
			buddy_add_range(&buddy, lo, (meta_lo - lo) / PAGE);
		lo = meta_hi;
	}
	if (hi > lo)
		buddy_add_range(&buddy, lo, (hi - lo) / PAGE);
}

/* release_held adds the held-back code regions; physlock held. */
static bool release_held(void)
{
	if (nheld == 0)
		return false;
	for (int i = 0; i < nheld; i++)
		buddy_add_range(&buddy, held[i].lo, (held[i].hi - held[i].lo) / PAGE);
	nheld = 0;
	held_pages = 0;
	return true;
}

/* carve takes n bytes for metadata from the first free region with room,
 * the firmware's data preferred (see MAX_HELD); returns the physical
 * address. */
static uint64_t carve(uint64_t n, uint64_t *taken_lo, uint64_t *taken_hi)
{
	n = (n + PAGE - 1) & ~(PAGE - 1);
	for (uint32_t k = 0; k < 2 * bootinfo->mmap_count; k++) {
		uint32_t i = k % bootinfo->mmap_count;
		if (k < bootinfo->mmap_count && bootinfo->mmap[i].type != BI_MEM_BOOT_DATA)
			continue;
		uint64_t lo, hi;
		usable(&bootinfo->mmap[i], &lo, &hi);
		if (hi - lo >= n) {
			*taken_lo = lo;
			*taken_hi = lo + n;
			return lo;
		}
	}
	return 0;
}

void physmem_init(void)
{
	uint64_t span_lo = ~0ull, span_hi = 0;
	for (uint32_t i = 0; i < bootinfo->mmap_count; i++) {
		uint64_t lo, hi;
		usable(&bootinfo->mmap[i], &lo, &hi);
		if (lo == hi)
			continue;
		if (lo < span_lo)
			span_lo = lo;
		if (hi > span_hi)
			span_hi = hi;
	}
	if (span_hi == 0)
		buddy_fatal("the memory map has no free memory");
	buddy_panic = buddy_fatal;
	uint64_t npages = (span_hi - span_lo) / PAGE;
	uint64_t meta_lo, meta_hi;
	uint64_t meta = carve(buddy_meta_size(npages), &meta_lo, &meta_hi);
	if (!meta)
		buddy_fatal("no room for the allocator's bitmaps");
	buddy_init(&buddy, span_lo, npages, phys_to_virt(meta));
	for (int pass = 0; pass < 2; pass++) {          /* see MAX_HELD */
		for (uint32_t i = 0; i < bootinfo->mmap_count; i++) {
			uint32_t t = bootinfo->mmap[i].type;
			if ((t == BI_MEM_BOOT_DATA) != pass)
				continue;
			uint64_t lo, hi;
			usable(&bootinfo->mmap[i], &lo, &hi);
			if (hi <= lo)
				continue;
			if (t == BI_MEM_BOOT_CODE && nheld < MAX_HELD &&
			    (hi <= meta_lo || lo >= meta_hi)) {
				held[nheld].lo = lo;
				held[nheld++].hi = hi;
				held_pages += (hi - lo) / PAGE;
				continue;
			}
			add_region(lo, hi, meta_lo, meta_hi);
		}
	}
	ready = true;
}

/* page_alloc returns n contiguous zeroed pages (direct-map address), or
 * NULL when there are none. */
void *page_alloc(size_t n)
{
	if (!ready)
		buddy_fatal("page_alloc before physmem_init");
	uint64_t fl = spin_lock_irqsave(&physlock);
	uint64_t pa = buddy_alloc_pages(&buddy, n);
	if (!pa && release_held())
		pa = buddy_alloc_pages(&buddy, n);
	spin_unlock_irqrestore(&physlock, fl);
	if (!pa)
		return NULL;
	void *v = phys_to_virt(pa);
	__builtin_memset(v, 0, n * PAGE);
	return v;
}

void page_free(void *v, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&physlock);
	buddy_free_pages(&buddy, (uint64_t)v - DIRECT_MAP_BASE, n);
	spin_unlock_irqrestore(&physlock, fl);
}

/* The held-back code regions count as free memory: they are, to any caller. */
uint64_t page_free_count(void)
{
	return __atomic_load_n(&buddy.free_pages, __ATOMIC_RELAXED) + __atomic_load_n(&held_pages, __ATOMIC_RELAXED);
}
uint64_t page_total_count(void) { return buddy.total_pages + __atomic_load_n(&held_pages, __ATOMIC_RELAXED); }

/* lowmem_page hands out a page below 1 MiB (for real-mode code), or 0. */
uint64_t lowmem_page(void)
{
	uint64_t fl = spin_lock_irqsave(&physlock);
	uint64_t pa = 0;
	if (lowmem_next + PAGE <= lowmem_end) {
		pa = lowmem_next;
		lowmem_next += PAGE;
	}
	spin_unlock_irqrestore(&physlock, fl);
	return pa;
}

const char *physmem_check(void)
{
	uint64_t fl = spin_lock_irqsave(&physlock);
	const char *err = buddy_check(&buddy);
	spin_unlock_irqrestore(&physlock, fl);
	return err;
}
