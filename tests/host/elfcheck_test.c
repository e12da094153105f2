/*
 * elfcheck_test.c - host test for boot/elfcheck.c, the loader's checks of
 * kernel.elf. A small valid image (two PT_LOAD segments, text and data
 * with bss, a symbol table) is built in memory; each case changes a few
 * fields and expects acceptance with an exact layout, or refusal with an
 * exact message. Every image is handed over in a heap block of exactly its
 * size, so ASan reports any read past the file. Then a deterministic
 * mutation loop over the headers checks every answer against
 * elf_invariants.h, and the seeds of fuzz_elf (tests/host/corpus/fuzz_elf)
 * are replayed: each named seed must get its case's answer, the found-*
 * files (what fuzz_elf found before elfcheck.c refused misaligned program
 * headers, segments past the 1 GiB window and segments wrapping at the
 * top of the address space) theirs, and any other file there a sound one.
 *
 *   build/host/elfcheck_test [CORPUS_DIR]       (make test-host runs it)
 *   build/host/elfcheck_test --write-corpus DIR (rewrites the seeds)
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

#include "elfcheck.h"
#include "elf_invariants.h"

#define KBASE   0xffffffff80000000ull
#define TEXT    (KBASE + 0x100000)
#define DATA    (TEXT + 0x1000)
#define ENTRY   (TEXT + 0x10)

#include "check.h"

/* ---- an image builder (boot/elfcheck.h's ELF64 layout) ---- */

_Static_assert(sizeof(struct elf64_ehdr) == 64 && sizeof(struct elf64_phdr) == 56 && sizeof(struct elf64_shdr) == 64,
               "ELF64 header sizes");

enum { PT_LOAD = 1, PT_NOTE = 4, PF_X = 1, PF_W = 2, PF_R = 4 };

#define IMG_CAP   8192
#define O_PH      0x40u
#define O_TEXT    0x200u
#define O_DATA    0x240u
#define O_SYMTAB  0x260u
#define O_STRTAB  0x290u
#define O_SH      0x2a0u
#define IMG_SIZE  (O_SH + 3 * 64)

struct img {
	_Alignas(8) unsigned char b[IMG_CAP];
	uint64_t size;
};

static struct elf64_ehdr *EH(struct img *m) { return (struct elf64_ehdr *)m->b; }
static struct elf64_phdr *PH(struct img *m, int i) { return (struct elf64_phdr *)(m->b + EH(m)->phoff) + i; }
static struct elf64_shdr *SH(struct img *m, int i) { return (struct elf64_shdr *)(m->b + EH(m)->shoff) + i; }

/* The base image: text (R X, 0x40 bytes), data (R W, 0x20 bytes of file,
 * a page in memory), a PT_NOTE that must be ignored, and .symtab/.strtab. */
static void base_image(struct img *m)
{
	memset(m, 0, sizeof *m);
	struct elf64_ehdr *e = EH(m);
	memcpy(e->ident, "\177ELF", 4);
	e->ident[4] = 2;                /* ELFCLASS64 */
	e->ident[5] = 1;                /* little-endian */
	e->ident[6] = 1;
	e->type = 2;                    /* ET_EXEC */
	e->machine = 62;                /* x86-64 */
	e->version = 1;
	e->entry = ENTRY;
	e->phoff = O_PH;
	e->shoff = O_SH;
	e->ehsize = 64;
	e->phentsize = 56;
	e->phnum = 3;
	e->shentsize = 64;
	e->shnum = 3;
	*PH(m, 0) = (struct elf64_phdr){ PT_LOAD, PF_R | PF_X, O_TEXT, TEXT, TEXT, 0x40, 0x40, 0x1000 };
	*PH(m, 1) = (struct elf64_phdr){ PT_LOAD, PF_R | PF_W, O_DATA, DATA, DATA, 0x20, 0x1000, 0x1000 };
	*PH(m, 2) = (struct elf64_phdr){ PT_NOTE, PF_R, 0x7fffffffffffull, 0, 0, 0x1000000, 0x1000000, 4 };
	memset(m->b + O_TEXT, 0xcc, 0x40);
	memset(m->b + O_DATA, 0x5a, 0x20);
	memcpy(m->b + O_STRTAB + 1, "_rt0_amd64_efi", 15);
	*SH(m, 1) = (struct elf64_shdr){ .type = 2, .offset = O_SYMTAB, .size = 48, .link = 2, .entsize = 24 };
	*SH(m, 2) = (struct elf64_shdr){ .type = 3, .offset = O_STRTAB, .size = 16 };
	m->size = IMG_SIZE;
}

