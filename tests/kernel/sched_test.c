/*
 * sched_test.c - suite "sched": the G/M/P scheduler on every CPU (run by
 * tests/cases.py at -smp 1, 2, 4 and 8). Scenarios: test=spinexit
 * (main_main returns while 1,000 goroutines spin), test=idle10 (10 s with
 * all but one CPU idle, for measuring host CPU time).
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define N 100000

static volatile uint32_t counter;
static int64_t goids[N];
static uint8_t seen[(N * 4) / 8 + 1];   /* goid bitmap; goids stay below 4N here */

static void incr(void *arg)
{
	goids[(intptr_t)arg] = goid();
	__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

/* waitfor yields until *v reaches want, for at most 60 s of runtime clock. */
static bool waitfor(volatile uint32_t *v, uint32_t want)
{
	int64_t end = nanotime() + 60ll * 1000000000;
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		if (nanotime() > end)
			return false;
		gosched();
	}
	return true;
}

static void test_100k_goroutines(void)
{
	counter = 0;
	for (intptr_t i = 0; i < N; i++)
		go(incr, (void *)i);
	if (!waitfor(&counter, N)) {
		kt_fail(__FILE__, __LINE__, "only %u of %d goroutines ran", counter, N);
		return;
	}
	memset(seen, 0, sizeof seen);
	int dup = 0;
	for (int i = 0; i < N; i++) {
		int64_t id = goids[i];
		if (id <= 1 || id >= 4 * N) {
			kt_fail(__FILE__, __LINE__, "goid %ld out of range", id);
			return;
		}
		if (seen[id / 8] & (1 << (id % 8)))
			dup++;
		seen[id / 8] |= (uint8_t)(1 << (id % 8));
	}
	KT_EXPECT_EQ(dup, 0);
	KT_EXPECT_EQ(goid(), 1);
}

static volatile uint64_t cpumask_seen;
static volatile uint32_t spread_done;
static int cpus_want;

static int popcount(uint64_t x)
{
	int n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}

/* spreader runs until every CPU has run one (or 30 s pass): an emulated
 * CPU may wait long for the host, so no fixed time slice is enough. It
 * never blocks or yields: with twice as many of them as CPUs there is
 * always more work than running Ms, so the scheduler must bring every
 * idle P and M into play (wakep chains, stealing, and preemption moving
 * spreaders through the global queue). */
static void spreader(void *arg)
{
	(void)arg;
	int64_t until = nanotime() + 30ll * 1000000000;
	while (nanotime() < until &&
	       popcount(__atomic_or_fetch(&cpumask_seen, 1ull << cpuid(), __ATOMIC_RELAXED)) < cpus_want)
		__asm__ volatile("pause");
	__atomic_add_fetch(&spread_done, 1, __ATOMIC_RELEASE);
}

static void test_all_cpus_used(void)
{
	int n = numcpu();
	KT_ASSERT(n >= 1 && n <= 64);     /* masks of 64 bits */
	/* with GOMAXPROCS below the CPU count, Ms take turns with the Ps:
	 * at least GOMAXPROCS CPUs, any of them */
	int want = gomaxprocs(0) < n ? gomaxprocs(0) : n;
	cpumask_seen = 0;
	cpus_want = want;
	spread_done = 0;
	for (int i = 0; i < 2 * n; i++)
		go(spreader, NULL);
	if (!waitfor(&spread_done, (uint32_t)(2 * n)))
		schedtrace(true);
	KT_ASSERT(spread_done == (uint32_t)(2 * n));
	if (popcount(cpumask_seen) < want) {
		kt_fail(__FILE__, __LINE__, "goroutines ran on CPUs 0x%lx, want %d of the %d", (unsigned long)cpumask_seen, want, n);
		schedtrace(true);
	}
}

static volatile uint32_t stolen_flag;
static volatile int stolen_cpu = -1;

static void stolen(void *arg)
{
	(void)arg;
	stolen_cpu = cpuid();
	__atomic_store_n(&stolen_flag, 1, __ATOMIC_RELEASE);
}

/* a goroutine queued on a P whose M never yields can only run if an idle
 * P steals it (from runnext, the last round of stealWork) */
static void test_stolen_by_idle_p(void)
{
	if (numcpu() < 2 || gomaxprocs(0) < 2) {
		kt_skip("needs 2 CPUs");
		return;
	}
	/* no async preemption meanwhile: it would let the goroutine run
	 * here, after this one, instead of being stolen */
	int32_t preemptoff = debug.asyncpreemptoff;
	debug.asyncpreemptoff = 1;
	getg()->preempt = false;        /* a request left from before, too */
	stolen_flag = 0;
	go(stolen, NULL);
	int me = cpuid();
	int64_t end = nanotime() + 10ll * 1000000000;
	while (!__atomic_load_n(&stolen_flag, __ATOMIC_ACQUIRE) && nanotime() < end)
		__asm__ volatile("pause");      /* deliberately not yielding */
	debug.asyncpreemptoff = preemptoff;
	KT_ASSERT(stolen_flag);
	KT_ASSERT(stolen_cpu != me);
}

