/*
 * fuzz_loadmap.c - libFuzzer target for boot/memmap.c, the loader's
 * memory-map and page-table logic: the input is a firmware memory map
 * with a framebuffer and an image placement (loadmap_input.h). The map
 * and every output array are exactly sized, so ASan reports a read past
 * the map or a write past the tables the loader would allocate; the
 * answers are checked against loadmap_invariants.h (the limit covers
 * every memory descriptor and no more, the copy loses no page, the tables
 * map exactly the identity, direct and image ranges), and a violation
 * aborts.
 *
 * Seeds: tests/host/corpus/fuzz_loadmap (loadmap_test --write-corpus).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_loadmap FILE...    replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "loadmap_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = lm_run(data, size);
	if (why) {
		fprintf(stderr, "fuzz_loadmap: %s\n", why);
		abort();
	}
	return 0;
}
