/*
 * stackedge: the runtime's work done with the stack pointer a few bytes
 * above a page boundary whose page below is not backed yet.
 *
 * A goroutine's stack is backed one page at a time: touching the page
 * below the lowest backed one faults, and the fault maps it. Whatever the
 * runtime does on a goroutine's stack may be the first to touch that
 * page: malloc growing the heap, go taking a dead G, a channel operation,
 * an interrupt frame (the timer's, sysmon's preemption), asyncPreempt's
 * register save. Each must survive the fault wherever it comes: with a
 * runtime lock or a kernel spin lock held, with interrupts off, or in the
 * middle of delivering an interrupt.
 *
 * For each of the two page boundaries below a new goroutine's first frame
 * (the first: the bottom of its top page; the second: one page lower,
 * with the page above it backed first), for each k = 0, 8, ..., 1280, and
 * for each of four operations, a fresh goroutine (its stack is only the
 * top page: a dead G is trimmed to it before reuse) moves its stack
 * pointer to boundary + k and calls the operation from there:
 *
 *   malloc  malloc and free of 16 B, 200 B, 3000 B, 40 KiB and 1 MiB, and
 *           1 MiB more kept until the boundary is done (the heap grows
 *           at every step, mapping new pages)
 *   go      three goroutines started, each waited for over a channel
 *   chan    unbuffered send and receive with a partner goroutine, a
 *           blocking select (one case a nil channel), a select with default
 *   spin    a loop on nanotime() for SPINMS ms (default 25: longer than
 *           sysmon's 10 ms idle period and its 10 ms preemption, so timer
 *           interrupts and an asynchronous preemption come at that depth),
 *           then the clock must still advance and sleep_ns(1 ms) return
 *
 * "sp at boundary + k" is the stack pointer at the call of the operation
 * (callat below); the operation's own frames and whatever interrupts
 * push lie below. For k an odd multiple of 8 the operation runs with its
 * stack 8 bytes off the 16-byte alignment compiled C keeps at calls:
 * that shifts every frame of the runtime below it by 8 bytes, so the
 * sweep meets the boundary at every 8-byte position. Nothing it runs
 * needs the alignment: the runtime uses general registers only, the CPU
 * and asyncPreempt align their own frames, and the operations here are
 * compiled for general registers only.
 *
 * Command line: spinms=N the spin's length; ops=malloc,go,chan,spin (any
 * of them) the operations swept, to tell the defects apart; kbase=N
 * adds N to every k (at most about 2100: the sweep stays in the top
 * page); prefault=1 backs 16 KiB below sp before each operation, a
 * control run with the same operations and no stack growth in them.
 *
 * With the argument "trim" every step's goroutines go 24 KiB deep before
 * they end, and before each step main starts and waits for three more
 * such goroutines: the runtime then reuses dead Gs whose stacks it must
 * trim (gfget -> stacktrim), also from the go operation at depth.
 *
 * A hang (the harness's timeout) is the usual failure: a CPU deadlocked on
 * a spin lock it holds, or a lost timer interrupt that leaves a sleep
 * waiting forever. A watchdog goroutine names the step if nothing moves
 * for 20 s and another CPU is still alive to print it.
 *
 * Output: a line per boundary, a line per offset naming each operation
 * as it completes and a sleep_ns(200 us) after it has returned
 * ("stackedge: b1 k=24: malloc go chan spin ok": where a hang stopped),
 * then
 * "stackedge: 2 boundaries x 161 offsets x 4 ops ok" (exit status 0);
 * a failed check prints "stackedge: FAIL ..." and exits 1.
 */
#include <rt.h>

#define PAGE 4096ul
#define KMAX 1280
#define KSTEP 8
#define NOFFSETS (KMAX / KSTEP + 1)
#define TRIMDEPTH (24 * 1024)
#define NCHILD 3

#define OPFN __attribute__((noinline, target("general-regs-only")))

/* void callat(uintptr_t sp, void (*fn)(void *), void *arg): calls fn(arg)
 * with the stack pointer at sp (below the caller's), first writing the
 * word at sp so that sp's own page is backed before sp is there. */
void callat(uintptr_t sp, void (*fn)(void *), void *arg);
__asm__(
	"	.text\n"
	"	.globl	callat\n"
	"	.type	callat, @function\n"
	"callat:\n"
	"	push	%rbp\n"
	"	mov	%rsp, %rbp\n"
	"	movq	$0, (%rdi)\n"
	"	mov	%rdi, %rsp\n"
	"	mov	%rdx, %rdi\n"
	"	call	*%rsi\n"
	"	mov	%rbp, %rsp\n"
	"	pop	%rbp\n"
	"	ret\n"
	"	.size	callat, .-callat\n");

enum { OP_MALLOC, OP_GO, OP_CHAN, OP_SPIN, NOPS };
static const char *opname[NOPS] = { "malloc", "go", "chan", "spin" };

