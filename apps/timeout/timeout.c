/*
 * timeout: waiting for a result, but not forever: Go's
 *
 *     select {
 *     case r := <-result:
 *         ...
 *     case <-time.After(d):
 *         ...
 *     }
 *
 * as in Go by Example's "Timeouts". after(ns) below plays time.After: it
 * returns a channel on which a value arrives once ns have passed.
 * chan_select waits on both channels and runs whichever case is ready
 * first.
 *
 * Two rounds: a fast job (10 ms) against a 2 s timeout, so the result
 * wins, and a slow job (2 s) against a 100 ms timeout, so the timeout
 * wins. The margins are wide, so even a slow emulator gives the same
 * answers.
 *
 * Output: one line per round saying who won.
 */
#include <rt.h>

enum { MS = 1000000 };  /* nanoseconds per millisecond */

struct alarm {
	chan_t *c;
	int64_t ns;
};

static void alarm_run(void *arg)
{
	struct alarm a = *(struct alarm *)arg;
	free(arg);
	sleep_ns(a.ns);
	int64_t now = nanotime();
	/* Buffered with room for one, so this send never blocks: if nobody
	 * is listening any more, the goroutine still ends. */
	chan_send(a.c, &now);
}

/* after returns a channel that receives the time (nanotime) once ns have
 * passed, like Go's time.After. */
static chan_t *after(int64_t ns)
{
	struct alarm *a = malloc(sizeof *a);
	chan_t *c = chan_make(sizeof(int64_t), 1);
	a->c = c;
	a->ns = ns;
	go(alarm_run, a);
	return c;
}

struct job {
	chan_t *result;
	int64_t ns;     /* how long the job takes */
	int answer;
};

static void job_run(void *arg)
{
	struct job j = *(struct job *)arg;
	free(arg);
	sleep_ns(j.ns);
	/* result has room for one value for the same reason: when the
	 * caller has given up, the job can still deliver and end. */
	chan_send(j.result, &j.answer);
}

/* try_job starts a job taking job_ms and waits at most limit_ms for it. */
static void try_job(const char *name, int64_t job_ms, int64_t limit_ms)
{
	chan_t *result = chan_make(sizeof(int), 1);
	struct job *j = malloc(sizeof *j);
	j->result = result;
	j->ns = job_ms * MS;
	j->answer = 42;
	go(job_run, j);         /* j is the job's now */

	int answer;
	int64_t fired;
	select_case cases[] = {
		{ .c = result, .dir = SELECT_RECV, .elem = &answer },
		{ .c = after(limit_ms * MS), .dir = SELECT_RECV, .elem = &fired },
	};
	switch (chan_select(cases, 2, true)) {
	case 0:
		printf("%s: job of %ld ms vs timeout of %ld ms: result %d\n",
		       name, (long)job_ms, (long)limit_ms, answer);
		break;
	case 1:
		printf("%s: job of %ld ms vs timeout of %ld ms: timed out\n",
		       name, (long)job_ms, (long)limit_ms);
		break;
	}
}

void main_main(void)
{
	try_job("fast", 10, 2000);
	try_job("slow", 2000, 100);
}
