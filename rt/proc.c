/*
 * proc.c - the goroutine scheduler, after Go's proc.go.
 *
 * G - goroutine. M - a CPU running Go code (Go: an OS thread; with no OS,
 * an M is a core, plus the M that sysmon's interrupt runs as). P - what an
 * M needs to run Go code: a local run queue, caches, a goid batch. There
 * are exactly GOMAXPROCS Ps; an M runs goroutines only while it holds one.
 *
 * Every M runs the same loop: schedule() finds a runnable G (runnext, the
 * local queue, every 61st tick the global queue first so it cannot starve,
 * then the global queue, then stealing half of another P's queue) and
 * execute() switches to it with gogo; the G comes back through mcall (park,
 * gosched, exit), which switches to the M's g0 stack.
 *
 * Spinning, as in Go: an M looking for work to steal is "spinning"; there
 * are at most GOMAXPROCS/2 of them, and when a goroutine is made runnable
 * and there is an idle P but no spinning M, wakep() starts one. A spinning
 * M that finds work calls wakep() again, so a burst of new goroutines
 * spreads over the CPUs one wake-up at a time, without a thundering herd.
 * An M that finds nothing gives up its P and sleeps in stopm(), halting its
 * CPU with interrupts on; startm() hands it a P and wakes it with an IPI.
 *
 * Not done as Go does: Ms are never created on demand (the CPUs are
 * brought up at boot, one M each, and park until needed), and there are
 * no system calls, so no handoff of Ps around them.
 */
#include "runtime.h"
#include "benchtrace.h"
#include "mheap.h"
#include "os.h"
#include "print.h"

#define MAXPROCS 256
#define GOID_BATCH 16           /* goids handed to a P at a time (Go's _GoidCacheBatch) */

struct schedt sched;
m m0;
g g0;
p *allp[MAXPROCS];
int32_t gomaxprocs_;
m *allm;
bool mainStarted;               /* runtime_main has begun: newproc may wake Ps */

static struct mutex allglock;
static g *allgs;                /* all Gs ever made, through alllink; allglock */
static int32_t allglen;
static uint32_t coprimes[MAXPROCS];     /* strides for a random walk over allp; world stopped */
static int32_t ncoprimes;

extern void goexit_asm(void);

/* ---- G status ---- */

static __attribute__((noinline, cold)) void badgstatus(g *gp, uint32_t old, uint32_t new, uint32_t seen)
{
	printf("runtime: casgstatus: goroutine %ld from %u to %u, but it is %u\n", gp->goid, old, new, seen);
	throw("casgstatus: bad incoming values");
}

/* casgstatus moves gp from old to new. Go needs a compare-and-swap here
 * because its collector claims Gs by setting a scan bit in the status;
 * with no collector, each transition has a single writer (the G itself,
 * or the one waker that took it off a wait queue under that queue's
 * lock), so a checked store does: no locked instruction on the switch
 * path. */
static inline void casgstatus(g *gp, uint32_t old, uint32_t new)
{
	uint32_t seen = __atomic_load_n(&gp->atomicstatus, __ATOMIC_ACQUIRE);
	if (__builtin_expect(seen != old, 0))
		badgstatus(gp, old, new, seen);
	__atomic_store_n(&gp->atomicstatus, new, __ATOMIC_RELEASE);
}

uint32_t readgstatus(g *gp)
{
	return __atomic_load_n(&gp->atomicstatus, __ATOMIC_ACQUIRE);
}

/* acquirem/releasem keep the current G on its M across a section that uses
 * the M's P (no preemption while m->locks > 0). */
m *acquirem(void)
{
	m *mp = getg()->m;
	mp->locks++;
	return mp;
}

/* releasem: leaving the last critical section is where a preemption that
 * arrived inside it takes effect (Go's stackguard0 = stackPreempt). */
void releasem(m *mp)
{
	if (--mp->locks == 0)
		preemptpark_if_requested(mp);
}

void preemptpark_if_requested(m *mp)
{
	g *gp = mp->curg;
	if (gp && gp->preempt && getg() == gp && !mp->dying && readgstatus(gp) == _Grunning) {
		gp->preempt = false;
		mcall(gopreempt_m);
	}
}

/* ---- notes: one-shot sleep and wake-up between Ms (Go's note) ---- */

void noteclear(struct note *n)
{
	__atomic_store_n(&n->key, 0, __ATOMIC_RELEASE);
}

void notewakeup(struct note *n, m *mp)
{
	if (__atomic_exchange_n(&n->key, 1, __ATOMIC_ACQ_REL))
		throw("notewakeup - double wakeup");
	oswakeup(mp->cpu);
}

/* notesleep halts this CPU until the note is set. It first polls for
 * NOTESPIN_NS: an M that ran out of work is often handed more within
 * microseconds, and a CPU that is not halted is woken without an IPI
 * (cpu_wake). Bounded, so an idle CPU still halts at once in effect. */
