/*
 * proc_init.c - from Go's proc.go, split from proc.c for size: the
 * bootstrap (schedinit, bringing up the other CPUs' Ms), runtime_main,
 * deadlock detection, and the program-facing part of package runtime
 * (go, gosched, goexit, goid, gomaxprocs, numcpu, numgoroutine, cpuid).
 */
#include "runtime.h"
#include "mheap.h"
#include "os.h"
#include "print.h"

#define MAXPROCS 256

extern char __rt_init_start[], __rt_init_end[];         /* linker.ld: RT_INIT table */
static bool mainExited;                                 /* main goroutine called goexit */
m *sysmonm;

/* startms gives every other CPU an M; each parks in stopm until needed. */
static void startms(void)
{
	int up = 1;
	for (int cpu = 1; cpu < ncpu; cpu++)
		if (newm(cpu))
			up++;
	ncpu = up;
}

void schedinit(void)
{
	inittrace_mark("schedinit");
	sched.maxmcount = (int32_t)getenv_int("maxthreads", 10000, 1, 1000000);
	inittrace_mark("stackinit");
	stackinit();                    /* goroutine stacks */
	inittrace_mark("mallocinit");
	mallocinit();                   /* the heap */
	mcommoninit(getg()->m);         /* m0: id 0, on allm */
	cpuinit();                      /* CPU feature flags the runtime may use */
	preemptinit();                  /* how much vector state a preemption saves */
	alginit();                      /* random seed */
	/* goargs/goenvs: args() already split argv and environment */
	osclockfinish();                /* before anything keeps a time */
	parsedebugvars();               /* GODEBUG: inittrace decides from here */
	inittrace_decide();
	/* gcinit: no collector; memory is freed explicitly (API.md) */
	inittrace_mark("procresize");
	int64_t procs = ncpu;
	if (gogetenv("GOMAXPROCS"))
		procs = getenv_int("GOMAXPROCS", ncpu, 1, MAXPROCS);
	procresize_boot((int32_t)procs);
	inittrace_mark("startms");
	startms();                      /* the other CPUs, parked until there is work */
	checktscskew();
	if (getenv_int("watchdog", 1, 0, 1))
		oswatchdogstart();      /* every CPU is up: from here none may stop ticking */
	sysmon_start();                 /* CPU 0's timer; interrupts come on in mstart */
}

static void main_init(void)
{
	inittrace_mark("main_init");
	for (rt_initfn *f = (rt_initfn *)__rt_init_start; f < (rt_initfn *)__rt_init_end; f++)
		(*f)();
}

static void lockOSThread(void)
{
	g *gp = getg();
	gp->m->lockedg = gp;
	gp->lockedm = gp->m;
}

static void unlockOSThread(void)
{
	g *gp = getg();
	gp->m->lockedg = NULL;
	gp->lockedm = NULL;
}

/*
 * runtime_main is the main goroutine (goid 1): it registers sysmon's M,
 * runs the program's init functions locked to m0, then main_main, then
 * ends the machine, whatever other goroutines are doing.
 */
void runtime_main(void *arg)
{
	(void)arg;
	g *gp = getg();
	inittrace_mark("runtime_main");
	if (gp->goid != 1)
		throw("runtime_main: main goroutine is not goroutine 1");
	lockOSThread();                 /* init runs on m0, as in Go; first, so a
	                                   preemption from here on comes back to m0 */
	if (gp->m != &m0)
		throw("runtime_main: not on m0");
	sysmonm = newm_sysmon();        /* sysmon runs from CPU 0's timer interrupt */
	__atomic_store_n(&mainStarted, true, __ATOMIC_RELEASE);
	gcenable();                     /* bgsweep: empty spans and unused pages back */
	main_init();
	unlockOSThread();
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
};

