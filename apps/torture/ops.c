/*
 * ops.c - a torture task's life: a random sequence of operations on the
 * round's shared state, each checking what it can at once; and the sinks
 * that drain the round channels.
 *
 * No operation can block forever: every round channel has a sink that
 * receives until the channel is closed (after every task has finished), so
 * a send always completes; a task only ever receives without blocking, or
 * in a select that also has a send case or a timer; accounts are locked in
 * index order; pipes, fork-joins and timers are the task's own.
 */
#include "torture.h"

static mutex_t maxprocsmu;      /* one gomaxprocs change at a time */

/* ---- messages ---- */

uint64_t msgcheck(const struct msg *m, int ch)
{
	return mix64(((uint64_t)m->task << 32 | m->seq) ^ mix64(m->val ^ mix64((uintptr_t)m->blk + (uint64_t)ch)));
}

/* msg_make fills m for a send on round channel ch; some carry a parcel. */
static void msg_make(struct task *t, int ch, struct msg *m)
{
	m->task = (uint32_t)t->id;
	m->seq = ++t->seq;
	m->val = rnd64(&t->rng);
	m->blk = chance(&t->rng, 10) ? parcel_new(t) : NULL;
	m->check = msgcheck(m, ch);
}

/* msg_sent counts a message that was sent on ch. */
static void msg_sent(struct round *r, int ch, const struct msg *m)
{
	struct tchan *tc = &r->ch[ch];
	__atomic_add_fetch(&tc->sent, 1, __ATOMIC_RELAXED);
	if (tc->sig)
		return;
	__atomic_add_fetch(&tc->sentsum, m->val, __ATOMIC_RELAXED);
	if (m->blk)
		__atomic_add_fetch(&r->blksent, 1, __ATOMIC_RELAXED);
}

/* msg_discard: a message that was not sent after all. */
void msg_discard(struct task *t, struct msg *m)
{
	if (m->blk)
		parcel_check_free(t->r, m->blk, "unsent message");
	m->blk = NULL;
}

/* msg_accept checks and counts a message received from ch; last (a FIFO
 * channel's sink only) is each sender's last sequence number seen. */
static void msg_accept(struct round *r, int ch, struct msg *m, uint32_t *last, const char *who)
{
	struct tchan *tc = &r->ch[ch];
	__atomic_add_fetch(&tc->recvd, 1, __ATOMIC_RELAXED);
	if (tc->sig)
		return;
	if (m->check != msgcheck(m, ch) || m->task >= MAXTASKS) {
		fail(r, "%s: channel %d (cap %d): corrupt message task %u seq %u val %lx blk %p",
		     who, ch, tc->cap, m->task, m->seq, (unsigned long)m->val, m->blk);
		return;
	}
	__atomic_add_fetch(&tc->recvdsum, m->val, __ATOMIC_RELAXED);
	if (last) {
		if (m->seq <= last[m->task])
			fail(r, "%s: channel %d (cap %d): from task %u, seq %u after seq %u (not FIFO)",
			     who, ch, tc->cap, m->task, m->seq, last[m->task]);
		last[m->task] = m->seq;
	}
	if (m->blk && parcel_check_free(r, m->blk, who))
		__atomic_add_fetch(&r->blkfreed, 1, __ATOMIC_RELAXED);
}

static int anychan(struct task *t)
{
	return (int)rndn(&t->rng, t->r->nch);
}

/* a channel tasks may receive from (not FIFO-checked), or -1 */
static int sharedchan(struct task *t)
{
	int i = anychan(t);
	for (int k = 0; k < t->r->nch; k++, i = (i + 1) % t->r->nch)
		if (!t->r->ch[i].fifo)
			return i;
	return -1;
}

static uint8_t sigbyte;         /* the "value" of a zero-size element */

