/*
 * buddy.c - the physical page allocator's core (see buddy.h): a binary
 * buddy system whose blocks are aligned in physical address space, with
 * per-order bitmaps in caller-provided metadata and free lists linked
 * through the free pages. Pure logic: built into the kernel and into the
 * host test (tests/host/buddy_test.c).
 *
 * Terms: a page frame number (pfn) is a physical address >> 12. The block
 * (k, p) is the 2^k pages from pfn p, p a multiple of 2^k. It is "in span"
 * when all its pages are in [base_pfn, end_pfn); only such blocks have
 * bitmap bits that can be set. Its bit in the order-k bitmaps is
 * (p >> k) - (base_pfn >> k).
 *
 * Invariants (buddy_check verifies them all):
 *   - list k holds exactly the blocks whose head[k] bit is set; nfree[k]
 *     counts them; free_pages = sum of nfree[k] << k
 *   - free blocks do not overlap: no free block has a free ancestor
 *   - fully coalesced: the buddy of a free block of order < MAX is not a
 *     free block of the same order
 *   - any[k] of a block = head[k] | any[k-1] of either half (any[0] = head[0])
 *   - added[k] of a block = added[k-1] of both halves; free blocks are added
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buddy.h"

#define MAXO BUDDY_MAX_ORDER
#define NORD (BUDDY_MAX_ORDER + 1)
#define PAGE_SHIFT 12

void (*buddy_panic)(const char *msg);

/* A free block's links, kept per page frame in the metadata (not in the
 * block): page frame indexes from base_pfn, plus 1 (0 = none). */
struct buddy_link {
	uint32_t next, prev;
};

/* ---- messages (no printf here: a tiny formatter into static buffers) ---- */

static char panic_buf[192], check_buf[192];

/* fmt understands %s, %x (uint64_t, printed 0x...) and %u (uint64_t). */
static const char *vfmt(char *buf, size_t size, const char *f, va_list ap)
{
	size_t n = 0;
#define PUT(c) do { if (n + 1 < size) buf[n++] = (c); } while (0)
	for (; *f; f++) {
		if (*f != '%' || !f[1]) {
			PUT(*f);
			continue;
		}
		char c = *++f;
		if (c == 's') {
			for (const char *s = va_arg(ap, const char *); *s; s++)
				PUT(*s);
		} else if (c == 'x' || c == 'u') {
			uint64_t v = va_arg(ap, uint64_t);
			unsigned base = c == 'x' ? 16 : 10;
			char tmp[24];
			int i = 0;
			do {
				tmp[i++] = "0123456789abcdef"[v % base];
				v /= base;
			} while (v);
			if (c == 'x') {
				PUT('0');
				PUT('x');
			}
			while (i)
				PUT(tmp[--i]);
		} else {
			PUT(c);
		}
	}
#undef PUT
	buf[n] = 0;
	return buf;
}

static void fail(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vfmt(panic_buf, sizeof panic_buf, f, ap);
	va_end(ap);
	if (buddy_panic)
		buddy_panic(panic_buf);
}

static const char *bad(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vfmt(check_buf, sizeof check_buf, f, ap);
	va_end(ap);
	return check_buf;
}

/* ---- bits ---- */

static inline uint64_t blk(unsigned k) { return 1ull << k; }

/* bits per order-k bitmap for a span of npages pages, whatever its alignment:
 * the order-k blocks that touch it */
static uint64_t map_bits(uint64_t npages, unsigned k)
{
	if (npages == 0)
		return 0;
	return ((npages - 1 + blk(k) - 1) >> k) + 1;
}

static inline uint64_t map_words(uint64_t npages, unsigned k)
{
	return (map_bits(npages, k) + 63) / 64;
}

static inline bool in_span(const struct buddy *b, uint64_t p, unsigned k)
{
	return p >= b->base_pfn && p < b->end_pfn && b->end_pfn - p >= blk(k);
}

static inline uint64_t bit_index(const struct buddy *b, uint64_t p, unsigned k)
{
	return (p >> k) - (b->base_pfn >> k);
}

static inline bool tst(const uint64_t *m, uint64_t i)
{
	return (m[i / 64] >> (i % 64)) & 1;
}

static inline void put(uint64_t *m, uint64_t i, bool v)
{
	if (v)
		m[i / 64] |= 1ull << (i % 64);
	else
		m[i / 64] &= ~(1ull << (i % 64));
}

