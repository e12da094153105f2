/*
 * bootinfo.h - what the UEFI loader hands the kernel: one versioned struct,
 * shared by boot/ (which fills it) and kernel/ (which reads it).
 *
 * Every address in it is physical; the kernel reads them through its
 * direct map (bootinfo_phys_to_virt in kernel/). The loader passes a
 * pointer to the struct itself, also physical, in rdi at _rt0_amd64_efi.
 *
 * Bump BOOTINFO_VERSION whenever a field changes; the kernel refuses a
 * struct from a loader of another version.
 */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include <stdint.h>

#define BOOTINFO_MAGIC   0x4f4f42544e555247ull   /* "GRUNTBOO" little-endian */
#define BOOTINFO_VERSION 3

#define BOOTINFO_CMDLINE_MAX 1024
#define BOOTINFO_MMAP_MAX    8192     /* servers' maps run to thousands of entries; a longer one is refused */

/* Virtual layout the loader builds and the kernel relies on. */
#define KERNEL_BASE     0xffffffff80000000ull   /* kernel image: -2 GiB (-mcmodel=kernel) */
#define DIRECT_MAP_BASE 0xffff800000000000ull   /* all physical memory, from 0 */
#define DIRECT_MAP_MAX  (1ull << 46)            /* its room: 64 TiB, up to VM_DYNAMIC_BASE (kernel/kernel.h) */

/* Memory map entry types: EFI's own numbering, kept as is. */
enum {
	BI_MEM_RESERVED = 0,
	BI_MEM_LOADER_CODE = 1,
	BI_MEM_LOADER_DATA = 2,
	BI_MEM_BOOT_CODE = 3,
	BI_MEM_BOOT_DATA = 4,
	BI_MEM_RUNTIME_CODE = 5,
	BI_MEM_RUNTIME_DATA = 6,
	BI_MEM_CONVENTIONAL = 7,
	BI_MEM_UNUSABLE = 8,
	BI_MEM_ACPI_RECLAIM = 9,
	BI_MEM_ACPI_NVS = 10,
	BI_MEM_MMIO = 11,
	BI_MEM_MMIO_PORT = 12,
	BI_MEM_PAL_CODE = 13,
	BI_MEM_PERSISTENT = 14,
};

struct bootinfo_mem {
	uint32_t type;          /* BI_MEM_* */
	uint32_t pad;
	uint64_t phys;          /* start, page aligned */
	uint64_t pages;         /* 4 KiB pages */
	uint64_t attr;          /* EFI attributes (EFI_MEMORY_RUNTIME = 1<<63, ...) */
};

struct bootinfo_fb {
	uint64_t base;          /* physical address of the framebuffer; 0: none */
	uint64_t size;          /* bytes */
	uint32_t width, height; /* pixels */
	uint32_t stride;        /* pixels per scan line */
	uint32_t format;        /* 0: RGBX 8:8:8:8, 1: BGRX 8:8:8:8 (EFI's PixelFormat) */
};

struct bootinfo {
	uint64_t magic;                 /* BOOTINFO_MAGIC */
	uint32_t version;               /* BOOTINFO_VERSION */
	uint32_t size;                  /* sizeof(struct bootinfo) as the loader saw it */

	uint64_t tsc_loader;            /* TSC read at loader entry */
	uint64_t tsc_exit;              /* TSC read just before the jump to the kernel */

	char cmdline[BOOTINFO_CMDLINE_MAX];     /* NUL-terminated, ASCII */
	uint32_t cmdline_source;        /* 0 none, 1 LoadOptions, 2 CMDLINE.TXT */
	uint32_t mmap_count;
	struct bootinfo_mem mmap[BOOTINFO_MMAP_MAX];

	uint64_t acpi_rsdp;             /* physical address of the RSDP; 0: not found */
	uint32_t acpi_rsdp_rev;         /* 2: ACPI 2.0+ (XSDT), 0: 1.0 (RSDT only) */
	uint32_t mmap_dropped;          /* firmware map entries that did not fit in mmap[] */

	struct bootinfo_fb fb;

	uint64_t efi_runtime;           /* physical address of EFI_RUNTIME_SERVICES */
	uint64_t efi_system_table;      /* physical address of EFI_SYSTEM_TABLE */

	uint64_t kernel_phys;           /* where the image starting at KERNEL_BASE was loaded */
	uint64_t kernel_size;           /* bytes, page rounded */
	uint64_t kernel_file;           /* physical address of a copy of kernel.elf (symbols) */
	uint64_t kernel_file_size;
	uint64_t symtab_off, symtab_size;   /* .symtab within that copy; 0: stripped */
	uint64_t strtab_off, strtab_size;   /* its string table */
	uint64_t kernel_virt;           /* link address of the first loaded page */

	uint64_t pml4;                  /* the page tables the loader built (CR3) */
	uint64_t identity_limit;        /* [0, identity_limit) is also mapped 1:1 for the hand-off */
	uint64_t direct_map_limit;      /* [0, direct_map_limit) is mapped at DIRECT_MAP_BASE */

	uint32_t paging_levels;         /* 4 or 5: the mode the firmware handed over in, kept */
	uint32_t secure_boot;           /* BI_SB_*: the firmware's SecureBoot variable as read */
	uint32_t kernel_checked;        /* 1: KERNEL.ELF matched the digest built into the loader */
	uint32_t fb_text_end;           /* pixel rows at the top of fb the firmware's text fills; 0: unknown */
};

/* Secure Boot state as the loader read it (EFI variable SecureBoot, SetupMode) */
enum {
	BI_SB_UNKNOWN = 0,      /* no SecureBoot variable: firmware without Secure Boot */
	BI_SB_OFF = 1,
	BI_SB_ON = 2,
	BI_SB_SETUP = 3,        /* setup mode: no platform key, nothing enforced */
};

#endif
