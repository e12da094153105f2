/*
 * runq_test.c - host test for rt/runq.c, the run queues, built from the
 * runtime's own source: it needs only sched, gomaxprocs_, lock, unlock
 * and throw, which this file provides (a pthread mutex for sched.lock;
 * throw longjmps back when a test expects it).
 *
 *   - runqput/runqget: FIFO order, runnext first and kicking the old
 *     runnext to the tail, runqempty and runqlen;
 *   - a full queue of 256: the next runqput moves the oldest 128 plus the
 *     new G to the global queue, in order, in one batch;
 *   - runqsteal takes the older half (rounded up) of the victim's queue,
 *     returns the newest of them and queues the rest; with stealRunNextG
 *     it takes runnext when the queue is empty; a thief's full queue
 *     throws;
 *   - globrunqget: a fair share, at most max and half a queue;
 *   - head and tail counters that wrap around 2^32;
 *   - 300,000 random operations on three Ps compared step by step with a
 *     model (plain arrays), every P's ring and the global queue checked;
 *   - four threads, each owning a P, putting, getting and stealing from
 *     each other at once: every G comes out exactly once.
 *
 *   build/host/runq_test [seed]                 (make test-host runs it)
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#include "check.h"

/* ---- what runq.c needs from the rest of the runtime ---- */

struct schedt sched;
int32_t gomaxprocs_ = 1;

static pthread_mutex_t sched_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t sched_owner;
static int sched_held;                 /* under sched_mu */

void lock(struct mutex *l)
{
	if (l != &sched.lock) {
		fprintf(stderr, "lock: runq.c takes only sched.lock\n");
		abort();
	}
	if (__atomic_load_n(&sched_held, __ATOMIC_RELAXED) && pthread_equal(sched_owner, pthread_self())) {
		fprintf(stderr, "lock: sched.lock taken twice by one thread (a deadlock in the runtime)\n");
		abort();
	}
	pthread_mutex_lock(&sched_mu);
	sched_owner = pthread_self();
	__atomic_store_n(&sched_held, 1, __ATOMIC_RELAXED);
	l->key = 1;
}

void unlock(struct mutex *l)
{
	l->key = 0;
	__atomic_store_n(&sched_held, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sched_mu);
}

static jmp_buf throw_jmp;
static int throw_armed;
static const char *thrown;

_Noreturn void throw(const char *msg)
{
	if (throw_armed) {
		thrown = msg;
		longjmp(throw_jmp, 1);
	}
	fprintf(stderr, "fatal error: %s\n", msg);
	abort();
}

/* ---- Gs and Ps ---- */

#define NG 4096
static g G[NG];
static p P[4];

static void reset_p(p *pp, uint32_t start)
{
	memset(pp, 0, sizeof *pp);
	pp->runqhead = pp->runqtail = start;
	pp->status = _Pidle;
}

static void reset_sched(void)
{
	memset(&sched.runq, 0, sizeof sched.runq);
	sched.runqsize = 0;
}

static int gi(g *gp) { return gp ? (int)(gp - G) : -1; }

/* ---- directed cases ---- */

static void t_fifo(uint32_t start)
{
	reset_p(&P[0], start);
	reset_sched();
	CHECK(runqempty(&P[0]) && runqlen(&P[0]) == 0, "empty at %#x", start);
	CHECK(runqget(&P[0]) == NULL, "get from empty");
	for (int i = 0; i < 10; i++)
		runqput(&P[0], &G[i], false);
	CHECK(!runqempty(&P[0]) && runqlen(&P[0]) == 10, "len 10");
	for (int i = 0; i < 10; i++) {
		g *gp = runqget(&P[0]);
		CHECK(gp == &G[i], "fifo at %#x: got %d, want %d", start, gi(gp), i);
	}
	CHECK(runqempty(&P[0]) && runqget(&P[0]) == NULL, "drained");

	/* runnext: first out; a second one kicks the first to the tail */
	runqput(&P[0], &G[0], false);
	runqput(&P[0], &G[1], true);
	CHECK(runqlen(&P[0]) == 2 && P[0].runnext == &G[1], "runnext set");
	runqput(&P[0], &G[2], true);
	CHECK(P[0].runnext == &G[2] && runqlen(&P[0]) == 3, "runnext replaced");
	static const int want[] = { 2, 0, 1 };
	for (int i = 0; i < 3; i++) {
		g *gp = runqget(&P[0]);
		CHECK(gp == &G[want[i]], "runnext order: got %d, want %d", gi(gp), want[i]);
	}
	runqput(&P[0], &G[3], true);
	CHECK(!runqempty(&P[0]) && runqlen(&P[0]) == 1, "runnext alone is not empty");
	CHECK(runqget(&P[0]) == &G[3] && runqempty(&P[0]), "runnext alone");

	/* a G from runnext inherits the time slice; one from the queue starts one */
	bool inherit = false;
	runqput(&P[0], &G[4], false);
	runqput(&P[0], &G[5], true);
	CHECK(runqget_inherit(&P[0], &inherit) == &G[5] && inherit, "runnext inherits the slice");
	CHECK(runqget_inherit(&P[0], &inherit) == &G[4] && !inherit, "the queue's head does not");
	CHECK(runqget_inherit(&P[0], &inherit) == NULL && !inherit, "empty: nothing to inherit");
}

