/*
 * buddy_test.c - host test for kernel/buddy.c, the physical page
 * allocator's core. "Physical memory" is a host buffer (aligned_alloc, or
 * an mmap reservation for the 8 GiB span) at the fake physical base's
 * offset. A shadow array records what every
 * page should be (hole, free, allocated); allocated pages carry a tag the
 * allocator must not disturb, and the per-order free-block counts are
 * compared with the canonical (fully coalesced) decomposition of the
 * shadow's free pages.
 *
 * From the top of the tree:
 *
 *   mkdir -p build/host
 *   gcc -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *       -fno-sanitize-recover=all -I kernel -I include \
 *       -o build/host/buddy_test tests/host/buddy_test.c kernel/buddy.c
 *   build/host/buddy_test [seed]
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _DEFAULT_SOURCE                 /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buddy.h"

#define PG      ((uint64_t)4096)
#define MAXO    BUDDY_MAX_ORDER
#define NORD    (BUDDY_MAX_ORDER + 1)

/* ---- failures ---- */

static int failures;

#define FAIL(...) do { \
	failures++; \
	if (failures <= 60) { \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} else if (failures == 61) { \
		fprintf(stderr, "(more failures not shown)\n"); \
	} \
} while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

/* <string.h> here may be include/string.h (the runtime's subset): no strstr */
static bool contains(const char *s, const char *sub)
{
	size_t n = strlen(sub);
	for (; *s; s++)
		if (strncmp(s, sub, n) == 0)
			return true;
	return n == 0;
}

/* ---- the panic hook ---- */

static jmp_buf *panic_jmp;              /* set: longjmp there; NULL: record and return */
static bool expecting;                  /* a panic is expected now */
static int panic_count;
static char panic_msg[512];

static void test_panic(const char *msg)
{
	panic_count++;
	snprintf(panic_msg, sizeof panic_msg, "%s", msg);
	if (!expecting)
		FAIL("unexpected buddy_panic: %s", msg);
	if (panic_jmp)
		longjmp(*panic_jmp, 1);
}

/* ---- random numbers (xorshift64*, reproducible) ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n) { return rnd() % n; }

/* ---- an environment: a span, its backing memory, its shadow ---- */

enum { S_HOLE, S_FREE, S_USED };

struct env {
	struct buddy b;
	const char *name;
	uint64_t base, npages;
	unsigned char *mem;
	size_t memsize;
	bool mmapped;
	bool light;                     /* tag only the first and last page of a run */
	void *meta;
	uint8_t *state;                 /* per page of the span */
	uint64_t *pre;                  /* scratch for canon */
	uint64_t shadow_free, shadow_total;
};

static bool env_init(struct env *e, const char *name, uint64_t base, uint64_t npages, bool big)
{
	memset(e, 0, sizeof *e);
	e->name = name;
	e->base = base;
	e->npages = npages;
	e->light = big;
	e->memsize = npages * PG;
	if (big) {
		void *m = mmap(NULL, e->memsize, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return false;
		e->mem = m;
		e->mmapped = true;
	} else {
		e->mem = aligned_alloc(PG, e->memsize ? e->memsize : PG);
	}
	size_t ms = buddy_meta_size(npages);
	e->meta = malloc(ms ? ms : 1);          /* exactly the size: ASan sees any overrun */
	memset(e->meta, 0xa5, ms);              /* init must not rely on zeroed metadata */
	e->state = calloc(npages + 1, 1);
	e->pre = malloc((npages + 1) * sizeof *e->pre);
	if (!e->mem || !e->meta || !e->state || !e->pre) {
		fprintf(stderr, "out of host memory\n");
		exit(2);
	}
	buddy_init(&e->b, base, npages, e->meta);
	return true;
}

static void env_free(struct env *e)
{
	if (e->mmapped)
		munmap(e->mem, e->memsize);
	else
		free(e->mem);
	free(e->meta);
	free(e->state);
	free(e->pre);
}

static uint64_t rel(const struct env *e, uint64_t phys) { return (phys - e->base) / PG; }
static bool in_span(const struct env *e, uint64_t phys, uint64_t n)
{
	return phys >= e->base && rel(e, phys) < e->npages && n <= e->npages - rel(e, phys);
}

/* env_add gives the pages [r, r + n) (relative to the base) to the allocator. */
static void env_add(struct env *e, uint64_t r, uint64_t n)
{
	buddy_add_range(&e->b, e->base + r * PG, n);
	for (uint64_t i = r; i < r + n; i++) {
		if (e->base + i * PG == 0)
			continue;               /* physical page 0 is never managed */
		CHECK(e->state[i] == S_HOLE, "%s: env_add overlaps", e->name);
		e->state[i] = S_FREE;
		e->shadow_free++;
		e->shadow_total++;
	}
}

static uint64_t tag_of(uint64_t phys) { return phys ^ 0x5a5aa5a5deadbeefull; }

static void tag_page(struct env *e, uint64_t phys)
{
	uint64_t t = tag_of(phys);
	unsigned char *v = e->mem + (phys - e->base);
	memcpy(v, &t, 8);
	memcpy(v + PG - 8, &t, 8);
}

static bool tag_ok(struct env *e, uint64_t phys)
{
	uint64_t t = tag_of(phys), a, z;
	unsigned char *v = e->mem + (phys - e->base);
	memcpy(&a, v, 8);
	memcpy(&z, v + PG - 8, 8);
	return a == t && z == t;
}

/* take records the run [phys, phys + n pages) as handed out by the
 * allocator: it must be in the span, aligned as asked, and free in the
 * shadow; its memory is written. */
static bool take(struct env *e, uint64_t phys, uint64_t n, unsigned align_order, bool fill)
{
	if (phys == 0 || phys % (PG << align_order) || !in_span(e, phys, n)) {
		FAIL("%s: allocator returned %#" PRIx64 " (%" PRIu64 " pages, order %u alignment): "
		     "misaligned or outside the span", e->name, phys, n, align_order);
		return false;
	}
	uint64_t r = rel(e, phys);
	for (uint64_t i = r; i < r + n; i++) {
		if (e->state[i] != S_FREE) {
			FAIL("%s: allocator returned page %#" PRIx64 ", which is %s", e->name,
			     e->base + i * PG, e->state[i] == S_HOLE ? "a hole" : "already allocated");
			return false;
		}
	}
	for (uint64_t i = r; i < r + n; i++)
		e->state[i] = S_USED;
	e->shadow_free -= n;
	if (fill && !e->light)
		memset(e->mem + r * PG, 0x3c, n * PG);
	if (e->light) {
		tag_page(e, phys);
		tag_page(e, phys + (n - 1) * PG);
	} else {
		for (uint64_t i = 0; i < n; i++)
			tag_page(e, phys + i * PG);
	}
	return true;
}

/* tags_intact checks, before a run is freed, that the allocator has not
 * written into it while it was allocated. */
static bool tags_intact(struct env *e, uint64_t phys, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (e->light && i != 0 && i != n - 1)
			continue;
		if (!tag_ok(e, phys + i * PG)) {
			FAIL("%s: allocated page %#" PRIx64 " was overwritten", e->name, phys + i * PG);
			return false;
		}
	}
	return true;
}

