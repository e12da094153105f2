/*
 * loader.c - BOOTX64.EFI: the UEFI application that starts the runtime.
 *
 * It plays the part the Linux kernel's execve plays for a Go program: finds
 * the executable (KERNEL.ELF, on the same volume the loader came from, so a
 * USB stick, a CD and a disk all work), checks it, maps it, builds what
 * _rt0_amd64_efi expects (struct bootinfo, see include/bootinfo.h) and jumps.
 *
 * Order: read the file, check it (its digest, secureboot.c, then its
 * headers), load the segments, gather the command line, ACPI RSDP,
 * framebuffer and runtime services, build page tables,
 * ExitBootServices (retrying while the map key changes), switch CR3, jump.
 * Nothing that can fail happens after ExitBootServices; if it never
 * succeeds, stranded.c ends the run without the firmware.
 */
#include <efi.h>
#include <efilib.h>

#include "../include/bootinfo.h"
#include "elfcheck.h"
#include "loadopts.h"
#include "memmap.h"
#include "secureboot.h"
#include "stranded.h"

#define KERNEL_PATH  L"\\EFI\\BOOT\\KERNEL.ELF"
#define CMDLINE_PATH L"\\EFI\\BOOT\\CMDLINE.TXT"
#define PAGE_SIZE    4096ull

static struct bootinfo *bi;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/*
 * refuse reports why the kernel cannot be started and ends the run: under
 * QEMU with the runtime's own exit convention (status 2), on a real PC by
 * returning to the firmware's boot manager after a pause to read the text.
 */
static EFI_STATUS refuse(const CHAR16 *what, const char *why)
{
	Print(L"loader: %s: %a\r\n", what, why);
	Print(L"loader: not starting the kernel\r\n");
	if (under_qemu()) {
		Print(L"exit status 2\r\n");
		outb(0xf4, 2);
	}
	BS->Stall(10 * 1000 * 1000);
	return EFI_LOAD_ERROR;
}

static void *alloc_pages(UINTN pages)
{
	EFI_PHYSICAL_ADDRESS a = 0;
	if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &a)))
		return NULL;
	SetMem((void *)a, pages * PAGE_SIZE, 0);
	return (void *)a;
}

/* alloc_low_pages: pages below 4 GiB, which 32-bit code can reach (the
 * paging switch below); NULL if the firmware has none left there. */
static void *alloc_low_pages(UINTN pages)
{
	EFI_PHYSICAL_ADDRESS a = 0xffffffffull;
	if (EFI_ERROR(BS->AllocatePages(AllocateMaxAddress, EfiLoaderData, pages, &a)))
		return NULL;
	SetMem((void *)a, pages * PAGE_SIZE, 0);
	return (void *)a;
}

/*
 * Paging mode. The kernel runs on 4-level tables; firmware that turned on
 * 5-level paging (CR4.LA57) is left the way Linux's EFI stub leaves it:
 * paging.S, copied below 4 GiB, drops to 4-level with our tables. The
 * test hook loadertest=la57 first raises a 4-level machine to 5-level
 * (with a PML5 whose first and last entries both hold our PML4, so the
 * mapping is the same), to run that path under firmware that never uses
 * LA57 itself.
 */
#define CR4_LA57 (1ull << 12)

extern const unsigned char paging_switch_start[], paging_switch_end[];
typedef void __attribute__((sysv_abi)) (*paging_switch_fn)(uint64_t base, uint64_t cr3, uint64_t la57);

static struct {
	paging_switch_fn fn;    /* the copy below 4 GiB; NULL: no switch needed */
	uint64_t *pml5;         /* loadertest=la57 only */
} paging;

static int cpu_has_la57(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
	if (a < 7)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	return (c >> 16) & 1;
}

/* plan_paging decides, before ExitBootServices, what the hand-over needs;
 * NULL, or why it cannot be done. */