/* ---- running elf_check on an exactly sized copy ---- */

struct result {
	int rc;
	struct elf_layout l;
	char err[128];
};

static void run_check(const void *bytes, uint64_t size, uint64_t min_vaddr, struct result *r,
                      const char *what)
{
	void *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, bytes, size);
	memset(r->err, 0x5a, sizeof r->err);
	r->rc = elf_check(copy, size, min_vaddr, &r->l, r->err, sizeof r->err);
	free(copy);
	const char *why = elf_problem(size, min_vaddr, r->rc, &r->l, r->err, sizeof r->err);
	CHECK(!why, "%s: unsound answer: %s", what, why);
}

/* ---- the cases ---- */

static void m_none(struct img *m) { (void)m; }
static void m_stripped(struct img *m) { EH(m)->shoff = 0; EH(m)->shnum = 0; m->size = O_SH; }
static void m_symtab_bad_link(struct img *m) { SH(m, 1)->link = 7; }
static void m_symtab_past_end(struct img *m) { SH(m, 1)->size = 0x10000; }
static void m_sh_past_end(struct img *m) { EH(m)->shnum = 4; }
static void m_sh_misaligned(struct img *m) { memmove(m->b + O_SH + 4, m->b + O_SH, 192); EH(m)->shoff += 4; m->size += 4; }
static void m_short(struct img *m) { m->size = 63; }
static void m_empty(struct img *m) { m->size = 0; }
static void m_bad_magic(struct img *m) { EH(m)->ident[1] = 'e'; }
static void m_bad_class(struct img *m) { EH(m)->ident[4] = 1; }
static void m_big_endian(struct img *m) { EH(m)->ident[5] = 2; }
static void m_bad_machine(struct img *m) { EH(m)->machine = 3; }
static void m_bad_type(struct img *m) { EH(m)->type = 3; }
static void m_bad_phentsize(struct img *m) { EH(m)->phentsize = 32; }
static void m_no_phdrs(struct img *m) { EH(m)->phnum = 0; }
static void m_phdrs_past_end(struct img *m) { EH(m)->phnum = 0xffff; }
static void m_phdrs_last_byte(struct img *m) { EH(m)->phoff = m->size - 3 * 56 + 8; }
static void m_phoff_huge(struct img *m) { EH(m)->phoff = ~0ull - 8 * 7; }
static void m_phdrs_misaligned(struct img *m) { memmove(m->b + O_PH + 4, m->b + O_PH, 3 * 56); EH(m)->phoff += 4; }
static void m_filesz_over_memsz(struct img *m) { PH(m, 0)->memsz = 0x3f; }
static void m_seg_past_end(struct img *m) { PH(m, 1)->filesz = m->size - O_DATA + 1; PH(m, 1)->memsz = 0x1000; }
static void m_seg_offset_past_end(struct img *m) { PH(m, 1)->offset = m->size + 1; PH(m, 1)->filesz = 0; }
static void m_seg_wraps_file(struct img *m) { PH(m, 1)->offset = ~0ull - 0xf; }
static void m_truncated(struct img *m) { m->size = O_TEXT + 0x20; }
static void m_below_base(struct img *m) { PH(m, 1)->vaddr = KBASE - 0x1000; }
static void m_wraps(struct img *m) { PH(m, 1)->memsz = ~0ull; }
static void m_wraps_top(struct img *m) { PH(m, 1)->vaddr = ~0ull - 0x7ff; PH(m, 1)->memsz = 0x1000; }
static void m_above_window(struct img *m) { PH(m, 1)->vaddr = KBASE + (1ull << 30); }
static void m_crosses_window(struct img *m) { PH(m, 1)->vaddr = KBASE + (1ull << 30) - 0x800; }
static void m_fills_window(struct img *m) { PH(m, 1)->vaddr = TEXT + 0x1000; PH(m, 1)->memsz = (1ull << 30) - 0x101000; }
static void m_overlap(struct img *m) { PH(m, 1)->vaddr = TEXT + 0x20; }
static void m_overlap_before(struct img *m) { PH(m, 1)->vaddr = TEXT - 0x1000; PH(m, 1)->memsz = 0x1001; }
static void m_overlap_inside(struct img *m) { PH(m, 0)->memsz = 0x3000; PH(m, 1)->memsz = 0x100; }
static void m_adjacent(struct img *m) { PH(m, 1)->vaddr = TEXT + 0x40; }
static void m_empty_load(struct img *m) { PH(m, 2)->type = PT_LOAD; PH(m, 2)->filesz = PH(m, 2)->memsz = 0; PH(m, 2)->vaddr = 0; }
static void m_no_load(struct img *m) { PH(m, 0)->type = PT_NOTE; PH(m, 1)->type = PT_NOTE; }
static void m_entry_in_data(struct img *m) { EH(m)->entry = DATA + 8; }
static void m_entry_past_text(struct img *m) { EH(m)->entry = TEXT + 0x40; }
static void m_entry_before_text(struct img *m) { EH(m)->entry = TEXT - 1; }
static void m_entry_last_byte(struct img *m) { EH(m)->entry = TEXT + 0x3f; }
static void m_entry_exec_data(struct img *m) { EH(m)->entry = DATA + 0x800; PH(m, 1)->flags |= PF_X; }

