/*
 * workers: a worker pool, the pattern of Go by Example's "Worker Pools"
 * and "WaitGroups" together: one worker goroutine per CPU takes jobs from
 * a buffered channel and sends results on another; a sync.WaitGroup tells
 * when every worker has finished, so the results channel can be closed
 * and main_main's loop over it ends.
 *
 * Job n computes n squared (slowly, so that a job takes a while and idle
 * CPUs find work to steal); main_main adds up the results. Each worker
 * notes which CPU it ran each job on. Goroutines are not pinned to CPUs,
 * so a worker may move between them; the per-CPU counts show how the
 * scheduler spread the work and differ from run to run. The total and the
 * checksum do not.
 *
 * Output: jobs per CPU, then "jobs done: N" and
 * "sum of squares 1..N = N(N+1)(2N+1)/6".
 */
#include <rt.h>

enum { NJOBS = 1000 };

static chan_t *jobs;        /* int: the n of each job; closed when all are sent */
static chan_t *results;     /* int64_t: n*n; closed when every worker is done */
static waitgroup_t wg;      /* the workers still running */

static mutex_t mu;          /* guards per_cpu */
static int *per_cpu;        /* jobs run on each CPU, numcpu() entries */

/* square works out n*n as n additions of n, repeated: a stand-in for real
 * work. The empty asm makes the compiler keep the loop rather than
 * replace it with one multiplication. */
static int64_t square(int n)
{
	int64_t s = 0;
	for (int rep = 0; rep < 20; rep++) {
		s = 0;
		for (int i = 0; i < n; i++) {
			s += n;
			__asm__ volatile("" : "+r"(s));
		}
	}
	return s;
}

static void worker(void *arg)
{
	int ncpu = numcpu();
	int mine[ncpu];     /* counted privately, merged once at the end */
	memset(mine, 0, sizeof mine);

	int n;
	while (chan_recv(jobs, &n)) {   /* false once jobs is closed and empty */
		mine[cpuid()]++;
		int64_t r = square(n);
		chan_send(results, &r);
	}

	mutex_lock(&mu);
	for (int c = 0; c < ncpu; c++)
		per_cpu[c] += mine[c];
	mutex_unlock(&mu);
	wg_done(&wg);
}

/* feed sends every job, then closes the channel so the workers' loops end. */
static void feed(void *arg)
{
	for (int n = 1; n <= NJOBS; n++)
		chan_send(jobs, &n);
	chan_close(jobs);
}

/* closer waits for the workers, then closes results: main_main's loop ends
 * once it has received everything. In Go this is the usual
 * `go func() { wg.Wait(); close(results) }()`. */
static void closer(void *arg)
{
	wg_wait(&wg);
	chan_close(results);
}

void main_main(void)
{
	int nworkers = numcpu();
	jobs = chan_make(sizeof(int), 64);
	results = chan_make(sizeof(int64_t), 64);
	per_cpu = calloc(nworkers, sizeof *per_cpu);

	/* wg_add before the go statements, never inside the workers: otherwise
	 * closer's wg_wait could see a zero counter before they start. */
	wg_add(&wg, nworkers);
	for (int i = 0; i < nworkers; i++)
		go(worker, NULL);
	go(feed, NULL);
	go(closer, NULL);

	int64_t sum = 0, r;
	int done = 0;
	while (chan_recv(results, &r)) {
		sum += r;
		done++;
	}

	/* closer closed results after wg_wait returned, and every worker
	 * merged its counts before wg_done: per_cpu is complete here. */
	for (int c = 0; c < nworkers; c++)
		printf("CPU %d: %d jobs\n", c, per_cpu[c]);
	printf("jobs done: %d by %d workers\n", done, nworkers);
	printf("sum of squares 1..%d = %ld\n", NJOBS, (long)sum);
}
