/*
 * signal_amd64.c - CPU exceptions seen by the runtime, as Go's
 * signal_amd64.go and sigpanic see signals. The kernel calls sigtrap for
 * every exception. A fault in a goroutine (a user G, outside runtime
 * critical sections) is the program's: a page fault becomes Go's nil
 * dereference panic, a divide error Go's integer divide panic. Anything
 * else - a fault on g0, with locks held, or an unexpected vector - is the
 * runtime's own failure: "fatal error: unexpected trap". An NMI is either
 * the lockup watchdog's ("CPU N stuck") or a request for every CPU's
 * state (the NMI report), after which the program goes on.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"
#include "../kernel/kernel.h"

static bool user_fault(g *gp, const struct trapframe *tf)
{
	if (!gp || !gp->m || gp != gp->m->curg || gp->m->locks > 0)
		return false;
	return tf->vector == T_PAGE_FAULT || tf->vector == T_DIVIDE;
}

static _Noreturn void sigpanic(g *gp, struct trapframe *tf)
{
	if (tf->vector == T_PAGE_FAULT) {
		uint64_t addr = faultaddr();
		printf("panic: runtime error: invalid memory address or nil pointer dereference\n");
		printf("[signal SIGSEGV: segmentation violation code=0x%lx addr=0x%lx pc=0x%lx]\n\n",
		       (tf->error & 1) ? 2ul : 1ul, addr, tf->rip);
	} else {
		printf("panic: runtime error: integer divide by zero\n");
		printf("[signal SIGFPE: integer divide by zero code=0x1 addr=0x%lx pc=0x%lx]\n\n", tf->rip, tf->rip);
	}
	print_trap_report(tf);
	printf("\n");
	goroutineheader(gp);
	traceback_trap(tf->rip, tf->rsp, tf->rbp, gp);
	exit(2);
}

/* stackoverflow: Go's report of a goroutine (or g0) that ran out of stack. */
static _Noreturn void stackoverflow(g *gp, struct trapframe *tf)
{
	gp->m->dying = true;
	uintptr_t limit = gp == gp->m->g0 ? gp->stack.hi - gp->stack.lo : stackmaxbytes();
	printf("runtime: goroutine stack exceeds %lu-byte limit\n", (unsigned long)limit);
	printf("runtime: sp=0x%lx stack=[0x%lx, 0x%lx]\n", tf->rsp, gp->stack.lo, gp->stack.hi);
	printf("fatal error: stack overflow\n\n");
	if (gp == gp->m->g0)
		printf("runtime stack:\n");
	else
		goroutineheader(gp);
	traceback_trap(tf->rip, tf->rsp, tf->rbp, gp);
	tracebackothers(gp);
	exit(2);
}

/* tracebackcpu prints the trapped stack (g0's, or the goroutine's) and
 * the goroutine g0 was running for. */
static void tracebackcpu(g *gp, struct trapframe *tf)
{
	m *mp = gp->m;
	if (gp == mp->g0)
		printf("runtime stack:\n");
	else
		goroutineheader(gp);
	traceback_trap(tf->rip, tf->rsp, tf->rbp, gp);
	if (gp == mp->g0 && mp->curg && mp->curg != gp) {
		/* the goroutine that was switching to g0, or whose work g0 did */
		printf("\n");
		goroutineheader(mp->curg);
		traceback(mp->curg->sched.pc, mp->curg->sched.bp, mp->curg);
	}
}

/* tracebacktrap is tracebackcpu, then every other goroutine. */
static void tracebacktrap(g *gp, struct trapframe *tf)
{
	tracebackcpu(gp, tf);
	tracebackothers(gp);
}

/*
 * The NMI report: an NMI that is not the lockup watchdog's (a board's NMI
 * button, a management controller, QEMU's `nmi`; LINT1 as the MADT says)
 * prints every CPU's state, as Go's SIGQUIT does every thread's, and the
 * program goes on. The first CPU to take it reports: it waits a moment
 * for the others, which take the same NMI when it was sent to all (their
 * LINT pins share the wire), sends one to each that did not come, and
 * prints each CPU's stack and goroutine, then every other goroutine,
 * while the others wait in their NMI handlers, so that nothing moves
 * under the traceback. A CPU that holds the console lock prints instead:
 * any other would wait for it forever. NMIs that come within a moment of
 * a report's end are its stragglers (an NMI sent to a CPU already in the
 * report waits for it to leave) and are dropped.
 */
