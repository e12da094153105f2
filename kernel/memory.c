/*
 * memory.c - the early page allocator and the hand-off page tables.
 *
 * Until the physical page allocator arrives, pages come from a bump pointer
 * over the free regions of the boot memory map: conventional memory and
 * the firmware's boot-services regions (free once boot services have
 * exited), above 1 MiB (the AP trampoline will need low memory), never the
 * loader's data (boot info, page tables, the kernel), ACPI, runtime
 * services or MMIO. Pages are never returned; the runtime's allocators
 * recycle what they take.
 */
#include "kernel.h"
#include "cpu.h"

#define PAGE 4096ull
#define LOW_LIMIT (1ull << 20)

static struct spinlock memlock;
static uint32_t region;         /* index into bootinfo->mmap being used */
static uint64_t next, end;      /* physical bump pointer and its region's end */
static uint64_t saved_identity[256];
static int identity_dropped;

static bool free_type(uint32_t t)
{
	return t == BI_MEM_CONVENTIONAL || t == BI_MEM_BOOT_CODE || t == BI_MEM_BOOT_DATA;
}

/* advance moves to the next usable region with at least need bytes. */
static bool advance(uint64_t need)
{
	for (; region < bootinfo->mmap_count; region++) {
		const struct bootinfo_mem *m = &bootinfo->mmap[region];
		uint64_t lo = m->phys, hi = m->phys + m->pages * PAGE;
		if (!free_type(m->type) || hi <= LOW_LIMIT || hi > bootinfo->direct_map_limit)
			continue;
		if (lo < LOW_LIMIT)
			lo = LOW_LIMIT;
		if (next > lo && next < hi)
			lo = next;      /* resuming inside the current region */
		if (hi - lo >= need) {
			next = lo;
			end = hi;
			return true;
		}
	}
	return false;
}

void *early_alloc_pages(size_t npages)
{
	uint64_t need = npages * PAGE;
	uint64_t fl = spin_lock_irqsave(&memlock);
	void *p = 0;
	if (end - next >= need || advance(need)) {
		p = phys_to_virt(next);
		next += need;
	}
	spin_unlock_irqrestore(&memlock, fl);
	if (p) {
		uint64_t *q = p;
		for (uint64_t i = 0; i < need / 8; i++)
			q[i] = 0;
	}
	return p;
}

/* early_free_pages counts what is left (for diagnostics). */
uint64_t early_free_pages(void)
{
	uint64_t n = (end - next) / PAGE;
	for (uint32_t i = region + 1; i < bootinfo->mmap_count; i++) {
		const struct bootinfo_mem *m = &bootinfo->mmap[i];
		if (free_type(m->type) && m->phys >= LOW_LIMIT && m->phys + m->pages * PAGE <= bootinfo->direct_map_limit)
			n += m->pages;
	}
	return n;
}

/*
 * drop_identity_map removes the loader's 1:1 mapping of low memory, which
 * only served the CR3 switch: from now on address 0 is unmapped and a nil
 * pointer faults. The entries are kept for restore_identity_map: EFI
 * runtime services run at their physical addresses.
 */
void drop_identity_map(void)
{
	uint64_t *pml4 = phys_to_virt(bootinfo->pml4);
	for (int i = 0; i < 256; i++) {
		saved_identity[i] = pml4[i];
		pml4[i] = 0;
	}
	identity_dropped = 1;
	write_cr3(read_cr3());
}

void restore_identity_map(void);
void restore_identity_map(void)
{
	if (!identity_dropped)
		return;
	uint64_t *pml4 = phys_to_virt(bootinfo->pml4);
	for (int i = 0; i < 256; i++)
		pml4[i] = saved_identity[i];
	write_cr3(read_cr3());
}
