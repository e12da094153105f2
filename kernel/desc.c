/*
 * desc.c - the GDT (with a TSS) and the IDT.
 *
 * Long mode needs little of the GDT: one code and one data segment for the
 * kernel, and a TSS whose interrupt stack table (IST) gives every vector a
 * stack of its CPU's own. Goroutine stacks are backed a page at a time, so
 * the goroutine's stack is no place for the CPU to push a frame: a push
 * onto an unbacked page would fault while the vector is already accepted
 * (a timer or IPI lost for good, its in-service bit never cleared), and a
 * goroutine that overflows page-faults with rsp in the guard page. So:
 *
 *   IST_DF    double fault
 *   IST_PF    page fault (stack growth runs here)
 *   IST_NMI   NMI (the lockup watchdog's report runs here)
 *   IST_EXC   every other exception
 *   IST_IRQ   every interrupt and IPI (vectors 32 and up), as Linux's
 *             irq stacks
 *
 * Interrupt gates keep interrupts off in every handler and nothing in them
 * turns them on, so one stack per kind cannot be entered twice; a fault
 * inside a handler lands on another kind's stack.
 */
#include "kernel.h"
#include "cpu.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

enum { IST_DF = 1, IST_PF, IST_NMI, IST_EXC, IST_IRQ, NIST = IST_IRQ };

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
} __attribute__((packed));

#define IST_SIZE 16384

/* What each CPU needs of its own: a GDT (its TSS descriptor differs), the
 * TSS, and the interrupt stacks. */
struct cpudesc {
	uint64_t gdt[5];
	struct tss tss;
	uint8_t ist[NIST][IST_SIZE] __attribute__((aligned(16)));
};

static struct cpudesc bspdesc;          /* the boot CPU's, before pages can be allocated */
static struct idt_entry idt[256];

extern uint64_t trap_vectors[256];      /* trapasm.asm: one stub per vector */

static void load_gdt(uint64_t *gdt, size_t size)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { (uint16_t)(size - 1), (uint64_t)gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t mov %1, %%es\n\t mov %1, %%ss\n\t"
		/* reload CS with a far return to the next instruction */
		"pushq %2\n\t leaq 1f(%%rip), %%rax\n\t pushq %%rax\n\t lretq\n"
		"1:\n\t"
		"mov %3, %%ax\n\t ltr %%ax\n\t"
		: : "m"(d), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "i"(SEL_TSS) : "rax", "memory");
}

/* gdt_load builds and loads a CPU's GDT and TSS. FS and GS are left
 * alone: loading a selector into GS would clear the GS base, which holds
 * the per-CPU block. */
static void gdt_load(struct cpudesc *c)
{
	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffull;      /* 64-bit code, present, ring 0 */
	c->gdt[2] = 0x00cf92000000ffffull;      /* data, present, writable */
	for (int i = 0; i < NIST; i++)
		c->tss.ist[i] = (uint64_t)&c->ist[i][IST_SIZE];
	c->tss.iomap_base = sizeof c->tss;
	uint64_t base = (uint64_t)&c->tss, limit = sizeof c->tss - 1;
	c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	            (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	c->gdt[4] = base >> 32;
	load_gdt(c->gdt, sizeof c->gdt);
}

void gdt_init(void)
{
	gdt_load(&bspdesc);
}

/* gdt_init_ap gives an application processor descriptors of its own. */
void gdt_init_ap(void)
{
	struct cpudesc *c = page_alloc((sizeof *c + 4095) / 4096);
	if (!c) {
		kprintf("fatal error: out of memory for a CPU's descriptors\nexit status 2\n");
		machine_exit(2);
	}
	gdt_load(c);
}

static void set_gate(int v, uint64_t handler, int ist)
{
	idt[v] = (struct idt_entry){
		.off0 = handler & 0xffff, .sel = SEL_KCODE, .ist = (uint8_t)ist,
		.type = 0x8e,           /* present, ring 0, 64-bit interrupt gate */
		.off1 = (handler >> 16) & 0xffff, .off2 = (uint32_t)(handler >> 32),
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_vectors[v], v < 32 ? IST_EXC : IST_IRQ);
	set_gate(T_DOUBLE_FAULT, trap_vectors[T_DOUBLE_FAULT], IST_DF);
	set_gate(T_PAGE_FAULT, trap_vectors[T_PAGE_FAULT], IST_PF);
	set_gate(T_NMI, trap_vectors[T_NMI], IST_NMI);
	idt_load();
}

/* idt_load loads the (shared) IDT on this CPU. */
void idt_load(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}