static volatile uint64_t pmask;
static volatile uint32_t pdone;

/* the Ps below n */
static uint64_t lowmask(int n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* precorder notes which Ps it runs on, for at least 5 ms and until the
 * recorders together have seen two Ps (when GOMAXPROCS allows two) or
 * 10 s passed: waking an idle CPU may take the host longer than 5 ms. */
static int precorder_want;

static void precorder(void *arg)
{
	(void)arg;
	int64_t start = nanotime();
	for (;;) {
		m *mp = acquirem();
		uint64_t seen = __atomic_or_fetch(&pmask, 1ull << mp->p->id, __ATOMIC_RELAXED);
		releasem(mp);
		int64_t t = nanotime() - start;
		if ((t > 5000000 && popcount(seen) >= precorder_want) || t > 10ll * 1000000000)
			break;
		gosched();
	}
	__atomic_add_fetch(&pdone, 1, __ATOMIC_RELEASE);
}

static uint64_t run_recorders(int n)
{
	pmask = 0;
	pdone = 0;
	precorder_want = gomaxprocs(0) > 1 && numcpu() > 1 ? 2 : 1;
	for (int i = 0; i < n; i++)
		go(precorder, NULL);
	if (!waitfor(&pdone, (uint32_t)n))
		return 0;
	return pmask;
}

static void test_gomaxprocs_keeps_ps(void)
{
	int procs = gomaxprocs(0);
	uint64_t used = run_recorders(4 * numcpu());
	KT_ASSERT(used != 0);
	KT_ASSERT((used & ~lowmask(procs)) == 0);       /* no P beyond GOMAXPROCS */
	if (procs < numcpu())
		printf("# GOMAXPROCS=%d on %d CPUs: Ps used 0x%lx\n", procs, numcpu(), (unsigned long)used);
}

static void test_gomaxprocs_runtime(void)
{
	int procs = gomaxprocs(0);
	KT_EXPECT_EQ(gomaxprocs(1), procs);
	KT_EXPECT_EQ(gomaxprocs(0), 1);
	KT_EXPECT_EQ(run_recorders(8), 1);              /* everything on P 0 */
	KT_EXPECT_EQ(gomaxprocs(procs), 1);
	KT_EXPECT_EQ(gomaxprocs(0), procs);
	uint64_t used = run_recorders(8 * procs);
	KT_ASSERT((used & ~lowmask(procs)) == 0);
	if (procs > 1 && numcpu() > 1)
		KT_ASSERT(used != 1);                   /* spread again */
}

static void test_ms_counted(void)
{
	/* m0, one M per other CPU, and sysmon's */
	KT_EXPECT_EQ(sched.mnext, numcpu() + 1);
	KT_ASSERT(sysmonm != NULL);
}

static const struct ktest_case sched_cases[] = {
	{test_100k_goroutines, "goids_unique_100k_all_run"},
	{test_all_cpus_used, "goroutines_on_every_cpu"},
	{test_stolen_by_idle_p, "stolen_by_idle_p"},
	{test_gomaxprocs_keeps_ps, "gomaxprocs_limits_ps"},
	{test_gomaxprocs_runtime, "gomaxprocs_at_run_time"},
	{test_ms_counted, "ms_counted"},
};
KTEST_SUITE(sched, sched_cases);

static void spin(void *arg)
{
	(void)arg;
	for (;;)
		__asm__ volatile("pause");
}

/* spinexit: main_main returns while 200 goroutines spin (each runs its
 * full 10 ms slice before preemption, so main's turns come rarely: more
 * spinners only make the test slow under emulation) */
static void spinexit(void)
{
	for (int i = 0; i < 200; i++)
		go(spin, NULL);
	printf("spinexit: 200 goroutines spinning, main_main returns\n");
}
KTEST_MAIN(spinexit, spinexit);

/* idle10: CPU 0 watches the clock for 10 s, every other CPU has nothing
 * to do and must halt (measured from outside as QEMU's CPU time) */
static void idle10(void)
{
	int64_t end = nanotime() + 10ll * 1000000000;
	while (nanotime() < end)
		__asm__ volatile("pause");
	printf("idle10: done\n");
}
KTEST_MAIN(idle10, idle10);

/* inityield: with inittest=gosched on the command line, package init
 * yields three times. Init runs locked to m0; with one CPU the locked G
 * comes back to m0 through the run queues, and must simply run. */
static void inityield(void)
{
	const char *t = gogetenv("inittest");
	if (!t || strcmp(t, "gosched") != 0)
		return;
	for (int i = 0; i < 3; i++)
		gosched();
	printf("inittest: init yielded 3 times on m%ld\n", (long)getg()->m->id);
}
RT_INIT(inityield);
