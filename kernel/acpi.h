/*
 * acpi.h - the ACPI table walk that finds the CPUs and the interrupt
 * controllers (RSDP -> XSDT/RSDT -> MADT, HPET, FADT), the firmware's
 * serial console (SPCR) and PCI configuration space (MCFG), as pure logic over
 * memory the caller maps: no hardware access, no allocation, no printing,
 * no global state. The kernel passes its direct map; tests/host/acpi_test.c
 * and tests/host/fuzz_madt.c build it on the host.
 *
 * Nothing read from the tables is trusted: every table's length is checked
 * against what map() allows before a byte past its header is read, every
 * table's checksum is verified, and the MADT's entries are walked by their
 * length bytes with each one bounds-checked. Problems become one-line
 * warnings in acpi_info.warn (the caller prints them), never a crash.
 * When more than ACPI_MAX_WARNINGS arise, the last slot says so.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_WARNINGS 16
#define ACPI_MAX_NMIS 16
#define ACPI_UID_ALL 0xffffffffu            /* an NMI entry for every processor (0xff in a type 4 entry) */
#define ACPI_MAX_MCFG 8

struct acpi_cpu { uint32_t apic_id; uint32_t uid; bool x2apic_entry; bool online_capable; /* enabled=false but may be brought online */ };
struct acpi_ioapic { uint32_t id; uint64_t addr; uint32_t gsi_base; };
struct acpi_override { uint8_t bus, source_irq; uint32_t gsi; uint16_t flags; };
/* a local APIC NMI entry (MADT type 4 or 0x0A): which LINT pin of which processor (ACPI uid)
   carries NMIs, and its MPS INTI flags (bits 0-1 polarity: 01 high, 11 low; bits 2-3 trigger) */
struct acpi_nmi { uint32_t uid; uint16_t flags; uint8_t lint; };

/* The SPCR's console UART. Only a usable one is kept: present means the
   table checked out and named a port (address non-zero); compat16550 says
   whether its interface type is one a 16550 driver can run (others are
   kept so the kernel can name what it skipped). */
struct acpi_spcr {
	bool present;
	bool compat16550;       /* interface type 0x00, 0x01 or 0x12 */
	uint8_t iface;          /* the interface type (DBG2 serial port subtype) */
	uint8_t space;          /* GAS address space: 0 memory, 1 I/O */
	uint8_t reg_width;      /* register width in bytes from the GAS bit width: 1 or 4 */
	uint64_t addr;          /* base address in that space */
	uint32_t baud;          /* bits per second; 0: keep what the firmware set */
	int16_t isa_irq;        /* PC-AT (8259) IRQ when the table gives one, else -1 */
	uint32_t gsi;           /* I/O APIC GSI when interrupt type bit 1, else 0 */
	bool has_gsi;
};

/* One MCFG allocation: ECAM for segment `segment`, buses bus_start..bus_end
   (bus_start <= bus_end), configuration space of bus b at base + (b << 20). */
struct acpi_mcfg { uint64_t base; uint16_t segment; uint8_t bus_start, bus_end; };

struct acpi_info {
	int ncpu;                           /* usable CPUs: enabled entries first, in table order; online-capable after */
	struct acpi_cpu cpu[ACPI_MAX_CPUS];
	uint64_t lapic_addr;                /* from the MADT header, or the type-5 override */
	bool pcat_compat;                   /* MADT flags bit 0: legacy 8259s present */
	int nioapic;
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	int noverride;
	struct acpi_override override[ACPI_MAX_OVERRIDES];
	uint64_t hpet_addr;                 /* from the HPET table if present, else 0 */
	uint32_t pm_timer_port;             /* from the FADT (PM_TMR_BLK, or X_PM_TMR_BLK if it is an I/O-space GAS), else 0 */
	bool pm_timer_32bit;                /* FADT flags bit 8 (TMR_VAL_EXT) */
	int nnmi;
	struct acpi_nmi nmi[ACPI_MAX_NMIS]; /* the MADT's local APIC NMI entries, in table order */
	/* soft off (S5): the FADT's PM1a/PM1b control blocks (I/O ports; 0: none) and SLP_TYPa/b
	   from the DSDT's \_S5_ package; s5 false when any of it is missing */
	uint64_t dsdt_addr;                 /* from the FADT (X_DSDT, else DSDT), else 0 */
	uint16_t pm1a_cnt, pm1b_cnt;
	uint32_t smi_cmd;                   /* FADT SMI_CMD port and the ACPI_ENABLE value that */
	uint8_t acpi_enable;                /* hands the PM1 registers to the OS; 0: none */
	bool s5;
	uint8_t slp_typa, slp_typb;         /* 0..7 */
	struct acpi_spcr spcr;              /* from the first SPCR that checks out */
	int nmcfg;                          /* from the first MCFG that checks out */
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	int nwarn;
	char warn[ACPI_MAX_WARNINGS][96];   /* one-line warnings: bad checksum, length past the mapping, truncated entry, too many entries, duplicate APIC id ... */
};

/* map(phys, len) returns a pointer through which len bytes at phys can be read, or NULL when that
   range cannot be mapped (e.g. beyond the direct map). The kernel passes its direct map; tests pass
   a function over a buffer.
   acpi_parse never calls map with len 0 or with a range that wraps past 2^64, and uses each
   returned pointer only until its next call to map, so a single reusable mapping window
   (early boot, no direct map yet) is enough. */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

/* Walks RSDP -> XSDT (RSDT when the RSDP is revision 0 or the XSDT is unusable) -> MADT, HPET, FADT,
   SPCR, MCFG.
   Returns 0 on success (at least one CPU found), -1 with a warning when no usable MADT/CPU was found.
   Never trusts a table whose checksum is wrong or whose length runs past what map() allows or is
   shorter than its header: such a table is skipped with a warning.
   *out is cleared first; on -1 it still holds the warnings (and whatever HPET/FADT/SPCR/MCFG data
   was found). The first MADT that checks out and lists a usable CPU is used; the first HPET, FADT,
   SPCR and MCFG likewise. */
int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out);

/* The MADT body alone (for tests and fuzzing): table points at the MADT header, len bytes readable. */
/* Clears *out, then fills its MADT part (ncpu/cpu, lapic_addr, pcat_compat, nioapic/ioapic,
   noverride/override) and warnings. The header's length field must lie in 44..len (else -1 with a
   warning); only that many bytes are read. The signature and checksum are NOT checked here
   (acpi_parse checks them before calling this), so mutated inputs reach the entry walk.
   Returns 0 when at least one usable CPU was found, else -1 with a warning. */
int acpi_parse_madt(const void *table, size_t len, struct acpi_info *out);

/* Finds Name(\_S5_, Package(){a, b, ...}) in AML (a DSDT's body, after its 36-byte header) and
   decodes the package's first two integers (ZeroOp, OneOp, Byte/Word/DWord/QWord prefixes; one
   element: b = a). Reads nothing outside [aml, aml + len). Returns 0 with *typa, *typb (each 0..7),
   -1 when no such name is there, -2 when it is there but its package is not two small integers. */
int acpi_aml_s5(const void *aml, size_t len, uint8_t *typa, uint8_t *typb);
/* A name for an SPCR interface type (the DBG2 serial port subtypes), for messages: "16550",
   "ARM PL011", ...; NULL for a type it does not know. */
const char *acpi_spcr_type_name(unsigned iface);

#endif
