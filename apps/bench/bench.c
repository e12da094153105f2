/*
 * bench: the rtbench workloads (../shared/bench/SPEC.md), the runtime's
 * side of the comparison with Go on Linux. Each workload does what the Go
 * anchor's bench.go does, with the same counts, GOMAXPROCS settings and
 * measurements, and prints one line in the same format and precision:
 *
 *	BENCH <name> <value> <unit> [check=<checksum>]
 *
 * The command line's words (argv) name the workloads to run, in the order
 * given; "all" is the spec's ten in the spec's order, then switch-floor,
 * then "BENCH done". tools/bench.py (make bench) boots this image.
 *
 * switch-floor is ours alone: two bare contexts handing the CPU to each
 * other with the register set gogo and mcall move, and no scheduler, the
 * least a goroutine switch could cost on this machine.
 */
#include <rt.h>

/* nanotime() at main_main's first line: nanotime counts from the runtime's
 * first instruction, so this is the startup time itself. */
static int64_t startup_ns;

/* ---- reporting ----
 * The console's printf has no %f: a value is the fraction num/den, printed
 * rounded to prec decimals, as Go's %.*f would print the float. */

static int64_t pow10i(int n)
{
	int64_t p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

static void print_value(int64_t num, int64_t den, int prec)
{
	bool neg = (num < 0) != (den < 0);
	if (num < 0)
		num = -num;
	if (den < 0)
		den = -den;
	int64_t scale = pow10i(prec);
	/* num * scale could overflow int64 for large num; split it */
	int64_t whole = num / den, rest = num % den;
	int64_t frac = (rest * scale + den / 2) / den;
	if (frac >= scale) {
		whole++;
		frac -= scale;
	}
	if (neg && (whole || frac))
		printf("-");
	if (prec > 0)
		printf("%ld.%0*ld", (long)whole, prec, (long)frac);
	else
		printf("%ld", (long)whole);
}

static void report(const char *name, int64_t num, int64_t den, const char *unit, int prec)
{
	printf("BENCH %s ", name);
	print_value(num, den, prec);
	printf(" %s\n", unit);
}

static void report_check(const char *name, int64_t num, int64_t den, const char *unit, int prec,
                         int64_t check)
{
	printf("BENCH %s ", name);
	print_value(num, den, prec);
	printf(" %s check=%ld\n", unit, (long)check);
}

/* prepare gives each workload the default GOMAXPROCS unless it sets its
 * own, as bench.go's does. There is no collector to run between them. */
static void prepare(int procs)
{
	gomaxprocs(procs);
}

/* ---- spawn: 100000 goroutines that only signal a WaitGroup ---- */

static waitgroup_t spawn_wg;

static void spawn_one(void *arg)
{
	wg_done(&spawn_wg);
}

static void spawn(void)
{
	enum { N = 100000 };
	int64_t t0 = nanotime();
	wg_add(&spawn_wg, N);
	for (int i = 0; i < N; i++)
		go(spawn_one, NULL);
	wg_wait(&spawn_wg);
	report("spawn", nanotime() - t0, N, "ns", 0);
}

/* ---- yield: GOMAXPROCS=1, 2 goroutines each Gosched 500000 times ---- */

enum { YIELDS_PER_G = 500000 };
static waitgroup_t yield_wg;

static void yielder(void *arg)
{
	for (int i = 0; i < YIELDS_PER_G; i++)
		gosched();
	wg_done(&yield_wg);
}

static void yield(void)
{
	gomaxprocs(1);
	wg_add(&yield_wg, 2);
	int64_t t0 = nanotime();
	for (int i = 0; i < 2; i++)
		go(yielder, NULL);
	wg_wait(&yield_wg);
	report("yield", nanotime() - t0, 2 * YIELDS_PER_G, "ns", 0);
}

/* ---- pingpong: round trips main -> echo -> main on unbuffered channels ---- */

struct pingpong_chans {
	chan_t *ping, *pong;
};

static void echo(void *arg)
{
	struct pingpong_chans *pc = arg;
	int64_t v;
	while (chan_recv(pc->ping, &v))
		chan_send(pc->pong, &v);
}

static void pingpong(const char *name, int procs)
{
	enum { N = 200000 };
	gomaxprocs(procs);
	/* the echo goroutine may still read it after the close */
	struct pingpong_chans *pc = malloc(sizeof *pc);
	pc->ping = chan_make(sizeof(int64_t), 0);
	pc->pong = chan_make(sizeof(int64_t), 0);
	go(echo, pc);
	int64_t t0 = nanotime();
	for (int64_t i = 0; i < N; i++) {
		int64_t v = i;
		chan_send(pc->ping, &v);
		chan_recv(pc->pong, &v);
	}
	int64_t elapsed = nanotime() - t0;
	chan_close(pc->ping);
	report(name, elapsed, N, "ns", 0);
}

static void pingpong1(void) { pingpong("pingpong1", 1); }
static void pingpong2(void) { pingpong("pingpong2", 2); }

/* ---- skynet: 10-ary tree, 1000000 leaves; every parent starts its ten
 * children at once and then receives their ten sums ---- */

struct skynode {
	chan_t *out;
	int64_t num, size;
};

static void skynet_node(void *arg);

/* A node's arguments live in a small heap object, as Go's go statement
 * with arguments allocates a closure for them. */
static void skynet_go(chan_t *out, int64_t num, int64_t size)
{
	struct skynode *n = malloc(sizeof *n);
	*n = (struct skynode){ out, num, size };
	go(skynet_node, n);
}

static void skynet_node(void *arg)
{
	struct skynode n = *(struct skynode *)arg;
	free(arg);
	if (n.size == 1) {
		chan_send(n.out, &n.num);
		return;
	}
	chan_t *in = chan_make(sizeof(int64_t), 0);
	int64_t step = n.size / 10;
	for (int64_t i = 0; i < 10; i++)
		skynet_go(in, n.num + i * step, step);
	int64_t sum = 0, v;
	for (int i = 0; i < 10; i++) {
		chan_recv(in, &v);
		sum += v;
	}
	chan_send(n.out, &sum);
}

static void skynet(void)
{
	int64_t t0 = nanotime();
	chan_t *out = chan_make(sizeof(int64_t), 0);
	skynet_go(out, 0, 1000000);
	int64_t sum;
	chan_recv(out, &sum);
	report_check("skynet", nanotime() - t0, 1000000, "ms", 0, sum);
}

/* ---- threadring: 503 goroutines pass a token 1000000 times ---- */

struct ringmember {
	int64_t id;
	chan_t *in, *out, *done;
};

static void ringmember(void *arg)
{
	struct ringmember *r = arg;
	int64_t token;
	while (chan_recv(r->in, &token)) {
		if (token == 0) {
			chan_send(r->done, &r->id);
			return;
		}
		token--;
		chan_send(r->out, &token);
	}
}

static void threadring(void)
{
	enum { N = 503, PASSES = 1000000 };
	int64_t t0 = nanotime();
	chan_t **ring = malloc(N * sizeof *ring);
	for (int i = 0; i < N; i++)
		ring[i] = chan_make(sizeof(int64_t), 0);
	chan_t *done = chan_make(sizeof(int64_t), 0);
	struct ringmember *members = malloc(N * sizeof *members);
	for (int i = 0; i < N; i++) {
		members[i] = (struct ringmember){ i + 1, ring[i], ring[(i + 1) % N], done };
		go(ringmember, &members[i]);
	}
	int64_t token = PASSES, id;
	chan_send(ring[0], &token);
	chan_recv(done, &id);
	int64_t elapsed = nanotime() - t0;
	for (int i = 0; i < N; i++)
		chan_close(ring[i]);    /* ends the other 502 */
	report_check("threadring", elapsed, 1000000, "ms", 0, id);
	/* members and the channels stay: the 502 may not have seen the close yet */
}

/* ---- parallel: 8 goroutines each compute fib(27), at GOMAXPROCS 1 and 2 ---- */

enum { FIB_WORKERS = 8, FIB_N = 27 };

/* noipa: gcc would otherwise inline the recursion into itself and
 * specialise it for the constant 27, doing a fraction of the calls; Go's
 * compiler makes every call, and so must this. */
__attribute__((noipa)) static int64_t fib(int64_t n)
{
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}

struct fibjob {
	int64_t result;
	waitgroup_t *wg;
};

static void fibworker(void *arg)
{
	struct fibjob *j = arg;
	j->result = fib(FIB_N);
	wg_done(j->wg);
}

/* fibs returns the elapsed ns; *check is fib(27), or -1 if a worker disagreed. */
static int64_t fibs(int procs, int64_t *check)
{
	prepare(procs);
	static struct fibjob jobs[FIB_WORKERS];
	waitgroup_t wg = {0};
	wg_add(&wg, FIB_WORKERS);
	int64_t t0 = nanotime();
	for (int w = 0; w < FIB_WORKERS; w++) {
		jobs[w] = (struct fibjob){ 0, &wg };
		go(fibworker, &jobs[w]);
	}
	wg_wait(&wg);
	int64_t elapsed = nanotime() - t0;
	*check = jobs[0].result;
	for (int w = 1; w < FIB_WORKERS; w++)
		if (jobs[w].result != jobs[0].result)
			*check = -1;
	return elapsed;
}

static void parallel(void)
{
	int64_t c1, c2;
	int64_t t1 = fibs(1, &c1);
	int64_t t2 = fibs(2, &c2);
	report_check("parallel", t1, t2, "x", 2, c1 == c2 ? c1 : -1);
}

/* ---- sleep: 200 x sleep 1 ms; mean overshoot above 1 ms ---- */

static void sleep(void)
{
	enum { N = 200, MS = 1000000 };
	int64_t total = 0;
	for (int i = 0; i < N; i++) {
		int64_t t0 = nanotime();
		sleep_ns(MS);
		total += nanotime() - t0;
	}
	report("sleep", total - (int64_t)N * MS, (int64_t)N * 1000, "us", 1);
}

/* ---- stackmem: 100000 goroutines blocked receiving on one channel ----
 *
 * value = (inuse(all blocked) - inuse(before spawning)) / 100000, with
 * inuse = heap_inuse + stack_inuse + pagetables: every byte the runtime
 * holds for them. The goroutines must be new: a dead g is reused with its
 * stack page, so after other workloads new goroutines would seem free.
 * "all" therefore runs this first, though spawn and skynet then reuse its
 * 100000 dead g's; tools/bench.py boots twice instead, stackmem first in
 * the second boot, so that spawn too starts from nothing, as in Go. */

enum { STACKMEM_N = 100000 };
static chan_t *stackmem_block;
static int64_t stackmem_started;
static waitgroup_t stackmem_wg;
static int64_t stackmem_stack, stackmem_pt, stackmem_heap, stackmem_total;

static void stackmem_one(void *arg)
{
	__atomic_add_fetch(&stackmem_started, 1, __ATOMIC_SEQ_CST);
	chan_recv(stackmem_block, NULL);
	wg_done(&stackmem_wg);
}

static uint64_t inuse(const memstats_t *m)
{
	return m->heap_inuse + m->stack_inuse + m->pagetables;
}

/* measure_stackmem keeps its figures for print_stackmem, so that "all"
 * can measure first and still print in the spec's order. */
static void measure_stackmem(void)
{
	memstats_t before, after;
	stackmem_block = chan_make(0, 0);
	read_memstats(&before);
	wg_add(&stackmem_wg, STACKMEM_N);
	for (int i = 0; i < STACKMEM_N; i++)
		go(stackmem_one, NULL);
	while (__atomic_load_n(&stackmem_started, __ATOMIC_SEQ_CST) < STACKMEM_N)
		sleep_ns(1000000);
	/* the last ones counted may not have parked yet */
	sleep_ns(20 * 1000000);
	read_memstats(&after);
	chan_close(stackmem_block);
	wg_wait(&stackmem_wg);

	stackmem_stack = (int64_t)after.stack_inuse - (int64_t)before.stack_inuse;
	stackmem_pt = (int64_t)after.pagetables - (int64_t)before.pagetables;
	stackmem_heap = (int64_t)after.heap_inuse - (int64_t)before.heap_inuse;
	stackmem_total = (int64_t)inuse(&after) - (int64_t)inuse(&before);
}

static void print_stackmem(void)
{
	printf("# stackmem per goroutine: stack %ld page tables %ld heap %ld bytes\n",
	       (long)(stackmem_stack / STACKMEM_N), (long)(stackmem_pt / STACKMEM_N),
	       (long)(stackmem_heap / STACKMEM_N));
	report("stackmem", stackmem_total, STACKMEM_N, "bytes", 0);
}

static void stackmem(void)
{
	measure_stackmem();
	print_stackmem();
}

/* ---- startup: the runtime's first instruction to main_main's first line ---- */

static void startup(void)
{
	report("startup", startup_ns, 1000, "us", 0);
}

/* ---- switch-floor: two bare contexts, no scheduler ----
 *
 * floor_swap saves what mcall saves into *save (the return pc, the sp as
 * if it had returned, g, rbp, rbx, r12-r15) and loads what gogo loads from
 * *load, g included, then jumps. Both contexts belong to this goroutine,
 * so g is the same value on either side; moving it costs what setg costs.
 * The second context's stack is an array on this goroutine's stack, so
 * that an interrupt or a preemption landing on it finds itself inside the
 * goroutine's own stack bounds. */

struct floor_ctx {
	uintptr_t sp, pc, g, bp, bx, r12, r13, r14, r15;
};

void floor_swap(struct floor_ctx *save, const struct floor_ctx *load);

__asm__(
	".text\n"
	".globl floor_swap\n"
	".type floor_swap, @function\n"
	"floor_swap:\n"
	"	movq	(%rsp), %rax\n"
	"	movq	%rax, 8(%rdi)\n"
	"	leaq	8(%rsp), %rax\n"
	"	movq	%rax, 0(%rdi)\n"
	"	movq	%gs:0, %rax\n"
	"	movq	%rax, 16(%rdi)\n"
	"	movq	%rbp, 24(%rdi)\n"
	"	movq	%rbx, 32(%rdi)\n"
	"	movq	%r12, 40(%rdi)\n"
	"	movq	%r13, 48(%rdi)\n"
	"	movq	%r14, 56(%rdi)\n"
	"	movq	%r15, 64(%rdi)\n"
	"	movq	16(%rsi), %rdx\n"
	"	movq	%rdx, %gs:0\n"
	"	movq	0(%rsi), %rsp\n"
	"	movq	24(%rsi), %rbp\n"
	"	movq	32(%rsi), %rbx\n"
	"	movq	40(%rsi), %r12\n"
	"	movq	48(%rsi), %r13\n"
	"	movq	56(%rsi), %r14\n"
	"	movq	64(%rsi), %r15\n"
	"	movq	8(%rsi), %rax\n"
	"	jmp	*%rax\n"
	".size floor_swap, .-floor_swap\n");

static struct floor_ctx floor_main, floor_peer_ctx;

/* The second context: hands the CPU straight back, forever. */
static void floor_peer(void)
{
	for (;;)
		floor_swap(&floor_peer_ctx, &floor_main);
}

static void switch_floor(void)
{
	enum { ROUNDS = 500000, PEER_STACK = 16384 };   /* 2 switches a round */
	_Alignas(16) char stack[PEER_STACK];
	memset(stack, 0, sizeof stack);
	uintptr_t g;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(g));
	/* a function is entered with sp = 8 mod 16, a return address at [sp] */
	uintptr_t sp = (uintptr_t)(stack + PEER_STACK) - 8;
	*(uintptr_t *)sp = 0;
	floor_peer_ctx = (struct floor_ctx){ .sp = sp, .pc = (uintptr_t)floor_peer, .g = g };
	floor_swap(&floor_main, &floor_peer_ctx);      /* warm up: the peer starts */
	int64_t t0 = nanotime();
	for (int i = 0; i < ROUNDS; i++)
		floor_swap(&floor_main, &floor_peer_ctx);
	int64_t elapsed = nanotime() - t0;
	report("switch-floor", elapsed, 2 * ROUNDS, "ns", 0);
}