static void m_many(struct img *m, int n)
{
	EH(m)->phoff = 0x400;
	EH(m)->phnum = (uint16_t)n;
	for (int i = 0; i < n; i++)
		*PH(m, i) = (struct elf64_phdr){ PT_LOAD, PF_R | PF_X, O_TEXT, TEXT + 0x1000 * (uint64_t)i,
		                           0, 0x40, 0x40, 0x1000 };
	m->size = 0x400 + 56 * (uint64_t)n;
}
static void m_16_segments(struct img *m) { m_many(m, 16); }
static void m_17_segments(struct img *m) { m_many(m, 17); }

struct ecase {
	const char *name;
	void (*mut)(struct img *);
	const char *want;       /* the exact message; NULL: accepted */
	bool seed;              /* also a seed of fuzz_elf's corpus (<name>.elf) */
};

static const struct ecase cases[] = {
	{ "valid", m_none, NULL, true },
	{ "stripped", m_stripped, NULL, true },
	{ "symtab_bad_link", m_symtab_bad_link, NULL, false },
	{ "symtab_past_end", m_symtab_past_end, NULL, false },
	{ "sh_past_end", m_sh_past_end, NULL, false },
	{ "sh_misaligned", m_sh_misaligned, NULL, false },
	{ "adjacent", m_adjacent, NULL, false },
	{ "empty_load", m_empty_load, NULL, false },
	{ "entry_last_byte", m_entry_last_byte, NULL, false },
	{ "entry_exec_data", m_entry_exec_data, NULL, false },
	{ "16_segments", m_16_segments, NULL, false },
	{ "fills_window", m_fills_window, NULL, false },

	{ "short", m_short, "file too short for an ELF header: 0x3f", false },
	{ "empty", m_empty, "file too short for an ELF header: 0x0", false },
	{ "bad_magic", m_bad_magic, "not an ELF file (bad magic)", true },
	{ "bad_class", m_bad_class, "not a 64-bit ELF file (class): 0x1", true },
	{ "big_endian", m_big_endian, "not a little-endian ELF file: 0x2", false },
	{ "bad_machine", m_bad_machine, "wrong machine, not x86-64: 0x3", true },
	{ "bad_type", m_bad_type, "not an executable ELF file (type): 0x3", true },
	{ "bad_phentsize", m_bad_phentsize, "bad program header size: 0x20", false },
	{ "no_phdrs", m_no_phdrs, "no program headers", false },
	{ "phdrs_past_end", m_phdrs_past_end, "program headers lie outside the file: 0x40", true },
	{ "phdrs_last_byte", m_phdrs_last_byte, "program headers lie outside the file: 0x2c0", false },
	{ "phoff_huge", m_phoff_huge, "program headers lie outside the file: 0xffffffffffffffc7", false },
	{ "phdrs_misaligned", m_phdrs_misaligned, "program headers not 8-byte aligned: 0x44", true },
	{ "filesz_over_memsz", m_filesz_over_memsz,
	  "segment file size exceeds its memory size: 0xffffffff80100000", false },
	{ "seg_past_end", m_seg_past_end, "segment lies outside the file (truncated?): 0x240", true },
	{ "seg_offset_past_end", m_seg_offset_past_end,
	  "segment lies outside the file (truncated?): 0x361", false },
	{ "seg_wraps_file", m_seg_wraps_file,
	  "segment lies outside the file (truncated?): 0xfffffffffffffff0", false },
	{ "truncated", m_truncated, "segment lies outside the file (truncated?): 0x200", true },
	{ "below_base", m_below_base, "segment below the kernel's address range: 0xffffffff7ffff000", false },
	{ "wraps", m_wraps, "segment wraps the address space: 0xffffffff80101000", false },
	{ "wraps_top", m_wraps_top, "segment wraps the address space: 0xfffffffffffff800", true },
	{ "above_window", m_above_window,
	  "segment above the kernel's address range: 0xffffffffc0000000", true },
	{ "crosses_window", m_crosses_window,
	  "segment above the kernel's address range: 0xffffffffbffff800", false },
	{ "overlap", m_overlap, "segments overlap: 0xffffffff80100020", true },
	{ "overlap_before", m_overlap_before, "segments overlap: 0xffffffff800ff000", false },
	{ "overlap_inside", m_overlap_inside, "segments overlap: 0xffffffff80101000", false },
	{ "17_segments", m_17_segments, "too many loadable segments: 0x10", false },
	{ "no_load", m_no_load, "no loadable segments", false },
	{ "entry_in_data", m_entry_in_data,
	  "entry point is not in an executable segment: 0xffffffff80101008", true },
	{ "entry_past_text", m_entry_past_text,
	  "entry point is not in an executable segment: 0xffffffff80100040", false },
	{ "entry_before_text", m_entry_before_text,
	  "entry point is not in an executable segment: 0xffffffff800fffff", false },
};
#define NCASES (sizeof cases / sizeof cases[0])

