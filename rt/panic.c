/*
 * panic.c - how a run ends badly, with Go's words (Go's panic.go):
 * panic(msg) prints "panic: msg" and the current goroutine's traceback;
 * throw(msg) prints "fatal error: msg" and every goroutine's. Both end the
 * machine with exit status 2. There is no recover.
 *
 * exit(code) is the normal end: "exit status N", then the machine stops.
 */
#include "runtime.h"
#include "benchtrace.h"
#include "os.h"
#include "print.h"

static uint32_t dying;          /* atomic: a panic or throw is printing */

_Noreturn void exit(int code)
{
	benchtrace_print();
	printf("exit status %d\n", code);
	exitmachine(code);
}

/* startdying lets exactly one CPU print a crash; a second fault while
 * printing (a bug in the crash path itself) ends the machine at once. */
static void startdying(void)
{
	g *gp = getg();
	if (gp && gp->m)
		gp->m->locks++;         /* no preemption while dying */
	oswatchdogstop();               /* a long traceback with interrupts off is no lockup */
	if (__atomic_exchange_n(&dying, 1, __ATOMIC_ACQ_REL)) {
		if (gp && gp->m && gp->m->dying) {
			printf("fatal error: panic during panic\nexit status 2\n");
			exitmachine(2);
		}
		for (;;)                /* another CPU is printing; it will exit */
			__asm__ volatile("hlt");
	}
	if (gp && gp->m)
		gp->m->dying = true;
}

/* dopanic_traceback prints the current goroutine, or g0's stack. */
static void tracebackself(uintptr_t pc, uintptr_t bp)
{
	g *gp = getg();
	m *mp = gp->m;
	if (gp == mp->g0) {
		printf("runtime stack:\n");
		traceback_ret(pc, bp, gp);
		if (mp->curg) {
			printf("\n");
			goroutineheader(mp->curg);
			traceback(mp->curg->sched.pc, mp->curg->sched.bp, mp->curg);
		}
		return;
	}
	goroutineheader(gp);
	traceback_ret(pc, bp, gp);
}

_Noreturn void panic(const char *fmt, ...)
{
	startdying();
	va_list ap;
	va_start(ap, fmt);
	printf("panic: ");
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n\n");
	tracebackself((uintptr_t)__builtin_return_address(0), *(uintptr_t *)__builtin_frame_address(0));
	exit(2);
}

_Noreturn void throw(const char *msg)
{
	startdying();
	printf("fatal error: %s\n\n", msg);
	tracebackself((uintptr_t)__builtin_return_address(0), *(uintptr_t *)__builtin_frame_address(0));
	tracebackothers(getg()->m->curg ? getg()->m->curg : getg());
	exit(2);
}

/* fatalthrow ends the machine after a caller already printed the cause. */
_Noreturn void fatalthrow(void)
{
	exit(2);
}
