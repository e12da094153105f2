/*
 * preempt.c - asynchronous preemption, after Go's preempt.go and
 * signal_unix.go's doSigPreempt: sysmon marks a goroutine that has run
 * too long (gp->preempt) and interrupts its CPU (PREEMPT_VECTOR, or CPU
 * 0's own timer). The interrupt handler, if the goroutine is at a safe
 * point, makes it "call" asyncPreempt (preempt_amd64.asm) when the
 * interrupt returns: asyncPreempt saves every register, the flags and the
 * XSAVE (or FXSAVE) area on the goroutine's own stack, and the goroutine
 * goes to the global run queue (gopreempt_m); when it runs again
 * asyncPreempt restores everything and returns to the interrupted
 * instruction.
 *
 * Not a safe point, and so deferred until releasem/unlock ends the
 * section: runtime critical sections (m->locks > 0), g0, a stack switch in
 * progress (rsp not on the goroutine's stack), and any code but the
 * program's own (linker.ld's user text): as in Go, the runtime itself is
 * never preempted asynchronously. Its C code reads getg()->m into a
 * register and uses it later; a goroutine preempted in between and
 * resumed on another M would update the old M (its lock count, say).
 * Kernel spin locks run with interrupts off, so no preemption reaches them.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"
#include "../kernel/kernel.h"

extern char asyncPreempt[];
extern char __user_text_start[], __user_text_end[];

uint32_t xsave_bytes;           /* for asyncPreempt: the XSAVE area, 0 for FXSAVE */
uintptr_t asyncPreemptStack;    /* stack asyncPreempt needs below the interrupted sp */
uint64_t npreempt_total;        /* atomic */

/* asyncsafepc: whether code at pc may be preempted asynchronously (the
 * program's own, not the runtime's). */
bool asyncsafepc(uintptr_t pc)
{
	return pc >= (uintptr_t)__user_text_start && pc < (uintptr_t)__user_text_end;
}

static bool safepoint(g *gp, m *mp, int32_t held, struct trapframe *tf)
{
	if (held > 0 || mp->dying || gp == mp->g0 || gp != mp->curg || gp->system)
		return false;
	if (readgstatus(gp) != _Grunning)
		return false;
	if (tf->rsp <= gp->stack.lo || tf->rsp > gp->stack.hi)
		return false;           /* mid stack switch, or not its stack at all */
	if (tf->rsp - gp->stack.lo < asyncPreemptStack)
		return false;           /* no room to save its state: as Go, try later */
	return asyncsafepc(tf->rip);
}

/* preempt_check runs at the end of an interrupt: held is m->locks at the
 * moment the interrupt came. */
void preempt_check(struct trapframe *tf, int32_t held)
{
	g *gp = getg();
	m *mp = gp->m;
	if (!mp || !mp->curg || !mp->curg->preempt || debug.asyncpreemptoff)
		return;
	gp = mp->curg;
	if (!safepoint(getg(), mp, held, tf))
		return;                 /* releasem/unlock will do it at the section's end */
	/* the request is taken now: one arriving while asyncPreempt2 runs
	 * (a C function, a safe point) would preempt the preemption */
	gp->preempt = false;
	gp->asyncpc = tf->rip;
	tf->rip = (uint64_t)asyncPreempt;
}

void preemptintr(struct trapframe *tf)
{
	preempt_check(tf, getg()->m->locks);
}

/* asyncPreempt2 is called by asyncPreempt with the registers saved. */
void asyncPreempt2(void)
{
	g *gp = getg();
	gp->npreempt++;
	__atomic_add_fetch(&npreempt_total, 1, __ATOMIC_RELAXED);
	mcall(gopreempt_m);
}

/*
 * asyncPreempt saves the general registers and flags (136 bytes), then the
 * vector state (the XSAVE area, or FXSAVE's 512 bytes) aligned down to 64,
 * then calls asyncPreempt2 and mcall; Go's asyncPreemptStack plays the same
 * part. A goroutine with less room below its sp is not preempted
 * asynchronously until it has more (docs/api.md: how much of stackmax a
 * program may use).
 */
#define ASYNCPREEMPT_REGS 136
#define ASYNCPREEMPT_CALLS 256          /* asyncPreempt2 and mcall's frames, with margin */

void preemptinit(void)
{
	xsave_bytes = osxsavesize();
	asyncPreemptStack = ASYNCPREEMPT_REGS + (xsave_bytes ? xsave_bytes : 512) + 64 + ASYNCPREEMPT_CALLS;
}
