/*
 * fuzz_acpi.c - libFuzzer target for kernel/acpi.c's whole walk: the
 * RSDP, the XSDT and RSDT, and the HPET, FADT, SPCR and MCFG parsers with
 * the MADT.
 * The input is physical memory from WALK_BASE, the RSDP at its start
 * (acpi_invariants.h); acpi_parse runs over it twice, once with a map
 * that points into the input (exactly sized, so ASan sees any read past
 * it) and once with a map that copies each request into a fresh block and
 * frees the last (so a pointer kept past the next map() is a
 * use-after-free). An answer that is not sane, a map() call with an empty
 * or wrapping range, or an HPET address or PM timer port found in no
 * table aborts. The input is also read as AML for the \_S5_ reader
 * (acpi_aml_s5), exactly sized: a value past 7 or a read past it aborts.
 *
 * Seeds: tests/host/corpus/fuzz_acpi (acpi_test --write-walk-corpus).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_acpi FILE...       replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct acpi_info info;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int window = 0; window < 2; window++) {
		const char *why = walk_run(data, size, window, &info);
		if (why) {
			fprintf(stderr, "fuzz_acpi: %s map: %s\n", window ? "window" : "direct", why);
			abort();
		}
	}
	uint8_t *aml = malloc(size ? size : 1), a = 0xee, b = 0xee;
	memcpy(aml, data, size);
	int r = acpi_aml_s5(aml, size, &a, &b);
	free(aml);
	if (r != 0 && r != -1 && r != -2)
		abort();
	if (r == 0 && (a > 7 || b > 7))
		abort();
	return 0;
}
