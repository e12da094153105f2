/*
 * fuzz_physmem.c - libFuzzer target for the kernel's use of the boot
 * memory map: kernel/memmap.c's sanitiser and plan, run against the real
 * kernel/buddy.c as physmem_init runs them. The input is a memory map
 * (the format: physmem_check.h); every answer is checked against the raw
 * map (no page handed out that any raw entry reserves, none twice, every
 * free page handed out, the strongest kind kept where entries overlap),
 * and a violation aborts.
 *
 * Seeds: tests/host/corpus/fuzz_physmem (physmem_test --write-corpus).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_physmem FILE...    replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "physmem_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = pm_fuzz_one(data, size);
	if (why) {
		fprintf(stderr, "fuzz_physmem: %s\n", why);
		abort();
	}
	return 0;
}
