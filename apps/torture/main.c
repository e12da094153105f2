/*
 * torture: a torture run of the runtime, in the spirit of Linux's
 * rcutorture and locktorture, written only against include/rt.h. For
 * `duration` seconds it runs rounds; in each, a random number of tasks
 * (goroutines) do a random mix of operations on shared state:
 *
 *   goroutines  spawn (children of children, up to MAXDEPTH), fork-join
 *               with WaitGroups (some behind a start gate), gosched
 *   channels    blocking and non-blocking sends and receives on unbuffered
 *               and buffered round channels (some of zero-size elements),
 *               select with 2-6 cases (nil channels, the same channel
 *               twice, sends and receives) with and without default, a
 *               timer goroutine raced in a select, pipes that are closed
 *               on parked receivers
 *   sync        transfers between accounts under two mutexes (lock, a
 *               trylock loop, held while sleeping or spinning, which
 *               starves waiters into hand-off mode), a counter incremented
 *               non-atomically under a mutex, audits holding every
 *               account's mutex, once_do, gomaxprocs changes
 *   time        sleep_ns of random short durations (also 0 and negative)
 *   memory      malloc, calloc, realloc, free of 0 B to 256 KiB, patterned
 *               and checked; patterned parcels sent in messages and freed
 *               by the receiver
 *   stack       recursion to random depths with alloca frames of random
 *               sizes up to near stackmax, checked on the way back, with
 *               blocking operations at the bottom
 *   spinning    computation checked in general, SSE and AVX2 registers,
 *               for asynchronous preemption to interrupt
 *
 * Every round channel has sinks that drain it until it is closed at the
 * end of the round; the operations are built so that none blocks forever
 * (ops.c). What is checked, at once or at the round's end:
 *
 *   - every message arrives intact (a hash over its fields and channel),
 *     in order per sender on channels with one receiver, and per channel
 *     as many messages and the same sum of values are received as sent;
 *   - every parcel sent is received intact and freed;
 *   - the accounts' sum is conserved (audited during the round too); the
 *     mutex-protected counter equals the increments made;
 *   - once_do ran its function exactly once; wg_wait returned only after
 *     every wg_done; a pipe's receivers got every value before the close;
 *     receives on a closed channel give zero values;
 *   - heap blocks and stack frames keep their patterns; new memory is zero;
 *   - sleep_ns and timers never return early;
 *   - numgoroutine() comes back to its value before the round;
 *   - no hang: if no operation completes for `hang` seconds, the program
 *     prints what each task was doing and throws (every goroutine's stack).
 *
 * A round passes when nothing failed in it. Every 10 s a progress line;
 * at the end "N passed, N failed"; exit status 0 if none failed, else a
 * list of what broke and exit status 2.
 *
 * Command line (KEY=VALUE words):
 *   duration=S    seconds to run rounds (default 60; the last round ends)
 *   seed=N        the run's seed (default: from the clock); printed first
 *   round=R       the first round's number (default 1): seed=N round=R
 *                 replays round R's choices at once
 *   rounds=N      stop after N rounds (default: no limit)
 *   hang=S        seconds without progress that count as a hang (60)
 *   maxprocsop=0  no gomaxprocs changes (2: concurrent ones, unserialized)
 * Each task's PRNG is seeded from its parent's, each round's from the run
 * seed and the round number, so a seed replays the same choices (not the
 * same interleaving).
 */
#include "torture.h"

uint64_t nops[NKIND];
uint64_t runseed;
int stackbudget;
uint64_t deepest;
int maxprocsop = 1;
struct round *volatile curround;

static mutex_t roundmu;         /* curround's lifetime */
static int64_t tstart, durationns, hangns;
static int baseline;            /* numgoroutine() between rounds */
static uint32_t passed, failed; /* rounds */
static uint64_t steps;          /* atomic: the driver's progress besides operations */

/* ---- failures ---- */

enum { KEEPFAILS = 12, PRINTFAILS = 40 };
static mutex_t failmu;
static uint32_t nfails;                 /* failmu: failures reported */
static char keptfail[KEEPFAILS][200];   /* failmu: the first ones */