/* give records the run as returned to the allocator (after the buddy_free* call). */
static void give(struct env *e, uint64_t phys, uint64_t n)
{
	uint64_t r = rel(e, phys);
	for (uint64_t i = r; i < r + n; i++) {
		CHECK(e->state[i] == S_USED, "%s: test bug: giving back page %#" PRIx64 " not in use",
		      e->name, e->base + i * PG);
		e->state[i] = S_FREE;
	}
	e->shadow_free += n;
}

/* canon computes, from the shadow, how many free blocks of each order a
 * fully coalesced buddy system holds: the aligned, wholly free blocks in
 * the span whose parent is not (or is too big, or sticks out). */
static void canon(struct env *e, uint64_t out[NORD])
{
	uint64_t *pre = e->pre;
	pre[0] = 0;
	for (uint64_t i = 0; i < e->npages; i++)
		pre[i + 1] = pre[i] + (e->state[i] == S_FREE);
	uint64_t bp = e->base / PG, ep = bp + e->npages;
	for (unsigned k = 0; k <= MAXO; k++) {
		uint64_t K = 1ull << k;
		out[k] = 0;
		for (uint64_t p = (bp + K - 1) & ~(K - 1); p + K <= ep; p += K) {
			if (pre[p - bp + K] - pre[p - bp] != K)
				continue;
			if (k < MAXO) {
				uint64_t q = p & ~(2 * K - 1);
				if (q >= bp && q + 2 * K <= ep && pre[q - bp + 2 * K] - pre[q - bp] == 2 * K)
					continue;
			}
			out[k]++;
		}
	}
}

/* check_env: buddy_check, the counters against the shadow, and the free
 * blocks per order against the canonical decomposition. */
static bool check_env(struct env *e, const char *where)
{
	int before = failures;
	const char *err = buddy_check(&e->b);
	CHECK(err == NULL, "%s: %s: buddy_check: %s", e->name, where, err);
	CHECK(e->b.free_pages == e->shadow_free, "%s: %s: free_pages %" PRIu64 ", expected %" PRIu64,
	      e->name, where, e->b.free_pages, e->shadow_free);
	CHECK(e->b.total_pages == e->shadow_total, "%s: %s: total_pages %" PRIu64 ", expected %" PRIu64,
	      e->name, where, e->b.total_pages, e->shadow_total);
	uint64_t c[NORD];
	canon(e, c);
	for (unsigned k = 0; k <= MAXO; k++)
		CHECK(e->b.nfree[k] == c[k], "%s: %s: order %u: %" PRIu64 " free blocks, a fully coalesced "
		      "allocator has %" PRIu64, e->name, where, k, e->b.nfree[k], c[k]);
	return failures == before;
}

struct run { uint64_t phys, n; unsigned order; bool block; };

static void shuffle(struct run *r, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = below(i);
		struct run t = r[i - 1];
		r[i - 1] = r[j];
		r[j] = t;
	}
}

static bool no_block_from(const struct env *e, unsigned order)
{
	for (unsigned k = order; k <= MAXO; k++)
		if (e->b.nfree[k])
			return false;
	return true;
}