static void op_send(struct task *t, bool try)
{
	int ch = anychan(t);
	struct tchan *tc = &t->r->ch[ch];
	struct msg m = { 0 };
	if (!tc->sig)
		msg_make(t, ch, &m);
	if (try) {
		if (!chan_trysend(tc->c, tc->sig ? (void *)&sigbyte : &m)) {
			msg_discard(t, &m);
			return;
		}
	} else {
		chan_send(tc->c, tc->sig ? (void *)&sigbyte : &m);
	}
	msg_sent(t->r, ch, &m);
}

static void op_tryrecv(struct task *t)
{
	int ch = sharedchan(t);
	if (ch < 0)
		return;
	struct tchan *tc = &t->r->ch[ch];
	struct msg m;
	bool ok;
	if (!chan_tryrecv(tc->c, tc->sig ? NULL : &m, &ok))
		return;
	if (!ok) {
		fail(t->r, "task %d: tryrecv: channel %d closed during the round", t->id, ch);
		return;
	}
	msg_accept(t->r, ch, &m, NULL, "tryrecv");
}

/* op_select: 2 to 6 cases, sends on any channel, receives on shared ones,
 * now and then a nil channel or the same channel twice. It blocks only if
 * a send case guarantees progress; otherwise it has a default. */
static void op_select(struct task *t, bool block)
{
	enum { MAXC = 6 };
	select_case cs[MAXC];
	struct msg ms[MAXC];
	int chs[MAXC];
	int n = 2 + (int)rndn(&t->rng, MAXC - 1);
	bool hassend = false;
	for (int i = 0; i < n; i++) {
		int ch = chs[i] = anychan(t);
		struct tchan *tc = &t->r->ch[ch];
		bool send = tc->fifo || chance(&t->rng, 50);
		cs[i].c = chance(&t->rng, 8) ? NULL : tc->c;
		cs[i].dir = send ? SELECT_SEND : SELECT_RECV;
		cs[i].ok = false;
		ms[i].blk = NULL;
		if (send) {
			if (!tc->sig)
				msg_make(t, ch, &ms[i]);
			hassend |= cs[i].c != NULL;
		}
		cs[i].elem = tc->sig ? (send ? (void *)&sigbyte : NULL) : &ms[i];
	}
	block = block && hassend;
	int k = chan_select(cs, n, block);
	if (block && k < 0)
		fail(t->r, "task %d: blocking select of %d cases returned %d", t->id, n, k);
	if (k >= n || k < -1) {
		fail(t->r, "task %d: select of %d cases returned %d", t->id, n, k);
		k = -1;
	}
	if (k >= 0 && cs[k].c == NULL)
		fail(t->r, "task %d: select chose case %d, a nil channel", t->id, k);
	for (int i = 0; i < n; i++) {
		if (cs[i].dir == SELECT_SEND) {
			if (i == k)
				msg_sent(t->r, chs[i], &ms[i]);
			else
				msg_discard(t, &ms[i]);
		} else if (i == k) {
			if (!cs[i].ok)
				fail(t->r, "task %d: select: channel %d closed during the round", t->id, chs[i]);
			else
				msg_accept(t->r, chs[i], &ms[i], NULL, "select");
		}
	}
}

/* ---- timers: a goroutine that sleeps, then sends (Go's time.After) ---- */

struct after {
	struct round *r;
	chan_t *c;
	int64_t d;
	uint64_t token;
};

static void after_main(void *arg)
{
	struct after *a = arg;
	struct round *r = a->r;
	sleep_ns(a->d);
	chan_send(a->c, &a->token);     /* buffered for one: never blocks */
	free(a);
	wg_done(&r->wg);
}

static bool takechan(struct round *r)
{
	return __atomic_sub_fetch(&r->chanbudget, 1, __ATOMIC_RELAXED) >= 0;
}

