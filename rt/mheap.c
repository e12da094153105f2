/*
 * mheap.c - the page heap (Go's mheap.go).
 *
 * The arena is one reservation as large as physical memory (at least
 * 1 GiB): the heap can never need more. It is handed out from the bottom;
 * [arena_start, arena_used) is divided into spans, in use or free.
 * spans[] names the span of every page (for free(): an address to its
 * span, the heap's pointer check); for a free span only its first and last
 * pages are kept current, which is what coalescing needs.
 *
 * Free spans of n < 128 pages sit on free[n], larger ones on freelarge
 * (first fit). Allocation takes the smallest exact list with a span, splits
 * off the rest, and grows the arena when nothing fits. A freed span merges
 * with free neighbours. mheap_scavenge gives free spans' pages back to the
 * machine (sysUnused); such a span is "scavenged" and is backed again,
 * page by page, when allocated.
 *
 * All of it under mheap_.lock.
 */
#include "mheap.h"
#include "os.h"
#include "print.h"

#define GROW_PAGES 64                   /* grow the arena by at least 512 KiB */

struct mheap mheap_;
static struct fixalloc spanalloc;

static void list_insert(struct spanlist *l, mspan *s)
{
	s->next = l->first;
	s->prev = NULL;
	if (l->first)
		l->first->prev = s;
	else
		l->last = s;
	l->first = s;
	s->list = l;
}

static void list_remove(mspan *s)
{
	struct spanlist *l = s->list;
	if (s->prev)
		s->prev->next = s->next;
	else
		l->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->last = s->prev;
	s->next = s->prev = NULL;
	s->list = NULL;
}

void spanlist_insert(struct spanlist *l, mspan *s) { list_insert(l, s); }
void spanlist_remove(mspan *s) { list_remove(s); }

static uintptr_t pageindex(uintptr_t addr)
{
	return (addr - mheap_.arena_start) >> _PageShift;
}

