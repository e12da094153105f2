/*
 * sync.c - package sync: Mutex, WaitGroup, Once, with Go's algorithms
 * (sync/mutex.go, waitgroup.go, once.go) over the semaphores of sema.c.
 *
 * Mutex has two modes. Normal: waiters queue FIFO, but a woken waiter
 * competes with goroutines just arriving, which run already and usually
 * win; a waiter that loses is queued at the front. Starvation: once a
 * waiter has waited more than 1 ms it switches the mutex to starvation
 * mode, where unlock hands the mutex straight to the waiter at the front
 * and arrivals queue at the tail without trying. It switches back when the
 * last waiter is served or one waited less than 1 ms.
 */
#include "runtime.h"

enum {
	mutexLocked = 1,
	mutexWoken = 2,         /* a waiter is awake: unlock need not wake one */
	mutexStarving = 4,
	mutexWaiterShift = 3,   /* state >> 3 = number of waiters */
};

#define starvationThresholdNs 1000000
#define active_spin 4
#define active_spin_cnt 30

static bool cas32(int32_t *p, int32_t old, int32_t new)
{
	return __sync_bool_compare_and_swap(p, old, new);
}

static int32_t load32(int32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* canSpin: spinning a little pays only with another P running the holder
 * and nothing else to run here (Go's sync_runtime_canSpin). */
static bool canSpin(int iter)
{
	if (iter >= active_spin || ncpu <= 1)
		return false;
	if (gomaxprocs_ <= __atomic_load_n(&sched.npidle, __ATOMIC_RELAXED) +
	                   __atomic_load_n(&sched.nmspinning, __ATOMIC_RELAXED) + 1)
		return false;
	m *mp = acquirem();
	bool ok = runqempty(mp->p);
	releasem(mp);
	return ok;
}

static void procyield(int n)
{
	while (n-- > 0)
		__asm__ volatile("pause");
}

/* ---- Mutex ---- */

static GDBSTOP void lockSlow(mutex_t *m)
{
	int64_t waitStartTime = 0;
	bool starving = false, awoke = false;
	int iter = 0;
	int32_t old = load32(&m->state);
	for (;;) {
		/* locked, normal mode: spin a little, telling unlock not to wake
		 * another waiter while we are awake */
		if ((old & (mutexLocked | mutexStarving)) == mutexLocked && canSpin(iter)) {
			if (!awoke && !(old & mutexWoken) && (old >> mutexWaiterShift) != 0 &&
			    cas32(&m->state, old, old | mutexWoken))
				awoke = true;
			procyield(active_spin_cnt);
			iter++;
			old = load32(&m->state);
			continue;
		}
		int32_t new = old;
		if (!(old & mutexStarving))
			new |= mutexLocked;     /* a starving mutex is not for arrivals */
		if (old & (mutexLocked | mutexStarving))
			new += 1 << mutexWaiterShift;
		if (starving && (old & mutexLocked))
			new |= mutexStarving;
		if (awoke) {
			if (!(new & mutexWoken))
				throw("sync: inconsistent mutex state");
			new &= ~mutexWoken;
		}
		if (!cas32(&m->state, old, new)) {
			old = load32(&m->state);
			continue;
		}
		if (!(old & (mutexLocked | mutexStarving)))
			break;          /* locked it with the CAS */
		/* a goroutine that waited before goes to the front */
		bool queueLifo = waitStartTime != 0;
		if (waitStartTime == 0)
			waitStartTime = nanotime();
		semacquire1(&m->sema, queueLifo, waitReasonSyncMutexLock);
		starving = starving || nanotime() - waitStartTime > starvationThresholdNs;
		old = load32(&m->state);
		if (old & mutexStarving) {
			/* handed off to us: the mutex is ours, fix up the count */
			if ((old & (mutexLocked | mutexWoken)) || (old >> mutexWaiterShift) == 0)
				throw("sync: inconsistent mutex state");
			int32_t delta = mutexLocked - (1 << mutexWaiterShift);
			if (!starving || (old >> mutexWaiterShift) == 1)
				delta -= mutexStarving;
			__atomic_add_fetch(&m->state, delta, __ATOMIC_SEQ_CST);
			break;
		}
		awoke = true;
		iter = 0;
	}
}

void mutex_lock(mutex_t *m)
{
	if (cas32(&m->state, 0, mutexLocked))
		return;
	lockSlow(m);
}

bool mutex_trylock(mutex_t *m)
{
	int32_t old = load32(&m->state);
	if (old & (mutexLocked | mutexStarving))
		return false;
	return cas32(&m->state, old, old | mutexLocked);
}

static GDBSTOP void unlockSlow(mutex_t *m, int32_t new)
{
	if (!((new + mutexLocked) & mutexLocked))
		throw("sync: unlock of unlocked mutex");
	if (new & mutexStarving) {
		/* hand off: the next waiter runs now, with the mutex */
		semrelease1(&m->sema, true);
		return;
	}
	int32_t old = new;
	for (;;) {
		/* nobody to wake, or someone already awake or holding it */
		if ((old >> mutexWaiterShift) == 0 || (old & (mutexLocked | mutexWoken | mutexStarving)))
			return;
		new = (old - (1 << mutexWaiterShift)) | mutexWoken;
		if (cas32(&m->state, old, new)) {
			semrelease1(&m->sema, false);
			return;
		}
		old = load32(&m->state);
	}
}

void mutex_unlock(mutex_t *m)
{
	int32_t new = __atomic_add_fetch(&m->state, -mutexLocked, __ATOMIC_SEQ_CST);
	if (new != 0)
		unlockSlow(m, new);
}

/* ---- WaitGroup: state = counter << 32 | waiters ---- */

void wg_add(waitgroup_t *wg, int delta)
{
	uint64_t state = __atomic_add_fetch(&wg->state, (uint64_t)(int64_t)delta << 32, __ATOMIC_SEQ_CST);
	int32_t v = (int32_t)(state >> 32);
	uint32_t w = (uint32_t)state;
	if (v < 0)
		panic("sync: negative WaitGroup counter");
	if (w != 0 && delta > 0 && v == delta)
		panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	if (v > 0 || w == 0)
		return;
	/* counter 0 with waiters: nobody may change state now but us */
	if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != state)
		panic("sync: WaitGroup misuse: Add called concurrently with Wait");
	__atomic_store_n(&wg->state, 0, __ATOMIC_SEQ_CST);
	for (; w != 0; w--)
		semrelease1(&wg->sema, false);
}

void wg_done(waitgroup_t *wg)
{
	wg_add(wg, -1);
}

void wg_wait(waitgroup_t *wg)
{
	for (;;) {
		uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_SEQ_CST);
		if ((state >> 32) == 0)
			return;
		if (__sync_bool_compare_and_swap(&wg->state, state, state + 1)) {
			semacquire1(&wg->sema, false, waitReasonSyncWaitGroupWait);
			if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != 0)
				panic("sync: WaitGroup is reused before previous Wait has returned");
			return;
		}
	}
}

/* ---- Once ---- */

void once_do(once_t *o, void (*fn)(void))
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
		return;
	mutex_lock(&o->m);
	if (!o->done) {
		fn();
		__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	}
	mutex_unlock(&o->m);
}
