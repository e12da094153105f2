/*
 * fuzz_symtab.c - libFuzzer target for kernel/symtab.c, the kernel's
 * addresses-to-names lookup over the copy of kernel.elf the loader keeps:
 * the input is that copy with the tables' places in front
 * (symtab_check.h). Every lookup is compared with a reference, every name
 * it returns must be a string inside the string table; ASan stops any
 * read past the copy, UBSan a misaligned symbol table read in place.
 *
 * Seeds: tests/host/corpus/fuzz_symtab (symtab_test --write-corpus).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_symtab FILE...     replay inputs (a finding, the seeds)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "symtab_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* symtab.c says when it cannot use the tables; not here */
int kprintf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = st_run(data, size);
	if (why) {
		fprintf(stderr, "fuzz_symtab: %s\n", why);
		abort();
	}
	return 0;
}
