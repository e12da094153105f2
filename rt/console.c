/*
 * console.c - console input for programs: console_read blocks the calling
 * goroutine until COM1 has received something. The receive interrupt only
 * records that input arrived and gets an M going (it may not touch run
 * queues); the scheduler then readies the reader (consolepoll, called from
 * schedule), as Go's netpoller readies goroutines blocked on a descriptor.
 * One reader at a time.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"

static g *reader;               /* the parked reader; atomic */
static uint32_t pending;        /* input arrived since the reader looked; atomic */
static uint32_t enabled;        /* the receive interrupt is on; atomic */

/* consoleintr runs in the receive interrupt. */
static void consoleintr(void)
{
	__atomic_store_n(&pending, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&reader, __ATOMIC_ACQUIRE))
		wakep_nolock_wait();
}

bool console_waiting(void)
{
	return __atomic_load_n(&reader, __ATOMIC_ACQUIRE) != NULL;
}

/* consolepending: input has arrived for a parked reader (consolepoll
 * would ready it). */
bool consolepending(void)
{
	return __atomic_load_n(&pending, __ATOMIC_ACQUIRE) && __atomic_load_n(&reader, __ATOMIC_ACQUIRE);
}

/* consolepoll readies the reader once input has arrived; on g0. */
void consolepoll(void)
{
	if (!consolepending())
		return;
	g *gp = __atomic_exchange_n(&reader, NULL, __ATOMIC_ACQ_REL);
	if (gp)
		goready(gp);
}

static bool park_reader(g *gp, void *arg)
{
	(void)arg;
	g *none = NULL;
	if (!__atomic_compare_exchange_n(&reader, &none, gp, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		throw("console_read: two goroutines reading the console");
	/* input that came between our look and here must not be slept through */
	if (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) &&
	    __atomic_exchange_n(&reader, NULL, __ATOMIC_ACQ_REL) == gp)
		return false;
	return true;
}

int console_read(char *buf, int n)
{
	if (!__atomic_exchange_n(&enabled, 1, __ATOMIC_ACQ_REL) && !osconsole_enable(consoleintr))
		panic("console_read: no serial port to read from");
	if (n <= 0)
		return 0;
	for (;;) {
		__atomic_store_n(&pending, 0, __ATOMIC_RELEASE);
		size_t k = osconsole_read(buf, (size_t)n);
		if (k)
			return (int)k;
		gopark(park_reader, NULL, waitReasonIOWait);
	}
}
