/*
 * time_test.c - suite "time": the clock, timers and sleep_ns; suite
 * "preempt": asynchronous preemption. Scenario test=sleep10: goroutines
 * sleeping in 100 ms timers for 10 s (for measuring idle host CPU time).
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define MAXCPUS 64

/* ---- nanotime ---- */

static volatile uint32_t mono_done, mono_bad;
static int64_t lastread[MAXCPUS];

static void monoreader(void *arg)
{
	int reads = (int)(intptr_t)arg;
	for (int i = 0; i < reads; i++) {
		m *mp = acquirem();             /* no migration between the two */
		int c = mp->cpu;
		int64_t t = nanotime();
		if (t < lastread[c])
			mono_bad++;
		lastread[c] = t;
		releasem(mp);
		if (i % 1000 == 0)
			gosched();
	}
	__atomic_add_fetch(&mono_done, 1, __ATOMIC_RELEASE);
}

static void test_monotonic_per_cpu(void)
{
	int n = numcpu() > MAXCPUS ? MAXCPUS : numcpu();
	memset(lastread, 0, sizeof lastread);
	mono_done = mono_bad = 0;
	int workers = 2 * n;
	for (int i = 0; i < workers; i++)
		go(monoreader, (void *)(intptr_t)(1000000 / workers));
	while (__atomic_load_n(&mono_done, __ATOMIC_ACQUIRE) < (uint32_t)workers)
		sleep_ns(1000000);
	KT_EXPECT_EQ(mono_bad, 0);
}

/* a handshake: A reads the clock and publishes it; B, seeing it (on
 * another CPU when there is one), reads the clock: never earlier */
static volatile int64_t published;
static volatile uint32_t turn, hs_bad, hs_done;

static void handshaker(void *arg)
{
	uint32_t me = (uint32_t)(intptr_t)arg;
	for (int i = 0; i < 2000; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) % 2 != me)
			gosched();
		int64_t t = nanotime();
		if (t < __atomic_load_n(&published, __ATOMIC_ACQUIRE))
			hs_bad++;
		__atomic_store_n(&published, t, __ATOMIC_RELEASE);
		__atomic_add_fetch(&turn, 1, __ATOMIC_ACQ_REL);
	}
	__atomic_add_fetch(&hs_done, 1, __ATOMIC_RELEASE);
}

static void test_monotonic_across_cpus(void)
{
	published = 0;
	turn = hs_bad = hs_done = 0;
	go(handshaker, (void *)0);
	go(handshaker, (void *)1);
	while (__atomic_load_n(&hs_done, __ATOMIC_ACQUIRE) < 2)
		sleep_ns(1000000);
	KT_EXPECT_EQ(hs_bad, 0);
}

/* ---- sleep ---- */