void fail(struct round *r, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&r->fails, 1, __ATOMIC_RELAXED);
	mutex_lock(&failmu);
	uint32_t n = nfails++;
	if (n < KEEPFAILS)
		snprintf(keptfail[n], sizeof keptfail[n], "round %d: %s", r->num, buf);
	if (n < PRINTFAILS)
		printf("torture: FAIL round %d: %s\n", r->num, buf);
	mutex_unlock(&failmu);
}

int task_register(struct round *r, struct task *t)
{
	uint32_t i = __atomic_fetch_add(&r->ntasks, 1, __ATOMIC_RELAXED);
	if (i >= MAXTASKS)
		return -1;
	t->id = (int)i;
	t->op = "starting";
	r->tasks[i] = t;
	return (int)i;
}

/* ---- progress ---- */

static uint64_t sumops(int from, int to)
{
	uint64_t s = 0;
	for (int k = from; k <= to; k++)
		s += __atomic_load_n(&nops[k], __ATOMIC_RELAXED);
	return s;
}

static void progress(const char *prefix)
{
	memstats_t ms;
	read_memstats(&ms);
	printf("torture: %s%ld s: %u rounds (%u passed, %u failed), %lu ops: spawn %lu chan %lu select %lu "
	       "mutex %lu sleep %lu mem %lu stack %lu spin %lu maxprocs %lu; goroutines %d, heap %lu KiB\n",
	       prefix, (long)((nanotime() - tstart) / 1000000000), passed + failed, passed, failed,
	       (unsigned long)sumops(0, NKIND - 1), (unsigned long)sumops(K_SPAWN, K_FORKJOIN),
	       (unsigned long)(sumops(K_SEND, K_TRYRECV) + sumops(K_PIPE, K_PIPE)),
	       (unsigned long)sumops(K_SELECT, K_TIMERSELECT), (unsigned long)sumops(K_TRANSFER, K_ONCE),
	       (unsigned long)sumops(K_SLEEP, K_GOSCHED), (unsigned long)sumops(K_MALLOC, K_CALLOC),
	       (unsigned long)sumops(K_RECURSE, K_RECURSE), (unsigned long)sumops(K_SPIN, K_SPIN),
	       (unsigned long)sumops(K_GOMAXPROCS, K_GOMAXPROCS), numgoroutine(),
	       (unsigned long)(ms.heap_inuse / 1024));
}

/* hang reports what every task of the round is doing, then throws: the
 * fatal error prints every goroutine's stack. */
static void hang(int64_t idle)
{
	printf("torture: HANG: no progress for %ld s\n", (long)(idle / 1000000000));
	bool locked = false;
	for (int i = 0; i < 100 && !(locked = mutex_trylock(&roundmu)); i++)
		sleep_ns(1000000);
	struct round *r = curround;
	if (locked && r) {
		printf("torture: round %d (replay: seed=%lu round=%d), waiting for %s; numgoroutine %d, %d between rounds\n",
		       r->num, (unsigned long)runseed, r->num, r->phase, numgoroutine(), baseline);
		uint32_t n = __atomic_load_n(&r->ntasks, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < n && i < MAXTASKS; i++) {
			struct task *t = r->tasks[i];
			if (t && strcmp(t->op, "done") != 0)
				printf("torture:   task %u (depth %d, %d ops): in %s, recursion depth %d\n",
				       i, t->depth, t->nops, t->op, t->opdepth);
		}
		for (int c = 0; c < r->nch; c++) {
			struct tchan *tc = &r->ch[c];
			printf("torture:   channel %d (cap %d%s%s, sink mode %d): len %d, sent %lu, received %lu\n",
			       c, tc->cap, tc->fifo ? ", fifo" : "", tc->sig ? ", zero-size" : "", tc->sinkmode,
			       chan_len(tc->c), (unsigned long)tc->sent, (unsigned long)tc->recvd);
		}
	}
	progress("at the hang: ");
	printf("%u passed, %u failed\n", passed, failed + 1);
	throw("torture: no progress (hang)");
}

static volatile bool finished;

