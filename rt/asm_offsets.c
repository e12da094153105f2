/*
 * asm_offsets.c - struct offsets for the assembly files. Compiled to
 * assembly only (never linked); the Makefile turns each "->NAME value" line
 * into "%define NAME value" in build/gen/asm_offsets.inc.
 */
#include "runtime2.h"

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %c0" : : "i"(value))
#define OFFSET(name, type, field) DEFINE(name, offsetof(type, field))

/* Assembly also assumes these, whatever the generated numbers say. */
_Static_assert(offsetof(struct m, g0) == 0, "m.g0 must come first");
_Static_assert(offsetof(struct g, stack) == 0, "g.stack must come first");
_Static_assert(offsetof(struct gobuf, sp) == 0, "gobuf.sp must come first");

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(g_stack_lo, struct g, stack.lo);
	OFFSET(g_stack_hi, struct g, stack.hi);
	OFFSET(g_stackguard0, struct g, stackguard0);
	OFFSET(g_sched, struct g, sched);
	OFFSET(g_m, struct g, m);
	OFFSET(g_asyncpc, struct g, asyncpc);
	OFFSET(m_g0, struct m, g0);
	OFFSET(m_tls, struct m, tls);
	OFFSET(m_curg, struct m, curg);
	OFFSET(gobuf_sp, struct gobuf, sp);
	OFFSET(gobuf_pc, struct gobuf, pc);
	OFFSET(gobuf_g, struct gobuf, g);
	OFFSET(gobuf_ctxt, struct gobuf, ctxt);
	OFFSET(gobuf_bp, struct gobuf, bp);
	OFFSET(gobuf_bx, struct gobuf, bx);
	OFFSET(gobuf_r12, struct gobuf, r12);
	OFFSET(gobuf_r13, struct gobuf, r13);
	OFFSET(gobuf_r14, struct gobuf, r14);
	OFFSET(gobuf_r15, struct gobuf, r15);
}
