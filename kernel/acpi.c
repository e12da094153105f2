/*
 * acpi.c - the ACPI table walk: RSDP -> XSDT (or RSDT) -> MADT, HPET, FADT,
 * SPCR, MCFG.
 * Pure logic over memory the caller maps (see acpi.h): no hardware access,
 * no allocation, no printing of its own, no global state. Built into the
 * kernel, and on the host by tests/host/acpi_test.c and fuzz_madt.c.
 *
 * Trust nothing: every multi-byte field is read with memcpy (tables are
 * packed and unaligned), every table's header is mapped before its length
 * is believed, every length is checked against what map() allows, and
 * every checksum is verified before a table is used. A pointer from map()
 * is never used after the next call to map(), so the caller may hand out
 * one reusable window.
 *
 * Layouts used (offsets in bytes, little-endian):
 *   RSDP  0 "RSD PTR ", 8 checksum (first 20 bytes), 15 revision,
 *         16 RSDT address u32, 20 length u32, 24 XSDT address u64,
 *         32 extended checksum (length bytes)                   [rev >= 2]
 *   SDT header (36): 0 signature, 4 length u32, 8 revision, 9 checksum ...
 *   XSDT/RSDT: header, then u64 / u32 physical addresses of other tables
 *   MADT  36 local APIC address u32, 40 flags u32 (bit 0 PCAT_COMPAT),
 *         44.. entries: type u8, length u8, body
 *   HPET  40 base address GAS (40 space id, 44 address u64)
 *   FADT  40 DSDT u32, 48 SMI_CMD u32, 52 ACPI_ENABLE u8, 64 PM1a_CNT_BLK u32, 68 PM1b_CNT_BLK u32,
 *         76 PM_TMR_BLK u32, 112 flags u32 (bit 8 TMR_VAL_EXT, bit 20
 *         HW_REDUCED_ACPI), 140 X_DSDT u64, 172 X_PM1a_CNT_BLK GAS,
 *         184 X_PM1b_CNT_BLK GAS, 208 X_PM_TMR_BLK GAS (GAS: +0 space id,
 *         +4 address u64)
 *   MADT NMI entries: type 4 (6 bytes): 2 uid u8, 3 flags u16, 5 LINT u8;
 *         type 0x0A (12 bytes): 2 flags u16, 4 uid u32, 8 LINT u8
 *   DSDT  header, then AML: Name(\_S5_, Package(){SLP_TYPa, SLP_TYPb, ...})
 *   FADT  76 PM_TMR_BLK u32, 112 flags u32 (bit 8 TMR_VAL_EXT, bit 20
 *         HW_REDUCED_ACPI), 208 X_PM_TMR_BLK GAS (208 space id, 212 address)
 *   SPCR  36 interface type u8, 40 base address GAS (40 space id, 41 bit
 *         width, 44 address u64), 52 interrupt type u8 (bit 0 8259, bit 1
 *         I/O APIC), 53 IRQ u8, 54 GSI u32, 58 baud rate code u8; 80 bytes
 *         at least; revision 4 adds 80 precise baud rate u32
 *   MCFG  44.. 16-byte allocations: 0 base u64, 8 segment u16, 10 start
 *         bus u8, 11 end bus u8
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acpi.h"

#define SDT_HDR_LEN     36u
#define SDT_MAX_LEN     (1u << 20)      /* 1 MiB: anything longer is garbage */
#define RSDP_V1_LEN     20u
#define RSDP_V2_LEN     36u
#define RSDP_MAX_LEN    4096u
#define MADT_HDR_LEN    44u             /* SDT header + local APIC address + flags */

#define MADT_FLAG_PCAT_COMPAT   (1u << 0)
#define LAPIC_ENABLED           (1u << 0)
#define LAPIC_ONLINE_CAPABLE    (1u << 1)
#define FADT_TMR_VAL_EXT        (1u << 8)
#define FADT_HW_REDUCED         (1u << 20)

#define GAS_SYSTEM_MEMORY       0
#define GAS_SYSTEM_IO           1

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4,
       MADT_LAPIC_ADDR = 5, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10 };

/* ---- unaligned little-endian reads ---- */

static uint16_t rd16(const uint8_t *p, size_t off)
{
	uint16_t v;
	memcpy(&v, p + off, sizeof v);
	return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, sizeof v);
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, sizeof v);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* ---- a tiny formatter: %s %c %u %d %x with l/ll/z; no width/precision ---- */

struct sbuf {
	char *p;
	size_t n, cap;          /* cap includes the terminating NUL */
};

static void put_c(struct sbuf *b, char c)
{
	if (b->n + 1 < b->cap)
		b->p[b->n++] = c;
}

static void put_s(struct sbuf *b, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put_c(b, *s++);
}

