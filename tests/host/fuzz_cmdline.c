/*
 * fuzz_cmdline.c - libFuzzer target for rt/cmdline.c, the command-line
 * parser: the input is a kernel command line (up to its first NUL). It is
 * split, every word and value is read as an integer, every key looked up
 * and read with getint, and both the GODEBUG word and the whole input are
 * parsed as GODEBUG lists; cmdline_check.h compares all of it with
 * reference implementations. The copies handed to the parser are exactly
 * sized, so ASan reports any read or write past the line.
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_cmdline FILE...    replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"
#include "cmdline_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = cmdline_check_input(data, size);
	if (why) {
		fprintf(stderr, "fuzz_cmdline: %s\n", why);
		abort();
	}
	return 0;
}
