/*
 * stack_test.c - suite "stack": guard-paged goroutine stacks that grow a
 * page at a time, their trimming on reuse, and what goroutines cost.
 * Scenarios: test=stackoverflow (a goroutine), test=g0overflow (the
 * scheduler's own stack).
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define PAGE 4096

/* recurse uses about 1 KiB of stack per level and returns a checksum that
 * depends on every frame, so none can be optimized away. */
static __attribute__((noinline)) uint64_t recurse(int depth)
{
	volatile unsigned char buf[1000];
	for (int i = 0; i < (int)sizeof buf; i += 64)
		buf[i] = (unsigned char)(depth + i);
	if (depth == 0)
		return buf[0];
	return recurse(depth - 1) + buf[64];
}

struct deep {
	int depth;
	uint64_t sum;
	uintptr_t stacklo, mapped;
	volatile int done;
};

static void deepfn(void *arg)
{
	struct deep *d = arg;
	d->sum = recurse(d->depth);
	g *gp = getg();
	d->stacklo = gp->stack.lo;
	d->mapped = ((gp->stack.hi + PAGE - 1) & ~(uintptr_t)(PAGE - 1)) - gp->stackmapped;
	d->done = 1;
}

static uint64_t expected_sum(int depth)
{
	uint64_t s = (unsigned char)0;
	for (int d = 1; d <= depth; d++)
		s += (unsigned char)(d + 64);
	return s;
}

static void deep_recursion(void);
static void test_deep_recursion(void)
{
	/* one P: the second goroutine must reuse the first one's G, which
	 * sits on that P's free list */
	int procs = gomaxprocs(1);
	deep_recursion();
	gomaxprocs(procs);
}

static void deep_recursion(void)
{
	memstats_t before, during;
	read_memstats(&before);
	int n0 = numgoroutine();
	struct deep d = { .depth = 100 };   /* ~100 KiB of frames, of 124 KiB */
	go(deepfn, &d);
	while (!d.done || numgoroutine() > n0)  /* until its G is on the free list */
		gosched();
	KT_EXPECT_EQ(d.sum, expected_sum(100));
	KT_ASSERT(d.mapped >= 95 * 1024);  /* the stack grew page by page */
	read_memstats(&during);
	KT_ASSERT(during.stack_inuse >= before.stack_inuse + 90 * 1024);

	/* the next goroutine reuses that G (the per-P free list is LIFO) and
	 * gets its stack back with only the top page */
	struct deep e = { .depth = 0 };
	go(deepfn, &e);
	while (!e.done)
		gosched();
	KT_EXPECT_EQ(e.stacklo, d.stacklo);
	KT_EXPECT_EQ(e.mapped, PAGE);
	memstats_t after;
	read_memstats(&after);
	KT_ASSERT(after.stack_inuse <= before.stack_inuse + PAGE);
}

static void test_stack_limit(void)
{
	g *gp = getg();
	KT_EXPECT_EQ(stackmaxbytes(), 128 * 1024);
	/* the slot: guard page, stack, and this g at the top of its top page */
	uintptr_t slotend = (gp->stack.hi + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	KT_EXPECT_EQ(slotend - (gp->stack.lo - PAGE), stackmaxbytes());
	KT_EXPECT_EQ((uintptr_t)gp, gp->stack.hi);
	KT_ASSERT(slotend - gp->stack.hi < 1024);
}

static chan_t *blockc;
static uint32_t nblocked;

static void blocker(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&nblocked, 1, __ATOMIC_RELAXED);
	bool ok = chan_recv(blockc, NULL);
	if (ok)
		kt_fail(__FILE__, __LINE__, "receive on a closed channel said ok");
}

static void count_waiting(g *gp, void *arg)
{
	if (readgstatus(gp) == _Gwaiting && gp->waitreason == waitReasonChanReceive)
		++*(int *)arg;
}

static int nwaiting(void)
{
	int n = 0;
	forEachG(count_waiting, &n);
	return n;
}

/*
 * test_goroutine_cost: what a goroutine blocked on a channel costs the
 * machine: its stack page (g inside), its share of page tables, and any
 * heap, from the difference in memstats and in free machine memory. With
 * less memory than 100,000 of them need (the 128 MiB run) fewer are used.
 * Then the channel is closed, all of them wake, and they finish.
 */
static void test_goroutine_cost(void)
{
	enum { WANT = 100000, BOUND = 4096 + 256 };
	memstats_t before, after;
	read_memstats(&before);
	int n = WANT;
	if ((uint64_t)n * BOUND * 2 > before.phys_free)
		n = (int)(before.phys_free / (BOUND * 2));
	blockc = chan_make(0, 0);
	nblocked = 0;
	/* this goroutine's own frames below reach their depth first */
	sleep_ns(1000000);
	(void)nwaiting();
	read_memstats(&before);
	for (int i = 0; i < n; i++)
		go(blocker, NULL);
	while (nwaiting() < n)
		sleep_ns(1000000);
	read_memstats(&after);
	uint64_t phys = before.phys_free - after.phys_free;
	uint64_t stats = (after.heap_inuse + after.stack_inuse + after.pagetables) -
	                 (before.heap_inuse + before.stack_inuse + before.pagetables);
	printf("# %d goroutines blocked on one channel: %lu bytes each by memstats "
	       "(stack %lu, page tables %lu, heap %lu), %lu of machine memory\n",
	       n, stats / n, (after.stack_inuse - before.stack_inuse) / n,
	       (after.pagetables - before.pagetables) / n,
	       (after.heap_inuse - before.heap_inuse) / n, phys / n);
	printf("# in all: stack %lu, page tables %lu, heap %ld, machine %lu bytes\n",
	       after.stack_inuse - before.stack_inuse, after.pagetables - before.pagetables,
	       (long)(after.heap_inuse - before.heap_inuse), phys);
	KT_EXPECT_EQ(nblocked, n);
	/* whole bytes per goroutine: a span or a page of the measuring
	 * goroutine's own is not a goroutine's cost */
	KT_ASSERT(stats / n <= BOUND);
	KT_ASSERT(phys / n <= BOUND);
	chan_close(blockc);
	while (numgoroutine() > 1)
		sleep_ns(1000000);
	KT_EXPECT_EQ(nwaiting(), 0);
}

static const struct ktest_case stack_cases[] = {
	{test_stack_limit, "stack_limit"},
	{test_deep_recursion, "deep_recursion_then_trimmed"},
	{test_goroutine_cost, "goroutine_cost"},
};
KTEST_SUITE(stack, stack_cases);

/* forever recurses until the stack runs out: that is the point */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noinline)) int forever(int n)
{
	volatile char pad[256];
	pad[0] = (char)n;
	return forever(n + 1) + pad[0];
}
#pragma GCC diagnostic pop

static void overflowfn(void *arg)
{
	(void)arg;
	forever(0);
}

static void stackoverflow(void)
{
	go(overflowfn, NULL);
	for (;;)
		gosched();
}
KTEST_SCENARIO(stackoverflow, stackoverflow);

static void g0recurse(g *gp)
{
	(void)gp;
	forever(0);
}

static void g0overflow(void)
{
	mcall(g0recurse);
}
KTEST_SCENARIO(g0overflow, g0overflow);