static bool trim;               /* the "trim" argument */
static bool opon[NOPS];         /* ops=: the operations swept (default all) */
static int64_t spinns;
static int prefault;            /* prefault=1: no stack growth in the operations (a control run) */
static int kbase;               /* kbase=: added to every k (a control run away from the edge) */
static void *held[2 * NOFFSETS];        /* the kept 1 MiB blocks of a boundary */

/* where the sweep is, for the watchdog */
static volatile int cur_boundary, cur_k, cur_op;
static volatile uint64_t progress;

struct step {
	int boundary, k, op;
	chan_t *done;           /* the step goroutine sends 1 when done */
	chan_t *c1, *c2, *c3;   /* OP_CHAN: to the partner, from it, its select */
	chan_t *childdone;      /* OP_GO */
	void **hold;            /* OP_MALLOC: where to keep the 1 MiB block */
	int64_t slept_ns;       /* OP_SPIN: what sleep_ns(1 ms) took */
	const char *err;        /* NULL: the operation's checks passed */
};

/* envint: the command line's KEY=N, or def */
static int envint(const char *key, int def)
{
	const char *v = gogetenv(key);
	if (!v)
		return def;
	int n = 0;
	for (; *v >= '0' && *v <= '9'; v++)
		n = n * 10 + (*v - '0');
	return n;
}

static _Noreturn void fail(const struct step *s, const char *what)
{
	printf("stackedge: FAIL boundary %d k=%d op %s: %s\n", s->boundary, s->k, opname[s->op], what);
	exit(1);
}

/* deep backs TRIMDEPTH bytes of stack below the caller, so the G that
 * runs it dies with that much stack backed. It touches the pages below
 * its stack pointer before any frame lives there: a big frame made the
 * usual way (sub rsp, then the writes) has the stack pointer on an
 * unbacked page for a moment, and an interrupt coming then is the very
 * defect the spin operation looks for, not what the trim sweep is about. */
static OPFN void deep(void)
{
	uintptr_t sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	for (uintptr_t a = sp - 64; a > sp - TRIMDEPTH; a -= PAGE)
		*(volatile char *)a = 1;
}

static void child(void *arg)
{
	chan_t *c = arg;
	int one = 1;
	if (trim)
		deep();
	chan_send(c, &one);
}

static void partner(void *arg)
{
	struct step *s = arg;
	long v;
	chan_recv(s->c1, &v);
	v++;
	chan_send(s->c2, &v);
	v++;
	chan_send(s->c3, &v);
	if (trim)
		deep();
}

static OPFN void op_malloc(struct step *s)
{
	static const size_t sizes[] = { 16, 200, 3000, 40 * 1024, 1024 * 1024 };
	for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		volatile char *p = malloc(sizes[i]);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		if (p[0] != 1)
			s->err = "malloc: memory does not hold a value";
		free((void *)p);
	}
	volatile char *keep = malloc(1024 * 1024);
	keep[0] = 3;
	*s->hold = (void *)keep;
}

static OPFN void op_go(struct step *s)
{
	for (int i = 0; i < NCHILD; i++)
		go(child, s->childdone);
	for (int i = 0; i < NCHILD; i++) {
		int v = 0;
		if (!chan_recv(s->childdone, &v) || v != 1)
			s->err = "go: a child's value did not arrive";
	}
}

static OPFN void op_chan(struct step *s)
{
	long v = 41, w = 0;
	chan_send(s->c1, &v);
	if (!chan_recv(s->c2, &w) || w != 42)
		s->err = "chan: wrong value from the partner";
	select_case cases[2];
	cases[0].c = NULL;
	cases[0].dir = SELECT_RECV;
	cases[0].elem = NULL;
	cases[1].c = s->c3;
	cases[1].dir = SELECT_RECV;
	cases[1].elem = &w;
	if (chan_select(cases, 2, true) != 1 || !cases[1].ok || w != 43)
		s->err = "chan: select chose wrong or got a wrong value";
	cases[1].c = s->c1;     /* nobody sends on it now */
	if (chan_select(cases, 2, false) != -1)
		s->err = "chan: select with default found a value";
}

static OPFN void op_spin(struct step *s)
{
	int64_t t0 = nanotime(), t1;
	do
		t1 = nanotime();
	while (t1 - t0 < spinns);
	sleep_ns(1000000);
	int64_t t2 = nanotime();
	s->slept_ns = t2 - t1;
	if (t2 - t1 < 1000000)
		s->err = "spin: sleep_ns(1 ms) returned early";
}

static OPFN void runop(void *arg)
{
	struct step *s = arg;
	switch (s->op) {
	case OP_MALLOC: op_malloc(s); break;
	case OP_GO:     op_go(s); break;
	case OP_CHAN:   op_chan(s); break;
	case OP_SPIN:   op_spin(s); break;
	}
}

