/*
 * elf_invariants.h - what boot/elfcheck.c's answer must satisfy whatever
 * the input, shared by elfcheck_test.c and fuzz_elf.c. An accepted layout
 * is checked against what loader.c does with it without further checks:
 * it copies every segment's file bytes to (vaddr - lo) in a block of
 * hi - lo bytes and maps that block at lo in the 1 GiB kernel window.
 */
#ifndef ELF_INVARIANTS_H
#define ELF_INVARIANTS_H

#include <stdint.h>
#include <string.h>

#include "elfcheck.h"

#define ELF_WINDOW (1ull << 30)

/* elf_problem returns NULL when rc, *l and err are a sound answer for an
 * image of size bytes checked against min_vaddr, else what is wrong. */
static const char *elf_problem(uint64_t size, uint64_t min_vaddr, int rc,
                               const struct elf_layout *l, const char *err, size_t errlen)
{
	if (rc == -1) {
		if (errlen == 0)
			return NULL;
		if (!memchr(err, 0, errlen))
			return "error message not terminated";
		if (errlen > 1 && err[0] == 0)
			return "empty error message";
		for (const char *c = err; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				return "unprintable byte in the error message";
		return NULL;
	}
	if (rc != 0)
		return "return value neither 0 nor -1";
	if (l->nseg < 1 || l->nseg > ELF_MAX_LOAD)
		return "segment count out of range";
	if (l->lo % 4096 || l->hi % 4096 || l->lo >= l->hi)
		return "lo/hi not page-aligned or empty";
	if (l->lo < min_vaddr)
		return "image starts below min_vaddr";
	if (l->hi - l->lo > ELF_WINDOW)
		return "image larger than the window";
	if (min_vaddr <= UINT64_MAX - ELF_WINDOW && l->hi > min_vaddr + ELF_WINDOW)
		return "image ends above the 1 GiB window at min_vaddr";
	int entry_ok = 0;
	for (int i = 0; i < l->nseg; i++) {
		const struct elf_segment *s = &l->seg[i];
		if (s->offset > size || s->filesz > size - s->offset)
			return "segment bytes outside the file";
		if (s->filesz > s->memsz || s->memsz == 0)
			return "segment file size over its memory size, or empty";
		if (s->memsz > UINT64_MAX - s->vaddr)
			return "segment wraps the address space";
		if (s->vaddr < l->lo || s->vaddr + s->memsz > l->hi)
			return "segment outside [lo, hi)";
		for (int j = 0; j < i; j++) {
			const struct elf_segment *o = &l->seg[j];
			if (s->vaddr < o->vaddr + o->memsz && o->vaddr < s->vaddr + s->memsz)
				return "segments overlap";
		}
		if ((s->flags & 1) && l->entry >= s->vaddr && l->entry - s->vaddr < s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		return "entry not in an executable segment";
	if (l->symtab_off > size || l->symtab_size > size - l->symtab_off)
		return "symbol table outside the file";
	if (l->strtab_off > size || l->strtab_size > size - l->strtab_off)
		return "string table outside the file";
	return NULL;
}

#endif
