/*
 * loadopts_test.c - host test for boot/loadopts.c, the loader's command
 * line from LoadOptions or CMDLINE.TXT: exact answers for what firmware,
 * shells and editors hand over, then a deterministic random walk, every
 * answer also compared with loadopts_check.h's reference.
 *
 * What once went through unchanged: a CMDLINE.TXT saved with a UTF-8
 * byte-order mark (glued to the first word, which then named a variable
 * nobody reads), one saved as UTF-16 (cut to its first letter), control
 * characters (escape sequences on the console), a line past 1023
 * characters (cut without a word).
 *
 *   build/host/loadopts_test [CORPUS_DIR]  (make test-host runs it with fuzz_loadopts's seeds)
 *   build/host/loadopts_test --write-corpus DIR
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replay.h"
#include "loadopts_check.h"

static char out[1024];
static unsigned flags;

static size_t opts(const char *s)
{
	uint16_t u[256];
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		u[i] = (unsigned char)s[i];
	u[n] = 0;                       /* firmware counts the NUL in LoadOptionsSize */
	return loadopts_from_options(u, n + 1, out, sizeof out, &flags);
}

static size_t text(const char *s, size_t n)
{
	return loadopts_from_text((const unsigned char *)s, n, out, sizeof out, &flags);
}

static void test_options(void)
{
	CHECK(opts("BOOTX64.EFI GOMAXPROCS=2 test=boot") && strcmp(out, "GOMAXPROCS=2 test=boot") == 0 && !flags,
	      "a shell's LoadOptions: \"%s\"", out);
	CHECK(opts("\\EFI\\BOOT\\bootx64.efi   x") && strcmp(out, "x") == 0, "a path: \"%s\"", out);
	CHECK(opts("GOMAXPROCS=2\tGODEBUG=inittrace=1") && strcmp(out, "GOMAXPROCS=2 GODEBUG=inittrace=1") == 0,
	      "a boot entry's text, a tab: \"%s\"", out);
	CHECK(!opts("BOOTX64.EFI") && !flags, "the image name alone: nothing");
	CHECK(!opts("") && !flags, "empty");
	uint16_t bin[] = { 0x0001, 0x4200, 'a', 0 };
	CHECK(!loadopts_from_options(bin, 4, out, sizeof out, &flags) && flags == LOADOPTS_BINARY && out[0] == 0,
	      "binary data: not used");
	CHECK(!loadopts_from_options(NULL, 0, out, sizeof out, &flags), "no LoadOptions");
	char small[5];
	uint16_t u[] = { 'a', 'b', 'c', 'd', 'e', 'f' };
	CHECK(loadopts_from_options(u, 6, small, sizeof small, &flags) == 4 && strcmp(small, "abcd") == 0 &&
	      flags == LOADOPTS_CUT, "cut: \"%s\"", small);
}

static void test_text(void)
{
	CHECK(text("GOMAXPROCS=2\n", 13) && strcmp(out, "GOMAXPROCS=2") == 0 && !flags, "a line: \"%s\"", out);
	CHECK(text("a b\r\nsecond line\n", 17) && strcmp(out, "a b") == 0, "CRLF: \"%s\"", out);
	CHECK(text("\xef\xbb\xbfGOMAXPROCS=2\r\n", 17) && strcmp(out, "GOMAXPROCS=2") == 0 && !flags,
	      "a UTF-8 byte-order mark: \"%s\"", out);
	CHECK(text("\xff\xfeG\0O\0=\0" "2\0\r\0\n\0", 14) && strcmp(out, "GO=2") == 0 && flags == LOADOPTS_UTF16,
	      "UTF-16LE, as Notepad saves \"Unicode\": \"%s\"", out);
	CHECK(text("\xfe\xff\0G\0O", 6) && strcmp(out, "GO") == 0 && flags == LOADOPTS_UTF16, "UTF-16BE: \"%s\"", out);
	CHECK(text("a\x1b[2Jb\tc\x7f\xc3\xa9", 11) && strcmp(out, "a?[2Jb c???") == 0 && flags == LOADOPTS_REPLACED,
	      "control and non-ASCII characters: \"%s\"", out);
	CHECK(!text("\n", 1) && !text("", 0) && !flags, "empty lines");
	static char big[3000];
	memset(big, 'x', sizeof big);
	CHECK(text(big, sizeof big) == 1023 && flags == LOADOPTS_CUT, "a line past 1023 characters: cut, said");
}

static void test_has(void)
{
	CHECK(loadopts_has("GOMAXPROCS=2 test=loader-ebs-fail", "test=loader-ebs-fail"), "last word");
	CHECK(!loadopts_has("test=loader-ebs-failed", "test=loader-ebs-fail"), "a longer word");
	CHECK(!loadopts_has("xtest=loader-ebs-fail", "test=loader-ebs-fail"), "a word that ends so");
	CHECK(!loadopts_has("a b", ""), "the empty word");
}

static void test_random(void)
{
	static uint8_t buf[600];
	srand(7);
	for (int it = 0; it < 20000; it++) {
		size_t n = 2 + (size_t)rand() % (sizeof buf - 2);
		for (size_t i = 0; i < n; i++) {
			int r = rand() % 16;
			buf[i] = r < 10 ? (uint8_t)(' ' + rand() % 95) : r < 12 ? 0 : r < 13 ? ' ' : (uint8_t)rand();
		}
		const char *why = lo_run(buf, n);
		CHECK(!why, "random input %d: %s", it, why);
	}
}

/* ---- fuzz_loadopts's seeds ---- */

static void seed(const char *dir, const char *name, uint8_t mode, const void *d, size_t n)
{
	static uint8_t buf[2 + 4096];
	if (n > sizeof buf - 2) {
		fprintf(stderr, "loadopts_test: seed %s too long\n", name);
		exit(2);
	}
	buf[0] = mode;
	buf[1] = 40;
	memcpy(buf + 2, d, n);
	write_seed_file(dir, name, buf, n + 2);
}

static void write_corpus(const char *dir)
{
	static const uint8_t shell[] = "B\0O\0O\0T\0X\0" "6\0" "4\0.\0E\0F\0I\0 \0t\0" "e\0s\0t\0=\0" "b\0o\0o\0t\0";
	seed(dir, "options-shell", 1, shell, sizeof shell);
	static const uint8_t bin[] = { 1, 0, 0, 0x42, 'a', 0 };
	seed(dir, "options-binary", 1, bin, sizeof bin);
	seed(dir, "text-plain", 0, "GOMAXPROCS=2 GODEBUG=inittrace=1\n", 33);
	seed(dir, "text-bom-crlf", 0, "\xef\xbb\xbfGOMAXPROCS=2\r\n", 17);
	seed(dir, "text-utf16", 0, "\xff\xfeG\0O\0=\0" "2\0\r\0\n\0", 14);
	{
		static const char ctl[] = "a\x1b[2Jb\tc\x7f\xc3\xa9 long enough to be cut at forty characters";
		seed(dir, "text-control", 2, ctl, sizeof ctl - 1);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
		write_corpus(argv[2]);
		return 0;
	}
	test_options();
	test_text();
	test_has();
	test_random();
	if (argc > 1)
		replay_seeds(argv[1], lo_run);
	printf("loadopts_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
