/*
 * elfcheck.h - the loader's checks of kernel.elf, kept free of EFI so the
 * host tests can build and fuzz them.
 */
#ifndef BOOT_ELFCHECK_H
#define BOOT_ELFCHECK_H

#include <stddef.h>
#include <stdint.h>

/* The few ELF64 definitions needed; the loader has no <elf.h>. */
struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

#define ELF_MAX_LOAD 16

struct elf_segment {
	uint64_t vaddr, memsz;      /* where it goes */
	uint64_t offset, filesz;    /* what of the file it holds */
	uint32_t flags;             /* PF_X 1, PF_W 2, PF_R 4 */
};

struct elf_layout {
	uint64_t entry;
	uint64_t lo, hi;            /* page-rounded span of all PT_LOAD segments */
	int nseg;
	struct elf_segment seg[ELF_MAX_LOAD];
	uint64_t symtab_off, symtab_size;   /* 0 when the file has no symbols */
	uint64_t strtab_off, strtab_size;
};

/*
 * elf_check validates an x86-64 ELF executable image of size bytes (8-byte
 * aligned, as pool memory is) linked to run in the 1 GiB from min_vaddr
 * (page-aligned; a window that would pass the top of the address space
 * ends there) and fills *out. On failure it returns -1 and writes a
 * one-line reason to err (NUL-terminated, at most errlen bytes).
 */
int elf_check(const void *image, uint64_t size, uint64_t min_vaddr,
              struct elf_layout *out, char *err, size_t errlen);

#endif