/* ---- choosing ---- */

static const struct {
	const char *name;
	void (*run)(void);
} workloads[] = {
	{"spawn", spawn},
	{"yield", yield},
	{"pingpong1", pingpong1},
	{"pingpong2", pingpong2},
	{"skynet", skynet},
	{"threadring", threadring},
	{"parallel", parallel},
	{"sleep", sleep},
	{"stackmem", stackmem},
	{"startup", startup},
	{"switch-floor", switch_floor},
};
enum { NWORKLOADS = sizeof workloads / sizeof workloads[0] };

static _Noreturn void usage(const char *bad)
{
	if (bad)
		printf("bench: unknown workload %s\n", bad);
	printf("usage: bench all | bench NAME...\nnames:");
	for (int i = 0; i < NWORKLOADS; i++)
		printf(" %s", workloads[i].name);
	printf("\n");
	exit(2);
}

static int lookup(const char *name)
{
	for (int i = 0; i < NWORKLOADS; i++)
		if (strcmp(workloads[i].name, name) == 0)
			return i;
	return -1;
}

static void run_all(void)
{
	int ncpu = numcpu();
	prepare(ncpu);
	measure_stackmem();
	for (int i = 0; i < NWORKLOADS; i++) {
		prepare(ncpu);
		if (workloads[i].run == stackmem)
			print_stackmem();
		else
			workloads[i].run();
	}
	printf("BENCH done\n");
}

void main_main(void)
{
	startup_ns = nanotime();
	int argc = goargc();
	char **argv = goargv();
	if (argc < 2)
		usage(NULL);
	if (argc == 2 && strcmp(argv[1], "all") == 0) {
		run_all();
		return;
	}
	/* every name is checked before anything runs */
	for (int a = 1; a < argc; a++)
		if (lookup(argv[a]) < 0)
			usage(argv[a]);
	for (int a = 1; a < argc; a++) {
		prepare(numcpu());
		workloads[lookup(argv[a])].run();
	}
}
