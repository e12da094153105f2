/*
 * sema.c - semaphores for sync (Go's sema.go): a goroutine waiting for
 * *addr > 0 parks on a sudog; semrelease wakes one, in FIFO order or, for a
 * mutex waiter that lost the lock race before, LIFO.
 *
 * Waiters are kept in a table of 251 roots hashed by address (Go's
 * semtable). Go's roots are treaps of addresses; here a root is a list of
 * per-address queues, as colliding live addresses in one bucket are few.
 * The queue head sudog of an address is on its root's list (next/prev);
 * the rest of that address's waiters hang off it through waitlink, its
 * waittail naming the last.
 */
#include "runtime.h"

#define SEMTABSZ 251

struct semaRoot {
	struct mutex lock;
	uint32_t nwait;         /* waiters on this root; read without lock */
	struct sudog *head;     /* one sudog per address waited on */
} __attribute__((aligned(64)));   /* a root per cache line: no false sharing */

static struct semaRoot semtable[SEMTABSZ];

static struct semaRoot *semroot(uint32_t *addr)
{
	return &semtable[((uintptr_t)addr >> 3) % SEMTABSZ];
}

static bool cansemacquire(uint32_t *addr)
{
	for (;;) {
		uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
		if (v == 0)
			return false;
		if (__sync_bool_compare_and_swap(addr, v, v - 1))
			return true;
	}
}

static struct sudog *findaddr(struct semaRoot *root, void *addr)
{
	struct sudog *t = root->head;
	while (t && t->elem != addr)
		t = t->next;
	return t;
}

/* replace puts s in t's place on the root's list. */
static void replace(struct semaRoot *root, struct sudog *t, struct sudog *s)
{
	s->prev = t->prev;
	s->next = t->next;
	if (s->prev)
		s->prev->next = s;
	else
		root->head = s;
	if (s->next)
		s->next->prev = s;
	t->next = t->prev = NULL;
}

static void semqueue(struct semaRoot *root, uint32_t *addr, struct sudog *s, bool lifo)
{
	s->g = getg();
	s->elem = addr;
	s->next = s->prev = s->waitlink = s->waittail = NULL;
	struct sudog *t = findaddr(root, addr);
	if (!t) {
		s->next = root->head;
		if (s->next)
			s->next->prev = s;
		root->head = s;
	} else if (lifo) {
		replace(root, t, s);
		s->waitlink = t;
		s->waittail = t->waittail ? t->waittail : t;
		t->waittail = NULL;
	} else {
		if (t->waittail)
			t->waittail->waitlink = s;
		else
			t->waitlink = s;
		t->waittail = s;
	}
}

static struct sudog *semdequeue(struct semaRoot *root, uint32_t *addr)
{
	struct sudog *s = findaddr(root, addr);
	if (!s)
		return NULL;
	struct sudog *t = s->waitlink;
	if (t) {
		replace(root, s, t);
		t->waittail = s->waittail == t ? NULL : s->waittail;
	} else {
		if (s->prev)
			s->prev->next = s->next;
		else
			root->head = s->next;
		if (s->next)
			s->next->prev = s->prev;
	}
	s->next = s->prev = s->waitlink = s->waittail = NULL;
	s->elem = NULL;
	return s;
}

static bool parkunlock(g *gp, void *lock)
{
	(void)gp;
	unlock(lock);
	return true;
}

/* semacquire1 waits until *addr > 0 and decrements it. The sudog lives in
 * this frame: the goroutine does not return before it is off the queue. */
void semacquire1(uint32_t *addr, bool lifo, uint32_t reason)
{
	if (cansemacquire(addr))
		return;
	struct semaRoot *root = semroot(addr);
	struct sudog s = { 0 };
	for (;;) {
		lock(&root->lock);
		__atomic_add_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
		/* a release between the fast path and nwait++ saw no waiter */
		if (cansemacquire(addr)) {
			__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
			unlock(&root->lock);
			return;
		}
		s.ticket = 0;
		semqueue(root, addr, &s, lifo);
		gopark(parkunlock, &root->lock, reason);
		if (s.ticket != 0 || cansemacquire(addr))
			return;
	}
}

/* semrelease1 increments *addr and wakes a waiter. handoff: give the
 * count straight to the waiter and let it run now (a starving mutex). */
void semrelease1(uint32_t *addr, bool handoff)
{
	struct semaRoot *root = semroot(addr);
	__atomic_add_fetch(addr, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0)
		return;
	lock(&root->lock);
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0) {
		unlock(&root->lock);
		return;
	}
	struct sudog *s = semdequeue(root, addr);
	if (s)
		__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
	unlock(&root->lock);
	if (!s)
		return;
	bool handedoff = handoff && cansemacquire(addr);
	if (handedoff)
		s->ticket = 1;
	goready(s->g);          /* s is the waiter's: not touched after this */
	if (handedoff && getg()->m->locks == 0)
		goyield();
}
