/*
 * memmap.c - the loader's memory-map and page-table logic (see memmap.h):
 * pure arithmetic over the firmware's map and a block of pages, no EFI
 * calls, so the host fuzzes exactly what the loader runs.
 *
 * Nothing in the firmware's map is trusted: a descriptor's end is computed
 * without wrapping, the descriptor size is checked before a descriptor is
 * read, and the tables are sized from the clamped limit, so a map listing
 * memory past what four-level paging can address cannot make the builder
 * write past its PML4.
 */
#include "memmap.h"

#define PAGE      4096ull
#define GIB       (1ull << 30)
#define PHYS_END  (1ull << 52)          /* no x86-64 physical address reaches this */
#define PTE_P     1ull
#define PTE_W     2ull
#define PTE_PS    0x80ull

/* The descriptor at byte off; read by copy: map entries need not be
 * aligned for us (desc_size is the firmware's). */
static struct efi_desc desc_at(const void *map, size_t off)
{
	struct efi_desc d;
	__builtin_memcpy(&d, (const char *)map + off, sizeof d);
	return d;
}

/* desc_end: where [phys, phys + pages * 4 KiB) ends, saturated at
 * PHYS_END (also when the firmware's numbers wrap). */
static uint64_t desc_end(uint64_t phys, uint64_t pages)
{
	if (phys >= PHYS_END || pages > (PHYS_END - phys) / PAGE)
		return PHYS_END;
	return phys + pages * PAGE;
}

/* is_memory: a type whose contents the kernel may read or hand out. */
static int is_memory(uint32_t type)
{
	switch (type) {
	case BI_MEM_LOADER_CODE: case BI_MEM_LOADER_DATA:
	case BI_MEM_BOOT_CODE: case BI_MEM_BOOT_DATA:
	case BI_MEM_RUNTIME_CODE: case BI_MEM_RUNTIME_DATA:
	case BI_MEM_CONVENTIONAL: case BI_MEM_ACPI_RECLAIM: case BI_MEM_ACPI_NVS:
	case BI_MEM_PERSISTENT:
		return 1;
	default:                /* reserved, unusable, MMIO, PAL code, unknown */
		return 0;
	}
}

/* ndesc: how many whole descriptors the map holds; 0 when desc_size is
 * too small to be one (the map cannot be read at all). */
static size_t ndesc(size_t map_size, size_t desc_size)
{
	if (desc_size < EFI_DESC_MIN)
		return 0;
	return map_size / desc_size;
}

void memmap_limit(const void *map, size_t map_size, size_t desc_size,
                  uint64_t fb_base, uint64_t fb_size, struct memmap_limit *out)
{
	uint64_t lim = MEMMAP_LIMIT_MIN;
	*out = (struct memmap_limit){0};
	out->bad_desc_size = desc_size < EFI_DESC_MIN;
	for (size_t i = 0, n = ndesc(map_size, desc_size); i < n; i++) {
		struct efi_desc d = desc_at(map, i * desc_size);
		if (!is_memory(d.type) || d.pages == 0)
			continue;
		uint64_t end = desc_end(d.phys, d.pages);
		if (end > DIRECT_MAP_MAX) {
			uint64_t from = d.phys > DIRECT_MAP_MAX ? d.phys : DIRECT_MAP_MAX;
			if (from < end)
				out->dropped += end - from;
			end = DIRECT_MAP_MAX;
		}
		if (end > lim)
			lim = end;
	}
	if (fb_size) {
		uint64_t end = desc_end(fb_base, (fb_size + PAGE - 1) / PAGE);
		if (end > DIRECT_MAP_MAX)
			out->fb_dropped = 1;
		else if (end > lim)
			lim = end;
	}
	out->limit = (lim + GIB - 1) & ~(GIB - 1);     /* lim <= DIRECT_MAP_MAX, a GiB multiple */
}