static void put_u(struct sbuf *b, unsigned long long v, unsigned base)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		put_c(b, tmp[--i]);
}

static void vfmt(struct sbuf *b, const char *f, va_list ap)
{
	for (; *f; f++) {
		if (*f != '%') {
			put_c(b, *f);
			continue;
		}
		f++;
		int lng = 0;            /* 0 int, 1 long, 2 long long, 3 size_t */
		if (*f == 'z') {
			lng = 3;
			f++;
		} else {
			while (*f == 'l' && lng < 2) {
				lng++;
				f++;
			}
		}
		switch (*f) {
		case 's':
			put_s(b, va_arg(ap, const char *));
			break;
		case 'c':
			put_c(b, (char)va_arg(ap, int));
			break;
		case 'u':
		case 'x': {
			unsigned long long v;
			if (lng == 0)
				v = va_arg(ap, unsigned int);
			else if (lng == 1)
				v = va_arg(ap, unsigned long);
			else if (lng == 2)
				v = va_arg(ap, unsigned long long);
			else
				v = va_arg(ap, size_t);
			put_u(b, v, *f == 'x' ? 16 : 10);
			break;
		}
		case 'd': {
			long long v;
			if (lng == 0)
				v = va_arg(ap, int);
			else if (lng == 1)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, long long);
			if (v < 0) {
				put_c(b, '-');
				put_u(b, 0ull - (unsigned long long)v, 10);
			} else {
				put_u(b, (unsigned long long)v, 10);
			}
			break;
		}
		case '%':
			put_c(b, '%');
			break;
		case '\0':
			f--;            /* a lone '%' at the end */
			break;
		default:
			put_c(b, '%');
			put_c(b, *f);
			break;
		}
	}
	b->p[b->n] = '\0';
}

__attribute__((format(printf, 3, 4)))
static void fmt(char *dst, size_t cap, const char *f, ...)
{
	struct sbuf b = { dst, 0, cap };
	va_list ap;
	va_start(ap, f);
	vfmt(&b, f, ap);
	va_end(ap);
}

/* Appends "acpi: <message>" to out->warn. When the array is full, the last
   slot is replaced by a note that warnings were dropped. */
__attribute__((format(printf, 2, 3)))
static void warn(struct acpi_info *out, const char *f, ...)
{
	char *dst;
	if (out->nwarn < 0)
		out->nwarn = 0;
	if (out->nwarn >= ACPI_MAX_WARNINGS) {
		out->nwarn = ACPI_MAX_WARNINGS;
		fmt(out->warn[ACPI_MAX_WARNINGS - 1], sizeof out->warn[0],
		    "acpi: further warnings omitted");
		return;
	}
	dst = out->warn[out->nwarn++];
	struct sbuf b = { dst, 0, sizeof out->warn[0] };
	put_s(&b, "acpi: ");
	va_list ap;
	va_start(ap, f);
	vfmt(&b, f, ap);
	va_end(ap);
}

/* ---- the MADT ---- */

struct madt_state {
	int nen, non;           /* enabled CPUs at cpu[0..nen), online-capable at cpu[MAX-non..MAX) */
	unsigned drop_cpu, drop_ioapic, drop_ovr, drop_nmi;
	bool lapic_override;
};

static void madt_reset(struct acpi_info *out)
{
	out->ncpu = 0;
	memset(out->cpu, 0, sizeof out->cpu);
	out->lapic_addr = 0;
	out->pcat_compat = false;
	out->nioapic = 0;
	memset(out->ioapic, 0, sizeof out->ioapic);
	out->noverride = 0;
	memset(out->override, 0, sizeof out->override);
	out->nnmi = 0;
	memset(out->nmi, 0, sizeof out->nmi);
}

/* Enabled CPUs fill cpu[] from the front in table order; online-capable ones
   fill it from the back (in reverse table order) until they meet; madt_finish
   moves the back part behind the front. When the array is full, an enabled
   CPU displaces the most recently added online-capable one. */
static void add_cpu(struct madt_state *m, struct acpi_info *out, uint32_t id,
		    uint32_t uid, bool x2, uint32_t flags)
{
	bool enabled = (flags & LAPIC_ENABLED) != 0;
	if (!enabled && !(flags & LAPIC_ONLINE_CAPABLE))
		return;                 /* neither enabled nor online-capable: not usable */

	for (int i = 0; i < m->nen; i++)
		if (out->cpu[i].apic_id == id)
			goto dup;
	for (int i = ACPI_MAX_CPUS - m->non; i < ACPI_MAX_CPUS; i++)
		if (out->cpu[i].apic_id == id)
			goto dup;

	if (m->nen + m->non >= ACPI_MAX_CPUS) {
		m->drop_cpu++;
		if (!enabled || m->non == 0)
			return;
		m->non--;               /* frees cpu[nen] */
	}
	struct acpi_cpu c = { .apic_id = id, .uid = uid, .x2apic_entry = x2,
			      .online_capable = !enabled };
	if (enabled)
		out->cpu[m->nen++] = c;
	else
		out->cpu[ACPI_MAX_CPUS - ++m->non] = c;
	return;
dup:
	warn(out, "MADT: duplicate %sAPIC id %u (uid %u); skipped", x2 ? "x2" : "", id, uid);
}

