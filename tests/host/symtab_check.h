/*
 * symtab_check.h - one run of kernel/symtab.c over a fuzz input, every
 * answer compared with a reference written from the ELF specification;
 * shared by fuzz_symtab.c and symtab_test.c. st_run returns NULL when
 * all is well, else what is wrong.
 *
 * The input is kernel.elf's copy as the loader keeps it, a 16-byte header
 * first: the symbol table's offset and size, the string table's offset
 * and size (32-bit each), brought inside the input as boot/elfcheck.c
 * guarantees (an offset up to the input's size, a size up to what is left
 * from it). The copy is exactly sized (past its end ASan stops any read)
 * and 16-byte aligned, which is all a symbol table's alignment needs.
 */
#ifndef HOST_SYMTAB_CHECK_H
#define HOST_SYMTAB_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

void ksym_init(const void *file, uint64_t symoff, uint64_t symsize, uint64_t stroff, uint64_t strsz);

struct st_sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

static char st_why[200];
static const uint8_t *st_file;
static uint64_t st_symoff, st_symsize, st_stroff, st_strsz;

/* the spec's idea of a symbol worth a name: defined, in the kernel's half,
 * a function or a bare label, its name a NUL-terminated string inside the
 * string table, not empty and not a local label ('.') */
static bool st_usable(const struct st_sym *s)
{
	unsigned type = s->info & 15;
	if (s->shndx == 0 || s->value < KERNEL_BASE || (type != 0 && type != 2) || s->name >= st_strsz)
		return false;
	const char *n = (const char *)st_file + st_stroff + s->name;
	return memchr(n, 0, st_strsz - s->name) && n[0] && n[0] != '.';
}

static bool st_tables_ok(void)
{
	return st_symsize >= sizeof(struct st_sym) && st_strsz && (st_symoff % 8) == 0;
}

static const struct st_sym *st_sym(uint64_t i)
{
	return (const struct st_sym *)(st_file + st_symoff) + i;
}

/* the reference lookup: the highest usable value at or below addr, the
 * first such in table order, within its size plus a page */
static const char *st_ref_lookup(uint64_t addr, uint64_t *off)
{
	if (!st_tables_ok())
		return NULL;
	const struct st_sym *best = NULL;
	for (uint64_t i = 0; i < st_symsize / sizeof(struct st_sym); i++) {
		const struct st_sym *s = st_sym(i);
		if (st_usable(s) && s->value <= addr && (!best || s->value > best->value))
			best = s;
	}
	if (!best || (best->size && addr - best->value > best->size + 4096))
		return NULL;
	*off = addr - best->value;
	return (const char *)st_file + st_stroff + best->name;
}

static const char *st_check_lookup(uint64_t addr)
{
	uint64_t off = 0xa5a5, roff = 0;
	const char *got = ksym_lookup(addr, &off), *want = st_ref_lookup(addr, &roff);
	if (got != want || (got && off != roff)) {
		snprintf(st_why, sizeof st_why, "ksym_lookup(%#llx): %s+%#llx, want %s+%#llx",
		         (unsigned long long)addr, got ? "a name" : "none", (unsigned long long)off,
		         want ? "a name" : "none", (unsigned long long)roff);
		return st_why;
	}
	return NULL;
}

static const char *st_run(const uint8_t *data, size_t size)
{
	uint32_t h[4] = { 0 };
	memcpy(h, data, size < 16 ? size : 16);
	st_symoff = h[0] % (size + 1);
	st_symsize = h[1] % (size - st_symoff + 1);
	st_stroff = h[2] % (size + 1);
	st_strsz = h[3] % (size - st_stroff + 1);
	uint8_t *exact = malloc(size ? size : 1);       /* 16-byte aligned, as pages are for what matters */
	memcpy(exact, data, size);
	st_file = exact;
	ksym_init(exact, st_symoff, st_symsize, st_stroff, st_strsz);

	const char *why = NULL;
	why = st_check_lookup(0);
	if (!why)
		why = st_check_lookup(~0ull);
	if (!why)
		why = st_check_lookup(KERNEL_BASE + 0x100000);
	uint64_t n = st_tables_ok() ? st_symsize / sizeof(struct st_sym) : 0;
	for (uint64_t i = 0; i < n && i < 64 && !why; i++) {
		const struct st_sym *s = st_sym(i);
		why = st_check_lookup(s->value);
		if (!why)
			why = st_check_lookup(s->value + s->size);
		if (!why)
			why = st_check_lookup(s->value - 1);
		if (!why && st_usable(s)) {
			/* by name: the first usable symbol of that name */
			const char *name = (const char *)exact + st_stroff + s->name;
			uint64_t want = 0;
			for (uint64_t j = 0; j < n; j++)
				if (st_usable(st_sym(j)) && strcmp((const char *)exact + st_stroff + st_sym(j)->name, name) == 0) {
					want = st_sym(j)->value;
					break;
				}
			if (ksym_addr(name) != want)
				why = "ksym_addr: wrong symbol";
		}
	}
	if (!why && ksym_addr("") != 0)
		why = "ksym_addr(\"\") found something";
	free(exact);
	return why;
}

#endif
