/*
 * fuzz_elf.c - libFuzzer target for boot/elfcheck.c, the loader's checks
 * of kernel.elf: the input is the file. libFuzzer's buffer is exactly
 * sized, so ASan reports any read past the file; UBSan (built not to
 * recover) reports misaligned or overflowing arithmetic; an answer that
 * breaks elf_invariants.h aborts.
 *
 * Each input is checked against three bases: the kernel's, -2 GiB, as the
 * loader does; 0, whose window's edges small numbers reach; and 16 MiB
 * below the top, whose window is cut by the end of the address space, so
 * wrapping segments are refused only by their own check. The error
 * buffer's size comes from the input too, so the message truncation is
 * fuzzed along with the parser.
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_elf FILE...        replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfcheck.h"
#include "elf_invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, uint64_t min_vaddr, size_t errlen)
{
	struct elf_layout l;
	char err[160];

	memset(&l, 0xa5, sizeof l);     /* elf_check must not rely on it being clear */
	memset(err, 0xa5, sizeof err);
	int rc = elf_check(data, size, min_vaddr, &l, err, errlen);
	const char *why = elf_problem(size, min_vaddr, rc, &l, err, errlen);
	if (why) {
		fprintf(stderr, "fuzz_elf: min_vaddr %#llx, errlen %zu, rc %d: %s\n",
		        (unsigned long long)min_vaddr, errlen, rc, why);
		abort();
	}
	for (size_t i = errlen; i < sizeof err; i++)
		if ((uint8_t)err[i] != 0xa5)
			abort();        /* wrote past errlen */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the last byte, when there is one past the ELF header, picks a
	 * short error buffer now and then; otherwise the loader's 128 */
	size_t errlen = 128;
	if (size > 64 && data[size - 1] < 16)
		errlen = data[size - 1];
	check(data, size, 0xffffffff80000000ull, errlen);
	check(data, size, 0, 128);
	check(data, size, 0xffffffffff000000ull, 128);
	return 0;
}
