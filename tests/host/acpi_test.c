/*
 * acpi_test.c - host test for kernel/acpi.c, the ACPI table walk. Builds
 * synthetic tables (RSDP, XSDT, RSDT, MADT, HPET, FADT, SPCR, MCFG) in a buffer that
 * stands for physical memory, with helpers that fix the checksums, and
 * runs acpi_parse over them through a map function on that buffer. Every
 * acpi_parse case runs twice: with a map that returns pointers into the
 * buffer, and with a "window" map that copies each request into a fresh
 * heap block and frees the previous one, so ASan catches any pointer used
 * after the next map() call (acpi.h promises there are none). Buffers are
 * exactly sized so that reads past a table's end trip ASan too.
 *
 * Then two deterministic random-mutation loops: 20,000 byte-flipped MADTs
 * through acpi_parse_madt, and 5,000 mutated whole table sets (checksums
 * re-fixed half the time) through acpi_parse; both check invariants of the
 * result (counts in range, no duplicate APIC ids, enabled CPUs first,
 * warnings terminated).
 *
 * From the top of the tree (no -I include: the runtime's string.h would
 * shadow libc's):
 *
 *   mkdir -p build/host
 *   gcc -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *       -fno-sanitize-recover=all -I kernel \
 *       -o build/host/acpi_test tests/host/acpi_test.c kernel/acpi.c
 *   build/host/acpi_test [--corpus DIR] [--walk-corpus DIR] [seed]
 *   build/host/acpi_test --write-corpus DIR    # rewrites fuzz_madt's seeds
 *   build/host/acpi_test --write-walk-corpus DIR    # rewrites fuzz_acpi's seeds
 *
 * With --corpus, fuzz_madt's seeds (tests/host/corpus/fuzz_madt, as make
 * test-host passes) are checked too: each named one, the malformed ones
 * included (a length past the table, zero-length entries, an entry past
 * the end), must get its exact answer and warning, and every file there,
 * fuzzer findings kept as regressions too, a sane one. With --walk-corpus,
 * fuzz_acpi's seeds (whole table sets: the RSDP, HPET and FADT parsers
 * with the MADT) each go through acpi_parse in both map modes, and must
 * get a sane answer (acpi_invariants.h).
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#define _POSIX_C_SOURCE 200809L         /* opendir */

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "acpi_invariants.h"

/* ---- failures ---- */

static int failures, checks;
static const char *cur_test = "";
static const char *cur_mode = "";
static const struct acpi_info *cur_info;       /* dumped on failure */

static void dump_warnings(const struct acpi_info *in)
{
	if (!in)
		return;
	fprintf(stderr, "    ncpu %d nioapic %d noverride %d, %d warning(s):\n",
		in->ncpu, in->nioapic, in->noverride, in->nwarn);
	for (int i = 0; i < in->nwarn && i < ACPI_MAX_WARNINGS; i++)
		fprintf(stderr, "      %.96s\n", in->warn[i]);
}

#define CHECK(c) do { \
	checks++; \
	if (!(c)) { \
		failures++; \
		fprintf(stderr, "FAIL %s%s (line %d): %s\n", cur_test, cur_mode, __LINE__, #c); \
		dump_warnings(cur_info); \
	} \
} while (0)

/* ---- little-endian stores and checksums ---- */

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Sets p[at] so that the n bytes at p sum to 0 mod 256. */
static void fix_sum(uint8_t *p, size_t n, size_t at)
{
	uint8_t s = 0;
	p[at] = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)(0 - s);
}

/* ---- a table builder ---- */

struct tb {
	uint8_t *p;
	uint32_t len, cap;
};

static void tb_start(struct tb *t, uint8_t *at, uint32_t cap, const char *sig, uint8_t rev)
{
	if (cap < 36) {
		fprintf(stderr, "tb_start: no room\n");
		abort();
	}
	t->p = at;
	t->cap = cap;
	t->len = 36;
	memset(at, 0, 36);
	memcpy(at, sig, 4);
	at[8] = rev;
	memcpy(at + 10, "RTTEST", 6);
	memcpy(at + 16, "ACPITEST", 8);
	put32(at + 24, 1);
	memcpy(at + 28, "RTT ", 4);
	put32(at + 32, 1);
}

static void tb_bytes(struct tb *t, const void *d, uint32_t n)
{
	if (n > t->cap - t->len) {
		fprintf(stderr, "tb_bytes: table overflows its %u bytes\n", t->cap);
		abort();
	}
	memcpy(t->p + t->len, d, n);
	t->len += n;
}

static void tb_u8(struct tb *t, uint8_t v) { tb_bytes(t, &v, 1); }
static void tb_u16(struct tb *t, uint16_t v) { tb_bytes(t, &v, 2); }
static void tb_u32(struct tb *t, uint32_t v) { tb_bytes(t, &v, 4); }
static void tb_u64(struct tb *t, uint64_t v) { tb_bytes(t, &v, 8); }

/* Writes the length and fixes the checksum. */
static uint32_t tb_end(struct tb *t)
{
	put32(t->p + 4, t->len);
	fix_sum(t->p, t->len, 9);
	return t->len;
}

/* MADT entries */
static void madt_head(struct tb *t, uint32_t lapic, uint32_t flags) { tb_u32(t, lapic); tb_u32(t, flags); }

static void e_lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	tb_u8(t, 0); tb_u8(t, 8); tb_u8(t, uid); tb_u8(t, id); tb_u32(t, flags);
}

static void e_x2apic(struct tb *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	tb_u8(t, 9); tb_u8(t, 16); tb_u16(t, 0); tb_u32(t, id); tb_u32(t, flags); tb_u32(t, uid);
}

static void e_ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	tb_u8(t, 1); tb_u8(t, 12); tb_u8(t, id); tb_u8(t, 0); tb_u32(t, addr); tb_u32(t, gsi);
}

static void e_iso(struct tb *t, uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	tb_u8(t, 2); tb_u8(t, 10); tb_u8(t, bus); tb_u8(t, irq); tb_u32(t, gsi); tb_u16(t, flags);
}

static void e_lapic_nmi(struct tb *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	tb_u8(t, 4); tb_u8(t, 6); tb_u8(t, uid); tb_u16(t, flags); tb_u8(t, lint);
}

static void e_lapic_addr(struct tb *t, uint64_t addr)
{
	tb_u8(t, 5); tb_u8(t, 12); tb_u16(t, 0); tb_u64(t, addr);
}

static void e_x2apic_nmi(struct tb *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
	tb_u8(t, 10); tb_u8(t, 12); tb_u16(t, flags); tb_u32(t, uid); tb_u8(t, lint);
	tb_u8(t, 0); tb_u16(t, 0);
}

/* QEMU's MADT: 4 CPUs, one IOAPIC, IRQ 0 -> GSI 2 and IRQ 9 level/high, LINT1 NMI. */
static void madt_qemu_body(struct tb *t)
{
	madt_head(t, 0xfee00000, 1);
	for (int i = 0; i < 4; i++)
		e_lapic(t, (uint8_t)i, (uint8_t)i, 1);
	e_ioapic(t, 0, 0xfec00000, 0);
	e_iso(t, 0, 0, 2, 0);
	e_iso(t, 0, 9, 9, 0x000d);
	e_lapic_nmi(t, 0xff, 0, 1);
}

/* ---- the fake physical memory ---- */

#define MEM_BASE    0x7fe00000ull
#define MEM_SIZE    0x20000u
#define O_RSDP      0x0000u
#define O_XSDT      0x0100u
#define O_RSDT      0x0200u
#define O_MADT      0x1000u         /* the XSDT's MADT; room up to O_MADT2 */
#define O_MADT2     0x9000u         /* the RSDT's MADT (2 CPUs, ids 0x10, 0x11) */
#define O_HPET      0xa000u
#define O_FADT      0xa100u
#define O_SSDT      0xa400u         /* a table nobody reads, with a bad checksum */
#define O_SPARE     0xb000u
#define O_DSDT      0xd000u         /* the FADT's DSDT: \_S5_ = Package(){5, 5, 0, 0} */
#define MADT_CAP    (O_MADT2 - O_MADT)

struct world {
	uint8_t *mem;                   /* MEM_SIZE bytes, physical MEM_BASE.. */
	uint64_t map_limit;             /* map() refuses ranges ending above this */
	bool window;                    /* copy each request; free the previous copy */
	void *win;
	unsigned nmap;
	bool contract_broken;           /* map() called with len 0 or a wrapping range */
};

static const void *fake_map(uint64_t phys, uint64_t len, void *ctx)
{
	struct world *w = ctx;
	w->nmap++;
	if (len == 0 || len - 1 > UINT64_MAX - phys)
		w->contract_broken = true;
	if (phys < MEM_BASE)
		return NULL;
	uint64_t off = phys - MEM_BASE;
	if (off > MEM_SIZE || len > MEM_SIZE - off)
		return NULL;
	if (phys > w->map_limit || len > w->map_limit - phys)
		return NULL;
	if (!w->window)
		return w->mem + off;
	free(w->win);
	w->win = malloc(len);
	if (!w->win)
		abort();
	memcpy(w->win, w->mem + off, len);
	return w->win;
}