static void countg(g *gp, void *arg)
{
	struct deadcount *c = arg;
	uint32_t s = readgstatus(gp);
	if (gp->system && s == _Gwaiting)
		return;         /* a parked runtime goroutine wakes only for the program's sake */
	if (s == _Grunnable || s == _Grunning)
		c->run++;
	else if (s == _Gwaiting || s == _Gpreempted)
		c->wait++;
}

/*
 * checkdead is called, with sched.lock held, whenever an M goes idle. If
 * every M is idle and no goroutine can become runnable (none runnable or
 * running, and no timer or interrupt to wake one), the program is
 * deadlocked, as Go reports it.
 */
void checkdead(void)
{
	int32_t run = (int32_t)sched.mnext - sched.nmidle - sched.nmidlelocked - sched.nmsys;
	if (run > 0)
		return;
	if (run < 0) {
		printf("runtime: checkdead: nmidle=%d nmidlelocked=%d mcount=%ld nmsys=%d\n",
		       sched.nmidle, sched.nmidlelocked, sched.mnext, sched.nmsys);
		throw("checkdead: inconsistent counts");
	}
	struct deadcount c = {0};
	forEachG(countg, &c);
	if (c.run > 0)
		return;         /* an M is about to take it */
	if (earliestTimer() != 0 || console_waiting())
		return;         /* a timer or console input will wake someone */
	unlock(&sched.lock);    /* throw prints goroutines; nothing else may run now */
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
	stopTheWorld();
	procresize(n > MAXPROCS ? MAXPROCS : n);
	startTheWorld();
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

int cpuid(void)
{
	m *mp = acquirem();
	int c = mp->cpu;
	releasem(mp);
	return c;
}

/* ---- schedtrace (GODEBUG=schedtrace=ms, scheddetail=1) ---- */

static void gdetail(g *gp, void *arg)
{
	(void)arg;
	uint32_t s = readgstatus(gp);
	if (s == _Gdead)
		return;
	printf("  G%ld: status=%u(%s) m=%ld lockedm=%ld%s\n", gp->goid, s, gstatusname(gp),
	       gp->m ? gp->m->id : -1l, gp->lockedm ? gp->lockedm->id : -1l, gp->system ? " system" : "");
}

/* schedtrace prints Go's SCHED line and, detailed, a line per P, M and G.
 * Read without locks, like Go's: a snapshot that may be slightly off. */
void schedtrace(bool detailed)
{
	int64_t now = nanotime();
	printf("SCHED %ldms: gomaxprocs=%d idleprocs=%d threads=%ld spinningthreads=%d idlethreads=%d runqueue=%d",
	       now / 1000000, gomaxprocs_, sched.npidle, sched.mnext, sched.nmspinning,
	       sched.nmidle + sched.nmidlelocked, sched.runqsize);
	if (!detailed) {
		printf(" [");
		for (int i = 0; i < gomaxprocs_; i++)
			printf(i ? " %u" : "%u", runqlen(allp[i]));
		printf("]\n");
		return;
	}
	printf(" gcwaiting=%u nmidlelocked=%d stopwait=%d\n", sched.gcwaiting, sched.nmidlelocked, sched.stopwait);
	for (int i = 0; i < gomaxprocs_; i++) {
		p *pp = allp[i];
		printf("  P%d: status=%u schedtick=%u m=%ld runqsize=%u gfreecnt=%d\n", i, pp->status,
		       pp->schedtick, pp->m ? pp->m->id : -1l, runqlen(pp), pp->gfreecnt);
	}
	for (m *mp = allm; mp; mp = mp->alllink)
		printf("  M%ld: cpu=%d p=%d curg=%ld locks=%d dying=%d spinning=%s blocked=%s lockedg=%ld\n",
		       mp->id, mp->cpu, mp->p ? mp->p->id : -1, mp->curg ? mp->curg->goid : -1l, mp->locks,
		       mp->dying, mp->spinning ? "true" : "false", mp->park.key ? "false" : "true",
		       mp->lockedg ? mp->lockedg->goid : -1l);
	forEachG(gdetail, NULL);
}
