/*
 * mem_test.c - suite "mem": the allocator (malloc.c, mheap.c, mcentral.c,
 * mcache.c, mgcsweep.c) and the physical page allocator under it.
 * Scenarios: test=doublefree, test=interiorfree, test=oom, test=callocoverflow.
 */
#include "ktest.h"
#include "../../rt/runtime.h"
#include "../../rt/sizeclasses.h"
#include "../../kernel/kernel.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static bool intact(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	return true;
}

/* sizes around every class boundary and some large ones */
static void test_sizes_roundtrip(void)
{
	static size_t sizes[3 * _NumSizeClasses + 8];
	int n = 0;
	for (int c = 1; c < _NumSizeClasses; c++) {
		sizes[n++] = class_to_size[c] - 1;
		sizes[n++] = class_to_size[c];
		sizes[n++] = class_to_size[c] + 1;
	}
	size_t large[] = { 32769, 65536, 100000, 1 << 20, 3 << 20, 1, 0 };
	for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
		sizes[n++] = large[i];
	static unsigned char *ptrs[3 * _NumSizeClasses + 8];
	for (int i = 0; i < n; i++) {
		ptrs[i] = malloc(sizes[i]);
		KT_ASSERT(ptrs[i] != NULL);
		if (sizes[i] >= 16)
			KT_EXPECT_EQ((uintptr_t)ptrs[i] % 16, 0);
		else
			KT_EXPECT_EQ((uintptr_t)ptrs[i] % 8, 0);
		for (size_t k = 0; k < sizes[i]; k++)
			if (ptrs[i][k] != 0) {
				kt_fail(__FILE__, __LINE__, "malloc(%lu) not zeroed at %lu", sizes[i], k);
				break;
			}
		fill(ptrs[i], sizes[i], (unsigned)i);
	}
	for (int i = 0; i < n; i++) {
		if (!intact(ptrs[i], sizes[i], (unsigned)i))
			kt_fail(__FILE__, __LINE__, "block %d (%lu bytes) overwritten", i, sizes[i]);
		free(ptrs[i]);
	}
}

#define LIVE 256
#define WORKERS 4
#define OPS_PER_WORKER 250000

struct worker {
	unsigned char *p[LIVE];
	size_t n[LIVE];
	unsigned seed[LIVE];
	uint64_t rng;
	int bad;
	volatile int done;
};
static struct worker workers[WORKERS];

static size_t randsize(uint64_t r)
{
	switch (r % 16) {
	case 0: return 32768 + r % 100000;      /* large */
	case 1: case 2: return 1024 + r % 31744;
	default: return 1 + r % 1024;
	}
}

static void churn(void *arg)
{
	struct worker *w = arg;
	for (int op = 0; op < OPS_PER_WORKER; op++) {
		w->rng ^= w->rng << 13;
		w->rng ^= w->rng >> 7;
		w->rng ^= w->rng << 17;
		int i = (int)(w->rng % LIVE);
		if (w->p[i]) {
			if (!intact(w->p[i], w->n[i], w->seed[i]))
				w->bad++;
			free(w->p[i]);
			w->p[i] = NULL;
		} else {
			w->n[i] = randsize(w->rng >> 8);
			w->seed[i] = (unsigned)(w->rng >> 40);
			w->p[i] = malloc(w->n[i]);
			fill(w->p[i], w->n[i], w->seed[i]);
		}
		if (op % 1000 == 0)
			gosched();      /* interleave the workers' heaps on one CPU */
	}
	for (int i = 0; i < LIVE; i++)
		if (w->p[i]) {
			if (!intact(w->p[i], w->n[i], w->seed[i]))
				w->bad++;
			free(w->p[i]);
			w->p[i] = NULL;
		}
	w->done = 1;
}

static uint64_t tolerance(void)
{
	uint64_t t = 0;         /* each P's mcache may keep one span per class */
	for (int c = 1; c < _NumSizeClasses; c++)
		t += class_to_allocnpages[c] * _PageSize;
	return t * (uint64_t)gomaxprocs(0);
}

/* wait_sweep yields until bgsweep has brought heap_inuse down to want. */
static bool wait_heap(uint64_t want)
{
	memstats_t ms;
	for (int i = 0; i < 5000; i++) {        /* up to 5 s for bgsweep */
		read_memstats(&ms);
		if (ms.heap_inuse <= want)
			return true;
		sleep_ns(1000000);
	}
	return false;
}