/* free_checked returns a run through buddy_free (whole blocks) or
 * buddy_free_pages, checking the counter moves by exactly its size. */
static void free_checked(struct env *e, const struct run *r, bool use_pages)
{
	if (!tags_intact(e, r->phys, r->n))
		return;
	uint64_t fp = e->b.free_pages;
	if (r->block && !use_pages)
		buddy_free(&e->b, r->phys, r->order);
	else
		buddy_free_pages(&e->b, r->phys, r->n);
	CHECK(e->b.free_pages == fp + r->n, "%s: freeing %" PRIu64 " pages at %#" PRIx64
	      " moved free_pages by %" PRId64, e->name, r->n, r->phys, (int64_t)(e->b.free_pages - fp));
	give(e, r->phys, r->n);
}

/* ---- the tests ---- */

/* exhaust: every order alone until none is left, then all orders from the
 * largest down; everything freed in random order must coalesce back. */
static void test_exhaust(struct env *e, unsigned top)
{
	uint64_t c0[NORD];
	canon(e, c0);
	struct run *r = malloc((e->npages + 1) * sizeof *r);
	for (unsigned k = 0; k <= top; k++) {
		uint64_t expect = 0;
		for (unsigned j = k; j <= MAXO; j++)
			expect += c0[j] << (j - k);
		size_t n = 0;
		uint64_t phys;
		while ((phys = buddy_alloc(&e->b, k)) != 0) {
			if (!take(e, phys, 1ull << k, k, true))
				break;
			r[n++] = (struct run){ phys, 1ull << k, k, true };
		}
		CHECK(n == expect, "%s: order %u: %zu blocks allocated, expected %" PRIu64, e->name, k, n, expect);
		CHECK(no_block_from(e, k), "%s: order %u: allocation failed with blocks left", e->name, k);
		check_env(e, "exhausted one order");
		shuffle(r, n);
		for (size_t i = 0; i < n; i++)
			free_checked(e, &r[i], below(4) == 0);
		check_env(e, "freed one order");
	}
	/* from the largest order down: nothing may be left */
	size_t n = 0;
	for (int k = MAXO; k >= 0; k--) {
		uint64_t phys;
		while ((phys = buddy_alloc(&e->b, k)) != 0) {
			if (!take(e, phys, 1ull << k, k, true))
				break;
			r[n++] = (struct run){ phys, 1ull << k, k, true };
		}
	}
	CHECK(e->b.free_pages == 0, "%s: %" PRIu64 " pages left after allocating every order",
	      e->name, e->b.free_pages);
	CHECK(buddy_alloc(&e->b, 0) == 0 && buddy_alloc_pages(&e->b, 1) == 0,
	      "%s: allocation succeeds with nothing free", e->name);
	check_env(e, "all allocated");
	shuffle(r, n);
	for (size_t i = 0; i < n; i++) {
		free_checked(e, &r[i], below(4) == 0);
		if (i % 97 == 0)
			check_env(e, "freeing all");
	}
	check_env(e, "all freed");
	CHECK(e->b.free_pages == e->b.total_pages, "%s: free_pages %" PRIu64 " != total_pages %" PRIu64,
	      e->name, e->b.free_pages, e->b.total_pages);
	for (unsigned k = 0; k <= MAXO; k++)
		CHECK(e->b.nfree[k] == c0[k], "%s: order %u: %" PRIu64 " free blocks after freeing all, "
		      "%" PRIu64 " at first", e->name, k, e->b.nfree[k], c0[k]);
	free(r);
}

static unsigned ceil_log2(uint64_t n)
{
	unsigned k = 0;
	while ((1ull << k) < n)
		k++;
	return k;
}

/* pages: alloc_pages of random sizes until it fails, then frees of random
 * pieces of the runs, in random order. */
static void test_pages(struct env *e)
{
	uint64_t c0[NORD];
	canon(e, c0);
	CHECK(buddy_alloc_pages(&e->b, 0) == 0, "%s: alloc_pages(0) returned a page", e->name);
	CHECK(buddy_alloc_pages(&e->b, (1ull << MAXO) + 1) == 0, "%s: alloc_pages(2^MAX + 1) returned pages",
	      e->name);
	size_t cap = e->npages + 16, n = 0;
	struct run *r = malloc(cap * sizeof *r);
	int misses = 0;
	while (misses < 40) {
		uint64_t want = 1 + below(1000), fp = e->b.free_pages;
		uint64_t phys = buddy_alloc_pages(&e->b, want);
		if (!phys) {
			CHECK(no_block_from(e, ceil_log2(want)), "%s: alloc_pages(%" PRIu64 ") failed with a "
			      "block of order %u free", e->name, want, ceil_log2(want));
			misses++;
			continue;
		}
		CHECK(fp - e->b.free_pages == want, "%s: alloc_pages(%" PRIu64 ") took %" PRIu64 " pages",
		      e->name, want, fp - e->b.free_pages);
		if (!take(e, phys, want, ceil_log2(want), true))
			break;
		r[n++] = (struct run){ phys, want, 0, false };
	}
	check_env(e, "alloc_pages until failure");
	/* cut every run into up to three pieces */
	size_t m = n;
	for (size_t i = 0; i < m; i++) {
		for (int cut = 0; cut < 2 && r[i].n > 1 && below(2); cut++) {
			uint64_t at = 1 + below(r[i].n - 1);
			r[n++] = (struct run){ r[i].phys + at * PG, r[i].n - at, 0, false };
			r[i].n = at;
		}
	}
	shuffle(r, n);
	for (size_t i = 0; i < n; i++) {
		free_checked(e, &r[i], true);
		if (i % 50 == 0)
			check_env(e, "free_pages");
	}
	check_env(e, "after free_pages");
	for (unsigned k = 0; k <= MAXO; k++)
		CHECK(e->b.nfree[k] == c0[k], "%s: order %u: %" PRIu64 " free blocks after freeing all, "
		      "%" PRIu64 " at first", e->name, k, e->b.nfree[k], c0[k]);
	free(r);
}