void mheap_init(void)
{
	uint64_t bytes = physPagesTotal() * 4096;
	if (bytes < (1ull << 30))
		bytes = 1ull << 30;
	bytes = (bytes + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	mheap_.arena_start = (uintptr_t)sysReserve(bytes);
	if (!mheap_.arena_start)
		throw("mallocinit: cannot reserve the heap arena");
	mheap_.arena_end = mheap_.arena_start + bytes;
	mheap_.arena_used = mheap_.arena_start;
	/* the span table is reserved for the whole arena but backed only as
	 * far as the arena is used (grow): 1 MiB per GiB of memory need not
	 * be zeroed at start-up */
	mheap_.spans = sysReserve((bytes >> _PageShift) * sizeof(mspan *));
	if (!mheap_.spans)
		throw("mallocinit: cannot reserve the span table");
	fixalloc_init(&spanalloc, sizeof(mspan));
	for (int i = 0; i < _NumSizeClasses; i++)
		mcentral_init(&mheap_.central[i], (uint8_t)i);
}

/* setspans points the span table at s: every page, or the two ends. */
static void setspans(mspan *s, bool all)
{
	uintptr_t first = pageindex(s->startAddr);
	if (all) {
		for (uintptr_t i = 0; i < s->npages; i++)
			mheap_.spans[first + i] = s;
	} else {
		mheap_.spans[first] = s;
		mheap_.spans[first + s->npages - 1] = s;
	}
}

static struct spanlist *freelist_for(uintptr_t npages)
{
	return npages < HEAP_FREELISTS ? &mheap_.free[npages] : &mheap_.freelarge;
}

/* freespan_insert marks s free, merging it with free neighbours first. */
static void freespan_insert(mspan *s)
{
	s->state = mSpanFree;
	uintptr_t i = pageindex(s->startAddr);
	mspan *before = i > 0 ? mheap_.spans[i - 1] : NULL;
	if (before && before->state == mSpanFree) {
		list_remove(before);
		mheap_.pages_free -= before->npages;
		s->startAddr = before->startAddr;
		s->npages += before->npages;
		s->scavenged |= before->scavenged;
		s->needzero |= before->needzero;
		before->state = mSpanDead;
		fixalloc_free(&spanalloc, before);
	}
	uintptr_t end = pageindex(s->startAddr) + s->npages;
	mspan *after = s->startAddr + s->npages * _PageSize < mheap_.arena_used ? mheap_.spans[end] : NULL;
	if (after && after->state == mSpanFree) {
		list_remove(after);
		mheap_.pages_free -= after->npages;
		s->npages += after->npages;
		s->scavenged |= after->scavenged;
		s->needzero |= after->needzero;
		after->state = mSpanDead;
		fixalloc_free(&spanalloc, after);
	}
	setspans(s, false);
	list_insert(freelist_for(s->npages), s);
	mheap_.pages_free += s->npages;
}

static mspan *newspan(uintptr_t start, uintptr_t npages)
{
	mspan *s = fixalloc_alloc(&spanalloc);
	s->startAddr = start;
	s->npages = npages;
	return s;
}

/* grow extends the arena by at least npages and frees the new span. */
static bool grow(uintptr_t npages)
{
	uintptr_t n = npages < GROW_PAGES ? GROW_PAGES : npages;
	uintptr_t bytes = n * _PageSize;
	if (mheap_.arena_used + bytes > mheap_.arena_end)
		return false;
	/* the span table's entries for the new pages */
	uintptr_t need = ((pageindex(mheap_.arena_used + bytes) * sizeof(mspan *)) + 4095) & ~(uintptr_t)4095;
	if (need > mheap_.spans_mapped) {
		if (!sysMap((char *)mheap_.spans + mheap_.spans_mapped, need - mheap_.spans_mapped))
			return false;
		mheap_.spans_mapped = need;
	}
	if (!sysMap((void *)mheap_.arena_used, bytes))
		return false;
	mspan *s = newspan(mheap_.arena_used, n);
	mheap_.arena_used += bytes;
	freespan_insert(s);
	return true;
}

static mspan *findfree(uintptr_t npages)
{
	for (uintptr_t n = npages; n < HEAP_FREELISTS; n++)
		if (mheap_.free[n].first)
			return mheap_.free[n].first;
	for (mspan *s = mheap_.freelarge.first; s; s = s->next)
		if (s->npages >= npages)
			return s;
	return NULL;
}

/* backpages maps the pages of a scavenged span that were given back. */
static bool backpages(mspan *s)
{
	for (uintptr_t a = s->startAddr; a < s->startAddr + s->npages * _PageSize; a += 4096) {
		if (sysMapped((void *)a))
			continue;
		if (!sysMap((void *)a, 4096))
			return false;
		mheap_.bytes_released -= 4096;
	}
	s->scavenged = false;
	return true;
}

/* mheap_alloc returns an in-use span of npages pages, or NULL. */
mspan *mheap_alloc(uintptr_t npages)
{
	lock(&mheap_.lock);
	mspan *s = findfree(npages);
	if (!s && grow(npages))
		s = findfree(npages);
	if (!s) {
		unlock(&mheap_.lock);
		return NULL;
	}
	list_remove(s);
	mheap_.pages_free -= s->npages;
	if (s->npages > npages) {       /* split: the tail stays free */
		mspan *rest = newspan(s->startAddr + npages * _PageSize, s->npages - npages);
		rest->scavenged = s->scavenged;
		rest->needzero = s->needzero;
		s->npages = npages;
		rest->state = mSpanFree;
		setspans(rest, false);
		list_insert(freelist_for(rest->npages), rest);
		mheap_.pages_free += rest->npages;
	}
	if (s->scavenged && !backpages(s)) {
		freespan_insert(s);
		unlock(&mheap_.lock);
		return NULL;
	}
	s->state = mSpanInUse;
	s->incache = false;
	s->allocCount = 0;
	s->freeindex = 0;
	setspans(s, true);
	mheap_.pages_inuse += s->npages;
	unlock(&mheap_.lock);
	return s;
}

void mheap_free(mspan *s)
{
	lock(&mheap_.lock);
	if (s->state != mSpanInUse)
		throw("mheap_free: span not in use");
	mheap_.pages_inuse -= s->npages;
	s->needzero = true;
	s->sizeclass = 0;
	uintptr_t first = pageindex(s->startAddr);
	for (uintptr_t i = 1; i + 1 < s->npages; i++)
		mheap_.spans[first + i] = NULL;         /* interior pages: no longer a span */
	freespan_insert(s);
	unlock(&mheap_.lock);
}

/* spanOf returns the in-use span holding address p, or NULL. */
mspan *spanOf(uintptr_t p)
{
	if (p < mheap_.arena_start || p >= __atomic_load_n(&mheap_.arena_used, __ATOMIC_ACQUIRE))
		return NULL;
	mspan *s = mheap_.spans[pageindex(p)];
	if (!s || s->state != mSpanInUse || p < s->startAddr || p >= s->startAddr + s->npages * _PageSize)
		return NULL;
	return s;
}

/*
 * mheap_scavenge gives the pages of free spans back to the machine until
 * at most keep bytes of free, still-backed heap remain, largest spans
 * first; returns the bytes given back.
 */
uint64_t mheap_scavenge(uint64_t keep)
{
	uint64_t released = 0;
	lock(&mheap_.lock);
	for (int n = HEAP_FREELISTS; n >= 1; n--) {
		struct spanlist *l = n == HEAP_FREELISTS ? &mheap_.freelarge : &mheap_.free[n];
		for (mspan *s = l->first; s; s = s->next) {
			if (mheap_.pages_free * _PageSize - mheap_.bytes_released <= keep)
				goto done;
			uint64_t r = sysUnused((void *)s->startAddr, s->npages * _PageSize) * 4096;
			s->scavenged = true;
			mheap_.bytes_released += r;
			released += r;
		}
	}
done:
	unlock(&mheap_.lock);
	return released;
}
