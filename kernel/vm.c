/*
 * vm.c - the page tables the runtime runs on, replacing the loader's.
 *
 *   0xffff800000000000 + pa   direct map of [0, direct_map_limit): RW, NX, 2 MiB pages
 *   0xffffffff80100000 ...    the kernel image, 4 KiB pages: text R X, rodata R NX,
 *                             data and bss RW NX; the page below g0's stack unmapped
 *   pa (1:1)                  EFI runtime-services regions only (code, data, and their MMIO,
 *                             uncached), so exit can call ResetSystem
 *   0 ... 4 KiB               never mapped: a nil pointer faults
 *   VM_DYNAMIC_BASE ...       regions the runtime reserves and backs page by page
 *                             (goroutine stacks, the heap): vm_map_page/vm_unmap_page
 *
 * CR0.WP makes read-only pages read-only for the kernel too; EFER.NXE
 * enables the NX bit. Intermediate tables come from the page allocator and
 * are never freed: an unmapped region keeps its page tables for reuse.
 */
#include "kernel.h"
#include "cpu.h"

#define PAGE      4096ull
#define PTE_P     (1ull << 0)
#define PTE_W     (1ull << 1)
#define PTE_PWT   (1ull << 3)
#define PTE_PCD   (1ull << 4)
#define PTE_PS    (1ull << 7)
#define PTE_G     (1ull << 8)
#define PTE_NX    (1ull << 63)
#define PTE_ADDR  0x000ffffffffff000ull
#define EFI_MEMORY_RUNTIME (1ull << 63)

static uint64_t *pml4;          /* direct-map address of the root table */
static uint64_t pml4_phys;
static struct spinlock vmlock = { .fixedstack = true, .name = "vmlock" };
static uint64_t ptpages;        /* page-table pages allocated; atomic */

uint64_t vm_pagetable_pages(void) { return __atomic_load_n(&ptpages, __ATOMIC_RELAXED); }

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __image_end[], g0_guard[];

static uint64_t *table_alloc(void)
{
	uint64_t *t = page_alloc(1);
	__atomic_add_fetch(&ptpages, 1, __ATOMIC_RELAXED);
	if (!t) {
		kprintf("fatal error: out of memory for page tables\nexit status 2\n");
		machine_exit(2);
	}
	return t;
}

/* walk returns the page-table entry for va at level 1 (4 KiB) or, with
 * large, level 2 (2 MiB), creating intermediate tables when create. */
static uint64_t *walk(uint64_t va, bool create, bool large)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift > (large ? 21 : 12); shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			*e = virt_to_phys(table_alloc()) | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL;    /* inside a large page: not ours to split */
		}
		t = phys_to_virt(*e & PTE_ADDR);
	}
	return &t[(va >> (large ? 21 : 12)) & 511];
}

static void map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	for (uint64_t off = 0; off < len; off += PAGE)
		*walk(va + off, true, false) = ((pa + off) & PTE_ADDR) | flags | PTE_P;
}

static void map_direct(void)
{
	uint64_t lim = bootinfo->direct_map_limit;
	for (uint64_t pa = 0; pa < lim; pa += 2ull << 20)
		*walk(DIRECT_MAP_BASE + pa, true, true) = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
}

/* map_image gives each part of the kernel image its own permissions. */
static void map_image(void)
{
	uint64_t text = (uint64_t)__text_start, rodata = (uint64_t)__rodata_start;
	uint64_t data = (uint64_t)__data_start, end = (uint64_t)__image_end;
	uint64_t guard = (uint64_t)g0_guard;
	map_range(text, virt_to_phys(__text_start), rodata - text, PTE_G);
	map_range(rodata, virt_to_phys(__rodata_start), data - rodata, PTE_G | PTE_NX);
	map_range(data, virt_to_phys(__data_start), guard - data, PTE_G | PTE_W | PTE_NX);
	map_range(guard + PAGE, virt_to_phys((char *)guard + PAGE), end - guard - PAGE,
	          PTE_G | PTE_W | PTE_NX);
}

/* map_efi_runtime maps every range the firmware marks EFI_MEMORY_RUNTIME
 * 1:1, in the lower half: its code and data, and the device registers
 * and I/O port windows its services touch (memory-mapped I/O, uncached
 * and not executable, as is any range the firmware says cannot be cached
 * write-back). A range at or above 2^47 has no canonical 1:1 address (it
 * would alias another entry), so it stays unmapped and ResetSystem, if it
 * lives there, is not called (power.c uses ACPI or halts instead). */
#define LOWER_HALF_END (1ull << 47)
#define EFI_MEMORY_WB  (1ull << 3)
static void map_efi_runtime(void)
{
	for (uint32_t i = 0; i < bootinfo->mmap_count && i < BOOTINFO_MMAP_MAX; i++) {
		const struct bootinfo_mem *m = &bootinfo->mmap[i];
		if (!(m->attr & EFI_MEMORY_RUNTIME) || m->phys == 0)
			continue;
		if (m->phys >= LOWER_HALF_END || m->pages > (LOWER_HALF_END - m->phys) / PAGE) {
			kprintf("vm: EFI runtime region at 0x%lx is above 2^47; left unmapped\n", m->phys);
			continue;
		}
		bool io = m->type == BI_MEM_MMIO || m->type == BI_MEM_MMIO_PORT;
		uint64_t flags = PTE_W;
		if (io || !(m->attr & EFI_MEMORY_WB))
			flags |= PTE_PCD | PTE_PWT;
		if (io)
			flags |= PTE_NX;
		map_range(m->phys, m->phys, m->pages * PAGE, flags);
	}
}

