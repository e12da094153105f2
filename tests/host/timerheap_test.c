/*
 * timerheap_test.c - host test for rt/timerheap.h, a P's 4-ary timer heap
 * (time.c): after every push and remove, the heap property (no child
 * earlier than its parent), every timer's idx equal to its slot and pp to
 * its P, removed timers with pp NULL and idx -1, ntimers and timer0When
 * right. Directed cases first (removing the root, the last slot, a slot
 * whose replacement must move up rather than down, equal whens, growth
 * past 64 and 256 slots, INT64_MAX), then 400,000 random pushes and
 * removes on three Ps with whens from narrow and wide ranges, checked
 * against a model of which timer is on which P, with moveTimers' loop
 * (everything from one P onto another) now and then. Draining a heap by
 * its root yields the whens in order.
 *
 *   build/host/timerheap_test [seed]            (make test-host runs it)
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timerheap.h"

#include "check.h"

/* heap_ok checks pp's heap entirely; what names the step for a failure. */
static bool heap_ok(p *pp, const char *what)
{
	int n = pp->ntimers;
	if (n < 0 || n > pp->captimers) {
		CHECK(0, "%s: ntimers %d, captimers %d", what, n, pp->captimers);
		return false;
	}
	for (int i = 0; i < n; i++) {
		struct timer *t = pp->timers[i];
		if (t->idx != i || t->pp != pp) {
			CHECK(0, "%s: slot %d holds a timer with idx %d, pp %p", what, i, t->idx, (void *)t->pp);
			return false;
		}
		if (i > 0 && pp->timers[(i - 1) / 4]->when > t->when) {
			CHECK(0, "%s: slot %d (when %ld) earlier than its parent %d (when %ld)", what, i,
			      (long)t->when, (i - 1) / 4, (long)pp->timers[(i - 1) / 4]->when);
			return false;
		}
	}
	int64_t t0 = n ? pp->timers[0]->when : 0;
	if (pp->timer0When != t0) {
		CHECK(0, "%s: timer0When %ld, root %ld", what, (long)pp->timer0When, (long)t0);
		return false;
	}
	checks++;
	return true;
}

static void p_init(p *pp)
{
	memset(pp, 0, sizeof *pp);
}

static void p_free(p *pp)
{
	free(pp->timers);
	pp->timers = NULL;
	pp->ntimers = pp->captimers = 0;
}

static void removed_ok(struct timer *t, const char *what)
{
	CHECK(t->pp == NULL && t->idx == -1, "%s: a removed timer has pp %p idx %d", what,
	      (void *)t->pp, t->idx);
}

/* ---- directed cases ---- */

static void t_directed(void)
{
	static struct timer T[300];
	p pp;
	p_init(&pp);

	/* pushes in decreasing order: each new one sifts to the root */
	for (int i = 0; i < 10; i++) {
		T[i] = (struct timer){ .when = 100 - i };
		heap_push(&pp, &T[i]);
		heap_ok(&pp, "push decreasing");
		CHECK(pp.timers[0] == &T[i] && pp.timer0When == 100 - i, "new earliest at the root");
	}
	/* the root: its replacement sifts down */
	heap_remove(&pp, &T[9]);
	removed_ok(&T[9], "root");
	heap_ok(&pp, "remove root");
	CHECK(pp.timer0When == 92, "next earliest %ld", (long)pp.timer0When);
	/* the last slot: nothing moves */
	struct timer *last = pp.timers[pp.ntimers - 1];
	heap_remove(&pp, last);
	removed_ok(last, "last");
	heap_ok(&pp, "remove last");
	while (pp.ntimers)
		heap_remove(&pp, pp.timers[0]);
	CHECK(pp.timer0When == 0, "empty heap: timer0When 0");
	p_free(&pp);

	/* a removed slot whose replacement is earlier than the slot's parent
	 * must move up, not down: laid out by hand, slot 5 (200) is under
	 * slot 1 (100), and the last timer (11) is under slot 2 (10) */
	p_init(&pp);
	static const int64_t lay[] = { 0, 100, 10, 1000, 1000, 200, 201, 202, 203, 1000, 1000, 1000, 11 };
	int n = (int)(sizeof lay / sizeof lay[0]);
	pp.captimers = 64;
	pp.timers = malloc(sizeof *pp.timers * 64);
	for (int i = 0; i < n; i++) {
		T[i] = (struct timer){ .when = lay[i], .pp = &pp, .idx = i };
		pp.timers[i] = &T[i];
	}
	pp.ntimers = n;
	heap_ok(&pp, "laid out");
	heap_remove(&pp, &T[5]);
	removed_ok(&T[5], "under 100");
	heap_ok(&pp, "replacement moved up");
	CHECK(T[12].idx == 1 && pp.timers[1] == &T[12] && T[1].idx == 5,
	      "11 took 100's place: idx %d, 100's idx %d", T[12].idx, T[1].idx);
	p_free(&pp);

	/* equal whens, and growth from 64 to 128 to 256 slots */
	p_init(&pp);
	for (int i = 0; i < 300; i++) {
		T[i] = (struct timer){ .when = i % 3 ? 5 : 7 };
		heap_push(&pp, &T[i]);
		if (!heap_ok(&pp, "equal whens"))
			break;
	}
	CHECK(pp.captimers == 512 && pp.ntimers == 300, "capacity %d", pp.captimers);
	for (int i = 0; i < 300; i += 2) {
		heap_remove(&pp, &T[i]);
		if (!heap_ok(&pp, "remove equal"))
			break;
	}
	p_free(&pp);

	/* whens at the extremes (INT64_MAX: sleep_ns's "forever") */
	p_init(&pp);
	int64_t ext[] = { INT64_MAX, 1, INT64_MAX, 0, -5, INT64_MAX - 1, 1 };
	for (int i = 0; i < 7; i++) {
		T[i] = (struct timer){ .when = ext[i] };
		heap_push(&pp, &T[i]);
	}
	heap_ok(&pp, "extremes");
	int64_t prev = INT64_MIN;
	while (pp.ntimers) {
		int64_t w = pp.timers[0]->when;
		CHECK(w >= prev, "drain order %ld after %ld", (long)w, (long)prev);
		prev = w;
		heap_remove(&pp, pp.timers[0]);
		heap_ok(&pp, "drain extremes");
	}
	p_free(&pp);
}