static void op_timerselect(struct task *t)
{
	struct round *r = t->r;
	if (!takechan(r))
		return;
	struct after *a = malloc(sizeof *a);
	a->r = r;
	a->c = chan_make(sizeof(uint64_t), 1);
	a->d = rndn(&t->rng, 2000000);
	a->token = rnd64(&t->rng);
	chan_t *tc = a->c;
	int64_t d = a->d;
	uint64_t token = a->token, got = 0;
	int64_t t0 = nanotime();
	wg_add(&r->wg, 1);
	go(after_main, a);      /* a belongs to after_main from here */

	/* the timer, maybe a shared channel to receive from, maybe a send */
	select_case cs[3] = { { .c = tc, .dir = SELECT_RECV, .elem = &got } };
	struct msg rm, sm = { 0 };
	int n = 1, rch = -1, sch = -1;
	if (chance(&t->rng, 50) && (rch = sharedchan(t)) >= 0) {
		cs[n] = (select_case){ .c = r->ch[rch].c, .dir = SELECT_RECV,
		                       .elem = r->ch[rch].sig ? NULL : &rm };
		n++;
	}
	if (chance(&t->rng, 30)) {
		sch = anychan(t);
		if (!r->ch[sch].sig)
			msg_make(t, sch, &sm);
		cs[n] = (select_case){ .c = r->ch[sch].c, .dir = SELECT_SEND,
		                       .elem = r->ch[sch].sig ? (void *)&sigbyte : &sm };
		n++;
	}
	int k = chan_select(cs, n, true);
	if (k == 0) {
		int64_t el = nanotime() - t0;
		if (!cs[0].ok || got != token)
			fail(r, "task %d: timer channel gave %lx (ok %d), want %lx", t->id,
			     (unsigned long)got, cs[0].ok, (unsigned long)token);
		if (el < d)
			fail(r, "task %d: a %ld ns timer fired after %ld ns", t->id, (long)d, (long)el);
	} else if (k >= 1 && cs[k].dir == SELECT_RECV) {
		if (!cs[k].ok)
			fail(r, "task %d: timer select: channel %d closed during the round", t->id, rch);
		else
			msg_accept(r, rch, &rm, NULL, "timer select");
	} else if (k >= 1) {
		msg_sent(r, sch, &sm);
		sm.blk = NULL;
	} else {
		fail(r, "task %d: blocking timer select returned %d", t->id, k);
	}
	if (sch >= 0 && k != n - 1)
		msg_discard(t, &sm);
}

/* ---- pipes: a channel of the task's own, receivers, a close ---- */

struct pipe {
	chan_t *c;
	waitgroup_t wg;
	uint64_t got, sum;      /* atomic */
	int mode;
};

static void pipe_recv(void *arg)
{
	struct pipe *p = arg;
	uint64_t v, got = 0, sum = 0;
	bool ok;
	switch (p->mode) {
	case 0:
		while (chan_recv(p->c, &v))
			got++, sum += v;
		break;
	case 1:
		for (;;) {
			select_case cs[2] = { { .c = NULL, .dir = SELECT_RECV },
			                      { .c = p->c, .dir = SELECT_RECV, .elem = &v } };
			if (chan_select(cs, 2, true) != 1 || !cs[1].ok)
				break;
			got++, sum += v;
		}
		break;
	default:
		for (;;) {
			if (!chan_tryrecv(p->c, &v, &ok)) {
				gosched();
				continue;
			}
			if (!ok)
				break;
			got++, sum += v;
		}
		break;
	}
	__atomic_add_fetch(&p->got, got, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->sum, sum, __ATOMIC_RELAXED);
	wg_done(&p->wg);        /* p is the sender's: not touched after this */
}

