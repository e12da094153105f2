; asm_amd64.asm - the runtime's assembly, as Go's asm_amd64.s: only what C
; cannot do. _rt0_amd64 and rt0_go (the boot sequence, a column of calls),
; gogo and mcall (switching goroutine stacks), goexit_asm (where every
; goroutine returns to). Struct offsets come from asm_offsets.inc,
; generated from runtime2.h.

bits 64
default rel

%include "asm_offsets.inc"

%define G0_STACK_SIZE	65536

extern osearlyinit, checkcpu, check, args, osinit, schedinit, newproc, mstart
extern settls, runtime_main, goexit1, badmcall, badmcall2, inittrace_mark
extern g0, m0, asyncPreempt2, xsave_bytes

global _rt0_amd64:function, rt0_go:function, gogo:function, mcall:function, systemstack:function
global goexit_asm:function, abort:function, g0_guard, g0_stack, g0_stack_top
global asyncPreempt:function, runtime_asm_start, runtime_asm_end

section .text

runtime_asm_start:			; preempt.c: no asynchronous preemption in here
	int3				; a byte of its own, so no function shares its address

; void _rt0_amd64(uint64_t bootinfo_phys): common amd64 start, as Go's;
; the argument stays in rdi for rt0_go.
_rt0_amd64:
	jmp	rt0_go

; void rt0_go(uint64_t bootinfo_phys): the boot sequence. Never returns.
rt0_go:
	mov	r12, rdi			; bootinfo, kept in a callee-saved register

	; g0 stack: a block of this image (the loader's stack is left behind)
	lea	rsp, [g0_stack_top]
	xor	ebp, ebp			; end of the frame-pointer chain
	lea	rax, [g0]
	lea	rbx, [g0_stack]
	mov	[rax + g_stack_lo], rbx
	add	rbx, 1024			; Go's stack guard: keep a margin for the fault path
	mov	[rax + g_stackguard0], rbx
	lea	rbx, [g0_stack_top]
	mov	[rax + g_stack_hi], rbx

	; m0.g0 = g0, g0.m = m0
	lea	rcx, [m0]
	mov	[rcx + m_g0], rax
	mov	[rax + g_m], rcx

	; our TLS: GS base -> m0.tls, and tls[0] = g0, so getg() works
	lea	rdi, [rcx + m_tls]
	call	settls
	lea	rax, [g0]
	mov	[gs:0], rax

	mov	rdi, r12
	call	osearlyinit			; console, GDT, IDT: what an OS gives a process
	lea	rdi, [name_rt0_go]
	call	inittrace_mark
	call	checkcpu			; CPUID: "runtime: this CPU lacks ..."
	cld
	call	check				; type sizes, atomics
	call	args				; the kernel command line
	call	osinit				; CPUs, page size, TSC frequency
	call	schedinit			; Ms, Ps, stacks, heap, GOMAXPROCS

	; create a new goroutine to start the program
	lea	rdi, [name_newproc]
	call	inittrace_mark
	lea	rdi, [runtime_main]
	xor	esi, esi
	call	newproc

	; start this M
	call	mstart
	call	abort				; mstart should never return

; void gogo(struct gobuf *buf): resume the context saved in buf.
gogo:
	mov	rdx, [rdi + gobuf_g]
	mov	[gs:0], rdx			; setg
	mov	rsp, [rdi + gobuf_sp]
	mov	rbp, [rdi + gobuf_bp]
	mov	rbx, [rdi + gobuf_bx]
	mov	r12, [rdi + gobuf_r12]
	mov	r13, [rdi + gobuf_r13]
	mov	r14, [rdi + gobuf_r14]
	mov	r15, [rdi + gobuf_r15]
	mov	rax, [rdi + gobuf_pc]
	mov	rdi, [rdi + gobuf_ctxt]		; a new goroutine's argument
	jmp	rax

; void mcall(void (*fn)(g *gp)): save the current goroutine's context in
; gp->sched, switch to its m's g0 stack and call fn(gp). fn must not
; return; the goroutine continues after mcall when something gogo's it.
mcall:
	mov	rax, [gs:0]			; gp
	mov	rcx, [rsp]			; our return address: where gp resumes
	mov	[rax + g_sched + gobuf_pc], rcx
	lea	rcx, [rsp + 8]			; gp's sp as if mcall had returned
	mov	[rax + g_sched + gobuf_sp], rcx
	mov	[rax + g_sched + gobuf_g], rax
	mov	[rax + g_sched + gobuf_bp], rbp
	mov	[rax + g_sched + gobuf_bx], rbx
	mov	[rax + g_sched + gobuf_r12], r12
	mov	[rax + g_sched + gobuf_r13], r13
	mov	[rax + g_sched + gobuf_r14], r14
	mov	[rax + g_sched + gobuf_r15], r15

	mov	rcx, [rax + g_m]
	mov	rsi, [rcx + m_g0]
	cmp	rsi, rax
	je	.on_g0				; mcall from g0 is a runtime bug
	mov	[gs:0], rsi			; setg(g0)
	mov	rsp, [rsi + g_sched + gobuf_sp]
	and	rsp, -16
	xor	ebp, ebp
	mov	rdx, rdi
	mov	rdi, rax
	call	rdx
	call	badmcall2			; fn returned
.on_g0:
	call	badmcall

; void systemstack(void (*fn)(void *), void *arg): call fn(arg) on this
; M's g0 stack, with g0 as getg(), and come back (Go's systemstack). On g0
; already, fn is simply called. g0's stack below g0.sched.sp is free while
; a goroutine runs: only mcall's functions use it, and they never return.
; Neither preemption (g0 is no safe point) nor a fault can move the caller
; to another M in between, so the M read here is the M that returns.
systemstack:
	push	rbp
	mov	rbp, rsp			; a frame, so a traceback on g0 finds the caller
	mov	rax, [gs:0]			; gp
	mov	rcx, [rax + g_m]
	mov	rdx, [rcx + m_g0]
	cmp	rax, rdx
	je	.call				; on g0: no switch
	push	rbx
	push	r12
	mov	rbx, rax			; callee-saved: gp and its sp, for the way back
	mov	r12, rsp
	mov	[gs:0], rdx			; setg(g0)
	mov	rsp, [rdx + g_sched + gobuf_sp]
	and	rsp, -16
	mov	rax, rdi
	mov	rdi, rsi
	call	rax
	mov	rsp, r12
	mov	[gs:0], rbx			; setg(gp)
	pop	r12
	pop	rbx
	pop	rbp
	ret