#define NOTESPIN_NS 20000
void notesleep(struct note *n)
{
	int64_t until = nanotime() + NOTESPIN_NS;
	while (!__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) && nanotime() < until)
		__asm__ volatile("pause");
	while (!__atomic_load_n(&n->key, __ATOMIC_ACQUIRE))
		osidle(&n->key);
}

/* ---- G allocation ---- */

static void allgadd(g *gp)
{
	lock(&allglock);
	gp->alllink = allgs;
	__atomic_store_n(&allgs, gp, __ATOMIC_RELEASE);
	allglen++;
	unlock(&allglock);
}

void forEachG(void (*fn)(g *gp, void *arg), void *arg)
{
	for (g *gp = __atomic_load_n(&allgs, __ATOMIC_ACQUIRE); gp; gp = gp->alllink)
		fn(gp, arg);
}

int32_t allgcount(void)
{
	return allglen;
}

/* malg allocates a new G: a stack slot with the g at the top of its top
 * page (see stack.c), so a goroutine costs one page. */
static g *malg(void)
{
	struct stack st = stackalloc();
	g *gp = (g *)((st.hi - sizeof(g)) & ~(uintptr_t)63);
	memset(gp, 0, sizeof *gp);
	st.hi = (uintptr_t)gp;
	gp->stack = st;
	gp->stackguard0 = st.lo + 1024;
	gp->stackmapped = (st.hi - 1) & ~(uintptr_t)4095;   /* stackalloc backed the top page */
	return gp;
}

/* gfput keeps a dead G on pp's free list; above 64 it moves a batch to
 * the global list, their stacks trimmed to the top page first, so idle
 * goroutines do not pin more than that. */
static void gfput(p *pp, g *gp)
{
	if (readgstatus(gp) != _Gdead)
		throw("gfput: bad status (not Gdead)");
	/* LIFO: the G that just died has the warmest stack page */
	gp->schedlink = pp->gfree.head;
	pp->gfree.head = gp;
	if (!pp->gfree.tail)
		pp->gfree.tail = gp;
	pp->gfreecnt++;
	if (pp->gfreecnt < 64)
		return;
	struct gqueue batch = {0};
	while (pp->gfreecnt >= 32) {
		g *d = gqueue_pop(&pp->gfree);
		pp->gfreecnt--;
		stacktrim(d);
		gqueue_push(&batch, d);
	}
	lock(&sched.gflock);
	while (batch.head) {
		gqueue_push(&sched.gfree, gqueue_pop(&batch));
		sched.ngfree++;
	}
	unlock(&sched.gflock);
}

/* gfget takes a dead G from pp's list, refilling from the global list. */
static g *gfget(p *pp)
{
	if (!pp->gfree.head && sched.gfree.head) {
		lock(&sched.gflock);
		while (pp->gfreecnt < 32 && sched.gfree.head) {
			gqueue_push(&pp->gfree, gqueue_pop(&sched.gfree));
			sched.ngfree--;
			pp->gfreecnt++;
		}
		unlock(&sched.gflock);
	}
	g *gp = gqueue_pop(&pp->gfree);
	if (!gp)
		return NULL;
	pp->gfreecnt--;
	stacktrim(gp);
	return gp;
}

/* ---- creating goroutines ---- */

/* newproc1 makes a runnable G that will call fn(arg) and return into
 * goexit_asm. */
static GDBSTOP g *newproc1(gofunc fn, void *arg, bool system)
{
	if (!fn)
		throw("go of nil func value");
	m *mp = acquirem();
	p *pp = mp->p;
	g *newg = gfget(pp);
	if (!newg) {
		uint64_t t = bt_start();
		newg = malg();
		bt_end(mp, BT_MALG, t);
		newg->atomicstatus = _Gdead;
		allgadd(newg);
	}
	uintptr_t sp = newg->stack.hi - 8;      /* sp % 16 == 8: as just after a call */
	*(uintptr_t *)sp = (uintptr_t)goexit_asm + 1;
	newg->sched = (struct gobuf){ .sp = sp, .pc = (uintptr_t)fn, .g = newg, .ctxt = (uintptr_t)arg };
	newg->startfn = fn;
	newg->startarg = arg;
	newg->waitreason = waitReasonZero;
	newg->preempt = false;
	newg->system = system;
	newg->lockedm = NULL;
	if (pp->goidcache == pp->goidcacheend) {
		/* a batch of goids at once: one atomic per 16 goroutines */
		pp->goidcache = __atomic_add_fetch(&sched.goidgen, GOID_BATCH, __ATOMIC_SEQ_CST) - GOID_BATCH + 1;
		pp->goidcacheend = pp->goidcache + GOID_BATCH;
	}
	newg->goid = (int64_t)pp->goidcache++;
	casgstatus(newg, _Gdead, _Grunnable);
	runqput(pp, newg, !system);
	releasem(mp);
	return newg;
}