static const char *plan_paging(void)
{
	int la57 = (read_cr4() & CR4_LA57) != 0;
	int test = loadopts_has(bi->cmdline, "loadertest=la57");
	bi->paging_levels = la57 ? 5 : 4;
	if (!la57 && !test)
		return NULL;
	if (!la57 && !cpu_has_la57())
		return "loadertest=la57: this CPU has no 5-level paging";
	UINTN size = paging_switch_end - paging_switch_start;
	void *page = alloc_low_pages(1);
	if (!page || size > PAGE_SIZE)
		return "no memory below 4 GiB for the switch to 4-level paging";
	CopyMem(page, paging_switch_start, size);
	paging.fn = (paging_switch_fn)page;
	if (!la57) {
		if (!(paging.pml5 = alloc_low_pages(1)))
			return "no memory below 4 GiB for the switch to 4-level paging";
	}
	return NULL;
}

/* hand_over_paging runs after ExitBootServices: our tables, 4-level. */
static void hand_over_paging(void)
{
	if (!paging.fn)
		return;
	if (paging.pml5) {
		paging.pml5[0] = paging.pml5[511] = bi->pml4 | 3;
		paging.fn((uint64_t)paging.fn, (uint64_t)paging.pml5, 1);
		if (read_cr4() & CR4_LA57)
			bi->paging_levels = 5;  /* the test's proof that the way up worked */
	}
	if (read_cr4() & CR4_LA57)
		paging.fn((uint64_t)paging.fn, bi->pml4, 0);
}

static EFI_FILE_HANDLE open_root(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root;
	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li)))
		return NULL;
	if (EFI_ERROR(BS->HandleProtocol(li->DeviceHandle, &FileSystemProtocol, (void **)&fs)))
		return NULL;
	if (EFI_ERROR(fs->OpenVolume(fs, &root)))
		return NULL;
	return root;
}

/* read_file reads a whole file into fresh LoaderData pages (they outlive
 * boot services, so the kernel can read its symbols from the copy). */
static void *read_file(EFI_FILE_HANDLE root, CHAR16 *path, UINT64 *size)
{
	EFI_FILE_HANDLE f;
	if (EFI_ERROR(root->Open(root, &f, path, EFI_FILE_MODE_READ, 0)))
		return NULL;
	EFI_FILE_INFO *info = LibFileInfo(f);
	if (!info) {
		f->Close(f);
		return NULL;
	}
	UINTN n = info->FileSize;
	FreePool(info);
	void *buf = alloc_pages((n + PAGE_SIZE) / PAGE_SIZE);
	if (buf && EFI_ERROR(f->Read(f, &n, buf)))
		buf = NULL;
	f->Close(f);
	*size = n;
	return buf;
}

/* cmdline_from_options takes LoadOptions (loadopts.c: text only, the
 * image name a shell puts first dropped). */
static int cmdline_from_options(EFI_HANDLE image, unsigned *flags)
{
	EFI_LOADED_IMAGE *li;
	*flags = 0;
	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li)))
		return 0;
	return loadopts_from_options(li->LoadOptions, li->LoadOptionsSize / sizeof(CHAR16),
	                             bi->cmdline, BOOTINFO_CMDLINE_MAX, flags) > 0;
}

static void cmdline_from_file(EFI_FILE_HANDLE root, unsigned *flags)
{
	UINT64 n;
	const unsigned char *s = read_file(root, CMDLINE_PATH, &n);
	*flags = 0;
	if (!s)
		return;
	loadopts_from_text(s, n, bi->cmdline, BOOTINFO_CMDLINE_MAX, flags);
	bi->cmdline_source = 2;
}

/* get_cmdline: LoadOptions, else CMDLINE.TXT; what was odd said on screen */
static void get_cmdline(EFI_HANDLE image, EFI_FILE_HANDLE root)
{
	unsigned flags;
	const CHAR16 *from = L"LoadOptions";
	if (cmdline_from_options(image, &flags)) {
		bi->cmdline_source = 1;
	} else {
		from = CMDLINE_PATH;
		cmdline_from_file(root, &flags);
	}
	if (flags & LOADOPTS_CUT)
		Print(L"loader: %s: command line longer than %d characters: cut\r\n", from, BOOTINFO_CMDLINE_MAX - 1);
	if (flags & LOADOPTS_REPLACED)
		Print(L"loader: %s: characters other than printable ASCII replaced by '?'\r\n", from);
}