static void madt_finish(struct madt_state *m, struct acpi_info *out)
{
	/* the back block holds the online-capable CPUs in reverse table order:
	   reverse it in place, then slide it down behind the enabled ones
	   (the destination never lies above the source: copy upwards) */
	for (int lo = ACPI_MAX_CPUS - m->non, hi = ACPI_MAX_CPUS - 1; lo < hi; lo++, hi--) {
		struct acpi_cpu c = out->cpu[lo];
		out->cpu[lo] = out->cpu[hi];
		out->cpu[hi] = c;
	}
	for (int k = 0; k < m->non; k++)
		out->cpu[m->nen + k] = out->cpu[ACPI_MAX_CPUS - m->non + k];
	out->ncpu = m->nen + m->non;
	for (int i = out->ncpu; i < ACPI_MAX_CPUS; i++)
		memset(&out->cpu[i], 0, sizeof out->cpu[i]);
}

/* Minimum entry sizes of the types we read; 0: a type we do not use. */
static unsigned madt_min_len(unsigned type)
{
	switch (type) {
	case MADT_LAPIC:        return 8;
	case MADT_IOAPIC:       return 12;
	case MADT_ISO:          return 10;
	case MADT_LAPIC_NMI:    return 6;
	case MADT_LAPIC_ADDR:   return 12;
	case MADT_X2APIC:       return 16;
	case MADT_X2APIC_NMI:   return 12;
	default:                return 0;
	}
}

