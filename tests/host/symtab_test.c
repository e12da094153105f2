/*
 * symtab_test.c - host test for kernel/symtab.c, the kernel's
 * addresses-to-names lookup (trap reports, tracebacks). A small symbol
 * table is built the way ld lays one out; each case checks exact answers,
 * and every run is also compared with symtab_check.h's reference.
 *
 * The tables that once went wrong: a string table whose last name runs to
 * its end without a NUL (the name handed to the printer ran past the
 * table), a symbol table at an offset that is not 8-byte aligned (read in
 * place as structs), and an empty table after a full one (the old one was
 * kept).
 *
 *   build/host/symtab_test [CORPUS_DIR]    (make test-host runs it with fuzz_symtab's seeds)
 *   build/host/symtab_test --write-corpus DIR
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replay.h"
#include "symtab_check.h"

static char said[256];

/* what symtab.c says about tables it cannot use */
int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(said, sizeof said, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- a kernel.elf copy: header, symbols, strings ---- */

struct img {
	uint8_t b[4096];
	uint32_t nsym, strlen;
	uint32_t symoff, stroff;
};

static void img_start(struct img *m, uint32_t symoff, uint32_t stroff)
{
	memset(m, 0, sizeof *m);
	m->symoff = symoff;
	m->stroff = stroff;
	m->b[stroff] = 0;               /* the string table starts with an empty name */
	m->strlen = 1;
	m->nsym = 1;                    /* and the symbol table with a null symbol */
}

static void sym(struct img *m, const char *name, unsigned type, uint16_t shndx, uint64_t value, uint64_t size)
{
	struct st_sym s = { .name = m->strlen, .info = (uint8_t)type, .shndx = shndx, .value = value, .size = size };
	memcpy(m->b + m->stroff + m->strlen, name, strlen(name) + 1);
	m->strlen += (uint32_t)strlen(name) + 1;
	memcpy(m->b + m->symoff + m->nsym++ * sizeof s, &s, sizeof s);
}

/* the input format of fuzz_symtab: the tables' places in front */
static size_t img_encode(const struct img *m, uint8_t *out, uint32_t strsz)
{
	uint32_t h[4] = { m->symoff, m->nsym * (uint32_t)sizeof(struct st_sym), m->stroff, strsz };
	memcpy(out, m->b, sizeof m->b);
	memcpy(out, h, sizeof h);
	size_t end = m->stroff + strsz;
	if (m->symoff + h[1] > end)
		end = m->symoff + h[1];
	return end;
}

#define T 0xffffffff80100000ull

static void std_img(struct img *m)
{
	img_start(m, 0x40, 0x400);
	sym(m, "rt0_go", 0, 1, T, 0);                   /* an assembly label: NOTYPE, no size */
	sym(m, "schedule", 2, 1, T + 0x100, 0x80);
	sym(m, ".Lloop", 0, 1, T + 0x140, 0);           /* a local label: never a name */
	sym(m, "gdata", 1, 2, T + 0x200, 8);            /* an object: not code */
	sym(m, "memcpy", 2, 0, 0, 0);                   /* undefined */
	sym(m, "low", 2, 1, 0x100000, 0x10);            /* below the kernel's half */
	sym(m, "main_main", 2, 1, T + 0x1000, 0x20);
	sym(m, "schedule", 2, 1, T + 0x3000, 0x10);     /* a second of the name */
}

static const char *run(const struct img *m, uint32_t strsz)
{
	static uint8_t buf[4096];
	size_t n = img_encode(m, buf, strsz);
	return st_run(buf, n);
}

static void test_named(void)
{
	struct img m;
	std_img(&m);
	const char *why = run(&m, m.strlen);
	CHECK(!why, "the standard table: %s", why);

	/* exact answers (the same table loaded by hand) */
	static uint8_t file[4096];
	memcpy(file, m.b, sizeof file);
	ksym_init(file, m.symoff, m.nsym * sizeof(struct st_sym), m.stroff, m.strlen);
	uint64_t off;
	const char *s = ksym_lookup(T + 0x150, &off);
	CHECK(s && strcmp(s, "schedule") == 0 && off == 0x50, "inside schedule, past a local label: %s+%#llx",
	      s ? s : "none", (unsigned long long)off);
	s = ksym_lookup(T + 0x10, &off);
	CHECK(s && strcmp(s, "rt0_go") == 0 && off == 0x10, "a label without size: %s", s ? s : "none");
	s = ksym_lookup(T + 0x1020 + 4096 + 1, &off);
	CHECK(!s, "past main_main's size and a page: %s", s ? s : "none");
	s = ksym_lookup(0x100008, &off);
	CHECK(!s, "below the kernel's half: %s", s ? s : "none");
	CHECK(ksym_addr("schedule") == T + 0x100 && ksym_addr("main_main") == T + 0x1000, "ksym_addr");
	CHECK(ksym_addr("gdata") == 0 && ksym_addr("memcpy") == 0 && ksym_addr(".Lloop") == 0, "ksym_addr of unusable");

	/* the last name runs to the string table's end without a NUL */
	std_img(&m);
	sym(&m, "unterminated", 2, 1, T + 0x5000, 0x10);
	said[0] = 0;
	why = run(&m, m.strlen - 1);
	CHECK(!why, "unterminated string table: %s", why);
	memcpy(file, m.b, sizeof file);
	uint8_t *exact = malloc(m.strlen - 1 + m.stroff);
	memcpy(exact, file, m.strlen - 1 + m.stroff);
	ksym_init(exact, m.symoff, m.nsym * sizeof(struct st_sym), m.stroff, m.strlen - 1);
	s = ksym_lookup(T + 0x5004, &off);             /* schedule's second is too far below */
	CHECK(!s, "the unterminated name: %s", s ? "a name" : "none");
	CHECK(ksym_lookup(T + 0x1004, &off) && ksym_addr("main_main") == T + 0x1000,
	      "the names before it still work");
	free(exact);

	/* a symbol table at an odd offset: not read (symtab.c says so) */
	img_start(&m, 0x44, 0x400);
	sym(&m, "main_main", 2, 1, T + 0x1000, 0x20);
	said[0] = 0;
	why = run(&m, m.strlen);
	CHECK(!why, "odd symbol table offset: %s", why);
	CHECK(strstr(said, "symbol table") != NULL, "nothing said about the odd offset: \"%s\"", said);

	/* an empty table after a full one: nothing found */
	std_img(&m);
	memcpy(file, m.b, sizeof file);
	ksym_init(file, m.symoff, m.nsym * sizeof(struct st_sym), m.stroff, m.strlen);
	ksym_init(file, 0, 0, 0, 0);
	CHECK(!ksym_lookup(T + 0x1004, &off) && ksym_addr("main_main") == 0, "a stripped kernel still found names");
}

/* ---- fuzz_symtab's seeds ---- */

static void write_seed(const char *dir, const char *name, const struct img *m, uint32_t strsz)
{
	static uint8_t buf[4096];
	size_t n = img_encode(m, buf, strsz);
	write_seed_file(dir, name, buf, n);
}

static void write_corpus(const char *dir)
{
	struct img m;
	std_img(&m);
	write_seed(dir, "standard", &m, m.strlen);
	sym(&m, "unterminated", 2, 1, T + 0x5000, 0x10);
	write_seed(dir, "unterminated", &m, m.strlen - 1);
	img_start(&m, 0x44, 0x400);
	sym(&m, "main_main", 2, 1, T + 0x1000, 0x20);
	write_seed(dir, "odd-offset", &m, m.strlen);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
		write_corpus(argv[2]);
		return 0;
	}
	test_named();
	if (argc > 1)
		replay_seeds(argv[1], st_run);
	printf("symtab_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
