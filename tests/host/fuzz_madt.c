/*
 * fuzz_madt.c - libFuzzer target for kernel/acpi.c's MADT walk: the input
 * is handed to acpi_parse_madt as a MADT (header included; the checksum
 * and signature are not checked there, so every input reaches the entry
 * walk once its length field fits). libFuzzer's input buffer is exactly
 * sized, so ASan reports any read past it; the result's invariants are
 * checked too, and a violation aborts.
 *
 * Its seeds are tests/host/corpus/fuzz_madt (acpi_test --write-corpus
 * writes them; acpi_test --corpus checks their answers).
 *
 *   make fuzz                          every fuzzer, FUZZ_SECONDS each
 *   build/host/fuzz_madt FILE...       replay inputs (a finding, the seeds)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct acpi_info info;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&info, 0xa5, sizeof info);       /* acpi_parse_madt must clear it */
	int rc = acpi_parse_madt(data, size, &info);

	if (rc != 0 && rc != -1)
		abort();
	if (info.ncpu < 0 || info.ncpu > ACPI_MAX_CPUS || (rc == 0) != (info.ncpu > 0))
		abort();
	if (info.nioapic < 0 || info.nioapic > ACPI_MAX_IOAPICS)
		abort();
	if (info.noverride < 0 || info.noverride > ACPI_MAX_OVERRIDES)
		abort();
	if (info.nwarn < 0 || info.nwarn > ACPI_MAX_WARNINGS || (rc == -1 && info.nwarn == 0))
		abort();
	for (int i = 0; i < info.nwarn; i++)
		if (!memchr(info.warn[i], 0, sizeof info.warn[i]) ||
		    strncmp(info.warn[i], "acpi: ", 6) != 0)
			abort();
	int seen_oc = 0;
	for (int i = 0; i < info.ncpu; i++) {
		const struct acpi_cpu *c = &info.cpu[i];
		if (c->online_capable)
			seen_oc = 1;
		else if (seen_oc)
			abort();                /* an enabled CPU after an online-capable one */
		if (c->apic_id == 0xffffffffu || (!c->x2apic_entry && c->apic_id >= 0xff))
			abort();
		for (int j = 0; j < i; j++)
			if (info.cpu[j].apic_id == c->apic_id)
				abort();        /* duplicate APIC id kept */
	}
	return 0;
}
