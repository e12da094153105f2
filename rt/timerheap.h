/*
 * timerheap.h - a P's timer heap (time.c): the 4-ary min-heap by when,
 * with each timer's idx kept equal to its position so deltimer finds it
 * without a search. Pure logic on struct timer and p, no locks (the
 * callers hold pp->timerslock), so the host tests build it as is; it
 * allocates with malloc, the runtime's here and libc's there.
 */
#ifndef RT_TIMERHEAP_H
#define RT_TIMERHEAP_H

#include "runtime2.h"

#define HEAP_ARY 4

static inline void siftup(struct timer **t, int i)
{
	struct timer *x = t[i];
	while (i > 0) {
		int parent = (i - 1) / HEAP_ARY;
		if (t[parent]->when <= x->when)
			break;
		t[i] = t[parent];
		t[i]->idx = i;
		i = parent;
	}
	t[i] = x;
	x->idx = i;
}

static inline void siftdown(struct timer **t, int n, int i)
{
	struct timer *x = t[i];
	for (;;) {
		int c = i * HEAP_ARY + 1, best = -1;
		for (int k = 0; k < HEAP_ARY && c + k < n; k++)
			if (best < 0 || t[c + k]->when < t[best]->when)
				best = c + k;
		if (best < 0 || t[best]->when >= x->when)
			break;
		t[i] = t[best];
		t[i]->idx = i;
		i = best;
	}
	t[i] = x;
	x->idx = i;
}

static inline void update_timer0(p *pp)
{
	__atomic_store_n(&pp->timer0When, pp->ntimers ? pp->timers[0]->when : 0, __ATOMIC_RELEASE);
}

/* heap_push adds t to pp's heap; pp->timerslock held. */
static inline void heap_push(p *pp, struct timer *t)
{
	if (pp->ntimers == pp->captimers) {
		int ncap = pp->captimers ? pp->captimers * 2 : 64;
		struct timer **nt = malloc(sizeof *nt * (size_t)ncap);
		if (pp->ntimers)
			memcpy(nt, pp->timers, sizeof *nt * (size_t)pp->ntimers);
		free(pp->timers);
		pp->timers = nt;
		pp->captimers = ncap;
	}
	t->pp = pp;
	pp->timers[pp->ntimers] = t;
	siftup(pp->timers, pp->ntimers++);
	update_timer0(pp);
}

/* heap_remove takes t out of its P's heap; its timerslock held. */
static inline void heap_remove(p *pp, struct timer *t)
{
	int i = t->idx, last = --pp->ntimers;
	if (i != last) {
		pp->timers[i] = pp->timers[last];
		pp->timers[i]->idx = i;
		siftdown(pp->timers, last, i);
		siftup(pp->timers, i);
	}
	t->pp = NULL;
	t->idx = -1;
	update_timer0(pp);
}

#endif
