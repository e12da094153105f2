/*
 * cmdline_test.c - host test for rt/cmdline.c, the command-line parser
 * behind args, gogetenv, getenv_int and parsedebugvars (runtime1.c):
 * splitting into argv and environment (empty lines, runs of spaces and
 * tabs, very long words, the word limit), KEY=VALUE lookup (the last one
 * wins, no prefix matches), integers (signs, overflow, junk), integers in
 * a range with the warning and default a bad value gets, and GODEBUG
 * lists. Warnings go through a capture in place of the runtime's printf,
 * so their exact text is checked. Then fuzz_cmdline's seeds
 * (tests/host/corpus/fuzz_cmdline) are run through the same checks as in
 * the fuzzer.
 *
 *   build/host/cmdline_test [CORPUS_DIR]        (make test-host runs it)
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "cmdline_check.h"

#include "check.h"

/* ---- splitting ---- */

static bool is(const char *got, const char *want)
{
	return got && strcmp(got, want) == 0;
}

static struct cmdline C;
static char buf[16384];

static void split(const char *line)
{
	if (strlen(line) >= sizeof buf)
		abort();
	strcpy(buf, line);
	memset(&C, 0x5a, sizeof C);
	cmdline_split(buf, &C);
	const char *why = cmdline_split_problem(line, buf, strlen(line), &C);
	CHECK(!why, "split \"%.60s\": %s", line, why);
}

