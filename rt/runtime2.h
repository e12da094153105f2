/*
 * runtime2.h - the runtime's core types, as Go's runtime2.go: g (a
 * goroutine), m (a CPU running Go code, Go's "machine"), p (the resources
 * needed to run Go code: run queue, caches), schedt (the global scheduler).
 *
 * Field offsets used by assembly come from asm_offsets.c; keep the first
 * fields of g and m where _Static_asserts there pin them.
 */
#ifndef RT_RUNTIME2_H
#define RT_RUNTIME2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/rt.h"

typedef struct g g;

/* note: a one-shot sleep/wake-up between Ms (Go's note); key 1 = woken */
struct note {
	uint32_t key;
};
typedef struct m m;
typedef struct p p;

/* A runtime lock (Go's mutex): short critical sections on g0 or with
 * m->locks held; never held across a park. See lock.c. */
struct mutex {
	uint32_t key;
};

/* A timer (Go's runtime timer): f(arg) runs on g0 once nanotime() >= when. */
struct timer {
	int64_t when;
	void (*f)(void *arg);
	void *arg;
	p *pp;                  /* the P whose heap holds it; NULL when not in a heap */
	int32_t idx;            /* position in that heap */
};

/* [lo, hi) of a goroutine stack. */
struct stack {
	uintptr_t lo;
	uintptr_t hi;
};

/*
 * gobuf: what gogo restores and mcall saves. Go's ABI has no callee-saved
 * registers; the C ABI does (rbx, rbp, r12-r15), so they live here too.
 * ctxt is passed in rdi on the first entry of a new goroutine (its argument).
 */
struct gobuf {
	uintptr_t sp;   /*  0 */
	uintptr_t pc;   /*  8 */
	g *g;           /* 16 */
	uintptr_t ctxt; /* 24 */
	uintptr_t bp;   /* 32 */
	uintptr_t bx;   /* 40 */
	uintptr_t r12;  /* 48 */
	uintptr_t r13;  /* 56 */
	uintptr_t r14;  /* 64 */
	uintptr_t r15;  /* 72 */
};

/* G status (Go's _G*): the comment says who owns the stack. */
enum {
	_Gidle = 0,     /* just allocated, not yet initialized */
	_Grunnable = 1, /* on a run queue; not executing; stack owned by nobody running */
	_Grunning = 2,  /* executing on an M with a P; the M owns the stack */
	_Gsyscall = 3,  /* unused here: no system calls */
	_Gwaiting = 4,  /* blocked in the runtime; someone will ready it; stack not in use */
	_Gdead = 6,     /* on a free list or just exited; stack may be reused */
	_Gpreempted = 9,/* stopped by async preemption */
};

/* Wait reasons (Go's waitReason), printed in tracebacks. */
enum {
	waitReasonZero = 0,
	waitReasonGoroutineSleep,
	waitReasonChanReceive,
	waitReasonChanSend,
	waitReasonSelect,
	waitReasonSelectNoCases,
	waitReasonChanReceiveNilChan,
	waitReasonChanSendNilChan,
	waitReasonSyncMutexLock,
	waitReasonSyncWaitGroupWait,
	waitReasonSemacquire,
	waitReasonGCSweepWait,
	waitReasonIOWait,
};

struct hchan;

/*
 * sudog: a g in a wait list (Go's sudog): on a channel's sendq/recvq or a
 * semaphore's queue. A goroutine blocked in chan_send/chan_recv or on a
 * semaphore keeps its sudog in its own frame (stacks never move here), so
 * blocking allocates nothing; select takes its sudogs from a per-P cache.
 */
struct sudog {
	g *g;
	struct sudog *next, *prev;  /* wait queue links */
	void *elem;                 /* data element (may point into g's stack) */
	struct sudog *waitlink;     /* g->waiting list (select), or sema queue */
	struct sudog *waittail;     /* sema: tail of this address's queue */
	struct hchan *c;            /* channel waited on */
	uint32_t ticket;            /* sema: 1 = the semaphore was handed off */
	bool isSelect;              /* g is in a select: g->selectDone decides the race */
	bool success;               /* channel: woken by a value (true) or by close (false) */
};

struct g {
	struct stack stack;     /*  0: the stack this g runs on */
	uintptr_t stackguard0;  /* 16: lowest usable address, checked by the page-fault path */
	struct gobuf sched;     /* 24: saved context while not running */
	m *m;                   /* current m; NULL while not running */
	int64_t goid;
	uint32_t atomicstatus;  /* _G*; atomic */
	uint32_t waitreason;    /* if status == _Gwaiting */
	g *schedlink;           /* run queue / free list link; owner of the queue */
	gofunc startfn;         /* the function go() was given */
	void *startarg;
	bool preempt;           /* preemption requested */
	g *alllink;             /* on allgs; written once, under allglock */
	uintptr_t stackmapped;  /* lowest backed address of stack; the running g (page faults) */
	bool system;            /* a runtime goroutine (bgsweep): hidden from the program */
	m *lockedm;             /* runs only on this M (lockOSThread) */
	struct timer sleeptimer;/* sleep_ns's timer */
	uintptr_t asyncpc;      /* where an async preemption interrupted it */
	uint64_t npreempt;      /* times it was preempted asynchronously */
	void *param;            /* passed by the waker: the sudog that fired (select) */
	struct sudog *waiting;  /* select's sudogs, in lock order */
	uint32_t selectDone;    /* a case of this g's select has fired; atomic */
};

