/*
 * memmap.h - the loader's memory-map and page-table logic, kept free of
 * EFI so the host tests can build and fuzz it (tests/host/loadmap_test.c,
 * tests/host/fuzz_loadmap.c): how far the direct map reaches, the firmware's
 * memory map turned into bootinfo's, and the page tables the kernel starts
 * on.
 *
 * The loader runs identity-mapped, so a pointer is a physical address:
 * every table entry memmap_build_tables writes holds the address of the
 * next table as the pointer it has.
 */
#ifndef BOOT_MEMMAP_H
#define BOOT_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

#include "../include/bootinfo.h"

/* EFI_MEMORY_DESCRIPTOR (UEFI 2.x, GetMemoryMap): the firmware's entries
 * are desc_size bytes apart, desc_size >= this struct (firmware may add
 * fields at the end). */
struct efi_desc {
	uint32_t type, pad;
	uint64_t phys, virt, pages, attr;
};
#define EFI_DESC_MIN 40

/* The direct map reaches at least MEMMAP_LIMIT_MIN (the LAPIC, I/O APIC
 * and HPET sit just below 4 GiB) and at most DIRECT_MAP_MAX. */
#define MEMMAP_LIMIT_MIN (4ull << 30)

struct memmap_limit {
	uint64_t limit;         /* [0, limit) is direct-mapped: a multiple of 1 GiB */
	uint64_t dropped;       /* bytes of memory at or above DIRECT_MAP_MAX: unusable */
	int fb_dropped;         /* the framebuffer lies past DIRECT_MAP_MAX: do not use it */
	int bad_desc_size;      /* desc_size < EFI_DESC_MIN: the map was not read */
};

/*
 * memmap_limit: how much of the physical address space the direct map
 * covers. The end of the highest descriptor of memory (RAM, ACPI tables,
 * firmware and loader code and data, persistent memory: what the kernel
 * may read) and of the framebuffer, at least MEMMAP_LIMIT_MIN, rounded up
 * to 1 GiB, at most DIRECT_MAP_MAX. MMIO, reserved, unusable and unknown
 * types do not count: firmware lists 64-bit PCI windows near the top of a
 * 48-bit space, and covering them would cost a page directory per GiB.
 */
void memmap_limit(const void *map, size_t map_size, size_t desc_size,
                  uint64_t fb_base, uint64_t fb_size, struct memmap_limit *out);

/*
 * memmap_copy converts the firmware's map into bootinfo entries: empty
 * descriptors skipped, each clipped to the 52-bit physical address space
 * (so no entry wraps), a descriptor that continues the previous one with
 * the same type and attributes merged into it. Returns the count written
 * (at most max); *dropped counts descriptors that did not fit.
 */
uint32_t memmap_copy(const void *map, size_t map_size, size_t desc_size,
                     struct bootinfo_mem *out, uint32_t max, uint32_t *dropped);

/* The loader's page tables, all in one block of pages, in this order:
 * PML4, the direct map's PDPTs and page directories, the image's PDPT,
 * page directory and page tables. */
struct memmap_tables {
	uint64_t pdpts, pds, kpts;      /* pages of each kind */
	uint64_t pages;                 /* the whole block */
};

/* memmap_tables_size sizes the tables for [0, limit) (a multiple of 1 GiB,
 * 4 GiB .. DIRECT_MAP_MAX) and an image [lo, hi) (page aligned, inside
 * the 1 GiB above KERNEL_BASE) loaded at kernel_phys (page aligned); -1
 * when any of them is out of range. */
int memmap_tables_size(uint64_t limit, uint64_t lo, uint64_t hi, uint64_t kernel_phys,
                       struct memmap_tables *t);

/*
 * memmap_build_tables fills `block` (t->pages zeroed pages, 4 KiB aligned):
 *   [0, limit)                       1:1, for the CR3 switch (the loader
 *                                    runs at its physical address)
 *   DIRECT_MAP_BASE + [0, limit)     the direct map, sharing the identity
 *                                    map's page directories; 2 MiB pages
 *   [lo, hi) at KERNEL_BASE + ...    the image, from kernel_phys, 4 KiB
 *                                    pages so any physical address works
 * All writable and executable: the kernel replaces them. Returns the
 * PML4's address.
 */
uint64_t memmap_build_tables(void *block, const struct memmap_tables *t, uint64_t limit,
                             uint64_t lo, uint64_t hi, uint64_t kernel_phys);

#endif
