/*
 * traceback.c - goroutine stack traces (Go's traceback.go), by walking the
 * frame-pointer chain (everything is built with frame pointers) and naming
 * each return address from the kernel image's symbol table:
 *
 *   goroutine 1 [running]:
 *   main_main+0x1d
 *   runtime_main+0x8c
 *
 * A walk stops at goexit_asm (a goroutine's bottom frame), at a zero frame
 * pointer (g0's bottom), or at a frame pointer outside the goroutine's
 * stack, so a corrupt stack ends the trace instead of faulting.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define MAXFRAMES 64

extern void goexit_asm(void);

static const char *const waitreasons[] = {
	[waitReasonZero] = "",
	[waitReasonGoroutineSleep] = "sleep",
	[waitReasonChanReceive] = "chan receive",
	[waitReasonChanSend] = "chan send",
	[waitReasonSelect] = "select",
	[waitReasonSelectNoCases] = "select (no cases)",
	[waitReasonChanReceiveNilChan] = "chan receive (nil chan)",
	[waitReasonChanSendNilChan] = "chan send (nil chan)",
	[waitReasonSyncMutexLock] = "sync.Mutex.Lock",
	[waitReasonSyncWaitGroupWait] = "sync.WaitGroup.Wait",
	[waitReasonSemacquire] = "semacquire",
	[waitReasonGCSweepWait] = "GC sweep wait",
	[waitReasonIOWait] = "IO wait",
};

const char *gstatusname(g *gp)
{
	switch (readgstatus(gp)) {
	case _Gidle: return "idle";
	case _Grunnable: return "runnable";
	case _Grunning: return "running";
	case _Gsyscall: return "syscall";
	case _Gwaiting:
		if (gp->waitreason < sizeof waitreasons / sizeof waitreasons[0] && waitreasons[gp->waitreason][0])
			return waitreasons[gp->waitreason];
		return "waiting";
	case _Gdead: return "dead";
	case _Gpreempted: return "preempted";
	}
	return "???";
}

void goroutineheader(g *gp)
{
	printf("goroutine %ld [%s]:\n", gp->goid, gstatusname(gp));
}

static void printframe(uintptr_t pc, bool is_return)
{
	uintptr_t off;
	/* a return address may be just past its function's last byte */
	const char *name = funcname(is_return ? pc - 1 : pc, &off);
	if (is_return)
		off++;
	if (name)
		printf("%s+0x%lx\n", name, off);
	else
		printf("?() pc=0x%lx\n", pc);
}

static bool in_stack(g *gp, uintptr_t bp)
{
	return bp >= gp->stack.lo && bp + 16 <= gp->stack.hi && (bp & 7) == 0;
}

static void traceback_from(uintptr_t pc, uintptr_t bp, g *gp, bool is_return)
{
	for (int n = 0; n < MAXFRAMES; n++) {
		if (pc == (uintptr_t)goexit_asm + 1)
			return;         /* the goroutine's function returns here: bottom */
		if (pc == 0)
			return;         /* a CPU's first frame (the trampoline pushes 0) */
		printframe(pc, is_return);
		if (bp == 0 || !in_stack(gp, bp))
			return;
		pc = ((uintptr_t *)bp)[1];
		bp = ((uintptr_t *)bp)[0];
		is_return = true;
	}
	printf("...additional frames elided...\n");
}

/* traceback prints gp's frames, starting at pc with frame pointer bp. */
void traceback(uintptr_t pc, uintptr_t bp, g *gp)
{
	traceback_from(pc, bp, gp, false);
}

/* traceback_ret is traceback from a return address (a call site's next
 * instruction, which may lie past the end of a noreturn caller). */
void traceback_ret(uintptr_t pc, uintptr_t bp, g *gp)
{
	traceback_from(pc, bp, gp, true);
}

/* frame_set_up reports whether the code in [start, pc) contains the
 * frame-pointer setup "mov rbp, rsp" (48 89 e5); gcc may schedule other
 * instructions before it, so it is searched for rather than expected at a
 * fixed offset. */
static bool frame_set_up(const unsigned char *start, uintptr_t pc)
{
	for (const unsigned char *c = start; (uintptr_t)c + 3 <= pc; c++)
		if (c[0] == 0x48 && c[1] == 0x89 && c[2] == 0xe5)
			return true;
	return false;
}

/* is_return_addr: ra is in the text and follows a call instruction
 * (e8 rel32, or ff /2 through a register or memory operand). */
static bool is_return_addr(uintptr_t ra)
{
	extern char __text_start[], __text_end[];
	if (ra < (uintptr_t)__text_start + 8 || ra >= (uintptr_t)__text_end)
		return false;
	const unsigned char *c = (const unsigned char *)ra;
	if (c[-5] == 0xe8)
		return true;
	for (int len = 2; len <= 7; len++)
		if (c[-len] == 0xff && ((c[-len + 1] >> 3) & 7) == 2)
			return true;
	return false;
}

/*
 * traceback_trap is traceback for a context a trap interrupted, which may
 * be inside a function that has not set up its frame (yet, or at all: gcc
 * keeps no frame in leaf functions that need no stack). Then rbp is still
 * the caller's frame, and the caller's return address lies on the stack
 * between sp and that frame: take the first word there that is a return
 * address, and go on along the frame-pointer chain.
 */
void traceback_trap(uintptr_t pc, uintptr_t sp, uintptr_t bp, g *gp)
{
	uintptr_t off;
	const char *name = funcname(pc, &off);
	if (!name || frame_set_up((const unsigned char *)(pc - off), pc) ||
	    sp < gp->stack.lo || sp >= gp->stack.hi) {
		traceback(pc, bp, gp);
		return;
	}
	uintptr_t limit = in_stack(gp, bp) ? bp : sp + 256;
	for (uintptr_t a = sp; a + 8 <= limit && a + 8 <= gp->stack.hi; a += 8) {
		uintptr_t ra = *(uintptr_t *)a;
		if (is_return_addr(ra)) {
			printframe(pc, false);
			traceback_from(ra, bp, gp, true);
			return;
		}
	}
	traceback(pc, bp, gp);
}

struct othersarg {
	g *me;
};

static void tracebackone(g *gp, void *arg)
{
	struct othersarg *a = arg;
	uint32_t s = readgstatus(gp);
	if (gp == a->me || gp == a->me->m->curg || s == _Gdead || s == _Gidle || gp->system)
		return;
	printf("\n");
	goroutineheader(gp);
	if (s == _Grunning) {
		printf("\tgoroutine running on other CPU; stack unavailable\n");
		return;
	}
	traceback(gp->sched.pc, gp->sched.bp, gp);
}

/* tracebackothers prints every live goroutine but me and, when me is
 * g0, the goroutine its M was running (the caller printed both). */
void tracebackothers(g *me)
{
	struct othersarg a = { me };
	forEachG(tracebackone, &a);
}
