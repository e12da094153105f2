/*
 * sync_test.c - suite "sync": mutex_t, waitgroup_t and once_t (run by
 * tests/cases.py at -smp 4). Scenarios, each ending the machine with Go's
 * words:
 *   test=unlockunlocked  mutex_unlock of an unlocked mutex (a throw)
 *   test=wgnegative      wg_add takes the counter below zero (a panic)
 *
 * The suite synchronises its own goroutines with atomics and gosched, not
 * channels, so that a channel bug cannot show up as a sync failure.
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define SEC 1000000000ll

/* waitfor yields until *v reaches want, for at most 60 s. */
static bool waitfor(volatile uint32_t *v, uint32_t want)
{
	int64_t end = nanotime() + 60 * SEC;
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		if (nanotime() > end)
			return false;
		gosched();
	}
	return true;
}

/* ---- mutex ---- */

#define NLOCKERS 8
#define NINCR 1000000

static mutex_t cmu;
static uint64_t counter;        /* cmu */
static volatile uint32_t lockers_done;

static void locker(void *arg)
{
	int n = (int)(intptr_t)arg;
	for (int i = 0; i < n; i++) {
		mutex_lock(&cmu);
		/* a read and a write apart, so a second holder would lose updates */
		uint64_t c = *(volatile uint64_t *)&counter;
		*(volatile uint64_t *)&counter = c + 1;
		mutex_unlock(&cmu);
	}
	__atomic_add_fetch(&lockers_done, 1, __ATOMIC_RELEASE);
}

static void test_mutex_counter(void)
{
	int64_t t0 = nanotime();
	counter = 0;
	lockers_done = 0;
	for (int i = 0; i < NLOCKERS; i++)
		go(locker, (void *)(intptr_t)(NINCR / NLOCKERS));
	KT_ASSERT(waitfor(&lockers_done, NLOCKERS));
	mutex_lock(&cmu);
	KT_EXPECT_EQ(counter, NINCR);
	mutex_unlock(&cmu);
	printf("# %d goroutines, %d increments on %d CPUs: %ld ms\n", NLOCKERS, NINCR, gomaxprocs(0),
	       (long)((nanotime() - t0) / 1000000));
}

static mutex_t tmu;
static volatile uint32_t tl_step;
static volatile bool tl_got;

static void trylocker(void *arg)
{
	(void)arg;
	tl_got = mutex_trylock(&tmu);
	__atomic_store_n(&tl_step, 1, __ATOMIC_RELEASE);
	/* hold it (if taken) until main has looked */
	waitfor(&tl_step, 2);
	if (tl_got)
		mutex_unlock(&tmu);
	__atomic_store_n(&tl_step, 3, __ATOMIC_RELEASE);
}

static void test_mutex_trylock(void)
{
	KT_ASSERT(mutex_trylock(&tmu));
	KT_ASSERT(!mutex_trylock(&tmu));        /* not reentrant */
	mutex_unlock(&tmu);
	KT_ASSERT(mutex_trylock(&tmu));
	mutex_unlock(&tmu);
	mutex_lock(&tmu);
	KT_ASSERT(!mutex_trylock(&tmu));

	/* held by main: another goroutine's trylock fails and does not block */
	tl_step = 0;
	go(trylocker, NULL);
	KT_ASSERT(waitfor(&tl_step, 1));
	KT_ASSERT(!tl_got);
	__atomic_store_n(&tl_step, 2, __ATOMIC_RELEASE);
	KT_ASSERT(waitfor(&tl_step, 3));
	mutex_unlock(&tmu);

	/* held by another goroutine: main's trylock fails, and works once it lets go */
	tl_step = 0;
	go(trylocker, NULL);
	KT_ASSERT(waitfor(&tl_step, 1));
	KT_ASSERT(tl_got);
	KT_ASSERT(!mutex_trylock(&tmu));
	__atomic_store_n(&tl_step, 2, __ATOMIC_RELEASE);
	KT_ASSERT(waitfor(&tl_step, 3));
	KT_ASSERT(mutex_trylock(&tmu));
	mutex_unlock(&tmu);
}

/*
 * Starvation mode. A holder keeps the mutex almost all the time, letting
 * go only between an unlock and an immediate relock; a waiter that has
 * waited over 1 ms must then be handed the mutex at an unlock instead of
 * losing the race to the relock forever.
 *
 * The 1 ms starts when the holder first sees the waiter parked on the
 * mutex, which is after the waiter's own clock started, however the host
 * stalls either. With one P the outcome is then independent of timing:
 * the holder yields while holding the mutex, so the woken waiter runs (and
 * fails) once per round, and the first time it runs after its 1 ms it
 * marks the mutex starving and the next unlock must hand it over: a few
 * rounds. With every P the waiter runs beside the holder; there only a
 * generous runtime-clock limit applies, which a stalled CPU only stretches.
 */
