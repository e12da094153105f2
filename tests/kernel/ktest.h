/*
 * ktest.h - in-kernel test suites. A suite is a table of {fn, "name"}
 * registered with KTEST_SUITE; `test=<suite>` on the command line makes
 * runtime_main run it instead of main_main and print KTAP version 1 (the
 * Linux KUnit format), which tests/run parses. `test=<suite>:<case>` runs
 * one case. A scenario (KTEST_SCENARIO) is a single function that is
 * expected to end the machine itself (a panic, a fault, a deadlock); the
 * harness checks its console output instead of KTAP.
 */
#ifndef KTEST_H
#define KTEST_H

#include "../../include/rt.h"

struct ktest_case {
	void (*fn)(void);
	const char *name;
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	int ncases;
	void (*scenario)(void);
	bool returns;                   /* a scenario that returns like main_main: exit 0 */
};

#define KTEST_SUITE(sname, table)                                                   \
	static const struct ktest_suite ktest_suite_##sname                          \
	__attribute__((used, section(".ktest"), aligned(8))) = {                    \
		#sname, table, (int)(sizeof(table) / sizeof((table)[0])), NULL, false }

#define KTEST_SCENARIO(sname, fn)                                                   \
	static const struct ktest_suite ktest_suite_##sname                          \
	__attribute__((used, section(".ktest"), aligned(8))) = { #sname, NULL, 0, fn, false }

/* KTEST_MAIN: a scenario standing in for main_main: returning ends the
 * machine with exit status 0, as main_main's return does. */
#define KTEST_MAIN(sname, fn)                                                       \
	static const struct ktest_suite ktest_suite_##sname                          \
	__attribute__((used, section(".ktest"), aligned(8))) = { #sname, NULL, 0, fn, true }

/* kt_fail marks the running case failed with a "# file:line: ..." line. */
void kt_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kt_skip(const char *reason);
bool kt_failed(void);

#define KT_ASSERT(cond)                                                             \
	do {                                                                        \
		if (!(cond)) {                                                      \
			kt_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); \
			return;                                                     \
		}                                                                   \
	} while (0)

#define KT_EXPECT_EQ(a, b)                                                          \
	do {                                                                        \
		long long ka_ = (long long)(a), kb_ = (long long)(b);               \
		if (ka_ != kb_)                                                     \
			kt_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld",  \
			        #a, ka_, #b, kb_);                                  \
	} while (0)

#define KT_EXPECT_STR(a, b)                                                         \
	do {                                                                        \
		const char *ka_ = (a), *kb_ = (b);                                  \
		if (strcmp(ka_, kb_) != 0)                                          \
			kt_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"",    \
			        #a, ka_, kb_);                                      \
	} while (0)

#endif
