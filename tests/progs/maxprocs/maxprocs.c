/*
 * maxprocs: gomaxprocs called by several goroutines at once, which Go
 * allows (runtime.GOMAXPROCS serializes its stop-the-world). Four
 * goroutines each change GOMAXPROCS 300 times while four others spin.
 *
 *   make run APP=tests/progs/maxprocs SMP=4
 *
 * Prints "maxprocs: 1200 changes, GOMAXPROCS back to N" and exits 0.
 */
#include <rt.h>

static waitgroup_t changers, spinners;
static volatile int stop;

static void changer(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < 300; i++)
		gomaxprocs(1 + (id + i) % numcpu());
	wg_done(&changers);
}

static void spinner(void *arg)
{
	(void)arg;
	while (!stop)
		__asm__ volatile("pause");
	wg_done(&spinners);
}

void main_main(void)
{
	int n = gomaxprocs(0);
	wg_add(&spinners, 4);
	for (int i = 0; i < 4; i++)
		go(spinner, NULL);
	wg_add(&changers, 4);
	for (int i = 0; i < 4; i++)
		go(changer, (void *)(intptr_t)i);
	wg_wait(&changers);
	stop = 1;
	wg_wait(&spinners);
	gomaxprocs(n);
	printf("maxprocs: 1200 changes, GOMAXPROCS back to %d\n", gomaxprocs(0));
}
