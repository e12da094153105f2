/*
 * mheap.h - the allocator's structures, after Go's mheap.go, mcentral.go
 * and mcache.go:
 *
 *   mheap     the page heap: runs of 8 KiB pages (spans) in one reserved
 *             arena, backed by the machine on demand; free spans are kept
 *             by size and coalesced with their neighbours.
 *   mcentral  per size class: the spans of that class not held by any
 *             mcache, those with a free object (partial) and those without
 *             (full).
 *   mcache    per P: one span per size class to allocate from, used
 *             without locks by the P's owner.
 *
 * Unlike Go there is no collector: free() clears the object's bit in its
 * span's allocBits; a span whose last object is freed goes back to the
 * heap through bgsweep (mgcsweep.c), which also returns unused heap pages
 * to the machine.
 */
#ifndef RT_MHEAP_H
#define RT_MHEAP_H

#include "runtime.h"
#include "sizeclasses.h"

#define MAX_SPAN_OBJS 1024              /* 8-byte objects in one 8 KiB page */
#define HEAP_FREELISTS 128              /* exact free lists for spans of 1..127 pages */

enum { mSpanDead = 0, mSpanInUse = 1, mSpanFree = 2 };

typedef struct mspan mspan;

struct spanlist {
	mspan *first, *last;
};

struct mspan {
	mspan *next, *prev;             /* in a spanlist; the list's owner's lock */
	struct spanlist *list;
	uintptr_t startAddr;
	uintptr_t npages;
	uint8_t state;                  /* mSpan*; mheap.lock */
	uint8_t sizeclass;              /* 0: one large object */
	bool scavenged;                 /* free span: some pages may be given back (unmapped) */
	bool needzero;                  /* memory may hold old data */
	bool incache;                   /* held by an mcache; its mcentral's lock */
	uint16_t nelems;                /* objects in the span */
	uint16_t freeindex;             /* owner mcache: no free object below this index */
	uint32_t allocCount;            /* live objects; atomic */
	uintptr_t elemsize;
	uint32_t divmagic;              /* offset * divmagic >> 32 == object index */
	uint64_t allocBits[MAX_SPAN_OBJS / 64];  /* 1: allocated; atomic bit ops */
};

struct mcentral {
	struct mutex lock;
	uint8_t sizeclass;
	struct spanlist partial;        /* spans with a free object, in no mcache */
	struct spanlist full;           /* spans without one, in no mcache */
};

struct mcache {
	mspan *alloc[_NumSizeClasses];  /* span to allocate from, per class; owner only */
};

struct mheap {
	struct mutex lock;
	uintptr_t arena_start, arena_end;   /* the reserved arena */
	uintptr_t arena_used;           /* [arena_start, arena_used) has been handed to spans */
	mspan **spans;                  /* span of each page; in-use spans: every page, free: first and last */
	uintptr_t spans_mapped;         /* bytes of the span table backed, from its start */
	struct spanlist free[HEAP_FREELISTS];
	struct spanlist freelarge;      /* free spans of HEAP_FREELISTS pages or more */
	uint64_t pages_inuse;           /* pages in in-use spans; lock */
	uint64_t pages_free;            /* pages in free spans; lock */
	uint64_t bytes_released;        /* of those, given back to the machine; lock */
	struct mcentral central[_NumSizeClasses];
};

/* counters for tests and traces; atomic */
struct mallocstats {
	uint64_t nmalloc, nfree;        /* small objects */
	uint64_t nlarge, nlargefree;    /* large objects */
	uint64_t nsweep;                /* spans bgsweep returned to the heap */
	uint64_t released;              /* bytes bgsweep gave back to the machine */
};
extern struct mallocstats mstats;

extern struct mheap mheap_;
extern mspan emptymspan;

/* mheap.c */
void mheap_init(void);
mspan *mheap_alloc(uintptr_t npages);   /* NULL when out of memory */
void mheap_free(mspan *s);
mspan *spanOf(uintptr_t p);
uint64_t mheap_scavenge(uint64_t keep);

/* mcentral.c */
void mcentral_init(struct mcentral *c, uint8_t sizeclass);
mspan *mcentral_cacheSpan(struct mcentral *c);
void mcentral_uncacheSpan(struct mcentral *c, mspan *s);
bool mcentral_freeObject(struct mcentral *c, mspan *s, uintptr_t idx);
int mcentral_sweep(struct mcentral *c);

/* mcache.c */
struct mcache *allocmcache(void);
void freemcache(struct mcache *c);
mspan *mcache_refill(struct mcache *c, uint8_t sizeclass);
extern struct mcache *mcache0;

/* mgcsweep.c */
void gcenable(void);
void sweep_wake(void);

/* mfixalloc.c: fixed-size allocations for the allocator's own structures */
struct fixalloc {
	size_t size;
	void *list;                     /* freed objects */
	char *chunk;
	size_t nchunk;                  /* bytes left in chunk */
	struct mutex lock;
};
void fixalloc_init(struct fixalloc *f, size_t size);
void *fixalloc_alloc(struct fixalloc *f);
void fixalloc_free(struct fixalloc *f, void *p);

#endif