static void sort64(int64_t *a, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
			int64_t t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

static void test_sleep_1ms_overshoot(void)
{
	enum { N = 200 };
	int64_t over[N];
	for (int i = 0; i < N; i++) {
		int64_t t0 = nanotime();
		sleep_ns(1000000);
		over[i] = nanotime() - t0 - 1000000;
		KT_ASSERT(over[i] >= 0);        /* never early */
	}
	sort64(over, N);
	int64_t median = over[N / 2], p99 = over[N * 99 / 100];
	printf("# sleep 1 ms: overshoot median %ld us, p99 %ld us, max %ld us\n",
	       median / 1000, p99 / 1000, over[N - 1] / 1000);
	/* Behaviour, not speed: the sleep ends, never early, within
	 * milliseconds. The median is the host's as much as ours (an emulated
	 * CPU waits whenever the host runs something else: 104 us was seen on
	 * an idle host with -cpu qemu64); the tight figure is make bench's
	 * (sleep overshoot). */
	KT_ASSERT(median < 5000000);
	KT_ASSERT(p99 < 1000000000);   /* the tail is the host's: 48 ms seen under load */
}

static void test_sleep_zero(void)
{
	int64_t t0 = nanotime();
	sleep_ns(0);
	sleep_ns(-5);
	KT_ASSERT(nanotime() - t0 < 1000000000);
}

/* ---- timers fire in deadline order, per P ---- */

#define NTIMERS 1000
struct ordered {
	struct timer t;
	int64_t when;
	p *pp;
};
static struct ordered ot[NTIMERS];
static volatile uint32_t fired, order_bad;
static int64_t lastwhen[256];

static void orderfn(void *arg)
{
	struct ordered *o = arg;
	int id = o->pp->id;
	if (o->when < lastwhen[id])
		order_bad++;
	lastwhen[id] = o->when;
	__atomic_add_fetch(&fired, 1, __ATOMIC_RELEASE);
}

static void test_timers_in_order(void)
{
	uint64_t r = 12345;
	fired = order_bad = 0;
	memset(lastwhen, 0, sizeof lastwhen);
	int64_t now = nanotime();
	for (int i = 0; i < NTIMERS; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		/* 200 ms out: all are in their heaps before the first fires */
		ot[i].when = now + 200000000 + (int64_t)(r >> 33) % 50000000;
		ot[i].t.when = ot[i].when;
		ot[i].t.f = orderfn;
		ot[i].t.arg = &ot[i];
		addtimer(&ot[i].t);
		ot[i].pp = ot[i].t.pp;
	}
	while (__atomic_load_n(&fired, __ATOMIC_ACQUIRE) < NTIMERS)
		sleep_ns(5000000);
	KT_EXPECT_EQ(order_bad, 0);
}

static volatile uint32_t slept, sleep_early;
static void sleeper(void *arg)
{
	int64_t d = (int64_t)(intptr_t)arg, t0 = nanotime();
	sleep_ns(d);
	if (nanotime() - t0 < d)
		sleep_early++;
	__atomic_add_fetch(&slept, 1, __ATOMIC_RELEASE);
}

static void test_1000_sleepers(void)
{
	slept = sleep_early = 0;
	uint64_t r = 777;
	for (int i = 0; i < 1000; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		go(sleeper, (void *)(intptr_t)((int64_t)(r >> 33) % 50000000));
	}
	while (__atomic_load_n(&slept, __ATOMIC_ACQUIRE) < 1000)
		sleep_ns(5000000);
	KT_EXPECT_EQ(sleep_early, 0);
}

static void test_timers_survive_gomaxprocs(void)
{
	int procs = gomaxprocs(0);
	slept = sleep_early = 0;
	for (int i = 0; i < 32; i++)
		go(sleeper, (void *)(intptr_t)(20000000 + i * 100000));
	sleep_ns(1000000);
	gomaxprocs(1);                  /* timers of the retired Ps move to P 0 */
	while (__atomic_load_n(&slept, __ATOMIC_ACQUIRE) < 32)
		sleep_ns(5000000);
	gomaxprocs(procs);
	KT_EXPECT_EQ(sleep_early, 0);
}

static const struct ktest_case time_cases[] = {
	{test_monotonic_per_cpu, "nanotime_monotonic_per_cpu_1M"},
	{test_monotonic_across_cpus, "nanotime_monotonic_across_cpus"},
	{test_sleep_zero, "sleep_zero_returns"},
	{test_sleep_1ms_overshoot, "sleep_1ms_overshoot"},
	{test_timers_in_order, "timers_fire_in_order_per_p"},
	{test_1000_sleepers, "sleepers_1000"},
	{test_timers_survive_gomaxprocs, "timers_survive_gomaxprocs"},
};
KTEST_SUITE(time, time_cases);

/* ---- preempt ---- */

uint64_t vecloop_sse(uint64_t seed, uint64_t iterations);
uint64_t vecloop_avx(uint64_t seed, uint64_t iterations);

static volatile uint32_t printed, printed_while_spinning;

/* spinner never yields, for one second */
static void spinner(void *arg)
{
	(void)arg;
	int64_t end = nanotime() + 1000000000;
	while (nanotime() < end)
		;
	printed_while_spinning = __atomic_load_n(&printed, __ATOMIC_ACQUIRE);
}

static void printer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++) {
		printf("# tick %d\n", i);
		__atomic_add_fetch(&printed, 1, __ATOMIC_RELEASE);
		sleep_ns(10000000);
	}
}

/* With one P, a goroutine spinning for a second must not starve another
 * that prints every 10 ms: sysmon preempts it after 10 ms. With
 * asyncpreemptoff=1 it does starve it (as in Go), which this test then
 * expects: nothing printed while it spun. */
