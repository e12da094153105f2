/*
 * symtab.c - addresses to names, from the symbol table of the copy of
 * kernel.elf the loader kept in memory (its checks bounded the tables to
 * the file). Used by trap reports and goroutine tracebacks; a stripped
 * kernel still runs, it just prints "?".
 */
#include "kernel.h"

struct elf64_sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

static const struct elf64_sym *syms;
static uint64_t nsyms;
static const char *strs;
static uint64_t strsize;

/* ksym_init is called by kinit with the offsets elfcheck found (inside
 * the file, nothing more). Tables it cannot read safely are not used:
 * the kernel runs without names, and says so. */
void ksym_init(const void *file, uint64_t symoff, uint64_t symsize, uint64_t stroff, uint64_t strsz);
void ksym_init(const void *file, uint64_t symoff, uint64_t symsize, uint64_t stroff, uint64_t strsz)
{
	syms = 0;
	nsyms = 0;
	strs = 0;
	strsize = 0;
	if (!symsize || !strsz)
		return;                 /* stripped */
	if (symoff % 8) {
		/* read in place as structs: misaligned, that is undefined */
		kprintf("symtab: kernel.elf's symbol table at offset 0x%lx is not 8-byte aligned; no symbol names\n",
		        (unsigned long)symoff);
		return;
	}
	/* every name must end inside the table: the last NUL bounds them
	 * all (the table ends with one when ld wrote it) */
	const char *st = (const char *)file + stroff;
	while (strsz && st[strsz - 1])
		strsz--;
	if (!strsz) {
		kprintf("symtab: kernel.elf's string table has no NUL; no symbol names\n");
		return;
	}
	syms = (const struct elf64_sym *)((const char *)file + symoff);
	nsyms = symsize / sizeof *syms;
	strs = st;
	strsize = strsz;
}

static bool usable(const struct elf64_sym *s)
{
	unsigned type = s->info & 15;
	return s->shndx != 0 && s->value >= KERNEL_BASE && s->name < strsize &&
	       (type == 2 /* FUNC */ || type == 0 /* NOTYPE: assembly labels */) &&
	       strs[s->name] && strs[s->name] != '.';
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	const struct elf64_sym *best = 0;
	for (uint64_t i = 0; i < nsyms; i++) {
		const struct elf64_sym *s = &syms[i];
		if (usable(s) && s->value <= addr && (!best || s->value > best->value))
			best = s;
	}
	if (!best || (best->size && addr - best->value > best->size + 4096))
		return 0;
	*offset = addr - best->value;
	return strs + best->name;
}

static bool streq(const char *a, const char *b, uint64_t max)
{
	for (uint64_t i = 0; i < max; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return false;
}

uint64_t ksym_addr(const char *name)
{
	for (uint64_t i = 0; i < nsyms; i++)
		if (usable(&syms[i]) && streq(strs + syms[i].name, name, strsize - syms[i].name))
			return syms[i].value;
	return 0;
}