/* newproc is the go statement: the new G goes to the current P's runnext. */
void newproc(gofunc fn, void *arg)
{
	newproc1(fn, arg, false);
	if (mainStarted)
		wakep();
}

/* newproc_system starts a runtime goroutine (bgsweep...): one the program
 * does not see in numgoroutine, tracebacks or deadlock detection. */
g *newproc_system(gofunc fn, void *arg)
{
	g *gp = newproc1(fn, arg, true);
	if (mainStarted)
		wakep();
	return gp;
}

/* ---- Ms ---- */

static void checkmcount(void)
{
	if (sched.mnext > sched.maxmcount) {
		printf("runtime: program exceeds %d-thread limit\n", sched.maxmcount);
		throw("thread exhaustion");
	}
}

void mcommoninit(m *mp)
{
	lock(&sched.lock);
	mp->id = sched.mnext++;
	checkmcount();
	mp->fastrand = (uint64_t)cputicks() * 0x9e3779b97f4a7c15ull | 1;
	mp->alllink = allm;
	__atomic_store_n(&allm, mp, __ATOMIC_RELEASE);
	unlock(&sched.lock);
}

/* mput puts mp on the idle list; sched.lock held. */
static void mput(m *mp)
{
	mp->schedlink = sched.midle;
	sched.midle = mp;
	sched.nmidle++;
	checkdead();
}

static m *mget(void)
{
	m *mp = sched.midle;
	if (mp) {
		sched.midle = mp->schedlink;
		sched.nmidle--;
	}
	return mp;
}

/* ---- Ps ---- */

/* pidleput puts pp on the idle list; sched.lock held. */
static void pidleput(p *pp)
{
	if (!runqempty(pp))
		throw("pidleput: P has non-empty run queue");
	pp->status = _Pidle;
	pp->link = sched.pidle;
	sched.pidle = pp;
	__atomic_add_fetch(&sched.npidle, 1, __ATOMIC_RELAXED);
}

static p *pidleget(void)
{
	p *pp = sched.pidle;
	if (pp) {
		sched.pidle = pp->link;
		__atomic_sub_fetch(&sched.npidle, 1, __ATOMIC_RELAXED);
	}
	return pp;
}

static void acquirep(p *pp)
{
	m *mp = getg()->m;
	if (mp->p || pp->m || pp->status != _Pidle) {
		printf("runtime: acquirep: m %ld p %d status %u m %p\n", mp->id, pp->id, pp->status, (void *)pp->m);
		throw("acquirep: invalid p state");
	}
	mp->p = pp;
	pp->m = mp;
	pp->status = _Prunning;
}

static p *releasep(void)
{
	m *mp = getg()->m;
	p *pp = mp->p;
	if (!pp || pp->m != mp || pp->status != _Prunning)
		throw("releasep: invalid p state");
	mp->p = NULL;
	pp->m = NULL;
	pp->status = _Pidle;
	return pp;
}

/* ---- starting and stopping Ms ---- */

/* mPark sleeps until another M hands this one a P (startm, startlockedm). */
static void mPark(void)
{
	m *mp = getg()->m;
	notesleep(&mp->park);
	noteclear(&mp->park);
}

/* stopm parks the current M, without a P, until startm gives it one. */
static void stopm(void)
{
	m *mp = getg()->m;
	if (mp->locks)
		throw("stopm holding locks");
	if (mp->p)
		throw("stopm holding p");
	if (mp->spinning)
		throw("stopm spinning");
	lock(&sched.lock);
	mput(mp);
	unlock(&sched.lock);
	mPark();
	acquirep(mp->nextp);
	mp->nextp = NULL;
}

/*
 * startm runs pp (or an idle P, when pp is NULL) on an idle M. spinning:
 * the caller counted a new spinning M in sched.nmspinning for it. With no
 * idle P or no idle M (every CPU busy) nothing happens.
 */
static void startm(p *pp, bool spinning)
{
	m *self = acquirem();
	lock(&sched.lock);
	if (!pp)
		pp = pidleget();
	m *nmp = pp ? mget() : NULL;
	if (pp && !nmp) {
		/* Every CPU's M is busy (Go would start a new M): the P goes
		 * idle, and its Gs to the global queue, where those Ms look. */
		g *gp;
		while ((gp = runqget(pp)) != NULL)
			globrunqput(gp);
		pidleput(pp);
	}
	unlock(&sched.lock);
	if (!nmp) {
		if (spinning && __atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL) < 0)
			throw("startm: negative nmspinning");
		releasem(self);
		return;
	}
	if (nmp->spinning || nmp->nextp)
		throw("startm: m is spinning or has a p");
	nmp->spinning = spinning;
	nmp->nextp = pp;
	notewakeup(&nmp->park, nmp);
	releasem(self);
}