/* What fuzz_elf found before the checks were fixed, kept in the corpus. */
static const struct ecase findings[] = {
	{ "found-misaligned-phdrs", NULL, "program headers not 8-byte aligned: 0xba", false },
	{ "found-above-window", NULL,
	  "segment above the kernel's address range: 0xffffffff80100000", false },
	{ "found-wrap", NULL, "segment wraps the address space: 0xffffffffffffff00", false },
};

static void make_case(const struct ecase *c, struct img *m)
{
	base_image(m);
	c->mut(m);
	if (m->size > IMG_CAP)
		abort();
}

static void check_answer(const struct ecase *c, const struct result *r, const char *where)
{
	if (c->want) {
		CHECK(r->rc == -1, "%s%s: accepted, want \"%s\"", c->name, where, c->want);
		if (r->rc == -1)
			CHECK(strcmp(r->err, c->want) == 0, "%s%s: \"%s\", want \"%s\"",
			      c->name, where, r->err, c->want);
	} else {
		CHECK(r->rc == 0, "%s%s: refused: %s", c->name, where, r->err);
	}
}

static void t_cases(void)
{
	static struct img m;
	struct result r;
	for (size_t i = 0; i < NCASES; i++) {
		make_case(&cases[i], &m);
		run_check(m.b, m.size, KBASE, &r, cases[i].name);
		check_answer(&cases[i], &r, "");
	}
}

