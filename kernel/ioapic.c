/*
 * ioapic.c - routing a legacy (ISA) interrupt through the I/O APIC the
 * MADT names: the MADT's interrupt source overrides say which global
 * system interrupt an ISA IRQ arrives on and with what polarity and
 * trigger (ISA default: active high, edge).
 */
#include "kernel.h"
#include "acpi.h"

extern struct acpi_info acpi;

enum { IOREGSEL = 0, IOWIN = 4 };       /* 32-bit registers, by index into the MMIO window */
#define IOAPICVER 1
#define IOREDTBL(n) (0x10 + 2 * (n))

static uint32_t ioread(volatile uint32_t *io, uint32_t reg)
{
	io[IOREGSEL] = reg;
	return io[IOWIN];
}

static void iowrite(volatile uint32_t *io, uint32_t reg, uint32_t v)
{
	io[IOREGSEL] = reg;
	io[IOWIN] = v;
}

/*
 * The destination is bits 56-63 of a redirection entry, 24-31 of its high
 * word, in x2APIC mode as well: without interrupt remapping (an IOMMU we
 * do not program) the I/O APIC still sends an 8-bit APIC ID, and an x2APIC
 * CPU answers to it only while its ID is below 255 (0xff is broadcast).
 */
#define IOAPIC_DEST_MAX 254

/* ioapic_route_isa sends ISA IRQ irq to vector on the CPU with APIC id
 * dest. Returns false when no I/O APIC serves it, or dest cannot be
 * named without interrupt remapping. */
bool ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest)
{
	if (dest > IOAPIC_DEST_MAX) {
		kprintf("ioapic: IRQ %d: APIC ID %u needs interrupt remapping: not routed\n", irq, dest);
		return false;
	}
	uint32_t gsi = irq;
	bool active_low = false, level = false;
	for (int i = 0; i < acpi.noverride; i++) {
		const struct acpi_override *o = &acpi.override[i];
		if (o->bus != 0 || o->source_irq != irq)
			continue;
		gsi = o->gsi;
		active_low = (o->flags & 3) == 3;       /* polarity: 01 high, 11 low */
		level = ((o->flags >> 2) & 3) == 3;     /* trigger: 01 edge, 11 level */
	}
	for (int i = 0; i < acpi.nioapic; i++) {
		const struct acpi_ioapic *a = &acpi.ioapic[i];
		volatile uint32_t *io = vm_map_mmio(a->addr, 4096);
		if (!io)
			return false;
		uint32_t n = ((ioread(io, IOAPICVER) >> 16) & 0xff) + 1;
		if (gsi < a->gsi_base || gsi >= a->gsi_base + n)
			continue;
		uint32_t pin = gsi - a->gsi_base;
		uint32_t lo = vector | (active_low ? 1u << 13 : 0) | (level ? 1u << 15 : 0);
		iowrite(io, IOREDTBL(pin) + 1, dest << 24);
		iowrite(io, IOREDTBL(pin), lo);         /* fixed, physical, unmasked */
		return true;
	}
	return false;
}