/* t: a MADT of len bytes (len already checked against what is readable). */
static int parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	struct madt_state m = { 0 };

	if (len < MADT_HDR_LEN) {
		warn(out, "MADT: length %u shorter than %u bytes; ignored", len, MADT_HDR_LEN);
		return -1;
	}
	out->lapic_addr = rd32(t, 36);
	out->pcat_compat = (rd32(t, 40) & MADT_FLAG_PCAT_COMPAT) != 0;

	uint32_t off = MADT_HDR_LEN;
	while (off < len) {
		if (len - off < 2) {
			warn(out, "MADT: stray byte at offset %u after the last entry; ignored", off);
			break;
		}
		unsigned type = t[off], elen = t[off + 1];
		if (elen < 2) {
			warn(out, "MADT: entry at offset %u has length %u; rest of the table ignored",
			     off, elen);
			break;
		}
		if (elen > len - off) {
			warn(out, "MADT: type %u entry at offset %u (length %u) runs past the end (%u); "
			     "rest ignored", type, off, elen, len);
			break;
		}
		const uint8_t *e = t + off;
		unsigned min = madt_min_len(type);
		if (elen < min) {
			warn(out, "MADT: type %u entry at offset %u: length %u < %u; skipped",
			     type, off, elen, min);
			off += elen;
			continue;
		}

		switch (type) {
		case MADT_LAPIC: {
			uint32_t uid = e[2], id = e[3], flags = rd32(e, 4);
			if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
				break;
			if (id == 0xff) {
				warn(out, "MADT: processor uid %u has APIC id 0xff; skipped", uid);
				break;
			}
			add_cpu(&m, out, id, uid, false, flags);
			break;
		}
		case MADT_X2APIC: {
			uint32_t id = rd32(e, 4), flags = rd32(e, 8), uid = rd32(e, 12);
			if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
				break;
			if (id == 0xffffffffu) {
				warn(out, "MADT: x2APIC uid %u has id 0xffffffff; skipped", uid);
				break;
			}
			add_cpu(&m, out, id, uid, true, flags);
			break;
		}
		case MADT_IOAPIC:
			if (out->nioapic >= ACPI_MAX_IOAPICS) {
				m.drop_ioapic++;
				break;
			}
			out->ioapic[out->nioapic++] = (struct acpi_ioapic){
				.id = e[2], .addr = rd32(e, 4), .gsi_base = rd32(e, 8) };
			break;
		case MADT_ISO:
			if (out->noverride >= ACPI_MAX_OVERRIDES) {
				m.drop_ovr++;
				break;
			}
			out->override[out->noverride++] = (struct acpi_override){
				.bus = e[2], .source_irq = e[3], .gsi = rd32(e, 4),
				.flags = rd16(e, 8) };
			break;
		case MADT_LAPIC_ADDR: {
			uint64_t a = rd64(e, 4);
			if (!m.lapic_override) {
				m.lapic_override = true;
				out->lapic_addr = a;
			} else if (a != out->lapic_addr) {
				warn(out, "MADT: second local APIC address override 0x%llx; "
				     "keeping 0x%llx", (unsigned long long)a,
				     (unsigned long long)out->lapic_addr);
			}
			break;
		}
		case MADT_LAPIC_NMI:
		case MADT_X2APIC_NMI: {
			if (out->nnmi >= ACPI_MAX_NMIS) {
				m.drop_nmi++;
				break;
			}
			struct acpi_nmi n;
			if (type == MADT_LAPIC_NMI)
				n = (struct acpi_nmi){ .uid = e[2] == 0xff ? ACPI_UID_ALL : e[2],
						       .flags = rd16(e, 3), .lint = e[5] };
			else
				n = (struct acpi_nmi){ .uid = rd32(e, 4), .flags = rd16(e, 2), .lint = e[8] };
			if (n.lint > 1) {
				warn(out, "MADT: NMI entry at offset %u names LINT%u; skipped", off, n.lint);
				break;
			}
			out->nmi[out->nnmi++] = n;
			break;
		}
		default:                /* types we do not use */
			break;
		}
		off += elen;
	}

	madt_finish(&m, out);
	if (m.drop_cpu)
		warn(out, "MADT: more than %d usable CPUs; %u ignored", ACPI_MAX_CPUS, m.drop_cpu);
	if (m.drop_ioapic)
		warn(out, "MADT: more than %d I/O APICs; %u ignored", ACPI_MAX_IOAPICS, m.drop_ioapic);
	if (m.drop_ovr)
		warn(out, "MADT: more than %d interrupt source overrides; %u ignored",
		     ACPI_MAX_OVERRIDES, m.drop_ovr);
	if (m.drop_nmi)
		warn(out, "MADT: more than %d NMI entries; %u ignored", ACPI_MAX_NMIS, m.drop_nmi);
	if (out->ncpu == 0) {
		warn(out, "MADT: no usable CPU listed");
		return -1;
	}
	return 0;
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_info *out)
{
	const uint8_t *t = table;
	memset(out, 0, sizeof *out);
	if (!t || len < SDT_HDR_LEN) {
		warn(out, "MADT: %zu bytes is shorter than a table header; ignored", t ? len : 0);
		return -1;
	}
	uint32_t tl = rd32(t, 4);
	if (tl > len) {
		warn(out, "MADT: length %u runs past the %zu readable bytes; ignored", tl, len);
		return -1;
	}
	return parse_madt(t, tl, out);
}

/* ---- HPET and FADT ---- */

static bool parse_hpet(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	if (len < 52) {
		warn(out, "HPET: length %u too short for its base address; ignored", len);
		return false;
	}
	uint8_t space = t[40];
	uint64_t addr = rd64(t, 44);
	if (space != GAS_SYSTEM_MEMORY) {
		warn(out, "HPET: base address in address space %u, not memory; ignored", space);
		return false;
	}
	if (addr == 0) {
		warn(out, "HPET: base address 0; ignored");
		return false;
	}
	out->hpet_addr = addr;
	return true;
}

/* pm1_cnt: a PM1 control block, from its 32-bit field or its GAS (I/O
 * space only: soft off writes a port). */
static uint16_t pm1_cnt(const uint8_t *t, uint32_t len, uint32_t off32, uint32_t offgas,
			const char *name, struct acpi_info *out)
{
	uint32_t port = len >= off32 + 4 ? rd32(t, off32) : 0;
	if (len >= offgas + 12) {
		uint8_t space = t[offgas];
		uint64_t x = rd64(t, offgas + 4);
		if (x != 0 && space == GAS_SYSTEM_IO)
			port = (uint32_t)x;
		else if (x != 0 && port == 0)
			warn(out, "FADT: X_%s in address space %u, not I/O; ignored", name, space);
	}
	if (port > 0xffff) {
		warn(out, "FADT: %s port 0x%x out of range; ignored", name, port);
		port = 0;
	}
	return (uint16_t)port;
}

/* fadt_s5: what soft off needs from the FADT (the DSDT comes later). */
static void fadt_s5(const uint8_t *t, uint32_t len, uint32_t flags, struct acpi_info *out)
{
	uint64_t dsdt = len >= 44 ? rd32(t, 40) : 0;
	if (len >= 148 && rd64(t, 140) != 0)
		dsdt = rd64(t, 140);
	out->dsdt_addr = dsdt;
	if (flags & FADT_HW_REDUCED)
		return;                 /* no PM1 blocks: sleep registers, which we do not use */
	out->smi_cmd = len >= 53 ? rd32(t, 48) : 0;
	out->acpi_enable = len >= 53 ? t[52] : 0;
	out->pm1a_cnt = pm1_cnt(t, len, 64, 172, "PM1a_CNT_BLK", out);
	out->pm1b_cnt = pm1_cnt(t, len, 68, 184, "PM1b_CNT_BLK", out);
}