/* The accepted base image, field by field: what the loader will use. */
static void t_layout(void)
{
	static struct img m;
	struct result r;
	base_image(&m);
	run_check(m.b, m.size, KBASE, &r, "layout");
	const struct elf_layout *l = &r.l;
	CHECK(r.rc == 0, "layout: refused: %s", r.err);
	CHECK(l->entry == ENTRY, "entry %#llx", (unsigned long long)l->entry);
	CHECK(l->lo == TEXT && l->hi == DATA + 0x1000, "lo %#llx hi %#llx",
	      (unsigned long long)l->lo, (unsigned long long)l->hi);
	CHECK(l->nseg == 2, "nseg %d (the PT_NOTE is not loaded)", l->nseg);
	CHECK(l->seg[0].vaddr == TEXT && l->seg[0].memsz == 0x40 && l->seg[0].offset == O_TEXT &&
	      l->seg[0].filesz == 0x40 && l->seg[0].flags == (PF_R | PF_X), "text segment");
	CHECK(l->seg[1].vaddr == DATA && l->seg[1].memsz == 0x1000 && l->seg[1].offset == O_DATA &&
	      l->seg[1].filesz == 0x20 && l->seg[1].flags == (PF_R | PF_W), "data segment");
	CHECK(l->symtab_off == O_SYMTAB && l->symtab_size == 48 &&
	      l->strtab_off == O_STRTAB && l->strtab_size == 16, "symbols");

	/* without sound section headers the image still boots, without symbols */
	static void (*const nosyms[])(struct img *) = {
		m_stripped, m_symtab_bad_link, m_symtab_past_end, m_sh_past_end, m_sh_misaligned,
	};
	for (size_t i = 0; i < sizeof nosyms / sizeof nosyms[0]; i++) {
		base_image(&m);
		nosyms[i](&m);
		run_check(m.b, m.size, KBASE, &r, "nosyms");
		CHECK(r.rc == 0 && r.l.symtab_off == 0 && r.l.symtab_size == 0 &&
		      r.l.strtab_off == 0 && r.l.strtab_size == 0, "nosyms %zu: symbols kept", i);
	}

	/* the page rounding of lo and hi, and a segment of bss only */
	base_image(&m);
	PH(&m, 0)->vaddr = TEXT + 0x123;
	EH(&m)->entry = TEXT + 0x130;
	PH(&m, 1)->filesz = 0;
	PH(&m, 1)->memsz = 0x1001;
	run_check(m.b, m.size, KBASE, &r, "rounding");
	CHECK(r.rc == 0 && r.l.lo == TEXT && r.l.hi == DATA + 0x2000, "rounding: lo %#llx hi %#llx",
	      (unsigned long long)r.l.lo, (unsigned long long)r.l.hi);

	/* the loader's real call: the whole window, never more */
	make_case(&(struct ecase){ "", m_fills_window, NULL, false }, &m);
	run_check(m.b, m.size, KBASE, &r, "fills_window");
	CHECK(r.rc == 0 && r.l.hi == KBASE + (1ull << 30), "fills_window: hi %#llx",
	      (unsigned long long)r.l.hi);
}

/* The message is cut to fit err, always terminated; errlen 0 writes nothing. */
static void t_errlen(void)
{
	static struct img m;
	base_image(&m);
	m_seg_past_end(&m);
	const char *full = "segment lies outside the file (truncated?): 0x240";
	for (size_t n = 0; n <= strlen(full) + 2; n++) {
		char err[64];
		struct elf_layout l;
		memset(err, 0x5a, sizeof err);
		int rc = elf_check(m.b, m.size, KBASE, &l, err, n);
		CHECK(rc == -1, "errlen %zu: accepted", n);
		for (size_t i = n; i < sizeof err; i++)
			CHECK(err[i] == 0x5a, "errlen %zu: byte %zu written", n, i);
		if (n == 0)
			continue;
		size_t want = n - 1 < strlen(full) ? n - 1 : strlen(full);
		CHECK(strlen(err) == want && strncmp(err, full, want) == 0,
		      "errlen %zu: \"%s\"", n, err);
	}
}

/* ---- mutations ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random values biased to the edges the checks compare against. */
static uint64_t edgy(uint64_t size)
{
	static const uint64_t v[] = {
		0, 1, 8, 0x40, 0x1000, 0xfff, KBASE, KBASE - 1, TEXT, DATA, ~0ull, ~0ull - 0xfff,
		KBASE + (1ull << 30), KBASE + (1ull << 30) - 0x1000, 1ull << 63, 1ull << 30,
	};
	uint64_t r = rnd();
	switch (r % 4) {
	case 0: return v[(r >> 8) % (sizeof v / sizeof v[0])];
	case 1: return size + ((r >> 8) % 16) - 8;
	case 2: return v[(r >> 8) % (sizeof v / sizeof v[0])] + ((r >> 16) % 64) - 32;
	default: return rnd();
	}
}

