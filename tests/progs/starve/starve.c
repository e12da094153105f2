/*
 * starve: two goroutines that hand a value back and forth forever must
 * not keep the rest of the program off a single P.
 *
 * Each hand-off over an unbuffered channel readies the other player into
 * the P's runnext slot, so the pair alone could fill the P forever; Go
 * makes a G readied that way inherit the time slice of the one that
 * readied it, so after 10 ms sysmon preempts the pair as if it were one
 * goroutine, and the global run queue and the timers get their turn.
 *
 * main_main starts the pair, yields once (gosched), starts a third
 * goroutine that sends on a buffered channel, and sleeps 20 ms. Then the
 * third must have run, and main must be back: it prints how long the
 * gosched took, and how long from starting the third goroutine to
 * waking. Go takes a slice or two for the gosched and about 20 ms for the
 * sleep (both well within 100 ms); the checks fail only beyond 2 s, and a
 * main that never runs again is the harness's timeout.
 *
 * Output: "starve: GOMAXPROCS=N, gosched returned after T ms, hand-offs so far M",
 * "starve: main woke after T ms, the third goroutine ran",
 * "starve: ok" (exit status 0), or "starve: FAIL ..." (exit 1).
 */
#include <rt.h>

struct pair {
	chan_t *to_a, *to_b;
};

static volatile uint64_t handoffs;

static void player(void *arg)
{
	chan_t **ch = arg;      /* ch[0]: in, ch[1]: out */
	long ball;
	for (;;) {
		chan_recv(ch[0], &ball);
		ball++;
		__atomic_add_fetch(&handoffs, 1, __ATOMIC_RELAXED);
		chan_send(ch[1], &ball);
	}
}

static void third(void *arg)
{
	int one = 1;
	chan_send(arg, &one);   /* buffered: never blocks */
}

void main_main(void)
{
	chan_t *ab = chan_make(sizeof(long), 0), *ba = chan_make(sizeof(long), 0);
	static chan_t *a[2], *b[2];
	a[0] = ba;
	a[1] = ab;
	b[0] = ab;
	b[1] = ba;
	go(player, a);
	go(player, b);
	long serve = 0;
	chan_send(ab, &serve);  /* b receives first; from here they play alone */
	int64_t g0 = nanotime();
	gosched();
	int64_t gms = (nanotime() - g0) / 1000000;
	printf("starve: GOMAXPROCS=%d, gosched returned after %ld ms, hand-offs so far %lu\n", gomaxprocs(0),
	       (long)gms, (unsigned long)__atomic_load_n(&handoffs, __ATOMIC_RELAXED));
	chan_t *ran = chan_make(sizeof(int), 1);
	int64_t t0 = nanotime();
	go(third, ran);
	sleep_ns(20 * 1000000);
	int64_t ms = (nanotime() - t0) / 1000000;
	int v = 0;
	bool got = chan_tryrecv(ran, &v, NULL) && v == 1;
	printf("starve: main woke after %ld ms, the third goroutine %s\n", (long)ms, got ? "ran" : "did not run");
	if (!got || ms > 2000 || gms > 2000) {
		printf("starve: FAIL %s\n", !got ? "the third goroutine did not run" :
		       ms > 2000 ? "main woke more than 2 s late" : "gosched took more than 2 s");
		exit(1);
	}
	printf("starve: ok\n");
	exit(0);
}