static void rsdp_write(struct world *w, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t *p = w->mem + O_RSDP;
	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "RTTEST", 6);
	p[15] = rev;
	put32(p + 16, rsdt);
	if (rev >= 2) {
		put32(p + 20, 36);
		put64(p + 24, xsdt);
	}
	fix_sum(p, 20, 8);              /* first: the extended checksum covers it */
	if (rev >= 2)
		fix_sum(p, 36, 32);
}

static struct tb madt_begin(struct world *w, uint32_t lapic, uint32_t flags)
{
	struct tb t;
	tb_start(&t, w->mem + O_MADT, MADT_CAP, "APIC", 4);
	madt_head(&t, lapic, flags);
	return t;
}

static void fadt_write(struct world *w, uint32_t len, uint32_t pm_blk, uint8_t x_space,
		       uint64_t x_addr, uint32_t flags)
{
	struct tb t;
	tb_start(&t, w->mem + O_FADT, 0x300, "FACP", len >= 244 ? 3 : 1);
	memset(t.p + 36, 0, len - 36);
	t.len = len;
	put32(t.p + 40, (uint32_t)(MEM_BASE + O_DSDT));
	put32(t.p + 64, 0x604);                 /* PM1a_CNT_BLK, as QEMU's q35 */
	t.p[89] = 2;                            /* PM1_CNT_LEN */
	put32(t.p + 76, pm_blk);
	t.p[91] = 4;                            /* PM_TMR_LEN */
	if (len >= 116)
		put32(t.p + 112, flags);
	if (len >= 220) {
		t.p[208] = x_space;
		t.p[209] = 32;
		t.p[211] = 3;
		put64(t.p + 212, x_addr);
	}
	tb_end(&t);
}

/* a DSDT whose AML is a few unrelated bytes, then body, then more */
static void dsdt_write(struct world *w, const uint8_t *body, uint32_t n)
{
	static const uint8_t before[] = { 0x10, 0x09, 0x5c, 0x00, 0x08, 'P', 'I', 'C', 'F', 0x00 };
	static const uint8_t after[] = { 0x14, 0x08, '_', 'P', 'T', 'S', 0x01, 0x70, 0x68, 0x60 };
	struct tb t;
	tb_start(&t, w->mem + O_DSDT, 0x1000, "DSDT", 2);
	tb_bytes(&t, before, sizeof before);
	tb_bytes(&t, body, n);
	tb_bytes(&t, after, sizeof after);
	tb_end(&t);
}

/* Name(\_S5_, Package(4){5, 5, 0, 0}) with byte prefixes */
static const uint8_t S5_QEMU[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				   0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };

/* The whole QEMU-like set: RSDP (rev) -> XSDT [FADT, MADT, SSDT, HPET] and
   RSDT [FADT, MADT2, HPET]. */
static void world_std(struct world *w, uint8_t rev)
{
	struct tb t;
	memset(w->mem, 0, MEM_SIZE);
	w->map_limit = UINT64_MAX;

	t = madt_begin(w, 0xfee00000, 1);
	t.len = 36;
	madt_qemu_body(&t);
	tb_end(&t);

	tb_start(&t, w->mem + O_MADT2, 0x1000, "APIC", 1);
	madt_head(&t, 0xfee00000, 1);
	e_lapic(&t, 0, 0x10, 1);
	e_lapic(&t, 1, 0x11, 1);
	e_ioapic(&t, 2, 0xfec00000, 0);
	tb_end(&t);

	tb_start(&t, w->mem + O_HPET, 0x100, "HPET", 1);
	tb_u32(&t, 0x8086a201);
	tb_u8(&t, 0); tb_u8(&t, 64); tb_u8(&t, 0); tb_u8(&t, 0); tb_u64(&t, 0xfed00000);
	tb_u8(&t, 0); tb_u16(&t, 0x80); tb_u8(&t, 0);
	tb_end(&t);

	fadt_write(w, 244, 0x608, 1, 0x608, 1u << 8);
	dsdt_write(w, S5_QEMU, sizeof S5_QEMU);

	tb_start(&t, w->mem + O_SSDT, 0x100, "SSDT", 1);
	tb_u32(&t, 0xdeadbeef);
	tb_end(&t);
	w->mem[O_SSDT + 9] ^= 0x55;

	tb_start(&t, w->mem + O_XSDT, 0x100, "XSDT", 1);
	tb_u64(&t, MEM_BASE + O_FADT);
	tb_u64(&t, MEM_BASE + O_MADT);
	tb_u64(&t, MEM_BASE + O_SSDT);
	tb_u64(&t, MEM_BASE + O_HPET);
	tb_end(&t);

	tb_start(&t, w->mem + O_RSDT, 0x100, "RSDT", 1);
	tb_u32(&t, (uint32_t)(MEM_BASE + O_FADT));
	tb_u32(&t, (uint32_t)(MEM_BASE + O_MADT2));
	tb_u32(&t, (uint32_t)(MEM_BASE + O_HPET));
	tb_end(&t);

	rsdp_write(w, rev, (uint32_t)(MEM_BASE + O_RSDT), MEM_BASE + O_XSDT);
}

/* Re-fixes the checksum of the table at off after an edit. */
static void refix(struct world *w, uint32_t off)
{
	uint32_t len = get32(w->mem + off + 4);
	fix_sum(w->mem + off, len, 9);
}

/* ---- checking a result ---- */

static bool warned(const struct acpi_info *in, const char *s)
{
	for (int i = 0; i < in->nwarn && i < ACPI_MAX_WARNINGS; i++)
		if (strstr(in->warn[i], s))
			return true;
	return false;
}

/* ---- acpi_parse cases (each run in both map modes) ---- */

static struct world W;
static struct acpi_info INFO;

static int run(void)
{
	W.nmap = 0;
	W.contract_broken = false;
	int rc = acpi_parse(MEM_BASE + O_RSDP, fake_map, &W, &INFO);
	free(W.win);
	W.win = NULL;
	cur_info = &INFO;
	CHECK(sane(&INFO, rc));
	CHECK(!W.contract_broken);
	return rc;
}

static void t_qemu(void)
{
	world_std(&W, 2);
	int rc = run();
	CHECK(rc == 0);
	CHECK(INFO.nwarn == 0);
	CHECK(INFO.ncpu == 4);
	for (int i = 0; i < 4; i++) {
		CHECK(INFO.cpu[i].apic_id == (uint32_t)i);
		CHECK(INFO.cpu[i].uid == (uint32_t)i);
		CHECK(!INFO.cpu[i].x2apic_entry);
		CHECK(!INFO.cpu[i].online_capable);
	}
	CHECK(INFO.lapic_addr == 0xfee00000);
	CHECK(INFO.pcat_compat);
	CHECK(INFO.nioapic == 1);
	CHECK(INFO.ioapic[0].id == 0 && INFO.ioapic[0].addr == 0xfec00000 && INFO.ioapic[0].gsi_base == 0);
	CHECK(INFO.noverride == 2);
	CHECK(INFO.override[0].bus == 0 && INFO.override[0].source_irq == 0 &&
	      INFO.override[0].gsi == 2 && INFO.override[0].flags == 0);
	CHECK(INFO.override[1].source_irq == 9 && INFO.override[1].gsi == 9 &&
	      INFO.override[1].flags == 0x000d);
	CHECK(INFO.hpet_addr == 0xfed00000);
	CHECK(INFO.pm_timer_port == 0x608);
	CHECK(INFO.pm_timer_32bit);
	CHECK(INFO.nnmi == 1 && INFO.nmi[0].uid == ACPI_UID_ALL && INFO.nmi[0].lint == 1 &&
	      INFO.nmi[0].flags == 0);
	CHECK(INFO.dsdt_addr == MEM_BASE + O_DSDT && INFO.pm1a_cnt == 0x604 && INFO.pm1b_cnt == 0);
	CHECK(INFO.s5 && INFO.slp_typa == 5 && INFO.slp_typb == 5);
}

static void t_rsdt_only(void)
{
	world_std(&W, 0);
	/* a revision-0 RSDP is 20 bytes: what follows must not be read as an XSDT address */
	memset(W.mem + O_RSDP + 20, 0xee, 16);
	int rc = run();
	CHECK(rc == 0);
	CHECK(INFO.nwarn == 0);
	CHECK(INFO.ncpu == 2);
	CHECK(INFO.cpu[0].apic_id == 0x10 && INFO.cpu[1].apic_id == 0x11);
	CHECK(INFO.nioapic == 1 && INFO.ioapic[0].id == 2);
	CHECK(INFO.hpet_addr == 0xfed00000);
	CHECK(INFO.pm_timer_port == 0x608);

	/* the RSDP mappable for 20 bytes only */
	world_std(&W, 0);
	W.map_limit = MEM_BASE + O_RSDP + 20;
	rc = run();
	CHECK(rc == -1);                        /* nothing else mappable either */
	CHECK(!warned(&INFO, "RSDP"));
	CHECK(warned(&INFO, "RSDT at 0x7fe00200: header cannot be mapped"));
}

