/*
 * print_test.c - host test for rt/print.c: runs a table of formats through
 * the runtime's vsnprintf and the host libc's, and fails on any difference
 * in the returned length or in the buffer (including bytes past n, which
 * must be left alone); cases where the runtime deliberately differs from
 * glibc (%p of NULL, unknown conversions) are checked against fixed
 * strings. It then checks printf's chunked path through a stub
 * write_console that appends to a buffer.
 *
 * The host libc also defines printf and friends, so rt/print.c is built for
 * the host with its functions renamed to rt_*; this file must NOT get those
 * -D flags (it calls both libc's and the rt_ versions). From the top of
 * the tree:
 *
 *   mkdir -p build/host
 *   gcc -fsanitize=address,undefined -g -Wall -Wextra -I rt \
 *       -Dprintf=rt_printf -Dsnprintf=rt_snprintf \
 *       -Dvsnprintf=rt_vsnprintf -Dvprintf=rt_vprintf \
 *       -c rt/print.c -o build/host/print.o
 *   gcc -fsanitize=address,undefined -g -Wall -Wextra -I rt \
 *       tests/host/print_test.c build/host/print.o -o build/host/print_test
 *   build/host/print_test
 *
 * Exit status 0 when every case passes; each failure is printed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#ifdef snprintf
#error "compile print_test.c without -Dsnprintf=...; only rt/print.c takes the renames"
#endif

/* print.h declares the rt functions under their kernel names; rename them
 * here only, after <stdio.h> has declared libc's. */
#define printf rt_printf
#define snprintf rt_snprintf
#define vsnprintf rt_vsnprintf
#define vprintf rt_vprintf
#include "print.h"
#undef printf
#undef snprintf
#undef vsnprintf
#undef vprintf

#define BUF 1024
#define SENTINEL 0xA5

static int ncases, nfail;

/* ---- write_console stub: collects printf's output ---- */

static char console[8192];
static size_t console_len;
static int console_calls;
static size_t console_max_chunk;

void write_console(const char *s, size_t n)
{
	if (console_len + n > sizeof console) {
		fprintf(stderr, "write_console: stub buffer overflow\n");
		exit(2);
	}
	memcpy(console + console_len, s, n);
	console_len += n;
	console_calls++;
	if (n > console_max_chunk)
		console_max_chunk = n;
}

static void console_reset(void)
{
	console_len = 0;
	console_calls = 0;
	console_max_chunk = 0;
}

/* ---- reporting ---- */

/* Buffers may hold NULs and sentinel bytes; show them escaped so a
 * failure says exactly what differs. */