/* PAT entry 1 (PWT alone in a PTE) becomes write-combining, the rest stay
 * at their reset values (WB, WT, UC-, UC, ...): vm_map_mmio_as(VM_WC) for
 * the framebuffer. Nothing maps with PWT alone before this, and every CPU
 * gets it before it loads our tables, so no CPU sees another type. */
#define MSR_PAT 0x277
#define PAT_VALUE 0x0007040600070106ull
static bool have_pat;

static void pat_setup(void)
{
	uint32_t r[4];
	x86_cpuid(1, 0, r);
	have_pat = r[3] & (1u << 16);
	if (have_pat)
		wrmsr(MSR_PAT, PAT_VALUE);
}

void vm_init(void)
{
	pat_setup();
	pml4 = table_alloc();
	pml4_phys = virt_to_phys(pml4);
	map_direct();
	map_image();
	map_efi_runtime();
	cpu_setup();                                        /* NXE, WP, PGE */
	write_cr3(pml4_phys);
}

/* vm_switch loads the runtime's tables on another CPU. */
void vm_switch(void)
{
	pat_setup();
	write_cr3(pml4_phys);
}

/* vm_map_page backs va with the page at pa, read-write, no-execute. */
void vm_map_page(uint64_t va, uint64_t pa)
{
	uint64_t fl = spin_lock_irqsave(&vmlock);
	*walk(va, true, false) = (pa & PTE_ADDR) | PTE_P | PTE_W | PTE_NX;
	spin_unlock_irqrestore(&vmlock, fl);
}

/* vm_prepare_tables builds the page-table levels above the last one for
 * [va, va + len): mapping a page there later allocates at most its
 * last-level table. */
void vm_prepare_tables(uint64_t va, uint64_t len)
{
	if (len == 0)
		return;
	uint64_t fl = spin_lock_irqsave(&vmlock);
	/* one walk per page directory (1 GiB), and one for the last byte */
	for (uint64_t a = va; a - va < len; a = (a | ((1ull << 30) - 1)) + 1)
		walk(a, true, true);
	walk(va + len - 1, true, true);
	spin_unlock_irqrestore(&vmlock, fl);
}

/* vm_unmap_page removes va's page and returns its physical address (0 if
 * it was not mapped). Only this CPU's TLB is flushed: the callers unmap
 * memory no other CPU is using. */
uint64_t vm_unmap_page(uint64_t va)
{
	uint64_t fl = spin_lock_irqsave(&vmlock);
	uint64_t *e = walk(va, false, false);
	uint64_t pa = 0;
	if (e && (*e & PTE_P)) {
		pa = *e & PTE_ADDR;
		*e = 0;
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	}
	spin_unlock_irqrestore(&vmlock, fl);
	return pa;
}

#define VM_MMIO_BASE 0xffffe00000000000ull     /* device registers, uncached */
#define VM_MMIO_END  (VM_MMIO_BASE + (1ull << 30))
static uint64_t mmio_next = VM_MMIO_BASE;

/* vm_map_mmio maps device registers uncached (the direct map is
 * write-back; on a real PC the MTRRs would usually fix that, but the page
 * tables should say it themselves). */
void *vm_map_mmio(uint64_t pa, size_t len)
{
	return vm_map_mmio_as(pa, len, VM_UC);
}

/* vm_map_mmio_as maps device memory uncached or, for a framebuffer,
 * write-combining (PAT entry 1; write-through without a PAT): stores
 * gather into whole bursts, where uncached ones cross the bus one by one. */
void *vm_map_mmio_as(uint64_t pa, size_t len, int type)
{
	uint64_t cache = type == VM_WC ? PTE_PWT : PTE_PCD | PTE_PWT;
	uint64_t off = pa & (PAGE - 1), n = (off + len + PAGE - 1) & ~(PAGE - 1);
	uint64_t fl = spin_lock_irqsave(&vmlock);
	uint64_t va = mmio_next;
	if (va + n > VM_MMIO_END) {
		spin_unlock_irqrestore(&vmlock, fl);
		return NULL;
	}
	mmio_next += n;
	map_range(va, pa - off, n, PTE_W | PTE_NX | cache | PTE_G);
	spin_unlock_irqrestore(&vmlock, fl);
	return (void *)(va + off);
}

/* vm_mapped reports whether va is backed by a present page. */
bool vm_mapped(uint64_t va)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return false;
		if ((e & PTE_PS) || shift == 12)
			return true;
		t = phys_to_virt(e & PTE_ADDR);
	}
	return false;
}
