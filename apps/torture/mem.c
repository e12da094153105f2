/*
 * mem.c - the torture program's memory, stack and CPU operations:
 *
 *   heap blocks   malloc, calloc, realloc and free of random sizes (1 B to
 *                 256 KiB); each block is filled with a pattern that
 *                 depends on its seed and on the offset, and checked before
 *                 it is freed or resized; fresh memory must be zero.
 *   parcels       patterned blocks sent inside channel messages, checked
 *                 and freed by the receiver (a free on another P).
 *   recursion     random depths with alloca frames of random sizes, each
 *                 filled and checked on the way back, so the stack grows
 *                 (page faults) at every offset up to near stackmax, with
 *                 blocking, sleeping and spinning at random depths.
 *   spinning      a loop of pure computation, long enough for sysmon to
 *                 preempt it, carrying the same values in general, SSE and
 *                 (where the CPU has it) AVX2 registers: if a preemption
 *                 loses or mixes register state, the copies disagree.
 */
#include "torture.h"

/* ---- patterns ---- */

/* Word k of a pattern: every 8-byte offset differs, so a shifted or
 * misplaced copy does not match. */
static inline uint64_t patword(uint64_t pat, size_t k)
{
	return pat ^ (k * 0x9e3779b97f4a7c15ull) ^ (k << 56);
}

void fill(uint8_t *p, size_t n, uint64_t pat)
{
	size_t k = 0;
	for (; (k + 1) * 8 <= n; k++) {
		uint64_t w = patword(pat, k);
		memcpy(p + k * 8, &w, 8);
	}
	uint64_t w = patword(pat, k);
	for (size_t i = k * 8; i < n; i++)
		p[i] = (uint8_t)(w >> ((i & 7) * 8));
}

/* verify checks a fill(p, n, pat); on a mismatch, *bad is its offset. */
bool verify(const uint8_t *p, size_t n, uint64_t pat, size_t *bad)
{
	size_t k = 0;
	for (; (k + 1) * 8 <= n; k++) {
		uint64_t w;
		memcpy(&w, p + k * 8, 8);
		if (w != patword(pat, k))
			goto slow;
	}
	uint64_t w = patword(pat, k);
	for (size_t i = k * 8; i < n; i++)
		if (p[i] != (uint8_t)(w >> ((i & 7) * 8))) {
			*bad = i;
			return false;
		}
	return true;
slow:
	for (size_t i = k * 8; i < n; i++)
		if (p[i] != (uint8_t)(patword(pat, i / 8) >> ((i & 7) * 8))) {
			*bad = i;
			return false;
		}
	*bad = k * 8;
	return false;
}

/* allzero returns the offset of the first non-zero byte, or n. */
static size_t allzero(const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w)
			break;
	}
	for (; i < n; i++)
		if (p[i])
			return i;
	return n;
}

/* Sizes: mostly small objects, some up to a page, a few up to the
 * largest size class (32 KiB) and beyond, into large spans. */
static size_t randsize(uint64_t *rng)
{
	unsigned c = rndn(rng, 100);
	if (c < 65)
		return rndn(rng, 257);
	if (c < 88)
		return 257 + rndn(rng, 4096 - 256);
	if (c < 98)
		return 4097 + rndn(rng, 32768 - 4096);
	return 32769 + rndn(rng, 256 * 1024 - 32768);
}

/* ---- heap blocks held by a task ---- */

static void live_check(struct task *t, struct live *l, const char *what)
{
	size_t bad;
	if (l->p && !verify(l->p, l->n, l->pat, &bad))
		fail(t->r, "task %d: %s: block %p of %zu bytes corrupted at offset %zu (byte 0x%02x)",
		     t->id, what, l->p, l->n, bad, l->p[bad]);
}

static void fresh_check(struct task *t, const uint8_t *p, size_t from, size_t n, const char *what)
{
	size_t nz = allzero(p + from, n - from);
	if (nz != n - from)
		fail(t->r, "task %d: %s: %zu-byte block %p not zero at offset %zu (0x%02x)",
		     t->id, what, n, p, from + nz, p[from + nz]);
}

void op_malloc(struct task *t)
{
	struct live *l = &t->live[rndn(&t->rng, NLIVE)];
	if (l->p) {
		live_check(t, l, "malloc (old block)");
		free(l->p);
	}
	l->n = randsize(&t->rng);
	l->p = malloc(l->n);
	fresh_check(t, l->p, 0, l->n, "malloc");
	l->pat = rnd64(&t->rng);
	fill(l->p, l->n, l->pat);
}

void op_calloc(struct task *t)
{
	struct live *l = &t->live[rndn(&t->rng, NLIVE)];
	if (l->p) {
		live_check(t, l, "calloc (old block)");
		free(l->p);
	}
	size_t size = 1 + rndn(&t->rng, 64);
	size_t n = randsize(&t->rng) / size;
	l->p = calloc(n, size);
	l->n = n * size;
	fresh_check(t, l->p, 0, l->n, "calloc");
	l->pat = rnd64(&t->rng);
	fill(l->p, l->n, l->pat);
}