/* expect_panic runs fn(e, arg) expecting buddy_panic with a message holding
 * want, in both modes: longjmp out of the hook, and the hook returning (the
 * call must then return having changed nothing). */
typedef void (*misuse_fn)(struct env *e, uint64_t a, uint64_t c);

/* call_jumping calls fn with the hook set to longjmp back here (kept apart
 * so that no caller's variable lives across the setjmp) */
static void call_jumping(misuse_fn fn, struct env *e, uint64_t a, uint64_t c)
{
	jmp_buf jb;
	panic_jmp = &jb;
	if (setjmp(jb) == 0)
		fn(e, a, c);
	panic_jmp = NULL;
}

static void expect_panic(struct env *e, const char *what, misuse_fn fn, uint64_t a, uint64_t c,
			 const char *want)
{
	for (int mode = 0; mode < 2; mode++) {
		uint64_t fp = e->b.free_pages, tp = e->b.total_pages, nf[NORD];
		memcpy(nf, e->b.nfree, sizeof nf);
		int before = panic_count;
		panic_msg[0] = 0;
		expecting = true;
		if (mode == 0)
			call_jumping(fn, e, a, c);
		else
			fn(e, a, c);
		expecting = false;
		const char *how = mode ? "(hook returns)" : "(hook longjmps)";
		if (panic_count != before + 1) {
			FAIL("%s: %s %s: %d panics, expected 1", e->name, what, how, panic_count - before);
			continue;
		}
		CHECK(contains(panic_msg, want), "%s: %s %s: message \"%s\" lacks \"%s\"",
		      e->name, what, how, panic_msg, want);
		CHECK(e->b.free_pages == fp && e->b.total_pages == tp && memcmp(nf, e->b.nfree, sizeof nf) == 0,
		      "%s: %s %s: the allocator's state changed", e->name, what, how);
		check_env(e, what);
	}
}

static void do_free(struct env *e, uint64_t a, uint64_t c) { buddy_free(&e->b, a, (unsigned)c); }
static void do_free_pages(struct env *e, uint64_t a, uint64_t c) { buddy_free_pages(&e->b, a, c); }
static void do_add(struct env *e, uint64_t a, uint64_t c) { buddy_add_range(&e->b, a, c); }

static char *hexs(uint64_t v)            /* a rotating set of buffers */
{
	static char buf[8][32];
	static int i;
	char *s = buf[i++ % 8];
	snprintf(s, 32, "page %#" PRIx64 " ", v);
	return s;
}