static void find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &acpi20) == 0) {
			bi->acpi_rsdp = (uint64_t)t->VendorTable;
			bi->acpi_rsdp_rev = 2;
			return;
		}
		if (CompareGuid(&t->VendorGuid, &acpi10) == 0 && !bi->acpi_rsdp)
			bi->acpi_rsdp = (uint64_t)t->VendorTable;
	}
}

/* find_framebuffer takes the GOP that drives the console (on the console
 * output handle: what the user is looking at), else the first one found. */
static void find_framebuffer(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	if (EFI_ERROR(BS->HandleProtocol(ST->ConsoleOutHandle, &GraphicsOutputProtocol, (void **)&gop)) ||
	    !gop || !gop->Mode || !gop->Mode->FrameBufferBase)
		gop = NULL;             /* none there, or a splitter's blt-only one */
	if (!gop && (EFI_ERROR(BS->LocateProtocol(&GraphicsOutputProtocol, NULL, (void **)&gop)) || !gop->Mode))
		return;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m = gop->Mode->Info;
	if (m->PixelFormat != PixelRedGreenBlueReserved8BitPerColor &&
	    m->PixelFormat != PixelBlueGreenRedReserved8BitPerColor)
		return;   /* bitmask or blt-only: no linear framebuffer we can draw on */
	bi->fb.base = gop->Mode->FrameBufferBase;
	bi->fb.size = gop->Mode->FrameBufferSize;
	bi->fb.width = m->HorizontalResolution;
	bi->fb.height = m->VerticalResolution;
	bi->fb.stride = m->PixelsPerScanLine;
	bi->fb.format = m->PixelFormat == PixelBlueGreenRedReserved8BitPerColor ? 1 : 0;
}

/* fb_text_end tells the kernel's console how far down the screen the
 * firmware's text (ours included) goes, so it can keep it: the console's
 * cursor row in its text grid, which edk2 and most firmware draw with
 * UEFI's 8x19 glyphs, centred. Called after the last Print. */
static void fb_text_end(void)
{
	SIMPLE_TEXT_OUTPUT_INTERFACE *out = ST->ConOut;
	UINTN cols, rows;
	if (!bi->fb.base || !out || !out->Mode ||
	    EFI_ERROR(out->QueryMode(out, (UINTN)out->Mode->Mode, &cols, &rows)) || !rows)
		return;
	uint32_t h = bi->fb.height, gh = h / (uint32_t)rows;
	if (gh >= 19 && gh < 38)
		gh = 19;                /* a text mode smaller than the screen, centred */
	uint32_t used = (uint32_t)out->Mode->CursorRow + (out->Mode->CursorColumn > 0);
	uint64_t end = (h - (uint32_t)rows * gh) / 2 + (uint64_t)used * gh;
	bi->fb_text_end = end > h ? h : (uint32_t)end;
}

/* load_segments copies the checked segments into one contiguous block of
 * pages at whatever physical address the firmware gives. */
static EFI_STATUS load_segments(const unsigned char *file, const struct elf_layout *l)
{
	UINTN pages = (l->hi - l->lo) / PAGE_SIZE;
	unsigned char *mem = alloc_pages(pages);
	if (!mem)
		return EFI_OUT_OF_RESOURCES;
	for (int i = 0; i < l->nseg; i++) {
		const struct elf_segment *s = &l->seg[i];
		CopyMem(mem + (s->vaddr - l->lo), file + s->offset, s->filesz);
	}
	bi->kernel_phys = (uint64_t)mem;
	bi->kernel_size = l->hi - l->lo;
	return EFI_SUCCESS;
}

/*
 * build_page_tables sizes the direct map from the memory map (memmap.c:
 * memory only, at most DIRECT_MAP_MAX) and builds the tables in one block
 * of pages. What the tables cannot reach is said on screen now: after
 * ExitBootServices nothing can be.
 */
