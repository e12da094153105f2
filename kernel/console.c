/*
 * console.c - one output for the whole machine: every byte goes to COM1 and,
 * when the loader found a GOP framebuffer, to the screen. '\n' becomes
 * "\r\n" on the serial line so terminals and logs read alike.
 *
 * A spin lock keeps lines from different CPUs whole; it is taken with
 * interrupts off and is never held across anything that can block.
 */
#include "console.h"
#include "kernel.h"

static struct spinlock conslock;

void console_write(const char *s, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&conslock);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		fbcons_putc(s[i]);
	}
	spin_unlock_irqrestore(&conslock, fl);
}
