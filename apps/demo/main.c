/*
 * The default demo (make run). It boots with GODEBUG=inittrace=1
 * (cmdline.txt), so the console first shows each startup step of the
 * runtime with its time since _rt0_amd64_efi. Then main_main runs as the
 * main goroutine (goid 1) and takes a short tour:
 *
 *   1. goroutines: a few busy goroutines, which the scheduler spreads over
 *      every CPU; each reports the CPU it ran on;
 *   2. a pipeline: numbers flow generate -> square -> sum over channels;
 *   3. a select with a timeout, Go's `case <-time.After(d)`.
 *
 * Returning from main_main ends the machine with exit status 0. The other
 * examples are in apps/ (see README.md).
 */
#include <rt.h>

/* ---- 1. goroutines on every CPU ---- */

enum { MS = 1000000 };  /* nanoseconds per millisecond */

static waitgroup_t spread_wg;
static struct {
	int64_t goid;
	int cpu;
} ran[64];              /* each busy goroutine, and the CPU it started on */

/* busy spins for 20 ms without giving up its CPU. While it does, the
 * scheduler wakes the idle CPUs to steal the goroutines still waiting. */
static void busy(void *arg)
{
	int i = (int)(intptr_t)arg;
	ran[i].goid = goid();
	ran[i].cpu = cpuid();
	int64_t end = nanotime() + 20 * MS;
	while (nanotime() < end)
		;
	wg_done(&spread_wg);
}

static void tour_goroutines(void)
{
	int n = 2 * numcpu();
	if (n > 64)
		n = 64;
	wg_add(&spread_wg, n);
	for (int i = 0; i < n; i++)
		go(busy, (void *)(intptr_t)i);
	wg_wait(&spread_wg);

	bool *used = calloc(numcpu(), sizeof *used);
	int ncpus = 0;
	for (int i = 0; i < n; i++) {
		printf("  goroutine %ld ran on CPU %d\n", (long)ran[i].goid, ran[i].cpu);
		if (!used[ran[i].cpu]) {
			used[ran[i].cpu] = true;
			ncpus++;
		}
	}
	free(used);
	printf("goroutines: %d ran on %d of %d CPUs\n", n, ncpus, numcpu());
}

/* ---- 2. a pipeline over channels ---- */

enum { LAST = 10 };

/* generate sends 1..LAST, then closes its channel: no more values. */
static void generate(void *arg)
{
	chan_t *out = arg;
	for (int i = 1; i <= LAST; i++)
		chan_send(out, &i);
	chan_close(out);
}

struct stage {
	chan_t *in, *out;
};

/* square receives until in is closed, sends each value squared, then
 * closes out in turn, so the end of the input reaches the next stage. */
static void square(void *arg)
{
	struct stage *s = arg;
	int v;
	while (chan_recv(s->in, &v)) {
		v *= v;
		chan_send(s->out, &v);
	}
	chan_close(s->out);
}

static void tour_pipeline(void)
{
	static struct stage sq;
	sq.in = chan_make(sizeof(int), 0);
	sq.out = chan_make(sizeof(int), 0);
	go(generate, sq.in);
	go(square, &sq);

	int sum = 0, v;
	while (chan_recv(sq.out, &v))
		sum += v;
	printf("pipeline: generate 1..%d -> square -> sum = %d\n", LAST, sum);
}

/* ---- 3. select with a timeout ---- */

struct alarm {
	chan_t *c;
	int64_t ns;
};

/* sleeps, then sends. The channel has room for one value, so the send
 * never blocks even when nobody waits any more. */
static void alarm(void *arg)
{
	struct alarm *a = arg;
	sleep_ns(a->ns);
	chan_send(a->c, &a->ns);
	free(a);
}

/* after is Go's time.After: a channel that receives a value once ns have
 * passed. */
static chan_t *after(int64_t ns)
{
	struct alarm *a = malloc(sizeof *a);
	chan_t *c = chan_make(sizeof(int64_t), 1);
	a->c = c;
	a->ns = ns;
	go(alarm, a);
	return c;
}

static void tour_select(void)
{
	/* The answer comes after 1 s, the timeout after 100 ms. */
	chan_t *answer = after(1000 * MS);
	int64_t t0 = nanotime();
	select_case cases[] = {
		{ .c = answer, .dir = SELECT_RECV },
		{ .c = after(100 * MS), .dir = SELECT_RECV },
	};
	int which = chan_select(cases, 2, true);
	printf("select: %s after %ld ms\n", which == 0 ? "answered" : "timed out",
	       (long)((nanotime() - t0) / MS));
}

void main_main(void)
{
	printf("main_main: running as goroutine %ld on CPU %d of %d, GOMAXPROCS=%d\n",
	       goid(), cpuid(), numcpu(), gomaxprocs(0));
	tour_goroutines();
	tour_pipeline();
	tour_select();
	printf("main_main: returning from main_main ends the program\n");
}