/* Expects argv[1..] and envv, each a space-separated list ("" for none). */
static void expect_words(const char *line, const char *args, const char *envs)
{
	char want[4096], *w, *save;
	split(line);
	int n = 1;
	strcpy(want, args);
	for (w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
		CHECK(n < C.argc && strcmp(C.argv[n], w) == 0, "\"%s\": argv[%d] is \"%s\", want \"%s\"",
		      line, n, n < C.argc ? C.argv[n] : "(none)", w);
	CHECK(C.argc == n, "\"%s\": argc %d, want %d", line, C.argc, n);
	n = 0;
	strcpy(want, envs);
	for (w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
		CHECK(n < C.envc && strcmp(C.envv[n], w) == 0, "\"%s\": envv[%d] is \"%s\", want \"%s\"",
		      line, n, n < C.envc ? C.envv[n] : "(none)", w);
	CHECK(C.envc == n, "\"%s\": envc %d, want %d", line, C.envc, n);
	CHECK(strcmp(C.argv[0], "kernel.elf") == 0, "argv[0] \"%s\"", C.argv[0]);
	CHECK(!C.overflow, "\"%s\": overflow", line);
}

static void t_split(void)
{
	expect_words("", "", "");
	expect_words(" ", "", "");
	expect_words(" \t \t  ", "", "");
	expect_words("a", "a", "");
	expect_words("a b c", "a b c", "");
	expect_words("  a   b\t\tc  ", "a b c", "");
	expect_words("GOMAXPROCS=2", "", "GOMAXPROCS=2");
	expect_words("\tGOMAXPROCS=2  foo\tbar=baz =x  y=  ", "foo =x", "GOMAXPROCS=2 bar=baz y=");
	expect_words("GODEBUG=inittrace=1,schedtrace=10 test=boot:cpuid prog arg",
	             "prog arg", "GODEBUG=inittrace=1,schedtrace=10 test=boot:cpuid");
	expect_words("= =x == =a= a==", "= =x", "== =a= a==");
	/* a newline is part of a word: the loader has stripped line ends */
	expect_words("a\nb c", "a\nb c", "");

	/* very long words, alone and among others */
	static char line[12000];
	memset(line, 'w', 10000);
	line[10000] = 0;
	split(line);
	CHECK(C.argc == 2 && strlen(C.argv[1]) == 10000, "one 10000-byte word");
	memcpy(line, "K=", 2);
	memcpy(line + 5000, " x ", 3);
	split(line);
	CHECK(C.envc == 1 && strlen(C.envv[0]) == 5000 && C.argc == 3 &&
	      strcmp(C.argv[1], "x") == 0 && strlen(C.argv[2]) == 4997, "long words with spaces");
	CHECK(cmdline_getenv(&C, "K") && strlen(cmdline_getenv(&C, "K")) == 4998, "long value");
}

/* The word limits: argv holds CMDLINE_MAXWORDS with argv[0], envv as
 * many; more are dropped, the first ones kept, overflow set. */
static void t_limits(void)
{
	static char line[8192];
	char *p = line;
	for (int i = 0; i < CMDLINE_MAXWORDS - 1; i++)
		p += sprintf(p, "a%d ", i);
	for (int i = 0; i < CMDLINE_MAXWORDS; i++)
		p += sprintf(p, "E%d=%d ", i, i);
	split(line);
	CHECK(C.argc == CMDLINE_MAXWORDS && C.envc == CMDLINE_MAXWORDS && !C.overflow,
	      "full: argc %d envc %d overflow %d", C.argc, C.envc, C.overflow);
	CHECK(C.argv[CMDLINE_MAXWORDS] == NULL && C.envv[CMDLINE_MAXWORDS] == NULL, "terminators");

	strcpy(p, "extra");
	split(line);
	CHECK(C.argc == CMDLINE_MAXWORDS && C.overflow, "one argv word too many");
	CHECK(is(C.argv[CMDLINE_MAXWORDS - 1], "a62"), "the first words are kept");

	strcpy(p, "E64=64 E0=last");
	split(line);
	CHECK(C.envc == CMDLINE_MAXWORDS && C.overflow, "one env word too many");
	CHECK(is(cmdline_getenv(&C, "E0"), "0"), "a dropped word does not win");
	CHECK(cmdline_getenv(&C, "E64") == NULL, "E64 dropped");
}

static void t_getenv(void)
{
	split("A=1 B=2 A=3 AB=4 X=a=b Y= GOMAXPROCS=2");
	CHECK(is(cmdline_getenv(&C, "A"), "3"), "the last A wins");
	CHECK(is(cmdline_getenv(&C, "B"), "2"), "B");
	CHECK(is(cmdline_getenv(&C, "AB"), "4"), "AB");
	CHECK(is(cmdline_getenv(&C, "X"), "a=b"), "the value keeps its '='");
	CHECK(is(cmdline_getenv(&C, "Y"), ""), "empty value");
	CHECK(cmdline_getenv(&C, "GOMAX") == NULL, "no prefix match");
	CHECK(cmdline_getenv(&C, "GOMAXPROCSX") == NULL, "no longer key");
	CHECK(cmdline_getenv(&C, "a") == NULL, "case matters");
	CHECK(cmdline_getenv(&C, "") == NULL, "empty key");
	split("A B");
	CHECK(cmdline_getenv(&C, "A") == NULL, "argv words are not environment");
}

/* ---- integers ---- */

static void t_atoi(void)
{
	static const struct { const char *s; bool ok; int64_t v; } t[] = {
		{ "0", true, 0 }, { "7", true, 7 }, { "007", true, 7 }, { "-42", true, -42 },
		{ "+5", true, 5 }, { "-0", true, 0 },
		{ "9223372036854775807", true, INT64_MAX },
		{ "-9223372036854775808", true, INT64_MIN },
		{ "9223372036854775808", false, 0 }, { "-9223372036854775809", false, 0 },
		{ "99999999999999999999", false, 0 }, { "18446744073709551616", false, 0 },
		{ "", false, 0 }, { "-", false, 0 }, { "+", false, 0 }, { "--1", false, 0 },
		{ "+-1", false, 0 }, { "12x", false, 0 }, { "x12", false, 0 }, { "0x10", false, 0 },
		{ " 1", false, 0 }, { "1 ", false, 0 }, { "1.5", false, 0 }, { "1e3", false, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t v = 12345;
		bool ok = cmdline_atoi(t[i].s, &v);
		CHECK(ok == t[i].ok && (!ok || v == t[i].v), "atoi \"%s\": %d %ld", t[i].s, ok, (long)v);
		if (!ok)
			CHECK(v == 12345, "atoi \"%s\" wrote %ld on failure", t[i].s, (long)v);
		CHECK(atoi_agrees(t[i].s), "atoi \"%s\": differs from the reference", t[i].s);
	}
}

/* ---- warnings ---- */

static char wbuf[65536];
static size_t wlen;
static int nwarn;

static int capture(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(wbuf + wlen, sizeof wbuf - wlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		wlen += (size_t)n < sizeof wbuf - wlen ? (size_t)n : sizeof wbuf - wlen - 1;
	nwarn++;
	return n;
}

static void clear_warnings(void)
{
	wlen = 0;
	wbuf[0] = 0;
	nwarn = 0;
}

/* getenv_int's calls in the runtime, with their defaults and ranges. */
static void t_getint(void)
{
	struct { const char *line, *key; int64_t def, min, max, want; const char *warning; } t[] = {
		{ "", "GOMAXPROCS", 4, 1, 256, 4, "" },
		{ "GOMAXPROCS=2", "GOMAXPROCS", 4, 1, 256, 2, "" },
		{ "GOMAXPROCS=1", "GOMAXPROCS", 4, 1, 256, 1, "" },
		{ "GOMAXPROCS=256", "GOMAXPROCS", 4, 1, 256, 256, "" },
		{ "GOMAXPROCS=+8", "GOMAXPROCS", 4, 1, 256, 8, "" },
		{ "GOMAXPROCS=abc", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=abc is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS= is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=0", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=0 is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=257", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=257 is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=-1", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=-1 is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=2x", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=2x is not a number in [1, 256]; using 4\n" },
		{ "GOMAXPROCS=abc GOMAXPROCS=3", "GOMAXPROCS", 4, 1, 256, 3, "" },
		{ "GOMAXPROCS=3 GOMAXPROCS=abc", "GOMAXPROCS", 4, 1, 256, 4,
		  "warning: GOMAXPROCS=abc is not a number in [1, 256]; using 4\n" },
		{ "maxthreads=99999999999999999999", "maxthreads", 10000, 1, 1000000, 10000,
		  "warning: maxthreads=99999999999999999999 is not a number in [1, 1000000]; using 10000\n" },
		{ "stackmax=65536", "stackmax", 262144, 16384, 1ll << 30, 65536, "" },
		{ "stackmax=1k", "stackmax", 262144, 16384, 1ll << 30, 262144,
		  "warning: stackmax=1k is not a number in [16384, 1073741824]; using 262144\n" },
		{ "maxcpus=0", "maxcpus", 0, 0, 256, 0, "" },
		{ "big=-9223372036854775808", "big", 1, INT64_MIN, INT64_MAX, INT64_MIN, "" },
		{ "maxcpus maxcpus=", "maxcpus", 0, 0, 256, 0,
		  "warning: maxcpus= is not a number in [0, 256]; using 0\n" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		split(t[i].line);
		clear_warnings();
		int64_t v = cmdline_getint(&C, t[i].key, t[i].def, t[i].min, t[i].max, capture);
		CHECK(v == t[i].want, "getint \"%s\": %ld, want %ld", t[i].line, (long)v, (long)t[i].want);
		CHECK(strcmp(wbuf, t[i].warning) == 0, "getint \"%s\": warning \"%s\", want \"%s\"",
		      t[i].line, wbuf, t[i].warning);
	}

	/* a very long bad value is printed whole, on one line */
	static char line[3000];
	memset(line, '9', sizeof line - 1);
	memcpy(line, "maxthreads=", 11);
	line[sizeof line - 1] = 0;
	split(line);
	clear_warnings();
	CHECK(cmdline_getint(&C, "maxthreads", 10000, 1, 1000000, capture) == 10000, "long value");
	CHECK(nwarn == 1 && wlen > 2988 && wbuf[wlen - 1] == '\n' && !memchr(wbuf, '\n', wlen - 1),
	      "long value: %d warnings, %zu bytes", nwarn, wlen);
}

/* ---- a choice among words (onexit=, poweroff=) ---- */

static void t_getchoice(void)
{
	static const char *const how[] = { "halt", "poweroff", "reboot" };
	struct { const char *line; int want; const char *warning; } t[] = {
		{ "", 7, "" },
		{ "onexit=halt", 0, "" },
		{ "onexit=poweroff", 1, "" },
		{ "onexit=reboot", 2, "" },
		{ "onexit=bogus onexit=reboot", 2, "" },
		{ "onexit=reboot onexit=bogus", -1, "runtime: onexit=bogus: want one of halt, poweroff, reboot\n" },
		{ "onexit=", -1, "runtime: onexit=: want one of halt, poweroff, reboot\n" },
		{ "onexit=Halt", -1, "runtime: onexit=Halt: want one of halt, poweroff, reboot\n" },
		{ "onexit=halt2", -1, "runtime: onexit=halt2: want one of halt, poweroff, reboot\n" },
		{ "onexit=hal", -1, "runtime: onexit=hal: want one of halt, poweroff, reboot\n" },
		{ "onexitx=reboot onexit", 7, "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		split(t[i].line);
		clear_warnings();
		int v = cmdline_getchoice(&C, "onexit", how, 3, 7, capture);
		CHECK(v == t[i].want, "getchoice \"%s\": %d, want %d", t[i].line, v, t[i].want);
		CHECK(strcmp(wbuf, t[i].warning) == 0, "getchoice \"%s\": warning \"%s\", want \"%s\"",
		      t[i].line, wbuf, t[i].warning);
	}
}

/* ---- GODEBUG ---- */

static struct dbg { int32_t inittrace, schedtrace, scheddetail, asyncpreemptoff; } D;
static const struct cmdline_debugvar vars[] = {
	{ "inittrace", &D.inittrace },
	{ "schedtrace", &D.schedtrace },
	{ "scheddetail", &D.scheddetail },
	{ "asyncpreemptoff", &D.asyncpreemptoff },
};
#define NVARS (sizeof vars / sizeof vars[0])

static void t_godebug(void)
{
	struct { const char *s; struct dbg want; const char *warning; } t[] = {
		{ "", { 0, 0, 0, 0 }, "" },
		{ "inittrace=1", { 1, 0, 0, 0 }, "" },
		{ "inittrace=1,schedtrace=1000,scheddetail=1,asyncpreemptoff=1", { 1, 1000, 1, 1 }, "" },
		{ ",,inittrace=2,,", { 2, 0, 0, 0 }, "" },
		{ ",", { 0, 0, 0, 0 }, "" },
		{ "inittrace=1,inittrace=0", { 0, 0, 0, 0 }, "" },
		{ "schedtrace=2147483647", { 0, INT32_MAX, 0, 0 }, "" },
		{ "schedtrace=+5", { 0, 5, 0, 0 }, "" },
		{ "schedtrace=00000000000000000000007", { 0, 7, 0, 0 }, "" },     /* 23 bytes */
		{ "schedtrace=000000000000000000000007", { 0, 0, 0, 0 },          /* 24 bytes */
		  "warning: GODEBUG: bad value for schedtrace; ignored\n" },
		{ "inittrace", { 0, 0, 0, 0 }, "warning: GODEBUG: malformed setting \"inittrace\"; ignored\n" },
		{ "=1", { 0, 0, 0, 0 }, "warning: GODEBUG: malformed setting \"=1\"; ignored\n" },
		{ "inittrace=", { 0, 0, 0, 0 }, "warning: GODEBUG: bad value for inittrace; ignored\n" },
		{ "inittrace=abc", { 0, 0, 0, 0 },
		  "warning: GODEBUG: inittrace=abc is not a number; ignored\n" },
		{ "inittrace=-1", { 0, 0, 0, 0 }, "warning: GODEBUG: inittrace=-1 is not a number; ignored\n" },
		{ "inittrace=2147483648", { 0, 0, 0, 0 },
		  "warning: GODEBUG: inittrace=2147483648 is not a number; ignored\n" },
		{ "inittrace=1=2", { 0, 0, 0, 0 }, "warning: GODEBUG: inittrace=1=2 is not a number; ignored\n" },
		{ "foo=1", { 0, 0, 0, 0 }, "warning: GODEBUG: unknown setting foo; ignored\n" },
		{ "inittrac=1,inittracex=1", { 0, 0, 0, 0 },
		  "warning: GODEBUG: unknown setting inittrac; ignored\n"
		  "warning: GODEBUG: unknown setting inittracex; ignored\n" },
		{ "inittrace=3,inittrace=x", { 3, 0, 0, 0 },
		  "warning: GODEBUG: inittrace=x is not a number; ignored\n" },
		{ "schedtrace=10,bogus,,=,inittrace=3", { 3, 10, 0, 0 },
		  "warning: GODEBUG: malformed setting \"bogus\"; ignored\n"
		  "warning: GODEBUG: malformed setting \"=\"; ignored\n" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&D, 0, sizeof D);
		clear_warnings();
		cmdline_parsedebug(t[i].s, vars, NVARS, capture);
		CHECK(memcmp(&D, &t[i].want, sizeof D) == 0, "GODEBUG \"%s\": got %d,%d,%d,%d", t[i].s,
		      D.inittrace, D.schedtrace, D.scheddetail, D.asyncpreemptoff);
		CHECK(strcmp(wbuf, t[i].warning) == 0, "GODEBUG \"%s\": warnings \"%s\", want \"%s\"",
		      t[i].s, wbuf, t[i].warning);
	}

	/* the runtime's path: the command line, the last GODEBUG word, the list */
	split("GODEBUG=inittrace=1 demo GODEBUG=schedtrace=5,scheddetail=1");
	memset(&D, 0, sizeof D);
	clear_warnings();
	cmdline_parsedebug(cmdline_getenv(&C, "GODEBUG"), vars, NVARS, capture);
	CHECK(D.inittrace == 0 && D.schedtrace == 5 && D.scheddetail == 1 && nwarn == 0,
	      "GODEBUG from the command line");
}

/* ---- the fuzzer's seeds ---- */

static void t_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	CHECK(d, "corpus: cannot open %s", dir);
	if (!d)
		return;
	int n = 0;
	char path[4096];
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		static unsigned char in[65536];
		size_t len = fread(in, 1, sizeof in, f);
		fclose(f);
		const char *why = cmdline_check_input(in, len);
		CHECK(!why, "corpus %s: %s", path, why);
		n++;
	}
	closedir(d);
	CHECK(n >= 4, "corpus: only %d seeds in %s", n, dir);
	printf("  corpus: %d seeds sound\n", n);
}

int main(int argc, char **argv)
{
	t_split();
	t_limits();
	t_getenv();
	t_atoi();
	t_getint();
	t_getchoice();
	t_godebug();
	t_corpus(argc > 1 ? argv[1] : "tests/host/corpus/fuzz_cmdline");
	printf("cmdline_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
