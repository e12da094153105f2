/*
 * inittrace.c - GODEBUG=inittrace=1: each startup step with its time since
 * _rt0_amd64_efi's first instruction, as "init <step> @<ms> ms".
 *
 * Steps before parsedebugvars cannot know whether tracing is on (GODEBUG
 * is parsed in schedinit), so marks are recorded and printed once it is
 * decided; from then on each prints as it happens.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

#define MAXMARKS 32

struct mark {
	const char *step;
	uint64_t tsc;
};
static struct mark marks[MAXMARKS];
static int nmarks;
static bool decided;

static void printmark(const char *step, uint64_t tsc)
{
	int64_t ns = ticks_to_ns(tsc - rt0_ticks());
	printf("init %s @%ld.%03ld ms\n", step, ns / 1000000, ns / 1000 % 1000);
}

void inittrace_mark(const char *step)
{
	uint64_t now = cputicks();
	if (decided) {
		if (debug.inittrace)
			printmark(step, now);
		return;
	}
	if (nmarks < MAXMARKS)
		marks[nmarks++] = (struct mark){ step, now };
}

void inittrace_decide(void)
{
	decided = true;
	if (!debug.inittrace)
		return;
	for (int i = 0; i < nmarks; i++) {
		printmark(marks[i].step, marks[i].tsc);
		if (strcmp(marks[i].step, "osinit") == 0)
			printf("     osinit: %d CPUs, TSC %lu.%03lu MHz (calibrated by %s), %s APIC timer\n",
			       ncpu, tsc_hz / 1000000, tsc_hz / 1000 % 1000, osclocksource(), ostimermode());
	}
}