static void t_overflow(uint32_t start)
{
	reset_p(&P[0], start);
	reset_sched();
	for (int i = 0; i < RUNQ_SIZE; i++)
		runqput(&P[0], &G[i], false);
	CHECK(runqlen(&P[0]) == RUNQ_SIZE && sched.runqsize == 0, "full, nothing global");
	runqput(&P[0], &G[RUNQ_SIZE], false);
	CHECK(runqlen(&P[0]) == RUNQ_SIZE / 2, "half left: %u", runqlen(&P[0]));
	CHECK(sched.runqsize == RUNQ_SIZE / 2 + 1, "global %d", sched.runqsize);
	g *gp = sched.runq.head;
	for (int i = 0; i < RUNQ_SIZE / 2; i++, gp = gp ? gp->schedlink : NULL)
		CHECK(gp == &G[i], "global[%d] is %d", i, gi(gp));
	CHECK(gp == &G[RUNQ_SIZE] && gp->schedlink == NULL && sched.runq.tail == gp,
	      "the new G last on the global queue");
	CHECK(sched.lock.key == 0, "sched.lock released");
	for (int i = RUNQ_SIZE / 2; i < RUNQ_SIZE; i++) {
		g *x = runqget(&P[0]);
		CHECK(x == &G[i], "local after overflow: got %d, want %d", gi(x), i);
	}

	/* a runnext put on a full queue spills the old runnext */
	reset_p(&P[0], start);
	reset_sched();
	runqput(&P[0], &G[1000], true);
	for (int i = 0; i < RUNQ_SIZE; i++)
		runqput(&P[0], &G[i], false);
	runqput(&P[0], &G[1001], true);
	CHECK(P[0].runnext == &G[1001] && sched.runqsize == RUNQ_SIZE / 2 + 1 &&
	      sched.runq.tail == &G[1000], "old runnext spilled to the global tail");
}

static void t_steal(uint32_t start)
{
	for (int n = 0; n <= RUNQ_SIZE; n += (n < 8 ? 1 : 37)) {
		reset_p(&P[0], start);
		reset_p(&P[1], start + 1000u * (uint32_t)n);
		for (int i = 0; i < n; i++)
			runqput(&P[1], &G[i], false);
		int take = n - n / 2;
		g *gp = runqsteal(&P[0], &P[1], false);
		if (n == 0) {
			CHECK(gp == NULL, "steal from empty");
			continue;
		}
		CHECK(gp == &G[take - 1], "steal %d: returned %d, want %d", n, gi(gp), take - 1);
		CHECK(runqlen(&P[0]) == (uint32_t)take - 1, "steal %d: thief has %u", n, runqlen(&P[0]));
		CHECK(runqlen(&P[1]) == (uint32_t)(n / 2), "steal %d: victim has %u", n, runqlen(&P[1]));
		for (int i = 0; i < take - 1; i++)
			CHECK(runqget(&P[0]) == &G[i], "steal %d: thief's %d", n, i);
		for (int i = take; i < n; i++)
			CHECK(runqget(&P[1]) == &G[i], "steal %d: victim's %d", n, i);
	}

	/* runnext: only with stealRunNextG, only when the queue is empty */
	for (int running = 0; running < 2; running++) {
		reset_p(&P[0], start);
		reset_p(&P[1], start);
		P[1].status = running ? _Prunning : _Pidle;
		runqput(&P[1], &G[7], true);
		CHECK(runqsteal(&P[0], &P[1], false) == NULL, "runnext kept without stealRunNextG");
		CHECK(runqsteal(&P[0], &P[1], true) == &G[7] && P[1].runnext == NULL &&
		      runqempty(&P[0]), "runnext stolen");
	}
	reset_p(&P[0], start);
	reset_p(&P[1], start);
	runqput(&P[1], &G[1], false);
	runqput(&P[1], &G[2], true);
	CHECK(runqsteal(&P[0], &P[1], true) == &G[1] && P[1].runnext == &G[2],
	      "the queue before runnext");

	/* a thief's own queue must keep room for the batch (the runtime steals
	 * only into an empty one): 4 stolen into 252 fit, into 253 the last
	 * one lands on the head's slot, which throws */
	for (int have = RUNQ_SIZE - 4; have <= RUNQ_SIZE - 3; have++) {
		reset_p(&P[0], start);
		reset_p(&P[1], start);
		for (int i = 0; i < have; i++)
			runqput(&P[0], &G[i], false);
		for (int i = 0; i < 8; i++)
			runqput(&P[1], &G[1000 + i], false);
		throw_armed = 1;
		thrown = NULL;
		static g *gp;           /* static: kept across the longjmp */
		gp = NULL;
		if (!setjmp(throw_jmp))
			gp = runqsteal(&P[0], &P[1], false);
		throw_armed = 0;
		if (have == RUNQ_SIZE - 4) {
			CHECK(!thrown && gp == &G[1003] && runqlen(&P[0]) == RUNQ_SIZE - 1,
			      "a batch that fits: %s", thrown ? thrown : "no throw");
			for (int i = 0; i < have; i++)
				CHECK(runqget(&P[0]) == &G[i], "own Gs kept, %d", i);
			for (int i = 0; i < 3; i++)
				CHECK(runqget(&P[0]) == &G[1000 + i], "stolen Gs after them, %d", i);
		} else {
			CHECK(thrown && strcmp(thrown, "runqsteal: runq overflow") == 0,
			      "overflow throws: %s", thrown ? thrown : "nothing");
		}
	}
}

