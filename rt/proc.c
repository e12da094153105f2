/*
 * proc.c - the goroutine scheduler, after Go's proc.go.
 *
 * G - goroutine. M - a CPU running Go code (Go: an OS thread; here there is
 * no OS, so an M is a core). P - the resources an M needs to run Go code:
 * a local run queue, a free-G cache, a goid batch. An M must hold a P to
 * run goroutines; there are exactly GOMAXPROCS Ps.
 *
 * Every M runs the same loop: schedule() finds a runnable G (runnext, the
 * local queue, every 61st tick the global queue first so it cannot starve),
 * execute() switches to it with gogo; the G comes back to the scheduler
 * through mcall (park, gosched, exit), which switches to the M's g0 stack.
 *
 * This file brings up the boot CPU's M (m0) and its g0, and runs the whole
 * startup flow there: schedinit, newproc(runtime_main), mstart. Bringing up
 * the other cores, work stealing and the spinning protocol come with SMP;
 * until then one M runs all goroutines and the other Ps stay idle.
 */
#include "runtime2.h"
#include "os.h"
#include "print.h"
#include "runtime.h"
#include "mheap.h"

#define MAXPROCS 256
#define GOID_BATCH 16           /* goids handed to a P at a time (Go's _GoidCacheBatch) */

struct schedt sched;
m m0;
g g0;
p *allp[MAXPROCS];
int32_t gomaxprocs_;
m *allm;

static struct mutex allglock;
static g *allgs;                /* all Gs ever made, through alllink; allglock */
static int32_t allglen;
bool mainStarted;               /* runtime_main has begun: newproc may wake Ps */
static bool mainExited;         /* main goroutine called goexit */

extern char __rt_init_start[], __rt_init_end[];         /* linker.ld: RT_INIT table */
extern void goexit_asm(void);

/* ---- G status ---- */

