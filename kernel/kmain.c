/*
 * kmain.c - the machine's side of the hand-off: what an OS has done for a
 * Go program before _rt0 runs (a console, descriptors, trap handling),
 * done here for the runtime by kinit, which rt0_go calls first.
 */
#include "kernel.h"
#include "console.h"
#include "cpu.h"

static void enable_xsave(void);

struct bootinfo *bootinfo;
uint64_t kernel_phys_base;      /* physical address of KERNEL_BASE */

void ksym_init(const void *file, uint64_t symoff, uint64_t symsize, uint64_t stroff, uint64_t strsz);

/* A struct from another loader build cannot be read field by field. */
static void check_bootinfo(const struct bootinfo *bi)
{
	if (bi->magic == BOOTINFO_MAGIC && bi->version == BOOTINFO_VERSION && bi->size == sizeof *bi)
		return;
	kprintf("kernel: boot info from an incompatible loader (want version %d)\n", BOOTINFO_VERSION);
	kprintf("exit status 2\n");
	machine_exit(2);
}

/* The tables vm.c builds are 4-level: under CR4.LA57 they would be read
 * as a PML5. The loader leaves 5-level mode; a loader that did not is
 * refused here rather than faulting at the first CR3 load. */
static void check_paging(void)
{
	if (!(read_cr4() & (1ull << 12)))
		return;
	kprintf("kernel: handed over with 5-level paging on (CR4.LA57); the kernel needs 4-level\n");
	kprintf("exit status 2\n");
	machine_exit(2);
}

/* cpu_setup sets the control bits every CPU runs with: SSE on (CR0.MP,
 * no EM, CR4.OSFXSR|OSXMMEXCPT; UEFI does this for the boot CPU, an AP
 * starts without), global pages, write protection for the kernel too, NX. */
void cpu_setup(void)
{
	write_cr0((read_cr0() & ~(1ull << 2)) | (1ull << 1) | (1ull << 16));
	write_cr4(read_cr4() | (1ull << 9) | (1ull << 10) | (1ull << 7));
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1ull << 11));
	enable_xsave();
}

static uint32_t xsave_size;

/* enable_xsave turns on XSAVE (CR4.OSXSAVE) with every state component
 * the CPU has among x87, SSE and AVX, so programs may use AVX and a
 * preempted goroutine's vector registers can be saved whole. */
static void enable_xsave(void)
{
	uint32_t r[4];
	x86_cpuid(1, 0, r);
	if (!(r[2] & (1u << 26)))
		return;                 /* no XSAVE: FXSAVE covers x87 and SSE */
	write_cr4(read_cr4() | (1ull << 18));
	x86_cpuid(0xd, 0, r);
	uint64_t xcr0 = 0x3 | (r[0] & 0x4);     /* x87, SSE, and AVX if present */
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
	x86_cpuid(0xd, 0, r);
	xsave_size = r[1];              /* EBX: size for the components now enabled */
}

uint32_t cpu_xsave_size(void) { return xsave_size; }

void kinit(uint64_t bootinfo_phys)
{
	struct bootinfo *bi = phys_to_virt(bootinfo_phys);
	serial_init();                  /* first: everything after may need to speak */
	check_bootinfo(bi);
	check_paging();
	bootinfo = bi;
	kernel_phys_base = bi->kernel_phys - (bi->kernel_virt - KERNEL_BASE);
	if (bi->fb.base)
		fbcons_init(phys_to_virt(bi->fb.base), bi->fb.width, bi->fb.height, bi->fb.stride,
		            bi->fb.format, bi->fb_text_end);
	gdt_init();                     /* our GDT and TSS (interrupt stacks) */
	idt_init();                     /* every vector to trap() */
	cpu_setup();
	ksym_init(phys_to_virt(bi->kernel_file), bi->symtab_off, bi->symtab_size,
	          bi->strtab_off, bi->strtab_size);
	physmem_init();                 /* free pages from the memory map */
	vm_init();                      /* our page tables: W^X, NX direct map, no page 0 */
	console_probe();                /* every serial console; the framebuffer write-combining */
	/* the 8259 PICs stay masked: interrupts come through the APIC */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

const char *kcmdline(void) { return bootinfo->cmdline; }