static void watchdog(void *arg)
{
	(void)arg;
	int64_t lastprint = tstart, lastchange = nanotime();
	uint64_t last = 0;
	while (!finished) {
		sleep_ns(250 * 1000000ll);
		int64_t now = nanotime();
		uint64_t p = sumops(0, NKIND - 1) + __atomic_load_n(&steps, __ATOMIC_RELAXED);
		if (p != last) {
			last = p;
			lastchange = now;
		} else if (now - lastchange >= hangns) {
			hang(now - lastchange);
		}
		if (now - lastprint >= 10 * 1000000000ll && !finished) {
			lastprint += 10 * 1000000000ll;
			progress("");
		}
	}
}

static void setphase(struct round *r, const char *phase)
{
	r->phase = phase;
	__atomic_add_fetch(&steps, 1, __ATOMIC_RELAXED);
}

/* ---- a round ---- */

static void round_check(struct round *r)
{
	for (int c = 0; c < r->nch; c++) {
		struct tchan *tc = &r->ch[c];
		if (tc->sent != tc->recvd || tc->sentsum != tc->recvdsum)
			fail(r, "channel %d (cap %d%s%s, sink mode %d): sent %lu, received %lu%s", c, tc->cap,
			     tc->fifo ? ", fifo" : "", tc->sig ? ", zero-size" : "", tc->sinkmode,
			     (unsigned long)tc->sent, (unsigned long)tc->recvd,
			     tc->sentsum != tc->recvdsum ? ", sums differ" : "");
	}
	if (r->blksent != r->blkfreed)
		fail(r, "%lu parcels sent, %lu received and freed", (unsigned long)r->blksent,
		     (unsigned long)r->blkfreed);
	int64_t sum = 0;
	for (int i = 0; i < r->nacc; i++)
		sum += r->acc[i].bal;
	if (sum != r->total)
		fail(r, "the %d accounts hold %ld at the end, want %ld", r->nacc, (long)sum, (long)r->total);
	if ((uint64_t)r->counter != r->counterincs)
		fail(r, "the mutex-protected counter is %ld after %lu increments", (long)r->counter,
		     (unsigned long)r->counterincs);
	if (r->onceruns != (r->oncecalled ? 1u : 0u))
		fail(r, "once_do's function ran %u times", r->onceruns);
	for (int i = 0; i < r->nacc; i++)
		if (!mutex_trylock(&r->acc[i].mu))
			fail(r, "account %d's mutex is still locked", i);
}

static void round_run(int num, int procs)
{
	struct round *r = calloc(1, sizeof *r);
	r->num = num;
	r->seed = mix64(runseed ^ mix64((uint64_t)num));
	uint64_t rng = r->seed;
	static const int caps[] = { 0, 0, 0, 1, 2, 5, 16, 64 };
	r->nch = 2 + (int)rndn(&rng, MAXCH - 1);
	for (int c = 0; c < r->nch; c++) {
		struct tchan *tc = &r->ch[c];
		tc->cap = caps[rndn(&rng, 8)];
		tc->sig = chance(&rng, 15);
		tc->fifo = !tc->sig && chance(&rng, 40);
		tc->sinkmode = (int)rndn(&rng, 3);
		tc->c = chan_make(tc->sig ? 0 : sizeof(struct msg), tc->cap);
	}
	r->nacc = 2 + (int)rndn(&rng, MAXACC - 1);
	for (int i = 0; i < r->nacc; i++)
		r->total += r->acc[i].bal = 1000 + (int64_t)rndn(&rng, 1000);
	r->chanbudget = CHANBUDGET;
	int nworkers = 2 + (int)rndn(&rng, 3 * procs + 3);
	r->phase = "tasks";

	mutex_lock(&roundmu);
	curround = r;
	mutex_unlock(&roundmu);

	for (int c = 0; c < r->nch; c++) {
		int nsinks = r->ch[c].fifo ? 1 : 1 + (int)rndn(&rng, 2);
		for (int i = 0; i < nsinks; i++)
			sink_start(r, c, rnd64(&rng));
	}
	for (int w = 0; w < nworkers; w++) {
		struct task *t = calloc(1, sizeof *t);
		t->r = r;
		t->rng = rnd64(&rng);
		t->nops = 40 + (int)rndn(&rng, 260);
		task_register(r, t);
		wg_add(&r->wg, 1);
		go(task_main, t);
	}
	setphase(r, "tasks");
	wg_wait(&r->wg);

	setphase(r, "sinks");
	for (int c = 0; c < r->nch; c++)
		chan_close(r->ch[c].c);
	wg_wait(&r->sinkwg);
	if (gomaxprocs(0) != procs)
		gomaxprocs(procs);
	round_check(r);

	setphase(r, "goroutines to exit");
	int n;
	while ((n = numgoroutine()) != baseline) {
		if (n < baseline) {
			fail(r, "numgoroutine() is %d, below the %d before the round", n, baseline);
			break;
		}
		sleep_ns(1000000);
	}
	setphase(r, "next round");

	mutex_lock(&roundmu);
	curround = NULL;
	mutex_unlock(&roundmu);
	if (r->fails)
		failed++;
	else
		passed++;
	for (uint32_t i = 0; i < r->ntasks && i < MAXTASKS; i++)
		free(r->tasks[i]);
	free(r);
}

