/*
 * cpuflags_amd64.c - what the CPU can do (Go's internal/cpu/cpu_x86.go)
 * and the check rt0_go makes before anything relies on it: a CPU without a
 * feature the runtime needs gets "runtime: this CPU lacks <feature>" and a
 * clean exit, not a fault halfway through the boot.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

bool x86HasRDRAND, x86HasXSAVE, x86HasInvariantTSC, x86HasX2APIC, x86HasTSCDeadline, x86HasAVX;

static void x86_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

enum { EAX, EBX, ECX, EDX };

static const struct {
	uint32_t leaf;
	int reg, bit;
	const char *name;
} required[] = {
	{1, EDX, 0, "x87 FPU"},
	{1, EDX, 4, "TSC (rdtsc)"},
	{1, EDX, 5, "MSRs (rdmsr/wrmsr)"},
	{1, EDX, 8, "cmpxchg8b"},
	{1, EDX, 9, "a local APIC"},
	{1, EDX, 15, "cmov"},
	{1, EDX, 24, "fxsave/fxrstor"},
	{1, EDX, 25, "SSE"},
	{1, EDX, 26, "SSE2"},
	{1, ECX, 13, "cmpxchg16b"},
	{0x80000001, EDX, 20, "no-execute pages (NX)"},
	{0x80000001, EDX, 29, "long mode"},
};

void checkcpu(void)
{
	inittrace_mark("checkcpu");
	uint32_t r[4], maxext;
	x86_cpuid(0x80000000, 0, r);
	maxext = r[EAX];
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (required[i].leaf >= 0x80000000 && maxext < required[i].leaf) {
			printf("runtime: this CPU lacks extended CPUID leaf 0x%x\n", required[i].leaf);
			exit(2);
		}
		x86_cpuid(required[i].leaf, 0, r);
		if (!(r[required[i].reg] & (1u << required[i].bit))) {
			printf("runtime: this CPU lacks %s\n", required[i].name);
			exit(2);
		}
	}
}

/* cpuinit records optional features the runtime chooses paths by. */
void cpuinit(void)
{
	uint32_t r[4];
	x86_cpuid(1, 0, r);
	x86HasRDRAND = r[ECX] & (1u << 30);
	x86HasXSAVE = r[ECX] & (1u << 26);
	x86HasX2APIC = r[ECX] & (1u << 21);
	x86HasTSCDeadline = r[ECX] & (1u << 24);
	x86HasAVX = (r[ECX] & (1u << 28)) && x86HasXSAVE;     /* and the OS (we) turned XSAVE on */
	x86_cpuid(0x80000000, 0, r);
	if (r[EAX] >= 0x80000007) {
		x86_cpuid(0x80000007, 0, r);
		x86HasInvariantTSC = r[EDX] & (1u << 8);
	}
}
