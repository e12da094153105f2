/*
 * fuzz_loadopts.c - libFuzzer target for boot/loadopts.c, the loader's
 * command line from LoadOptions or CMDLINE.TXT: the input is either
 * (loadopts_check.h). Every answer is compared with a reference; the
 * source and the answer's room are exactly sized, so ASan sees any read
 * or write past them; an answer with a character that is not printable
 * ASCII aborts.
 *
 * Seeds: tests/host/corpus/fuzz_loadopts (loadopts_test --write-corpus).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_loadopts FILE...   replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "loadopts_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = lo_run(data, size);
	if (why) {
		fprintf(stderr, "fuzz_loadopts: %s\n", why);
		abort();
	}
	return 0;
}
