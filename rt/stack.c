/*
 * stack.c - goroutine stacks (Go's stackinit/stackalloc/stackfree).
 *
 * Go copies a goroutine's stack to a bigger one when it runs out; C cannot
 * move a stack (pointers into it are everywhere), so here each goroutine
 * owns a fixed slot of address space, stackmax bytes (command line
 * stackmax=, default 256 KiB) with an unmapped guard page below, and the
 * slot is backed one page at a time:
 *
 *   slot:  [guard page][ ...... unmapped until touched ...... ][top page]
 *          ^ lo - 4096  ^ stack.lo                   stack.hi ^
 *
 * Only the top page is backed at first, so a goroutine costs one page.
 * When the goroutine touches the page below its lowest backed one, the
 * page fault comes here (stack_fault) and a zeroed page is mapped; the
 * faulting instruction then runs again. Touching the guard page is a stack
 * overflow: Go's "goroutine stack exceeds" message and a fatal error,
 * never silent corruption.
 *
 * Freed stacks (dead Gs moving to the global free list, see proc.c) go to
 * a per-P cache of 32, then to a global list. A stack taken for reuse
 * gives back every page but the top one first, so one deep recursion does
 * not pin memory forever.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define PAGE 4096ul
#define STACK_GUARD PAGE
#define STACK_SLOTS_SPACE (4ull << 40)  /* address space for all slots: 4 TiB */

/* What a free stack keeps in its own top page (the stack is not in use). */
struct freestack {
	struct freestack *next;
	uintptr_t mapped_lo;            /* lowest backed address while it was in use */
};

static uintptr_t stackmax;              /* usable bytes per slot */
static uintptr_t slotsize;              /* stackmax + guard */
static uintptr_t slots_base, slots_end; /* the reserved region */
static uintptr_t slots_next;            /* never-used slots start here; stacklock */
static struct mutex stacklock;
static struct freestack *stackpool;     /* global free stacks; stacklock */
static uint64_t stackpages;             /* backed stack pages; atomic */

uint64_t stackinuse(void) { return __atomic_load_n(&stackpages, __ATOMIC_RELAXED) * PAGE; }

void stackinit(void)
{
	int64_t max = getenv_int("stackmax", 256 * 1024, 16 * 1024, 1ll << 30);
	stackmax = ((uintptr_t)max + PAGE - 1) & ~(PAGE - 1);
	slotsize = stackmax + STACK_GUARD;
	slots_base = (uintptr_t)sysReserve(STACK_SLOTS_SPACE);
	if (!slots_base)
		throw("stackinit: cannot reserve the stack region");
	slots_end = slots_base + STACK_SLOTS_SPACE;
	slots_next = slots_base;
}

uintptr_t stackmaxbytes(void) { return stackmax; }

static struct stack slotstack(uintptr_t slot)
{
	return (struct stack){ slot + STACK_GUARD, slot + slotsize };
}

static struct freestack *freestack_of(struct stack st)
{
	return (struct freestack *)(st.hi - sizeof(struct freestack));
}

/* trim gives back every page of a reused stack but its top one. */
static void trim(struct stack st, uintptr_t mapped_lo)
{
	if (mapped_lo < st.hi - PAGE)
		__atomic_sub_fetch(&stackpages, sysUnused((void *)mapped_lo, st.hi - PAGE - mapped_lo), __ATOMIC_RELAXED);
}

/* newslot takes a never-used slot and backs its top page. */
static struct stack newslot(void)
{
	lock(&stacklock);
	uintptr_t slot = slots_next;
	if (slot + slotsize > slots_end) {
		unlock(&stacklock);
		throw("stackalloc: out of stack address space");
	}
	slots_next += slotsize;
	unlock(&stacklock);
	struct stack st = slotstack(slot);
	if (!sysMap((void *)(st.hi - PAGE), PAGE)) {
		printf("runtime: cannot allocate a goroutine stack (%lu pages free)\n", physPagesFree());
		throw("out of memory");
	}
	__atomic_add_fetch(&stackpages, 1, __ATOMIC_RELAXED);
	return st;
}

/* stackalloc returns a stack with its top page backed. gp's P cache is
 * used without a lock (owner only; the caller holds acquirem). */
struct stack stackalloc(void)
{
	p *pp = getg()->m->p;
	struct freestack *fs = NULL;
	if (pp && pp->nstackcache > 0) {
		fs = pp->stackcache[--pp->nstackcache];
	} else {
		lock(&stacklock);
		fs = stackpool;
		if (fs)
			stackpool = fs->next;
		unlock(&stacklock);
	}
	if (!fs)
		return newslot();
	struct stack st = { (uintptr_t)fs + sizeof *fs - stackmax, (uintptr_t)fs + sizeof *fs };
	trim(st, fs->mapped_lo);
	return st;
}

/* stackfree returns a stack that is no longer used; mapped_lo is the
 * lowest address backed while it was in use. */
void stackfree(struct stack st, uintptr_t mapped_lo)
{
	struct freestack *fs = freestack_of(st);
	fs->mapped_lo = mapped_lo;
	p *pp = getg()->m->p;
	if (pp && pp->nstackcache < STACK_CACHE) {
		pp->stackcache[pp->nstackcache++] = fs;
		return;
	}
	lock(&stacklock);
	fs->next = stackpool;
	stackpool = fs;
	unlock(&stacklock);
}

/* stackreuse readies a dead G's own stack for its next goroutine. */
void stackreuse(g *gp)
{
	trim(gp->stack, gp->stackmapped);
	gp->stackmapped = gp->stack.hi - PAGE;
}

/* stackcache_flush moves a P's cached stacks to the global list (a P going away). */
void stackcache_flush(p *pp)
{
	lock(&stacklock);
	while (pp->nstackcache > 0) {
		struct freestack *fs = pp->stackcache[--pp->nstackcache];
		fs->next = stackpool;
		stackpool = fs;
	}
	unlock(&stacklock);
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