static void show(const char *label, const char *b, size_t len)
{
	fprintf(stderr, "    %s \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
}

static void fail(int line, const char *fmt, size_t n, const char *why)
{
	nfail++;
	fprintf(stderr, "FAIL line %d: fmt \"%s\" n=%zu: %s\n", line, fmt, n,
		why);
}

/* ---- vsnprintf against libc ---- */

/* Both sides get identical sentinel-filled buffers, so comparing the
 * whole buffer also catches a write past n on either side. */
static void compare_n(int line, size_t n, const char *fmt, va_list ap)
{
	char want[BUF], got[BUF];
	va_list aq;
	int rw, rg;

	ncases++;
	memset(want, SENTINEL, sizeof want);
	memset(got, SENTINEL, sizeof got);
	va_copy(aq, ap);
	rw = vsnprintf(want, n, fmt, ap);
	rg = rt_vsnprintf(got, n, fmt, aq);
	va_end(aq);
	if (rw != rg) {
		char why[64];
		snprintf(why, sizeof why, "returned %d, libc %d", rg, rw);
		fail(line, fmt, n, why);
	} else if (memcmp(want, got, sizeof want) != 0) {
		fail(line, fmt, n, "buffer differs");
	} else {
		return;
	}
	size_t shown = (size_t)(rw > 0 ? rw : 0) + 2;
	show("libc:", want, shown < BUF ? shown : BUF);
	show("rt:  ", got, shown < BUF ? shown : BUF);
}

__attribute__((format(printf, 3, 4)))
static void check_n(int line, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compare_n(line, n, fmt, ap);
	va_end(ap);
}

/* n == 0 must touch nothing, so NULL is a valid buffer. */
__attribute__((format(printf, 2, 3)))
static void check_null(int line, const char *fmt, ...)
{
	va_list ap;
	int rw, rg;

	ncases++;
	va_start(ap, fmt);
	rw = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	rg = rt_vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (rw != rg) {
		char why[64];
		snprintf(why, sizeof why, "NULL buffer: returned %d, libc %d",
			 rg, rw);
		fail(line, fmt, 0, why);
	}
}

#define CHECK(...) check_n(__LINE__, BUF, __VA_ARGS__)
#define CHECK_N(n, ...) check_n(__LINE__, (n), __VA_ARGS__)

/* ---- cases where the runtime's output is fixed by its own spec ---- */

/* No format attribute: these formats are deliberately not what gcc's
 * -Wformat accepts. */
static void expect(int line, const char *want, const char *fmt, ...)
{
	char got[BUF];
	va_list ap;
	int r;

	ncases++;
	va_start(ap, fmt);
	r = rt_vsnprintf(got, sizeof got, fmt, ap);
	va_end(ap);
	if (r != (int)strlen(want) || strcmp(got, want) != 0) {
		fail(line, fmt, sizeof got, "differs from expected");
		show("want:", want, strlen(want));
		show("got: ", got, strlen(got));
	}
}

#define EXPECT(want, ...) expect(__LINE__, (want), __VA_ARGS__)

static void test_integers(void)
{
	CHECK("%d", 0);
	CHECK("%d", 1);
	CHECK("%d", -1);
	CHECK("%d", INT_MAX);
	CHECK("%d", INT_MIN);
	CHECK("%i", 42);
	CHECK("%i", -42);
	CHECK("%u", 0u);
	CHECK("%u", UINT_MAX);
	CHECK("%x", 0xdeadbeefu);
	CHECK("%X", 0xdeadbeefu);
	CHECK("%x", 0u);
	CHECK("%o", 8u);
	CHECK("%o", 0u);
	CHECK("%lld", (long long)INT64_MIN);
	CHECK("%lld", (long long)INT64_MAX);
	CHECK("%llu", (unsigned long long)UINT64_MAX);
	CHECK("%llx", (unsigned long long)UINT64_MAX);
	CHECK("%llX", 0x0123456789abcdefull);
	CHECK("%llo", (unsigned long long)UINT64_MAX);
	CHECK("%ld", LONG_MIN);
	CHECK("%lu", ULONG_MAX);
	CHECK("%lx", 0xfeedfacecafebeeful);
	CHECK("%li", -1234567890123l);
	CHECK("%zu", SIZE_MAX);
	CHECK("%zu", (size_t)0);
	CHECK("%zd", (ssize_t)-5);
	CHECK("%zx", (size_t)0xabcdef);
	CHECK("%jd", INTMAX_MIN);
	CHECK("%ju", UINTMAX_MAX);
	CHECK("%td", (ptrdiff_t)-3);
	CHECK("%hd", (short)-4464);
	CHECK("%hd", 70000);            /* truncated to short */
	CHECK("%hu", 70000);
	CHECK("%hx", -1);
	CHECK("%hhd", 300);             /* truncated to signed char */
	CHECK("%hhd", -128);
	CHECK("%hhu", 300);
	CHECK("%hhx", 0x1ff);
	CHECK("%hhi", 200);
}

static void test_width_flags(void)
{
	CHECK("%5d", 42);
	CHECK("%-5d|", 42);
	CHECK("%05d", 42);
	CHECK("%05d", -42);
	CHECK("%1d", 12345);            /* width smaller than the number */
	CHECK("%*d", 7, 42);
	CHECK("%*d|", -7, 42);          /* negative '*' width: left */
	CHECK("%-*d|", 6, -1);
	CHECK("%0*d", 8, -1);
	CHECK("%020lld", (long long)INT64_MIN);
	CHECK("%-24llu|", (unsigned long long)UINT64_MAX);
	CHECK("%08x", 0xbeefu);
	CHECK("%8X", 0xbeefu);
	CHECK("%016llx", 1ull);
	CHECK("%+d", 5);
	CHECK("%+d", -5);
	CHECK("% d", 5);
	CHECK("% d", -5);
	CHECK("%+5d", 5);
	CHECK("%+05d", 5);
	CHECK("%#x", 255u);
	CHECK("%#X", 255u);
	CHECK("%#x", 0u);
	CHECK("%#10x", 255u);
	CHECK("%#010x", 255u);
	CHECK("%#o", 8u);
	CHECK("%#o", 0u);
	CHECK("%.5d", 42);
	CHECK("%.5d", -42);
	CHECK("%.0d", 0);
	CHECK("%5.0d|", 0);
	CHECK("%.3x", 1u);
	CHECK("%-8.3d|", 42);
	CHECK("%.*d", 4, 7);
	CHECK("%.*d", -4, 7);           /* negative precision: none */
	CHECK("%#.0o", 0u);
	CHECK("%#.3o", 8u);
	CHECK("%300d", 1);
}

static void test_strings_chars(void)
{
	const char notnul[5] = { 'a', 'b', 'c', 'd', 'e' };

	CHECK("%s", "hello");
	CHECK("%s", "");
	CHECK("[%10s]", "hi");
	CHECK("[%-10s]", "hi");
	CHECK("[%.3s]", "hello");
	CHECK("[%.*s]", 2, "hello");
	CHECK("[%.10s]", "hi");
	CHECK("[%10.3s]", "hello");
	CHECK("[%-10.3s]", "hello");
	CHECK("[%.0s]", "hello");
	CHECK("[%*s]", 6, "ab");
	CHECK("[%*s]", -6, "ab");
	CHECK("[%.*s]", 5, notnul);     /* must not read past 5 bytes */
	CHECK("[%.*s]", -1, "whole");
	CHECK("%c", 'A');
	CHECK("[%5c]", 'x');
	CHECK("[%-5c]", 'x');
	CHECK("%c%c%c", 'a', 'b', 'c');
	CHECK("a%cb", 0);               /* an embedded NUL is still output */
	CHECK("%%");
	CHECK("100%%");
	CHECK("a%%b%%c");
	CHECK("no conversions at all");
	CHECK("x=%d y=%s z=%c w=%#x", -7, "str", 'q', 0x10u);
	CHECK("%s=%lld (%s)", "n", (long long)INT64_MIN, "min");
}

static void test_pointers(void)
{
	int object;

	CHECK("%p", (void *)0x1234);
	CHECK("%p", (void *)&object);
	CHECK("%p", (void *)UINTPTR_MAX);
	CHECK("[%20p]", (void *)0xabcdef);
	CHECK("[%-20p]", (void *)0xabcdef);
	EXPECT("0x0", "%p", (void *)0);          /* glibc says "(nil)" */
	EXPECT("[    0x0]", "[%7p]", (void *)0);
}

static void test_own_rules(void)
{
	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("[  (null)]", "[%8s]", (char *)NULL);
	EXPECT("%q", "%q");
	EXPECT("a%5qb", "a%5qb");
	EXPECT("%-08.3lk", "%-08.3lk");
	EXPECT("%y7", "%y%d", 7);
	EXPECT("abc%", "abc%");                  /* format ends at '%' */
	EXPECT("abc%5", "abc%5");                /* or inside a directive */
	EXPECT("abc%-0", "abc%-0");
	EXPECT("%", "%");
}

/* Formats gcc rightly calls odd (an ignored flag, an empty format) but
 * whose C behaviour is exactly what is under test here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
static void test_odd_formats(void)
{
	CHECK("%-05d|", 42);            /* '-' overrides '0' */
	CHECK("%+ d", 5);               /* '+' wins over ' ' */
	CHECK("%08.3d", 42);            /* precision disables '0' */
	CHECK("");
	CHECK_N(0, "");
	CHECK_N(1, "");
}
#pragma GCC diagnostic pop