/* handoffp gives away the P of an M that stops running Go code. */
static void handoffp(p *pp)
{
	if (!runqempty(pp) || __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) != 0) {
		startm(pp, false);
		return;
	}
	int32_t zero = 0;
	if (__atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) == 0 &&
	    __atomic_compare_exchange_n(&sched.nmspinning, &zero, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		startm(pp, true);       /* no M is looking for work: this one will */
		return;
	}
	lock(&sched.lock);
	if (sched.gcwaiting) {
		pp->status = _Pgcstop;
		if (--sched.stopwait == 0)
			notewakeup(&sched.stopnote, sched.stopm);
		unlock(&sched.lock);
		return;
	}
	if (sched.runqsize != 0) {
		unlock(&sched.lock);
		startm(pp, false);
		return;
	}
	pidleput(pp);
	unlock(&sched.lock);
}

/* wakep starts a spinning M for an idle P, unless one is spinning already. */
void wakep(void)
{
	if (__atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE) == 0)
		return;
	int32_t zero = 0;
	if (__atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) != 0 ||
	    !__atomic_compare_exchange_n(&sched.nmspinning, &zero, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	m *mp = getg()->m;
	uint64_t t = bt_start();
	startm(NULL, true);
	bt_end(mp, BT_WAKEP, t);
}

/* wakep_nolock_wait is wakep for sysmon's interrupt: it must not wait for
 * sched.lock (CPU 0 may hold it), so it try-locks and gives up. */