static void op_pipe(struct task *t)
{
	if (!takechan(t->r))
		return;
	static const int caps[] = { 0, 0, 1, 3, 16 };
	struct pipe p = { .c = chan_make(sizeof(uint64_t), caps[rndn(&t->rng, 5)]),
	                  .mode = (int)rndn(&t->rng, 3) };
	int nrecv = 1 + (int)rndn(&t->rng, 3);
	wg_add(&p.wg, nrecv);
	for (int i = 0; i < nrecv; i++)
		go(pipe_recv, &p);
	int k = (int)rndn(&t->rng, 40);
	uint64_t sum = 0;
	for (int i = 0; i < k; i++) {
		uint64_t v = rnd64(&t->rng);
		sum += v;
		chan_send(p.c, &v);
	}
	if (chance(&t->rng, 30))
		sleep_ns(rndn(&t->rng, 200000));        /* receivers parked when it closes */
	chan_close(p.c);
	wg_wait(&p.wg);
	uint64_t got = __atomic_load_n(&p.got, __ATOMIC_RELAXED), gsum = __atomic_load_n(&p.sum, __ATOMIC_RELAXED);
	if (got != (uint64_t)k || gsum != sum)
		fail(t->r, "task %d: pipe (cap %d, %d receivers, mode %d): sent %d values, received %lu%s",
		     t->id, chan_cap(p.c), nrecv, p.mode, k, (unsigned long)got, gsum != sum ? " (sum differs)" : "");
	uint64_t v = 0xdeadbeef;
	bool ok = true;
	if (chan_recv(p.c, &v) || v != 0)
		fail(t->r, "task %d: receive on a closed, drained channel gave a value (%lx)", t->id, (unsigned long)v);
	if (!chan_tryrecv(p.c, &v, &ok) || ok || chan_len(p.c) != 0)
		fail(t->r, "task %d: tryrecv on a closed channel: ok %d len %d", t->id, ok, chan_len(p.c));
}

/* ---- fork-join with WaitGroups, some behind a start gate ---- */

struct forkjoin {
	struct round *r;
	waitgroup_t gate, done;
	bool gated;
	uint64_t seed;
	uint32_t next, count;   /* atomic */
};

static void fj_child(void *arg)
{
	struct forkjoin *f = arg;
	if (f->gated)
		wg_wait(&f->gate);
	uint64_t rng = mix64(f->seed + __atomic_fetch_add(&f->next, 1, __ATOMIC_RELAXED));
	switch (rndn(&rng, 4)) {
	case 0: sleep_ns(rndn(&rng, 100000)); break;
	case 1: gosched(); break;
	default: break;
	}
	__atomic_add_fetch(&f->count, 1, __ATOMIC_RELEASE);
	wg_done(&f->done);      /* f is the parent's: not touched after this */
}

static void op_forkjoin(struct task *t)
{
	struct forkjoin f = { .r = t->r, .gated = chance(&t->rng, 50), .seed = rnd64(&t->rng) };
	int k = 1 + (int)rndn(&t->rng, 8);
	if (f.gated)
		wg_add(&f.gate, 1);
	bool oneatatime = chance(&t->rng, 50);
	if (!oneatatime)
		wg_add(&f.done, k);
	for (int i = 0; i < k; i++) {
		if (oneatatime)
			wg_add(&f.done, 1);
		go(fj_child, &f);
	}
	if (f.gated) {
		if (chance(&t->rng, 50))
			sleep_ns(rndn(&t->rng, 100000));
		wg_done(&f.gate);
	}
	wg_wait(&f.done);
	uint32_t c = __atomic_load_n(&f.count, __ATOMIC_ACQUIRE);
	if (c != (uint32_t)k)
		fail(t->r, "task %d: wg_wait returned with %u of %d children done", t->id, c, k);
	if (f.gated)
		wg_wait(&f.gate);       /* already zero: returns at once */
}

/* ---- mutexes: accounts, a counter, an audit ---- */

static void hold(struct task *t)
{
	switch (rndn(&t->rng, 8)) {
	case 0: sleep_ns(rndn(&t->rng, 300000)); break;        /* waiters starve: hand-off mode */
	case 1: op_spin(t, rndn(&t->rng, 200000)); break;      /* preempted holding it */
	case 2: gosched(); break;
	default: break;
	}
}

