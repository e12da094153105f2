/*
 * console.c - one output for the whole machine: every byte goes to each
 * serial console serial.c found and, when the loader found a GOP
 * framebuffer, to the screen (drawn once per write, not per byte).
 *
 * A spin lock keeps lines from different CPUs whole; it is taken with
 * interrupts off and is never held across anything that can block. A CPU
 * that already holds it writes straight through: an NMI (the watchdog's
 * report) or a fault (a stack overflow) that came in the middle of a line
 * must still be able to say so, and waiting would be a self-deadlock.
 */
#include "console.h"
#include "kernel.h"

static struct spinlock conslock = { .name = "conslock" };
static int32_t owner = -1;              /* the CPU holding conslock; atomic */

static void put(const char *s, size_t n)
{
	serial_remember(s, n);
	for (int u = 0; u < serial_count(); u++)
		serial_write(u, s, n);
	for (size_t i = 0; i < n; i++)
		fbcons_putc(s[i]);
	fbcons_flush();
}

/* console_owner: the CPU in the middle of a write, -1 if none (the NMI
 * report has that CPU print, as any other would wait for it forever). */
int console_owner(void)
{
	return __atomic_load_n(&owner, __ATOMIC_RELAXED);
}

void console_write(const char *s, size_t n)
{
	uint64_t fl;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(fl) : : "memory");
	int self = cpu_index();
	if (__atomic_load_n(&owner, __ATOMIC_RELAXED) == self) {
		put(s, n);              /* nested: this CPU was interrupted mid-write */
	} else {
		spin_lock_irqsave(&conslock);
		__atomic_store_n(&owner, self, __ATOMIC_RELAXED);
		put(s, n);
		__atomic_store_n(&owner, -1, __ATOMIC_RELAXED);
		spin_unlock_irqrestore(&conslock, 0);
	}
	if (fl & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}