/* set bits [i, j) of m */
static void set_bits(uint64_t *m, uint64_t i, uint64_t j)
{
	for (; i < j && i % 64; i++)
		put(m, i, true);
	for (; i + 64 <= j; i += 64)
		m[i / 64] = ~0ull;
	for (; i < j; i++)
		put(m, i, true);
}

/* Bits of the block (k, p); 0 for a block not (entirely) in the span. */
static inline bool bit_at(const struct buddy *b, uint64_t *const *maps, uint64_t p, unsigned k)
{
	return in_span(b, p, k) && tst(maps[k], bit_index(b, p, k));
}
#define HEAD(b, p, k)  bit_at(b, (b)->head_map, p, k)
#define ANY(b, p, k)   bit_at(b, (b)->any_map, p, k)
#define ADDED(b, p, k) bit_at(b, (b)->added_map, p, k)

static unsigned popcount64(uint64_t x)     /* no libgcc in the kernel */
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static inline unsigned floor_log2(uint64_t x) { return 63 - (unsigned)__builtin_clzll(x); }

/* ---- free lists ---- */

static inline struct buddy_link *link_of(const struct buddy *b, uint64_t p)
{
	return &b->links[p - b->base_pfn];
}

/* ref and addr convert between a page frame and its link value. */
static inline uint32_t ref(const struct buddy *b, uint64_t p) { return (uint32_t)(p - b->base_pfn + 1); }
static inline uint64_t pfn_of(const struct buddy *b, uint32_t r) { return b->base_pfn + r - 1; }

/* list_push links the block (k, p) into list k and sets its head bit (not any). */
static void list_push(struct buddy *b, uint64_t p, unsigned k)
{
	struct buddy_link *n = link_of(b, p);
	uint64_t first = b->free_list[k];
	n->next = first ? ref(b, first >> PAGE_SHIFT) : 0;
	n->prev = 0;
	if (first)
		link_of(b, first >> PAGE_SHIFT)->prev = ref(b, p);
	b->free_list[k] = p << PAGE_SHIFT;
	b->nfree[k]++;
	put(b->head_map[k], bit_index(b, p, k), true);
}

/* list_remove unlinks the block (k, p) from list k and clears its head bit (not any). */
static void list_remove(struct buddy *b, uint64_t p, unsigned k)
{
	struct buddy_link *n = link_of(b, p);
	if (n->prev)
		link_of(b, pfn_of(b, n->prev))->next = n->next;
	else
		b->free_list[k] = n->next ? pfn_of(b, n->next) << PAGE_SHIFT : 0;
	if (n->next)
		link_of(b, pfn_of(b, n->next))->prev = n->prev;
	n->next = n->prev = 0;
	b->nfree[k]--;
	put(b->head_map[k], bit_index(b, p, k), false);
}

/* any_fix recomputes the any bits on the path from the block (k, p) up,
 * always at orders below force, and above it until one does not change
 * (an ancestor's bit depends on its halves' bits only). */
static void any_fix(struct buddy *b, uint64_t p, unsigned k, unsigned force)
{
	for (unsigned j = k ? k : 1; j <= MAXO; j++) {     /* any[0] is head[0] */
		uint64_t q = p & ~(blk(j) - 1);
		if (!in_span(b, q, j))
			break;                  /* nor any ancestor */
		bool v = HEAD(b, q, j) || ANY(b, q, j - 1) || ANY(b, q + blk(j - 1), j - 1);
		uint64_t i = bit_index(b, q, j);
		if (tst(b->any_map[j], i) == v && j >= force)
			break;
		put(b->any_map[j], i, v);
	}
}

/* ---- the core, without checks ---- */

/* free_block frees the block (order, p), which must be in span, added and
 * wholly allocated, merging it with free buddies. Does not count it. */
static void free_block(struct buddy *b, uint64_t p, unsigned order)
{
	uint64_t orig = p;
	unsigned k = order;
	while (k < MAXO) {
		uint64_t q = p ^ blk(k);
		if (!HEAD(b, q, k))
			break;
		list_remove(b, q, k);
		if (k)                          /* it had no free pages but itself */
			put(b->any_map[k], bit_index(b, q, k), false);
		p &= ~blk(k);
		k++;
	}
	list_push(b, p, k);
	any_fix(b, orig, order, k);
}

/* The aligned pieces of a run of n pages ending at page frame end are taken
 * from the top: the largest block ending there that fits. */
static inline unsigned top_piece(uint64_t end, uint64_t n)
{
	unsigned k = floor_log2(n);
	unsigned a = (unsigned)__builtin_ctzll(end);   /* end >= n > 0 */
	if (a < k)
		k = a;
	return k < MAXO ? k : MAXO;
}