static bool parse_fadt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	uint32_t flags = len >= 116 ? rd32(t, 112) : 0;
	uint32_t port = len >= 80 ? rd32(t, 76) : 0;

	if (len >= 220) {
		uint8_t space = t[208];
		uint64_t x = rd64(t, 212);
		if (x != 0 && space == GAS_SYSTEM_IO) {
			if (x <= 0xffff)
				port = (uint32_t)x;
			else
				warn(out, "FADT: X_PM_TMR_BLK port 0x%llx out of range; ignored",
				     (unsigned long long)x);
		} else if (x != 0 && port == 0) {
			warn(out, "FADT: PM timer in address space %u, not I/O; ignored", space);
		}
	}
	if (flags & FADT_HW_REDUCED)
		port = 0;               /* no fixed hardware: the PM timer fields mean nothing */
	out->pm_timer_port = port;
	out->pm_timer_32bit = (flags & FADT_TMR_VAL_EXT) != 0;
	fadt_s5(t, len, flags, out);
	return true;
}

/* ---- \_S5_ in the DSDT's AML ---- */

enum { AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a, AML_WORD = 0x0b,
       AML_DWORD = 0x0c, AML_QWORD = 0x0e, AML_PACKAGE = 0x12, AML_ROOT = 0x5c, AML_ONES = 0xff };

/* aml_int decodes one integer constant at p (n bytes readable): the bytes
 * it took, 0 when p holds something else. */
static size_t aml_int(const uint8_t *p, size_t n, uint64_t *v)
{
	if (n == 0)
		return 0;
	switch (p[0]) {
	case AML_ZERO:  *v = 0; return 1;
	case AML_ONE:   *v = 1; return 1;
	case AML_ONES:  *v = UINT64_MAX; return 1;
	case AML_BYTE:  if (n < 2) return 0; *v = p[1]; return 2;
	case AML_WORD:  if (n < 3) return 0; *v = rd16(p, 1); return 3;
	case AML_DWORD: if (n < 5) return 0; *v = rd32(p, 1); return 5;
	case AML_QWORD: if (n < 9) return 0; *v = rd64(p, 1); return 9;
	}
	return 0;
}

/* s5_package decodes the package at a[p] (PackageOp already seen): 0 and
 * the two values, or -2. */
static int s5_package(const uint8_t *a, size_t len, size_t p, uint8_t *typa, uint8_t *typb)
{
	if (p >= len)
		return -2;
	/* PkgLength: the lead byte's top two bits count the bytes after it;
	 * the length counts itself and runs to the package's end */
	unsigned follow = a[p] >> 6;
	if (len - p < 1u + follow)
		return -2;
	uint64_t pl = follow ? a[p] & 0x0f : a[p] & 0x3f;
	for (unsigned k = 1; k <= follow; k++)
		pl |= (uint64_t)a[p + k] << (4 + 8 * (k - 1));
	if (pl < 2u + follow || pl > len - p)
		return -2;
	size_t end = p + pl;
	p += 1 + follow;
	unsigned nel = a[p++];
	uint64_t x, y;
	size_t used = nel ? aml_int(a + p, end - p, &x) : 0;
	if (used == 0)
		return -2;
	p += used;
	y = x;
	if (nel >= 2 && (used = aml_int(a + p, end - p, &y)) == 0)
		return -2;
	if (x > 7 || y > 7)
		return -2;      /* SLP_TYP is three bits */
	*typa = (uint8_t)x;
	*typb = (uint8_t)y;
	return 0;
}

int acpi_aml_s5(const void *aml, size_t len, uint8_t *typa, uint8_t *typb)
{
	const uint8_t *a = aml;
	int r = -1;
	if (!a)
		return -1;
	for (size_t i = 1; i + 5 <= len; i++) {
		if (memcmp(a + i, "_S5_", 4) != 0 || a[i + 4] != AML_PACKAGE)
			continue;
		bool named = a[i - 1] == AML_NAME || (i >= 2 && a[i - 1] == AML_ROOT && a[i - 2] == AML_NAME);
		if (!named)
			continue;       /* a reference to \_S5_, not its definition */
		if (s5_package(a, len, i + 5, typa, typb) == 0)
			return 0;
		r = -2;
	}
	return r;
}

/* ---- SPCR and MCFG ---- */