static void t_x2apic(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_x2apic(&t, 256, 1, 1000);
	e_x2apic(&t, 300, 1, 1001);
	e_x2apic(&t, 0x12345, 1, 0xfffffff0);
	e_x2apic_nmi(&t, 0, 0xffffffff, 1);
	e_lapic_nmi(&t, 0xff, 0, 1);
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0);
	CHECK(INFO.nwarn == 0);
	CHECK(!INFO.pcat_compat);
	CHECK(INFO.ncpu == 5);
	CHECK(INFO.cpu[0].apic_id == 0 && !INFO.cpu[0].x2apic_entry);
	CHECK(INFO.cpu[1].apic_id == 1 && !INFO.cpu[1].x2apic_entry);
	CHECK(INFO.cpu[2].apic_id == 256 && INFO.cpu[2].x2apic_entry && INFO.cpu[2].uid == 1000);
	CHECK(INFO.cpu[3].apic_id == 300 && INFO.cpu[3].x2apic_entry && INFO.cpu[3].uid == 1001);
	CHECK(INFO.cpu[4].apic_id == 0x12345 && INFO.cpu[4].uid == 0xfffffff0);
	CHECK(INFO.nioapic == 0 && INFO.noverride == 0);
	CHECK(INFO.nnmi == 2 && INFO.nmi[0].uid == ACPI_UID_ALL && INFO.nmi[1].uid == ACPI_UID_ALL);
}

/* NMI entries: one processor's, polarity and trigger flags, a LINT2, too many */
static void t_nmi_entries(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_lapic_nmi(&t, 1, 0x000f, 0);
	e_x2apic_nmi(&t, 0x0005, 7, 1);
	e_lapic_nmi(&t, 0, 0, 2);
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0 && INFO.nnmi == 2);
	CHECK(INFO.nmi[0].uid == 1 && INFO.nmi[0].flags == 0x000f && INFO.nmi[0].lint == 0);
	CHECK(INFO.nmi[1].uid == 7 && INFO.nmi[1].flags == 0x0005 && INFO.nmi[1].lint == 1);
	CHECK(warned(&INFO, "names LINT2; skipped"));

	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	for (int i = 0; i < ACPI_MAX_NMIS + 3; i++)
		e_lapic_nmi(&t, (uint8_t)i, 0, 1);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.nnmi == ACPI_MAX_NMIS && warned(&INFO, "NMI entries; 3 ignored"));
}

/* Soft off: PM1 blocks from the FADT, SLP_TYP from the DSDT */
static void t_s5_walk(void)
{
	/* the 64-bit X_DSDT wins over DSDT; X_PM1a_CNT_BLK in I/O space over PM1a_CNT_BLK */
	world_std(&W, 2);
	memcpy(W.mem + O_SPARE, W.mem + O_DSDT, 0x100);
	W.mem[O_SPARE + 36 + 10 + 10] = 0x03;           /* SLP_TYPa 3 */
	refix(&W, O_SPARE);
	put64(W.mem + O_FADT + 140, MEM_BASE + O_SPARE);
	W.mem[O_FADT + 172] = 1;
	put64(W.mem + O_FADT + 176, 0xb004);
	W.mem[O_FADT + 184] = 1;
	put64(W.mem + O_FADT + 188, 0xb104);
	refix(&W, O_FADT);
	int rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0 && INFO.dsdt_addr == MEM_BASE + O_SPARE);
	CHECK(INFO.pm1a_cnt == 0xb004 && INFO.pm1b_cnt == 0xb104);
	CHECK(INFO.s5 && INFO.slp_typa == 3 && INFO.slp_typb == 5);

	/* X_PM1a_CNT_BLK in memory space: PM1a_CNT_BLK, with a word */
	world_std(&W, 2);
	W.mem[O_FADT + 172] = 0;
	put64(W.mem + O_FADT + 176, 0xfe000000);
	refix(&W, O_FADT);
	rc = run();
	CHECK(rc == 0 && INFO.pm1a_cnt == 0x604 && INFO.s5);

	/* a DSDT with a bad checksum: no soft off, a warning */
	world_std(&W, 2);
	W.mem[O_DSDT + 40] ^= 1;
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && warned(&INFO, "DSDT at 0x7fe0d000: checksum mismatch"));

	/* no \_S5_ in it */
	world_std(&W, 2);
	static const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x00, 0x00 };
	dsdt_write(&W, none, sizeof none);
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && warned(&INFO, "no \\_S5_ object"));

	/* SLP_TYP 8 does not fit three bits */
	world_std(&W, 2);
	static const uint8_t big[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x08, 0x00 };
	dsdt_write(&W, big, sizeof big);
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && warned(&INFO, "not a package of two small integers"));

	/* no PM1 control block: the DSDT is not even read */
	world_std(&W, 2);
	put32(W.mem + O_FADT + 64, 0);
	refix(&W, O_FADT);
	W.mem[O_DSDT + 40] ^= 1;
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && INFO.nwarn == 0);

	/* hardware-reduced: no PM1 blocks */
	world_std(&W, 2);
	fadt_write(&W, 276, 0, 0, 0, 1u << 20);
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && INFO.pm1a_cnt == 0 && INFO.nwarn == 0);

	/* a DSDT address past the mapping */
	world_std(&W, 2);
	put32(W.mem + O_FADT + 40, 0x10000000);
	refix(&W, O_FADT);
	rc = run();
	CHECK(rc == 0 && !INFO.s5 && warned(&INFO, "DSDT at 0x10000000: header cannot be mapped"));
}

/* acpi_aml_s5 on an exactly sized copy (ASan sees a read past it) */
static int s5(const uint8_t *aml, size_t n, uint8_t *a, uint8_t *b)
{
	uint8_t *c = malloc(n ? n : 1);
	memcpy(c, aml, n);
	*a = *b = 0xee;
	int r = acpi_aml_s5(c, n, a, b);
	free(c);
	return r;
}

static void t_aml_s5(void)
{
	uint8_t a, b;
#define S5(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })
	CHECK(s5(S5_QEMU, sizeof S5_QEMU, &a, &b) == 0 && a == 5 && b == 5);
	/* no root prefix; ZeroOp and OneOp */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00), &a, &b) == 0 && a == 0 && b == 1);
	/* word and dword prefixes */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x02, 0x0b, 0x07, 0x00, 0x0c, 0x06, 0, 0, 0), &a, &b) == 0 &&
	      a == 7 && b == 6);
	/* a two-byte PkgLength: 7, the lead byte's low nibble with the next byte above it */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02, 0x0a, 0x02, 0x0a, 0x03), &a, &b) == 0 && a == 2 && b == 3);
	/* one element: b = a */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x04), &a, &b) == 0 && a == 4 && b == 4);
	/* a reference, not a definition (Store(\_S5_, Local0)): not found */
	CHECK(s5(S5(0x70, 0x5c, '_', 'S', '5', '_', 0x12, 0x60), &a, &b) == -1);
	/* a method named _S5_: not a package */
	CHECK(s5(S5(0x14, 0x06, '_', 'S', '5', '_', 0x00, 0xa4, 0x00), &a, &b) == -1);
	/* zero elements, a string element, PkgLength past the end, 8 and Ones */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00), &a, &b) == -2);
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0d, 'x', 0x00), &a, &b) == -2);
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x30, 0x02, 0x00, 0x00), &a, &b) == -2);
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00), &a, &b) == -2);
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x00), &a, &b) == -2);
	/* a bad definition, then a good one: the good one */
	CHECK(s5(S5(0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00,
		    0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00), &a, &b) == 0 && a == 1 && b == 0);
	/* every prefix of a good one: never found past what it holds, never a read past it */
	for (size_t n = 0; n < sizeof S5_QEMU; n++)
		CHECK(s5(S5_QEMU, n, &a, &b) != 0);
	CHECK(acpi_aml_s5(NULL, 0, &a, &b) == -1);
#undef S5
}

static void t_disabled_and_online_capable(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);           /* enabled: boot CPU */
	e_lapic(&t, 1, 1, 2);           /* online capable */
	e_lapic(&t, 2, 2, 0);           /* disabled, not online capable: skipped */
	e_lapic(&t, 3, 3, 1);           /* enabled */
	e_x2apic(&t, 400, 2, 4);        /* online capable */
	e_lapic(&t, 5, 5, 1);           /* enabled */
	e_lapic(&t, 6, 0xff, 0);        /* placeholder: no flags, id 0xff: silently skipped */
	e_x2apic(&t, 0xffffffff, 0, 7); /* placeholder */
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0);
	CHECK(INFO.nwarn == 0);
	CHECK(INFO.ncpu == 5);
	static const uint32_t want[] = { 0, 3, 5, 1, 400 };
	for (int i = 0; i < 5; i++) {
		CHECK(INFO.cpu[i].apic_id == want[i]);
		CHECK(INFO.cpu[i].online_capable == (i >= 3));
	}
	CHECK(INFO.cpu[4].x2apic_entry && INFO.cpu[4].uid == 4);

	/* only online-capable CPUs: still "usable" */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 7, 2);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 1 && INFO.cpu[0].online_capable);

	/* all disabled: -1 */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 0);
	e_lapic(&t, 1, 1, 0);
	tb_end(&t);
	rc = run();
	CHECK(rc == -1 && INFO.ncpu == 0);
	CHECK(warned(&INFO, "no usable CPU"));
	CHECK(warned(&INFO, "no usable MADT found"));
}

