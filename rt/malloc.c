/*
 * malloc.c - the program-facing allocator (malloc, calloc, realloc, free).
 *
 * For now: power-of-two size classes from 16 bytes to 2 KiB, each a free
 * list refilled a page at a time from sysAlloc; bigger requests take whole
 * pages. Every block starts with a header naming its class and whether it
 * is live, so free can refuse what malloc did not hand out. The Go-style
 * mcache/mcentral/mheap allocator replaces this.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define NCLASS 8                        /* 16 << 0 .. 16 << 7 = 2048 */
#define MAXSMALL 2048
#define HDR 16
#define MAGIC_LIVE 0x6c697665u          /* "live" */
#define MAGIC_FREE 0x66726565u          /* "free" */

struct hdr {
	uint32_t magic;
	uint32_t cls;                   /* NCLASS: a large block */
	uint64_t size;                  /* usable bytes */
};

struct freeobj {
	struct freeobj *next;
};

static struct mutex heaplock;
static struct freeobj *freelist[NCLASS];        /* heaplock */
static uint64_t heap_sys;                       /* bytes taken from sysAlloc; heaplock */

void mallocinit(void)
{
	_Static_assert(sizeof(struct hdr) == HDR, "malloc header size");
}

static int sizeclass(size_t n)
{
	int c = 0;
	while ((16u << c) < n + HDR)
		c++;
	return c;
}

static _Noreturn void outofmemory(size_t n)
{
	printf("runtime: out of memory: cannot allocate %lu-byte block (%lu in use)\n", n, heap_sys);
	throw("out of memory");
}

/* refill carves a fresh page into objects of class c; heaplock held. */
static void refill(int c)
{
	size_t sz = 16u << c;
	char *page = sysAlloc(4096);
	if (!page)
		outofmemory(sz);
	heap_sys += 4096;
	for (size_t off = 0; off + sz <= 4096; off += sz) {
		struct freeobj *o = (struct freeobj *)(page + off);
		o->next = freelist[c];
		freelist[c] = o;
	}
}

void *malloc(size_t n)
{
	struct hdr *h;
	if (n > (1ull << 40))
		outofmemory(n);
	if (n + HDR <= MAXSMALL) {
		int c = sizeclass(n);
		lock(&heaplock);
		if (!freelist[c])
			refill(c);
		h = (struct hdr *)freelist[c];
		freelist[c] = freelist[c]->next;
		unlock(&heaplock);
		*h = (struct hdr){ MAGIC_LIVE, (uint32_t)c, (16u << c) - HDR };
	} else {
		size_t bytes = (n + HDR + 4095) & ~4095ull;
		h = sysAlloc(bytes);
		if (!h)
			outofmemory(n);
		lock(&heaplock);
		heap_sys += bytes;
		unlock(&heaplock);
		*h = (struct hdr){ MAGIC_LIVE, NCLASS, bytes - HDR };
	}
	void *p = h + 1;
	memset(p, 0, h->size);
	return p;
}

static struct hdr *header(void *p, const char *what)
{
	if (((uintptr_t)p & 15) != 0)
		throw(what);
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC_LIVE || h->cls > NCLASS)
		throw(what);
	return h;
}

void free(void *p)
{
	if (!p)
		return;
	struct hdr *h = header(p, "free of invalid pointer");
	h->magic = MAGIC_FREE;
	if (h->cls == NCLASS)
		return;         /* large blocks are kept until the page heap exists */
	lock(&heaplock);
	((struct freeobj *)h)->next = freelist[h->cls];
	freelist[h->cls] = (struct freeobj *)h;
	unlock(&heaplock);
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		panic("calloc: %lu * %lu overflows", n, size);
	return malloc(total);
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct hdr *h = header(p, "realloc of invalid pointer");
	if (n <= h->size)
		return p;
	void *q = malloc(n);
	memcpy(q, p, h->size);
	free(p);
	return q;
}

uint64_t heapsys(void) { return heap_sys; }
