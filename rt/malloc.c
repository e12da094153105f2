/*
 * malloc.c - the program-facing allocator, after Go's malloc.go.
 *
 * Small objects (up to 32 KiB) are rounded up to a size class and taken
 * from the current P's mcache without a lock; a large object is a span of
 * its own, straight from the heap. free() finds the object's span through
 * the heap's span table and refuses anything malloc did not return: an
 * address outside the heap, not the start of an object, or an object that
 * is already free ("free of invalid pointer"). Memory is always handed out
 * zeroed. Running out of memory is fatal, as in Go: malloc never returns
 * NULL.
 */
#include "mheap.h"
#include "os.h"
#include "print.h"

struct mallocstats mstats;

void mallocinit(void)
{
	_Static_assert(_PageSize == 8192, "the heap uses 8 KiB pages");
	mheap_init();
	mcache0 = allocmcache();
}

/* the cache of the P running us, or mcache0 before Ps exist; mp->locks held */
static struct mcache *getmcache(m *mp)
{
	return mp->p && mp->p->mcache ? mp->p->mcache : mcache0;
}

static _Noreturn void outofmemory(size_t n)
{
	printf("runtime: out of memory: cannot allocate %lu-byte block (heap %lu bytes in use, %lu free; %lu of %lu machine pages free)\n",
	       (unsigned long)n, (unsigned long)(mheap_.pages_inuse * _PageSize),
	       (unsigned long)(mheap_.pages_free * _PageSize), physPagesFree(), physPagesTotal());
	throw("out of memory");
}

/* nextFreeIndex finds s's first free object at or after freeindex. */
static uintptr_t nextFreeIndex(mspan *s)
{
	for (uintptr_t i = s->freeindex; i < s->nelems;) {
		uint64_t w = ~__atomic_load_n(&s->allocBits[i / 64], __ATOMIC_RELAXED) >> (i % 64);
		if (w)
			return i + (uintptr_t)__builtin_ctzll(w) < s->nelems ? i + (uintptr_t)__builtin_ctzll(w) : s->nelems;
		i = (i / 64 + 1) * 64;
	}
	return s->nelems;
}

static void *mallocsmall(size_t n)
{
	uint8_t cls = size_to_class(n);
	m *mp = acquirem();
	struct mcache *c = getmcache(mp);
	mspan *s = c->alloc[cls];
	uintptr_t idx = nextFreeIndex(s);
	if (idx == s->nelems) {
		s = mcache_refill(c, cls);
		if (!s) {
			releasem(mp);
			outofmemory(n);
		}
		idx = nextFreeIndex(s);
		if (idx == s->nelems)
			throw("malloc: refilled span has no free object");
	}
	__atomic_fetch_or(&s->allocBits[idx / 64], 1ull << (idx % 64), __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&s->allocCount, 1, __ATOMIC_ACQ_REL);
	s->freeindex = (uint16_t)(idx + 1);
	releasem(mp);
	void *p = (void *)(s->startAddr + idx * s->elemsize);
	memset(p, 0, s->elemsize);
	__atomic_add_fetch(&mstats.nmalloc, 1, __ATOMIC_RELAXED);
	return p;
}

static void *malloclarge(size_t n)
{
	uintptr_t npages = (n + _PageSize - 1) >> _PageShift;
	if (npages == 0 || npages > (1ull << 40) / _PageSize)
		outofmemory(n);
	mspan *s = mheap_alloc(npages);
	if (!s)
		outofmemory(n);
	s->sizeclass = 0;
	s->elemsize = npages * _PageSize;
	s->nelems = 1;
	s->allocCount = 1;
	if (s->needzero)
		memset((void *)s->startAddr, 0, s->elemsize);
	s->needzero = false;
	__atomic_add_fetch(&mstats.nlarge, 1, __ATOMIC_RELAXED);
	return (void *)s->startAddr;
}

void *malloc(size_t n)
{
	if (n == 0)
		n = 1;          /* a distinct pointer that free() accepts */
	if (n <= _MaxSmallSize)
		return mallocsmall(n);
	return malloclarge(n);
}

static _Noreturn void badfree(void *p, const char *why)
{
	printf("runtime: free(%p): %s\n", p, why);
	throw("free of invalid pointer");
}

/* objectspan returns p's span and object index, throwing for a pointer
 * that is not the start of a live object. */
static mspan *objectspan(void *p, uintptr_t *idx, const char *what)
{
	mspan *s = spanOf((uintptr_t)p);
	if (!s)
		badfree(p, "not in the heap");
	uintptr_t off = (uintptr_t)p - s->startAddr;
	if (s->sizeclass == 0) {
		if (off != 0)
			badfree(p, "not the start of an object");
		*idx = 0;
		return s;
	}
	*idx = (uintptr_t)(((uint64_t)off * s->divmagic) >> 32);
	if (*idx * s->elemsize != off || *idx >= s->nelems)
		badfree(p, "not the start of an object");
	if (!(__atomic_load_n(&s->allocBits[*idx / 64], __ATOMIC_ACQUIRE) & (1ull << (*idx % 64))))
		badfree(p, what);
	return s;
}

void free(void *p)
{
	if (!p)
		return;
	uintptr_t idx;
	mspan *s = objectspan(p, &idx, "already freed");
	if (s->sizeclass == 0) {
		mheap_free(s);
		__atomic_add_fetch(&mstats.nlargefree, 1, __ATOMIC_RELAXED);
		sweep_wake();           /* its pages may go back to the machine */
		return;
	}
	if (!mcentral_freeObject(&mheap_.central[s->sizeclass], s, idx))
		badfree(p, "already freed");
	__atomic_add_fetch(&mstats.nfree, 1, __ATOMIC_RELAXED);
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		panic("calloc: %lu * %lu overflows", (unsigned long)n, (unsigned long)size);
	return malloc(total);
}

/* usable_size is how many bytes the object at p can hold. */
static size_t usable_size(void *p)
{
	uintptr_t idx;
	return objectspan(p, &idx, "realloc of a freed pointer")->elemsize;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t have = usable_size(p);
	if (n <= have && n > have / 2) {
		/* in place: what it cuts off must read as zero when a later
		 * realloc grows it back in place (added bytes are zero) */
		memset((char *)p + n, 0, have - n);
		return p;
	}
	void *q = malloc(n);
	memcpy(q, p, n < have ? n : have);
	free(p);
	return q;
}

uint64_t heapsys(void) { return mheap_.arena_used - mheap_.arena_start; }

void read_memstats(memstats_t *ms)
{
	lock(&mheap_.lock);
	ms->heap_inuse = mheap_.pages_inuse * _PageSize;
	ms->heap_idle = mheap_.pages_free * _PageSize;
	ms->heap_released = mheap_.bytes_released;
	ms->heap_sys = mheap_.arena_used - mheap_.arena_start;
	unlock(&mheap_.lock);
	ms->stack_inuse = stackinuse();
	ms->pagetables = pagetablebytes();
	ms->phys_free = physPagesFree() * 4096;
	ms->phys_total = physPagesTotal() * 4096;
	ms->nmalloc = __atomic_load_n(&mstats.nmalloc, __ATOMIC_RELAXED) + __atomic_load_n(&mstats.nlarge, __ATOMIC_RELAXED);
	ms->nfree = __atomic_load_n(&mstats.nfree, __ATOMIC_RELAXED) + __atomic_load_n(&mstats.nlargefree, __ATOMIC_RELAXED);
	ms->nsweep = __atomic_load_n(&mstats.nsweep, __ATOMIC_RELAXED);
}
