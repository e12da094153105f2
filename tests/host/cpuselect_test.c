/*
 * cpuselect_test.c - which MADT CPUs smp_init starts (kernel/cpuselect.h):
 * enabled ones in table order, never the boot CPU again, never an
 * online-capable slot that is not enabled, at most maxcpus in all.
 */
#include <string.h>

#include "check.h"
#include "cpuselect.h"

static void add(struct acpi_info *a, uint32_t id, bool capable)
{
	a->cpu[a->ncpu++] = (struct acpi_cpu){ .apic_id = id, .uid = id, .online_capable = capable };
}

int main(void)
{
	static struct acpi_info a;
	uint32_t ids[ACPI_MAX_CPUS];
	int capable, n;

	/* as the parser orders them: enabled first, online-capable after */
	add(&a, 0, false);
	add(&a, 2, false);
	add(&a, 4, false);
	add(&a, 6, true);
	add(&a, 8, true);
	n = cpuselect(&a, 0, 0, ids, ACPI_MAX_CPUS, &capable);
	CHECK(n == 3, "3 enabled CPUs, got %d", n);
	CHECK(capable == 2, "2 hot-plug slots, got %d", capable);
	CHECK(ids[0] == 0 && ids[1] == 2 && ids[2] == 4, "ids %u %u %u", ids[0], ids[1], ids[2]);
	for (int i = 0; i < n; i++)
		CHECK(ids[i] != 6 && ids[i] != 8, "slot %u started", ids[i]);

	/* the boot CPU is not first in the table */
	n = cpuselect(&a, 4, 0, ids, ACPI_MAX_CPUS, &capable);
	CHECK(n == 3 && ids[0] == 4 && ids[1] == 0 && ids[2] == 2, "boot CPU 4: n %d", n);

	/* maxcpus counts the boot CPU */
	n = cpuselect(&a, 0, 2, ids, ACPI_MAX_CPUS, &capable);
	CHECK(n == 2 && ids[1] == 2, "maxcpus=2: n %d", n);
	n = cpuselect(&a, 0, 1, ids, ACPI_MAX_CPUS, &capable);
	CHECK(n == 1, "maxcpus=1: n %d", n);

	/* only slots: the boot CPU alone */
	memset(&a, 0, sizeof a);
	add(&a, 1, true);
	add(&a, 2, true);
	n = cpuselect(&a, 0, 0, ids, ACPI_MAX_CPUS, &capable);
	CHECK(n == 1 && capable == 2, "slots only: n %d capable %d", n, capable);

	/* a full table is bounded by the caller's array */
	memset(&a, 0, sizeof a);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS; i++)
		add(&a, i, false);
	n = cpuselect(&a, 0, 0, ids, 8, &capable);
	CHECK(n == 8, "bounded by max: n %d", n);

	printf("cpuselect_test: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