static void test_errors(struct env *e)
{
	/* a block of order 3 allocated, one page inside it freed */
	uint64_t blk3 = buddy_alloc(&e->b, 3);
	CHECK(blk3 != 0, "%s: no order-3 block", e->name);
	if (!blk3)
		return;
	take(e, blk3, 8, 3, false);
	uint64_t one = buddy_alloc(&e->b, 0);
	take(e, one, 1, 0, false);
	struct run r1 = { one, 1, 0, true };
	free_checked(e, &r1, false);
	check_env(e, "errors: setup");

	expect_panic(e, "double free (order 0)", do_free, one, 0, "is already free");
	CHECK(contains(panic_msg, hexs(one)), "%s: double free message \"%s\" does not name %#" PRIx64,
	      e->name, panic_msg, one);
	expect_panic(e, "double free via free_pages", do_free_pages, one, 1, "is already free");

	/* free page 5 of the order-3 block, then the whole block */
	struct run r5 = { blk3 + 5 * PG, 1, 0, false };
	free_checked(e, &r5, true);
	expect_panic(e, "free of a block with a free page inside", do_free, blk3, 3, "is already free");
	CHECK(contains(panic_msg, hexs(blk3 + 5 * PG)), "%s: message \"%s\" does not name the free page",
	      e->name, panic_msg);
	expect_panic(e, "free_pages over a free page", do_free_pages, blk3 + 4 * PG, 3, "is already free");
	/* the rest of the block is fine to free by pieces */
	struct run ra = { blk3, 5, 0, false }, rb = { blk3 + 6 * PG, 2, 0, false };
	free_checked(e, &ra, true);
	free_checked(e, &rb, true);
	check_env(e, "errors: block back");

	/* a page inside a large free block */
	uint64_t c[NORD];
	canon(e, c);
	int top = MAXO;
	while (top > 0 && e->b.nfree[top] == 0)
		top--;
	uint64_t big = e->b.free_list[top];
	if (top >= 2) {
		expect_panic(e, "free of a page inside a free block", do_free, big + 2 * PG, 0, "is already free");
		expect_panic(e, "free of a whole free block", do_free, big, (uint64_t)top, "is already free");
		expect_panic(e, "free of half a free block", do_free, big, (uint64_t)top - 1, "is already free");
	}

	/* outside the span */
	uint64_t end = e->base + e->npages * PG;
	expect_panic(e, "free below the span", do_free, e->base - PG, 0, "outside the managed span");
	expect_panic(e, "free at the span's end", do_free, end, 0, "outside the managed span");
	expect_panic(e, "free far away", do_free, 0x7ff0000000000ull, 0, "outside the managed span");
	expect_panic(e, "free of the block sticking out", do_free, end & ~(PG * 8 - 1), 3,
		     "outside the managed span");
	expect_panic(e, "free_pages running off the end", do_free_pages, end - 2 * PG, 3,
		     "outside the managed span");
	expect_panic(e, "free_pages with a huge count", do_free_pages, e->base, UINT64_MAX,
		     "outside the managed span");
	expect_panic(e, "add_range outside", do_add, end - PG, 2, "outside the managed span");

	/* misaligned */
	uint64_t b2 = buddy_alloc(&e->b, 2);
	take(e, b2, 4, 2, false);
	expect_panic(e, "misaligned free (order 2)", do_free, b2 + PG, 2, "misaligned for order 2");
	expect_panic(e, "misaligned free (order 1)", do_free, b2 + PG, 1, "misaligned for order 1");
	expect_panic(e, "free of a non-page address", do_free, b2 + 8, 0, "misaligned for order 0");
	expect_panic(e, "free_pages of a non-page address", do_free_pages, b2 + 8, 1, "not page aligned");
	expect_panic(e, "add_range of a non-page address", do_add, b2 + 8, 1, "not page aligned");
	expect_panic(e, "order too large", do_free, b2, MAXO + 1, "above BUDDY_MAX_ORDER");
	expect_panic(e, "order far too large", do_free, b2, 200, "above BUDDY_MAX_ORDER");
	struct run r2 = { b2, 4, 2, true };
	free_checked(e, &r2, false);

	/* holes and double adds */
	uint64_t hole = UINT64_MAX;
	for (uint64_t i = 0; i < e->npages; i++)
		if (e->state[i] == S_HOLE && e->base + i * PG != 0) {
			hole = e->base + i * PG;
			break;
		}
	CHECK(hole != UINT64_MAX, "%s: test bug: no hole", e->name);
	if (hole != UINT64_MAX) {
		expect_panic(e, "free of a hole", do_free, hole, 0, "was never added");
		expect_panic(e, "free_pages of a hole", do_free_pages, hole, 1, "was never added");
		CHECK(contains(panic_msg, hexs(hole)), "%s: message \"%s\" does not name the hole", e->name,
		      panic_msg);
	}
	uint64_t first_free = UINT64_MAX;
	for (uint64_t i = 0; i < e->npages; i++)
		if (e->state[i] == S_FREE) {
			first_free = e->base + i * PG;
			break;
		}
	expect_panic(e, "add_range twice", do_add, first_free, 1, "was already added");
	if (hole != UINT64_MAX && rel(e, hole) > 0 && e->state[rel(e, hole) - 1] != S_HOLE)
		expect_panic(e, "add_range overlapping", do_add, hole - PG, 2, "was already added");
	check_env(e, "errors: end");
}

/* stress: random allocations and frees, checked every 1000 operations;
 * then everything drained one page at a time (which shows the allocator's
 * free set is the shadow's) and freed again. */