static void op_transfer(struct task *t)
{
	struct round *r = t->r;
	int a = (int)rndn(&t->rng, r->nacc), b = (int)rndn(&t->rng, r->nacc - 1);
	if (b >= a)
		b++;
	struct account *lo = &r->acc[a < b ? a : b], *hi = &r->acc[a < b ? b : a];
	switch (rndn(&t->rng, 3)) {
	case 0:
		mutex_lock(&lo->mu);
		mutex_lock(&hi->mu);
		break;
	case 1:
		mutex_lock(&lo->mu);
		while (!mutex_trylock(&hi->mu))
			gosched();
		break;
	default:
		for (;;) {
			mutex_lock(&lo->mu);
			if (mutex_trylock(&hi->mu))
				break;
			mutex_unlock(&lo->mu);
			gosched();
		}
		break;
	}
	int64_t amt = (int64_t)rndn(&t->rng, 201) - 100;
	r->acc[a].bal -= amt;
	hold(t);
	r->acc[b].bal += amt;
	if (chance(&t->rng, 50)) {
		mutex_unlock(&hi->mu);
		mutex_unlock(&lo->mu);
	} else {
		mutex_unlock(&lo->mu);
		mutex_unlock(&hi->mu);
	}
}

static void op_audit(struct task *t)
{
	struct round *r = t->r;
	int64_t sum = 0;
	for (int i = 0; i < r->nacc; i++)
		mutex_lock(&r->acc[i].mu);
	for (int i = 0; i < r->nacc; i++)
		sum += r->acc[i].bal;
	hold(t);
	for (int i = r->nacc - 1; i >= 0; i--)
		mutex_unlock(&r->acc[i].mu);
	if (sum != r->total)
		fail(r, "task %d: audit: the %d accounts hold %ld, want %ld", t->id, r->nacc, (long)sum, (long)r->total);
}

static void op_counter(struct task *t)
{
	struct round *r = t->r;
	mutex_lock(&r->countmu);
	int64_t v = *(volatile int64_t *)&r->counter;
	if (chance(&t->rng, 10))
		hold(t);
	*(volatile int64_t *)&r->counter = v + 1;
	mutex_unlock(&r->countmu);
	__atomic_add_fetch(&r->counterincs, 1, __ATOMIC_RELAXED);
}

/* ---- once ---- */

static void once_fn(void)
{
	struct round *r = curround;
	__atomic_add_fetch(&r->onceruns, 1, __ATOMIC_RELAXED);
	sleep_ns(50000);        /* the other callers must wait for this */
}

static void op_once(struct task *t)
{
	__atomic_store_n(&t->r->oncecalled, true, __ATOMIC_RELAXED);
	once_do(&t->r->once, once_fn);
	uint32_t n = __atomic_load_n(&t->r->onceruns, __ATOMIC_RELAXED);
	if (n != 1)
		fail(t->r, "task %d: once_do returned with the function run %u times", t->id, n);
}

/* ---- time ---- */

static void op_sleep(struct task *t, int64_t max)
{
	int64_t d;
	switch (rndn(&t->rng, 6)) {
	case 0: d = -(int64_t)rndn(&t->rng, 1000); break;
	case 1: d = 0; break;
	case 2: d = rndn(&t->rng, 1000); break;
	default: d = rndn(&t->rng, max); break;
	}
	int64_t t0 = nanotime();
	sleep_ns(d);
	int64_t el = nanotime() - t0;
	if (el < d)
		fail(t->r, "task %d: sleep_ns(%ld) returned after %ld ns", t->id, (long)d, (long)el);
}

/* ---- spawning ---- */

static void op_spawn(struct task *t)
{
	struct round *r = t->r;
	if (t->depth >= MAXDEPTH)
		return;
	struct task *c = calloc(1, sizeof *c);
	c->r = r;
	c->rng = rnd64(&t->rng);
	c->depth = t->depth + 1;
	c->nops = 1 + (int)rndn(&t->rng, t->nops / 2 + 1);
	if (task_register(r, c) < 0) {
		free(c);
		return;
	}
	wg_add(&r->wg, 1);
	go(task_main, c);
}