void casgstatus(g *gp, uint32_t old, uint32_t new)
{
	if (!__atomic_compare_exchange_n(&gp->atomicstatus, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		printf("runtime: casgstatus: goroutine %ld from %u to %u, but it is %u\n", gp->goid, old, new, old);
		throw("casgstatus: bad incoming values");
	}
}

uint32_t readgstatus(g *gp)
{
	return __atomic_load_n(&gp->atomicstatus, __ATOMIC_ACQUIRE);
}

/* acquirem/releasem keep the current G on its M (no preemption) across a
 * section that uses the P's structures. */
m *acquirem(void)
{
	m *mp = getg()->m;
	mp->locks++;
	return mp;
}

void releasem(m *mp)
{
	mp->locks--;
}

/* ---- run queues (owner P only, until stealing arrives) ---- */

static void gqueue_push(struct gqueue *q, g *gp)
{
	gp->schedlink = NULL;
	if (q->tail)
		q->tail->schedlink = gp;
	else
		q->head = gp;
	q->tail = gp;
}

static g *gqueue_pop(struct gqueue *q)
{
	g *gp = q->head;
	if (gp) {
		q->head = gp->schedlink;
		if (!q->head)
			q->tail = NULL;
	}
	return gp;
}

/* globrunqput puts gp on the global queue; sched.lock held. */
static void globrunqput(g *gp)
{
	gqueue_push(&sched.runq, gp);
	sched.runqsize++;
}

/*
 * globrunqget takes a G from the global queue for pp, and moves up to max
 * more (and at most a fair share) into pp's local queue; sched.lock held.
 */
static g *globrunqget(p *pp, int32_t max)
{
	if (sched.runqsize == 0)
		return NULL;
	int32_t n = sched.runqsize / gomaxprocs_ + 1;
	if (n > sched.runqsize)
		n = sched.runqsize;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	sched.runqsize -= n;
	g *gp = gqueue_pop(&sched.runq);
	for (n--; n > 0; n--)
		runqput(pp, gqueue_pop(&sched.runq), false);
	return gp;
}

/* runqputslow moves half of pp's full local queue, plus gp, to the global
 * queue in one batch. */
static void runqputslow(p *pp, g *gp, uint32_t h, uint32_t t)
{
	g *batch[RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;
	if (n != RUNQ_SIZE / 2)
		throw("runqputslow: queue is not full");
	for (uint32_t i = 0; i < n; i++)
		batch[i] = pp->runq[(h + i) % RUNQ_SIZE];
	if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		runqput(pp, gp, false);     /* a stealer moved things; retry */
		return;
	}
	batch[n] = gp;
	lock(&sched.lock);
	for (uint32_t i = 0; i <= n; i++)
		globrunqput(batch[i]);
	unlock(&sched.lock);
}

/*
 * runqput puts gp on pp's local queue; next: into pp->runnext, kicking the
 * old runnext to the tail (a readied G runs next, inheriting the time
 * slice). A full queue spills half to the global queue.
 */
void runqput(p *pp, g *gp, bool next)
{
	if (next) {
		g *old = __atomic_exchange_n(&pp->runnext, gp, __ATOMIC_ACQ_REL);
		if (!old)
			return;
		gp = old;
	}
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	uint32_t t = pp->runqtail;
	if (t - h < RUNQ_SIZE) {
		pp->runq[t % RUNQ_SIZE] = gp;
		__atomic_store_n(&pp->runqtail, t + 1, __ATOMIC_RELEASE);
		return;
	}
	runqputslow(pp, gp, h, t);
}

/* runqget takes runnext first, then the queue's head. */
g *runqget(p *pp)
{
	g *next = __atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
	if (next && __atomic_compare_exchange_n(&pp->runnext, &next, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return next;
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = pp->runqtail;
		if (t == h)
			return NULL;
		g *gp = pp->runq[h % RUNQ_SIZE];
		if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return gp;
	}
}

uint32_t runqlen(p *pp)
{
	return pp->runqtail - pp->runqhead + (pp->runnext ? 1 : 0);
}

/* ---- G allocation ---- */

static void allgadd(g *gp)
{
	lock(&allglock);
	gp->alllink = allgs;
	allgs = gp;
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

static void gsetstack(g *gp, struct stack st)
{
	gp->stack = st;
	gp->stackguard0 = st.lo + 1024;
	gp->stackmapped = st.hi - 4096;     /* stackalloc backs the top page */
}

/* malg allocates a new G with a stack. */
static g *malg(void)
{
	g *gp = malloc(sizeof *gp);
	gsetstack(gp, stackalloc());
	return gp;
}

/* gfput keeps a dead G (with its stack) on pp's free list; above 64 it
 * moves a batch to the global list, without their stacks (they go to the
 * stack caches), so idle goroutines do not pin stack pages. */
static void gfput(p *pp, g *gp)
{
	if (readgstatus(gp) != _Gdead)
		throw("gfput: bad status (not Gdead)");
	gqueue_push(&pp->gfree, gp);
	pp->gfreecnt++;
	if (pp->gfreecnt >= 64) {
		struct gqueue batch = {0};
		while (pp->gfreecnt >= 32) {
			g *d = gqueue_pop(&pp->gfree);
			pp->gfreecnt--;
			if (d->stack.lo) {      /* Gs refilled from the global list have none */
				stackfree(d->stack, d->stackmapped);
				d->stack = (struct stack){0};
			}
			gqueue_push(&batch, d);
		}
		lock(&sched.gflock);
		while (batch.head) {
			gqueue_push(&sched.gfree, gqueue_pop(&batch));
			sched.ngfree++;
		}
		unlock(&sched.gflock);
	}
}

/* gfget takes a dead G from pp's list, refilling from the global list;
 * a G without a stack gets one. */
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
	if (gp->stack.lo == 0)
		gsetstack(gp, stackalloc());
	else
		stackreuse(gp);
	return gp;
}

/* ---- creating goroutines ---- */

/* newproc1 makes a runnable G that will call fn(arg) and return into
 * goexit_asm. */
static g *newproc1(gofunc fn, void *arg)
{
	if (!fn)
		throw("go of nil func value");
	m *mp = acquirem();
	p *pp = mp->p;
	g *newg = gfget(pp);
	if (!newg) {
		newg = malg();
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

	if (pp->goidcache == pp->goidcacheend) {
		/* Take a batch of goids at once: one atomic per 16 goroutines. */
		pp->goidcache = __atomic_add_fetch(&sched.goidgen, GOID_BATCH, __ATOMIC_SEQ_CST) - GOID_BATCH + 1;
		pp->goidcacheend = pp->goidcache + GOID_BATCH;
	}
	newg->goid = (int64_t)pp->goidcache++;
	casgstatus(newg, _Gdead, _Grunnable);
	releasem(mp);
	return newg;
}

/* newproc is the go statement: the new G goes to the current P's runnext. */
void newproc(gofunc fn, void *arg)
{
	g *newg = newproc1(fn, arg);
	newg->system = false;
	m *mp = acquirem();
	runqput(mp->p, newg, true);
	releasem(mp);
}

/* newproc_system starts a runtime goroutine (bgsweep...): one the program
 * does not see in numgoroutine, tracebacks or deadlock detection. */
g *newproc_system(gofunc fn, void *arg)
{
	g *newg = newproc1(fn, arg);
	newg->system = true;
	m *mp = acquirem();
	runqput(mp->p, newg, false);
	releasem(mp);
	return newg;
}

/* ---- Ms and Ps ---- */

void mcommoninit(m *mp, int64_t id)
{
	lock(&sched.lock);
	if (id >= 0)
		mp->id = id;
	else
		mp->id = sched.mnext++;
	if (sched.mnext > sched.maxmcount) {
		printf("runtime: program exceeds %d-thread limit\n", sched.maxmcount);
		throw("thread exhaustion");
	}
	mp->alllink = allm;
	__atomic_store_n(&allm, mp, __ATOMIC_RELEASE);
	unlock(&sched.lock);
}

static void pidleput(p *pp)
{
	pp->status = _Pidle;
	pp->link = sched.pidle;
	sched.pidle = pp;
	sched.npidle++;
}

static void acquirep(p *pp)
{
	m *mp = getg()->m;
	if (mp->p || pp->m || pp->status != _Pidle)
		throw("acquirep: invalid p state");
	mp->p = pp;
	pp->m = mp;
	pp->status = _Prunning;
}

/* procdestroy moves a retired P's runnable and free Gs to the global lists. */
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
	stackcache_flush(pp);
	freemcache(pp->mcache);
	pp->mcache = NULL;
	pp->status = _Pdead;
}

/*
 * procresize changes the number of Ps to nprocs; the world is stopped (at
 * boot trivially so). The current M keeps its P if it survives, else takes
 * allp[0]; the other Ps go idle. Ps beyond nprocs hand their Gs to the
 * global lists.
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
	lock(&sched.lock);
	sched.pidle = NULL;
	sched.npidle = 0;
	for (int32_t i = nprocs - 1; i >= 0; i--)
		if (allp[i] != mp->p) {
			allp[i]->m = NULL;
			pidleput(allp[i]);
		}
	gomaxprocs_ = nprocs;
	unlock(&sched.lock);
	mcache0 = NULL;                 /* from now on every M allocates through its P */
}

/* ---- the scheduler loop ---- */

/* execute runs gp on the current M. Never returns. */
static _Noreturn void execute(g *gp)
{
	m *mp = getg()->m;
	mp->curg = gp;
	gp->m = mp;
	casgstatus(gp, _Grunnable, _Grunning);
	mp->p->schedtick++;
	gogo(&gp->sched);
	__builtin_unreachable();
}

/*
 * findrunnable returns a G to run, and blocks until there is one. Every
 * 61st schedtick the global queue goes first, so a stream of local
 * goroutines cannot starve it.
 */
static g *findrunnable(void)
{
	p *pp = getg()->m->p;
	g *gp;
	if (pp->schedtick % 61 == 0 && sched.runqsize > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 1);
		unlock(&sched.lock);
		if (gp)
			return gp;
	}
	if ((gp = runqget(pp)) != NULL)
		return gp;
	if (sched.runqsize > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		if (gp)
			return gp;
	}
	/* Nothing can make a G runnable: no other M runs and no timer or
	 * interrupt source exists yet. */
	checkdead();
	throw("findrunnable: no work and checkdead found none missing");
}

