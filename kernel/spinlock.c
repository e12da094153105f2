/*
 * spinlock.c - test-and-test-and-set locks with interrupts off while held.
 * For the machine layer's short critical sections only (the console, the
 * early page allocator); the runtime has its own locks.
 */
#include "kernel.h"
#include "cpu.h"

static uint64_t demand_lo, demand_hi;  /* the runtime's demand-backed stacks */

void set_demand_stacks(uint64_t lo, uint64_t hi)
{
	demand_lo = lo;
	demand_hi = hi;
}

/* ondemandstack: whether this code runs on a stack that the page-fault
 * path backs a page at a time. */
static bool ondemandstack(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	return sp >= demand_lo && sp < demand_hi;
}

static _Noreturn void badstack(const struct spinlock *l)
{
	kprintf("fatal error: spin_lock: %s taken on a goroutine's stack (a stack-growth fault would deadlock)\n",
	        l->name);
	/* the callers, by frame pointer: which path broke the rule */
	const uint64_t *fp = __builtin_frame_address(0);
	for (int i = 0; i < 12 && fp && ((uint64_t)fp & 7) == 0 && vm_mapped((uint64_t)fp); i++) {
		uint64_t off, pc = fp[1];
		const char *name = ksym_lookup(pc, &off);
		kprintf("\t%s+0x%lx\n", name ? name : "?", name ? off : pc);
		fp = (const uint64_t *)fp[0];
	}
	kprintf("exit status 2\n");
	machine_exit(2);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags;
	if (l->fixedstack && ondemandstack())
		badstack(l);
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	if (flags & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}