/* free_run frees the run [p, p + n) piece by piece, from the top down (so
 * each piece's any_fix stops at the first ancestor a higher piece already
 * set). Does not count the pages. */
static void free_run(struct buddy *b, uint64_t p, uint64_t n)
{
	while (n) {
		unsigned k = top_piece(p + n, n);
		n -= blk(k);
		free_block(b, p + n, k);
	}
}

/* first_free returns the first free page frame in the block (k, p) (in
 * span), or 0 when it has none. */
static uint64_t first_free(const struct buddy *b, uint64_t p, unsigned k)
{
	for (unsigned j = k + 1; j <= MAXO; j++) {
		uint64_t q = p & ~(blk(j) - 1);
		if (!in_span(b, q, j))
			break;
		if (HEAD(b, q, j))
			return p;               /* inside a larger free block */
	}
	if (!ANY(b, p, k))
		return 0;
	while (!HEAD(b, p, k)) {        /* a free block lies below: go down to it */
		k--;
		if (!ANY(b, p, k))
			p += blk(k);
	}
	return p;
}

/* first_unadded returns the first page frame in the block (k, p) (in span)
 * that was never added; the block must not be wholly added. */
static uint64_t first_unadded(const struct buddy *b, uint64_t p, unsigned k)
{
	while (k > 0) {
		k--;
		if (ADDED(b, p, k))
			p += blk(k);
	}
	return p;
}

/* check_block says whether the block (k, p) of a run being freed may be
 * freed: added and wholly allocated. Reports through fail if not. */
static bool check_block(const struct buddy *b, const char *who, uint64_t p, unsigned k)
{
	if (!ADDED(b, p, k)) {
		fail("%s: page %x was never added to the allocator (a hole in the span)",
		     who, first_unadded(b, p, k) << PAGE_SHIFT);
		return false;
	}
	uint64_t f = first_free(b, p, k);
	if (f) {
		fail("%s: page %x is already free", who, f << PAGE_SHIFT);
		return false;
	}
	return true;
}

/* ---- the interface ---- */

size_t buddy_meta_size(uint64_t npages)
{
	uint64_t words = 0;
	for (unsigned k = 0; k <= MAXO; k++)
		words += map_words(npages, k) * (k ? 3 : 2);   /* head, any (not at 0), added */
	return (size_t)(words * 8 + npages * sizeof(struct buddy_link));
}

void buddy_init(struct buddy *b, uint64_t base, uint64_t npages, void *meta)
{
	if (base % BUDDY_PAGE_SIZE) {
		fail("buddy_init: span base %x is not page aligned", base);
		npages = 0;
	}
	b->base = base;
	b->npages = npages;
	b->free_pages = b->total_pages = 0;
	b->base_pfn = base >> PAGE_SHIFT;
	b->end_pfn = b->base_pfn + npages;
	uint64_t *m = meta;
	for (unsigned k = 0; k <= MAXO; k++) {
		uint64_t w = map_words(npages, k);
		b->free_list[k] = 0;
		b->nfree[k] = 0;
		b->head_map[k] = m;
		m += w;
		if (k) {
			b->any_map[k] = m;
			m += w;
		} else {
			b->any_map[k] = b->head_map[k];
		}
		b->added_map[k] = m;
		m += w;
	}
	for (uint64_t *w = meta; w < m; w++)
		*w = 0;
	/* links are written before they are read (a block's links only once
	 * it is on a list): left as they are, so the memory behind them is
	 * touched only as far as blocks are freed */
	b->links = (struct buddy_link *)m;
}