void op_free(struct task *t)
{
	struct live *l = &t->live[rndn(&t->rng, NLIVE)];
	if (!l->p)
		return;
	live_check(t, l, "free");
	free(l->p);
	l->p = NULL;
}

/* realloc keeps the old contents up to the smaller size; bytes it adds are
 * zero (docs/api.md). */
void op_realloc(struct task *t)
{
	struct live *l = &t->live[rndn(&t->rng, NLIVE)];
	size_t n;
	switch (rndn(&t->rng, 3)) {
	case 0: n = l->n / 2 + rndn(&t->rng, l->n / 2 + 1); break;  /* shrink a little */
	case 1: n = l->n + rndn(&t->rng, l->n + 64); break;         /* grow a little */
	default: n = randsize(&t->rng); break;
	}
	if (l->p)
		live_check(t, l, "realloc (before)");
	uint8_t *q = realloc(l->p, n);
	if (l->p) {
		size_t keep = n < l->n ? n : l->n, bad;
		if (!verify(q, keep, l->pat, &bad))
			fail(t->r, "task %d: realloc(%p, %zu) from %zu bytes: contents lost at offset %zu",
			     t->id, l->p, n, l->n, bad);
		if (n > l->n)
			fresh_check(t, q, l->n, n, "realloc (added bytes)");
	} else {
		fresh_check(t, q, 0, n, "realloc(NULL)");
	}
	l->p = q;
	l->n = n;
	l->pat = rnd64(&t->rng);
	fill(q, n, l->pat);
}

/* live_release checks and frees every block a task still holds. */
void live_release(struct task *t)
{
	for (int i = 0; i < NLIVE; i++) {
		struct live *l = &t->live[i];
		live_check(t, l, "end of task");
		free(l->p);
		l->p = NULL;
	}
}

/* ---- parcels: a header (size, pattern, their hash) then the pattern ---- */

struct parcelhdr {
	uint64_t n, pat, check;
};

void *parcel_new(struct task *t)
{
	size_t n = sizeof(struct parcelhdr) + randsize(&t->rng);
	uint8_t *p = malloc(n);
	struct parcelhdr h = { n, rnd64(&t->rng), 0 };
	h.check = mix64(h.n ^ mix64(h.pat));
	memcpy(p, &h, sizeof h);
	fill(p + sizeof h, n - sizeof h, h.pat);
	return p;
}

/* parcel_check_free checks a parcel's header and pattern, then frees it. */
bool parcel_check_free(struct round *r, void *blk, const char *where)
{
	struct parcelhdr h;
	memcpy(&h, blk, sizeof h);
	if (h.check != mix64(h.n ^ mix64(h.pat)) || h.n < sizeof h || h.n > (1u << 20)) {
		fail(r, "%s: parcel %p: header corrupted (n %lu)", where, blk, (unsigned long)h.n);
		return false;   /* leaked rather than a free of garbage */
	}
	size_t bad;
	bool ok = verify((uint8_t *)blk + sizeof h, h.n - sizeof h, h.pat, &bad);
	if (!ok)
		fail(r, "%s: parcel %p of %lu bytes corrupted at offset %zu", where, blk,
		     (unsigned long)h.n, bad + sizeof h);
	free(blk);
	return ok;
}

/* ---- recursion ---- */

enum { RECURSE_SLACK = 8 * 1024 };      /* below the deepest frame: a leaf operation */

/* recurse: one level with an alloca frame of a random size (any size, so
 * the stack pointer and page faults land at every offset), filled before
 * going deeper and checked after. Stops at maxdepth or near stackbudget. */