bool wakep_nolock_wait(void)
{
	int32_t zero = 0;
	if (!__atomic_compare_exchange_n(&sched.nmspinning, &zero, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	m *nmp = NULL;
	if (trylock(&sched.lock)) {
		p *pp = pidleget();
		nmp = pp ? mget() : NULL;
		if (pp && !nmp)
			pidleput(pp);
		unlock_nopreempt(&sched.lock);
		if (nmp) {
			nmp->spinning = true;
			nmp->nextp = pp;
			notewakeup(&nmp->park, nmp);
			return true;
		}
	}
	__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
	return false;
}

/* resetspinning: a spinning M found work; if it was the last spinner,
 * another takes over, so readied work keeps spreading. */
static void resetspinning(void)
{
	m *mp = getg()->m;
	if (!mp->spinning)
		throw("resetspinning: not a spinning m");
	mp->spinning = false;
	if (__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL) < 0)
		throw("findrunnable: negative nmspinning");
	wakep();
}

/* ---- locked goroutines (runtime_main during init, Go's lockOSThread) ---- */

/* stoplockedm: this M runs only its locked G, which is not runnable: give
 * the P away and sleep until the G is handed back with a P. */
static void stoplockedm(void)
{
	m *mp = getg()->m;
	if (mp->p)
		handoffp(releasep());
	lock(&sched.lock);
	sched.nmidlelocked++;
	checkdead();
	unlock(&sched.lock);
	mPark();
	lock(&sched.lock);
	sched.nmidlelocked--;
	unlock(&sched.lock);
	acquirep(mp->nextp);
	mp->nextp = NULL;
}

/* startlockedm: gp is locked to another M; give it this P and stop. */
static void startlockedm(g *gp)
{
	m *mp = gp->lockedm;
	if (mp == getg()->m)
		throw("startlockedm: locked to me");
	if (mp->nextp)
		throw("startlockedm: m has p");
	mp->nextp = releasep();
	notewakeup(&mp->park, mp);
	stopm();
}

/* ---- stopping the world (procresize at run time) ---- */

static void gcstopm(void)
{
	m *mp = getg()->m;
	if (mp->spinning) {
		mp->spinning = false;
		__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
	}
	p *pp = releasep();
	lock(&sched.lock);
	pp->status = _Pgcstop;
	if (--sched.stopwait == 0)
		notewakeup(&sched.stopnote, sched.stopm);
	unlock(&sched.lock);
	stopm();
}

/* worldsema: one stop-the-world at a time (Go's worldsema). Two at once
 * would overwrite each other's stopwait and stopnote, each waiting for
 * the other's P forever. Held from stopTheWorld to startTheWorld. */
static uint32_t worldsema = 1;

/*
 * stopTheWorld stops every P but the caller's: idle ones at once, running
 * ones when their M next enters the scheduler (sysmon preempts one that
 * does not). Called from a goroutine: a second caller waits on worldsema,
 * its P stopping with the others.
 */
void stopTheWorld(void)
{
	semacquire1(&worldsema, false, waitReasonSemacquire);
	m *mp = acquirem();
	lock(&sched.lock);
	sched.stopwait = gomaxprocs_;
	sched.stopm = mp;
	__atomic_store_n(&sched.gcwaiting, 1, __ATOMIC_RELEASE);
	mp->p->status = _Pgcstop;
	sched.stopwait--;
	p *pp;
	while ((pp = pidleget()) != NULL) {
		pp->status = _Pgcstop;
		sched.stopwait--;
	}
	bool wait = sched.stopwait > 0;
	unlock(&sched.lock);
	if (wait) {
		notesleep(&sched.stopnote);
		noteclear(&sched.stopnote);
	}
	if (sched.stopwait != 0)
		throw("stopTheWorld: not stopped");
}

void startTheWorld(void)
{
	m *mp = getg()->m;
	lock(&sched.lock);
	__atomic_store_n(&sched.gcwaiting, 0, __ATOMIC_RELEASE);
	p *runnable = NULL;
	for (int32_t i = gomaxprocs_ - 1; i >= 0; i--) {
		p *pp = allp[i];
		if (pp == mp->p)
			continue;
		pp->status = _Pidle;
		if (runqempty(pp)) {
			pidleput(pp);
		} else {
			pp->link = runnable;
			runnable = pp;
		}
	}
	unlock(&sched.lock);
	while (runnable) {
		p *pp = runnable;
		runnable = pp->link;
		startm(pp, false);
	}
	releasem(mp);
	wakep();
	semrelease1(&worldsema, false);
}

/* ---- procresize ---- */

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* procdestroy moves a retired P's Gs to the global lists. */
static void procdestroy(p *pp)
{
	g *gp;
	lock(&sched.lock);
	while ((gp = runqget(pp)) != NULL)
		globrunqput(gp);
	unlock(&sched.lock);
	lock(&sched.gflock);
	while ((gp = gqueue_pop(&pp->gfree)) != NULL) {
		gqueue_push(&sched.gfree, gp);
		sched.ngfree++;
	}
	pp->gfreecnt = 0;
	unlock(&sched.gflock);
	moveTimers(allp[0], pp);        /* P 0 always survives a resize */
	freemcache(pp->mcache);
	pp->mcache = NULL;
	pp->status = _Pdead;
}

/*
 * procresize sets the number of Ps to nprocs, with the world stopped (at
 * boot trivially so). The current M keeps its P if it survives, else takes
 * allp[0]; every other P is left _Pidle for the caller (schedinit puts them
 * on the idle list, startTheWorld hands out those with work).
 */
void procresize(int32_t nprocs)
{
	int32_t old = gomaxprocs_;
	if (nprocs < 1 || nprocs > MAXPROCS)
		throw("procresize: invalid arg");
	for (int32_t i = 0; i < nprocs; i++) {
		if (!allp[i]) {
			allp[i] = malloc(sizeof(p));
			allp[i]->id = i;
		}
		if (!allp[i]->mcache)   /* P 0 inherits the cache that served the boot */
			allp[i]->mcache = i == 0 && mcache0 ? mcache0 : allocmcache();
		allp[i]->status = _Pidle;
	}
	for (int32_t i = nprocs; i < old; i++)
		procdestroy(allp[i]);

	m *mp = getg()->m;
	p *cur = mp->p;
	if (cur && cur->id < nprocs) {
		cur->status = _Prunning;
	} else {
		if (cur)
			cur->m = NULL;
		mp->p = NULL;
		allp[0]->m = NULL;
		acquirep(allp[0]);
	}
	for (int32_t i = 0; i < nprocs; i++)
		if (allp[i] != mp->p)
			allp[i]->m = NULL;
	ncoprimes = 0;
	for (uint32_t i = 1; i <= (uint32_t)nprocs; i++)
		if (gcd(i, (uint32_t)nprocs) == 1)
			coprimes[ncoprimes++] = i;
	gomaxprocs_ = nprocs;
	mcache0 = NULL;                 /* from now on every M allocates through its P */
}

/* procresize_boot: at boot every P but m0's starts idle. */
void procresize_boot(int32_t nprocs)
{
	procresize(nprocs);
	lock(&sched.lock);
	for (int32_t i = nprocs - 1; i >= 0; i--)
		if (allp[i] != getg()->m->p)
			pidleput(allp[i]);
	unlock(&sched.lock);
}

/* ---- the scheduler loop ---- */

/* execute runs gp on the current M. Never returns. A G that inherits
 * the time slice does not start a new one: schedtick, which sysmon
 * watches for a slice older than 10 ms, stays put. */
static GDBSTOP _Noreturn void execute(g *gp, bool inheritTime)
{
	m *mp = getg()->m;
	mp->curg = gp;
	gp->m = mp;
	casgstatus(gp, _Grunnable, _Grunning);
	if (!inheritTime)
		mp->p->schedtick++;
	if (__builtin_expect(debug.benchtrace, 0)) {
		bt_end(mp, BT_SCHEDULE, mp->btsched);
		mp->btcount[BT_SWITCH]++;
	}
	gogo(&gp->sched);
	__builtin_unreachable();
}

/* stealWork tries 4 times to steal from every other P, in a random order
 * (a random start and a stride coprime to GOMAXPROCS); the last round may
 * take a P's runnext too. */
static g *stealWork(p *pp)
{
	uint32_t n = (uint32_t)gomaxprocs_;
	for (int round = 0; round < 4; round++) {
		uint32_t pos = fastrandn(n), inc = coprimes[fastrandn((uint32_t)ncoprimes)];
		for (uint32_t i = 0; i < n; i++, pos = (pos + inc) % n) {
			if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE))
				return NULL;
			p *p2 = allp[pos];
			if (p2 == pp)
				continue;
			g *gp;
			if (round == 3) {
				/* run its expired timers: they ready Gs onto our queue */
				checkTimers(p2, 0);
				if ((gp = runqget(pp)) != NULL)
					return gp;
			}
			gp = runqsteal(pp, p2, round == 3);
			if (gp)
				return gp;
		}
	}
	return NULL;
}

