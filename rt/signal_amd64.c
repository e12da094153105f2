/*
 * signal_amd64.c - CPU exceptions seen by the runtime, as Go's
 * signal_amd64.go and sigpanic see signals. The kernel calls sigtrap for
 * every exception. A fault in a goroutine (a user G, outside runtime
 * critical sections) is the program's: a page fault becomes Go's nil
 * dereference panic, a divide error Go's integer divide panic. Anything
 * else - a fault on g0, with locks held, or an unexpected vector - is the
 * runtime's own failure: "fatal error: unexpected trap".
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

/* tracebacktrap prints the trapped stack (g0's, or the goroutine's), the
 * goroutine g0 was running for, and every other goroutine. */
static void tracebacktrap(g *gp, struct trapframe *tf)
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
	tracebackothers(gp);
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
	oswatchdogstop();               /* what follows prints a crash, interrupts off */
	if (tf->vector == T_NMI && oswatchdognmi())
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