void buddy_add_range(struct buddy *b, uint64_t phys, uint64_t n)
{
	if (n == 0)
		return;
	if (phys % BUDDY_PAGE_SIZE) {
		fail("buddy_add_range: address %x is not page aligned", phys);
		return;
	}
	uint64_t p = phys >> PAGE_SHIFT;
	if (p < b->base_pfn || p >= b->end_pfn || n > b->end_pfn - p) {
		fail("buddy_add_range: %u pages at %x are outside the managed span [%x, %x)",
		     n, phys, b->base, b->end_pfn << PAGE_SHIFT);
		return;
	}
	if (p == 0) {                   /* 0 means "no page": never hand it out */
		p++;
		if (--n == 0)
			return;
	}
	/* none of it added before (this also means none of it is free) */
	uint64_t i = bit_index(b, p, 0), j = i + n;
	const uint64_t *a = b->added_map[0];
	for (; i < j; i++) {
		if (i % 64 == 0 && j - i >= 64 && a[i / 64] == 0) {
			i += 63;
			continue;
		}
		if (tst(a, i)) {
			fail("buddy_add_range: page %x was already added",
			     (b->base_pfn + i) << PAGE_SHIFT);
			return;
		}
	}
	/* added bits: the blocks inside the run, then the (at most two) blocks
	 * of each order that overlap an end of it, from their halves */
	uint64_t end = p + n;
	for (unsigned k = 0; k <= MAXO; k++) {
		uint64_t lo = (p + blk(k) - 1) & ~(blk(k) - 1), hi = end & ~(blk(k) - 1);
		if (lo < hi)
			set_bits(b->added_map[k], bit_index(b, lo, k), bit_index(b, hi, k));
		if (k == 0)
			continue;
		uint64_t edge[2] = { p & ~(blk(k) - 1), (end - 1) & ~(blk(k) - 1) };
		for (int e = 0; e < 2; e++) {
			uint64_t q = edge[e];
			if (in_span(b, q, k) && !(q >= p && q + blk(k) <= end))
				put(b->added_map[k], bit_index(b, q, k),
				    ADDED(b, q, k - 1) && ADDED(b, q + blk(k - 1), k - 1));
		}
	}
	b->total_pages += n;
	b->free_pages += n;
	free_run(b, p, n);
}

uint64_t buddy_alloc(struct buddy *b, unsigned order)
{
	if (order > MAXO)
		return 0;
	unsigned k = order;
	while (k <= MAXO && !b->free_list[k])
		k++;
	if (k > MAXO)
		return 0;
	uint64_t p = b->free_list[k] >> PAGE_SHIFT;
	/* Split first, the block's head bit still set, so that each upper half's
	 * any_fix stops at once; then take the block off. */
	for (unsigned j = k; j > order; j--) {
		list_push(b, p + blk(j - 1), j - 1);
		any_fix(b, p + blk(j - 1), j - 1, 0);
	}
	list_remove(b, p, k);
	any_fix(b, p, k, 0);
	b->free_pages -= blk(order);
	return p << PAGE_SHIFT;
}

void buddy_free(struct buddy *b, uint64_t phys, unsigned order)
{
	if (order > MAXO) {
		fail("buddy_free: page %x: order %u is above BUDDY_MAX_ORDER (%u)",
		     phys, (uint64_t)order, (uint64_t)MAXO);
		return;
	}
	if (phys % (BUDDY_PAGE_SIZE << order)) {
		fail("buddy_free: page %x is misaligned for order %u", phys, (uint64_t)order);
		return;
	}
	uint64_t p = phys >> PAGE_SHIFT;
	if (!in_span(b, p, order)) {
		fail("buddy_free: page %x (order %u) is outside the managed span [%x, %x)",
		     phys, (uint64_t)order, b->base, b->end_pfn << PAGE_SHIFT);
		return;
	}
	if (!check_block(b, "buddy_free", p, order))
		return;
	free_block(b, p, order);
	b->free_pages += blk(order);
}

uint64_t buddy_alloc_pages(struct buddy *b, uint64_t n)
{
	if (n == 0 || n > blk(MAXO))
		return 0;
	unsigned order = floor_log2(n);
	if (n & (n - 1))
		order++;
	uint64_t phys = buddy_alloc(b, order);
	if (!phys || n == blk(order))
		return phys;
	uint64_t tail = blk(order) - n;
	free_run(b, (phys >> PAGE_SHIFT) + n, tail);
	b->free_pages += tail;
	return phys;
}

void buddy_free_pages(struct buddy *b, uint64_t phys, uint64_t n)
{
	if (n == 0)
		return;
	if (phys % BUDDY_PAGE_SIZE) {
		fail("buddy_free_pages: address %x is not page aligned", phys);
		return;
	}
	uint64_t p = phys >> PAGE_SHIFT;
	if (p < b->base_pfn || p >= b->end_pfn || n > b->end_pfn - p) {
		fail("buddy_free_pages: %u pages at %x are outside the managed span [%x, %x)",
		     n, phys, b->base, b->end_pfn << PAGE_SHIFT);
		return;
	}
	/* check every piece before freeing any */
	for (uint64_t m = n; m;) {
		unsigned k = top_piece(p + m, m);
		m -= blk(k);
		if (!check_block(b, "buddy_free_pages", p + m, k))
			return;
	}
	free_run(b, p, n);
	b->free_pages += n;
}

/* ---- the checker ---- */