static bool timersleep(int64_t until);

/*
 * findrunnable returns a G to run, sleeping until there is one: local
 * queue, global queue, stealing (if not too many Ms spin already), then
 * the P goes idle and the M stops.
 */
static GDBSTOP g *findrunnable(bool *inheritTime)
{
	m *mp = getg()->m;
	g *gp;
top:;
	*inheritTime = false;
	p *pp = mp->p;
	if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE)) {
		gcstopm();
		goto top;
	}
	checkTimers(pp, 0);
	consolepoll();
	if ((gp = runqget_inherit(pp, inheritTime)) != NULL)
		return gp;
	if (__atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) != 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		if (gp)
			return gp;
	}
	/* Before runtime_main runs, the only G is runtime_main itself, in m0's
	 * runnext: it must start on m0 (Go starts no other M before it does). */
	if (!__atomic_load_n(&mainStarted, __ATOMIC_ACQUIRE))
		goto idle;
	if (mp->spinning || 2 * __atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) <
	                            gomaxprocs_ - __atomic_load_n(&sched.npidle, __ATOMIC_ACQUIRE)) {
		if (!mp->spinning) {
			mp->spinning = true;
			__atomic_add_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
		}
		uint64_t t = bt_start();
		gp = stealWork(pp);
		bt_end(mp, BT_STEAL, t);
		if (gp)
			return gp;
	}

	/* nothing: give up the P */
idle:;
	int64_t pollUntil = earliestTimer();
	lock(&sched.lock);
	if (sched.gcwaiting || sched.runqsize != 0) {
		unlock(&sched.lock);
		goto top;
	}
	if (releasep() != pp)
		throw("findrunnable: wrong p");
	pidleput(pp);
	unlock(&sched.lock);

	bool wasSpinning = mp->spinning;
	if (wasSpinning) {
		mp->spinning = false;
		if (__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL) < 0)
			throw("findrunnable: negative nmspinning");
		/* A G readied between our last look and dropping the spinning
		 * count would find no spinning M to wake: look once more. */
		for (int32_t i = 0; i < gomaxprocs_; i++) {
			if (runqempty(allp[i]))
				continue;
			lock(&sched.lock);
			pp = pidleget();
			unlock(&sched.lock);
			if (pp) {
				acquirep(pp);
				mp->spinning = true;
				__atomic_add_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
				goto top;
			}
			break;
		}
	}
	uint64_t t = bt_start();
	if (pollUntil && timersleep(pollUntil)) {
		bt_end(mp, BT_IDLE, t);
		goto top;
	}
	stopm();
	bt_end(mp, BT_IDLE, t);
	goto top;
}

/*
 * timersleep: with timers pending and no P, one M (the first to try)
 * halts until the earliest of them, then takes an idle P to run it.
 * Returns false when another M is already the sleeper (this one stops).
 *
 * No timer may be missed between an M's look at the timers (findrunnable's
 * pollUntil) and the sleeper's halt. The sleeper publishes its deadline
 * (pollwake cleared first, pollUntil last), then looks at every P's timers
 * again; an M that finds a sleeper already there wakes it when its own
 * timer is earlier than the published deadline, or when none is published
 * yet (Go's netpollBreak in findRunnable). Either the sleeper sees that
 * M's timer in its second look, or that M sees its deadline: both store,
 * then load, sequentially consistent.
 */