uint32_t memmap_copy(const void *map, size_t map_size, size_t desc_size,
                     struct bootinfo_mem *out, uint32_t max, uint32_t *dropped)
{
	uint32_t n = 0;
	*dropped = 0;
	for (size_t i = 0, nd = ndesc(map_size, desc_size); i < nd; i++) {
		struct efi_desc d = desc_at(map, i * desc_size);
		uint64_t end = desc_end(d.phys, d.pages);
		uint64_t pages = d.phys < end ? (end - d.phys) / PAGE : 0;
		if (pages == 0)         /* empty, past 2^52, or a misaligned start cut to nothing */
			continue;
		struct bootinfo_mem *prev = n ? &out[n - 1] : 0;
		if (prev && prev->type == d.type && prev->attr == d.attr &&
		    prev->phys + prev->pages * PAGE == d.phys) {
			prev->pages += pages;           /* both end below 2^52: no wrap */
			continue;
		}
		if (n == max) {
			(*dropped)++;
			continue;
		}
		out[n++] = (struct bootinfo_mem){
			.type = d.type, .phys = d.phys, .pages = pages, .attr = d.attr,
		};
	}
	return n;
}

int memmap_tables_size(uint64_t limit, uint64_t lo, uint64_t hi, uint64_t kernel_phys,
                       struct memmap_tables *t)
{
	*t = (struct memmap_tables){0};
	if (limit < MEMMAP_LIMIT_MIN || limit > DIRECT_MAP_MAX || limit % GIB)
		return -1;
	if (lo % PAGE || hi % PAGE || lo < KERNEL_BASE || hi <= lo || hi - KERNEL_BASE > GIB)
		return -1;
	if (kernel_phys % PAGE || kernel_phys >= PHYS_END || hi - lo > PHYS_END - kernel_phys)
		return -1;
	uint64_t first = (lo - KERNEL_BASE) / PAGE % 512;     /* the image's slot in its first table */
	t->pds = limit / GIB;
	t->pdpts = (t->pds + 511) / 512;
	t->kpts = (first + (hi - lo) / PAGE + 511) / 512;
	t->pages = 1 + t->pdpts + t->pds + 2 + t->kpts;
	return 0;
}

uint64_t memmap_build_tables(void *block, const struct memmap_tables *t, uint64_t limit,
                             uint64_t lo, uint64_t hi, uint64_t kernel_phys)
{
	uint64_t *pml4 = block;
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512 * t->pdpts;
	uint64_t *kpdpt = pd + 512 * t->pds;
	uint64_t *kpd = kpdpt + 512;
	uint64_t *kpt = kpd + 512;

	/* the direct map: 2 MiB pages, limit / 2 MiB of them; PML4[0..] and
	 * PML4[256..] share the PDPTs (DIRECT_MAP_MAX is 128 PML4 entries) */
	for (uint64_t i = 0; i < limit >> 21; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	for (uint64_t i = 0; i < t->pds; i++)
		pdpt[i] = (uint64_t)&pd[i * 512] | PTE_P | PTE_W;
	for (uint64_t i = 0; i < t->pdpts; i++) {
		pml4[i] = (uint64_t)&pdpt[i * 512] | PTE_P | PTE_W;
		pml4[(DIRECT_MAP_BASE >> 39) % 512 + i] = pml4[i];
	}

	/* the image: page index `first` within the -2 GiB window onwards */
	uint64_t first = (lo - KERNEL_BASE) / PAGE, pages = (hi - lo) / PAGE;
	for (uint64_t i = 0; i < pages; i++)
		kpt[first % 512 + i] = (kernel_phys + i * PAGE) | PTE_P | PTE_W;
	for (uint64_t k = 0; k < t->kpts; k++)
		kpd[first / 512 + k] = (uint64_t)&kpt[k * 512] | PTE_P | PTE_W;
	kpdpt[(KERNEL_BASE >> 30) % 512] = (uint64_t)kpd | PTE_P | PTE_W;
	pml4[(KERNEL_BASE >> 39) % 512] = (uint64_t)kpdpt | PTE_P | PTE_W;
	return (uint64_t)pml4;
}