static void test_stress(struct env *e, long nops)
{
	uint64_t c0[NORD];
	canon(e, c0);
	size_t cap = e->npages + 16, n = 0;
	struct run *r = malloc(cap * sizeof *r);
	long counts[5] = { 0 };
	for (long op = 1; op <= nops; op++) {
		unsigned what = below(100);
		if (what < 30) {
			unsigned k = below(100) < 70 ? below(4) : below(13);
			uint64_t fp = e->b.free_pages, phys = buddy_alloc(&e->b, k);
			if (phys) {
				CHECK(fp - e->b.free_pages == 1ull << k, "%s: alloc(%u) took %" PRIu64 " pages",
				      e->name, k, fp - e->b.free_pages);
				if (take(e, phys, 1ull << k, k, false))
					r[n++] = (struct run){ phys, 1ull << k, k, true };
				counts[0]++;
			} else {
				CHECK(no_block_from(e, k), "%s: alloc(%u) failed with a block free", e->name, k);
			}
		} else if (what < 55) {
			uint64_t want = below(100) < 70 ? 1 + below(16) : 1 + below(1000);
			uint64_t fp = e->b.free_pages, phys = buddy_alloc_pages(&e->b, want);
			if (phys) {
				CHECK(fp - e->b.free_pages == want, "%s: alloc_pages(%" PRIu64 ") took %" PRIu64,
				      e->name, want, fp - e->b.free_pages);
				if (take(e, phys, want, ceil_log2(want), false))
					r[n++] = (struct run){ phys, want, 0, false };
				counts[1]++;
			} else {
				CHECK(no_block_from(e, ceil_log2(want)), "%s: alloc_pages(%" PRIu64 ") failed "
				      "with a block free", e->name, want);
			}
		} else if (what < 95) {
			if (n == 0)
				continue;
			size_t i = below(n);
			struct run x = r[i];
			r[i] = r[--n];
			if (x.block && below(4)) {
				free_checked(e, &x, false);
				counts[2]++;
			} else {
				/* a piece [a, a + len) of the run; the rest stays allocated */
				uint64_t a = below(2) ? 0 : below(x.n), len = below(2) ? x.n - a : 1 + below(x.n - a);
				struct run piece = { x.phys + a * PG, len, 0, false };
				free_checked(e, &piece, true);
				if (a)
					r[n++] = (struct run){ x.phys, a, 0, false };
				if (a + len < x.n)
					r[n++] = (struct run){ x.phys + (a + len) * PG, x.n - a - len, 0, false };
				counts[3]++;
			}
		} else {
			/* misuse, the hook returning: nothing may change. Either a free of a
			 * page that is free or a hole, or a live run freed with one page more
			 * when that page is not allocated (free, a hole, or off the span). */
			uint64_t fp = e->b.free_pages;
			int before = panic_count;
			const char *what_misuse = NULL;
			if (n > 0 && below(2)) {
				struct run x = r[below(n)];
				uint64_t q = x.phys + x.n * PG;
				if (!(in_span(e, q, 1) && e->state[rel(e, q)] == S_USED)) {
					what_misuse = "free_pages of a run and the page after it";
					expecting = true;
					buddy_free_pages(&e->b, x.phys, x.n + 1);
					expecting = false;
				}
			} else {
				uint64_t page = e->base + below(e->npages) * PG;
				if (e->state[rel(e, page)] != S_USED) {
					what_misuse = e->state[rel(e, page)] == S_FREE ? "free of a free page" : "free of a hole";
					expecting = true;
					buddy_free(&e->b, page, 0);
					expecting = false;
				}
			}
			if (what_misuse) {
				CHECK(panic_count == before + 1, "%s: stress: %s: no panic", e->name, what_misuse);
				CHECK(e->b.free_pages == fp, "%s: stress: %s changed free_pages", e->name, what_misuse);
				counts[4]++;
			}
		}
		if (op % 1000 == 0 && !check_env(e, "stress"))
			break;
	}
	printf("  stress: %ld allocs, %ld alloc_pages, %ld frees, %ld free_pages, %ld refused misuses; "
	       "%zu runs live, %" PRIu64 " of %" PRIu64 " pages free\n", counts[0], counts[1], counts[2],
	       counts[3], counts[4], n, e->b.free_pages, e->b.total_pages);
	/* drain one page at a time: every page the allocator has must be free in the shadow */
	uint64_t expect = e->b.free_pages, got = 0, phys;
	size_t cap2 = n + expect + 16;
	r = realloc(r, cap2 * sizeof *r);
	while ((phys = buddy_alloc(&e->b, 0)) != 0) {
		if (!take(e, phys, 1, 0, false))
			break;
		r[n++] = (struct run){ phys, 1, 0, true };
		got++;
	}
	CHECK(got == expect, "%s: drained %" PRIu64 " pages, %" PRIu64 " were free", e->name, got, expect);
	check_env(e, "drained");
	shuffle(r, n);
	for (size_t i = 0; i < n; i++)
		free_checked(e, &r[i], below(2));
	check_env(e, "stress: all freed");
	for (unsigned k = 0; k <= MAXO; k++)
		CHECK(e->b.nfree[k] == c0[k], "%s: order %u: %" PRIu64 " free blocks after freeing all, "
		      "%" PRIu64 " at first", e->name, k, e->b.nfree[k], c0[k]);
	free(r);
}

/* buddy_check must notice damage: a free block's link overwritten, a
 * bitmap bit flipped, a counter off */
