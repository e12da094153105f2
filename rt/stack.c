/*
 * stack.c - goroutine stacks (Go's stackinit/stackalloc/stackfree).
 *
 * For now every goroutine gets a fixed STACK_SIZE block from sysAlloc, and
 * freed stacks go on a free list for reuse. Guard pages and stacks that
 * grow a page at a time come with the runtime's own page tables.
 */
#include "runtime.h"
#include "os.h"

#define STACK_SIZE (64 * 1024)

struct freestack {
	struct freestack *next;
};

static struct mutex stacklock;
static struct freestack *stackfreelist;     /* stacklock */

void stackinit(void)
{
	stackfreelist = NULL;
}

struct stack stackalloc(uint32_t n)
{
	if (n != STACK_SIZE)
		throw("stackalloc: unsupported stack size");
	lock(&stacklock);
	struct freestack *s = stackfreelist;
	if (s)
		stackfreelist = s->next;
	unlock(&stacklock);
	void *v = s ? (void *)s : sysAlloc(n);
	if (!v)
		throw("out of memory allocating stack");
	return (struct stack){ (uintptr_t)v, (uintptr_t)v + n };
}

void stackfree(struct stack st)
{
	struct freestack *s = (struct freestack *)st.lo;
	lock(&stacklock);
	s->next = stackfreelist;
	stackfreelist = s;
	unlock(&stacklock);
}

uint32_t stacksize_default(void) { return STACK_SIZE; }
