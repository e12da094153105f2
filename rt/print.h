/*
 * print.h - the runtime's formatted output: a small printf family with C99
 * return values, integer and string conversions only (the kernel is built
 * without floating point). printf/vprintf hand their output, in chunks, to
 * write_console, which the kernel side provides. Nothing here allocates or
 * locks, so it can be called from any context, interrupt handlers included;
 * whether concurrent output interleaves is up to write_console.
 *
 * Conversions: d i u o x X p s c %, length modifiers hh h l ll z j t,
 * flags - 0 + space #, width and precision as numbers or '*'. %p prints
 * 0x and lowercase hex; a NULL %s prints (null); an unknown conversion is
 * printed as written.
 */
#ifndef RT_PRINT_H
#define RT_PRINT_H

#include <stdarg.h>
#include <stddef.h>

/* Provided elsewhere (the kernel's console); must accept any n, may be
 * called several times for one printf. */
extern void write_console(const char *s, size_t n);

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
	__attribute__((format(__printf__, 3, 0)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(__printf__, 3, 4)));
int vprintf(const char *fmt, va_list ap)
	__attribute__((format(__printf__, 1, 0)));
int printf(const char *fmt, ...)
	__attribute__((format(__printf__, 1, 2)));

#endif
