/*
 * pci.c - PCI configuration space: ECAM (memory-mapped, from the ACPI MCFG
 * table) where the firmware describes it, the legacy 0xcf8/0xcfc ports
 * otherwise; a walk that finds functions by class; BARs decoded and mapped
 * uncached.
 *
 * The walk starts at bus 0 and follows PCI-to-PCI bridges to their
 * secondary buses (each bus at most once), so it touches only buses that
 * exist: a full 256-bus scan through ECAM would map 256 MiB of
 * configuration space to find nothing. Segment 0 only: the legacy ports
 * cannot reach others, and PCs put everything a console needs there.
 */
#include "kernel.h"
#include "cpu.h"
#include "acpi.h"

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define BUS_ECAM_BYTES (1ull << 20)     /* 32 devices x 8 functions x 4 KiB */

static struct acpi_mcfg ecam[ACPI_MAX_MCFG];
static int necam;
static volatile uint8_t *busmap[256];   /* ECAM window of each bus once mapped */
static struct spinlock cfglock = { .name = "pcicfg" };

/* pci_init keeps segment 0's ECAM ranges from the MCFG. */
void pci_init(const struct acpi_info *a)
{
	necam = 0;
	for (int i = 0; i < a->nmcfg && i < ACPI_MAX_MCFG; i++)
		if (a->mcfg[i].segment == 0)
			ecam[necam++] = a->mcfg[i];
}

const char *pci_access(void) { return necam ? "ECAM" : "ports 0xcf8/0xcfc"; }

/* ecam_bus returns bus's configuration window, mapping it on first use;
 * NULL when no MCFG range covers the bus (or it cannot be mapped). */
static volatile uint8_t *ecam_bus(uint8_t bus)
{
	if (busmap[bus])
		return busmap[bus];
	for (int i = 0; i < necam; i++) {
		if (bus < ecam[i].bus_start || bus > ecam[i].bus_end)
			continue;
		busmap[bus] = vm_map_mmio(ecam[i].base + ((uint64_t)bus << 20), BUS_ECAM_BYTES);
		return busmap[bus];
	}
	return NULL;
}

static uint32_t legacy_addr(struct pci_addr a, uint16_t off)
{
	return 1u << 31 | (uint32_t)a.bus << 16 | (uint32_t)a.dev << 11 |
	       (uint32_t)a.fn << 8 | (off & 0xfc);
}

/* pci_read32 reads the aligned dword at off; 0xffffffff when nothing
 * answers (or off lies past what the legacy ports reach). */
uint32_t pci_read32(struct pci_addr a, uint16_t off)
{
	off &= 0xffc;
	volatile uint8_t *b = ecam_bus(a.bus);
	if (b)
		return *(volatile uint32_t *)(b + ((uint32_t)a.dev << 15 | (uint32_t)a.fn << 12 | off));
	if (off >= 256)
		return 0xffffffffu;
	uint64_t fl = spin_lock_irqsave(&cfglock);
	outl(CONFIG_ADDRESS, legacy_addr(a, off));
	uint32_t v = inl(CONFIG_DATA);
	spin_unlock_irqrestore(&cfglock, fl);
	return v;
}

void pci_write32(struct pci_addr a, uint16_t off, uint32_t v)
{
	off &= 0xffc;
	volatile uint8_t *b = ecam_bus(a.bus);
	if (b) {
		*(volatile uint32_t *)(b + ((uint32_t)a.dev << 15 | (uint32_t)a.fn << 12 | off)) = v;
		return;
	}
	if (off >= 256)
		return;
	uint64_t fl = spin_lock_irqsave(&cfglock);
	outl(CONFIG_ADDRESS, legacy_addr(a, off));
	outl(CONFIG_DATA, v);
	spin_unlock_irqrestore(&cfglock, fl);
}

struct walkstate {
	uint8_t class, subclass;
	struct pci_dev *out;
	int max, n;
	uint8_t seen[256 / 8];
};

static void walk_bus(struct walkstate *w, uint8_t bus, int depth);

static void visit(struct walkstate *w, struct pci_addr a, uint32_t id, int depth)
{
	uint32_t cls = pci_read32(a, 0x08);
	uint8_t hdr = (uint8_t)(pci_read32(a, 0x0c) >> 16);
	struct pci_dev d = { .addr = a, .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16),
			     .class = (uint8_t)(cls >> 24), .subclass = (uint8_t)(cls >> 16),
			     .progif = (uint8_t)(cls >> 8) };
	if (d.class == w->class && d.subclass == w->subclass && w->n < w->max)
		w->out[w->n++] = d;
	else if (d.class == w->class && d.subclass == w->subclass)
		w->n++;                 /* counted, not kept */
	if ((hdr & 0x7f) == 1)          /* a PCI-to-PCI bridge: its secondary bus */
		walk_bus(w, (uint8_t)(pci_read32(a, 0x18) >> 8), depth + 1);
}

static void walk_bus(struct walkstate *w, uint8_t bus, int depth)
{
	if (depth > 32 || (w->seen[bus / 8] & (1u << (bus % 8))))
		return;                 /* a bridge loop, or a bus already walked */
	w->seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_addr a = { bus, dev, 0 };
		uint32_t id = pci_read32(a, 0);
		if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
			continue;
		visit(w, a, id, depth);
		if (!(pci_read32(a, 0x0c) & (1u << 23)))
			continue;       /* single-function device */
		for (uint8_t fn = 1; fn < 8; fn++) {
			a.fn = fn;
			id = pci_read32(a, 0);
			if ((id & 0xffff) != 0xffff && (id & 0xffff) != 0)
				visit(w, a, id, depth);
		}
	}
}

/* pci_find_class lists up to max functions of the given class and
 * subclass, in bus order; returns how many there are (possibly more than
 * max). */
int pci_find_class(uint8_t class, uint8_t subclass, struct pci_dev *out, int max)
{
	struct walkstate w = { .class = class, .subclass = subclass, .out = out, .max = max };
	walk_bus(&w, 0, 0);
	return w.n;
}

/* pci_bar decodes BAR i (a 64-bit BAR takes i and i+1): its address and
 * whether it is I/O space; false when the BAR is empty or i is out of
 * range. Decoding of the space the BAR is in gets switched on. */
bool pci_bar(const struct pci_dev *d, int i, uint64_t *addr, bool *io)
{
	if (i < 0 || i > 5)
		return false;
	uint32_t lo = pci_read32(d->addr, (uint16_t)(0x10 + 4 * i));
	uint32_t cmd = pci_read32(d->addr, 0x04) & 0xffff;
	*io = lo & 1;
	if (*io) {
		*addr = lo & ~3u;
		cmd |= 1u;              /* I/O space enable */
	} else {
		*addr = lo & ~15u;
		if (((lo >> 1) & 3) == 2 && i < 5)
			*addr |= (uint64_t)pci_read32(d->addr, (uint16_t)(0x14 + 4 * i)) << 32;
		cmd |= 2u;              /* memory space enable */
	}
	if (*addr == 0)
		return false;
	pci_write32(d->addr, 0x04, cmd);        /* the status half is write-1-to-clear: written as 0 */
	return true;
}

/* pci_map_bar maps len bytes of a memory BAR uncached. */
void *pci_map_bar(uint64_t addr, size_t len)
{
	return vm_map_mmio(addr, len);
}