struct m {
	g *g0;                  /*  0: goroutine with the scheduling stack */
	uintptr_t tls[4];       /*  8: GS base points here; tls[0] is the current g */
	g *curg;                /* 40: current running goroutine */
	p *p;                   /* attached p for executing Go code; NULL if none */
	p *nextp;
	int64_t id;
	int32_t locks;          /* > 0: in a runtime critical section, no preemption */
	int32_t cpu;            /* index of the CPU this m runs on (0 = boot CPU) */
	bool spinning;          /* looking for work */
	bool dying;             /* throw in progress */
	m *alllink;             /* on allm */
	m *schedlink;
	g *lockedg;             /* goroutine locked to this m (runtime_main during init) */
	uint64_t fastrand;      /* xorshift state; owner m only */
	bool (*waitunlockf)(g *gp, void *lock);  /* gopark's unlock function, run by park_m */
	void *waitlock;
	struct note park;       /* stopm sleeps here; startm wakes it */
	int64_t timerwhen;      /* this CPU's idle sleep ends then (nanotime), 0: none; owner */
	void (*mstartfn)(void); /* run by mstart1 before scheduling */
	uint64_t btcycles[12];   /* GODEBUG=benchtrace: cycles per phase (benchtrace.h); owner */
	uint64_t btcount[12];
	uint64_t btsched, btpark;       /* when schedule / gopark began */
};

/* A queue of Gs linked through schedlink (Go's gQueue). */
struct gqueue {
	g *head, *tail;
};

enum { _Pidle = 0, _Prunning = 1, _Psyscall = 2, _Pgcstop = 3, _Pdead = 4 };

#define RUNQ_SIZE 256
#define SUDOG_CACHE 64

struct mcache;

struct p {
	int32_t id;
	uint32_t status;        /* _P*; sched.lock or owner */
	uint32_t schedtick;     /* incremented on every scheduler call; owner */
	m *m;                   /* back-link to associated m; NULL if idle */
	p *link;                /* on sched.pidle */

	/* Local run queue, accessed without lock: head is CASed by stealers,
	 * tail written only by the owner P. */
	uint32_t runqhead;
	uint32_t runqtail;
	g *runq[RUNQ_SIZE];
	/* runnext: a G readied by the current G, run next in its time slice;
	 * owner writes, stealers CAS. */
	g *runnext;

	struct gqueue gfree;    /* dead Gs with stacks; owner only */
	int32_t gfreecnt;

	uint64_t goidcache;     /* next goid to hand out from this P's batch; owner only */
	uint64_t goidcacheend;


	struct mcache *mcache;  /* small-object allocation cache; owner only */

	struct sudog *sudogcache[SUDOG_CACHE];  /* free sudogs for select; owner only */
	int32_t nsudogcache;

	struct mutex timerslock;/* guards the timer heap */
	struct timer **timers;  /* 4-ary heap by when; timerslock */
	int32_t ntimers, captimers;
	int64_t timer0When;     /* earliest when, 0 if none; atomic */
	uint32_t timersrunning; /* an M is running this P's timers; atomic */
};

struct schedt {
	uint64_t goidgen;       /* atomic: goid batches are taken from here */
	struct mutex lock;

	m *midle;               /* idle ms waiting for work; sched.lock */
	int32_t nmidle;
	int32_t nmidlelocked;   /* locked ms waiting for work; sched.lock */
	int32_t nmsys;          /* ms that do not count for deadlock (sysmon); sched.lock */
	int64_t mnext;          /* number of ms created, and next M ID; sched.lock */
	int32_t maxmcount;      /* maximum number of ms allowed (or die) */

	p *pidle;               /* idle ps; sched.lock */
	int32_t npidle;         /* atomic */
	int32_t nmspinning;     /* atomic */

	struct gqueue runq;     /* global runnable queue; sched.lock */
	int32_t runqsize;       /* sched.lock; read atomically as a hint */

	uint32_t gcwaiting;     /* stopTheWorld in progress; atomic */
	int32_t stopwait;       /* Ps still to stop; sched.lock */
	struct note stopnote;   /* stopTheWorld sleeps here */
	m *stopm;               /* the M that sleeps on stopnote */

	/* the timer sleeper: one idle M halted until the earliest timer
	 * (Go's netpoll(delay) M) */
	uint32_t polling;       /* an M is the sleeper; atomic */
	m *pollerm;
	int64_t pollUntil;      /* it wakes then; atomic */
	uint32_t pollwake;      /* set to wake it early; atomic */

	struct mutex gflock;    /* global cache of dead Gs */
	struct gqueue gfree;
	int32_t ngfree;
};

/* Accessed through getg(): %gs:0 holds the current g. */
static inline g *getg(void)
{
	g *gp;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(gp));
	return gp;
}

extern struct schedt sched;
extern m m0;
extern g g0;
extern p *allp[];
extern int32_t gomaxprocs_;
extern int32_t ncpu;
extern m *allm;

/* debug variables (GODEBUG), parsed by parsedebugvars */
struct dbgvars {
	int32_t inittrace;
	int32_t schedtrace;
	int32_t scheddetail;
	int32_t asyncpreemptoff;
	int32_t benchtrace;
	int32_t sysmonperiod;   /* µs between sysmon rounds, fixed (0: Go's 20 µs..10 ms backoff) */
	int32_t forcepreemptns; /* a goroutine's time slice before sysmon preempts it (0: 10 ms) */
};
extern struct dbgvars debug;

#endif