#define TIMER_EARLY_NS 20000
static bool timersleep(int64_t until)
{
	m *mp = getg()->m;
	if (__atomic_exchange_n(&sched.polling, 1, __ATOMIC_SEQ_CST)) {
		int64_t pu = __atomic_load_n(&sched.pollUntil, __ATOMIC_SEQ_CST);
		if (pu == 0 || until < pu)
			pollerbreak();
		return false;
	}
	__atomic_store_n(&sched.pollwake, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sched.pollerm, mp, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sched.pollUntil, until, __ATOMIC_SEQ_CST);
	int64_t t = earliestTimer();
	if (t && t < until)
		until = t;              /* a timer added while we were on the way */
	/* The timer interrupt is armed TIMER_EARLY_NS early and the last
	 * stretch polled: an interrupt's way out of hlt takes tens of
	 * microseconds under emulation (a few on hardware), which would all be
	 * lateness. */
	while (!__atomic_load_n(&sched.pollwake, __ATOMIC_ACQUIRE) && nanotime() < until - TIMER_EARLY_NS)
		osidle_until(&sched.pollwake, until - TIMER_EARLY_NS);
	while (!__atomic_load_n(&sched.pollwake, __ATOMIC_ACQUIRE) && nanotime() < until)
		__asm__ volatile("pause");
	__atomic_store_n(&sched.pollUntil, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sched.pollerm, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&sched.polling, 0, __ATOMIC_RELEASE);
	lock(&sched.lock);
	p *pp = pidleget();
	unlock(&sched.lock);
	if (!pp)
		return false;
	acquirep(pp);
	return true;
}

/* pollerbreak ends the timer sleeper's halt early: it looks at the timers
 * again (Go's netpollBreak). */
void pollerbreak(void)
{
	__atomic_store_n(&sched.pollwake, 1, __ATOMIC_SEQ_CST);
	m *pm = __atomic_load_n(&sched.pollerm, __ATOMIC_ACQUIRE);
	if (pm)
		oswakeup(pm->cpu);
}

/* wakeNetPoller: a timer at when was added; make sure some M will see it
 * in time (Go's wakeNetPoller). */
void wakeNetPoller(int64_t when)
{
	if (__atomic_load_n(&sched.polling, __ATOMIC_SEQ_CST)) {
		int64_t pu = __atomic_load_n(&sched.pollUntil, __ATOMIC_SEQ_CST);
		if (pu == 0 || when < pu)
			pollerbreak();
		return;
	}
	wakep();
}

/* schedule: one round of the scheduler, on g0. Never returns. */
_Noreturn void schedule(void)
{
	m *mp = getg()->m;
	if (mp->locks)
		throw("schedule: holding locks");
	if (getg() != mp->g0)
		throw("schedule: not on g0");
	mp->btsched = bt_start();
	if (mp->lockedg && ncpu > 1) {
		/* With one CPU there is no other M to hand the P to: the
		 * only M runs everything, its locked G included. */
		stoplockedm();
		execute(mp->lockedg, false);
	}
top:;
	p *pp = mp->p;
	g *gp = NULL;
	bool inheritTime = false;
	if (__atomic_load_n(&sched.gcwaiting, __ATOMIC_ACQUIRE)) {
		gcstopm();
		goto top;
	}
	if (pp->schedtick % 61 == 0 && __atomic_load_n(&sched.runqsize, __ATOMIC_ACQUIRE) > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 1);
		unlock(&sched.lock);
	}
	if (!gp && !__atomic_load_n(&pp->timer0When, __ATOMIC_ACQUIRE) && !consolepending())
		gp = runqget_inherit(pp, &inheritTime);    /* the common case, without findrunnable's frame */
	if (!gp) {
		uint64_t t = bt_start();
		gp = findrunnable(&inheritTime);
		bt_end(mp, BT_FINDRUN, t);
	}
	if (mp->spinning)
		resetspinning();
	if (gp->lockedm && gp->lockedm != mp) {
		startlockedm(gp);
		goto top;
	}
	/* a G locked to this M comes back through the queues only with one
	 * CPU (see the top: its M does not wait for it alone): run it */
	execute(gp, inheritTime);
}

/* dropg: the current M no longer runs its curg. */
static void dropg(void)
{
	m *mp = getg()->m;
	if (mp->curg)
		mp->curg->m = NULL;
	mp->curg = NULL;
}

static void park_m(g *gp)
{
	m *mp = getg()->m;
	casgstatus(gp, _Grunning, _Gwaiting);
	dropg();
	bt_end(mp, BT_PARK, mp->btpark);
	bool (*fn)(g *, void *) = mp->waitunlockf;
	if (fn) {
		mp->waitunlockf = NULL;
		if (!fn(gp, mp->waitlock)) {
			/* the unlock function says it is too late to sleep */
			casgstatus(gp, _Gwaiting, _Grunnable);
			execute(gp, true);      /* its slice goes on */
		}
	}
	schedule();
}

/*
 * gopark puts the current goroutine into a waiting state and calls
 * unlockf(gp, lock) on g0 once it is parked (so a waker that needs the
 * lock cannot see it running); if unlockf returns false the goroutine
 * resumes at once. goready makes it runnable again.
 */