/* ---- the command line ---- */

static bool parseu64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return false;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}

static uint64_t envnum(const char *key, uint64_t def)
{
	const char *s = gogetenv(key);
	uint64_t v;
	if (!s)
		return def;
	if (!parseu64(s, &v)) {
		printf("torture: %s=%s is not a number; using %lu\n", key, s, (unsigned long)def);
		return def;
	}
	return v;
}

void main_main(void)
{
	uint64_t seed = envnum("seed", mix64((uint64_t)nanotime() ^ 0x746f7274757265ull));
	runseed = seed;
	durationns = (int64_t)envnum("duration", 60) * 1000000000ll;
	hangns = (int64_t)envnum("hang", 60) * 1000000000ll;
	int first = (int)envnum("round", 1);
	uint64_t maxrounds = envnum("rounds", 0);
	maxprocsop = (int)envnum("maxprocsop", 1);
	/* the recursion stays this far below the top of a goroutine's stack:
	 * the rest is the guard page, the g, and a leaf operation's frames */
	stackbudget = (int)envnum("stackmax", 131072) - 24 * 1024;
	if (stackbudget < 16 * 1024)
		stackbudget = 16 * 1024;
	spin_init();
	int procs = gomaxprocs(0);
	const char *gd = gogetenv("GODEBUG");
	printf("torture: seed=%lu duration=%ld s, %d CPUs, GOMAXPROCS=%d, recursion up to %d KiB, "
	       "registers checked: general, SSE%s; GODEBUG=%s\n",
	       (unsigned long)seed, (long)(durationns / 1000000000), numcpu(), procs, stackbudget / 1024,
	       spin_avx2_enabled() ? ", AVX2" : "", gd ? gd : "");

	tstart = nanotime();
	go(watchdog, NULL);
	baseline = numgoroutine();
	int num = first;
	do {
		round_run(num++, procs);
	} while (nanotime() - tstart < durationns && (maxrounds == 0 || (uint64_t)(num - first) < maxrounds));
	finished = true;

	progress("done after ");
	printf("torture: ops by kind:");
	for (int k = 0; k < NKIND; k++)
		printf("%s %s %lu", k % 8 == 0 && k ? "\ntorture:  " : "", kindname[k],
		       (unsigned long)__atomic_load_n(&nops[k], __ATOMIC_RELAXED));
	printf("\ntorture: deepest recursion %lu KiB of stack; rounds %d..%d, seed=%lu\n",
	       (unsigned long)(__atomic_load_n(&deepest, __ATOMIC_RELAXED) / 1024), first, num - 1,
	       (unsigned long)seed);
	printf("%u passed, %u failed\n", passed, failed);
	if (failed == 0)
		return;
	mutex_lock(&failmu);
	printf("torture: what broke (%u failures; the first %d):\n", nfails, nfails < KEEPFAILS ? (int)nfails : KEEPFAILS);
	for (uint32_t i = 0; i < nfails && i < KEEPFAILS; i++)
		printf("torture:   %s\n", keptfail[i]);
	printf("torture: replay with seed=%lu and round=R for a failed round R\n", (unsigned long)seed);
	mutex_unlock(&failmu);
	exit(2);
}