static void test_mixed_goroutines(void)
{
	memstats_t before, after;
	read_memstats(&before);
	for (int i = 0; i < WORKERS; i++) {
		memset(&workers[i], 0, sizeof workers[i]);
		workers[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		go(churn, &workers[i]);
	}
	for (int i = 0; i < WORKERS; i++)
		while (!workers[i].done)
			gosched();
	for (int i = 0; i < WORKERS; i++)
		KT_EXPECT_EQ(workers[i].bad, 0);
	read_memstats(&after);
	KT_ASSERT(after.nmalloc - before.nmalloc > 400000);
	/* everything the workers allocated was freed; the 4 Gs stay (reused) */
	KT_ASSERT((after.nmalloc - before.nmalloc) - (after.nfree - before.nfree) <= WORKERS);
	if (!wait_heap(before.heap_inuse + tolerance())) {
		read_memstats(&after);
		kt_fail(__FILE__, __LINE__, "heap in use %lu after everything was freed, started at %lu (tolerance %lu)",
		        after.heap_inuse, before.heap_inuse, tolerance());
	}
}

static void test_realloc_keeps(void)
{
	unsigned char *p = malloc(10);
	fill(p, 10, 3);
	for (size_t n = 20; n < 200000; n = n * 3 + 1) {
		p = realloc(p, n);
		KT_ASSERT(intact(p, 10, 3));
	}
	p = realloc(p, 5);
	KT_ASSERT(intact(p, 5, 3));
	free(p);
	KT_ASSERT(realloc(NULL, 0) != NULL);
}

static void test_calloc(void)
{
	uint64_t *p = calloc(1000, sizeof *p);
	for (int i = 0; i < 1000; i++)
		KT_EXPECT_EQ(p[i], 0);
	free(p);
}

static void test_memory_returns(void)
{
	/* 64 MiB in large blocks: after free and a sweep, the pages go back */
	memstats_t before, after;
	read_memstats(&before);
	void *big[16];
	for (int i = 0; i < 16; i++)
		big[i] = malloc(4 << 20);
	read_memstats(&after);
	KT_ASSERT(after.phys_free + (60ull << 20) <= before.phys_free);
	for (int i = 0; i < 16; i++)
		free(big[i]);
	uint64_t phys = 0;
	for (int i = 0; i < 5000; i++) {        /* up to 5 s for bgsweep */
		read_memstats(&after);
		phys = after.phys_free;
		if (phys + (8ull << 20) >= before.phys_free)
			break;
		sleep_ns(1000000);
	}
	if (phys + (8ull << 20) < before.phys_free)
		kt_fail(__FILE__, __LINE__, "machine memory free %lu, was %lu before the 64 MiB", phys, before.phys_free);
}

/* physmem_check takes physlock: on g0's stack, never a goroutine's. */
static void physmem_check_g0(void *err)
{
	*(const char **)err = physmem_check();
}

static void test_physmem_bookkeeping(void)
{
	const char *err;
	systemstack(physmem_check_g0, &err);
	if (err)
		kt_fail(__FILE__, __LINE__, "page allocator: %s", err);
	memstats_t ms;
	read_memstats(&ms);
	KT_ASSERT(ms.phys_total >= 64ull << 20);
	KT_ASSERT(ms.phys_free <= ms.phys_total);
	KT_ASSERT(ms.pagetables > 0);
	(void)rnd;
}

static const struct ktest_case mem_cases[] = {
	{test_sizes_roundtrip, "sizes_roundtrip"},
	{test_mixed_goroutines, "mixed_1M_ops_4_goroutines"},
	{test_realloc_keeps, "realloc_keeps_contents"},
	{test_calloc, "calloc_zeroed"},
	{test_memory_returns, "memory_returns_to_machine"},
	{test_physmem_bookkeeping, "physmem_bookkeeping"},
};
KTEST_SUITE(mem, mem_cases);

static void doublefree(void)
{
	void *p = malloc(100);
	free(p);
	free(p);
}
KTEST_SCENARIO(doublefree, doublefree);

static void interiorfree(void)
{
	char *p = malloc(100);
	free(p + 16);
}
KTEST_SCENARIO(interiorfree, interiorfree);

static void oom(void)
{
	memstats_t ms;
	read_memstats(&ms);
	printf("oom: asking for %lu bytes, %lu free\n", ms.phys_free + 4096, ms.phys_free);
	malloc(ms.phys_free + 4096);
}
KTEST_SCENARIO(oom, oom);

static void callocoverflow(void)
{
	calloc((size_t)1 << 62, 16);
}
KTEST_SCENARIO(callocoverflow, callocoverflow);
