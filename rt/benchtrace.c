/*
 * benchtrace.c - GODEBUG=benchtrace=1 (benchtrace.h): at exit, for each
 * scheduler phase, the cycles all Ms spent in it, how often, and cycles
 * per time; with the context switches, where a workload's time went.
 */
#include "benchtrace.h"
#include "print.h"

static const char *const names[BT_N] = {
	[BT_SCHEDULE] = "schedule*",
	[BT_FINDRUN] = "findrunnable*",
	[BT_STEAL] = "stealWork",
	[BT_IDLE] = "idle (halted)",
	[BT_PARK] = "gopark",
	[BT_READY] = "goready",
	[BT_WAKEP] = "wakep: startm",
	[BT_SWITCH] = "execute",
	[BT_LOCKWAIT] = "lock: waiting",
	[BT_MALG] = "malg (new G)",
	[BT_UNMAP] = "sysUnused+TLB",
};

void benchtrace_print(void)
{
	if (!debug.benchtrace)
		return;
	printf("benchtrace: phase, cycles (all Ms), times, cycles each; TSC %lu MHz; * includes the phases below it\n",
	       (unsigned long)(tsc_hz / 1000000));
	for (int i = 0; i < BT_N; i++) {
		uint64_t cyc = 0, n = 0;
		for (m *mp = allm; mp; mp = mp->alllink) {
			cyc += mp->btcycles[i];
			n += mp->btcount[i];
		}
		printf("benchtrace: %-14s %14lu %10lu %8lu\n", names[i], (unsigned long)cyc,
		       (unsigned long)n, (unsigned long)(n ? cyc / n : 0));
	}
}