static void t_bad_rsdp(void)
{
	world_std(&W, 2);
	W.mem[O_RSDP + 8] ^= 1;
	int rc = run();
	CHECK(rc == -1 && INFO.ncpu == 0);
	CHECK(warned(&INFO, "RSDP at 0x7fe00000: checksum mismatch"));

	world_std(&W, 2);
	memcpy(W.mem + O_RSDP, "RSD PTX ", 8);
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "bad signature"));

	/* extended checksum bad: the RSDT (2 CPUs) */
	world_std(&W, 2);
	W.mem[O_RSDP + 32] ^= 1;
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && INFO.cpu[0].apic_id == 0x10);
	CHECK(warned(&INFO, "extended checksum mismatch; using the RSDT"));

	/* implausible RSDP length */
	world_std(&W, 2);
	put32(W.mem + O_RSDP + 20, 100000);
	fix_sum(W.mem + O_RSDP, 20, 8);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && warned(&INFO, "length 100000 implausible"));

	/* RSDP address 0, or unmappable */
	cur_info = &INFO;
	CHECK(acpi_parse(0, fake_map, &W, &INFO) == -1 && warned(&INFO, "no RSDP"));
	CHECK(acpi_parse(0x1000, fake_map, &W, &INFO) == -1 && warned(&INFO, "cannot be mapped"));
	CHECK(acpi_parse(UINT64_MAX - 3, fake_map, &W, &INFO) == -1 && !W.contract_broken);
}

static void t_bad_madt_checksum(void)
{
	world_std(&W, 2);
	W.mem[O_MADT + 40] ^= 0x10;     /* flags: checksum now wrong */
	int rc = run();
	CHECK(rc == -1);
	CHECK(INFO.ncpu == 0 && INFO.nioapic == 0);
	CHECK(INFO.nwarn == 2);
	CHECK(strcmp(INFO.warn[0], "acpi: XSDT entry 1 at 0x7fe01000 (MADT): checksum mismatch; "
		     "table ignored") == 0);
	CHECK(strcmp(INFO.warn[1], "acpi: no usable MADT found") == 0);
	/* the other tables are still read */
	CHECK(INFO.hpet_addr == 0xfed00000 && INFO.pm_timer_port == 0x608);
}

static void t_xsdt_fallback(void)
{
	world_std(&W, 2);
	W.mem[O_XSDT + 9] ^= 1;
	int rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2);
	CHECK(INFO.cpu[0].apic_id == 0x10 && INFO.cpu[1].apic_id == 0x11);
	CHECK(warned(&INFO, "XSDT at 0x7fe00100: checksum mismatch; table ignored"));
	CHECK(warned(&INFO, "falling back to the RSDT"));

	/* XSDT with the wrong signature */
	world_std(&W, 2);
	memcpy(W.mem + O_XSDT, "RSDT", 4);
	refix(&W, O_XSDT);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && warned(&INFO, "not \"XSDT\""));

	/* XSDT address 0 in a valid RSDP */
	world_std(&W, 2);
	rsdp_write(&W, 2, (uint32_t)(MEM_BASE + O_RSDT), 0);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && warned(&INFO, "no XSDT address"));

	/* XSDT beyond memory */
	world_std(&W, 2);
	rsdp_write(&W, 2, (uint32_t)(MEM_BASE + O_RSDT), 0x100000000ull);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && warned(&INFO, "XSDT at 0x100000000: header cannot be mapped"));

	/* both bad: -1 */
	world_std(&W, 2);
	W.mem[O_XSDT + 9] ^= 1;
	W.mem[O_RSDT + 9] ^= 1;
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "RSDT at 0x7fe00200: checksum mismatch"));

	/* XSDT length with stray bytes: entries before them still used */
	world_std(&W, 2);
	put32(W.mem + O_XSDT + 4, 36 + 4 * 8 + 3);
	refix(&W, O_XSDT);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 4 && warned(&INFO, "last bytes ignored"));
}

static void t_length_past_mapping(void)
{
	/* length within 1 MiB but past the end of memory */
	world_std(&W, 2);
	put32(W.mem + O_MADT + 4, 0x30000);
	int rc = run();
	CHECK(rc == -1);
	CHECK(strcmp(INFO.warn[0], "acpi: XSDT entry 1 at 0x7fe01000 (MADT): length 196608 past the "
		     "mapping; skipped") == 0);

	/* the header maps, the body does not */
	world_std(&W, 2);
	W.map_limit = MEM_BASE + O_MADT + 50;
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "(MADT): length 114 past the mapping; skipped"));

	/* absurd length */
	world_std(&W, 2);
	put32(W.mem + O_MADT + 4, 40000000);
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "length 40000000 over 1 MiB; skipped"));

	/* shorter than its header */
	world_std(&W, 2);
	put32(W.mem + O_MADT + 4, 20);
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "length 20 shorter than its header"));

	/* a header but no room for the MADT's own fields */
	world_std(&W, 2);
	put32(W.mem + O_MADT + 4, 40);
	refix(&W, O_MADT);
	rc = run();
	CHECK(rc == -1 && warned(&INFO, "MADT: length 40 shorter than 44"));

	/* an XSDT entry outside memory, a null entry, a table right at the end */
	world_std(&W, 2);
	{
		struct tb t;
		tb_start(&t, W.mem + O_XSDT, 0x100, "XSDT", 1);
		tb_u64(&t, 0);
		tb_u64(&t, 0xfffffffffffffff0ull);
		tb_u64(&t, MEM_BASE + MEM_SIZE - 36);
		tb_u64(&t, MEM_BASE + O_MADT);
		tb_end(&t);
		memcpy(W.mem + MEM_SIZE - 36, "HPET", 4);
		put32(W.mem + MEM_SIZE - 32, 56);
	}
	rsdp_write(&W, 2, (uint32_t)(MEM_BASE + O_RSDT), MEM_BASE + O_XSDT);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 4);
	CHECK(warned(&INFO, "XSDT entry 0 is null; skipped"));
	CHECK(warned(&INFO, "XSDT entry 1 at 0xfffffffffffffff0: header cannot be mapped"));
	CHECK(warned(&INFO, "XSDT entry 2 at 0x7fe1ffdc (HPET): length 56 past the mapping"));
	CHECK(INFO.hpet_addr == 0);
}

static void t_truncated_entries(void)
{
	/* last entry runs past the table end */
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_ioapic(&t, 0, 0xfec00000, 0);
	t.len -= 4;                     /* IOAPIC entry says 12, only 8 remain */
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && INFO.nioapic == 0);
	CHECK(warned(&INFO, "MADT: type 1 entry at offset 60 (length 12) runs past the end (68)"));

	/* a known type shorter than its minimum: skipped, the walk goes on */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0); tb_u8(&t, 6); tb_u8(&t, 1); tb_u8(&t, 1); tb_u16(&t, 1);
	tb_u8(&t, 9); tb_u8(&t, 12); tb_u16(&t, 0); tb_u32(&t, 1000); tb_u32(&t, 1);
	tb_u8(&t, 1); tb_u8(&t, 8); tb_u16(&t, 0); tb_u32(&t, 0xfec00000);
	tb_u8(&t, 2); tb_u8(&t, 9); tb_u8(&t, 0); tb_u8(&t, 0); tb_u32(&t, 2); tb_u8(&t, 0);
	tb_u8(&t, 5); tb_u8(&t, 10); tb_u16(&t, 0); tb_u32(&t, 0x1000); tb_u16(&t, 0);
	tb_u8(&t, 4); tb_u8(&t, 5); tb_u8(&t, 0); tb_u16(&t, 0);
	tb_u8(&t, 10); tb_u8(&t, 11); tb_bytes(&t, "\0\0\0\0\0\0\0\0\0", 9);
	tb_u8(&t, 200); tb_u8(&t, 3); tb_u8(&t, 0);        /* unknown type: fine at any length */
	e_lapic(&t, 2, 2, 1);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2);
	CHECK(INFO.cpu[0].apic_id == 0 && INFO.cpu[1].apic_id == 2);
	CHECK(INFO.nioapic == 0 && INFO.noverride == 0 && INFO.lapic_addr == 0xfee00000);
	CHECK(warned(&INFO, "MADT: type 0 entry at offset 52: length 6 < 8; skipped"));
	CHECK(warned(&INFO, "type 9 entry at offset 58: length 12 < 16"));
	CHECK(warned(&INFO, "type 1 entry"));
	CHECK(warned(&INFO, "type 2 entry"));
	CHECK(warned(&INFO, "type 5 entry"));
	CHECK(warned(&INFO, "type 4 entry"));
	CHECK(warned(&INFO, "type 10 entry"));
	CHECK(INFO.nwarn == 7);

	/* one stray byte after the last entry */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 1 && warned(&INFO, "stray byte at offset 52"));
}