/* Truncation: the return value is the untruncated length, the buffer
 * always ends in NUL, and nothing past n is written. */
static void test_truncation(void)
{
	char small[8];

	CHECK_N(1, "%d", 12345);
	CHECK_N(2, "%d", 12345);
	CHECK_N(3, "hello");
	CHECK_N(5, "%s", "hello");
	CHECK_N(6, "%s", "hello");
	CHECK_N(7, "%s", "hello");
	CHECK_N(4, "%08x", 0xabcu);
	CHECK_N(10, "%lld", (long long)INT64_MIN);
	CHECK_N(3, "[%10s]", "x");
	CHECK_N(4, "%-10d|", 1);
	CHECK_N(2, "%%%%%%");
	CHECK_N(5, "%c%c%c%c%c%c", 'a', 'b', 'c', 'd', 'e', 'f');
	CHECK_N(0, "%d", 12345);
	check_null(__LINE__, "%d and %s", -99, "more");
	check_null(__LINE__, "%300d", 1);

	/* snprintf itself, not just vsnprintf. */
	ncases++;
	memset(small, SENTINEL, sizeof small);
	int r = rt_snprintf(small, 4, "%s-%d", "abc", 12);
	if (r != 6 || strcmp(small, "abc") != 0 ||
	    (unsigned char)small[4] != SENTINEL)
		fail(__LINE__, "%s-%d", 4, "rt_snprintf truncation");
}