static mutex_t smu;
static g *volatile st_waiterg;
static volatile uint32_t st_acquired, st_holder_done, st_waiter_done;
static int64_t st_rounds_late, st_rounds, st_late_max;
static bool st_yield;

static void starve_waiter(void *arg)
{
	(void)arg;
	st_waiterg = getg();
	mutex_lock(&smu);
	__atomic_store_n(&st_acquired, 1, __ATOMIC_RELEASE);
	mutex_unlock(&smu);
	__atomic_store_n(&st_waiter_done, 1, __ATOMIC_RELEASE);
}

static void starve_holder(void *arg)
{
	int64_t limit = (int64_t)(intptr_t)arg * SEC;
	mutex_lock(&smu);
	go(starve_waiter, NULL);
	int64_t start = nanotime(), parked = 0, late = 0, rounds = 0;
	while (!__atomic_load_n(&st_acquired, __ATOMIC_ACQUIRE)) {
		if (st_yield) {
			gosched();
		} else {
			/* hold it a while: the unlocked window is a few instructions wide */
			for (volatile int i = 0; i < 200; i++)
				;
		}
		/* here, just before the unlock that wakes it, is when the waiter
		 * is parked (with one P, always) */
		int64_t now = nanotime();
		g *wg = st_waiterg;
		if (!parked && wg && readgstatus(wg) == _Gwaiting &&
		    __atomic_load_n(&wg->waitreason, __ATOMIC_RELAXED) == waitReasonSyncMutexLock)
			parked = now;
		if (parked && now - parked > 1000000)
			late++;
		if (late > st_late_max || now - start > limit)
			break;
		mutex_unlock(&smu);
		mutex_lock(&smu);
		rounds++;
	}
	st_rounds_late = late;
	st_rounds = rounds;
	mutex_unlock(&smu);
	__atomic_store_n(&st_holder_done, 1, __ATOMIC_RELEASE);
}

static void starvation(int procs_wanted, bool yield, int64_t late_max, int limit_s)
{
	int procs = gomaxprocs(procs_wanted);
	st_waiterg = NULL;
	st_acquired = st_holder_done = st_waiter_done = 0;
	st_yield = yield;
	st_late_max = late_max;
	go(starve_holder, (void *)(intptr_t)limit_s);
	bool ok = waitfor(&st_holder_done, 1) && waitfor(&st_waiter_done, 1);
	gomaxprocs(procs);
	KT_ASSERT(ok);
	printf("# GOMAXPROCS=%d: the waiter got the mutex after %ld rounds, %ld of them after its 1 ms\n",
	       procs_wanted, (long)st_rounds, (long)st_rounds_late);
	KT_ASSERT(st_acquired);
	KT_ASSERT(st_rounds_late <= late_max);
}

/* two or three rounds would do */
static void test_starvation_one_p(void) { starvation(1, true, 20, 30); }

static void test_starvation_all_ps(void)
{
	if (numcpu() < 2) {
		kt_skip("needs 2 CPUs");
		return;
	}
	/* no bound on rounds: a woken waiter may sit in the holder's P's
	 * runnext until an idle P steals it or sysmon preempts the holder, and
	 * its virtual CPU may stall; the 20 s limit is what counts here */
	starvation(numcpu(), false, INT64_MAX, 20);
}

/* ---- WaitGroup ---- */

#define NWG 10000

static waitgroup_t bigwg;
static volatile uint32_t wg_ran, wg_waiters_done, wg_waiters_bad;

static void wg_worker(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&wg_ran, 1, __ATOMIC_RELAXED);
	wg_done(&bigwg);
}

static void wg_waiter(void *arg)
{
	(void)arg;
	wg_wait(&bigwg);
	if (__atomic_load_n(&wg_ran, __ATOMIC_ACQUIRE) != NWG)
		__atomic_add_fetch(&wg_waiters_bad, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&wg_waiters_done, 1, __ATOMIC_RELEASE);
}

static void test_waitgroup_10000(void)
{
	wg_ran = wg_waiters_done = wg_waiters_bad = 0;
	/* half added up front, half one by one as Go programs do; main's own
	 * count keeps the counter above zero (Go forbids an Add from zero while
	 * Wait is blocked) */
	wg_add(&bigwg, 1 + NWG / 2);
	for (int i = 0; i < 4; i++)
		go(wg_waiter, NULL);
	for (int i = 0; i < NWG / 2; i++)
		go(wg_worker, NULL);
	for (int i = 0; i < NWG / 2; i++) {
		wg_add(&bigwg, 1);
		go(wg_worker, NULL);
	}
	wg_done(&bigwg);
	wg_wait(&bigwg);
	KT_EXPECT_EQ(wg_ran, NWG);
	KT_ASSERT(waitfor(&wg_waiters_done, 4));
	KT_EXPECT_EQ(wg_waiters_bad, 0);

	/* reusable once every Wait has returned; Wait on a zero counter returns at once */
	wg_wait(&bigwg);
	wg_ran = 0;
	wg_add(&bigwg, 100);
	for (int i = 0; i < 100; i++)
		go(wg_worker, NULL);
	wg_wait(&bigwg);
	KT_EXPECT_EQ(wg_ran, 100);
}