static void t_zero_length_entry(void)
{
	for (int elen = 0; elen < 2; elen++) {
		world_std(&W, 2);
		struct tb t = madt_begin(&W, 0xfee00000, 1);
		e_lapic(&t, 0, 0, 1);
		tb_u8(&t, 0); tb_u8(&t, (uint8_t)elen); tb_u8(&t, 1); tb_u8(&t, 1); tb_u32(&t, 1);
		e_lapic(&t, 2, 2, 1);
		tb_end(&t);
		int rc = run();
		CHECK(rc == 0 && INFO.ncpu == 1 && INFO.cpu[0].apic_id == 0);
		CHECK(warned(&INFO, elen ? "entry at offset 52 has length 1; rest of the table ignored"
				      : "entry at offset 52 has length 0; rest of the table ignored"));
	}
}

static void t_duplicates(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_lapic(&t, 2, 1, 1);           /* duplicate of id 1 */
	e_x2apic(&t, 0, 1, 3);          /* duplicate of id 0 through an x2APIC entry */
	e_lapic(&t, 4, 4, 2);           /* online capable */
	e_lapic(&t, 5, 4, 1);           /* enabled duplicate of an online-capable one */
	e_lapic(&t, 6, 6, 1);
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0 && INFO.ncpu == 4);
	CHECK(INFO.cpu[0].apic_id == 0 && INFO.cpu[1].apic_id == 1 && INFO.cpu[1].uid == 1);
	CHECK(INFO.cpu[2].apic_id == 6 && INFO.cpu[3].apic_id == 4 && INFO.cpu[3].online_capable);
	CHECK(warned(&INFO, "MADT: duplicate APIC id 1 (uid 2); skipped"));
	CHECK(warned(&INFO, "MADT: duplicate x2APIC id 0 (uid 3); skipped"));
	CHECK(warned(&INFO, "duplicate APIC id 4 (uid 5)"));
	CHECK(INFO.nwarn == 3);

	/* invalid ids */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 9, 0xff, 1);
	e_x2apic(&t, 0xffffffff, 1, 10);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 1);
	CHECK(warned(&INFO, "processor uid 9 has APIC id 0xff; skipped"));
	CHECK(warned(&INFO, "x2APIC uid 10 has id 0xffffffff; skipped"));
}

static void t_too_many(void)
{
	/* 300 CPUs: the first 256 in order */
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	for (uint32_t i = 0; i < 300; i++)
		e_x2apic(&t, i, 1, i);
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0 && INFO.ncpu == ACPI_MAX_CPUS);
	bool inorder = true;
	for (int i = 0; i < ACPI_MAX_CPUS; i++)
		inorder &= INFO.cpu[i].apic_id == (uint32_t)i && !INFO.cpu[i].online_capable;
	CHECK(inorder);
	CHECK(INFO.nwarn == 1);
	CHECK(warned(&INFO, "MADT: more than 256 usable CPUs; 44 ignored"));

	/* 300 type-0 style: ids 0..254 in type 0, then x2APIC */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	for (uint32_t i = 0; i < 255; i++)
		e_lapic(&t, (uint8_t)i, (uint8_t)i, 1);
	for (uint32_t i = 255; i < 300; i++)
		e_x2apic(&t, i, 1, i);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 256 && INFO.cpu[255].apic_id == 255 && INFO.cpu[255].x2apic_entry);
	CHECK(warned(&INFO, "44 ignored"));

	/* 200 online-capable, then 100 enabled: enabled ones displace the last online-capable */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	for (uint32_t i = 0; i < 200; i++)
		e_x2apic(&t, 1000 + i, 2, i);
	for (uint32_t i = 0; i < 100; i++)
		e_x2apic(&t, i, 1, 200 + i);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 256);
	bool ok = true;
	for (int i = 0; i < 100; i++)
		ok &= INFO.cpu[i].apic_id == (uint32_t)i && !INFO.cpu[i].online_capable;
	for (int i = 100; i < 256; i++)
		ok &= INFO.cpu[i].apic_id == 1000u + (uint32_t)(i - 100) && INFO.cpu[i].online_capable;
	CHECK(ok);
	CHECK(warned(&INFO, "44 ignored"));

	/* exactly 256 mixed: no warning, order kept */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	for (uint32_t i = 0; i < 256; i++)
		e_x2apic(&t, i, (i % 3) ? 1 : 2, i);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 256 && INFO.nwarn == 0);
	ok = true;
	int k = 0;
	for (uint32_t i = 0; i < 256; i++)
		if (i % 3)
			ok &= INFO.cpu[k++].apic_id == i;
	for (uint32_t i = 0; i < 256; i += 3)
		ok &= INFO.cpu[k].online_capable && INFO.cpu[k++].apic_id == i;
	CHECK(ok && k == 256);

	/* IOAPICs and overrides */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	for (int i = 0; i < 20; i++)
		e_ioapic(&t, (uint8_t)i, 0xfec00000u + (uint32_t)i * 0x1000, (uint32_t)i * 24);
	for (int i = 0; i < 40; i++)
		e_iso(&t, 0, (uint8_t)i, (uint32_t)i + 100, 5);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.nioapic == 16 && INFO.noverride == 32);
	CHECK(INFO.ioapic[15].id == 15 && INFO.ioapic[15].gsi_base == 360 &&
	      INFO.ioapic[15].addr == 0xfec0f000);
	CHECK(INFO.override[31].source_irq == 31 && INFO.override[31].gsi == 131 &&
	      INFO.override[31].flags == 5);
	CHECK(warned(&INFO, "more than 16 I/O APICs; 4 ignored"));
	CHECK(warned(&INFO, "more than 32 interrupt source overrides; 8 ignored"));

	/* more warnings than slots */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	for (int i = 0; i < 30; i++)
		e_lapic(&t, (uint8_t)i, 7, 1);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 1 && INFO.nwarn == ACPI_MAX_WARNINGS);
	CHECK(strcmp(INFO.warn[ACPI_MAX_WARNINGS - 1], "acpi: further warnings omitted") == 0);
	CHECK(strcmp(INFO.warn[ACPI_MAX_WARNINGS - 2], "acpi: MADT: duplicate APIC id 7 (uid 15); skipped") == 0);
}

static void t_lapic_override(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	e_lapic_addr(&t, 0x1fee00000ull);
	e_lapic(&t, 1, 1, 1);
	tb_end(&t);
	int rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0);
	CHECK(INFO.lapic_addr == 0x1fee00000ull);

	/* a second, different one: the first is kept */
	world_std(&W, 2);
	t = madt_begin(&W, 0xfee00000, 1);
	e_lapic_addr(&t, 0xabc000);
	e_lapic(&t, 0, 0, 1);
	e_lapic_addr(&t, 0xdef000);
	tb_end(&t);
	rc = run();
	CHECK(rc == 0 && INFO.lapic_addr == 0xabc000 && warned(&INFO, "keeping 0xabc000"));
}

static void t_fadt_hpet(void)
{
	/* ACPI 1.0 FADT (116 bytes): PM_TMR_BLK only, 24-bit timer */
	world_std(&W, 2);
	fadt_write(&W, 116, 0xb008, 0, 0, 0);
	int rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0 && INFO.pm_timer_port == 0xb008 && !INFO.pm_timer_32bit);

	/* X_PM_TMR_BLK in I/O space wins over PM_TMR_BLK */
	world_std(&W, 2);
	fadt_write(&W, 276, 0x408, 1, 0x1808, 1u << 8);
	rc = run();
	CHECK(rc == 0 && INFO.pm_timer_port == 0x1808 && INFO.pm_timer_32bit);

	/* X_PM_TMR_BLK in memory space: PM_TMR_BLK */
	world_std(&W, 2);
	fadt_write(&W, 244, 0x408, 0, 0xfe000000, 0);
	rc = run();
	CHECK(rc == 0 && INFO.pm_timer_port == 0x408);

	/* X_PM_TMR_BLK zero: PM_TMR_BLK */
	world_std(&W, 2);
	fadt_write(&W, 244, 0x408, 1, 0, 0);
	rc = run();
	CHECK(rc == 0 && INFO.pm_timer_port == 0x408);

	/* hardware-reduced: no PM timer */
	world_std(&W, 2);
	fadt_write(&W, 276, 0, 0, 0, 1u << 20);
	rc = run();
	CHECK(rc == 0 && INFO.pm_timer_port == 0 && INFO.nwarn == 0);

	/* bad FADT and HPET checksums: warnings, zeros, the MADT still used */
	world_std(&W, 2);
	W.mem[O_FADT + 76] ^= 1;
	W.mem[O_HPET + 44] ^= 1;
	rc = run();
	CHECK(rc == 0 && INFO.ncpu == 4);
	CHECK(INFO.pm_timer_port == 0 && INFO.hpet_addr == 0);
	CHECK(warned(&INFO, "XSDT entry 0 at 0x7fe0a100 (FADT): checksum mismatch"));
	CHECK(warned(&INFO, "XSDT entry 3 at 0x7fe0a000 (HPET): checksum mismatch"));

	/* HPET in I/O space */
	world_std(&W, 2);
	W.mem[O_HPET + 40] = 1;
	refix(&W, O_HPET);
	rc = run();
	CHECK(rc == 0 && INFO.hpet_addr == 0 && warned(&INFO, "HPET: base address in address space 1"));
}

