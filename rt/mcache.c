/*
 * mcache.c - a P's own small-object cache (Go's mcache.go): one span per
 * size class, allocated from without locks because only the P's owner
 * touches it. When a span runs out, refill returns it to its mcentral and
 * takes another.
 *
 * mcache0 serves allocation at boot, before procresize has made the Ps;
 * procresize then hands it to P 0.
 */
#include "mheap.h"
#include "print.h"

mspan emptymspan;                       /* nelems 0: makes every cache slot non-NULL */
struct mcache *mcache0;
static struct fixalloc cachealloc;
static bool cacheinit;

struct mcache *allocmcache(void)
{
	if (!cacheinit) {
		fixalloc_init(&cachealloc, sizeof(struct mcache));
		cacheinit = true;
	}
	struct mcache *c = fixalloc_alloc(&cachealloc);
	for (int i = 0; i < _NumSizeClasses; i++)
		c->alloc[i] = &emptymspan;
	return c;
}

/* freemcache returns a dying P's spans to their mcentrals. */
void freemcache(struct mcache *c)
{
	for (int i = 1; i < _NumSizeClasses; i++)
		if (c->alloc[i] != &emptymspan)
			mcentral_uncacheSpan(&mheap_.central[i], c->alloc[i]);
	fixalloc_free(&cachealloc, c);
}

/* mcache_refill swaps the class's exhausted span for one with room;
 * NULL when the heap is out of memory. */
mspan *mcache_refill(struct mcache *c, uint8_t cls)
{
	mspan *s = c->alloc[cls];
	if (s != &emptymspan)
		mcentral_uncacheSpan(&mheap_.central[cls], s);
	c->alloc[cls] = &emptymspan;
	s = mcentral_cacheSpan(&mheap_.central[cls]);
	if (!s)
		return NULL;
	c->alloc[cls] = s;
	return s;
}