static uint64_t recurse(struct task *t, int depth, int maxdepth)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	size_t used = t->stacktop - sp;
	size_t n = rndn(&t->rng, 3001);
	if (used + n + RECURSE_SLACK > (size_t)stackbudget) {
		n = used + RECURSE_SLACK < (size_t)stackbudget ? stackbudget - RECURSE_SLACK - used : 0;
		maxdepth = depth;
	}
	uint8_t *buf = __builtin_alloca(n);
	size_t depthbytes = t->stacktop - (uintptr_t)buf;
	for (uint64_t d = __atomic_load_n(&deepest, __ATOMIC_RELAXED); depthbytes > d;)
		if (__atomic_compare_exchange_n(&deepest, &d, depthbytes, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	uint64_t pat = rnd64(&t->rng);
	fill(buf, n, pat);
	__asm__ volatile("" : : "r"(buf) : "memory");   /* buf escapes: no folding of the check */
	t->opdepth = depth;
	if (chance(&t->rng, 8) || depth == maxdepth)
		leafop(t);
	uint64_t h = 0;
	if (depth < maxdepth)
		h = recurse(t, depth + 1, maxdepth);
	__asm__ volatile("" : : "r"(buf) : "memory");
	size_t bad;
	if (!verify(buf, n, pat, &bad))
		fail(t->r, "task %d: stack frame at depth %d (%zu bytes at %p, %zu below the top) "
		     "corrupted at offset %zu", t->id, depth, n, buf, (size_t)(t->stacktop - (uintptr_t)buf), bad);
	return mix64(h ^ n ^ buf[n ? n - 1 : 0]);
}

void op_recurse(struct task *t)
{
	/* half shallow, half as deep as the budget allows */
	int maxdepth = chance(&t->rng, 50) ? (int)rndn(&t->rng, 12) : 1000;
	recurse(t, 0, maxdepth);
	t->opdepth = 0;
}

/* ---- spinning with register state checked ---- */

typedef uint64_t v2u64 __attribute__((vector_size(16)));
typedef uint64_t v4u64 __attribute__((vector_size(32)));

static bool have_avx2;

static void cpuid2(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* AVX2 only when the CPU has it and the runtime enabled its state (XCR0). */
void spin_init(void)
{
	uint32_t r[4];
	cpuid2(0, 0, r);
	uint32_t maxleaf = r[0];
	cpuid2(1, 0, r);
	bool avx = (r[2] >> 28) & 1, osxsave = (r[2] >> 27) & 1;
	if (!avx || !osxsave || maxleaf < 7)
		return;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6)
		return;
	cpuid2(7, 0, r);
	have_avx2 = (r[1] >> 5) & 1;
}

bool spin_avx2_enabled(void) { return have_avx2; }

#define XS(x) ((x) ^= (x) << 13, (x) ^= (x) >> 7, (x) ^= (x) << 17)

/* The same xorshift on two scalars (general registers) and on eight SSE
 * registers holding them as lanes. */
static bool spin_sse(int64_t end, uint64_t seed, uint64_t *iters)
{
	uint64_t s0 = seed | 1, s1 = mix64(seed) | 1;
	v2u64 a = { s0, s1 }, b = a, c = a, d = a, e = a, f = a, g = a, h = a;
	uint64_t n = 0;
	do {
		for (int i = 0; i < 200; i++) {
			XS(s0); XS(s1);
			XS(a); XS(b); XS(c); XS(d); XS(e); XS(f); XS(g); XS(h);
			__asm__ volatile("" : "+r"(s0), "+r"(s1), "+x"(a), "+x"(b), "+x"(c), "+x"(d));
			__asm__ volatile("" : "+x"(e), "+x"(f), "+x"(g), "+x"(h));
		}
		n += 200;
	} while (nanotime() < end);
	*iters = n;
	v2u64 want = { s0, s1 };
	v2u64 x = (a ^ want) | (b ^ want) | (c ^ want) | (d ^ want) | (e ^ want) | (f ^ want) |
	          (g ^ want) | (h ^ want);
	return (x[0] | x[1]) == 0;
}

/* The same with 256-bit registers: a lost or stale upper half shows. */
__attribute__((target("avx2")))
static bool spin_avx2(int64_t end, uint64_t seed, uint64_t *iters)
{
	uint64_t s0 = seed | 1, s1 = mix64(seed) | 1;
	v4u64 a = { s0, s1, s0, s1 }, b = a, c = a, d = a, e = a, f = a;
	uint64_t n = 0;
	do {
		for (int i = 0; i < 200; i++) {
			XS(s0); XS(s1);
			XS(a); XS(b); XS(c); XS(d); XS(e); XS(f);
			__asm__ volatile("" : "+r"(s0), "+r"(s1), "+x"(a), "+x"(b), "+x"(c));
			__asm__ volatile("" : "+x"(d), "+x"(e), "+x"(f));
		}
		n += 200;
	} while (nanotime() < end);
	*iters = n;
	v4u64 want = { s0, s1, s0, s1 };
	v4u64 x = (a ^ want) | (b ^ want) | (c ^ want) | (d ^ want) | (e ^ want) | (f ^ want);
	return (x[0] | x[1] | x[2] | x[3]) == 0;
}

/* op_spin computes for ns nanoseconds without yielding: only an
 * asynchronous preemption takes the CPU from it. */
void op_spin(struct task *t, int64_t ns)
{
	uint64_t seed = rnd64(&t->rng), iters;
	int64_t end = nanotime() + ns;
	bool avx = have_avx2 && chance(&t->rng, 50);
	bool ok = avx ? spin_avx2(end, seed, &iters) : spin_sse(end, seed, &iters);
	if (!ok)
		fail(t->r, "task %d: %s registers differ from the general ones after %lu iterations "
		     "(lost across a preemption?)", t->id, avx ? "AVX2" : "SSE", (unsigned long)iters);
}
