/*
 * buddy.h - the physical page allocator's core: a binary buddy system over
 * one span of physical memory, as pure logic (no hardware access, no locks,
 * no allocation of its own, no printing). The kernel builds it into
 * physmem.c's allocator; tests/host/buddy_test.c builds it on the host.
 *
 * Blocks are aligned in physical address space: a block of order k starts
 * at a multiple of 4096 << k, so order-9 blocks can be mapped as 2 MiB
 * pages. The span itself need not be aligned; blocks that would stick out
 * of it are never formed.
 *
 * Metadata, all in the caller's `meta` buffer, per order k = 0..MAX:
 *   head[k]  bit set iff the order-k block there is a free block on list k
 *   any[k]   bit set iff the block contains a free block of order <= k
 *            (any[0] is head[0]); lets a free of a whole block spot an
 *            already-free page inside it without scanning
 *   added[k] bit set iff every page of the block was given to
 *            buddy_add_range; a free of a page that never was (a hole, the
 *            kernel image, MMIO) is refused
 * About 5 bits per page (0.625 bytes), plus a free block's two 32-bit
 * links per page frame (8 bytes): see buddy_meta_size.
 *
 * The free lists are doubly linked through that link array, so nothing is
 * ever written into managed memory: memory nobody has allocated is never
 * touched (which, under a hypervisor backing guest memory on first use,
 * is most of a big machine's memory at boot). The physical page at address 0 is never managed
 * (0 is the failure value): buddy_add_range leaves it out silently.
 *
 * Every operation costs O(BUDDY_MAX_ORDER) bit and list operations
 * (buddy_add_range and buddy_free_pages: O(BUDDY_MAX_ORDER) per aligned
 * piece of the run, and add_range also O(n / 64) word operations on the
 * bitmaps). Only buddy_check looks at every block.
 *
 * Misuse (double free, a page outside the span or never added, bad
 * alignment, an order above BUDDY_MAX_ORDER, a range added twice) is
 * reported through buddy_panic before any state changes; if the hook
 * returns (or is NULL), the call returns having done nothing.
 */
#ifndef KERNEL_BUDDY_H
#define KERNEL_BUDDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDDY_MAX_ORDER 20          /* largest block: 2^20 pages = 4 GiB */
#define BUDDY_PAGE_SIZE 4096ull

struct buddy_link;

struct buddy {
	uint64_t base;                  /* physical address of page 0 of the managed span (4 KiB aligned) */
	uint64_t npages;                /* pages in the span [base, base + npages*4096) */
	struct buddy_link *links;       /* per page frame, in the metadata: a free block's list links */
	uint64_t free_pages, total_pages;  /* total_pages = pages ever added with buddy_add_range */

	/* private: read them in tests, change them only through the functions */
	uint64_t base_pfn, end_pfn;                     /* the span in page frame numbers */
	uint64_t free_list[BUDDY_MAX_ORDER + 1];        /* physical address of the first free block, 0 = none */
	uint64_t nfree[BUDDY_MAX_ORDER + 1];            /* free blocks of each order */
	uint64_t *head_map[BUDDY_MAX_ORDER + 1];        /* bitmaps in meta; bit i of order k is the */
	uint64_t *any_map[BUDDY_MAX_ORDER + 1];         /* block of page frame (base_pfn >> k) + i << k */
	uint64_t *added_map[BUDDY_MAX_ORDER + 1];
};

/* Called with a message saying what was wrong ("buddy_free: page 0x... is
 * already free"); the kernel sets it to its fatal-error function. If it
 * returns, the offending call returns without changing anything. */
extern void (*buddy_panic)(const char *msg);

/* bytes of metadata buddy_init needs for a span of npages pages (whatever its base) */
size_t buddy_meta_size(uint64_t npages);
/* meta: zeroed or not, at least buddy_meta_size(npages) bytes, 8-byte aligned; nothing is free after init */
void buddy_init(struct buddy *b, uint64_t base, uint64_t npages, void *meta);
/* hand the pages [phys, phys + n*4096) to the allocator (must lie inside the span, page aligned,
   never added before); n == 0 does nothing; the page at physical 0 is skipped */
void buddy_add_range(struct buddy *b, uint64_t phys, uint64_t n);
/* a block of 2^order pages, aligned to its size (relative to physical address 0, i.e. phys % (4096<<order) == 0); 0 when none */
uint64_t buddy_alloc(struct buddy *b, unsigned order);
void buddy_free(struct buddy *b, uint64_t phys, unsigned order);
/* exactly n contiguous pages (n >= 1), the unused tail of the power-of-two block given back;
   0 when none (n == 0, n > 2^BUDDY_MAX_ORDER, or no free block of order ceil(log2 n)) */
uint64_t buddy_alloc_pages(struct buddy *b, uint64_t n);
/* free n pages from buddy_alloc_pages (or any page-aligned run that is allocated), any n >= 1; n == 0 does nothing */
void buddy_free_pages(struct buddy *b, uint64_t phys, uint64_t n);
/* for debugging and tests: check every invariant (lists vs bitmaps, no overlapping free blocks,
   free_pages equals the sum over lists); returns NULL if fine, else a static string saying what is wrong.
   Costs O(npages). */
const char *buddy_check(const struct buddy *b);

#endif