.call:
	mov	rax, rdi
	mov	rdi, rsi
	call	rax
	pop	rbp
	ret

; goexit_asm: newproc plants goexit_asm+1 as the return address at the
; top of every goroutine stack, so returning from the goroutine's function
; finishes the goroutine. The nop makes that address lie inside goexit_asm
; for tracebacks.
goexit_asm:
	nop
	call	goexit1
	call	abort

; void abort(void): a runtime bug; stop here for the debugger.
abort:
	ud2
	jmp	abort

; asyncPreempt: the interrupt handler made the preempted goroutine "call"
; this at the interrupted instruction (preempt.c; the pc is in g.asyncpc).
; Everything the goroutine could be using is saved on its own stack - the
; general registers, the flags, the x87/SSE/AVX state (XSAVE, or FXSAVE
; without it) - then asyncPreempt2 puts it on the global run queue. When
; it runs again, everything is restored and it returns to that pc.
; The first instructions must not change the flags before pushfq.
%define SAVED_AFTER_RBP	15		; flags, rax, rbx, rcx, rdx, rsi, rdi, r8-r15
asyncPreempt:
	lea	rsp, [rsp - 8]			; the return address goes here
	push	rbp
	mov	rbp, rsp			; a frame: [rbp] old rbp, [rbp + 8] return address
	pushfq
	push	rax
	mov	rax, [gs:0]
	mov	rax, [rax + g_asyncpc]
	mov	[rbp + 8], rax
	push	rbx
	push	rcx
	push	rdx
	push	rsi
	push	rdi
	push	r8
	push	r9
	push	r10
	push	r11
	push	r12
	push	r13
	push	r14
	push	r15
	mov	eax, [xsave_bytes]
	test	eax, eax
	jz	.fxsave
	sub	rsp, rax
	and	rsp, -64			; XSAVE wants 64-byte alignment
	xor	eax, eax
	mov	[rsp + 512], rax		; the XSAVE header: XRSTOR wants XCOMP_BV
	mov	[rsp + 520], rax		; and the reserved bytes zero
	mov	[rsp + 528], rax
	mov	[rsp + 536], rax
	mov	[rsp + 544], rax
	mov	[rsp + 552], rax
	mov	[rsp + 560], rax
	mov	[rsp + 568], rax
	mov	eax, -1				; every enabled component
	mov	edx, -1
	xsave	[rsp]
	call	asyncPreempt2
	mov	eax, -1
	mov	edx, -1
	xrstor	[rsp]
	jmp	.restore
.fxsave:
	sub	rsp, 512
	and	rsp, -16
	fxsave	[rsp]
	call	asyncPreempt2
	fxrstor	[rsp]
.restore:
	lea	rsp, [rbp - SAVED_AFTER_RBP * 8]
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	r11
	pop	r10
	pop	r9
	pop	r8
	pop	rdi
	pop	rsi
	pop	rdx
	pop	rcx
	pop	rbx
	pop	rax
	popfq
	pop	rbp
	ret

runtime_asm_end:
	int3

section .rodata
name_rt0_go:	db	"rt0_go", 0
name_newproc:	db	"newproc", 0

section .bss
alignb 4096
g0_guard:	resb	4096			; left unmapped by kernel/vm.c: overflow faults
g0_stack:	resb	G0_STACK_SIZE
g0_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