static void test_check_detects(struct env *e)
{
	uint64_t pa = 0;
	for (unsigned k = 0; k <= MAXO && !pa; k++)
		pa = e->b.free_list[k];
	if (!pa) {
		FAIL("%s: test bug: nothing free", e->name);
		return;
	}
	/* the links live in the metadata, two 32-bit words per page frame:
	 * damage the block's prev link */
	uint32_t *link = (uint32_t *)(void *)e->b.links + 2 * ((pa >> 12) - e->b.base_pfn);
	uint32_t saved = link[1];
	link[1] = 0x77777777u;
	const char *err = buddy_check(&e->b);
	CHECK(err && contains(err, "prev is"), "%s: buddy_check missed a damaged link: %s", e->name,
	      err ? err : "NULL");
	link[1] = saved;

	/* nothing is written into free memory: a free block's bytes stay as
	 * they are across allocations and frees of other blocks */
	unsigned char *v = e->mem + (pa - e->base), save[64];
	memset(v, 0x5a, sizeof save);
	memcpy(save, v, sizeof save);
	uint64_t other = buddy_alloc(&e->b, 0);
	bool same = other == pa;                /* then it was allocated: fair game */
	if (other)
		buddy_free(&e->b, other, 0);
	CHECK(same || memcmp(v, save, sizeof save) == 0, "%s: the allocator wrote into a free block", e->name);

	uint64_t *w = &e->b.head_map[0][0];
	*w ^= 1ull << 5;
	err = buddy_check(&e->b);
	CHECK(err != NULL, "%s: buddy_check missed a flipped head bit", e->name);
	*w ^= 1ull << 5;

	w = &e->b.any_map[3][0];
	*w ^= 1ull << 1;
	err = buddy_check(&e->b);
	CHECK(err != NULL, "%s: buddy_check missed a flipped any bit", e->name);
	*w ^= 1ull << 1;

	w = &e->b.added_map[2][1];
	*w ^= 1ull << 9;
	err = buddy_check(&e->b);
	CHECK(err != NULL, "%s: buddy_check missed a flipped added bit", e->name);
	*w ^= 1ull << 9;

	e->b.free_pages++;
	err = buddy_check(&e->b);
	CHECK(err != NULL, "%s: buddy_check missed a wrong free_pages", e->name);
	e->b.free_pages--;
	check_env(e, "after damage repaired");
}

/* the ranges used for the small spans: several, with holes between */
static void add_holey(struct env *e)
{
	uint64_t np = e->npages;
	env_add(e, 0, np / 6);
	env_add(e, np / 6 + 3, np / 3 - np / 6 - 3);        /* a 3-page hole */
	env_add(e, np / 3 + 100, 1);                        /* a lone page */
	env_add(e, np / 3 + 117, np / 2 - np / 3 - 117);
	env_add(e, np / 2, 5);                              /* adjacent to the previous */
	env_add(e, np / 2 + 5, np - 7 - (np / 2 + 5));      /* adjacent again; 7 pages hole at the end */
}

static void small_span(const char *name, uint64_t base, uint64_t npages, long stress_ops)
{
	printf("%s: base %#" PRIx64 ", %" PRIu64 " pages\n", name, base, npages);
	struct env e;
	env_init(&e, name, base, npages, false);
	check_env(&e, "after init");
	CHECK(buddy_alloc(&e.b, 0) == 0, "%s: allocation from an empty allocator", name);
	add_holey(&e);
	check_env(&e, "after add_range");
	test_check_detects(&e);
	test_exhaust(&e, 14);
	test_pages(&e);
	test_errors(&e);
	test_stress(&e, stress_ops);
	env_free(&e);
}

/* an 8 GiB span (mmap reservation, touched only where written) from a
 * misaligned base, so that an order-20 (4 GiB) block exists */
static void big_span(void)
{
	uint64_t base = 0x5000, npages = (1ull << 21) + 4096;
	printf("big: base %#" PRIx64 ", %" PRIu64 " pages (%" PRIu64 " MiB)\n", base, npages,
	       npages * PG >> 20);
	struct env e;
	if (!env_init(&e, "big", base, npages, true)) {
		printf("  SKIP: cannot reserve %" PRIu64 " MiB of address space\n", npages * PG >> 20);
		return;
	}
	env_add(&e, 0, 1000);
	env_add(&e, 1003, npages - 1003);
	check_env(&e, "big: added");
	CHECK(e.b.nfree[MAXO] == 1, "big: %" PRIu64 " order-20 blocks, expected 1", e.b.nfree[MAXO]);
	uint64_t g = buddy_alloc(&e.b, MAXO);
	CHECK(g == 1ull << 32, "big: the 4 GiB block is at %#" PRIx64 ", expected 0x100000000", g);
	take(&e, g, 1ull << MAXO, MAXO, false);
	CHECK(buddy_alloc(&e.b, MAXO) == 0, "big: a second 4 GiB block");
	CHECK(buddy_alloc_pages(&e.b, (1ull << 19) + 1) == 0, "big: alloc_pages needing order 20 succeeded");
	check_env(&e, "big: 4 GiB taken");
	struct run r = { g, 1ull << MAXO, MAXO, true };
	free_checked(&e, &r, false);
	check_env(&e, "big: 4 GiB back");

	/* exactly 2^20 - 3 pages: the tail comes back */
	uint64_t want = (1ull << MAXO) - 3;
	uint64_t p = buddy_alloc_pages(&e.b, want);
	CHECK(p == 1ull << 32, "big: alloc_pages(2^20 - 3) at %#" PRIx64, p);
	take(&e, p, want, MAXO, false);
	tag_page(&e, p + 12344 * PG);           /* light tagging: the ends of the two pieces freed below */
	tag_page(&e, p + 12345 * PG);
	check_env(&e, "big: 2^20 - 3 pages taken");
	struct run a = { p, 12345, 0, false }, b = { p + 12345 * PG, want - 12345, 0, false };
	free_checked(&e, &b, true);
	free_checked(&e, &a, true);
	check_env(&e, "big: back");

	/* order 19 until none: then from the top down */
	uint64_t c0[NORD];
	canon(&e, c0);
	for (int k = MAXO; k >= 9; k--) {
		uint64_t q;
		while ((q = buddy_alloc(&e.b, k)) != 0)
			take(&e, q, 1ull << k, k, false);
		CHECK(no_block_from(&e, k), "big: order %d left", k);
	}
	check_env(&e, "big: down to order 9 taken");
	/* free all the used pages in one call per contiguous used run (runs over 2^20 pages) */
	uint64_t i = 0, nruns = 0;
	while (i < npages) {
		if (e.state[i] != S_USED) {
			i++;
			continue;
		}
		uint64_t j = i;
		while (j < npages && e.state[j] == S_USED)
			j++;
		uint64_t fp = e.b.free_pages;
		buddy_free_pages(&e.b, base + i * PG, j - i);
		CHECK(e.b.free_pages == fp + (j - i), "big: free_pages of %" PRIu64 " pages", j - i);
		give(&e, base + i * PG, j - i);
		nruns++;
		i = j;
	}
	check_env(&e, "big: all back");
	for (unsigned k = 0; k <= MAXO; k++)
		CHECK(e.b.nfree[k] == c0[k], "big: order %u: %" PRIu64 " free blocks, %" PRIu64 " at first", k,
		      e.b.nfree[k], c0[k]);
	expect_panic(&e, "big: double free of the 4 GiB block", do_free, 1ull << 32, MAXO, "is already free");
	printf("  4 GiB block at %#" PRIx64 ", %" PRIu64 " runs freed in one call each\n", g, nruns);
	env_free(&e);
}

