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

bool sysMap(void *v, size_t n)
{
	uint64_t va = (uint64_t)v, end = va + ((n + PAGE - 1) & ~(PAGE - 1));
	while (va < end) {
		uint64_t want = (end - va) / PAGE, run = want < MAXRUN ? want : MAXRUN;
		char *p = NULL;
		while (run > 0 && !(p = page_alloc(run)))
			run /= 2;               /* fragmented: take smaller pieces */
		if (!p) {
			sysUnused(v, va - (uint64_t)v);
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
size_t sysUnused(void *v, size_t n)
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

void sysMapTables(void *v, size_t n)
{
	vm_prepare_tables((uint64_t)v, n);
}

void *sysAlloc(size_t n)
{
	void *v = sysReserve(n);
	if (!v || !sysMap(v, n))
		return NULL;
	return v;
}

bool sysMapped(void *v)
{
	return vm_mapped((uint64_t)v);
}

uint64_t physPagesFree(void) { return page_free_count(); }
uint64_t physPagesTotal(void) { return page_total_count(); }
uint64_t pagetablebytes(void) { return vm_pagetable_pages() * PAGE; }