static void op_gomaxprocs(struct task *t)
{
	if (!maxprocsop)
		return;
	int n = 1 + (int)rndn(&t->rng, numcpu());
	if (maxprocsop == 2) {          /* as Go allows: any number of callers at once */
		gomaxprocs(n);
		return;
	}
	mutex_lock(&maxprocsmu);
	gomaxprocs(n);
	int now = gomaxprocs(0);
	mutex_unlock(&maxprocsmu);
	if (now != n)
		fail(t->r, "task %d: gomaxprocs(%d) then gomaxprocs(0) = %d", t->id, n, now);
}

/* ---- the mix ---- */

static const struct { enum kind k; int weight; const char *name; } mix[] = {
	{ K_SPAWN,       15, "spawn" },
	{ K_FORKJOIN,    15, "forkjoin" },
	{ K_SEND,       120, "send" },
	{ K_TRYSEND,     50, "trysend" },
	{ K_TRYRECV,     40, "tryrecv" },
	{ K_SELECT,      80, "select" },
	{ K_SELDEFAULT,  50, "select-default" },
	{ K_TIMERSELECT, 20, "timer-select" },
	{ K_PIPE,        20, "pipe" },
	{ K_TRANSFER,   100, "transfer" },
	{ K_AUDIT,        5, "audit" },
	{ K_COUNTER,     50, "counter" },
	{ K_ONCE,        10, "once" },
	{ K_SLEEP,       60, "sleep" },
	{ K_GOSCHED,     40, "gosched" },
	{ K_MALLOC,      60, "malloc" },
	{ K_FREE,        40, "free" },
	{ K_REALLOC,     40, "realloc" },
	{ K_CALLOC,      20, "calloc" },
	{ K_RECURSE,     40, "recurse" },
	{ K_SPIN,        40, "spin" },
	{ K_GOMAXPROCS,   1, "gomaxprocs" },
};

const char *const kindname[NKIND] = {
	[K_SPAWN] = "spawn", [K_FORKJOIN] = "forkjoin", [K_SEND] = "send", [K_TRYSEND] = "trysend",
	[K_TRYRECV] = "tryrecv", [K_SELECT] = "select", [K_SELDEFAULT] = "select-default",
	[K_TIMERSELECT] = "timer-select", [K_PIPE] = "pipe", [K_TRANSFER] = "transfer",
	[K_AUDIT] = "audit", [K_COUNTER] = "counter", [K_ONCE] = "once", [K_SLEEP] = "sleep",
	[K_GOSCHED] = "gosched", [K_MALLOC] = "malloc", [K_FREE] = "free", [K_REALLOC] = "realloc",
	[K_CALLOC] = "calloc", [K_RECURSE] = "recurse", [K_SPIN] = "spin", [K_GOMAXPROCS] = "gomaxprocs",
};

static void doop(struct task *t, enum kind k)
{
	switch (k) {
	case K_SPAWN: op_spawn(t); break;
	case K_FORKJOIN: op_forkjoin(t); break;
	case K_SEND: op_send(t, false); break;
	case K_TRYSEND: op_send(t, true); break;
	case K_TRYRECV: op_tryrecv(t); break;
	case K_SELECT: op_select(t, true); break;
	case K_SELDEFAULT: op_select(t, false); break;
	case K_TIMERSELECT: op_timerselect(t); break;
	case K_PIPE: op_pipe(t); break;
	case K_TRANSFER: op_transfer(t); break;
	case K_AUDIT: op_audit(t); break;
	case K_COUNTER: op_counter(t); break;
	case K_ONCE: op_once(t); break;
	case K_SLEEP: op_sleep(t, 2000000); break;
	case K_GOSCHED: gosched(); break;
	case K_MALLOC: op_malloc(t); break;
	case K_FREE: op_free(t); break;
	case K_REALLOC: op_realloc(t); break;
	case K_CALLOC: op_calloc(t); break;
	case K_RECURSE: op_recurse(t); break;
	case K_SPIN: op_spin(t, rndn(&t->rng, 3000000)); break;
	case K_GOMAXPROCS: op_gomaxprocs(t); break;
	case NKIND: break;
	}
	count(k);
}

