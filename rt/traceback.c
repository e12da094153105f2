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

/* traceback prints gp's frames, starting at pc with frame pointer bp. */
void traceback(uintptr_t pc, uintptr_t bp, g *gp)
{
	bool is_return = false;
	for (int n = 0; n < MAXFRAMES; n++) {
		if (pc == (uintptr_t)goexit_asm + 1)
			return;         /* the goroutine's function returns here: bottom */
		printframe(pc, is_return);
		if (bp == 0 || !in_stack(gp, bp))
			return;
		pc = ((uintptr_t *)bp)[1];
		bp = ((uintptr_t *)bp)[0];
		is_return = true;
	}
	printf("...additional frames elided...\n");
}

struct othersarg {
	g *me;
};

static void tracebackone(g *gp, void *arg)
{
	struct othersarg *a = arg;
	uint32_t s = readgstatus(gp);
	if (gp == a->me || s == _Gdead || s == _Gidle)
		return;
	printf("\n");
	goroutineheader(gp);
	if (s == _Grunning) {
		printf("\tgoroutine running on other CPU; stack unavailable\n");
		return;
	}
	traceback(gp->sched.pc, gp->sched.bp, gp);
}

/* tracebackothers prints every live goroutine but me. */
void tracebackothers(g *me)
{
	struct othersarg a = { me };
	forEachG(tracebackone, &a);
}