void gopark(bool (*unlockf)(g *gp, void *lock), void *lock, uint32_t reason)
{
	g *gp = getg();
	m *mp = acquirem();
	if (gp == mp->g0)
		throw("gopark: on g0");
	mp->waitunlockf = unlockf;
	mp->waitlock = lock;
	gp->waitreason = reason;
	mp->btpark = bt_start();
	mp->locks--;            /* not releasem: no preemption between here and park_m */
	mcall(park_m);
}

void goready(g *gp)
{
	m *mp = acquirem();
	uint64_t t = bt_start();
	casgstatus(gp, _Gwaiting, _Grunnable);
	runqput(mp->p, gp, true);
	wakep();
	bt_end(mp, BT_READY, t);
	releasem(mp);
}

/* goschedImpl: the goroutine goes to the global queue, so a yield or a
 * preemption gives every P a chance at it (Go's goschedImpl). */
static void goschedImpl(g *gp)
{
	casgstatus(gp, _Grunning, _Grunnable);
	dropg();
	lock(&sched.lock);
	globrunqput(gp);
	unlock(&sched.lock);
	schedule();
}

/* goyield_m: like gosched, but to the local queue's tail, behind the G
 * just readied into runnext (Go's goyield, for a semaphore hand-off). */
static void goyield_m(g *gp)
{
	p *pp = getg()->m->p;
	casgstatus(gp, _Grunning, _Grunnable);
	dropg();
	runqput(pp, gp, false);
	schedule();
}

void goyield(void)
{
	mcall(goyield_m);
}

/* gosched_m: Gosched. With one P the global queue only costs two trips
 * through sched.lock: no other P could take the G from there, so it goes
 * to the tail of this P's queue (behind the Gs that were waiting). */
void gosched_m(g *gp)
{
	p *pp = getg()->m->p;
	if (gomaxprocs_ == 1 && runqlen(pp) < RUNQ_SIZE - 1) {
		casgstatus(gp, _Grunning, _Grunnable);
		dropg();
		runqput(pp, gp, false);
		schedule();
	}
	goschedImpl(gp);
}
void gopreempt_m(g *gp) { goschedImpl(gp); }

/* goexit0 finishes the current G on g0 and keeps it for reuse. */
static void goexit0(g *gp)
{
	m *mp = getg()->m;
	casgstatus(gp, _Grunning, _Gdead);
	gp->m = NULL;
	gp->waitreason = waitReasonZero;
	gp->startfn = NULL;
	gp->startarg = NULL;
	gp->lockedm = NULL;
	if (mp->lockedg == gp)
		mp->lockedg = NULL;
	dropg();
	gfput(mp->p, gp);
	schedule();
}

/* goexit1 is where goexit_asm (a goroutine's return) and goexit land. */
void goexit1(void)
{
	mcall(goexit0);
	__builtin_unreachable();
}

void badmcall(void) { throw("runtime: mcall called on m->g0 stack"); }
void badmcall2(void) { throw("runtime: mcall function returned"); }

/* ---- starting an M ---- */

/* mstart1: the first thing an M does on its g0 stack: reset g0's saved sp
 * to the top (each return to the scheduler through mcall starts from a
 * clean g0 stack), take the P it was handed or park, and schedule. */
static GDBSTOP _Noreturn void mstart1(void)
{
	g *gp = getg();
	m *mp = gp->m;
	gp->sched.sp = (gp->stack.hi - 16) & ~(uintptr_t)15;
	gp->sched.g = gp;
	osenableintr();                 /* IPIs may come in from here on */
	if (mp->mstartfn)
		mp->mstartfn();
	if (mp != &m0) {
		if (mp->nextp) {
			acquirep(mp->nextp);
			mp->nextp = NULL;
		} else {
			stopm();
		}
	}
	schedule();
}

/* mstart is where every M starts: rt0_go's for m0, newosproc's for the
 * others. */
_Noreturn void mstart(void)
{
	g *gp = getg();
	if (gp != gp->m->g0)
		throw("mstart: not on g0");
	if (gp->m == &m0)
		inittrace_mark("mstart");
	mstart1();
}

/* newm makes an M for CPU cpu and starts the CPU; false if it did not come up. */
bool newm(int cpu)
{
	m *mp = malloc(sizeof *mp);
	mp->cpu = cpu;
	mcommoninit(mp);
	return newosproc(mp);
}

/* newm_sysmon registers sysmon's M: it runs from a timer interrupt on the
 * boot CPU, not on a CPU of its own, and never holds a P. */
m *newm_sysmon(void)
{
	m *mp = malloc(sizeof *mp);
	mp->cpu = -1;
	mcommoninit(mp);
	lock(&sched.lock);
	sched.nmsys++;
	unlock(&sched.lock);
	return mp;
}
