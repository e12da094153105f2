/*
 * cpuselect.h - which CPUs of the MADT to start, as pure logic (smp.c
 * uses it; tests/host/cpuselect_test.c builds it on the host).
 *
 * The boot CPU is index 0 and not started again. Entries that are
 * online-capable but not enabled are hot-plug slots: no CPU is known to be
 * there, and STARTUP to an absent APIC id costs a second of waiting each
 * (or, on a machine whose CPU answers late, a CPU on another's stack).
 * They are counted, not started. maxcpus > 0 bounds the total, the boot
 * CPU included.
 */
#ifndef KERNEL_CPUSELECT_H
#define KERNEL_CPUSELECT_H

#include "acpi.h"

/* cpuselect fills ids[1..) with the APIC ids to start (ids[0] = self) and
 * returns how many CPUs that makes; *capable counts the skipped slots. */
static inline int cpuselect(const struct acpi_info *a, uint32_t self, int maxcpus, uint32_t *ids, int max,
                            int *capable)
{
	int n = 1;
	ids[0] = self;
	*capable = 0;
	for (int i = 0; i < a->ncpu && i < ACPI_MAX_CPUS; i++) {
		const struct acpi_cpu *c = &a->cpu[i];
		if (c->online_capable) {
			(*capable)++;
			continue;
		}
		if (c->apic_id == self || n >= max || (maxcpus > 0 && n >= maxcpus))
			continue;
		ids[n++] = c->apic_id;
	}
	return n;
}

#endif