/* ---- printf through write_console ---- */

static int call_vprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = rt_vprintf(fmt, ap);
	va_end(ap);
	return r;
}

static void check_console(int line, const char *want, int r, const char *what)
{
	size_t wl = strlen(want);

	ncases++;
	if (r != (int)wl || console_len != wl ||
	    memcmp(console, want, wl) != 0 || console_max_chunk > 256) {
		char why[160];
		snprintf(why, sizeof why,
			 "%s: returned %d, wrote %zu in %d calls (max %zu), "
			 "want %zu", what, r, console_len, console_calls,
			 console_max_chunk, wl);
		fail(line, "(printf)", wl, why);
	}
}

static void test_printf(void)
{
	static char big[1500 + 1];
	static char want[4096];

	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof big - 1] = '\0';

	console_reset();
	int r = rt_printf("%s", big);
	check_console(__LINE__, big, r, "printf %s of 1500 chars");
	if (console_calls < 2) {
		nfail++;
		fprintf(stderr, "FAIL line %d: 1500 chars in %d write(s); "
			"expected chunks\n", __LINE__, console_calls);
	}

	/* Conversions straddling chunk boundaries. */
	console_reset();
	r = rt_printf("<%s|%lld|%1000d|%-300s|%c>", big + 1200,
		      (long long)INT64_MIN, -5, "left", 'z');
	snprintf(want, sizeof want, "<%s|%lld|%1000d|%-300s|%c>", big + 1200,
		 (long long)INT64_MIN, -5, "left", 'z');
	check_console(__LINE__, want, r, "mixed long printf");

	console_reset();
	r = call_vprintf("%s and %d", big, 42);
	snprintf(want, sizeof want, "%s and %d", big, 42);
	check_console(__LINE__, want, r, "vprintf");

	console_reset();
	r = rt_printf("%s", "");
	check_console(__LINE__, "", r, "empty printf");
	if (console_calls != 0) {
		nfail++;
		fprintf(stderr, "FAIL line %d: empty printf made %d writes\n",
			__LINE__, console_calls);
	}

	/* Exactly one chunk's worth must not lose or duplicate a byte. */
	console_reset();
	big[256] = '\0';
	r = rt_printf("%s", big);
	check_console(__LINE__, big, r, "256-char printf");
	big[256] = (char)('a' + 256 % 26);
}

int main(void)
{
	test_integers();
	test_width_flags();
	test_strings_chars();
	test_pointers();
	test_own_rules();
	test_odd_formats();
	test_truncation();
	test_printf();
	printf("print_test: %d cases, %d failed\n", ncases, nfail);
	return nfail != 0;
}