static void t_globrunqget(void)
{
	static const struct { int32_t size, procs, max, want; } t[] = {
		{ 0, 1, 0, 0 }, { 1, 1, 0, 1 }, { 10, 1, 0, 10 }, { 10, 4, 0, 3 }, { 10, 4, 1, 1 },
		{ 10, 20, 0, 1 }, { 300, 1, 0, RUNQ_SIZE / 2 }, { 300, 2, 0, RUNQ_SIZE / 2 },
		{ 300, 3, 0, 101 }, { 300, 1, 5, 5 },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		reset_p(&P[0], 0xfffffff0u);
		reset_sched();
		gomaxprocs_ = t[k].procs;
		for (int i = 0; i < t[k].size; i++)
			globrunqput(&G[i]);
		lock(&sched.lock);
		g *gp = globrunqget(&P[0], t[k].max);
		unlock(&sched.lock);
		int got = gp ? 1 + (int)runqlen(&P[0]) : 0;
		CHECK(got == t[k].want && sched.runqsize == t[k].size - got,
		      "globrunqget size %d procs %d max %d: took %d, want %d", t[k].size, t[k].procs,
		      t[k].max, got, t[k].want);
		CHECK(gp == (t[k].size ? &G[0] : NULL), "globrunqget returns the head");
		for (int i = 1; i < got; i++)
			CHECK(runqget(&P[0]) == &G[i], "globrunqget order");
		CHECK(sched.runq.head == (got < t[k].size ? &G[got] : NULL), "global head after");
	}
	gomaxprocs_ = 1;
}

static void t_gqueue(void)
{
	struct gqueue q = { 0 };
	CHECK(gqueue_pop(&q) == NULL, "pop empty");
	for (int i = 0; i < 5; i++)
		gqueue_push(&q, &G[i]);
	for (int i = 0; i < 5; i++)
		CHECK(gqueue_pop(&q) == &G[i], "gqueue order");
	CHECK(q.head == NULL && q.tail == NULL, "gqueue empty again");
	gqueue_push(&q, &G[9]);
	CHECK(q.head == &G[9] && q.tail == &G[9] && G[9].schedlink == NULL, "reused");
}

/* ---- random operations against a model ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NP 3

static struct model {
	int q[RUNQ_SIZE * 2], n;    /* G indexes, oldest first */
	int next;                   /* -1: none */
} M[NP];
static int MG[NG], MGn;             /* the global queue */
static int pool[NG], npool;         /* Gs on no queue */
static int spills;                  /* full queues moved half to the global one */

