/*
 * kprintf.c - the kernel's own messages. Formatting is the runtime's
 * (rt/print.c), reached through a hook it registers before anything can
 * fail; before that, only the format string itself is printed, which still
 * says what went wrong.
 */
#include <stdarg.h>

#include "kernel.h"
#include "console.h"

static print_hook_fn print_hook;

void set_print_hook(print_hook_fn fn) { print_hook = fn; }

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n = 0;
	va_start(ap, fmt);
	if (print_hook) {
		n = print_hook(fmt, ap);
	} else {
		while (fmt[n])
			n++;
		console_write(fmt, (size_t)n);
	}
	va_end(ap);
	return n;
}
