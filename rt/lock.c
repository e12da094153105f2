/*
 * lock.c - runtime locks (Go's lock/unlock on a mutex). Held only for short
 * sections; while held, m->locks > 0, which keeps the holder from being
 * preempted. With one CPU running Go code the lock is never contended; the
 * waiting side spins with pause and will sleep once Ms can be woken.
 */
#include "runtime.h"
#include "benchtrace.h"

void lock(struct mutex *l)
{
	g *gp = getg();
	gp->m->locks++;
	if (__builtin_expect(!__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE), 1))
		return;
	uint64_t t = bt_start();
	do {
		while (__atomic_load_n(&l->key, __ATOMIC_RELAXED))
			__asm__ volatile("pause");
	} while (__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE));
	bt_end(gp->m, BT_LOCKWAIT, t);
}

bool trylock(struct mutex *l)
{
	m *mp = getg()->m;
	mp->locks++;
	if (__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE) == 0)
		return true;
	mp->locks--;
	return false;
}

/* unlock_nopreempt is unlock for code that must not be rescheduled at
 * the end of the critical section (interrupt handlers). */
void unlock_nopreempt(struct mutex *l)
{
	if (__atomic_exchange_n(&l->key, 0, __ATOMIC_RELEASE) == 0)
		throw("unlock of unlocked lock");
	getg()->m->locks--;
}

void unlock(struct mutex *l)
{
	g *gp = getg();
	if (__atomic_exchange_n(&l->key, 0, __ATOMIC_RELEASE) == 0)
		throw("unlock of unlocked lock");
	m *mp = gp->m;
	if (--mp->locks < 0)
		throw("runtime: lock count");
	if (mp->locks == 0)
		preemptpark_if_requested(mp);
}
