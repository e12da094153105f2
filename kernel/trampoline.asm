; trampoline.asm - where an application processor starts: in real mode, at
; the page a STARTUP IPI names (CS = page << 8, IP = 0). smp.c copies this
; blob to a page below 1 MiB and fills in the parameter block at its end
; (struct trampoline_params in smp.c) before sending the IPI. The code must
; not depend on where it was copied: everything absolute (the GDT's base,
; the far-jump targets) comes from the parameters.
;
; real mode --lgdt, CR0.PE--> 32-bit protected mode --CR4.PAE, CR3,
; EFER.LME+NXE, CR0.PG--> long mode (compatibility) --far jump--> 64-bit
; mode, still at the trampoline's low address --> the kernel's C entry at
; its high address, on the stack the boot CPU prepared.

bits 16
default abs

section .rodata
align 16
global trampoline_start, trampoline_end

%define SEL_CODE32 0x08
%define SEL_DATA32 0x10
%define SEL_CODE64 0x18

; offsets of the parameter block within the page (match smp.c)
%define P_GDTR      0xf00	; u16 limit, u32 base: the GDT below, at its copied address
%define P_PROT_PTR  0xf08	; u32 offset, u16 selector: far pointer to prot32
%define P_LONG_PTR  0xf10	; u32 offset, u16 selector: far pointer to long64
%define P_CR3       0xf18	; u32: the trampoline's page tables (below 4 GiB)
%define P_STACK     0xf20	; u64: stack top for the C entry
%define P_ENTRY     0xf28	; u64: the C entry, void entry(void *arg)
%define P_ARG       0xf30	; u64
%define P_GDT       0xf40	; 4 descriptors

trampoline_start:
	cli
	cld
	mov	ax, cs
	mov	ds, ax				; parameters are addressed from our page
	xor	ebx, ebx
	mov	bx, ax
	shl	ebx, 4				; ebx = linear address of this page, kept to the end
	lgdt	[P_GDTR]
	mov	eax, cr0
	or	eax, 1				; protection on
	mov	cr0, eax
	o32 jmp far [P_PROT_PTR]		; loads CS with the 32-bit code segment

bits 32
prot32:					; (the copy of) this address is in P_PROT_PTR
	mov	ax, SEL_DATA32
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	eax, cr4
	or	eax, (1 << 5) | (1 << 7)	; PAE, PGE
	mov	cr4, eax
	mov	eax, [ebx + P_CR3]
	mov	cr3, eax
	mov	ecx, 0xc0000080			; EFER
	rdmsr
	or	eax, (1 << 8) | (1 << 11)	; LME, NXE (the kernel's tables use NX)
	wrmsr
	mov	eax, cr0
	or	eax, (1 << 31) | (1 << 16)	; paging, write protect
	mov	cr0, eax			; now in long mode, compatibility submode
	jmp	far [ebx + P_LONG_PTR]

bits 64
long64:
	mov	ebx, ebx			; upper halves are undefined after the mode switch
	mov	rsp, [rbx + P_STACK]
	push	qword 0				; a return address: the C ABI's alignment at entry
	xor	ebp, ebp			; end of the frame-pointer chain
	mov	rdi, [rbx + P_ARG]
	mov	rax, [rbx + P_ENTRY]
	jmp	rax

global trampoline_prot32_off, trampoline_long64_off
trampoline_end:

section .rodata
trampoline_prot32_off:	dd	prot32 - trampoline_start
trampoline_long64_off:	dd	long64 - trampoline_start

section .note.GNU-stack noalloc noexec nowrite progbits