static void t_mutate(int iters)
{
	static struct img m;
	struct result r;
	int accepted = 0;
	for (int it = 0; it < iters; it++) {
		base_image(&m);
		if (rnd() % 4 == 0)
			m_many(&m, 1 + (int)(rnd() % 18));
		int n = 1 + (int)(rnd() % 4);
		for (int k = 0; k < n && m.size; k++) {
			/* the ELF and program headers, as far as the file holds them */
			uint64_t end = m.size, ph = EH(&m)->phoff, phn = EH(&m)->phnum;
			if (ph < m.size && 56 * phn <= m.size - ph && ph + 56 * phn > 0)
				end = ph + 56 * phn;
			uint64_t r0 = rnd();
			uint64_t at = (r0 >> 8) % end;
			switch (r0 % 3) {
			case 0:         /* a byte in the headers */
				m.b[at] = (unsigned char)(r0 >> 40);
				break;
			case 1: {       /* an aligned 8-byte field in the headers */
				uint64_t v = edgy(m.size);
				memcpy(m.b + (at & ~7ull), &v, 8);
				break;
			}
			default:        /* a shorter file */
				m.size = (r0 >> 8) % (m.size + 1);
				break;
			}
		}
		run_check(m.b, m.size, (rnd() & 1) ? KBASE : 0, &r, "mutate");
		accepted += r.rc == 0;
	}
	printf("  mutate: %d images, %d accepted\n", iters, accepted);
}

/* ---- the fuzzer's corpus ---- */

static unsigned char *read_all(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*size = n;
	return buf;
}

static int write_corpus(const char *dir)
{
	static struct img m;
	char path[4096];
	int n = 0;
	for (size_t i = 0; i < NCASES; i++) {
		if (!cases[i].seed)
			continue;
		make_case(&cases[i], &m);
		snprintf(path, sizeof path, "%s/%s.elf", dir, cases[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(m.b, 1, m.size, f) != m.size || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		n++;
	}
	printf("wrote %d seeds to %s\n", n, dir);
	return 0;
}

static void t_corpus(const char *dir)
{
	char path[4096];
	int named = 0, other = 0;
	struct result r;

	for (size_t i = 0; i < NCASES; i++) {
		if (!cases[i].seed)
			continue;
		snprintf(path, sizeof path, "%s/%s.elf", dir, cases[i].name);
		uint64_t size;
		unsigned char *b = read_all(path, &size);
		CHECK(b, "corpus: %s missing (elfcheck_test --write-corpus %s)", path, dir);
		if (!b)
			continue;
		run_check(b, size, KBASE, &r, path);
		check_answer(&cases[i], &r, " (corpus)");
		free(b);
		named++;
	}
	for (size_t i = 0; i < sizeof findings / sizeof findings[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, findings[i].name);
		uint64_t size;
		unsigned char *b = read_all(path, &size);
		CHECK(b, "corpus: %s missing", path);
		if (!b)
			continue;
		run_check(b, size, KBASE, &r, path);
		check_answer(&findings[i], &r, " (corpus)");
		free(b);
		named++;
	}
	DIR *d = opendir(dir);
	CHECK(d, "corpus: cannot open %s", dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		uint64_t size;
		unsigned char *b = read_all(path, &size);
		if (!b)
			continue;
		run_check(b, size, KBASE, &r, path);
		run_check(b, size, 0, &r, path);
		free(b);
		other++;
	}
	closedir(d);
	printf("  corpus: %d named seeds as expected, %d files sound\n", named, other);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	const char *corpus = argc > 1 ? argv[1] : "tests/host/corpus/fuzz_elf";

	t_cases();
	t_layout();
	t_errlen();
	t_mutate(50000);
	t_corpus(corpus);
	printf("elfcheck_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
