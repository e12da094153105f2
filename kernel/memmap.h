/*
 * memmap.h - the boot memory map as the kernel uses it, as pure logic (no
 * locks, no globals, no hardware): the firmware's map made sane, and the
 * plan physmem.c follows to hand its free pages to the buddy allocator.
 * Built into the kernel, and on the host by tests/host/physmem_test.c and
 * tests/host/fuzz_physmem.c, which run the plan against the real buddy.c.
 */
#ifndef KERNEL_MEMMAP_H
#define KERNEL_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../include/bootinfo.h"

/* What memmap_sanitize found wrong with the firmware's map (any may be
 * set; the answer is sane all the same). */
enum {
	MEMMAP_OVERLAP   = 1 << 0,      /* entries overlapped: the stronger kind kept */
	MEMMAP_UNSORTED  = 1 << 1,      /* entries out of address order */
	MEMMAP_CLIPPED   = 1 << 2,      /* misaligned, empty, wrapping or past 2^52: cut */
	MEMMAP_TRUNCATED = 1 << 3,      /* out of room: the rest dropped */
};

/* A change point: where an entry starts or ends (scratch for the sweep). */
struct memmap_point {
	uint64_t addr;
	uint32_t idx;           /* the input entry */
	uint32_t start;         /* 1 at its start, 0 at its end */
};

/*
 * memmap_sanitize, as Linux's e820__update_table: the n entries of in
 * become a sorted list of non-overlapping entries in out (cap of them;
 * 2 * n - 1 is always enough), adjacent entries of the same type and
 * attributes merged. Where entries overlap, the stronger kind wins: any
 * reserved or firmware kind over the loader's, the loader's over free
 * memory (so an overlap never makes a page free that any entry says is
 * not). Attributes of overlapping entries are OR-ed (EFI_MEMORY_RUNTIME
 * stays with every page some entry marks so). Free kinds are shrunk to
 * whole pages, other kinds grown to them. pts has room for 2 * n points.
 * Returns the entries written; *flags says what was wrong.
 */
uint32_t memmap_sanitize(const struct bootinfo_mem *in, uint32_t n, struct bootinfo_mem *out,
                         uint32_t cap, struct memmap_point *pts, unsigned *flags);

/* free_type: conventional memory, and boot-services code and data (free
 * once ExitBootServices has run). */
bool memmap_free_type(uint32_t type);

#define MEMMAP_LOW_LIMIT (1ull << 20)   /* below: real-mode pages only */
#define MEMMAP_MAX_HELD  128
#define MEMMAP_MAX_ADD   (2 * BOOTINFO_MMAP_MAX + 1)

struct memmap_range {
	uint64_t lo, hi;
};

/*
 * The plan: the allocator manages [span_lo, span_hi); its metadata takes
 * [meta_lo, meta_hi) of free memory; add[] goes to it in order (the free
 * lists are LIFO: the last added is handed out first); held[] is added
 * only when it runs dry; [low_lo, low_hi) below 1 MiB is kept for
 * real-mode code (the APs' trampoline).
 */
struct memmap_plan {
	uint64_t span_lo, span_hi;
	uint64_t meta_lo, meta_hi;
	uint64_t low_lo, low_hi;
	uint32_t nadd, nheld;
	struct memmap_range add[MEMMAP_MAX_ADD];
	struct memmap_range held[MEMMAP_MAX_HELD];
};

/*
 * memmap_plan plans the allocator over a sanitised map (sorted, no
 * overlaps, at most 2 * BOOTINFO_MMAP_MAX entries), using only the free
 * kinds' pages in [1 MiB, limit) (limit: the direct map's end), with room
 * for buddy_meta_size of the span. Returns NULL, or why there is no plan.
 */
const char *memmap_plan(const struct bootinfo_mem *map, uint32_t n, uint64_t limit,
                        struct memmap_plan *p);

#endif