static void m_local_put(struct model *m, int x)
{
	if (m->n < RUNQ_SIZE) {
		m->q[m->n++] = x;
		return;
	}
	int half = RUNQ_SIZE / 2;
	spills++;
	for (int i = 0; i < half; i++)
		MG[MGn++] = m->q[i];
	MG[MGn++] = x;
	memmove(m->q, m->q + half, sizeof m->q[0] * (size_t)(m->n - half));
	m->n -= half;
}

static void m_put(struct model *m, int x, bool next)
{
	if (next) {
		int old = m->next;
		m->next = x;
		if (old < 0)
			return;
		x = old;
	}
	m_local_put(m, x);
}

static int m_get(struct model *m)
{
	if (m->next >= 0) {
		int x = m->next;
		m->next = -1;
		return x;
	}
	if (m->n == 0)
		return -1;
	int x = m->q[0];
	memmove(m->q, m->q + 1, sizeof m->q[0] * (size_t)--m->n);
	return x;
}

static int m_steal(struct model *m, struct model *v, bool stealnext)
{
	int n = v->n - v->n / 2;
	if (n == 0) {
		if (!stealnext || v->next < 0)
			return -1;
		int x = v->next;
		v->next = -1;
		return x;
	}
	for (int i = 0; i < n - 1; i++)
		m->q[m->n++] = v->q[i];
	int x = v->q[n - 1];
	memmove(v->q, v->q + n, sizeof v->q[0] * (size_t)(v->n - n));
	v->n -= n;
	return x;
}

static int m_globget(struct model *m, int max)
{
	if (MGn == 0)
		return -1;
	int n = MGn / gomaxprocs_ + 1;
	if (n > MGn)
		n = MGn;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	int taken[RUNQ_SIZE / 2];
	memcpy(taken, MG, sizeof taken[0] * (size_t)n);
	memmove(MG, MG + n, sizeof MG[0] * (size_t)(MGn - n));
	MGn -= n;
	for (int i = 1; i < n; i++)
		m_local_put(m, taken[i]);
	return taken[0];
}

