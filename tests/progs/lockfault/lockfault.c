/*
 * lockfault: a reproducer found by the torture run (apps/torture). The
 * runtime calls the machine's memory functions (sysUnused ->
 * vm_unmap_page, sysMap -> page_alloc / vm_map_page) on a goroutine's own
 * stack, and those take kernel spin locks (vmlock, physlock) with
 * interrupts off. If a frame inside such a section is the first to touch
 * the unbacked page below the stack's lowest backed one, the page fault
 * runs stack_fault, which backs the page with sysMap -> page_alloc ->
 * vm_map_page: the same locks, held by this very CPU. It spins forever
 * with interrupts off; the other CPUs follow as soon as they need a page
 * or a TLB shootdown.
 *
 * The path here is go() reusing a dead G whose stack grew: newproc1 ->
 * gfget -> stacktrim -> sysUnused -> vm_unmap_page (vmlock) -> walk. Each
 * step makes two such dead Gs, then a fresh goroutine moves its stack
 * pointer to Y bytes above the bottom of its only backed page and calls
 * go(), which takes one of them.
 *
 *   make run APP=tests/progs/lockfault SMP=1
 *
 * Prints "lockfault: Y=N ok" for Y from 1024 down to 0 in steps of 16 and
 * "lockfault: survived"; with the bug the output stops (here after
 * "Y=752 ok"; the exact step depends on the frames' sizes) and the CPU
 * spins in spin_lock_irqsave, under stack_fault, for good.
 */
#include <rt.h>

static waitgroup_t wg;

static __attribute__((noinline)) uint64_t deep(int n)
{
	volatile char buf[1024];
	buf[0] = (char)n;
	if (n > 0)
		return deep(n - 1) + buf[0];
	return buf[0];
}

/* helper grows its stack to about 24 KiB, then dies: a dead G to reuse */
static void helper(void *arg)
{
	(void)arg;
	deep(24);
	wg_done(&wg);
}

static void nothing(void *arg)
{
	(void)arg;
	wg_done(&wg);
}

static __attribute__((noinline)) void spawn(void)
{
	go(nothing, NULL);
}

static __attribute__((noinline)) void at(size_t pad)
{
	volatile char *p = __builtin_alloca(pad);      /* moves rsp down, touches nothing */
	__asm__ volatile("" : : "r"(p) : "memory");
	spawn();
}

static void child(void *arg)
{
	uintptr_t y = (uintptr_t)arg;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t bottom = sp & ~(uintptr_t)4095;       /* the page below is not backed */
	size_t pad = sp - bottom > y + 256 ? sp - bottom - y - 256 : 0;
	at(pad);
	wg_done(&wg);
}

void main_main(void)
{
	for (int y = 1024; y >= 0; y -= 16) {
		wg_add(&wg, 2);
		go(helper, NULL);
		go(helper, NULL);
		wg_wait(&wg);
		wg_add(&wg, 2);         /* the child and the goroutine it starts */
		go(child, (void *)(uintptr_t)y);
		wg_wait(&wg);
		printf("lockfault: Y=%d ok\n", y);
	}
	printf("lockfault: survived\n");
}
