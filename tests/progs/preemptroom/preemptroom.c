/*
 * preemptroom: a goroutine that has used nearly all of its stack must
 * not die of asynchronous preemption, and must be preempted again once it
 * has room.
 *
 * A goroutine's stack is a slot of stackmax bytes (command line
 * stackmax=, default 131072): from the top, the goroutine's g and its
 * first frame share the top page; at the bottom a guard page, touching
 * which is "fatal error: stack overflow". So, from outside, with T the
 * top of the top page (the first frame rounded up to a page):
 *
 *   stack limit = T - stackmax + 4096
 *
 * and a goroutine may use everything from its first frame down to that
 * limit: stackmax - 4096 - (T - first frame), printed below (the first
 * frame sits a few hundred bytes below T, under the g).
 *
 * For N = 8192, 4096, 2000, 1500, 1128, 1000 and 512 bytes, a fresh goroutine backs
 * its whole stack (one write at the limit, made from above: no stack
 * growth later), moves its stack pointer to limit + N and spins there
 * for SPIN_MS in a loop of its own (rdtsc, no calls into the runtime),
 * while another goroutine wants the CPU: at -smp 1 only asynchronous
 * preemption lets that one run. Sysmon preempts a goroutine that has run
 * 10 ms, so the spin is preempted several times; each preemption pushes
 * an interrupt frame and asyncPreempt's save of every register (XSAVE)
 * below sp. With too little room the runtime defers the preemption (as
 * Go's isAsyncSafePoint does: docs/api.md, asyncPreemptStack, about 1 KiB
 * with AVX state, 3 KiB with AVX-512): the goroutine must live. The checks:
 * with 4096 bytes or more the other goroutine ran at least twice during
 * the spin; with any amount the spinner came back, and in SPIN_MS of
 * spinning at its usual depth afterwards the other goroutine ran again
 * (a deferred preemption is not a lost one).
 *
 * With the argument "sweep" N goes from 2048 down to 16 in steps of 16
 * instead: the last "trying" line before a crash is the least room the
 * runtime survives (a way to measure what the docs should promise).
 *
 * Output: a line per amount ("preemptroom: N=1000: ok, the other
 * goroutine ran 0 times in 200 ms, 9 after"), then "preemptroom: 7
 * amounts ok" (exit status 0);
 * a failed check prints "preemptroom: FAIL ..." and exits 1.
 */
#include <rt.h>

#define PAGE 4096ul
#define SPIN_MS 200

/* void spinat(uintptr_t sp, uint64_t until): with the stack pointer at
 * sp, spins until the TSC reaches until; touches no memory. */
void spinat(uintptr_t sp, uint64_t until);
__asm__(
	"	.text\n"
	"	.globl	spinat\n"
	"	.type	spinat, @function\n"
	"spinat:\n"
	"	push	%rbp\n"
	"	mov	%rsp, %rbp\n"
	"	mov	%rdi, %rsp\n"
	"1:	rdtsc\n"
	"	shl	$32, %rdx\n"
	"	or	%rdx, %rax\n"
	"	cmp	%rsi, %rax\n"
	"	jb	1b\n"
	"	mov	%rbp, %rsp\n"
	"	pop	%rbp\n"
	"	ret\n"
	"	.size	spinat, .-spinat\n");

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uintptr_t stackmax;
static uint64_t tsc_per_ms;
static volatile uint64_t others;        /* the other goroutine's turns */

struct try {
	int n;                  /* bytes left below sp */
	chan_t *done;
	uint64_t turns;         /* the other goroutine's turns during the spin */
	uint64_t after;         /* and during the spin at the usual depth after it */
	uintptr_t first, top, limit;
	const char *err;
};

static void other(void *arg)
{
	(void)arg;
	for (;;) {
		__atomic_add_fetch(&others, 1, __ATOMIC_RELAXED);
		gosched();
	}
}