/* schedule: one round of the scheduler, on g0. Never returns. */
_Noreturn void schedule(void)
{
	m *mp = getg()->m;
	if (mp->locks)
		throw("schedule: holding locks");
	if (getg() != mp->g0)
		throw("schedule: not on g0");
	execute(findrunnable());
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
	bool (*fn)(g *, void *) = mp->waitunlockf;
	if (fn) {
		mp->waitunlockf = NULL;
		if (!fn(gp, mp->waitlock)) {
			/* the unlock function says it is too late to sleep */
			casgstatus(gp, _Gwaiting, _Grunnable);
			execute(gp);
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
	gp->waitsince = nanotime();
	releasem(mp);
	mcall(park_m);
}

void goready(g *gp)
{
	m *mp = acquirem();
	casgstatus(gp, _Gwaiting, _Grunnable);
	runqput(mp->p, gp, true);
	releasem(mp);
}

static void gosched_m(g *gp)
{
	casgstatus(gp, _Grunning, _Grunnable);
	dropg();
	lock(&sched.lock);
	globrunqput(gp);
	unlock(&sched.lock);
	schedule();
}

/* goexit0 finishes the current G on g0 and reuses it later. */
static void goexit0(g *gp)
{
	m *mp = getg()->m;
	casgstatus(gp, _Grunning, _Gdead);
	gp->m = NULL;
	gp->waitreason = waitReasonZero;
	gp->startfn = NULL;
	gp->startarg = NULL;
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

/* mstart is where every M starts: rt0_go's for m0, newosproc's for the
 * others. g0's saved sp is reset to the stack top: each return to the
 * scheduler through mcall starts from a clean g0 stack. */
_Noreturn void mstart(void)
{
	g *gp = getg();
	if (gp != gp->m->g0)
		throw("mstart: not on g0");
	inittrace_mark("mstart");
	gp->sched.sp = (gp->stack.hi - 16) & ~(uintptr_t)15;
	gp->sched.g = gp;
	schedule();
}

/* ---- startup ---- */

void schedinit(void)
{
	inittrace_mark("schedinit");
	sched.maxmcount = (int32_t)getenv_int("maxthreads", 10000, 1, 1000000);
	inittrace_mark("stackinit");
	stackinit();                    /* goroutine stacks */
	inittrace_mark("mallocinit");
	mallocinit();                   /* the heap */
	mcommoninit(getg()->m, -1);     /* m0: id 0, on allm */
	cpuinit();                      /* CPU feature flags the runtime may use */
	alginit();                      /* random seed */
	/* goargs/goenvs: args() already split argv and environment */
	parsedebugvars();               /* GODEBUG: inittrace decides from here */
	inittrace_decide();
	/* gcinit: no collector; memory is freed explicitly (API.md) */
	int64_t procs = ncpu;
	const char *v = gogetenv("GOMAXPROCS");
	if (v)
		procs = getenv_int("GOMAXPROCS", ncpu, 1, MAXPROCS);
	inittrace_mark("procresize");
	procresize((int32_t)procs);
}

static void main_init(void)
{
	inittrace_mark("main_init");
	for (rt_initfn *f = (rt_initfn *)__rt_init_start; f < (rt_initfn *)__rt_init_end; f++)
		(*f)();
}

/*
 * runtime_main is the main goroutine (goid 1): it runs the program's init
 * functions while locked to m0, then main_main, then ends the machine,
 * whatever other goroutines are doing.
 */
void runtime_main(void *arg)
{
	(void)arg;
	g *gp = getg();
	inittrace_mark("runtime_main");
	if (gp->goid != 1)
		throw("runtime_main: main goroutine is not goroutine 1");
	mainStarted = true;
	/* sysmon's M is registered by SMP bring-up; its body needs timers. */
	gp->m->lockedg = gp;            /* init runs on m0, as Go's lockOSThread */
	gcenable();                     /* bgsweep: empty spans and unused pages back */
	main_init();
	gp->m->lockedg = NULL;
	const char *t = gogetenv("test");
	if (t)
		exit(ktest_main(t));
	inittrace_mark("main_main");
	main_main();
	exit(0);
}

/* ---- checkdead ---- */

struct deadcount {
	int32_t run, wait;
	g *mainwaiting;
};

static void countg(g *gp, void *arg)
{
	struct deadcount *c = arg;
	if (gp->system && readgstatus(gp) == _Gwaiting)
		return;         /* a parked runtime goroutine wakes only for the program's sake */
	switch (readgstatus(gp)) {
	case _Grunnable:
	case _Grunning:
		c->run++;
		break;
	case _Gwaiting:
	case _Gpreempted:
		c->wait++;
		break;
	}
}

/*
 * checkdead is called when this M has nothing to run. If no goroutine can
 * become runnable - none runnable, none running, and no timer or interrupt
 * to wake one - the program is deadlocked, as Go reports it.
 */
void checkdead(void)
{
	struct deadcount c = {0};
	forEachG(countg, &c);
	if (c.run > 0)
		return;
	if (mainExited && c.wait == 0)
		throw("no goroutines (main called runtime.Goexit) - deadlock!");
	throw("all goroutines are asleep - deadlock!");
}

/* ---- the API (package runtime) ---- */

void go(gofunc fn, void *arg) { newproc(fn, arg); }

void gosched(void) { mcall(gosched_m); }

_Noreturn void goexit(void)
{
	if (getg()->goid == 1)
		mainExited = true;
	goexit1();
	__builtin_unreachable();
}

int64_t goid(void) { return getg()->goid; }

int gomaxprocs(int n)
{
	int prev = gomaxprocs_;
	if (n < 1 || n == prev)
		return prev;
	m *mp = acquirem();
	procresize(n > MAXPROCS ? MAXPROCS : n);
	releasem(mp);
	return prev;
}

int numcpu(void) { return ncpu; }

static void countlive(g *gp, void *arg)
{
	uint32_t s = readgstatus(gp);
	if (s != _Gdead && s != _Gidle && !gp->system)
		(*(int *)arg)++;
}

int numgoroutine(void)
{
	int n = 0;
	forEachG(countlive, &n);
	return n;
}

int cpuid(void) { return getg()->m->cpu; }