static int mixtotal(void)
{
	int s = 0;
	for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
		s += mix[i].weight;
	return s;
}

static enum kind pick(struct task *t)
{
	static int total;
	if (!total)
		total = mixtotal();
	int x = (int)rndn(&t->rng, total);
	for (size_t i = 0;; i++) {
		x -= mix[i].weight;
		if (x < 0)
			return mix[i].k;
	}
}

/* leafop: one operation from the bottom of a deep recursion: blocking,
 * sleeping, spinning, locking and allocating with much of the stack in use. */
void leafop(struct task *t)
{
	static const enum kind leaf[] = {
		K_SEND, K_TRYSEND, K_SELECT, K_SELDEFAULT, K_TRANSFER, K_COUNTER, K_SLEEP,
		K_GOSCHED, K_MALLOC, K_FREE, K_SPIN, K_FORKJOIN, K_TIMERSELECT,
	};
	enum kind k = leaf[rndn(&t->rng, sizeof leaf / sizeof leaf[0])];
	const char *op = t->op;
	t->op = kindname[k];
	if (k == K_SPIN)
		op_spin(t, rndn(&t->rng, 500000)), count(k);
	else if (k == K_SLEEP)
		op_sleep(t, 300000), count(k);
	else
		doop(t, k);
	t->op = op;
}

void task_main(void *arg)
{
	struct task *t = arg;
	t->stacktop = (uintptr_t)__builtin_frame_address(0);
	for (int i = 0; i < t->nops; i++) {
		enum kind k = pick(t);
		t->op = kindname[k];
		doop(t, k);
	}
	t->op = "releasing memory";
	live_release(t);
	t->op = "done";
	wg_done(&t->r->wg);
}

/* ---- sinks ---- */

struct sinkarg {
	struct round *r;
	int ch;
	uint64_t rng;
};

static void sink_main(void *arg)
{
	struct sinkarg *s = arg;
	struct round *r = s->r;
	struct tchan *tc = &r->ch[s->ch];
	uint32_t *last = tc->fifo ? calloc(MAXTASKS, sizeof *last) : NULL;
	void *elem = NULL;
	struct msg m;
	if (!tc->sig)
		elem = &m;
	for (;;) {
		bool ok;
		switch (tc->sinkmode) {
		case 0:
			ok = chan_recv(tc->c, elem);
			break;
		case 1: {
			select_case cs[2] = { { .c = tc->c, .dir = SELECT_RECV, .elem = elem },
			                      { .c = NULL, .dir = SELECT_SEND, .elem = &sigbyte } };
			int k = chan_select(cs, 2, true);
			if (k != 0)
				fail(r, "sink of channel %d: select returned %d", s->ch, k);
			ok = cs[0].ok;
			break;
		}
		default:
			while (!chan_tryrecv(tc->c, elem, &ok)) {
				if (chance(&s->rng, 50))
					gosched();
				else
					sleep_ns(rndn(&s->rng, 50000));
			}
			break;
		}
		if (!ok)
			break;
		msg_accept(r, s->ch, &m, last, "sink");
		if (chance(&s->rng, 2))
			sleep_ns(rndn(&s->rng, 300000));        /* let the buffer fill, senders block */
	}
	free(last);
	free(s);
	wg_done(&r->sinkwg);
}

void sink_start(struct round *r, int ch, uint64_t seed)
{
	struct sinkarg *s = malloc(sizeof *s);
	s->r = r;
	s->ch = ch;
	s->rng = seed;
	wg_add(&r->sinkwg, 1);
	go(sink_main, s);
}