/* An MADT that fails the CPU check is replaced by a later good one. */
static void t_second_madt(void)
{
	world_std(&W, 2);
	struct tb t = madt_begin(&W, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 0);
	e_ioapic(&t, 9, 0xfec00000, 0);
	tb_end(&t);
	tb_start(&t, W.mem + O_XSDT, 0x100, "XSDT", 1);
	tb_u64(&t, MEM_BASE + O_MADT);
	tb_u64(&t, MEM_BASE + O_MADT2);
	tb_u64(&t, MEM_BASE + O_MADT);
	tb_end(&t);
	rsdp_write(&W, 2, (uint32_t)(MEM_BASE + O_RSDT), MEM_BASE + O_XSDT);
	int rc = run();
	CHECK(rc == 0 && INFO.ncpu == 2 && INFO.cpu[0].apic_id == 0x10);
	CHECK(INFO.nioapic == 1 && INFO.ioapic[0].id == 2);
	CHECK(warned(&INFO, "no usable CPU"));
}

/* ---- acpi_parse_madt alone ---- */

static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (!q)
		abort();
	memcpy(q, p, n);
	return q;
}

static void t_parse_madt_direct(void)
{
	cur_mode = "";
	world_std(&W, 2);
	uint32_t len = get32(W.mem + O_MADT + 4);
	uint8_t *m = dup_exact(W.mem + O_MADT, len);
	cur_info = &INFO;
	int rc = acpi_parse_madt(m, len, &INFO);
	CHECK(rc == 0 && INFO.ncpu == 4 && INFO.nioapic == 1 && INFO.noverride == 2 && INFO.nwarn == 0);
	CHECK(sane(&INFO, rc));

	/* the checksum is not acpi_parse_madt's business */
	m[40] ^= 0x80;
	rc = acpi_parse_madt(m, len, &INFO);
	CHECK(rc == 0 && INFO.nwarn == 0);

	rc = acpi_parse_madt(m, len - 1, &INFO);
	CHECK(rc == -1 && warned(&INFO, "runs past the"));
	rc = acpi_parse_madt(m, 35, &INFO);
	CHECK(rc == -1 && warned(&INFO, "35 bytes is shorter than a table header"));
	rc = acpi_parse_madt(NULL, 100, &INFO);
	CHECK(rc == -1 && INFO.nwarn == 1);
	free(m);
}

/* ---- random mutation ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A valid MADT with every entry type. */
static uint32_t madt_rich(uint8_t *buf, uint32_t cap)
{
	struct tb t;
	tb_start(&t, buf, cap, "APIC", 5);
	madt_head(&t, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_lapic(&t, 2, 2, 2);
	e_lapic(&t, 3, 3, 0);
	e_x2apic(&t, 256, 1, 4);
	e_x2apic(&t, 257, 2, 5);
	e_ioapic(&t, 0, 0xfec00000, 0);
	e_ioapic(&t, 1, 0xfec01000, 24);
	e_iso(&t, 0, 0, 2, 0);
	e_iso(&t, 0, 9, 9, 0xd);
	e_lapic_nmi(&t, 0xff, 0, 1);
	e_x2apic_nmi(&t, 0, 0xffffffff, 1);
	e_lapic_addr(&t, 0xfee00000);
	tb_u8(&t, 3); tb_u8(&t, 8); tb_u16(&t, 0); tb_u32(&t, 0);      /* NMI source: unused type */
	return tb_end(&t);
}

static void t_mutate_madt(int iters)
{
	uint8_t base[512];
	uint32_t blen = madt_rich(base, sizeof base);
	int bad = 0, ok0 = 0;

	cur_test = "mutate_madt";
	cur_mode = "";
	for (int it = 0; it < iters; it++) {
		uint8_t tmp[512];
		memcpy(tmp, base, blen);
		size_t n = blen;
		int flips = 1 + (int)(rnd() % 8);
		for (int f = 0; f < flips; f++) {
			uint64_t r = rnd();
			switch (r % 4) {
			case 0:         /* random byte anywhere in the entries, biased to length bytes */
			case 1:
				tmp[44 + (r >> 8) % (blen - 44)] = (uint8_t)(r >> 32);
				break;
			case 2:         /* one bit */
				tmp[(r >> 8) % blen] ^= (uint8_t)(1u << ((r >> 40) % 8));
				break;
			default:        /* an entry length byte among the first ones */
				tmp[45 + 8 * ((r >> 8) % 16)] = (uint8_t)(r >> 32) % 24;
				break;
			}
		}
		if (rnd() % 4 == 0)     /* table length anywhere up to the buffer */
			put32(tmp + 4, (uint32_t)(rnd() % (blen + 1)));
		else
			put32(tmp + 4, (uint32_t)blen);
		if (rnd() % 4 == 0)     /* a shorter buffer */
			n = rnd() % (blen + 1);
		uint8_t *m = dup_exact(tmp, n);
		int rc = acpi_parse_madt(m, n, &INFO);
		free(m);
		if (!sane(&INFO, rc)) {
			if (bad++ < 5) {
				failures++;
				fprintf(stderr, "FAIL mutate_madt: iteration %d: result not sane (rc %d)\n", it, rc);
				dump_warnings(&INFO);
			}
		}
		ok0 += rc == 0;
	}
	checks++;
	printf("  mutate_madt: %d iterations, %d parsed with CPUs, %d insane\n", iters, ok0, bad);
}

/* Re-fixes every table's checksum whose length field fits in memory. */
static void refix_all(struct world *w)
{
	static const uint32_t offs[] = { O_XSDT, O_RSDT, O_MADT, O_MADT2, O_HPET, O_FADT };
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		uint32_t len = get32(w->mem + offs[i] + 4);
		if (len >= 10 && len <= MEM_SIZE - offs[i])
			fix_sum(w->mem + offs[i], len, 9);
	}
	fix_sum(w->mem + O_RSDP, 20, 8);
	uint32_t rl = get32(w->mem + O_RSDP + 20);
	if (rl >= 33 && rl <= 4096)
		fix_sum(w->mem + O_RSDP, rl, 32);
}

static void t_mutate_world(int iters)
{
	static const uint32_t regions[][2] = {
		{ O_RSDP, 36 }, { O_XSDT, 68 }, { O_RSDT, 48 }, { O_MADT, 114 },
		{ O_MADT2, 72 }, { O_HPET, 56 }, { O_FADT, 244 },
	};
	uint8_t *pristine = malloc(MEM_SIZE);
	int bad = 0, ok0 = 0;

	cur_test = "mutate_world";
	world_std(&W, 2);
	memcpy(pristine, W.mem, MEM_SIZE);
	for (int it = 0; it < iters; it++) {
		memcpy(W.mem, pristine, MEM_SIZE);
		W.window = it & 1;
		W.map_limit = rnd() % 8 ? UINT64_MAX : MEM_BASE + rnd() % MEM_SIZE;
		int flips = 1 + (int)(rnd() % 6);
		for (int f = 0; f < flips; f++) {
			uint64_t r = rnd();
			const uint32_t *reg = regions[r % 7];
			W.mem[reg[0] + (r >> 8) % reg[1]] = (uint8_t)(r >> 40);
		}
		if (rnd() % 2)
			refix_all(&W);
		W.contract_broken = false;
		int rc = acpi_parse(MEM_BASE + O_RSDP, fake_map, &W, &INFO);
		free(W.win);
		W.win = NULL;
		if (!sane(&INFO, rc) || W.contract_broken) {
			if (bad++ < 5) {
				failures++;
				fprintf(stderr, "FAIL mutate_world: iteration %d: result not sane (rc %d)\n", it, rc);
				dump_warnings(&INFO);
			}
		}
		ok0 += rc == 0;
	}
	W.window = false;
	free(pristine);
	checks++;
	printf("  mutate_world: %d iterations, %d parsed with CPUs, %d insane\n", iters, ok0, bad);
}

/* ---- fuzz_madt's seeds (tests/host/corpus/fuzz_madt) ---- */

/* What acpi_parse_madt must answer for each seed: its status, how many
   CPUs, how many warnings and the first one. */
static const struct seed {
	const char *name;
	int rc, ncpu, nwarn;
	const char *warning;
} seeds[] = {
	{ "qemu.bin", 0, 4, 0, NULL },
	{ "rich.bin", 0, 5, 0, NULL },
	{ "x2apic40.bin", 0, 40, 0, NULL },
	{ "length_past_table.bin", -1, 0, 1,
	  "acpi: MADT: length 122 runs past the 114 readable bytes; ignored" },
	{ "zero_length_entry.bin", 0, 1, 1,
	  "acpi: MADT: entry at offset 52 has length 0; rest of the table ignored" },
	{ "zero_length_first.bin", -1, 0, 2,    /* and "no usable CPU listed" */
	  "acpi: MADT: entry at offset 44 has length 0; rest of the table ignored" },
	{ "entry_past_end.bin", 0, 2, 1,
	  "acpi: MADT: type 1 entry at offset 60 (length 12) runs past the end (68); rest ignored" },
};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