/* ---- random operations ---- */

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NT 3000
#define NPS 3

static struct timer TT[NT];
static int owner[NT];                   /* the model: which P, -1 none */
static int64_t nmodel[NPS];

static void t_random(int iters)
{
	static p P[NPS];
	for (int k = 0; k < NPS; k++) {
		p_init(&P[k]);
		nmodel[k] = 0;
	}
	for (int i = 0; i < NT; i++) {
		TT[i] = (struct timer){ .idx = -1 };
		owner[i] = -1;
	}
	long pushes = 0, removes = 0, moves = 0;
	int maxn = 0;
	for (int it = 0; it < iters; it++) {
		uint64_t r = rnd();
		int k = (int)((r >> 8) % NPS);
		p *pp = &P[k];
		/* phases of growth and of shrinking */
		bool grow = (it / 20000) % 2 == 0;
		if (r % 100 < (grow ? 60 : 35)) {
			int i = (int)((r >> 16) % NT);
			if (owner[i] >= 0)
				continue;
			uint64_t w = rnd();
			switch (w % 4) {
			case 0: TT[i].when = (int64_t)(w >> 8) % 16; break;          /* many equal */
			case 1: TT[i].when = (int64_t)(w >> 2); break;               /* anywhere */
			case 2: TT[i].when = pp->ntimers ? pp->timers[0]->when + (int64_t)(w >> 60) - 4 : 0; break;
			default: TT[i].when = (int64_t)(w >> 40); break;
			}
			heap_push(pp, &TT[i]);
			owner[i] = k;
			nmodel[k]++;
			pushes++;
		} else if (r % 100 < 97) {
			if (pp->ntimers == 0)
				continue;
			/* any timer of this P (deltimer), or the root (checkTimers) */
			struct timer *t = (r >> 20) % 3 ? pp->timers[(r >> 24) % (uint64_t)pp->ntimers]
			                                : pp->timers[0];
			int i = (int)(t - TT);
			CHECK(owner[i] == k, "op %d: timer %d in P%d's heap, model says %d", it, i, k, owner[i]);
			int64_t root = pp->timers[0]->when;
			bool was_root = t == pp->timers[0];
			heap_remove(pp, t);
			removed_ok(t, "random remove");
			owner[i] = -1;
			nmodel[k]--;
			removes++;
			CHECK(!was_root || pp->ntimers == 0 || pp->timers[0]->when >= root,
			      "op %d: the next root is earlier than the removed one", it);
		} else {
			/* moveTimers: everything of P k onto another */
			int to = (k + 1) % NPS;
			while (pp->ntimers > 0) {
				struct timer *t = pp->timers[0];
				heap_remove(pp, t);
				heap_push(&P[to], t);
				owner[t - TT] = to;
				moves++;
			}
			nmodel[to] += nmodel[k];
			nmodel[k] = 0;
			if (!heap_ok(&P[to], "moveTimers"))
				break;
		}
		if (!heap_ok(pp, "random"))
			break;
		if (pp->ntimers != nmodel[k]) {
			CHECK(0, "op %d: P%d has %d timers, model %ld", it, k, pp->ntimers, (long)nmodel[k]);
			break;
		}
		if (pp->ntimers > maxn)
			maxn = pp->ntimers;
	}
	for (int i = 0; i < NT; i++)
		if (owner[i] >= 0)
			CHECK(TT[i].pp == &P[owner[i]] && P[owner[i]].timers[TT[i].idx] == &TT[i],
			      "timer %d lost from its P", i);
		else
			CHECK(TT[i].pp == NULL, "timer %d still claims a P", i);

	/* draining every heap by its root gives the whens in order */
	for (int k = 0; k < NPS; k++) {
		int64_t prev = INT64_MIN;
		while (P[k].ntimers) {
			int64_t w = P[k].timers[0]->when;
			CHECK(w >= prev, "P%d drains out of order", k);
			prev = w;
			heap_remove(&P[k], P[k].timers[0]);
		}
		p_free(&P[k]);
	}
	printf("  random: %d ops (%ld pushes, %ld removes, %ld moved), up to %d timers in a heap\n",
	       iters, pushes, removes, moves, maxn);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rng = strtoull(argv[1], NULL, 0) | 1;
	t_directed();
	t_random(400000);
	printf("timerheap_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
