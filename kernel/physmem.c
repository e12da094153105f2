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
 * The firmware's map is made sane first (memmap.c: sorted, overlaps
 * resolved for the stronger kind, so a range both free and reserved is
 * not handed out); memmap_plan then says what goes to the allocator and
 * in which order, and where its metadata (a bitmap per order) goes.
 * Both are pure code the host tests run against the real buddy.c.
 */
#include "kernel.h"
#include "buddy.h"
#include "memmap.h"

#define PAGE 4096ull

static struct buddy buddy;
static struct spinlock physlock = { .fixedstack = true, .name = "physlock" };
static uint64_t lowmem_next, lowmem_end;        /* physlock */
static bool ready;

/* the sanitised map (at most 2n - 1 entries for n) and the plan: static,
 * there is no allocator yet */
static struct bootinfo_mem map[2 * BOOTINFO_MMAP_MAX];
static struct memmap_point points[2 * BOOTINFO_MMAP_MAX];
static struct memmap_plan plan;

static _Noreturn void buddy_fatal(const char *msg)
{
	kprintf("fatal error: physical page allocator: %s\n", msg);
	kprintf("exit status 2\n");
	machine_exit(2);
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
 * around them into blocks handed out at once. memmap_plan orders them so.
 */
static uint32_t nheld;                  /* physlock */
static uint64_t held_pages;             /* physlock; read atomically */

/* release_held adds the held-back code regions; physlock held. */
static bool release_held(void)
{
	if (nheld == 0)
		return false;
	for (uint32_t i = 0; i < nheld; i++)
		buddy_add_range(&buddy, plan.held[i].lo, (plan.held[i].hi - plan.held[i].lo) / PAGE);
	nheld = 0;
	__atomic_store_n(&held_pages, 0, __ATOMIC_RELAXED);
	return true;
}

/* sanitize makes the firmware's map sane, saying what was wrong with it:
 * a map that needed it is worth knowing about on a real machine. */
static uint32_t sanitize(void)
{
	uint32_t n = bootinfo->mmap_count;
	if (n > BOOTINFO_MMAP_MAX) {
		kprintf("physmem: boot info claims %u memory map entries; reading %u\n", n, BOOTINFO_MMAP_MAX);
		n = BOOTINFO_MMAP_MAX;
	}
	if (bootinfo->mmap_dropped)
		kprintf("physmem: the loader dropped %u memory map entries (more than %u); their memory is not used\n",
		        bootinfo->mmap_dropped, BOOTINFO_MMAP_MAX);
	unsigned flags;
	n = memmap_sanitize(bootinfo->mmap, n, map, sizeof map / sizeof map[0], points, &flags);
	if (flags & MEMMAP_OVERLAP)
		kprintf("physmem: the firmware's memory map has overlapping entries; the reserved kind kept\n");
	if (flags & MEMMAP_CLIPPED)
		kprintf("physmem: the firmware's memory map has misaligned, wrapping or out-of-range entries; cut to whole pages\n");
	return n;
}

void physmem_init(void)
{
	uint32_t n = sanitize();
	const char *why = memmap_plan(map, n, bootinfo->direct_map_limit, &plan);
	if (why)
		buddy_fatal(why);
	buddy_panic = buddy_fatal;
	buddy_init(&buddy, plan.span_lo, (plan.span_hi - plan.span_lo) / PAGE, phys_to_virt(plan.meta_lo));
	for (uint32_t i = 0; i < plan.nadd; i++)
		buddy_add_range(&buddy, plan.add[i].lo, (plan.add[i].hi - plan.add[i].lo) / PAGE);
	nheld = plan.nheld;
	for (uint32_t i = 0; i < nheld; i++)
		held_pages += (plan.held[i].hi - plan.held[i].lo) / PAGE;
	lowmem_next = plan.low_lo;
	lowmem_end = plan.low_hi;
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
