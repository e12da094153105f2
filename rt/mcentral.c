/*
 * mcentral.c - the spans of one size class that no mcache holds (Go's
 * mcentral.go): partial (with a free object) and full. An mcache takes a
 * partial span, or a new one from the heap, and returns it when full.
 *
 * free() of a small object clears its bit here under the class's lock
 * (mcentral_freeObject): a full span becomes partial again; a span left
 * with no objects is returned to the heap by bgsweep (mcentral_sweep),
 * not inline, so a free-heavy loop does not bounce spans to the heap and
 * back.
 */
#include "mheap.h"
#include "print.h"

void spanlist_insert(struct spanlist *l, mspan *s);
void spanlist_remove(mspan *s);

void mcentral_init(struct mcentral *c, uint8_t sizeclass)
{
	c->sizeclass = sizeclass;
}

/* initspan readies a fresh heap span for objects of class cls. */
static void initspan(mspan *s, uint8_t cls)
{
	s->sizeclass = cls;
	s->elemsize = class_to_size[cls];
	s->nelems = class_to_nobjs[cls];
	s->divmagic = class_to_divmagic[cls];
	memset(s->allocBits, 0, sizeof s->allocBits);
	s->allocCount = 0;
	s->freeindex = 0;
}

/* mcentral_cacheSpan hands an mcache a span with free objects. */
mspan *mcentral_cacheSpan(struct mcentral *c)
{
	lock(&c->lock);
	mspan *s = c->partial.first;
	if (s) {
		spanlist_remove(s);
		s->incache = true;
		s->freeindex = 0;       /* objects freed since it was last cached are free again */
		unlock(&c->lock);
		return s;
	}
	unlock(&c->lock);
	s = mheap_alloc(class_to_allocnpages[c->sizeclass]);
	if (!s)
		return NULL;
	initspan(s, c->sizeclass);
	s->incache = true;
	return s;
}

/* mcentral_uncacheSpan takes back a span an mcache is done with. */
void mcentral_uncacheSpan(struct mcentral *c, mspan *s)
{
	lock(&c->lock);
	s->incache = false;
	uint32_t n = __atomic_load_n(&s->allocCount, __ATOMIC_ACQUIRE);
	spanlist_insert(n < s->nelems ? &c->partial : &c->full, s);
	unlock(&c->lock);
	if (n == 0)
		sweep_wake();
}

/*
 * mcentral_freeObject clears object idx of s, which must be allocated.
 * Returns false for an object that is already free. Wakes bgsweep when the
 * span has become empty and no mcache holds it.
 */
bool mcentral_freeObject(struct mcentral *c, mspan *s, uintptr_t idx)
{
	uint64_t bit = 1ull << (idx % 64);
	bool empty = false;
	lock(&c->lock);
	uint64_t old = __atomic_fetch_and(&s->allocBits[idx / 64], ~bit, __ATOMIC_ACQ_REL);
	if (!(old & bit)) {
		unlock(&c->lock);
		return false;
	}
	uint32_t n = __atomic_sub_fetch(&s->allocCount, 1, __ATOMIC_ACQ_REL);
	if (!s->incache) {
		if (s->list == &c->full) {
			spanlist_remove(s);
			spanlist_insert(&c->partial, s);
		}
		empty = n == 0;
	}
	unlock(&c->lock);
	if (empty)
		sweep_wake();
	return true;
}

/* mcentral_sweep returns c's empty uncached spans to the heap; returns how many. */
int mcentral_sweep(struct mcentral *c)
{
	int n = 0;
	lock(&c->lock);
	mspan *s = c->partial.first;
	while (s) {
		mspan *next = s->next;
		if (__atomic_load_n(&s->allocCount, __ATOMIC_ACQUIRE) == 0) {
			spanlist_remove(s);
			unlock(&c->lock);
			mheap_free(s);  /* not under c->lock: the heap lock comes after it, never inside */
			n++;
			lock(&c->lock);
			next = c->partial.first;        /* the list may have changed meanwhile */
		}
		s = next;
	}
	unlock(&c->lock);
	return n;
}