static void test_tight_loop_does_not_starve(void)
{
	int procs = gomaxprocs(1);
	printed = 0;
	printed_while_spinning = ~0u;
	go(printer, NULL);
	go(spinner, NULL);
	while (__atomic_load_n(&printed, __ATOMIC_ACQUIRE) < 10 || printed_while_spinning == ~0u)
		sleep_ns(10000000);
	gomaxprocs(procs);
	uint32_t got = printed_while_spinning;
	if (debug.asyncpreemptoff) {
		printf("# asyncpreemptoff=1: the printer printed %u of 10 times\n", got);
		KT_EXPECT_EQ(got, 0);
	} else {
		KT_EXPECT_EQ(got, 10);
	}
}

struct vecjob {
	uint64_t seed, bad;
	bool avx;
	uint64_t preempted;
	volatile uint32_t done;
};

static volatile uint32_t stopvec;

static void vecworker(void *arg)
{
	struct vecjob *j = arg;
	while (!__atomic_load_n(&stopvec, __ATOMIC_ACQUIRE))
		j->bad += j->avx ? vecloop_avx(j->seed, 20000) : vecloop_sse(j->seed, 20000);
	j->preempted = getg()->npreempt;
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

/* preempter asks for the vector workers' Ps to be preempted, over and over */
static volatile uint32_t stoppreempt;
static void preempter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stoppreempt, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < gomaxprocs_; i++) {
			p *pp = allp[i];
			m *mp = pp->m;
			g *gp = mp ? mp->curg : NULL;
			if (gp && gp != getg() && mp->cpu >= 0) {
				gp->preempt = true;
				extern void ospreempt(int cpu);
				ospreempt(mp->cpu);
			}
		}
		sleep_ns(200000);
	}
}

static void test_vector_state_survives(void)
{
	if (numcpu() < 2) {
		kt_skip("needs 2 CPUs (a preempter beside the workers)");
		return;
	}
	extern bool x86HasAVX;
	struct vecjob jobs[4] = {
		{ .seed = 0x1111111111111111ull }, { .seed = 0x2222222222222222ull },
		{ .seed = 0x3333333333333333ull, .avx = true }, { .seed = 0x4444444444444444ull, .avx = true },
	};
	int njobs = x86HasAVX ? 4 : 2;
	stoppreempt = stopvec = 0;
	uint64_t before = __atomic_load_n(&npreempt_total, __ATOMIC_RELAXED);
	go(preempter, NULL);
	for (int i = 0; i < njobs; i++)
		go(vecworker, &jobs[i]);
	/* until well over a thousand preemptions, or 60 s */
	int64_t end = nanotime() + 60ll * 1000000000;
	while (__atomic_load_n(&npreempt_total, __ATOMIC_RELAXED) - before < 1500 && nanotime() < end)
		sleep_ns(50000000);
	__atomic_store_n(&stopvec, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < njobs; i++)
		while (!__atomic_load_n(&jobs[i].done, __ATOMIC_ACQUIRE))
			sleep_ns(10000000);
	__atomic_store_n(&stoppreempt, 1, __ATOMIC_RELEASE);
	uint64_t total = 0;
	for (int i = 0; i < njobs; i++) {
		KT_EXPECT_EQ(jobs[i].bad, 0);
		total += jobs[i].preempted;
	}
	printf("# %d vector workers (%s), preempted %lu times, registers intact\n",
	       njobs, x86HasAVX ? "SSE and AVX" : "SSE", total);
	KT_ASSERT(total > 1000);
	sleep_ns(5000000);
}

/* Only the program's code is an asynchronous safe point: runtime C code
 * keeps getg()->m in registers, and a goroutine preempted there and
 * resumed on another M would update the old M. */
static void test_runtime_not_safepoint(void)
{
	KT_ASSERT(asyncsafepc((uintptr_t)test_runtime_not_safepoint));
	KT_ASSERT(asyncsafepc((uintptr_t)vecloop_sse));
	KT_ASSERT(!asyncsafepc((uintptr_t)lock));
	KT_ASSERT(!asyncsafepc((uintptr_t)chan_send));
	KT_ASSERT(!asyncsafepc((uintptr_t)schedule));
	KT_ASSERT(!asyncsafepc((uintptr_t)gogo));
	KT_ASSERT(!asyncsafepc((uintptr_t)mcall));
}

