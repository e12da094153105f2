/*
 * timerwake: a short sleep must not be lost behind a long one while the
 * CPUs go idle and come back (run it with two or more CPUs).
 *
 * An idle M with no work halts until the earliest timer of all Ps (the
 * "timer sleeper"); a timer added earlier than that deadline must wake it
 * (Go's wakeNetPoller), else the new timer waits for the old deadline.
 * Here that deadline is an hour away: a goroutine sleeps for an hour from
 * the start. Then, ITERS times, a sleep of 100 us to 1 ms is timed while
 * the other CPU goes idle or comes back at about the same moment:
 *
 *   even i  main hands a worker a burst of X us of work (the worker's CPU
 *           wakes, works, goes idle again), spins Y us itself (Y sweeps
 *           around X), then sleeps: its timer is added while the worker's
 *           CPU is going idle
 *   odd i   main asks the worker to work X us and then sleep, and waits
 *           for the worker's answer: the worker's timer is added while
 *           main's CPU is going idle
 *
 * The lateness of every sleep (how much longer than asked it took) is
 * recorded; none may exceed 1 s (Go's is well under a millisecond; under
 * QEMU on a loaded host a vCPU may wait for the host's CPU 100 ms and
 * more; a lost wake-up is an hour, the harness's timeout). nohour=1 on
 * the command line leaves the hour out: a control run.
 *
 * Output: a line per 250 sleeps, then
 * "timerwake: 2000 sleeps in T ms, worst lateness main A us, worker B us, mean C us",
 * "timerwake: ok" (exit status 0), or "timerwake: FAIL ..." (exit 1).
 */
#include <rt.h>

#define ITERS 2000
#define LATE_MAX_NS (1000 * 1000000ll)

struct cmd {
	int64_t work_ns;        /* spin this long */
	int64_t sleep_ns;       /* then sleep this long (0: no sleep) */
};

static chan_t *cmds, *answers;

static void spin(int64_t ns)
{
	int64_t t0 = nanotime();
	while (nanotime() - t0 < ns)
		;
}

/* worker does what main asks; for a sleep it answers with the lateness */
static void worker(void *arg)
{
	(void)arg;
	struct cmd c;
	while (chan_recv(cmds, &c)) {
		spin(c.work_ns);
		if (c.sleep_ns) {
			int64_t t0 = nanotime();
			sleep_ns(c.sleep_ns);
			int64_t late = nanotime() - t0 - c.sleep_ns;
			chan_send(answers, &late);
		}
	}
}

static void hour(void *arg)
{
	(void)arg;
	sleep_ns(3600ll * 1000000000);
	printf("timerwake: FAIL the hour went by\n");
	exit(1);
}

void main_main(void)
{
	printf("timerwake: GOMAXPROCS=%d, %d sleeps of 100 us .. 1 ms, a sleep of an hour pending\n",
	       gomaxprocs(0), ITERS);
	if (!gogetenv("nohour"))
		go(hour, NULL);
	cmds = chan_make(sizeof(struct cmd), 1);
	answers = chan_make(sizeof(int64_t), 0);
	go(worker, NULL);
	sleep_ns(5 * 1000000);  /* both parked: the hour's timer is the only one */
	int64_t worst[2] = { 0, 0 }, total = 0;
	int64_t t0 = nanotime();
	for (int i = 0; i < ITERS; i++) {
		int64_t d = 100000 + (int64_t)((i * 7919) % 901) * 1000;   /* 100 us .. 1 ms */
		int64_t x = (int64_t)((i * 37) % 251) * 1000;               /* 0 .. 250 us */
		int64_t late;
		if (i % 2 == 0) {
			struct cmd c = { .work_ns = x, .sleep_ns = 0 };
			chan_send(cmds, &c);
			int64_t y = x + (int64_t)((i / 2) % 81 - 40) * 2000;   /* X - 80 us .. X + 80 us */
			if (y > 0)
				spin(y);
			int64_t s0 = nanotime();
			sleep_ns(d);
			late = nanotime() - s0 - d;
		} else {
			struct cmd c = { .work_ns = x, .sleep_ns = d };
			chan_send(cmds, &c);
			chan_recv(answers, &late);
		}
		if (late > worst[i % 2])
			worst[i % 2] = late;
		total += late;
		if (i % 250 == 249)
			printf("timerwake: %d sleeps, worst lateness so far %ld us\n", i + 1,
			       (long)((worst[0] > worst[1] ? worst[0] : worst[1]) / 1000));
		if (late > LATE_MAX_NS || late < 0) {
			printf("timerwake: FAIL sleep %d of %ld us by %s took %ld us more\n", i, (long)(d / 1000),
			       i % 2 ? "the worker" : "main", (long)(late / 1000));
			exit(1);
		}
	}
	printf("timerwake: %d sleeps in %ld ms, worst lateness main %ld us, worker %ld us, mean %ld us\n",
	       ITERS, (long)((nanotime() - t0) / 1000000), (long)(worst[0] / 1000), (long)(worst[1] / 1000),
	       (long)(total / ITERS / 1000));
	printf("timerwake: ok\n");
	exit(0);
}
