/*
 * intrstack: a reproducer found by the torture run (apps/torture). An
 * interrupt (sysmon's timer on CPU 0, a wake-up, TLB or preemption IPI)
 * that arrives while a goroutine's rsp is less than 48 bytes above the
 * lowest backed page of its stack makes the CPU push its interrupt frame
 * (40 bytes, after aligning rsp down to 16) into the unbacked page below.
 * The page fault that follows is handled (stack_fault backs the page)
 * and returns to the interrupted instruction, but the interrupt itself is
 * lost: the local APIC has already marked it in service, and with no
 * handler run there is no EOI, so that vector and every one of its
 * priority class stay blocked on that CPU for good. With
 * the timer vector (0xef) blocked, CPU 0 has no sysmon and an idle CPU
 * waiting for a timer never wakes: the machine hangs.
 *
 * Each step starts a fresh goroutine (its stack trimmed to the top page),
 * moves rsp to X bytes above that page's bottom and spins there without
 * touching memory, for about 30 ms, so sysmon's timer interrupts (every
 * 20 us .. 10 ms; GODEBUG=sysmonperiod=20 makes them every 20 us) arrive
 * at that rsp. Then the main goroutine sleeps 1 ms, which needs a timer.
 *
 *   make run APP=tests/progs/intrstack SMP=1 CMDLINE="GODEBUG=sysmonperiod=20"
 *
 * Prints "intrstack: X=N ok" for each X from 64 down to 0 and "intrstack:
 * survived" at the end; with the bug, the output stops after "X=48 ok"
 * (the machine hangs, QEMU must be killed; QEMU's monitor, `info lapic 0`,
 * shows ISR 239 with nothing running the handler).
 */
#include <rt.h>

static waitgroup_t wg;
static volatile long iters = 20000000;

/* spin_at: iters loops with rsp = target (no memory touched meanwhile) */
static void spin_at(uintptr_t target, long n)
{
	__asm__ volatile(
		"mov %%rsp, %%rbx\n\t"
		"mov %0, %%rsp\n\t"
		"1: dec %1\n\t"
		"jnz 1b\n\t"
		"mov %%rbx, %%rsp\n\t"
		: "+r"(target), "+r"(n) : : "rbx", "memory", "cc");
}

static void child(void *arg)
{
	uintptr_t x = (uintptr_t)arg;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t bottom = sp & ~(uintptr_t)4095;      /* the top page's bottom: the page below is not backed */
	spin_at(bottom + x, iters);
	wg_done(&wg);
}

void main_main(void)
{
	/* calibrate: about 30 ms of spinning */
	int64_t t0 = nanotime();
	spin_at((uintptr_t)__builtin_frame_address(0) - 256, 1000000);
	int64_t per = (nanotime() - t0) + 1;
	iters = 1000000 * (30000000 / per + 1);
	printf("intrstack: %ld iterations per step (1M took %ld us)\n", (long)iters, (long)(per / 1000));
	for (int x = 64; x >= 0; x -= 8) {
		for (int rep = 0; rep < 4; rep++) {
			wg_add(&wg, 1);
			go(child, (void *)(uintptr_t)x);
			wg_wait(&wg);
			sleep_ns(1000000);
		}
		printf("intrstack: X=%d ok\n", x);
	}
	printf("intrstack: survived\n");
}