/* Goroutines in the runtime's channel and lock paths all the time, their
 * CPUs asked to preempt every 200 us: every value arrives once, and back
 * in its own code a goroutine's M never holds a lock count (a preemption
 * inside the runtime could leave one behind on the M it left). */
struct relay {
	chan_t *in, *out;
	int n;
	int locked;             /* times the M had m->locks != 0 in our code */
	volatile uint32_t done;
};

static void relayer(void *arg)
{
	struct relay *r = arg;
	for (int i = 0; i < r->n; i++) {
		long v;
		chan_recv(r->in, &v);
		chan_send(r->out, &v);
		if (getg()->m->locks != 0)
			r->locked++;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

static void test_preempted_in_channel_paths(void)
{
	if (numcpu() < 2) {
		kt_skip("needs 2 CPUs (a preempter beside the workers)");
		return;
	}
	enum { N = 20000, RELAYS = 4 };
	chan_t *c[RELAYS + 1];
	for (int i = 0; i <= RELAYS; i++)
		c[i] = chan_make(sizeof(long), 0);
	struct relay r[RELAYS];
	stoppreempt = 0;
	go(preempter, NULL);
	for (int i = 0; i < RELAYS; i++) {
		r[i] = (struct relay){ .in = c[i], .out = c[i + 1], .n = N };
		go(relayer, &r[i]);
	}
	long sum = 0;
	for (long v = 1; v <= N; v++) {
		chan_send(c[0], &v);
		long got;
		chan_recv(c[RELAYS], &got);
		sum += got;
	}
	for (int i = 0; i < RELAYS; i++)
		while (!__atomic_load_n(&r[i].done, __ATOMIC_ACQUIRE))
			gosched();
	__atomic_store_n(&stoppreempt, 1, __ATOMIC_RELEASE);
	sleep_ns(5000000);
	KT_EXPECT_EQ(sum, (long)N * (N + 1) / 2);
	int locked = 0;
	for (int i = 0; i < RELAYS; i++)
		locked += r[i].locked;
	KT_EXPECT_EQ(locked, 0);
	printf("# %d values through %d relays, %lu preemptions in all so far\n", N, RELAYS,
	       (unsigned long)__atomic_load_n(&npreempt_total, __ATOMIC_RELAXED));
	for (int i = 0; i <= RELAYS; i++)
		chan_close(c[i]);
}

static const struct ktest_case preempt_cases[] = {
	{test_tight_loop_does_not_starve, "tight_loop_does_not_starve"},
	{test_vector_state_survives, "vector_registers_survive_preemption"},
	{test_runtime_not_safepoint, "runtime_code_not_a_safe_point"},
	{test_preempted_in_channel_paths, "preempted_in_channel_paths"},
};
KTEST_SUITE(preempt, preempt_cases);

/* sleep10: every goroutine asleep in 100 ms timers for 10 s */
static void tick100(void *arg)
{
	volatile uint32_t *done = arg;
	for (int i = 0; i < 100; i++)
		sleep_ns(100000000);
	__atomic_add_fetch(done, 1, __ATOMIC_RELEASE);
}

static void sleep10(void)
{
	static volatile uint32_t done;
	for (int i = 0; i < 8; i++)
		go(tick100, (void *)&done);
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < 8)
		sleep_ns(100000000);
	printf("sleep10: done\n");
}
KTEST_MAIN(sleep10, sleep10);

/* echo: the harness types a line into COM1 once "echo: ready" shows;
 * it comes back, read with console_read (the reader parked meanwhile) */
static void echo(void)
{
	char line[128];
	int n = 0;
	printf("echo: ready\n");
	while (n < (int)sizeof line - 1) {
		int k = console_read(line + n, (int)sizeof line - 1 - n);
		n += k;
		if (line[n - 1] == '\n' || line[n - 1] == '\r')
			break;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = 0;
	printf("echo: %s\n", line);
}
KTEST_MAIN(echo, echo);
