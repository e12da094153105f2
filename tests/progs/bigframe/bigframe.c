/*
 * bigframe: a goroutine whose function has a frame of several pages,
 * written from its top down, as C code may do with a local array.
 *
 * The compiler lowers the stack pointer by the whole frame at once; the
 * pages between the old and the new stack pointer are not backed yet, and
 * each write below the backed ones faults and maps a page. Until the
 * lowest page is written, the stack pointer itself points into an
 * unbacked page: an interrupt arriving then (the timer, sysmon's
 * preemption) has its frame pushed there. The runtime must take that
 * fault and still deliver the interrupt; losing it leaves the CPU's timer
 * dead, and the next sleep on that CPU never ends.
 *
 * ROUNDS times: a fresh goroutine (its stack just the top page) runs
 * fill(), whose 24 KiB array is written from its last byte down; main
 * waits for it, then sleeps 200 us, which needs the timer.
 *
 * prefault=1 on the command line backs the pages before fill() runs: a
 * control run, the same work without the window.
 *
 * Output: a line per 500 rounds, then "bigframe: 2000 rounds in T ms"
 * (exit status 0); a lost timer interrupt is a hang (the harness's timeout).
 */
#include <rt.h>

#define ROUNDS 2000
#define FRAME (24 * 1024)

static __attribute__((noinline)) long fill(int seed)
{
	volatile char buf[FRAME];
	for (long i = FRAME - 8; i >= 0; i -= 8)
		buf[i] = (char)(i + seed);
	long sum = 0;
	for (long i = 0; i < FRAME; i += 64)
		sum += buf[i];
	return sum;
}

static bool prefault;

static void filler(void *arg)
{
	if (prefault) {
		/* back the pages fill's frame will use before it lowers sp */
		uintptr_t sp;
		__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
		*(volatile char *)(sp - FRAME - 4096) = 0;
	}
	long sum = fill(1);
	chan_send(arg, &sum);
}

void main_main(void)
{
	prefault = gogetenv("prefault") != NULL;
	chan_t *done = chan_make(sizeof(long), 0);
	printf("bigframe: %d rounds of a %d-byte frame written top down, GOMAXPROCS=%d\n", ROUNDS, FRAME,
	       gomaxprocs(0));
	long want = fill(1);
	int64_t t0 = nanotime();
	for (int i = 1; i <= ROUNDS; i++) {
		go(filler, done);
		long sum = 0;
		chan_recv(done, &sum);
		if (sum != want) {
			printf("bigframe: FAIL round %d: sum %ld, want %ld\n", i, sum, want);
			exit(1);
		}
		sleep_ns(200000);
		if (i % 500 == 0)
			printf("bigframe: %d rounds ok\n", i);
	}
	printf("bigframe: %d rounds in %ld ms\n", ROUNDS, (long)((nanotime() - t0) / 1000000));
}