static void spinner(void *arg)
{
	struct try *t = arg;
	uintptr_t first = (uintptr_t)__builtin_frame_address(0);
	uintptr_t top = (first & ~(PAGE - 1)) + PAGE;
	uintptr_t limit = top - stackmax + PAGE;
	uintptr_t sp = limit + (uintptr_t)t->n, here;
	__asm__ volatile("mov %%rsp, %0" : "=r"(here));
	t->first = first;
	t->top = top;
	t->limit = limit;
	if (sp + 512 > here) {
		t->err = "the stack is too small for that amount";
	} else {
		*(volatile char *)limit = 0;    /* backs every page from here down */
		uint64_t before = __atomic_load_n(&others, __ATOMIC_RELAXED);
		spinat(sp, rdtsc() + SPIN_MS * tsc_per_ms);
		t->turns = __atomic_load_n(&others, __ATOMIC_RELAXED) - before;
		before = __atomic_load_n(&others, __ATOMIC_RELAXED);
		for (uint64_t until = rdtsc() + SPIN_MS * tsc_per_ms; rdtsc() < until;)
			;
		t->after = __atomic_load_n(&others, __ATOMIC_RELAXED) - before;
	}
	int one = 1;
	chan_send(t->done, &one);
}

void main_main(void)
{
	const char *v = gogetenv("stackmax");
	stackmax = 131072;
	if (v) {
		stackmax = 0;
		for (; *v >= '0' && *v <= '9'; v++)
			stackmax = stackmax * 10 + (uintptr_t)(*v - '0');
	}
	stackmax = (stackmax + PAGE - 1) & ~(PAGE - 1);
	bool sweep = goargc() > 1 && strcmp(goargv()[1], "sweep") == 0;

	uint64_t c0 = rdtsc();
	int64_t n0 = nanotime();
	sleep_ns(20 * 1000000);
	tsc_per_ms = (rdtsc() - c0) * 1000000 / (uint64_t)(nanotime() - n0);

	static const int amounts[] = { 8192, 4096, 2000, 1500, 1128, 1000, 512 };
	int count = sweep ? 2048 / 16 : (int)(sizeof amounts / sizeof amounts[0]);
	printf("preemptroom: stackmax %lu, GOMAXPROCS=%d, spin %d ms each\n", (unsigned long)stackmax,
	       gomaxprocs(0), SPIN_MS);
	go(other, NULL);
	struct try t;
	memset(&t, 0, sizeof t);
	t.done = chan_make(sizeof(int), 0);
	for (int i = 0; i < count; i++) {
		t.n = sweep ? 2048 - 16 * i : amounts[i];
		t.err = NULL;
		printf("preemptroom: trying N=%d bytes below sp\n", t.n);
		go(spinner, &t);
		chan_recv(t.done, NULL);
		if (i == 0)
			printf("preemptroom: first frame %lu bytes below the top of its page; "
			       "%lu bytes from it down to the limit (stackmax - %lu)\n",
			       (unsigned long)(t.top - t.first), (unsigned long)(t.first - t.limit),
			       (unsigned long)(stackmax - (t.first - t.limit)));
		if (t.err) {
			printf("preemptroom: FAIL N=%d: %s\n", t.n, t.err);
			exit(1);
		}
		bool roomy = t.n >= 4096;
		bool ok = (!roomy || t.turns >= 2) && t.after >= 2;
		printf("preemptroom: N=%d: %s, the other goroutine ran %lu times in %d ms, %lu after\n", t.n,
		       ok ? "ok" : "FAIL", (unsigned long)t.turns, SPIN_MS, (unsigned long)t.after);
		if (roomy && t.turns < 2) {
			printf("preemptroom: FAIL N=%d: the spin was not preempted\n", t.n);
			exit(1);
		}
		if (t.after < 2) {
			printf("preemptroom: FAIL N=%d: not preempted after the spin either\n", t.n);
			exit(1);
		}
	}
	printf("preemptroom: %d amounts ok\n", count);
	exit(0);
}
