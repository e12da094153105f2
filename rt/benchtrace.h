/*
 * benchtrace.h - GODEBUG=benchtrace=1: TSC cycles the scheduler spends in
 * each phase, per M, summed and printed at exit (benchtrace.c), to find
 * where a benchmark's time goes. Off, each probe is one predictable
 * branch.
 */
#ifndef RT_BENCHTRACE_H
#define RT_BENCHTRACE_H

#include "runtime.h"
#include "os.h"

enum {
	BT_SCHEDULE,    /* schedule() to execute(), findrunnable included */
	BT_FINDRUN,     /* findrunnable, stealing and idling included */
	BT_STEAL,       /* stealWork */
	BT_IDLE,        /* halted in stopm or the timer sleep */
	BT_PARK,        /* gopark: the switch to g0 and park_m, up to schedule */
	BT_READY,       /* goready: runnext, and wakep */
	BT_WAKEP,       /* startm from wakep: an idle M and its CPU woken (IPI) */
	BT_SWITCH,      /* execute to gogo: count only */
	BT_LOCKWAIT,    /* lock(): waiting for a runtime lock another M holds */
	BT_MALG,        /* malg: a new G, its stack page allocated and mapped */
	BT_UNMAP,       /* sysUnused: pages unmapped, every other CPU's TLB flushed */
	BT_N
};
_Static_assert(BT_N <= sizeof(((m *)0)->btcount) / sizeof(uint64_t), "m.btcount too small");

static inline uint64_t bt_start(void)
{
	return __builtin_expect(debug.benchtrace, 0) ? cputicks() : 0;
}

static inline void bt_end(m *mp, int phase, uint64_t t0)
{
	if (__builtin_expect(debug.benchtrace, 0) && t0) {
		mp->btcycles[phase] += cputicks() - t0;
		mp->btcount[phase]++;
	}
}

void benchtrace_print(void);

#endif
