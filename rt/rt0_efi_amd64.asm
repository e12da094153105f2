; rt0_efi_amd64.asm - the kernel ELF's entry point, as Go's
; rt0_linux_amd64.s is a Go program's: the loader (boot/loader.c) jumps
; here with interrupts off, on its own stack, on the page tables it built,
; and rdi = physical address of struct bootinfo.

bits 64
default rel

extern _rt0_amd64
global _rt0_amd64_efi:function
global rt0_tsc

section .text

; void _rt0_amd64_efi(uint64_t bootinfo_phys)
_rt0_amd64_efi:
	; the first instruction of the runtime: time zero for inittrace
	mov	rsi, rdi
	rdtsc
	shl	rdx, 32
	or	rax, rdx
	mov	[rt0_tsc], rax
	mov	rdi, rsi
	jmp	_rt0_amd64

section .data
align 8
rt0_tsc:	dq	0	; TSC at _rt0_amd64_efi

section .note.GNU-stack noalloc noexec nowrite progbits