#define NMI_GATHER_NS   20000000        /* the others' own NMIs: 20 ms */
#define NMI_ANSWER_NS   500000000       /* the ones we sent: 500 ms */
#define NMI_STRAGGLE_NS 200000000
#define NMI_MAXCPU      256

static struct {
	struct trapframe *tf;
	g *gp;
	uint32_t gen;           /* the report this CPU answered; atomic */
} nmicpu[NMI_MAXCPU];
static uint32_t nmiactive;              /* the report being made, 0: none; atomic */
static uint32_t nmigen;
static int32_t nmiprinter = -1;         /* the CPU asked to print, -2: printed; atomic */
static int64_t nmiended;                /* nanotime of the last report's end; atomic */
static int64_t nmistart;

static bool nmiis(int cpu, uint32_t gen)
{
	return __atomic_load_n(&nmicpu[cpu].gen, __ATOMIC_ACQUIRE) == gen;
}

static bool nmicurg(g *gp, uint32_t gen)
{
	for (int i = 0; i < oscpucount() && i < NMI_MAXCPU; i++) {
		g *c = nmicpu[i].gp;
		if (nmiis(i, gen) && c && c->m && (c == gp || c->m->curg == gp))
			return true;
	}
	return false;
}

static void nmiother(g *gp, void *arg)
{
	uint32_t gen = *(uint32_t *)arg, s = readgstatus(gp);
	if (s == _Gdead || s == _Gidle || gp->system || nmicurg(gp, gen))
		return;
	goroutineheader(gp);
	if (s == _Grunning)
		printf("\tgoroutine running on a CPU that did not answer; stack unavailable\n");
	else
		traceback(gp->sched.pc, gp->sched.bp, gp);
	printf("\n");
}

static void nmiprint(uint32_t gen, int from)
{
	int n = oscpucount();
	printf("NMI: non-maskable interrupt on CPU %d at %ld ms: every CPU's state, then the program goes on\n\n",
	       from, (long)(nmistart / 1000000));
	for (int i = 0; i < n && i < NMI_MAXCPU; i++) {
		if (!oscpuonline(i))
			continue;
		if (!nmiis(i, gen)) {
			printf("CPU %d: did not answer\n\n", i);
			continue;
		}
		struct trapframe *tf = nmicpu[i].tf;
		g *gp = nmicpu[i].gp;
		printf("CPU %d: PC=0x%lx m=%ld\n", i, tf->rip, gp && gp->m ? (long)gp->m->id : -1L);
		if (gp && gp->m)
			tracebackcpu(gp, tf);
		else
			print_trap_report(tf);          /* no runtime here yet */
		printf("\n");
	}
	forEachG(nmiother, &gen);
	printf("NMI: end of report\n");
}

/* nmiwait: a CPU other than the reporter, held until the report ends. */
static void nmiwait(uint32_t gen)
{
	int self = oscpuindex();
	while (__atomic_load_n(&nmiactive, __ATOMIC_ACQUIRE) == gen) {
		if (__atomic_load_n(&nmiprinter, __ATOMIC_ACQUIRE) == self) {
			nmiprint(gen, -1);
			__atomic_store_n(&nmiprinter, -2, __ATOMIC_RELEASE);
		}
		__asm__ volatile("pause");
	}
}

static bool nmiall(uint32_t gen)
{
	for (int i = 0; i < oscpucount() && i < NMI_MAXCPU; i++)
		if (oscpuonline(i) && !nmiis(i, gen))
			return false;
	return true;
}

/* nmilead: the reporting CPU gathers the others, has the report printed,
 * and lets them go. */
