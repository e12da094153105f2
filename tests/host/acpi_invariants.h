/*
 * acpi_invariants.h - what kernel/acpi.c's answers must satisfy, whatever
 * the tables say, and one run of the whole walk (RSDP -> XSDT/RSDT ->
 * MADT, HPET, FADT) over a block of fake physical memory; shared by
 * acpi_test.c and fuzz_acpi.c.
 */
#ifndef HOST_ACPI_INVARIANTS_H
#define HOST_ACPI_INVARIANTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

/* Invariants every result must satisfy, whatever the input. */
static bool sane(const struct acpi_info *in, int rc)
{
	if (rc != 0 && rc != -1)
		return false;
	if (in->ncpu < 0 || in->ncpu > ACPI_MAX_CPUS || (rc == 0) != (in->ncpu > 0))
		return false;
	if (in->nioapic < 0 || in->nioapic > ACPI_MAX_IOAPICS)
		return false;
	if (in->noverride < 0 || in->noverride > ACPI_MAX_OVERRIDES)
		return false;
	if (in->nwarn < 0 || in->nwarn > ACPI_MAX_WARNINGS)
		return false;
	if (rc == -1 && in->nwarn == 0)
		return false;
	for (int i = 0; i < in->nwarn; i++) {
		if (!memchr(in->warn[i], 0, sizeof in->warn[i]))
			return false;
		if (strncmp(in->warn[i], "acpi: ", 6) != 0)
			return false;
		for (const char *c = in->warn[i]; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				return false;
	}
	bool oc = false;
	for (int i = 0; i < in->ncpu; i++) {
		if (in->cpu[i].online_capable)
			oc = true;
		else if (oc)
			return false;           /* enabled after online-capable */
		if (!in->cpu[i].x2apic_entry && in->cpu[i].apic_id >= 0xff)
			return false;
		if (in->cpu[i].apic_id == 0xffffffffu)
			return false;
		for (int j = 0; j < i; j++)
			if (in->cpu[j].apic_id == in->cpu[i].apic_id)
				return false;
	}
	return true;
}

/* ---- the walk over fake physical memory ---- */

#define WALK_BASE 0x7fe00000ull         /* the memory's physical address; the RSDP is there */

struct walk_mem {
	const uint8_t *mem;
	uint64_t size;
	bool window;                    /* copy each request into a fresh block, free the last */
	void *win;
	bool contract_broken;           /* map() called with len 0 or a wrapping range */
};

static const void *walk_map(uint64_t phys, uint64_t len, void *ctx)
{
	struct walk_mem *w = ctx;
	if (len == 0 || len - 1 > UINT64_MAX - phys)
		w->contract_broken = true;
	if (phys < WALK_BASE || phys - WALK_BASE > w->size || len > w->size - (phys - WALK_BASE))
		return NULL;
	const uint8_t *p = w->mem + (phys - WALK_BASE);
	if (!w->window)
		return p;
	free(w->win);
	w->win = malloc(len);
	memcpy(w->win, p, len);
	return w->win;
}

/* is there a table with signature sig whose 8 bytes at off read v? */
static bool walk_has(const uint8_t *mem, uint64_t size, const char *sig, uint64_t off, uint64_t v, int width)
{
	for (uint64_t i = 0; i + off + (uint64_t)width <= size; i++) {
		uint64_t x = 0;
		if (memcmp(mem + i, sig, 4) != 0)
			continue;
		memcpy(&x, mem + i + off, (size_t)width);
		if (x == v)
			return true;
	}
	return false;
}

/*
 * walk_run parses size bytes of memory (exactly sized: ASan sees reads
 * past it) with the RSDP at its start, through a direct or a window map;
 * NULL when the answer is sane, else what is wrong.
 */
static const char *walk_run(const uint8_t *mem, uint64_t size, bool window, struct acpi_info *out)
{
	struct walk_mem w = { .mem = mem, .size = size, .window = window };
	memset(out, 0xa5, sizeof *out);         /* acpi_parse must clear it */
	int rc = acpi_parse(WALK_BASE, walk_map, &w, out);
	free(w.win);
	if (w.contract_broken)
		return "map() called with an empty or wrapping range";
	if (!sane(out, rc))
		return "answer not sane";
	if (out->pm_timer_port > 0xffff)
		return "PM timer port past 0xffff";
	/* the SPCR's UART and the MCFG's ranges: from tables in memory, in range */
	if (out->spcr.present && (out->spcr.addr == 0 || !walk_has(mem, size, "SPCR", 44, out->spcr.addr, 8)))
		return "SPCR address from nowhere";
	if (out->spcr.present && ((out->spcr.space == 1 && out->spcr.addr > 0xfff8) ||
	    (out->spcr.reg_width != 1 && out->spcr.reg_width != 4)))
		return "SPCR UART out of range";
	if (out->nmcfg < 0 || out->nmcfg > ACPI_MAX_MCFG)
		return "MCFG count out of range";
	for (int i = 0; i < out->nmcfg; i++) {
		const struct acpi_mcfg *m = &out->mcfg[i];
		if (m->base == 0 || m->bus_start > m->bus_end || !walk_has(mem, size, "MCFG", 0, 0, 0))
			return "MCFG allocation not sane";
	}
	/* the HPET's address and the PM timer port come from tables in memory */
	if (out->hpet_addr && !walk_has(mem, size, "HPET", 44, out->hpet_addr, 8))
		return "HPET address from nowhere";
	if (out->nnmi < 0 || out->nnmi > ACPI_MAX_NMIS)
		return "NMI entry count out of range";
	for (int i = 0; i < out->nnmi; i++)
		if (out->nmi[i].lint > 1)
			return "NMI entry for a LINT pin past 1";
	/* soft off only with a PM1 block to write and SLP_TYP values that fit */
	if (out->s5 && ((!out->pm1a_cnt && !out->pm1b_cnt) || !out->dsdt_addr ||
	                out->slp_typa > 7 || out->slp_typb > 7))
		return "S5 without a PM1 block, a DSDT, or SLP_TYP in 0..7";
	if (out->pm_timer_port && !walk_has(mem, size, "FACP", 76, out->pm_timer_port, 4) &&
	    !walk_has(mem, size, "FACP", 212, out->pm_timer_port, 8))
		return "PM timer port from nowhere";
	return NULL;
}

#endif
