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
	d->mapped = gp->stack.hi - gp->stackmapped;
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
	struct deep d = { .depth = 200 };   /* ~200 KiB of frames */
	go(deepfn, &d);
	while (!d.done)
		gosched();
	KT_EXPECT_EQ(d.sum, expected_sum(200));
	KT_ASSERT(d.mapped >= 190 * 1024);  /* the stack grew page by page */
	read_memstats(&during);
	KT_ASSERT(during.stack_inuse >= before.stack_inuse + 180 * 1024);

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
	KT_EXPECT_EQ(gp->stack.hi - gp->stack.lo, stackmaxbytes());
	KT_EXPECT_EQ(stackmaxbytes(), 256 * 1024);
}

static struct mutex parklock;
static volatile int nparked;
static bool unlock_park(g *gp, void *l)
{
	(void)gp;
	nparked++;
	unlock(l);
	return true;
}

static g *parkedg[20000];
static void parker(void *arg)
{
	parkedg[(intptr_t)arg] = getg();
	lock(&parklock);
	gopark(unlock_park, &parklock, waitReasonChanReceive);
}

/*
 * test_goroutine_cost: what a parked goroutine costs the machine: its
 * stack page, its g, and its share of page tables, from the difference in
 * machine memory in use. Then they all finish and the memory comes back.
 */
static void test_goroutine_cost(void)
{
	enum { N = 20000 };
	memstats_t before, after;
	nparked = 0;
	read_memstats(&before);
	for (intptr_t i = 0; i < N; i++)
		go(parker, (void *)i);
	while (nparked < N)
		gosched();
	read_memstats(&after);
	uint64_t used = before.phys_free - after.phys_free;
	uint64_t each = used / N;
	printf("# %d parked goroutines: %lu bytes each (stack %lu, page tables %lu, heap %lu in all)\n",
	       N, each, (after.stack_inuse - before.stack_inuse) / N,
	       (after.pagetables - before.pagetables) / N, after.heap_inuse - before.heap_inuse);
	KT_ASSERT(each <= 4096 + 1024);
	for (int i = 0; i < N; i++)
		goready(parkedg[i]);
	while (numgoroutine() > 1)
		gosched();
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