static EFI_STATUS build_page_tables(const void *map, UINTN map_size, UINTN desc_size,
                                    const struct elf_layout *l)
{
	struct memmap_limit lim;
	memmap_limit(map, map_size, desc_size, bi->fb.base, bi->fb.size, &lim);
	if (lim.bad_desc_size)
		Print(L"loader: memory map descriptors of %d bytes: map ignored, only 4 GiB mapped\r\n",
		      (int)desc_size);
	if (lim.dropped)
		Print(L"loader: %ld MiB of memory at or above %ld TiB cannot be mapped: not used\r\n",
		      lim.dropped >> 20, DIRECT_MAP_MAX >> 40);
	if (lim.fb_dropped) {
		Print(L"loader: framebuffer at %lx is beyond the direct map: not used\r\n", bi->fb.base);
		bi->fb = (struct bootinfo_fb){0};
	}
	struct memmap_tables t;
	if (memmap_tables_size(lim.limit, l->lo, l->hi, bi->kernel_phys, &t))
		return EFI_INVALID_PARAMETER;
	/* below 4 GiB when the paging switch will load them from 32-bit code */
	void *block = paging.fn ? alloc_low_pages(t.pages) : alloc_pages(t.pages);
	if (!block)
		return EFI_OUT_OF_RESOURCES;
	bi->pml4 = memmap_build_tables(block, &t, lim.limit, l->lo, l->hi, bi->kernel_phys);
	bi->identity_limit = lim.limit;
	bi->direct_map_limit = lim.limit;
	return EFI_SUCCESS;
}

/*
 * exit_boot_services gets the final memory map and leaves boot services.
 * The map key changes whenever the firmware allocates (it may, in a timer
 * callback, between our two calls), so retry with a fresh map. Once
 * ExitBootServices has been called, failed or not, the UEFI specification
 * allows only GetMemoryMap and ExitBootServices again: a failed call may
 * have torn boot services down part of the way. So nothing else (no
 * Print, no Stall, no return to the boot manager) until it succeeds, and
 * after EBS_TRIES failures stranded() speaks through the hardware itself.
 *
 * Test hooks (tests/cases.py): test=loader-ebs-fail hands over a stale map
 * key every time (the firmware's own refusal); test=loader-ebs-lost does
 * so too but lets the last call succeed and calls it a failure, as
 * firmware that tore its services down and still returned an error would.
 */
#define EBS_TRIES 8

static EFI_STATUS exit_boot_services(EFI_HANDLE image, void *map, UINTN cap,
                                     UINTN *map_size, UINTN *desc_size)
{
	int fail = loadopts_has(bi->cmdline, "test=loader-ebs-fail");
	int lost = loadopts_has(bi->cmdline, "test=loader-ebs-lost");
	EFI_STATUS st = EFI_SUCCESS;
	for (int tries = 0; tries < EBS_TRIES; tries++) {
		UINTN key;
		UINT32 ver;
		*map_size = cap;
		st = BS->GetMemoryMap(map_size, map, &key, desc_size, &ver);
		if (EFI_ERROR(st)) {
			if (tries == 0)
				return st;      /* nothing torn down yet: refuse() may still speak */
			stranded(&bi->fb, "GetMemoryMap after a failed ExitBootServices", st, tries);
		}
		int last = tries == EBS_TRIES - 1;
		st = BS->ExitBootServices(image, key + (fail || (lost && !last)));
		if (lost && last && st == EFI_SUCCESS)
			st = EFI_INVALID_PARAMETER;
		if (st == EFI_SUCCESS)
			return st;
	}
	stranded(&bi->fb, "ExitBootServices", st, EBS_TRIES);
}