#define SPCR_MIN_LEN    80u
#define MCFG_HDR_LEN    44u
#define MCFG_ENTRY_LEN  16u

const char *acpi_spcr_type_name(unsigned iface)
{
	switch (iface) {
	case 0x00: return "16550";
	case 0x01: return "16450";
	case 0x02: return "MAX311xE SPI UART";
	case 0x03: return "ARM PL011";
	case 0x05: return "NVIDIA 16550";
	case 0x0d: return "ARM SBSA 32-bit";
	case 0x0e: return "ARM SBSA";
	case 0x0f: return "ARM DCC";
	case 0x10: return "BCM2835";
	case 0x12: return "16550 (GAS)";
	case 0x14: return "Intel LPSS";
	default:   return NULL;
	}
}

/* The SPCR's baud rate codes; 0 means "as the firmware left it". */
static uint32_t spcr_baud(unsigned code)
{
	switch (code) {
	case 3: return 9600;
	case 4: return 19200;
	case 6: return 57600;
	case 7: return 115200;
	default: return 0;
	}
}

static bool parse_spcr(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	struct acpi_spcr s = { .isa_irq = -1 };

	if (len < SPCR_MIN_LEN) {
		warn(out, "SPCR: length %u shorter than %u bytes; ignored", len, SPCR_MIN_LEN);
		return false;
	}
	s.iface = t[36];
	s.space = t[40];
	s.addr = rd64(t, 44);
	if (s.addr == 0)
		return true;            /* the firmware's way of saying "no console" */
	if (s.space != GAS_SYSTEM_MEMORY && s.space != GAS_SYSTEM_IO) {
		warn(out, "SPCR: UART in address space %u; ignored", s.space);
		return false;
	}
	if (s.space == GAS_SYSTEM_IO && s.addr > 0xfff8) {
		warn(out, "SPCR: I/O port 0x%llx out of range; ignored", (unsigned long long)s.addr);
		return false;
	}
	switch (t[41]) {
	case 0:
	case 8:
		s.reg_width = 1;
		break;
	case 32:
		s.reg_width = 4;
		break;
	default:
		warn(out, "SPCR: %u-bit registers; ignored", t[41]);
		return false;
	}
	if (t[52] & 1u && t[53] < 16)
		s.isa_irq = t[53];
	if (t[52] & 2u) {
		s.has_gsi = true;
		s.gsi = rd32(t, 54);
	}
	s.baud = spcr_baud(t[58]);
	if (t[58] != 0 && s.baud == 0)
		warn(out, "SPCR: baud rate code %u unknown; keeping the firmware's", t[58]);
	if (t[8] >= 4 && len >= 84 && rd32(t, 80) != 0)
		s.baud = rd32(t, 80);   /* the precise rate overrides the code */
	s.compat16550 = s.iface == 0x00 || s.iface == 0x01 || s.iface == 0x12;
	s.present = true;
	out->spcr = s;
	return true;
}

static bool parse_mcfg(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	if (len < MCFG_HDR_LEN) {
		warn(out, "MCFG: length %u shorter than %u bytes; ignored", len, MCFG_HDR_LEN);
		return false;
	}
	if ((len - MCFG_HDR_LEN) % MCFG_ENTRY_LEN)
		warn(out, "MCFG: length %u is not 44 + a multiple of 16; last bytes ignored", len);
	unsigned drop = 0;
	out->nmcfg = 0;
	for (uint32_t off = MCFG_HDR_LEN; len - off >= MCFG_ENTRY_LEN; off += MCFG_ENTRY_LEN) {
		struct acpi_mcfg m = { .base = rd64(t, off), .segment = rd16(t, off + 8),
				       .bus_start = t[off + 10], .bus_end = t[off + 11] };
		unsigned i = (off - MCFG_HDR_LEN) / MCFG_ENTRY_LEN;
		if (m.base == 0 || (m.base & 0xfffff) || m.bus_start > m.bus_end ||
		    m.base > UINT64_MAX - ((uint64_t)(m.bus_end + 1u) << 20)) {
			warn(out, "MCFG: entry %u (base 0x%llx, buses %u-%u) is not usable; skipped",
			     i, (unsigned long long)m.base, m.bus_start, m.bus_end);
			continue;
		}
		if (out->nmcfg >= ACPI_MAX_MCFG) {
			drop++;
			continue;
		}
		out->mcfg[out->nmcfg++] = m;
	}
	if (drop)
		warn(out, "MCFG: more than %d allocations; %u ignored", ACPI_MAX_MCFG, drop);
	if (out->nmcfg == 0) {
		warn(out, "MCFG: no usable allocation");
		return false;
	}
	return true;
}

/* ---- the walk ---- */

