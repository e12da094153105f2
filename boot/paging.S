/*
 * paging.S - switch between 4-level and 5-level paging (CR4.LA57).
 *
 * The kernel builds and walks 4-level tables, but firmware on servers with
 * 5-level paging may hand over with CR4.LA57 set, and there a 4-level PML4
 * in CR3 would be read as a PML5. LA57 can change only while paging is
 * off, and paging can go off only in compatibility mode; so this code
 * leaves 64-bit mode for a 32-bit code segment, turns paging off, sets or
 * clears LA57, loads the new CR3 and turns paging on again (EFER.LME is
 * still set: that re-enters IA-32e mode), then far-jumps back to 64-bit
 * mode and returns. This is what Linux's EFI stub does on the same
 * machines.
 *
 * The code runs in 32-bit mode for a few instructions, so it must sit
 * below 4 GiB, mapped 1:1 by both the old and the new tables: the loader
 * copies paging_switch_start..paging_switch_end into a page it allocated
 * there and calls the copy. Everything is addressed from the copy's base
 * (rdi), so the copy needs no relocation. No stack is touched in 32-bit
 * mode (rsp may be above 4 GiB); the registers the caller keeps are saved
 * in the page, as the upper halves of registers are not promised to
 * survive the trip through compatibility mode.
 *
 * void paging_switch(uint64_t base, uint64_t cr3, uint64_t la57)   (SysV)
 *   base: the copy's address (< 4 GiB); cr3: the new root table (< 4 GiB);
 *   la57: 1 to turn 5-level paging on, 0 to turn it off.
 * Interrupts stay off afterwards; the GDT is the page's own.
 */

#define CR0_PG    0x80000000
#define CR4_LA57  0x1000

#define SEL_CODE64 0x08
#define SEL_CODE32 0x10
#define SEL_DATA   0x18

/* offsets in the page */
#define GDT     0x100
#define GDTR    0x140
#define FARPTR  0x150
#define SAVE    0x180

	.text
	.globl paging_switch_start, paging_switch_end
	.code64
paging_switch_start:
	cli
	mov	%rsp, SAVE+0x00(%rdi)
	mov	%rbx, SAVE+0x08(%rdi)
	mov	%rbp, SAVE+0x10(%rdi)
	mov	%r12, SAVE+0x18(%rdi)
	mov	%r13, SAVE+0x20(%rdi)
	mov	%r14, SAVE+0x28(%rdi)
	mov	%r15, SAVE+0x30(%rdi)

	/* the GDT's base and the way back, both depend on where the copy is */
	lea	GDT(%rdi), %rax
	mov	%rax, GDTR+2(%rdi)
	movw	$(gdt_end - gdt - 1), GDTR(%rdi)
	lea	(back64 - paging_switch_start)(%rdi), %rax
	movl	%eax, FARPTR(%rdi)
	movw	$SEL_CODE64, FARPTR+4(%rdi)
	lgdt	GDTR(%rdi)

	mov	%edi, %ebx			/* base, for the 32-bit part */
	/* esi: cr3, edx: la57 (the caller's registers, low halves kept) */
	lea	(compat32 - paging_switch_start)(%rdi), %rax
	pushq	$SEL_CODE32
	pushq	%rax
	lretq

	.code32
compat32:
	mov	%cr0, %eax
	and	$~CR0_PG, %eax
	mov	%eax, %cr0			/* paging off: IA-32e mode left */
	mov	%cr4, %eax
	and	$~CR4_LA57, %eax
	test	%edx, %edx
	jz	1f
	or	$CR4_LA57, %eax
1:	mov	%eax, %cr4
	mov	%esi, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0			/* paging on: IA-32e mode again */
	ljmp	*FARPTR(%ebx)

	.code64
back64:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	mov	%ebx, %edi
	mov	SAVE+0x00(%rdi), %rsp
	mov	SAVE+0x08(%rdi), %rbx
	mov	SAVE+0x10(%rdi), %rbp
	mov	SAVE+0x18(%rdi), %r12
	mov	SAVE+0x20(%rdi), %r13
	mov	SAVE+0x28(%rdi), %r14
	mov	SAVE+0x30(%rdi), %r15
	ret

	.org	GDT
gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 64-bit code */
	.quad	0x00cf9a000000ffff		/* 32-bit code */
	.quad	0x00cf92000000ffff		/* data */
gdt_end:
	.org	SAVE + 0x40
paging_switch_end:

	.section .note.GNU-stack,"",@progbits
