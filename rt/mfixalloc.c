/*
 * mfixalloc.c - fixed-size allocations for the allocator's own structures
 * (spans, mcaches), as Go's mfixalloc.go: objects carved from 64 KiB
 * chunks of sysAlloc memory, freed objects reused first. The heap cannot
 * allocate its own bookkeeping from itself.
 */
#include "mheap.h"
#include "os.h"
#include "print.h"

#define CHUNK (64 * 1024)

void fixalloc_init(struct fixalloc *f, size_t size)
{
	f->size = (size + 15) & ~(size_t)15;
	f->list = NULL;
	f->chunk = NULL;
	f->nchunk = 0;
}

void *fixalloc_alloc(struct fixalloc *f)
{
	lock(&f->lock);
	void *p = f->list;
	if (p) {
		f->list = *(void **)p;
	} else {
		if (f->nchunk < f->size) {
			f->chunk = sysAlloc(CHUNK);
			if (!f->chunk) {
				unlock(&f->lock);
				printf("runtime: out of memory for the allocator's own structures\n");
				throw("out of memory");
			}
			f->nchunk = CHUNK;
		}
		p = f->chunk;
		f->chunk += f->size;
		f->nchunk -= f->size;
	}
	unlock(&f->lock);
	memset(p, 0, f->size);
	return p;
}

void fixalloc_free(struct fixalloc *f, void *p)
{
	lock(&f->lock);
	*(void **)p = f->list;
	f->list = p;
	unlock(&f->lock);
}
