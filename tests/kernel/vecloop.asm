; vecloop.asm - vector registers that must survive preemption (preempt_test.c).

bits 64
default rel

section .text

; uint64_t vecloop_sse(uint64_t seed, uint64_t iterations):
; fills both halves of xmm0-xmm15 from seed, then keeps checking every
; one of them while it spins; returns the number of iterations in which a
; register did not hold its value (0 when nothing clobbered them).
; SSE2 only (movdqu through memory), for CPUs like qemu64.
global vecloop_sse:function
vecloop_sse:
	push	rbx
	push	rbp
	mov	rbp, rsp
	sub	rsp, 16
	and	rsp, -16
%assign i 0
%rep 16
	lea	rax, [rdi + i]
	mov	[rsp], rax
	mov	[rsp + 8], rax
	movdqu	xmm %+ i, [rsp]
%assign i i+1
%endrep
	xor	ebx, ebx			; bad iterations
.loop:
%assign i 0
%rep 16
	lea	rax, [rdi + i]
	movdqu	[rsp], xmm %+ i
	cmp	[rsp], rax
	jne	.bad
	cmp	[rsp + 8], rax
	jne	.bad
%assign i i+1
%endrep
	jmp	.next
.bad:
	inc	rbx
.next:
	dec	rsi
	jnz	.loop
	mov	rax, rbx
	mov	rsp, rbp
	pop	rbp
	pop	rbx
	ret

; uint64_t vecloop_avx(uint64_t seed, uint64_t iterations): the same for
; the upper halves of ymm0-ymm15 (call only where the CPU has AVX).
global vecloop_avx:function
vecloop_avx:
	push	rbx
	push	rbp
	mov	rbp, rsp
	sub	rsp, 32
	and	rsp, -32
%assign i 0
%rep 16
	lea	rax, [rdi + i]
	mov	[rsp], rax
	mov	[rsp + 8], rax
	mov	[rsp + 16], rax
	mov	[rsp + 24], rax
	vmovdqu	ymm %+ i, [rsp]
%assign i i+1
%endrep
	xor	ebx, ebx
.loop:
%assign i 0
%rep 16
	lea	rax, [rdi + i]
	vmovdqu	[rsp], ymm %+ i
	cmp	[rsp + 24], rax
	jne	.bad
	cmp	[rsp], rax
	jne	.bad
%assign i i+1
%endrep
	jmp	.next
.bad:
	inc	rbx
.next:
	dec	rsi
	jnz	.loop
	vzeroupper
	mov	rax, rbx
	mov	rsp, rbp
	pop	rbp
	pop	rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
