/*
 * elfcheck.c - validation of kernel.elf before the loader copies a byte of
 * it. Everything the loader later trusts (segment offsets and sizes, the
 * entry point, the symbol table it hands the kernel) is checked here against
 * the file's real size, with overflow-safe arithmetic, so a truncated or
 * hostile file is refused with a reason instead of crashing the firmware.
 */
#include "elfcheck.h"

enum { ET_EXEC = 2, EM_X86_64 = 62, PT_LOAD = 1, PF_X = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3 };

#define PAGE 4096ull
#define WINDOW (1ull << 30)

/* fail formats "reason" or "reason: 0x<hex>" into err; returns -1. */
static int fail(char *err, size_t errlen, const char *why, int with_val, uint64_t val)
{
	size_t i = 0;
	if (errlen == 0)
		return -1;
	for (; *why && i + 1 < errlen; why++)
		err[i++] = *why;
	if (with_val) {
		const char *pre = ": 0x";
		for (; *pre && i + 1 < errlen; pre++)
			err[i++] = *pre;
		int started = 0;
		for (int sh = 60; sh >= 0; sh -= 4) {
			unsigned d = (unsigned)(val >> sh) & 15;
			if (!d && !started && sh)
				continue;
			started = 1;
			if (i + 1 < errlen)
				err[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		}
	}
	err[i] = 0;
	return -1;
}

/* in_file reports whether [off, off+len) lies inside a file of size bytes. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int check_header(const struct elf64_ehdr *eh, uint64_t size, char *err, size_t errlen)
{
	if (size < sizeof *eh)
		return fail(err, errlen, "file too short for an ELF header", 1, size);
	if (eh->ident[0] != 0x7f || eh->ident[1] != 'E' || eh->ident[2] != 'L' || eh->ident[3] != 'F')
		return fail(err, errlen, "not an ELF file (bad magic)", 0, 0);
	if (eh->ident[4] != 2)
		return fail(err, errlen, "not a 64-bit ELF file (class)", 1, eh->ident[4]);
	if (eh->ident[5] != 1)
		return fail(err, errlen, "not a little-endian ELF file", 1, eh->ident[5]);
	if (eh->machine != EM_X86_64)
		return fail(err, errlen, "wrong machine, not x86-64", 1, eh->machine);
	if (eh->type != ET_EXEC)
		return fail(err, errlen, "not an executable ELF file (type)", 1, eh->type);
	if (eh->phentsize != sizeof(struct elf64_phdr))
		return fail(err, errlen, "bad program header size", 1, eh->phentsize);
	if (eh->phnum == 0)
		return fail(err, errlen, "no program headers", 0, 0);
	if (!in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), size))
		return fail(err, errlen, "program headers lie outside the file", 1, eh->phoff);
	/* the table is read in place as structs, which a misaligned one makes
	 * undefined behaviour; ld always aligns it */
	if (eh->phoff % 8)
		return fail(err, errlen, "program headers not 8-byte aligned", 1, eh->phoff);
	return 0;
}

static int add_segment(const struct elf64_phdr *ph, uint64_t size, uint64_t min_vaddr,
                       struct elf_layout *out, char *err, size_t errlen)
{
	if (out->nseg == ELF_MAX_LOAD)
		return fail(err, errlen, "too many loadable segments", 1, ELF_MAX_LOAD);
	if (ph->filesz > ph->memsz)
		return fail(err, errlen, "segment file size exceeds its memory size", 1, ph->vaddr);
	if (!in_file(ph->offset, ph->filesz, size))
		return fail(err, errlen, "segment lies outside the file (truncated?)", 1, ph->offset);
	if (ph->vaddr < min_vaddr)
		return fail(err, errlen, "segment below the kernel's address range", 1, ph->vaddr);
	/* hi is the end rounded up to a page, so that must not wrap either */
	if (ph->vaddr > ~0ull - PAGE || ph->memsz > ~0ull - PAGE - ph->vaddr)
		return fail(err, errlen, "segment wraps the address space", 1, ph->vaddr);
	/* the loader maps the image with the page tables of one 1 GiB window */
	if (min_vaddr <= ~0ull - WINDOW && ph->vaddr + ph->memsz > min_vaddr + WINDOW)
		return fail(err, errlen, "segment above the kernel's address range", 1, ph->vaddr);
	for (int i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (ph->vaddr < s->vaddr + s->memsz && s->vaddr < ph->vaddr + ph->memsz)
			return fail(err, errlen, "segments overlap", 1, ph->vaddr);
	}
	out->seg[out->nseg++] = (struct elf_segment){
		ph->vaddr, ph->memsz, ph->offset, ph->filesz, ph->flags,
	};
	return 0;
}

/* find_symbols records .symtab/.strtab when the section headers are sound;
 * a file without them (stripped) is still bootable. */
static void find_symbols(const unsigned char *p, const struct elf64_ehdr *eh, uint64_t size,
                         struct elf_layout *out)
{
	if (eh->shoff == 0 || eh->shoff % 8 || eh->shentsize != sizeof(struct elf64_shdr) ||
	    !in_file(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), size))
		return;
	const struct elf64_shdr *sh = (const struct elf64_shdr *)(p + eh->shoff);
	for (int i = 0; i < eh->shnum; i++) {
		if (sh[i].type != SHT_SYMTAB || sh[i].link >= eh->shnum)
			continue;
		const struct elf64_shdr *st = &sh[sh[i].link];
		if (st->type != SHT_STRTAB || !in_file(sh[i].offset, sh[i].size, size) ||
		    !in_file(st->offset, st->size, size))
			return;
		out->symtab_off = sh[i].offset;
		out->symtab_size = sh[i].size;
		out->strtab_off = st->offset;
		out->strtab_size = st->size;
		return;
	}
}

int elf_check(const void *image, uint64_t size, uint64_t min_vaddr,
              struct elf_layout *out, char *err, size_t errlen)
{
	const unsigned char *p = image;
	const struct elf64_ehdr *eh = image;
	*out = (struct elf_layout){0};
	if (check_header(eh, size, err, errlen))
		return -1;

	const struct elf64_phdr *ph = (const struct elf64_phdr *)(p + eh->phoff);
	for (int i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].memsz &&
		    add_segment(&ph[i], size, min_vaddr, out, err, errlen))
			return -1;
	if (out->nseg == 0)
		return fail(err, errlen, "no loadable segments", 0, 0);

	out->lo = ~0ull;
	int entry_ok = 0;
	for (int i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (s->vaddr < out->lo)
			out->lo = s->vaddr;
		if (s->vaddr + s->memsz > out->hi)
			out->hi = s->vaddr + s->memsz;
		if ((s->flags & PF_X) && eh->entry >= s->vaddr && eh->entry < s->vaddr + s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		return fail(err, errlen, "entry point is not in an executable segment", 1, eh->entry);
	out->lo &= ~(PAGE - 1);
	out->hi = (out->hi + PAGE - 1) & ~(PAGE - 1);
	out->entry = eh->entry;
	find_symbols(p, eh, size, out);
	return 0;
}
