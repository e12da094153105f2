/*
 * desc.c - the GDT (with a TSS) and the IDT.
 *
 * Long mode needs little of the GDT: one code and one data segment for the
 * kernel, and a TSS whose interrupt stack table gives double faults and
 * page faults a known-good stack (a goroutine that overflows its stack
 * page-faults with rsp in the guard page; the handler must not run there).
 */
#include "kernel.h"
#include "cpu.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

#define IST_DF 1        /* double fault */
#define IST_PF 2        /* page fault */
#define IST_NMI 3

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

static uint64_t gdt[5];
static struct tss tss;
static struct idt_entry idt[256];
static uint8_t ist_stacks[3][16384] __attribute__((aligned(16)));

extern uint64_t trap_vectors[256];      /* trapasm.asm: one stub per vector */

static void load_gdt(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { sizeof gdt - 1, (uint64_t)gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t mov %1, %%es\n\t mov %1, %%ss\n\t"
		/* reload CS with a far return to the next instruction */
		"pushq %2\n\t leaq 1f(%%rip), %%rax\n\t pushq %%rax\n\t lretq\n"
		"1:\n\t"
		"mov %3, %%ax\n\t ltr %%ax\n\t"
		: : "m"(d), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "i"(SEL_TSS) : "rax", "memory");
}

/* gdt_init builds and loads the GDT. FS and GS are left alone: loading a
 * selector into GS would clear the GS base, which holds the per-CPU block. */
void gdt_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;   /* 64-bit code, present, ring 0 */
	gdt[2] = 0x00cf92000000ffffull;   /* data, present, writable */
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)&ist_stacks[i][sizeof ist_stacks[i]];
	tss.iomap_base = sizeof tss;
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	         (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
	load_gdt();
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
		set_gate(v, trap_vectors[v], 0);
	set_gate(T_DOUBLE_FAULT, trap_vectors[T_DOUBLE_FAULT], IST_DF);
	set_gate(T_PAGE_FAULT, trap_vectors[T_PAGE_FAULT], IST_PF);
	set_gate(T_NMI, trap_vectors[T_NMI], IST_NMI);
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}