struct walk {
	acpi_map_fn map;
	void *ctx;
	struct acpi_info *out;
	bool have_madt, have_hpet, have_fadt, have_spcr, have_mcfg;
};

/* map() for [phys, phys + len), refusing empty and wrapping ranges. */
static const uint8_t *map_range(struct walk *w, uint64_t phys, uint64_t len)
{
	if (len == 0 || len - 1 > UINT64_MAX - phys)
		return NULL;
	return w->map(phys, len, w->ctx);
}

/* Signature -> printable table name: "APIC" is the MADT, "FACP" the FADT. */
static void table_name(const uint8_t *sig, char name[5])
{
	if (memcmp(sig, "APIC", 4) == 0) {
		memcpy(name, "MADT", 5);
	} else if (memcmp(sig, "FACP", 4) == 0) {
		memcpy(name, "FADT", 5);
	} else {
		for (int i = 0; i < 4; i++)
			name[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? (char)sig[i] : '?';
		name[4] = '\0';
	}
}

/* Maps the table at phys whole and returns it after checking its signature
   (sig, 4 bytes), its length (36..1 MiB, all of it mappable) and its
   checksum; NULL with a warning naming `where` otherwise. */
static const uint8_t *load_sdt(struct walk *w, uint64_t phys, const char *sig,
			       const char *where, uint32_t *lenp)
{
	struct acpi_info *out = w->out;
	const uint8_t *h = map_range(w, phys, SDT_HDR_LEN);
	if (!h) {
		warn(out, "%s: header cannot be mapped; skipped", where);
		return NULL;
	}
	if (memcmp(h, sig, 4) != 0) {
		char name[5];
		table_name(h, name);
		warn(out, "%s: signature \"%s\", not \"%c%c%c%c\"; skipped", where, name,
		     sig[0], sig[1], sig[2], sig[3]);
		return NULL;
	}
	uint32_t len = rd32(h, 4);
	if (len < SDT_HDR_LEN) {
		warn(out, "%s: length %u shorter than its header; skipped", where, len);
		return NULL;
	}
	if (len > SDT_MAX_LEN) {
		warn(out, "%s: length %u over 1 MiB; skipped", where, len);
		return NULL;
	}
	const uint8_t *t = map_range(w, phys, len);
	if (!t) {
		warn(out, "%s: length %u past the mapping; skipped", where, len);
		return NULL;
	}
	/* h may be gone (one mapping window): everything below reads t */
	if (memcmp(t, sig, 4) != 0 || rd32(t, 4) != len) {
		warn(out, "%s: changed while being mapped; skipped", where);
		return NULL;
	}
	if (sum8(t, len) != 0) {
		warn(out, "%s: checksum mismatch; table ignored", where);
		return NULL;
	}
	*lenp = len;
	return t;
}

/* One XSDT/RSDT entry: load and use it if it is a table we want. */
static void sdt_entry(struct walk *w, const char *root, unsigned i, uint64_t phys)
{
	struct acpi_info *out = w->out;
	char where[64], name[5];

	if (phys == 0) {
		warn(out, "%s entry %u is null; skipped", root, i);
		return;
	}
	const uint8_t *h = map_range(w, phys, SDT_HDR_LEN);
	if (!h) {
		warn(out, "%s entry %u at 0x%llx: header cannot be mapped; skipped", root, i,
		     (unsigned long long)phys);
		return;
	}
	uint8_t sig[4];
	memcpy(sig, h, 4);
	bool *have;
	if (memcmp(sig, "APIC", 4) == 0)
		have = &w->have_madt;
	else if (memcmp(sig, "HPET", 4) == 0)
		have = &w->have_hpet;
	else if (memcmp(sig, "FACP", 4) == 0)
		have = &w->have_fadt;
	else if (memcmp(sig, "SPCR", 4) == 0)
		have = &w->have_spcr;
	else if (memcmp(sig, "MCFG", 4) == 0)
		have = &w->have_mcfg;
	else
		return;                 /* a table we do not read */
	if (*have)
		return;                 /* the first good one wins */

	table_name(sig, name);
	fmt(where, sizeof where, "%s entry %u at 0x%llx (%s)", root, i,
	    (unsigned long long)phys, name);
	uint32_t len;
	const uint8_t *t = load_sdt(w, phys, (const char *)sig, where, &len);
	if (!t)
		return;
	if (have == &w->have_madt) {
		madt_reset(out);
		*have = parse_madt(t, len, out) == 0;
	} else if (have == &w->have_hpet) {
		*have = parse_hpet(t, len, out);
	} else if (have == &w->have_spcr) {
		*have = parse_spcr(t, len, out);
	} else if (have == &w->have_mcfg) {
		*have = parse_mcfg(t, len, out);
	} else {
		*have = parse_fadt(t, len, out);
	}
}

/* Walks the XSDT (esz 8) or RSDT (esz 4) at phys; false when the root table
   itself is unusable (warned). */
static bool walk_root(struct walk *w, uint64_t phys, const char *root, unsigned esz)
{
	struct acpi_info *out = w->out;
	char where[48];
	uint32_t len;

	fmt(where, sizeof where, "%s at 0x%llx", root, (unsigned long long)phys);
	if (!load_sdt(w, phys, root, where, &len))
		return false;
	uint32_t n = (len - SDT_HDR_LEN) / esz;
	if ((len - SDT_HDR_LEN) % esz)
		warn(out, "%s: length %u is not 36 + a multiple of %u; last bytes ignored",
		     where, len, esz);
	for (uint32_t i = 0; i < n; i++) {
		/* re-read each entry: sdt_entry's own mappings may have replaced ours */
		const uint8_t *e = map_range(w, phys + SDT_HDR_LEN + (uint64_t)i * esz, esz);
		if (!e) {
			warn(out, "%s entry %u cannot be mapped; skipped", root, i);
			continue;
		}
		sdt_entry(w, root, i, esz == 8 ? rd64(e, 0) : rd32(e, 0));
	}
	return true;
}

/* load_s5 reads SLP_TYPa/b for soft off from the DSDT the FADT names. */
static void load_s5(struct walk *w)
{
	struct acpi_info *out = w->out;
	char where[48];
	uint32_t len;
	if (!out->dsdt_addr || (!out->pm1a_cnt && !out->pm1b_cnt))
		return;         /* nothing to write SLP_TYP to: no soft off by ACPI */
	fmt(where, sizeof where, "DSDT at 0x%llx", (unsigned long long)out->dsdt_addr);
	const uint8_t *t = load_sdt(w, out->dsdt_addr, "DSDT", where, &len);
	if (!t)
		return;
	int r = acpi_aml_s5(t + SDT_HDR_LEN, len - SDT_HDR_LEN, &out->slp_typa, &out->slp_typb);
	if (r == -2)
		warn(out, "%s: \\_S5_ is not a package of two small integers; no ACPI power-off", where);
	else if (r == -1)
		warn(out, "%s: no \\_S5_ object; no ACPI power-off", where);
	out->s5 = r == 0;
}

int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
	struct walk w = { .map = map, .ctx = ctx, .out = out };
	const uint8_t *p;

	memset(out, 0, sizeof *out);
	if (!map || rsdp_phys == 0) {
		warn(out, "no RSDP");
		return -1;
	}
	p = map_range(&w, rsdp_phys, RSDP_V1_LEN);
	if (!p) {
		warn(out, "RSDP at 0x%llx cannot be mapped", (unsigned long long)rsdp_phys);
		return -1;
	}
	if (memcmp(p, "RSD PTR ", 8) != 0) {
		warn(out, "RSDP at 0x%llx: bad signature", (unsigned long long)rsdp_phys);
		return -1;
	}
	if (sum8(p, RSDP_V1_LEN) != 0) {
		warn(out, "RSDP at 0x%llx: checksum mismatch; ignored", (unsigned long long)rsdp_phys);
		return -1;
	}
	unsigned rev = p[15];
	uint32_t rsdt = rd32(p, 16);
	uint64_t xsdt = 0;

	if (rev >= 2) {
		p = map_range(&w, rsdp_phys, RSDP_V2_LEN);
		uint32_t len = p ? rd32(p, 20) : 0;
		if (!p)
			warn(out, "RSDP rev %u: 36 bytes cannot be mapped; using the RSDT", rev);
		else if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN)
			warn(out, "RSDP rev %u: length %u implausible; using the RSDT", rev, len);
		else if (!(p = map_range(&w, rsdp_phys, len)))
			warn(out, "RSDP rev %u: length %u past the mapping; using the RSDT", rev, len);
		else if (sum8(p, len) != 0)
			warn(out, "RSDP rev %u: extended checksum mismatch; using the RSDT", rev);
		else if ((xsdt = rd64(p, 24)) == 0)
			warn(out, "RSDP rev %u: no XSDT address; using the RSDT", rev);
	}

	bool walked = false;
	if (xsdt) {
		walked = walk_root(&w, xsdt, "XSDT", 8);
		if (!walked)
			warn(out, "XSDT unusable; falling back to the RSDT");
	}
	if (!walked) {
		if (rsdt)
			walked = walk_root(&w, rsdt, "RSDT", 4);
		else
			warn(out, "RSDP has no RSDT address");
	}
	if (w.have_fadt)
		load_s5(&w);
	if (!w.have_madt) {
		warn(out, "no usable MADT found");
		return -1;
	}
	return 0;
}
