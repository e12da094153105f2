/*
 * stack.c - goroutine stacks (Go's stackinit/stackalloc).
 *
 * Go copies a goroutine's stack to a bigger one when it runs out; C cannot
 * move a stack (pointers into it are everywhere), so here each goroutine
 * owns a fixed slot of address space, stackmax bytes (command line
 * stackmax=, default 128 KiB), and the slot is backed one page at a time:
 *
 *   slot:  [guard page][ ...... unmapped until touched ...... ][top page]
 *                      ^ stack.lo                     stack.hi ^ g
 *
 * The goroutine's g sits at the top of its own top page, above the
 * stack, so a goroutine costs exactly one page until it needs more, plus
 * its share of a page table (16 slots per table at 128 KiB: 256 bytes).
 * The default is musl's thread stack size: deep enough for C code that
 * keeps big buffers off the stack, and it keeps that share to a sixteenth
 * of a page; stackmax=1048576 gives room for deep recursion at 2 KiB more
 * page table per goroutine. When the
 * goroutine touches the page below its lowest backed one, the page fault
 * comes here (stack_fault) and a zeroed page is mapped; the faulting
 * instruction then runs again. Touching the guard page is a stack
 * overflow: Go's "goroutine stack exceeds" message and a fatal error,
 * never silent corruption.
 *
 * A g and its slot stay together for good: dead Gs wait on the free lists
 * in proc.c with their stacks, and every page but the top one is given
 * back before reuse (stacktrim), so one deep recursion does not pin
 * memory forever.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define PAGE 4096ul
#define STACK_GUARD PAGE
#define STACK_SLOTS_SPACE (4ull << 40)  /* at most 4 TiB of address space for slots */

static uintptr_t stackmax;              /* bytes per slot: guard page, stack and g */
static uintptr_t slots_base, slots_end; /* the reserved region */
static uintptr_t slots_next;            /* never-used slots start here; stacklock */
static struct mutex stacklock;
static uint64_t stackpages;             /* backed stack pages; atomic */

uint64_t stackinuse(void) { return __atomic_load_n(&stackpages, __ATOMIC_RELAXED) * PAGE; }

/*
 * stackinit reserves one slot per page of memory (every live goroutine
 * holds at least a page, so more slots could never be used). When that
 * region's upper page-table levels are cheap (at most 1/1024 of memory,
 * true up to stackmax=1M) they are built now: then a goroutine's share of
 * page tables is its share of one last-level table, nothing more.
 */
void stackinit(void)
{
	int64_t max = getenv_int("stackmax", 128 * 1024, 16 * 1024, 1ll << 30);
	stackmax = ((uintptr_t)max + PAGE - 1) & ~(PAGE - 1);
	uint64_t pages = physPagesTotal();
	uint64_t space = pages * stackmax;
	if (space / stackmax != pages || space > STACK_SLOTS_SPACE)
		space = STACK_SLOTS_SPACE;
	slots_base = (uintptr_t)sysReserve(space);
	if (!slots_base)
		throw("stackinit: cannot reserve the stack region");
	slots_end = slots_base + space;
	slots_next = slots_base;
	sysDemandStacks((void *)slots_base, (void *)slots_end);
	if ((space >> 30) + 1 <= pages / 1024)
		sysMapTables((void *)slots_base, space);
}

uintptr_t stackmaxbytes(void) { return stackmax; }

static uintptr_t toppage(struct stack st)
{
	return (st.hi - 1) & ~(PAGE - 1);
}

/* stackalloc takes a never-used slot and backs its top page. The stack
 * returned spans the slot above the guard page; the caller puts its g at
 * the top and lowers hi. */
struct stack stackalloc(void)
{
	lock(&stacklock);
	uintptr_t slot = slots_next;
	if (slot + stackmax > slots_end) {
		unlock(&stacklock);
		throw("stackalloc: out of stack address space");
	}
	slots_next += stackmax;
	unlock(&stacklock);
	struct stack st = { slot + STACK_GUARD, slot + stackmax };
	if (!sysMap((void *)(st.hi - PAGE), PAGE)) {
		printf("runtime: cannot allocate a goroutine stack (%lu pages free)\n", physPagesFree());
		throw("out of memory");
	}
	__atomic_add_fetch(&stackpages, 1, __ATOMIC_RELAXED);
	return st;
}

/* stacktrim gives back every page of a dead G's stack but the top one,
 * which holds the g. */
void stacktrim(g *gp)
{
	uintptr_t top = toppage(gp->stack);
	if (gp->stackmapped < top)
		__atomic_sub_fetch(&stackpages, sysUnused((void *)gp->stackmapped, top - gp->stackmapped), __ATOMIC_RELAXED);
	gp->stackmapped = top;
}

/*
 * stack_fault is the page-fault path for goroutine stacks. A fault in the
 * current goroutine's slot below its backed pages maps them, down to the
 * faulting page (STACK_GROWN: run the instruction again); a fault in the
 * guard page below any stack, g0's included, is STACK_OVERFLOW; anything
 * else is not about stacks (STACK_NOTOURS).
 */
int stack_fault(uintptr_t addr)
{
	g *gp = getg();
	if (!gp || addr >= gp->stack.hi || addr < gp->stack.lo - STACK_GUARD)
		return STACK_NOTOURS;
	if (addr < gp->stack.lo)
		return STACK_OVERFLOW;
	if (gp == gp->m->g0)
		return STACK_NOTOURS;   /* g0 stacks are backed whole: a fault there is a bug */
	uintptr_t page = addr & ~(PAGE - 1);
	if (page >= gp->stackmapped)
		return STACK_NOTOURS;   /* already backed: a protection fault, not growth */
	if (!sysMap((void *)page, gp->stackmapped - page)) {
		printf("runtime: cannot grow the stack of goroutine %ld (%lu pages free)\n",
		       gp->goid, physPagesFree());
		throw("out of memory");
	}
	__atomic_add_fetch(&stackpages, (gp->stackmapped - page) / PAGE, __ATOMIC_RELAXED);
	gp->stackmapped = page;
	return STACK_GROWN;
}