/* jump switches to the new tables and enters the kernel: rdi = bootinfo. */
static __attribute__((noreturn)) void jump(uint64_t entry, uint64_t cr3, struct bootinfo *arg)
{
	__asm__ volatile(
		"cli\n\t"
		"mov %1, %%cr3\n\t"
		"jmp *%0\n\t"
		: : "r"(entry), "r"(cr3), "D"(arg) : "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t tsc0 = rdtsc();
	InitializeLib(image, systab);
	BS->SetWatchdogTimer(0, 0, 0, NULL);   /* the firmware's 5-minute watchdog would reset us */

	bi = alloc_pages((sizeof *bi + PAGE_SIZE - 1) / PAGE_SIZE);
	if (!bi)
		return refuse(L"boot info", "out of memory");
	bi->magic = BOOTINFO_MAGIC;
	bi->version = BOOTINFO_VERSION;
	bi->size = sizeof *bi;
	bi->tsc_loader = tsc0;

	EFI_FILE_HANDLE root = open_root(image);
	if (!root)
		return refuse(L"boot volume", "cannot open the volume the loader came from");
	UINT64 size;
	const unsigned char *file = read_file(root, KERNEL_PATH, &size);
	if (!file)
		return refuse(KERNEL_PATH, "cannot read the file");
	struct elf_layout l;
	char why[160];
	if (secureboot_check_kernel(file, size, bi, why, sizeof why))
		return refuse(KERNEL_PATH, why);
	if (elf_check(file, size, KERNEL_BASE, &l, why, sizeof why))
		return refuse(KERNEL_PATH, why);
	if (EFI_ERROR(load_segments(file, &l)))
		return refuse(KERNEL_PATH, "no memory for the kernel image");
	bi->kernel_file = (uint64_t)file;
	bi->kernel_file_size = size;
	bi->symtab_off = l.symtab_off;
	bi->symtab_size = l.symtab_size;
	bi->strtab_off = l.strtab_off;
	bi->strtab_size = l.strtab_size;
	bi->kernel_virt = l.lo;

	get_cmdline(image, root);
	find_rsdp();
	find_framebuffer();
	bi->efi_runtime = (uint64_t)ST->RuntimeServices;
	bi->efi_system_table = (uint64_t)ST;

	/* The map grows while we allocate the tables: size the buffer with slack. */
	UINTN map_size = 0, desc_size = 0, key;
	UINT32 ver;
	BS->GetMemoryMap(&map_size, NULL, &key, &desc_size, &ver);
	UINTN cap = map_size + 64 * desc_size;
	void *map = alloc_pages(cap / PAGE_SIZE + 1);
	if (!map)
		return refuse(L"memory map", "out of memory");
	map_size = cap;
	if (EFI_ERROR(BS->GetMemoryMap(&map_size, map, &key, &desc_size, &ver)))
		return refuse(L"memory map", "GetMemoryMap failed");
	const char *no_paging = plan_paging();
	if (no_paging)
		return refuse(L"paging", no_paging);
	EFI_STATUS st = build_page_tables(map, map_size, desc_size, &l);
	if (EFI_ERROR(st))
		return refuse(L"page tables", st == EFI_OUT_OF_RESOURCES ? "out of memory" : "the image cannot be mapped");

	/* A map bootinfo cannot hold is refused now, while the firmware can
	 * still show why; the slack is for what the map gains by the time
	 * ExitBootServices takes it (the buffer's own slack). */
	uint32_t dropped;
	memmap_copy(map, map_size, desc_size, bi->mmap, BOOTINFO_MMAP_MAX - 64, &dropped);
	if (dropped)
		return refuse(L"memory map", "more entries than the kernel takes (BOOTINFO_MMAP_MAX, include/bootinfo.h)");

	Print(L"loader: kernel %lx-%lx at phys %lx, entry %lx, cmdline \"%a\"\r\n",
	      l.lo, l.hi, bi->kernel_phys, l.entry, bi->cmdline);
	Print(L"loader: paging: %s\r\n", paging.fn ?
	      L"the firmware's 5-level, handed over as 4-level" : L"4-level, as the firmware's");
	fb_text_end();
	if (EFI_ERROR(exit_boot_services(image, map, cap, &map_size, &desc_size)))
		return refuse(L"memory map", "GetMemoryMap failed");

	bi->mmap_count = memmap_copy(map, map_size, desc_size, bi->mmap, BOOTINFO_MMAP_MAX, &bi->mmap_dropped);
	hand_over_paging();
	bi->tsc_exit = rdtsc();
	jump(l.entry, bi->pml4, bi);
}
