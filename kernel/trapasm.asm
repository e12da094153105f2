; trapasm.asm - the IDT's entry stubs and the common trap path.
;
; Each vector has a stub that makes the stack look the same whatever the
; CPU pushed: it pushes a zero where the CPU pushes no error code, then the
; vector number, then jumps to trap_common, which saves the general
; registers in the order of struct trapframe (kernel/kernel.h) and calls
; trap(struct trapframe *).

bits 64
default rel

extern trap

; vectors for which the CPU pushes an error code
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text

%assign v 0
%rep 256
align 16
trap_stub_ %+ v:
%if HAS_ERROR(v) == 0
	push	qword 0			; no error code from the CPU
%endif
	push	qword v
	jmp	trap_common
%assign v v+1
%endrep

; void trap_common(void): the frame is on the stack; interrupts are off
; (interrupt gates), so nothing interleaves with the save.
trap_common:
	push	rax
	push	rbx
	push	rcx
	push	rdx
	push	rsi
	push	rdi
	push	rbp
	push	r8
	push	r9
	push	r10
	push	r11
	push	r12
	push	r13
	push	r14
	push	r15
	cld
	mov	rdi, rsp		; struct trapframe *
	mov	rbx, rsp		; callee-saved: the frame, for the return
	and	rsp, -16		; the C ABI wants 16-byte alignment at the call
	call	trap
	mov	rsp, rbx
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	r11
	pop	r10
	pop	r9
	pop	r8
	pop	rbp
	pop	rdi
	pop	rsi
	pop	rdx
	pop	rcx
	pop	rbx
	pop	rax
	add	rsp, 16			; vector and error code
	iretq

section .rodata
align 8
global trap_vectors
trap_vectors:
%assign v 0
%rep 256
	dq	trap_stub_ %+ v
%assign v v+1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
