/*
 * ktest.c - the in-kernel test runner: finds the suite named by test=,
 * runs its cases on the main goroutine in table order and prints KTAP;
 * test=all runs every suite in turn.
 * The exit status is 0 when every case passed, 1 otherwise.
 */
#include "ktest.h"

extern const struct ktest_suite __ktest_start[], __ktest_end[];

static bool failed, skipped;
static const char *skipreason;

void kt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed = true;
}

void kt_skip(const char *reason)
{
	skipped = true;
	skipreason = reason;
}

bool kt_failed(void) { return failed; }

static const struct ktest_suite *find_suite(const char *name, size_t len)
{
	for (const struct ktest_suite *s = __ktest_start; s < __ktest_end; s++)
		if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return s;
	return NULL;
}

static void list_suites(void)
{
	printf("known suites:");
	for (const struct ktest_suite *s = __ktest_start; s < __ktest_end; s++)
		printf(" %s", s->name);
	printf("\n");
}

static int run_cases(const struct ktest_suite *s, const char *only)
{
	int n = 0, nfail = 0, nskip = 0;
	for (int i = 0; i < s->ncases; i++)
		if (!only || strcmp(s->cases[i].name, only) == 0)
			n++;
	if (n == 0) {
		printf("ktest: suite %s has no case %s\n", s->name, only ? only : "");
		return 2;
	}
	printf("KTAP version 1\n# Subtest: %s\n1..%d\n", s->name, n);
	int k = 0;
	for (int i = 0; i < s->ncases; i++) {
		if (only && strcmp(s->cases[i].name, only) != 0)
			continue;
		failed = skipped = false;
		s->cases[i].fn();
		k++;
		if (skipped && !failed) {
			printf("ok %d %s # SKIP %s\n", k, s->cases[i].name, skipreason);
			nskip++;
		} else {
			printf("%sok %d %s\n", failed ? "not " : "", k, s->cases[i].name);
			nfail += failed;
		}
	}
	printf("# %s: pass:%d fail:%d skip:%d total:%d\n", s->name, n - nfail - nskip, nfail, nskip, n);
	return nfail ? 1 : 0;
}

/* run_all: every suite (not the scenarios) in link order, one after the
 * other in one boot, for a real machine booted once from a stick
 * (tests/run --serial). Each prints its own KTAP document. The hardware
 * report (suite hw) comes first: it is what a user sends, and a later
 * suite that ends the machine must not take it along. */
static int run_all(void)
{
	int worst = 0, nsuites = 0, nfailed = 0;
	const struct ktest_suite *hw = find_suite("hw", 2);
	for (int pass = 0; pass < 2; pass++)
		for (const struct ktest_suite *s = __ktest_start; s < __ktest_end; s++) {
			if ((s == hw) != (pass == 0))
				continue;
			if (s->scenario || strncmp(s->name, "planted_", 8) == 0)
				continue;
			int rc = run_cases(s, NULL);
			nsuites++;
			nfailed += rc != 0;
			if (rc > worst)
				worst = rc;
		}
	printf("# all: %d suites, %d failed\n", nsuites, nfailed);
	return worst;
}

int ktest_main(const char *arg)
{
	if (strcmp(arg, "all") == 0)
		return run_all();
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	const struct ktest_suite *s = find_suite(arg, len);
	if (!s) {
		printf("ktest: no test suite named %.*s\n", (int)len, arg);
		list_suites();
		return 2;
	}
	if (s->scenario) {
		s->scenario();
		if (s->returns)
			return 0;
		printf("ktest: scenario %s returned; it should have ended the machine\n", s->name);
		return 1;
	}
	return run_cases(s, colon ? colon + 1 : NULL);
}