const char *buddy_check(const struct buddy *b)
{
	if (b->end_pfn - b->base_pfn != b->npages || b->base_pfn != b->base >> PAGE_SHIFT)
		return bad("span fields disagree: base %x npages %u base_pfn %x end_pfn %x",
			   b->base, b->npages, b->base_pfn, b->end_pfn);
	uint64_t sum = 0;
	for (unsigned k = 0; k <= MAXO; k++) {
		uint64_t nbits = map_bits(b->npages, k), count = 0, prev = 0;
		for (uint64_t pa = b->free_list[k]; pa;
		     pa = link_of(b, pa >> PAGE_SHIFT)->next ? pfn_of(b, link_of(b, pa >> PAGE_SHIFT)->next) << PAGE_SHIFT : 0) {
			uint64_t p = pa >> PAGE_SHIFT;
			if (count++ > nbits)
				return bad("free list %u: longer than its bitmap (a cycle?)", (uint64_t)k);
			if (pa % (BUDDY_PAGE_SIZE << k))
				return bad("free list %u: block %x is misaligned", (uint64_t)k, pa);
			if (!in_span(b, p, k))
				return bad("free list %u: block %x is outside the span", (uint64_t)k, pa);
			if (!HEAD(b, p, k))
				return bad("free list %u: block %x has no head bit", (uint64_t)k, pa);
			if (!ADDED(b, p, k))
				return bad("free list %u: block %x was never added", (uint64_t)k, pa);
			const struct buddy_link *n = link_of(b, p);
			uint64_t nprev = n->prev ? pfn_of(b, n->prev) << PAGE_SHIFT : 0;
			if (nprev != prev)
				return bad("free list %u: block %x: prev is %x, not %x",
					   (uint64_t)k, pa, nprev, prev);
			prev = pa;
		}
		if (count != b->nfree[k])
			return bad("free list %u: %u blocks, nfree says %u", (uint64_t)k, count, b->nfree[k]);
		uint64_t bits = 0;
		for (uint64_t w = 0; w < map_words(b->npages, k); w++)
			bits += popcount64(b->head_map[k][w]);
		if (bits != count)
			return bad("order %u: %u head bits but %u blocks on the list", (uint64_t)k, bits, count);
		sum += count << k;
	}
	if (sum != b->free_pages)
		return bad("free_pages is %u but the lists hold %u pages", b->free_pages, sum);
	if (b->free_pages > b->total_pages || b->total_pages > b->npages)
		return bad("free_pages %u, total_pages %u, npages %u out of order",
			   b->free_pages, b->total_pages, b->npages);
	uint64_t added = 0;
	for (uint64_t w = 0; w < map_words(b->npages, 0); w++)
		added += popcount64(b->added_map[0][w]);
	if (added != b->total_pages)
		return bad("%u pages marked added, total_pages is %u", added, b->total_pages);

	/* every block of every order: bitmaps consistent, free blocks neither
	 * nested nor left unmerged */
	for (unsigned k = 0; k <= MAXO; k++) {
		uint64_t nbits = map_bits(b->npages, k), first = b->base_pfn >> k;
		for (uint64_t i = 0; i < nbits; i++) {
			uint64_t p = (first + i) << k;
			if (!in_span(b, p, k)) {
				if (tst(b->head_map[k], i) || tst(b->any_map[k], i) || tst(b->added_map[k], i))
					return bad("order %u: bit set for block %x, which sticks out of the span",
						   (uint64_t)k, p << PAGE_SHIFT);
				continue;
			}
			bool head = tst(b->head_map[k], i);
			if (k) {
				bool lo_any = ANY(b, p, k - 1), hi_any = ANY(b, p + blk(k - 1), k - 1);
				if (tst(b->any_map[k], i) != (head || lo_any || hi_any))
					return bad("order %u: any bit of block %x is wrong", (uint64_t)k, p << PAGE_SHIFT);
				if (head && (lo_any || hi_any))
					return bad("order %u: free block %x overlaps a smaller free block",
						   (uint64_t)k, p << PAGE_SHIFT);
				bool full = ADDED(b, p, k - 1) && ADDED(b, p + blk(k - 1), k - 1);
				if (tst(b->added_map[k], i) != full)
					return bad("order %u: added bit of block %x is wrong", (uint64_t)k, p << PAGE_SHIFT);
			}
			if (head && k < MAXO && HEAD(b, p ^ blk(k), k))
				return bad("order %u: free block %x and its buddy are both free (not merged)",
					   (uint64_t)k, p << PAGE_SHIFT);
		}
	}
	return NULL;
}
