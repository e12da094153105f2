/*
 * mem_baremetal.c - the runtime's memory from the machine, as Go's
 * mem_linux.go, with Go's names:
 *
 *   sysReserve  address space only: a range of the runtime's dynamic
 *               region, nothing behind it (touching it faults)
 *   sysMap      back a reserved range with zeroed pages, read-write, NX
 *   sysUnused   give a range's pages back to the page allocator; the
 *               range stays reserved and may be sysMap'ed again
 *   sysAlloc    sysReserve + sysMap
 *   sysMapTables  build a reserved range's upper page-table levels now
 *
 * Reservations are never returned: the region (32 TiB) is far larger
 * than any machine's memory, so the stack slots and the heap arena simply
 * claim what they will ever use at boot.
 *
 * The machine layer's page allocator and page tables hold spin locks with
 * interrupts off, and stack growth (the page-fault path, stack_fault)
 * needs those very locks. So their callers must never run on a goroutine's
 * demand-backed stack: a fault there, inside the lock, would wait for the
 * lock forever. sysMap, sysUnused and sysMapTables switch to the M's g0
 * stack (Go's systemstack) when called on a goroutine's stack; the fault
 * path itself runs on the page fault's own stack and calls through. The
 * kernel checks the rule (a lock marked fixedstack).
 */
#include "runtime.h"
#include "os.h"
#include "benchtrace.h"
#include "../kernel/kernel.h"

#define PAGE 4096ull
#define MAXRUN 512                      /* pages asked for at once: 2 MiB */

static uint64_t reserve_next = VM_DYNAMIC_BASE;        /* atomic */

void *sysReserve(size_t n)
{
	n = (n + (2ull << 20) - 1) & ~((2ull << 20) - 1);  /* 2 MiB apart: tidy page tables */
	uint64_t v = __atomic_fetch_add(&reserve_next, n, __ATOMIC_RELAXED);
	if (v + n > VM_DYNAMIC_END || v + n < v)
		return NULL;
	return (void *)v;
}

/* ongstack: whether the caller runs on a goroutine's own (demand-backed)
 * stack rather than g0's, an interrupt's or a fault's. */
static bool ongstack(void)
{
	g *gp = getg();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return gp != gp->m->g0 && sp >= gp->stack.lo - PAGE && sp < gp->stack.hi;
}

struct sysargs {
	void *v;
	size_t n;
	size_t ret;
};

static size_t sysUnused1(void *v, size_t n);

static bool sysMap1(void *v, size_t n)
{
	uint64_t va = (uint64_t)v, end = va + ((n + PAGE - 1) & ~(PAGE - 1));
	while (va < end) {
		uint64_t want = (end - va) / PAGE, run = want < MAXRUN ? want : MAXRUN;
		char *p = NULL;
		while (run > 0 && !(p = page_alloc(run)))
			run /= 2;               /* fragmented: take smaller pieces */
		if (!p) {
			sysUnused1(v, va - (uint64_t)v);
			return false;
		}
		for (uint64_t i = 0; i < run; i++)
			vm_map_page(va + i * PAGE, virt_to_phys(p + i * PAGE));
		va += run * PAGE;
	}
	return true;
}

static void freebatch(const uint64_t *pa, size_t n)
{
	m *mp = getg()->m;
	uint64_t t = bt_start();
	tlb_shootdown();
	bt_end(mp, BT_UNMAP, t);
	for (size_t i = 0; i < n; i++)
		page_free(phys_to_virt(pa[i]), 1);
}

/*
 * sysUnused returns how many pages it gave back (some may never have been
 * backed). Other CPUs may still hold the old translations in their TLBs,
 * so the pages are freed only after a shootdown, in batches.
 */
static size_t sysUnused1(void *v, size_t n)
{
	uint64_t va = (uint64_t)v, end = va + ((n + PAGE - 1) & ~(PAGE - 1));
	uint64_t batch[64];
	size_t freed = 0, nb = 0;
	for (; va < end; va += PAGE) {
		uint64_t pa = vm_unmap_page(va);
		if (pa)
			batch[nb++] = pa;
		if (nb == 64) {
			freebatch(batch, nb);
			freed += nb;
			nb = 0;
		}
	}
	if (nb)
		freebatch(batch, nb);
	return freed + nb;
}

static void sysMap_g0(void *arg)
{
	struct sysargs *a = arg;
	a->ret = sysMap1(a->v, a->n);
}

static void sysUnused_g0(void *arg)
{
	struct sysargs *a = arg;
	a->ret = sysUnused1(a->v, a->n);
}

static void sysMapTables_g0(void *arg)
{
	struct sysargs *a = arg;
	vm_prepare_tables((uint64_t)a->v, a->n);
}

/* onsystemstack runs fn on g0's stack if the caller is on a goroutine's. */
static size_t onsystemstack(void (*fn)(void *), void *v, size_t n)
{
	struct sysargs a = { v, n, 0 };
	if (ongstack())
		systemstack(fn, &a);
	else
		fn(&a);
	return a.ret;
}

bool sysMap(void *v, size_t n)
{
	return onsystemstack(sysMap_g0, v, n) != 0;
}

size_t sysUnused(void *v, size_t n)
{
	return onsystemstack(sysUnused_g0, v, n);
}

void sysMapTables(void *v, size_t n)
{
	onsystemstack(sysMapTables_g0, v, n);
}

void *sysAlloc(size_t n)
{
	void *v = sysReserve(n);
	if (!v || !sysMap(v, n))
		return NULL;
	return v;
}

void sysDemandStacks(void *lo, void *hi)
{
	set_demand_stacks((uint64_t)lo, (uint64_t)hi);
}

bool sysMapped(void *v)
{
	return vm_mapped((uint64_t)v);
}

uint64_t physPagesFree(void) { return page_free_count(); }
uint64_t physPagesTotal(void) { return page_total_count(); }
uint64_t pagetablebytes(void) { return vm_pagetable_pages() * PAGE; }