/* Builds seed k into buf; returns its size in bytes (the file's). */
static uint32_t seed_build(size_t k, uint8_t *buf, uint32_t cap)
{
	struct tb t;
	uint32_t len;
	switch (k) {
	case 0:
		world_std(&W, 2);
		len = get32(W.mem + O_MADT + 4);
		memcpy(buf, W.mem + O_MADT, len);
		return len;
	case 1:
		return madt_rich(buf, cap);
	case 2:
		tb_start(&t, buf, cap, "APIC", 5);
		madt_head(&t, 0xfee00000, 1);
		for (uint32_t i = 0; i < 40; i++)
			e_x2apic(&t, i * 7, i % 3 ? 1 : 2, i);
		return tb_end(&t);
	case 3:                 /* the length field says 8 bytes more than there are */
		len = seed_build(0, buf, cap);
		put32(buf + 4, len + 8);
		fix_sum(buf, len, 9);
		return len;
	case 4:                 /* a zero-length entry after one CPU */
	case 5:                 /* ... or before any */
		tb_start(&t, buf, cap, "APIC", 4);
		madt_head(&t, 0xfee00000, 1);
		if (k == 4)
			e_lapic(&t, 0, 0, 1);
		tb_u8(&t, 0); tb_u8(&t, 0); tb_u8(&t, 1); tb_u8(&t, 1); tb_u32(&t, 1);
		e_lapic(&t, 2, 2, 1);
		return tb_end(&t);
	default:                /* the last entry runs past the table's end */
		tb_start(&t, buf, cap, "APIC", 4);
		madt_head(&t, 0xfee00000, 1);
		e_lapic(&t, 0, 0, 1);
		e_lapic(&t, 1, 1, 1);
		e_ioapic(&t, 0, 0xfec00000, 0);
		t.len -= 4;
		return tb_end(&t);
	}
}

static int write_corpus(const char *dir)
{
	uint8_t buf[MADT_CAP];
	char path[4096];

	for (size_t k = 0; k < NSEEDS; k++) {
		uint32_t len = seed_build(k, buf, sizeof buf);
		snprintf(path, sizeof path, "%s/%s", dir, seeds[k].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	printf("wrote %zu MADTs to %s\n", NSEEDS, dir);
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 20];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return dup_exact(buf, *len);
}

/* Each named seed gets its expected answer, each file there a sane one. */
static void t_corpus(const char *dir)
{
	char path[4096];
	size_t len;
	int named = 0;

	cur_test = "corpus";
	cur_mode = "";
	cur_info = &INFO;
	for (size_t k = 0; k < NSEEDS; k++) {
		const struct seed *sd = &seeds[k];
		snprintf(path, sizeof path, "%s/%s", dir, sd->name);
		uint8_t *m = read_file(path, &len);
		if (!m) {
			failures++;
			fprintf(stderr, "FAIL corpus: %s missing (acpi_test --write-corpus %s)\n", path, dir);
			continue;
		}
		int rc = acpi_parse_madt(m, len, &INFO);
		free(m);
		checks++;
		if (rc != sd->rc || INFO.ncpu != sd->ncpu || INFO.nwarn != sd->nwarn ||
		    (sd->warning && strcmp(INFO.warn[0], sd->warning) != 0)) {
			failures++;
			fprintf(stderr, "FAIL corpus %s: rc %d, %d CPUs; want rc %d, %d CPUs, warning \"%s\"\n",
			        sd->name, rc, INFO.ncpu, sd->rc, sd->ncpu, sd->warning ? sd->warning : "");
			dump_warnings(&INFO);
		}
		CHECK(sane(&INFO, rc));
		named++;
	}
	int files = 0;
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		uint8_t *m = read_file(path, &len);
		if (!m)
			continue;
		int rc = acpi_parse_madt(m, len, &INFO);
		free(m);
		CHECK(sane(&INFO, rc));
		files++;
	}
	if (d)
		closedir(d);
	printf("  corpus: %d named seeds as expected, %d files sane\n", named, files);
}

/* ---- fuzz_acpi's seeds (tests/host/corpus/fuzz_acpi): whole table sets ---- */

/* Each seed is the fake memory from MEM_BASE (the RSDP first; fuzz_acpi
   maps its input there), cut after its last non-zero byte. */
static void walk_seed(const char *dir, const char *name)
{
	uint32_t n = MEM_SIZE;
	while (n && W.mem[n - 1] == 0)
		n--;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(W.mem, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void world_consoles(void);
static void spcr_write(uint32_t len, uint8_t iface, uint8_t space, uint8_t width, uint64_t addr,
		       uint8_t itype, uint8_t irq, uint32_t gsi, uint8_t baud);
static void mcfg_write(int n, const uint64_t *base, const uint8_t *lo, const uint8_t *hi, uint32_t extra);

static int write_walk_corpus(const char *dir)
{
	static const uint64_t mb[3] = { 0xb0000000, 0xe0000000, 0xc0080000 };
	static const uint8_t mlo[3] = { 0, 8, 0 }, mhi[3] = { 255, 4, 3 };
	_Static_assert(MEM_BASE == WALK_BASE, "fuzz_acpi maps its input where the tests' memory is");
	world_std(&W, 2);
	walk_seed(dir, "qemu-xsdt");
	world_std(&W, 0);
	walk_seed(dir, "qemu-rsdt");
	world_std(&W, 2);
	fadt_write(&W, 116, 0xb008, 0, 0, 0);
	walk_seed(dir, "fadt-acpi1");
	world_std(&W, 2);
	fadt_write(&W, 276, 0x408, 1, 0x1808, 1u << 8);
	walk_seed(dir, "fadt-x-pm-timer");
	world_std(&W, 2);
	fadt_write(&W, 276, 0, 0, 0, 1u << 20);
	walk_seed(dir, "fadt-hw-reduced");
	world_std(&W, 2);
	W.mem[O_HPET + 40] = 1;
	refix(&W, O_HPET);
	walk_seed(dir, "hpet-io-space");
	world_std(&W, 2);
	W.mem[O_FADT + 76] ^= 1;
	W.mem[O_HPET + 44] ^= 1;
	walk_seed(dir, "bad-checksums");
	world_std(&W, 2);
	W.mem[O_RSDP + 20] = 200;               /* RSDP length implausible: the RSDT */
	walk_seed(dir, "rsdp-bad-length");
	world_std(&W, 2);
	static const uint8_t two[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x4b, 0x00, 0x02, 0x0b, 0x02, 0x00,
				       0x0c, 0x03, 0x00, 0x00, 0x00 };
	dsdt_write(&W, two, sizeof two);
	walk_seed(dir, "dsdt-s5-wide");
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x2f8, 3, 3, 3, 7);
	mcfg_write(1, mb, mlo, mhi, 0);
	walk_seed(dir, "spcr-com2-mcfg");
	world_consoles();
	spcr_write(80, 0x12, 0, 32, 0xfe030000, 2, 0, 40, 0);
	mcfg_write(3, mb, mlo, mhi, 5);
	walk_seed(dir, "spcr-mmio-mcfg-bad");
	printf("wrote 11 table sets to %s\n", dir);
	return 0;
}

/* Every file there through the walk, in both map modes: a sane answer. */
static void t_walk_corpus(const char *dir)
{
	char path[4096];
	size_t len;
	int files = 0;
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		uint8_t *m = read_file(path, &len);
		if (!m)
			continue;
		for (int window = 0; window < 2; window++) {
			const char *why = walk_run(m, len, window, &INFO);
			checks++;
			if (why) {
				failures++;
				fprintf(stderr, "FAIL walk corpus %s: %s\n", e->d_name, why);
				dump_warnings(&INFO);
			}
		}
		free(m);
		files++;
	}
	if (d)
		closedir(d);
	CHECK(files > 0);
	printf("  walk corpus: %d table sets sane\n", files);
}

/* ---- main ---- */

struct tcase {
	const char *name;
	void (*fn)(void);
};

/* ---- SPCR and MCFG ---- */

#define O_SPCR      0xb000u
#define O_MCFG      0xb100u

/* The standard world plus an XSDT that also lists an SPCR and an MCFG. */
static void world_consoles(void)
{
	world_std(&W, 2);
	struct tb t;
	tb_start(&t, W.mem + O_XSDT, 0x100, "XSDT", 1);
	tb_u64(&t, MEM_BASE + O_FADT);
	tb_u64(&t, MEM_BASE + O_MADT);
	tb_u64(&t, MEM_BASE + O_SPCR);
	tb_u64(&t, MEM_BASE + O_MCFG);
	tb_end(&t);
	rsdp_write(&W, 2, (uint32_t)(MEM_BASE + O_RSDT), MEM_BASE + O_XSDT);
}

/* An SPCR of len bytes (80 normally): iface, GAS space/width/address,
   interrupt type, IRQ, GSI, baud code. */
