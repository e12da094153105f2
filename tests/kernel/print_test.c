/*
 * print_test.c - suite "print": the runtime's snprintf as built for the
 * kernel (freestanding, no SSE), against the API.md subset. The host test
 * (tests/host/print_test.c) compares it with libc case by case.
 */
#include "ktest.h"

static void expect(const char *file, int line, const char *got, int n, const char *want)
{
	if (strcmp(got, want) != 0 || n != (int)strlen(want))
		kt_fail(file, line, "got \"%s\" (%d), want \"%s\"", got, n, want);
}

#define CHECK(want, ...)                                           \
	do {                                                       \
		char b_[128];                                      \
		int n_ = snprintf(b_, sizeof b_, __VA_ARGS__);     \
		expect(__FILE__, __LINE__, b_, n_, want);          \
	} while (0)

static void test_ints(void)
{
	CHECK("0", "%d", 0);
	CHECK("-123", "%d", -123);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK("4294967295", "%u", 4294967295u);
	CHECK("ff FF", "%x %X", 255, 255);
	CHECK("-1", "%hhd", (char)255);
	CHECK("65535", "%hu", (unsigned short)65535);
	CHECK("12345678901", "%zu", (size_t)12345678901ull);
	CHECK("7", "%i", 7);
}

static void test_widths(void)
{
	CHECK("   42", "%5d", 42);
	CHECK("42   |", "%-5d|", 42);
	CHECK("00042", "%05d", 42);
	CHECK("-0042", "%05d", -42);
	CHECK("   ab", "%*s", 5, "ab");
	CHECK("0000beef", "%08x", 0xbeef);
	CHECK("abc", "%.3s", "abcdef");
}

static void test_misc(void)
{
	CHECK("0xdeadbeef", "%p", (void *)0xdeadbeef);
	const char *volatile nullstr = NULL;      /* hidden from gcc's format check */
	CHECK("(null)", "%s", nullstr);
	CHECK("x%y", "%c%%%c", 'x', 'y');
	char small[4];
	int n = snprintf(small, sizeof small, "%s", "hello");
	KT_EXPECT_EQ(n, 5);
	KT_EXPECT_STR(small, "hel");
	KT_EXPECT_EQ(snprintf(NULL, 0, "%d", 12345), 5);
}

static const struct ktest_case print_cases[] = {
	{test_ints, "integers"},
	{test_widths, "widths_flags"},
	{test_misc, "pointers_strings_truncation"},
};
KTEST_SUITE(print, print_cases);
