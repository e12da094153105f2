/*
 * mem_baremetal.c - the runtime's memory from the machine, as Go's
 * mem_linux.go: sysAlloc hands out zeroed, page-aligned memory. For now it
 * is backed by the kernel's early page allocator and nothing is returned;
 * the runtime's allocators above it recycle what they take.
 */
#include "runtime.h"
#include "os.h"
#include "../kernel/kernel.h"

void *sysAlloc(size_t n)
{
	return early_alloc_pages((n + 4095) / 4096);
}