static void spcr_write(uint32_t len, uint8_t iface, uint8_t space, uint8_t width, uint64_t addr,
		       uint8_t itype, uint8_t irq, uint32_t gsi, uint8_t baud)
{
	struct tb t;
	tb_start(&t, W.mem + O_SPCR, 0x100, "SPCR", 2);
	memset(t.p + 36, 0, len - 36);
	t.len = len;
	t.p[36] = iface;
	if (len >= 80) {
		t.p[40] = space;
		t.p[41] = width;
		t.p[43] = 1;
		put64(t.p + 44, addr);
		t.p[52] = itype;
		t.p[53] = irq;
		put32(t.p + 54, gsi);
		t.p[58] = baud;
	}
	tb_end(&t);
}

static void mcfg_write(int n, const uint64_t *base, const uint8_t *lo, const uint8_t *hi, uint32_t extra)
{
	struct tb t;
	tb_start(&t, W.mem + O_MCFG, 0x300, "MCFG", 1);
	tb_u64(&t, 0);
	for (int i = 0; i < n; i++) {
		tb_u64(&t, base[i]);
		tb_u16(&t, 0);
		tb_u8(&t, lo[i]);
		tb_u8(&t, hi[i]);
		tb_u32(&t, 0);
	}
	for (uint32_t i = 0; i < extra; i++)
		tb_u8(&t, 0);
	tb_end(&t);
}

static void t_spcr(void)
{
	static const uint64_t b[1] = { 0xb0000000 };
	static const uint8_t lo[1] = { 0 }, hi[1] = { 255 };

	/* COM2 at 115200, IRQ 3 through the 8259 and GSI 3 */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x2f8, 3, 3, 3, 7);
	mcfg_write(1, b, lo, hi, 0);
	int rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0);
	CHECK(INFO.spcr.present && INFO.spcr.compat16550);
	CHECK(INFO.spcr.space == 1 && INFO.spcr.addr == 0x2f8 && INFO.spcr.reg_width == 1);
	CHECK(INFO.spcr.baud == 115200 && INFO.spcr.isa_irq == 3 && INFO.spcr.has_gsi && INFO.spcr.gsi == 3);

	/* MMIO, 32-bit registers, "as the firmware set it" */
	world_consoles();
	spcr_write(80, 0x12, 0, 32, 0xfe030000, 2, 0, 40, 0);
	rc = run();
	CHECK(rc == 0 && INFO.spcr.present && INFO.spcr.compat16550);
	CHECK(INFO.spcr.space == 0 && INFO.spcr.reg_width == 4 && INFO.spcr.addr == 0xfe030000);
	CHECK(INFO.spcr.baud == 0 && INFO.spcr.isa_irq == -1 && INFO.spcr.gsi == 40);

	/* a PL011: kept with its type, not 16550-compatible */
	world_consoles();
	spcr_write(80, 3, 0, 32, 0x9000000, 0, 0, 0, 7);
	rc = run();
	CHECK(INFO.spcr.present && !INFO.spcr.compat16550 && INFO.spcr.iface == 3);
	CHECK(strcmp(acpi_spcr_type_name(3), "ARM PL011") == 0 && acpi_spcr_type_name(0x7f) == NULL);

	/* address 0: console redirection off, no warning */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0, 0, 0, 0, 7);
	rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0 && !INFO.spcr.present);

	/* too short, a bad address space, a port past 0xffff, 16-bit registers, an unknown baud code */
	world_consoles();
	spcr_write(60, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	rc = run();
	CHECK(!INFO.spcr.present && warned(&INFO, "SPCR: length 60 shorter than 80 bytes"));
	world_consoles();
	spcr_write(80, 0, 2, 8, 0x3f8, 0, 0, 0, 7);
	rc = run();
	CHECK(!INFO.spcr.present && warned(&INFO, "SPCR: UART in address space 2"));
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x10000, 0, 0, 0, 7);
	rc = run();
	CHECK(!INFO.spcr.present && warned(&INFO, "SPCR: I/O port 0x10000 out of range"));
	world_consoles();
	spcr_write(80, 0, 1, 16, 0x3f8, 0, 0, 0, 7);
	rc = run();
	CHECK(!INFO.spcr.present && warned(&INFO, "SPCR: 16-bit registers"));
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 5);
	rc = run();
	CHECK(INFO.spcr.present && INFO.spcr.baud == 0 && warned(&INFO, "baud rate code 5 unknown"));

	/* a bad checksum: skipped whole */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x2f8, 0, 0, 0, 7);
	W.mem[O_SPCR + 50] ^= 1;
	rc = run();
	CHECK(!INFO.spcr.present && warned(&INFO, "(SPCR): checksum mismatch"));
}

static void t_mcfg(void)
{
	static const uint64_t b[3] = { 0xb0000000, 0xe0000000, 0xc0080000 };
	static const uint8_t lo[3] = { 0, 8, 0 }, hi[3] = { 255, 4, 3 };

	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	mcfg_write(1, b, lo, hi, 0);
	int rc = run();
	CHECK(rc == 0 && INFO.nwarn == 0 && INFO.nmcfg == 1);
	CHECK(INFO.mcfg[0].base == 0xb0000000 && INFO.mcfg[0].bus_start == 0 && INFO.mcfg[0].bus_end == 255);

	/* start > end, and a base not 1 MiB aligned: skipped; stray bytes after the last entry */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	mcfg_write(3, b, lo, hi, 5);
	rc = run();
	CHECK(INFO.nmcfg == 1 && INFO.mcfg[0].base == 0xb0000000);
	CHECK(warned(&INFO, "MCFG: entry 1 (base 0xe0000000, buses 8-4) is not usable"));
	CHECK(warned(&INFO, "MCFG: entry 2 (base 0xc0080000, buses 0-3) is not usable"));
	CHECK(warned(&INFO, "MCFG: length 97 is not 44 + a multiple of 16"));

	/* only a header: no allocation */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	mcfg_write(0, b, lo, hi, 0);
	rc = run();
	CHECK(INFO.nmcfg == 0 && warned(&INFO, "MCFG: no usable allocation"));

	/* shorter than its 44-byte header */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	struct tb t;
	tb_start(&t, W.mem + O_MCFG, 0x300, "MCFG", 1);
	tb_u32(&t, 0);
	tb_end(&t);
	rc = run();
	CHECK(INFO.nmcfg == 0 && warned(&INFO, "MCFG: length 40 shorter than 44 bytes"));

	/* a base whose last bus would wrap past 2^64 */
	world_consoles();
	spcr_write(80, 0, 1, 8, 0x3f8, 0, 0, 0, 7);
	static const uint64_t wrap[1] = { 0xfffffffffff00000ull };
	mcfg_write(1, wrap, lo, hi, 0);
	rc = run();
	CHECK(INFO.nmcfg == 0 && warned(&INFO, "MCFG: entry 0"));
}

static const struct tcase cases[] = {
	{ "spcr", t_spcr },
	{ "mcfg", t_mcfg },
	{ "qemu", t_qemu },
	{ "rsdt_only", t_rsdt_only },
	{ "x2apic", t_x2apic },
	{ "disabled_and_online_capable", t_disabled_and_online_capable },
	{ "bad_rsdp", t_bad_rsdp },
	{ "bad_madt_checksum", t_bad_madt_checksum },
	{ "xsdt_fallback", t_xsdt_fallback },
	{ "length_past_mapping", t_length_past_mapping },
	{ "truncated_entries", t_truncated_entries },
	{ "zero_length_entry", t_zero_length_entry },
	{ "duplicates", t_duplicates },
	{ "too_many", t_too_many },
	{ "lapic_override", t_lapic_override },
	{ "fadt_hpet", t_fadt_hpet },
	{ "second_madt", t_second_madt },
	{ "nmi_entries", t_nmi_entries },
	{ "s5_walk", t_s5_walk },
	{ "aml_s5", t_aml_s5 },
};

int main(int argc, char **argv)
{
	W.mem = malloc(MEM_SIZE);
	if (!W.mem)
		return 2;
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--write-walk-corpus") == 0)
		return write_walk_corpus(argv[2]);
	const char *corpus = NULL, *walk_corpus = NULL;
	if (argc >= 3 && strcmp(argv[1], "--corpus") == 0) {
		corpus = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 3 && strcmp(argv[1], "--walk-corpus") == 0) {
		walk_corpus = argv[2];
		argc -= 2;
		argv += 2;
	}
	rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed1234abcdull;
	if (rng == 0)
		rng = 1;

	for (int mode = 0; mode < 2; mode++) {
		W.window = mode == 1;
		cur_mode = mode ? " [window map]" : " [direct map]";
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			cur_test = cases[i].name;
			cur_info = NULL;
			cases[i].fn();
		}
	}
	W.window = false;
	cur_test = "parse_madt_direct";
	t_parse_madt_direct();
	cur_info = NULL;
	t_mutate_madt(20000);
	t_mutate_world(5000);
	if (corpus)
		t_corpus(corpus);
	if (walk_corpus)
		t_walk_corpus(walk_corpus);

	free(W.mem);
	printf("acpi_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