/* a span starting at physical 0: page 0 is never handed out */
static void zero_span(void)
{
	struct env e;
	env_init(&e, "zero", 0, 64, false);
	env_add(&e, 0, 64);
	CHECK(e.b.total_pages == 63, "zero: total_pages %" PRIu64 ", expected 63", e.b.total_pages);
	check_env(&e, "zero: added");
	uint64_t p, got = 0;
	while ((p = buddy_alloc(&e.b, 0)) != 0) {
		take(&e, p, 1, 0, false);
		got++;
	}
	CHECK(got == 63, "zero: %" PRIu64 " pages, expected 63", got);
	expect_panic(&e, "zero: free of page 0", do_free, 0, 0, "was never added");
	for (uint64_t i = 1; i < 64; i++)
		buddy_free(&e.b, i * PG, 0), give(&e, i * PG, 1);
	check_env(&e, "zero: freed");
	CHECK(e.b.nfree[5] == 1 && e.b.nfree[0] == 1, "zero: not coalesced into 1+2+...+32");
	env_free(&e);
}

static void misc(void)
{
	/* an empty span */
	struct env e;
	env_init(&e, "empty", 0x100000, 0, false);
	check_env(&e, "empty");
	CHECK(buddy_alloc(&e.b, 0) == 0 && buddy_alloc_pages(&e.b, 1) == 0, "empty: allocation succeeded");
	expect_panic(&e, "empty: add_range", do_add, 0x100000, 1, "outside the managed span");
	expect_panic(&e, "empty: free", do_free, 0x100000, 0, "outside the managed span");
	env_free(&e);

	/* a misaligned span base */
	struct buddy b;
	uint64_t meta[64];
	expecting = true;
	int before = panic_count;
	buddy_init(&b, 0x100800, 1, meta);
	expecting = false;
	CHECK(panic_count == before + 1 && contains(panic_msg, "not page aligned"),
	      "buddy_init with a misaligned base: no panic");
	CHECK(buddy_check(&b) == NULL && buddy_alloc(&b, 0) == 0, "buddy_init with a misaligned base: not empty");

	/* metadata sizes: about 5 bits a page, and 8 bytes of links, whatever the base */
	uint64_t sizes[] = { 1, 2, 3, 1000, 262144, 6291456 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		uint64_t np = sizes[i];
		size_t ms = buddy_meta_size(np);
		CHECK(ms % 8 == 0 && ms >= np * 8 + (np * 5 + 7) / 8 && ms <= np * 8 + np * 5 / 8 + 8 * 3 * NORD * 2,
		      "meta size for %" PRIu64 " pages: %zu", np, ms);
	}
	CHECK(buddy_meta_size(0) == 0, "meta size for no pages: %zu", buddy_meta_size(0));
	printf("meta: 1 GiB span (262144 pages): %zu bytes; 24 GiB span (6291456 pages): %zu bytes\n",
	       buddy_meta_size(262144), buddy_meta_size(6291456));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rng = strtoull(argv[1], NULL, 0) | 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %#" PRIx64 "\n", rng);
	buddy_panic = test_panic;
	misc();
	zero_span();
	small_span("aligned", 0x100000, 6000, 100000);
	small_span("misaligned", 0x5000, 6007, 100000);
	small_span("large", 0x40000000 - 37 * PG, 20000, 100000);
	big_span();
	if (failures) {
		printf("buddy_test: %d failure%s\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("buddy_test: all passed\n");
	return 0;
}