static void nmilead(uint32_t gen)
{
	int self = oscpuindex(), n = oscpucount();
	nmistart = nanotime();
	while (!nmiall(gen) && nanotime() - nmistart < NMI_GATHER_NS)
		__asm__ volatile("pause");
	for (int i = 0; i < n && i < NMI_MAXCPU; i++)
		if (i != self && oscpuonline(i) && !nmiis(i, gen))
			osnmicpu(i);
	while (!nmiall(gen) && nanotime() - nmistart < NMI_GATHER_NS + NMI_ANSWER_NS)
		__asm__ volatile("pause");
	int owner = osconsoleowner();
	if (owner >= 0 && owner != self && owner < NMI_MAXCPU && nmiis(owner, gen)) {
		__atomic_store_n(&nmiprinter, owner, __ATOMIC_RELEASE);
		while (__atomic_load_n(&nmiprinter, __ATOMIC_ACQUIRE) != -2)
			__asm__ volatile("pause");
		__atomic_store_n(&nmiprinter, -1, __ATOMIC_RELAXED);
	} else {
		nmiprint(gen, self);
	}
	oswatchdogresync();
	__atomic_store_n(&nmiended, nanotime(), __ATOMIC_RELAXED);
	__atomic_store_n(&nmiactive, 0, __ATOMIC_RELEASE);
}

static void nmireport(g *gp, struct trapframe *tf)
{
	int self = oscpuindex();
	if (osexiting() || self >= NMI_MAXCPU)
		return;
	uint32_t gen = __atomic_load_n(&nmiactive, __ATOMIC_ACQUIRE);
	if (gen == 0) {
		if (nanotime() - __atomic_load_n(&nmiended, __ATOMIC_RELAXED) < NMI_STRAGGLE_NS &&
		    __atomic_load_n(&nmiended, __ATOMIC_RELAXED) != 0)
			return;
		uint32_t want = nmigen + 1 ? nmigen + 1 : 1, none = 0;
		if (__atomic_compare_exchange_n(&nmiactive, &none, want, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE)) {
			nmigen = want;
			nmicpu[self].tf = tf;
			nmicpu[self].gp = gp;
			__atomic_store_n(&nmicpu[self].gen, want, __ATOMIC_RELEASE);
			nmilead(want);
			return;
		}
		gen = none;     /* another CPU leads this one */
		if (gen == 0)
			return;
	}
	nmicpu[self].tf = tf;
	nmicpu[self].gp = gp;
	__atomic_store_n(&nmicpu[self].gen, gen, __ATOMIC_RELEASE);
	nmiwait(gen);
}

/* cpustuck: the lockup watchdog's NMI (kernel/watchdog.c) came to this
 * CPU: it took no timer interrupt for a second. Say where it is. */
static _Noreturn void cpustuck(g *gp, struct trapframe *tf)
{
	m *mp = gp ? gp->m : NULL;
	if (mp)
		mp->dying = true;
	printf("fatal error: CPU %d stuck\n\n", mp ? mp->cpu : -1);
	printf("watchdog: no timer interrupt on this CPU for a second (interrupts off, a lost interrupt, or a lock it holds); at %ld ms\n",
	       (long)(nanotime() / 1000000));
	print_trap_report(tf);
	printf("\n");
	if (mp)
		tracebacktrap(gp, tf);
	exit(2);
}

void sigtrap(struct trapframe *tf)
{
	g *gp = getg();
	if (tf->vector == T_PAGE_FAULT && gp && gp->m && !gp->m->dying) {
		switch (stack_fault(faultaddr())) {
		case STACK_GROWN:
			return;         /* the instruction runs again on the new page */
		case STACK_OVERFLOW:
			oswatchdogstop();
			stackoverflow(gp, tf);
		}
	}
	if (tf->vector == T_NMI && !oswatchdognmi()) {
		nmireport(gp, tf);      /* not the watchdog's: report, and go on */
		return;
	}
	oswatchdogstop();               /* what follows prints a crash, interrupts off */
	if (tf->vector == T_NMI)
		cpustuck(gp, tf);
	if (gp && gp->m && gp->m->dying) {
		/* faulting while printing a crash: say so and stop */
		printf("fatal error: trap during panic (vector %lu, rip 0x%lx)\nexit status 2\n", tf->vector, tf->rip);
		exitmachine(2);
	}
	if (user_fault(gp, tf)) {
		gp->m->dying = true;
		sigpanic(gp, tf);
	}
	print_trap_report(tf);
	printf("fatal error: unexpected trap\n\n");
	if (gp && gp->m) {
		gp->m->dying = true;
		tracebacktrap(gp, tf);
	}
	exit(2);
}