/* ---- Once ---- */

#define NONCE 100

static once_t once;
static volatile uint32_t once_calls, once_finished, once_gate, once_returned, once_early;

static void once_fn(void)
{
	__atomic_add_fetch(&once_calls, 1, __ATOMIC_RELAXED);
	/* long enough that the other callers arrive while it runs */
	sleep_ns(10000000);
	__atomic_store_n(&once_finished, 1, __ATOMIC_RELEASE);
}

static void once_caller(void *arg)
{
	(void)arg;
	waitfor(&once_gate, 1);
	once_do(&once, once_fn);
	if (!__atomic_load_n(&once_finished, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&once_early, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&once_returned, 1, __ATOMIC_RELEASE);
}

static void test_once_race(void)
{
	once_calls = once_finished = once_gate = once_returned = once_early = 0;
	for (int i = 0; i < NONCE; i++)
		go(once_caller, NULL);
	__atomic_store_n(&once_gate, 1, __ATOMIC_RELEASE);
	KT_ASSERT(waitfor(&once_returned, NONCE));
	KT_EXPECT_EQ(once_calls, 1);
	KT_EXPECT_EQ(once_early, 0);
	once_do(&once, once_fn);
	KT_EXPECT_EQ(once_calls, 1);
}

/* ---- zero values ---- */

static mutex_t zmu;
static waitgroup_t zwg;
static once_t zonce;
static volatile uint32_t zonce_calls, zdone;

static void zonce_fn(void) { zonce_calls++; }

static void zworker(void *arg)
{
	waitgroup_t *wg = arg;
	__atomic_add_fetch(&zdone, 1, __ATOMIC_RELAXED);
	wg_done(wg);
}

static void test_zero_values(void)
{
	/* static */
	mutex_lock(&zmu);
	KT_ASSERT(!mutex_trylock(&zmu));
	mutex_unlock(&zmu);
	wg_wait(&zwg);
	once_do(&zonce, zonce_fn);
	once_do(&zonce, zonce_fn);
	KT_EXPECT_EQ(zonce_calls, 1);

	/* calloc'd */
	struct { mutex_t m; waitgroup_t wg; once_t o; } *h = calloc(1, sizeof *h);
	KT_ASSERT(mutex_trylock(&h->m));
	mutex_unlock(&h->m);
	mutex_lock(&h->m);
	mutex_unlock(&h->m);
	wg_wait(&h->wg);
	zdone = 0;
	wg_add(&h->wg, 3);
	for (int i = 0; i < 3; i++)
		go(zworker, &h->wg);
	wg_wait(&h->wg);
	KT_EXPECT_EQ(zdone, 3);
	zonce_calls = 0;
	once_do(&h->o, zonce_fn);
	once_do(&h->o, zonce_fn);
	KT_EXPECT_EQ(zonce_calls, 1);
	free(h);

	/* on the stack, zeroed by an initializer */
	mutex_t sm = {0};
	once_t so = {0};
	waitgroup_t swg = {0};
	mutex_lock(&sm);
	mutex_unlock(&sm);
	wg_wait(&swg);
	zonce_calls = 0;
	once_do(&so, zonce_fn);
	KT_EXPECT_EQ(zonce_calls, 1);
}

static const struct ktest_case sync_cases[] = {
	{test_mutex_counter, "mutex_counter_1m"},
	{test_mutex_trylock, "mutex_trylock"},
	{test_starvation_one_p, "mutex_starvation_one_p"},
	{test_starvation_all_ps, "mutex_starvation_all_ps"},
	{test_waitgroup_10000, "waitgroup_10000"},
	{test_once_race, "once_race_100"},
	{test_zero_values, "zero_values"},
};
KTEST_SUITE(sync, sync_cases);

/* ---- scenarios; a call is never the last statement, so every frame stays ---- */

static __attribute__((noinline)) void unlockunlocked(void)
{
	static mutex_t m;
	mutex_unlock(&m);
	printf("unlockunlocked: unlock returned\n");
}
KTEST_SCENARIO(unlockunlocked, unlockunlocked);

static __attribute__((noinline)) void wgnegative(void)
{
	static waitgroup_t wg;
	wg_add(&wg, 1);
	wg_done(&wg);
	wg_done(&wg);
	printf("wgnegative: done returned\n");
}
KTEST_SCENARIO(wgnegative, wgnegative);
