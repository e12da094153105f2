/*
 * spinlock.c - test-and-test-and-set locks with interrupts off while held.
 * For the machine layer's short critical sections only (the console, the
 * early page allocator); the runtime has its own locks.
 */
#include "kernel.h"
#include "cpu.h"

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags;
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