static bool same_state(int it)
{
	bool ok = true;
	for (int k = 0; k < NP; k++) {
		p *pp = &P[k];
		uint32_t n = pp->runqtail - pp->runqhead;
		if (n != (uint32_t)M[k].n || gi(pp->runnext) != M[k].next) {
			CHECK(0, "op %d: P%d has %u (+runnext %d), model %d (+%d)", it, k, n,
			      gi(pp->runnext), M[k].n, M[k].next);
			ok = false;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			if (gi(pp->runq[(pp->runqhead + i) % RUNQ_SIZE]) != M[k].q[i]) {
				CHECK(0, "op %d: P%d slot %u differs from the model", it, k, i);
				ok = false;
				break;
			}
		if (runqlen(pp) != n + (pp->runnext ? 1 : 0) || runqempty(pp) != (n == 0 && !pp->runnext)) {
			CHECK(0, "op %d: P%d runqlen/runqempty wrong", it, k);
			ok = false;
		}
	}
	g *gp = sched.runq.head;
	for (int i = 0; i < MGn; i++, gp = gp->schedlink)
		if (gi(gp) != MG[i]) {
			CHECK(0, "op %d: global queue slot %d differs from the model", it, i);
			return false;
		}
	if (gp != NULL || sched.runqsize != MGn || (MGn && gi(sched.runq.tail) != MG[MGn - 1])) {
		CHECK(0, "op %d: global queue size %d, model %d", it, sched.runqsize, MGn);
		ok = false;
	}
	return ok;
}

static void t_model(int iters)
{
	reset_sched();
	for (int k = 0; k < NP; k++) {
		reset_p(&P[k], (uint32_t)rnd());       /* counters anywhere, wrapping too */
		M[k].n = 0;
		M[k].next = -1;
	}
	MGn = 0;
	npool = 0;
	for (int i = NG - 1; i >= 0; i--)
		pool[npool++] = i;
	int counts[5] = { 0 };
	for (int it = 0; it < iters; it++) {
		uint64_t r = rnd();
		int k = (int)((r >> 8) % NP), op = (int)(r % 100);
		/* phases that fill or drain, so both full and empty queues occur */
		bool filling = (it / 5000) % 2 == 0;
		p *pp = &P[k];
		if (op < (filling ? 55 : 25)) {
			if (npool == 0)
				continue;
			int x = pool[--npool];
			bool next = (r >> 16) % 5 == 0;
			m_put(&M[k], x, next);
			runqput(pp, &G[x], next);
			counts[0]++;
		} else if (op < 80) {
			int want = m_get(&M[k]);
			int got = gi(runqget(pp));
			CHECK(got == want, "op %d: runqget %d, model %d", it, got, want);
			if (got >= 0)
				pool[npool++] = got;
			counts[1]++;
		} else if (op < 92) {
			/* the runtime steals only into an empty queue */
			int v = (k + 1 + (int)((r >> 20) % (NP - 1))) % NP;
			if (M[k].n != 0 || M[k].next >= 0)
				continue;
			bool stealnext = (r >> 24) & 1;
			int want = m_steal(&M[k], &M[v], stealnext);
			int got = gi(runqsteal(pp, &P[v], stealnext));
			CHECK(got == want, "op %d: runqsteal %d, model %d", it, got, want);
			if (got >= 0)
				pool[npool++] = got;
			counts[2]++;
		} else {
			/* as schedule (max 1, any queue) and findrunnable (max 0, empty queue) do */
			int max = (r >> 28) & 1;
			if (max == 0 && (M[k].n != 0 || M[k].next >= 0))
				max = 1;
			gomaxprocs_ = 1 + (int32_t)((r >> 32) % NP);
			int want = m_globget(&M[k], max);
			lock(&sched.lock);
			int got = gi(globrunqget(pp, max));
			unlock(&sched.lock);
			CHECK(got == want, "op %d: globrunqget %d, model %d", it, got, want);
			if (got >= 0)
				pool[npool++] = got;
			counts[max ? 3 : 4]++;
		}
		if (!same_state(it))
			break;
	}
	gomaxprocs_ = 1;
	printf("  model: %d ops (%d puts, %d spills, %d gets, %d steals, %d+%d globrunqgets)\n",
	       iters, counts[0], spills, counts[1], counts[2], counts[3], counts[4]);
}

/* ---- threads ---- */

#define NT 4
#define PER_THREAD 100000

static int seen[NT * PER_THREAD];
static g TG[NT * PER_THREAD];
static int done_producing;

static void take(g *gp)
{
	__atomic_fetch_add(&seen[gp - TG], 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	int k = (int)(intptr_t)arg;
	p *pp = &P[k];
	uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
	int made = 0;
	bool finished = false;
	for (;;) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		if (made < PER_THREAD && r % 3 != 0) {
			runqput(pp, &TG[k * PER_THREAD + made++], r % 7 == 0);
			continue;
		}
		if (made == PER_THREAD && !finished) {
			__atomic_fetch_add(&done_producing, 1, __ATOMIC_RELEASE);
			finished = true;
		}
		/* as findrunnable: the own queue, then a victim's, then the global one */
		g *gp = runqget(pp);
		if (!gp)
			gp = runqsteal(pp, &P[(k + 1 + (int)((r >> 8) % (NT - 1))) % NT], (r >> 16) & 1);
		if (!gp) {
			lock(&sched.lock);
			gp = globrunqget(pp, 0);
			unlock(&sched.lock);
		}
		if (gp)
			take(gp);
		else if (finished && __atomic_load_n(&done_producing, __ATOMIC_ACQUIRE) == NT)
			return NULL;    /* what others still hold is drained after the join */
	}
}

static void t_threads(void)
{
	reset_sched();
	memset(seen, 0, sizeof seen);
	done_producing = 0;
	gomaxprocs_ = NT;
	for (int k = 0; k < NT; k++) {
		reset_p(&P[k], 0xffffff00u);
		P[k].status = _Prunning;
	}
	pthread_t th[NT];
	for (int k = 0; k < NT; k++)
		pthread_create(&th[k], NULL, worker, (void *)(intptr_t)k);
	for (int k = 0; k < NT; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < NT; k++)
		for (g *gp; (gp = runqget(&P[k]));)
			take(gp);
	for (g *gp; (gp = gqueue_pop(&sched.runq));)
		take(gp);
	int lost = 0, dup = 0;
	for (int i = 0; i < NT * PER_THREAD; i++) {
		lost += seen[i] == 0;
		dup += seen[i] > 1;
	}
	CHECK(lost == 0 && dup == 0, "threads: %d Gs lost, %d taken twice", lost, dup);
	printf("  threads: %d Gs through %d Ps, %d lost, %d twice\n", NT * PER_THREAD, NT, lost, dup);
	gomaxprocs_ = 1;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rng = strtoull(argv[1], NULL, 0) | 1;
	static const uint32_t starts[] = { 0, 100, 0xffffffffu - 5, 0xffffff80u };
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		t_fifo(starts[i]);
		t_overflow(starts[i]);
		t_steal(starts[i]);
	}
	t_globrunqget();
	t_gqueue();
	t_model(300000);
	t_threads();
	printf("runq_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