/* stepg is the fresh goroutine of one step. */
static void stepg(void *arg)
{
	struct step *s = arg;
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	uintptr_t boundary = (frame & ~(PAGE - 1)) - (uintptr_t)(s->boundary - 1) * PAGE;
	uintptr_t sp = boundary + (uintptr_t)(kbase + s->k);
	uintptr_t here;
	__asm__ volatile("mov %%rsp, %0" : "=r"(here));
	if (sp + 256 > here)
		fail(s, "the first frame is too close to its page's bottom to reach the boundary");
	if (s->op == OP_CHAN)
		go(partner, s);
	if (prefault) {
		/* back 16 KiB below sp first: no stack fault in the operation */
		volatile char *q = (volatile char *)(sp - 16 * 1024);
		q[0] = 0;
	}
	callat(sp, runop, s);
	if (trim)
		deep();
	int one = 1;
	chan_send(s->done, &one);
}

static void trimmer(void *arg)
{
	deep();
	int one = 1;
	chan_send(arg, &one);
}

static void watchdog(void *arg)
{
	(void)arg;
	uint64_t last = progress;
	int still = 0;
	for (;;) {
		sleep_ns(1000000000);
		if (progress != last) {
			last = progress;
			still = 0;
		} else if (++still == 20) {
			printf("stackedge: FAIL no progress for 20 s at boundary %d k=%d op %s\n",
			       cur_boundary, cur_k, opname[cur_op]);
			exit(1);
		}
	}
}

void main_main(void)
{
	for (int i = 1; i < goargc(); i++)
		if (strcmp(goargv()[i], "trim") == 0)
			trim = true;
	int spinms = envint("spinms", 25);
	kbase = envint("kbase", 0);
	prefault = envint("prefault", 0);
	spinns = (int64_t)spinms * 1000000;
	const char *ops = gogetenv("ops");
	int nops = 0;
	for (int op = 0; op < NOPS; op++) {
		if (ops) {
			size_t n = strlen(opname[op]);
			for (const char *w = ops; w; w = strchr(w, ','), w = w ? w + 1 : NULL)
				if (strncmp(w, opname[op], n) == 0 && (w[n] == ',' || w[n] == 0))
					opon[op] = true;
		} else {
			opon[op] = true;
		}
		nops += opon[op];
	}
	printf("stackedge: mode %s, k = %d+0..%d step %d, spin %d ms, GOMAXPROCS=%d\n",
	       trim ? "trim" : "plain", kbase, KMAX, KSTEP, spinms, gomaxprocs(0));
	go(watchdog, NULL);

	struct step s;
	memset(&s, 0, sizeof s);
	s.done = chan_make(sizeof(int), 0);
	s.childdone = chan_make(sizeof(int), 0);
	chan_t *trimdone = chan_make(sizeof(int), 0);
	int64_t worstsleep = 0;
	int steps = 0;
	for (int b = 1; b <= 2; b++) {
		printf("stackedge: boundary %d (%s)\n", b,
		       b == 1 ? "the bottom of the top page" : "one page lower");
		int nheld = 0;
		for (int k = 0; k <= KMAX; k += KSTEP) {
			printf("stackedge: b%d k=%d:", b, k);
			int64_t tk = nanotime();
			for (int op = 0; op < NOPS; op++) {
				if (!opon[op])
					continue;
				cur_boundary = b;
				cur_k = k;
				cur_op = op;
				if (trim) {
					for (int i = 0; i < NCHILD; i++)
						go(trimmer, trimdone);
					for (int i = 0; i < NCHILD; i++)
						chan_recv(trimdone, NULL);
				}
				s.boundary = b;
				s.k = k;
				s.op = op;
				s.err = NULL;
				s.c1 = chan_make(sizeof(long), 0);
				s.c2 = chan_make(sizeof(long), 0);
				s.c3 = chan_make(sizeof(long), 0);
				s.hold = &held[nheld];
				go(stepg, &s);
				int v = 0;
				chan_recv(s.done, &v);
				if (s.err)
					fail(&s, s.err);
				/* a timer interrupt lost at that depth leaves this CPU's
				 * timer dead: then this sleep never ends, and the hang
				 * shows at the step that caused it */
				sleep_ns(200000);
				if (op == OP_MALLOC)
					nheld++;
				if (op == OP_SPIN && s.slept_ns > worstsleep)
					worstsleep = s.slept_ns;
				steps++;
				progress++;
				printf(" %s", opname[op]);
			}
			printf(" ok (%ld ms)\n", (long)((nanotime() - tk) / 1000000));
		}
		for (int i = 0; i < nheld; i++)
			free(held[i]);
		printf("stackedge: boundary %d: %d offsets ok\n", b, NOFFSETS);
	}
	/* the clock and the timers still work, wherever main now runs */
	for (int i = 0; i < 20; i++) {
		int64_t t0 = nanotime();
		sleep_ns(1000000);
		int64_t d = nanotime() - t0;
		if (d > worstsleep)
			worstsleep = d;
	}
	printf("stackedge: slowest sleep_ns(1 ms): %ld us\n", (long)(worstsleep / 1000));
	if (steps != 2 * NOFFSETS * nops)
		printf("stackedge: FAIL %d steps\n", steps), exit(1);
	printf("stackedge: 2 boundaries x %d offsets x %d ops ok\n", NOFFSETS, nops);
}
