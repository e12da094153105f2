/*
 * chan_test.c - suite "chan": channels and select (run by tests/cases.py
 * at -smp 1 and 4). Scenarios, each ending the machine with Go's words:
 *   test=chansendclosed       send on a closed channel
 *   test=chantrysendclosed    select-with-default send on a closed channel
 *   test=chanclose2           close of a closed channel
 *   test=chanclosenil         close of a nil channel
 *   test=chanclosewakesender  a channel closed under a blocked sender
 *   test=nilchandeadlock      main receives from a nil channel, nothing else runs
 *   test=selectnone           main blocks in a select with no cases
 */
#include "ktest.h"
#include "../../rt/runtime.h"

#define SEC 1000000000ll

/* wait_parked yields until the goroutine published in *slot is parked for
 * the given reason. A flag set just before the blocking call would not do:
 * the goroutine may still be on its way into the runtime. */
static bool wait_parked(g *volatile *slot, uint32_t reason)
{
	int64_t end = nanotime() + 20 * SEC;
	for (;;) {
		g *gp = *slot;
		if (gp && readgstatus(gp) == _Gwaiting && __atomic_load_n(&gp->waitreason, __ATOMIC_RELAXED) == reason)
			return true;
		if (nanotime() > end)
			return false;
		gosched();
	}
}

#define KT_PARKED(slot, reason)                                                     \
	do {                                                                        \
		if (!wait_parked((slot), (reason))) {                              \
			kt_fail(__FILE__, __LINE__, "%s never parked as %s", #slot, #reason); \
			return;                                                     \
		}                                                                   \
	} while (0)

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* ---- buffered FIFO ---- */

static chan_t *fifoc;
static waitgroup_t fifowg;

static void fifo_sender(void *arg)
{
	int n = (int)(intptr_t)arg;
	for (int64_t i = 0; i < n; i++)
		chan_send(fifoc, &i);
	wg_done(&fifowg);
}

static void test_buffered_fifo(void)
{
	chan_t *c = chan_make(sizeof(int64_t), 100);
	KT_EXPECT_EQ(chan_cap(c), 100);
	KT_EXPECT_EQ(chan_len(c), 0);
	for (int64_t i = 0; i < 100; i++) {
		int64_t v = i * 7 + 1;
		chan_send(c, &v);
	}
	KT_EXPECT_EQ(chan_len(c), 100);
	for (int64_t i = 0; i < 100; i++) {
		int64_t v = -1;
		KT_ASSERT(chan_recv(c, &v));
		KT_EXPECT_EQ(v, i * 7 + 1);
	}
	KT_EXPECT_EQ(chan_len(c), 0);

	/* the ring wraps many times: five in, three out */
	c = chan_make(sizeof(int64_t), 7);
	int64_t in = 0, out = 0;
	while (out < 1000) {
		for (int k = 0; k < 5 && chan_len(c) < 7; k++, in++)
			chan_send(c, &in);
		for (int k = 0; k < 3 && out < in; k++, out++) {
			int64_t v = -1;
			KT_ASSERT(chan_recv(c, &v));
			if (v != out) {
				kt_fail(__FILE__, __LINE__, "got %ld, want %ld", (long)v, (long)out);
				return;
			}
		}
	}

	/* order holds through a sender that keeps blocking on a full buffer */
	fifoc = chan_make(sizeof(int64_t), 4);
	wg_add(&fifowg, 1);
	go(fifo_sender, (void *)(intptr_t)10000);
	for (int64_t i = 0; i < 10000; i++) {
		int64_t v = -1;
		KT_ASSERT(chan_recv(fifoc, &v));
		if (v != i) {
			kt_fail(__FILE__, __LINE__, "got %ld, want %ld", (long)v, (long)i);
			return;
		}
	}
	wg_wait(&fifowg);
	KT_EXPECT_EQ(chan_len(fifoc), 0);
}

/* ---- unbuffered hand-off ---- */

static chan_t *hoc;
static g *volatile hog;
static volatile int hostate;
static int64_t horecv;
static waitgroup_t howg;

static void handoff_sender(void *arg)
{
	(void)arg;
	int64_t v = 42;
	hog = getg();
	hostate = 1;
	chan_send(hoc, &v);
	hostate = 2;
	wg_done(&howg);
}

static void handoff_receiver(void *arg)
{
	(void)arg;
	hog = getg();
	if (!chan_recv(hoc, &horecv))
		horecv = -2;
	wg_done(&howg);
}

static void test_unbuffered_handoff(void)
{
	hoc = chan_make(sizeof(int64_t), 0);
	KT_EXPECT_EQ(chan_cap(hoc), 0);

	/* sender first: it stays blocked until the value is taken */
	hog = NULL;
	hostate = 0;
	wg_add(&howg, 1);
	go(handoff_sender, NULL);
	KT_PARKED(&hog, waitReasonChanSend);
	sleep_ns(5000000);
	KT_EXPECT_EQ(hostate, 1);
	KT_EXPECT_EQ(readgstatus(hog), _Gwaiting);
	KT_EXPECT_EQ(chan_len(hoc), 0);
	int64_t v = -1;
	KT_ASSERT(chan_recv(hoc, &v));
	KT_EXPECT_EQ(v, 42);
	wg_wait(&howg);
	KT_EXPECT_EQ(hostate, 2);

	/* receiver first: the send fills its variable before returning */
	hog = NULL;
	horecv = -1;
	wg_add(&howg, 1);
	go(handoff_receiver, NULL);
	KT_PARKED(&hog, waitReasonChanReceive);
	v = 99;
	chan_send(hoc, &v);
	wg_wait(&howg);
	KT_EXPECT_EQ(horecv, 99);
}

/* ping-pong: every value crosses two unbuffered channels */
static chan_t *pingc, *pongc;

static void ponger(void *arg)
{
	(void)arg;
	int64_t v;
	while (chan_recv(pingc, &v)) {
		v++;
		chan_send(pongc, &v);
	}
	chan_close(pongc);
}

static void test_unbuffered_pingpong(void)
{
	pingc = chan_make(sizeof(int64_t), 0);
	pongc = chan_make(sizeof(int64_t), 0);
	go(ponger, NULL);
	for (int64_t i = 0; i < 10000; i += 2) {
		int64_t v = i;
		chan_send(pingc, &v);
		KT_ASSERT(chan_recv(pongc, &v));
		if (v != i + 1) {
			kt_fail(__FILE__, __LINE__, "got %ld, want %ld", (long)v, (long)i + 1);
			return;
		}
	}
	chan_close(pingc);
	int64_t v = 7;
	KT_ASSERT(!chan_recv(pongc, &v));       /* the ponger's close */
	KT_EXPECT_EQ(v, 0);
}

/* ---- many producers, many consumers ---- */

#define NPROD 8
#define NCONS 8
#define PERPROD 100000
#define NVALS ((int64_t)NPROD * PERPROD)

static chan_t *mpc;
static waitgroup_t prodwg, conswg;
static uint64_t mpseen[NVALS / 64 + 1];
static volatile int64_t mpsum, mpcount, mpdup, mpbad;

static void producer(void *arg)
{
	int64_t base = (int64_t)(intptr_t)arg * PERPROD;
	for (int64_t i = 1; i <= PERPROD; i++) {
		int64_t v = base + i;
		chan_send(mpc, &v);
	}
	wg_done(&prodwg);
}

static void consumer(void *arg)
{
	(void)arg;
	int64_t sum = 0, count = 0, dup = 0, bad = 0, v;
	while (chan_recv(mpc, &v)) {
		if (v < 1 || v > NVALS) {
			bad++;
			continue;
		}
		uint64_t bit = 1ull << (v % 64);
		if (__atomic_fetch_or(&mpseen[v / 64], bit, __ATOMIC_RELAXED) & bit)
			dup++;
		sum += v;
		count++;
	}
	__atomic_add_fetch(&mpsum, sum, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mpcount, count, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mpdup, dup, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mpbad, bad, __ATOMIC_RELAXED);
	wg_done(&conswg);
}

static void mpmc(size_t cap)
{
	int64_t t0 = nanotime();
	mpc = chan_make(sizeof(int64_t), cap);
	memset(mpseen, 0, sizeof mpseen);
	mpsum = mpcount = mpdup = mpbad = 0;
	wg_add(&conswg, NCONS);
	for (int i = 0; i < NCONS; i++)
		go(consumer, NULL);
	wg_add(&prodwg, NPROD);
	for (int i = 0; i < NPROD; i++)
		go(producer, (void *)(intptr_t)i);
	wg_wait(&prodwg);
	chan_close(mpc);
	wg_wait(&conswg);
	KT_EXPECT_EQ(mpcount, NVALS);
	KT_EXPECT_EQ(mpsum, NVALS * (NVALS + 1) / 2);
	KT_EXPECT_EQ(mpdup, 0);
	KT_EXPECT_EQ(mpbad, 0);
	KT_EXPECT_EQ(chan_len(mpc), 0);
	printf("# %d producers x %d values, %d consumers, cap %zu: %ld ms\n",
	       NPROD, PERPROD, NCONS, cap, (long)((nanotime() - t0) / 1000000));
}

static void test_mpmc_buffered(void) { mpmc(64); }
static void test_mpmc_unbuffered(void) { mpmc(0); }

/* ---- close ---- */

#define NRECV 1000

struct big { int64_t a, b, c; };

static chan_t *closec;
static g *volatile closeg[NRECV];
static waitgroup_t closewg;
static volatile uint32_t close_good;

static void close_receiver(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct big v;
	memset(&v, 0x5a, sizeof v);
	closeg[i] = getg();
	bool ok = chan_recv(closec, &v);
	if (!ok && all_zero(&v, sizeof v))
		__atomic_add_fetch(&close_good, 1, __ATOMIC_RELAXED);
	wg_done(&closewg);
}

static void test_close_wakes_receivers(void)
{
	closec = chan_make(sizeof(struct big), 0);
	close_good = 0;
	memset((void *)closeg, 0, sizeof closeg);
	wg_add(&closewg, NRECV);
	for (int i = 0; i < NRECV; i++)
		go(close_receiver, (void *)(intptr_t)i);
	for (int i = 0; i < NRECV; i++)
		KT_PARKED(&closeg[i], waitReasonChanReceive);
	chan_close(closec);
	wg_wait(&closewg);
	KT_EXPECT_EQ(close_good, NRECV);
}

static void test_closed_buffered_drains(void)
{
	chan_t *c = chan_make(sizeof(struct big), 5);
	for (int64_t i = 1; i <= 3; i++) {
		struct big v = { i, -i, i * 100 };
		chan_send(c, &v);
	}
	chan_close(c);
	KT_EXPECT_EQ(chan_len(c), 3);
	KT_EXPECT_EQ(chan_cap(c), 5);
	for (int64_t i = 1; i <= 3; i++) {
		struct big v = { 0, 0, 0 };
		KT_ASSERT(chan_recv(c, &v));
		KT_EXPECT_EQ(v.a, i);
		KT_EXPECT_EQ(v.b, -i);
		KT_EXPECT_EQ(v.c, i * 100);
		KT_EXPECT_EQ(chan_len(c), 3 - i);
	}
	for (int k = 0; k < 3; k++) {
		struct big v;
		memset(&v, 0xa5, sizeof v);
		KT_ASSERT(!chan_recv(c, &v));
		KT_ASSERT(all_zero(&v, sizeof v));
	}
	KT_ASSERT(!chan_recv(c, NULL));

	/* the same through chan_tryrecv */
	c = chan_make(sizeof(int64_t), 2);
	int64_t v = 11;
	chan_send(c, &v);
	chan_close(c);
	bool ok = false;
	v = 0;
	KT_ASSERT(chan_tryrecv(c, &v, &ok));
	KT_ASSERT(ok);
	KT_EXPECT_EQ(v, 11);
	v = 77;
	ok = true;
	KT_ASSERT(chan_tryrecv(c, &v, &ok));
	KT_ASSERT(!ok);
	KT_EXPECT_EQ(v, 0);
}

/* ---- non-blocking operations, len, cap ---- */

static chan_t *tryc;
static g *volatile tryg;
static int64_t tryval;
static waitgroup_t trywg;

static void try_receiver(void *arg)
{
	(void)arg;
	tryg = getg();
	if (!chan_recv(tryc, &tryval))
		tryval = -2;
	wg_done(&trywg);
}

static void try_sender(void *arg)
{
	(void)arg;
	int64_t v = 1234;
	tryg = getg();
	chan_send(tryc, &v);
	wg_done(&trywg);
}

static void test_try_ops(void)
{
	bool ok;
	int64_t v;

	/* buffered: empty, then full */
	chan_t *c = chan_make(sizeof(int64_t), 2);
	ok = true;
	v = 5;
	KT_ASSERT(!chan_tryrecv(c, &v, &ok));
	KT_EXPECT_EQ(v, 5);                     /* untouched when nothing came */
	v = 1;
	KT_ASSERT(chan_trysend(c, &v));
	v = 2;
	KT_ASSERT(chan_trysend(c, &v));
	v = 3;
	KT_ASSERT(!chan_trysend(c, &v));
	KT_EXPECT_EQ(chan_len(c), 2);
	ok = false;
	KT_ASSERT(chan_tryrecv(c, &v, &ok));
	KT_ASSERT(ok);
	KT_EXPECT_EQ(v, 1);
	KT_ASSERT(chan_trysend(c, &v));
	KT_ASSERT(chan_tryrecv(c, &v, &ok));
	KT_EXPECT_EQ(v, 2);
	KT_ASSERT(chan_tryrecv(c, &v, &ok));
	KT_EXPECT_EQ(v, 1);
	KT_ASSERT(!chan_tryrecv(c, &v, &ok));

	/* unbuffered: only with a partner already waiting */
	tryc = chan_make(sizeof(int64_t), 0);
	v = 8;
	KT_ASSERT(!chan_trysend(tryc, &v));
	KT_ASSERT(!chan_tryrecv(tryc, &v, &ok));
	tryg = NULL;
	tryval = -1;
	wg_add(&trywg, 1);
	go(try_receiver, NULL);
	KT_PARKED(&tryg, waitReasonChanReceive);
	v = 4321;
	KT_ASSERT(chan_trysend(tryc, &v));
	wg_wait(&trywg);
	KT_EXPECT_EQ(tryval, 4321);
	tryg = NULL;
	wg_add(&trywg, 1);
	go(try_sender, NULL);
	KT_PARKED(&tryg, waitReasonChanSend);
	v = 0;
	ok = false;
	KT_ASSERT(chan_tryrecv(tryc, &v, &ok));
	KT_ASSERT(ok);
	KT_EXPECT_EQ(v, 1234);
	wg_wait(&trywg);

	/* closed: a receive always succeeds, with ok false */
	chan_close(tryc);
	v = 9;
	ok = true;
	KT_ASSERT(chan_tryrecv(tryc, &v, &ok));
	KT_ASSERT(!ok);
	KT_EXPECT_EQ(v, 0);
	KT_ASSERT(chan_tryrecv(tryc, NULL, &ok));
	KT_ASSERT(!ok);

	/* nil: never ready */
	KT_ASSERT(!chan_trysend(NULL, &v));
	KT_ASSERT(!chan_tryrecv(NULL, &v, &ok));
}

static void test_len_cap(void)
{
	chan_t *c0 = chan_make(sizeof(int), 0);
	chan_t *c1 = chan_make(sizeof(int), 1);
	chan_t *ck = chan_make(sizeof(int), 1000);
	KT_EXPECT_EQ(chan_cap(c0), 0);
	KT_EXPECT_EQ(chan_cap(c1), 1);
	KT_EXPECT_EQ(chan_cap(ck), 1000);
	for (int i = 0; i < 1000; i++) {
		KT_EXPECT_EQ(chan_len(ck), i);
		chan_send(ck, &i);
	}
	KT_EXPECT_EQ(chan_len(ck), 1000);
	chan_close(ck);
	KT_EXPECT_EQ(chan_len(ck), 1000);
	KT_EXPECT_EQ(chan_cap(ck), 1000);
	int x;
	KT_ASSERT(chan_recv(ck, &x));
	KT_EXPECT_EQ(x, 0);
	KT_EXPECT_EQ(chan_len(ck), 999);
	KT_EXPECT_EQ(chan_len(c0), 0);
	KT_EXPECT_EQ(chan_len(c1), 0);
	/* len and cap of a nil channel are 0, as in Go */
	KT_EXPECT_EQ(chan_len(NULL), 0);
	KT_EXPECT_EQ(chan_cap(NULL), 0);
}

/* ---- select ---- */

static void test_select_nil_never_fires(void)
{
	chan_t *c = chan_make(sizeof(int64_t), 1);
	int64_t v = 1, got;
	chan_send(c, &v);
	select_case cs[3] = {
		{ .c = NULL, .dir = SELECT_RECV, .elem = &got },
		{ .c = c, .dir = SELECT_RECV, .elem = &got },
		{ .c = NULL, .dir = SELECT_SEND, .elem = &v },
	};
	for (int i = 0; i < 1000; i++) {
		int k = chan_select(cs, 3, i % 2 == 0);
		if (k != 1) {
			kt_fail(__FILE__, __LINE__, "select %d chose case %d", i, k);
			return;
		}
		KT_ASSERT(cs[1].ok);
		chan_send(c, &v);
	}
	/* only nil channels: nothing is ever ready */
	KT_EXPECT_EQ(chan_select(cs, 1, false), -1);
	cs[1].c = NULL;
	KT_EXPECT_EQ(chan_select(cs, 3, false), -1);
}

static chan_t *latec;
static void late_sender(void *arg)
{
	sleep_ns(2000000);
	int64_t v = (int64_t)(intptr_t)arg;
	chan_send(latec, &v);
}

static void test_select_nil_blocking(void)
{
	/* a blocking select parked on a nil and a real channel wakes for the real one */
	latec = chan_make(sizeof(int64_t), 0);
	int64_t got = 0, dummy = 0;
	select_case cs[2] = {
		{ .c = NULL, .dir = SELECT_SEND, .elem = &dummy },
		{ .c = latec, .dir = SELECT_RECV, .elem = &got },
	};
	go(late_sender, (void *)(intptr_t)66);
	KT_EXPECT_EQ(chan_select(cs, 2, true), 1);
	KT_ASSERT(cs[1].ok);
	KT_EXPECT_EQ(got, 66);
}

#define NFAIR 100000

static void test_select_fairness(void)
{
	chan_t *c[2] = { chan_make(sizeof(int32_t), 1), chan_make(sizeof(int32_t), 1) };
	int32_t v[2] = { 0, 1 }, got = -1;
	chan_send(c[0], &v[0]);
	chan_send(c[1], &v[1]);
	select_case cs[2] = {
		{ .c = c[0], .dir = SELECT_RECV, .elem = &got },
		{ .c = c[1], .dir = SELECT_RECV, .elem = &got },
	};
	int count[2] = { 0, 0 };
	for (int i = 0; i < NFAIR; i++) {
		int k = chan_select(cs, 2, i % 2 == 0);
		if (k < 0 || k > 1 || got != k) {
			kt_fail(__FILE__, __LINE__, "select chose %d, received %d", k, got);
			return;
		}
		count[k]++;
		chan_send(c[k], &v[k]);         /* both stay ready */
	}
	printf("# %d selects: case 0 %d times, case 1 %d times\n", NFAIR, count[0], count[1]);
	KT_ASSERT(count[0] >= NFAIR * 48 / 100 && count[0] <= NFAIR * 52 / 100);

	/* the same with sends, into two channels with room */
	chan_t *d[2] = { chan_make(sizeof(int32_t), 1), chan_make(sizeof(int32_t), 1) };
	select_case ss[2] = {
		{ .c = d[0], .dir = SELECT_SEND, .elem = &v[0] },
		{ .c = d[1], .dir = SELECT_SEND, .elem = &v[1] },
	};
	count[0] = count[1] = 0;
	for (int i = 0; i < NFAIR; i++) {
		int k = chan_select(ss, 2, i % 2 == 0);
		KT_ASSERT(k == 0 || k == 1);
		count[k]++;
		KT_ASSERT(chan_recv(d[k], &got));
		KT_EXPECT_EQ(got, k);
	}
	printf("# %d send selects: case 0 %d times, case 1 %d times\n", NFAIR, count[0], count[1]);
	KT_ASSERT(count[0] >= NFAIR * 48 / 100 && count[0] <= NFAIR * 52 / 100);
}

static void test_select_nonblocking_none_ready(void)
{
	chan_t *empty = chan_make(sizeof(int64_t), 3);
	chan_t *full = chan_make(sizeof(int64_t), 1);
	chan_t *unbuf = chan_make(sizeof(int64_t), 0);
	int64_t v = 5, got = 17;
	chan_send(full, &v);
	select_case cs[4] = {
		{ .c = empty, .dir = SELECT_RECV, .elem = &got },
		{ .c = full, .dir = SELECT_SEND, .elem = &v },
		{ .c = unbuf, .dir = SELECT_RECV, .elem = &got },
		{ .c = unbuf, .dir = SELECT_SEND, .elem = &v },
	};
	for (int i = 0; i < 100; i++)
		KT_EXPECT_EQ(chan_select(cs, 4, false), -1);
	KT_EXPECT_EQ(got, 17);
	KT_EXPECT_EQ(chan_len(empty), 0);
	KT_EXPECT_EQ(chan_len(full), 1);
	KT_EXPECT_EQ(chan_select(NULL, 0, false), -1);
}

/* select send and receive cases, each side blocking */
static chan_t *sra, *srb;
static g *volatile srg;
static int64_t srval;
static waitgroup_t srwg;

static void sr_receiver(void *arg)
{
	(void)arg;
	srg = getg();
	if (!chan_recv(sra, &srval))
		srval = -2;
	wg_done(&srwg);
}

static void sr_sender(void *arg)
{
	(void)arg;
	int64_t v = 555;
	chan_send(srb, &v);
	wg_done(&srwg);
}

static void test_select_send_recv(void)
{
	int64_t out = 31, in = -1;

	/* not blocking: the send case has room, the receive has nothing */
	chan_t *c1 = chan_make(sizeof(int64_t), 1), *c2 = chan_make(sizeof(int64_t), 1);
	select_case nb[2] = {
		{ .c = c2, .dir = SELECT_RECV, .elem = &in },
		{ .c = c1, .dir = SELECT_SEND, .elem = &out },
	};
	KT_EXPECT_EQ(chan_select(nb, 2, false), 1);
	KT_EXPECT_EQ(chan_len(c1), 1);
	KT_ASSERT(chan_recv(c1, &in));
	KT_EXPECT_EQ(in, 31);

	sra = chan_make(sizeof(int64_t), 0);
	srb = chan_make(sizeof(int64_t), 0);
	select_case cs[2] = {
		{ .c = sra, .dir = SELECT_SEND, .elem = &out },
		{ .c = srb, .dir = SELECT_RECV, .elem = &in },
	};

	/* a receiver already waiting: the send case fires */
	srg = NULL;
	srval = -1;
	wg_add(&srwg, 1);
	go(sr_receiver, NULL);
	KT_PARKED(&srg, waitReasonChanReceive);
	out = 77;
	KT_EXPECT_EQ(chan_select(cs, 2, true), 0);
	wg_wait(&srwg);
	KT_EXPECT_EQ(srval, 77);

	/* select parks first, a sender comes along */
	in = -1;
	wg_add(&srwg, 1);
	go(sr_sender, NULL);
	KT_EXPECT_EQ(chan_select(cs, 2, true), 1);
	KT_ASSERT(cs[1].ok);
	KT_EXPECT_EQ(in, 555);
	wg_wait(&srwg);

	/* select parks first, a receiver comes along */
	srval = -1;
	out = 88;
	wg_add(&srwg, 1);
	go(sr_receiver, NULL);
	KT_EXPECT_EQ(chan_select(cs, 2, true), 0);
	wg_wait(&srwg);
	KT_EXPECT_EQ(srval, 88);
}

/* Many goroutines against selects on both sides: a case that fired twice,
 * or a sudog left queued after its select finished, loses or duplicates
 * values. */
#define SELW 4
#define SELN 5000

static chan_t *selc[2];
static waitgroup_t selsendwg, selrecvwg;
static volatile int64_t selsum, selcount;

static void sel_plain_sender(void *arg)
{
	int k = (int)(intptr_t)arg;
	for (int64_t i = 1; i <= SELN; i++)
		chan_send(selc[k % 2], &i);
	wg_done(&selsendwg);
}

static void sel_receiver(void *arg)
{
	(void)arg;
	int64_t v, sum = 0, count = 0;
	select_case cs[2] = {
		{ .c = selc[0], .dir = SELECT_RECV, .elem = &v },
		{ .c = selc[1], .dir = SELECT_RECV, .elem = &v },
	};
	for (;;) {
		int k = chan_select(cs, 2, true);
		if (!cs[k].ok) {
			cs[k].c = NULL;         /* Go's idiom: a closed channel's case turned off */
			if (!cs[0].c && !cs[1].c)
				break;
			continue;
		}
		sum += v;
		count++;
	}
	__atomic_add_fetch(&selsum, sum, __ATOMIC_RELAXED);
	__atomic_add_fetch(&selcount, count, __ATOMIC_RELAXED);
	wg_done(&selrecvwg);
}

static void sel_sender(void *arg)
{
	(void)arg;
	int64_t v;
	select_case cs[2] = {
		{ .c = selc[0], .dir = SELECT_SEND, .elem = &v },
		{ .c = selc[1], .dir = SELECT_SEND, .elem = &v },
	};
	for (int64_t i = 1; i <= SELN; i++) {
		v = i;
		chan_select(cs, 2, true);
	}
	wg_done(&selsendwg);
}

static void sel_plain_receiver(void *arg)
{
	int k = (int)(intptr_t)arg;
	int64_t v, sum = 0, count = 0;
	while (chan_recv(selc[k % 2], &v)) {
		sum += v;
		count++;
	}
	__atomic_add_fetch(&selsum, sum, __ATOMIC_RELAXED);
	__atomic_add_fetch(&selcount, count, __ATOMIC_RELAXED);
	wg_done(&selrecvwg);
}

static bool sel_stress(size_t cap, gofunc sender, gofunc receiver)
{
	selc[0] = chan_make(sizeof(int64_t), cap);
	selc[1] = chan_make(sizeof(int64_t), cap);
	selsum = selcount = 0;
	wg_add(&selrecvwg, SELW);
	for (int i = 0; i < SELW; i++)
		go(receiver, (void *)(intptr_t)i);
	wg_add(&selsendwg, SELW);
	for (int i = 0; i < SELW; i++)
		go(sender, (void *)(intptr_t)i);
	wg_wait(&selsendwg);
	chan_close(selc[0]);
	chan_close(selc[1]);
	wg_wait(&selrecvwg);
	int64_t want = (int64_t)SELW * SELN;
	int64_t wantsum = (int64_t)SELW * SELN * (SELN + 1) / 2;      /* 1..SELN from each sender */
	bool good = selcount == want && selsum == wantsum;
	if (!good)
		kt_fail(__FILE__, __LINE__, "cap %zu: received %ld values summing to %ld, want %ld summing to %ld",
		        cap, (long)selcount, (long)selsum, (long)want, (long)wantsum);
	return good;
}

static void test_select_stress(void)
{
	if (!sel_stress(0, sel_plain_sender, sel_receiver))
		return;
	if (!sel_stress(0, sel_sender, sel_plain_receiver))
		return;
	if (!sel_stress(0, sel_sender, sel_receiver))
		return;
	sel_stress(3, sel_sender, sel_receiver);
}

/* ---- select and close ---- */

#define NSELCLOSE 100

static chan_t *scc, *scnever;
static g *volatile scg[NSELCLOSE];
static waitgroup_t scwg;
static volatile uint32_t sc_good;

static void select_closer_waiter(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct big v, w;
	memset(&v, 0x3c, sizeof v);
	memset(&w, 0x3c, sizeof w);
	select_case cs[3] = {
		{ .c = NULL, .dir = SELECT_RECV, .elem = &w },
		{ .c = scnever, .dir = SELECT_RECV, .elem = &w },
		{ .c = scc, .dir = SELECT_RECV, .elem = &v },
	};
	cs[2].ok = true;
	scg[i] = getg();
	int k = chan_select(cs, 3, true);
	if (k == 2 && !cs[2].ok && all_zero(&v, sizeof v) && !all_zero(&w, sizeof w))
		__atomic_add_fetch(&sc_good, 1, __ATOMIC_RELAXED);
	wg_done(&scwg);
}

static void test_select_wakes_on_close(void)
{
	scc = chan_make(sizeof(struct big), 0);
	scnever = chan_make(sizeof(struct big), 0);
	sc_good = 0;
	memset((void *)scg, 0, sizeof scg);
	wg_add(&scwg, NSELCLOSE);
	for (int i = 0; i < NSELCLOSE; i++)
		go(select_closer_waiter, (void *)(intptr_t)i);
	for (int i = 0; i < NSELCLOSE; i++)
		KT_PARKED(&scg[i], waitReasonSelect);
	chan_close(scc);
	wg_wait(&scwg);
	KT_EXPECT_EQ(sc_good, NSELCLOSE);
	/* the woken selects left nothing queued on the channel still open */
	int64_t dummy;
	KT_ASSERT(!chan_trysend(scnever, &dummy));
}

/* ---- select: the same channel twice, many cases ---- */

static chan_t *dupc;
static void dup_sender(void *arg)
{
	int64_t v = (int64_t)(intptr_t)arg;
	sleep_ns(1000000);
	chan_send(dupc, &v);
}

/* select locks each channel once, however often its cases name it */
static void test_select_same_channel_twice(void)
{
	chan_t *c = chan_make(sizeof(int64_t), 1);
	int64_t v = 3, got = 0;
	select_case cs[3] = {
		{ .c = c, .dir = SELECT_RECV, .elem = &got },
		{ .c = c, .dir = SELECT_SEND, .elem = &v },
		{ .c = c, .dir = SELECT_RECV, .elem = &got },
	};
	int count[3] = { 0, 0, 0 };
	for (int i = 0; i < 3000; i++) {
		bool full = chan_len(c) == 1;
		int k = chan_select(cs, 3, true);
		KT_ASSERT(k >= 0 && k < 3);
		/* full: only the receives can run; empty: only the send */
		KT_ASSERT(full ? k != 1 : k == 1);
		count[k]++;
	}
	KT_ASSERT(count[0] > 300 && count[2] > 300);

	/* blocking on one unbuffered channel both ways: a select never meets itself */
	dupc = chan_make(sizeof(int64_t), 0);
	select_case bs[2] = {
		{ .c = dupc, .dir = SELECT_SEND, .elem = &v },
		{ .c = dupc, .dir = SELECT_RECV, .elem = &got },
	};
	got = 0;
	go(dup_sender, (void *)(intptr_t)12);
	KT_EXPECT_EQ(chan_select(bs, 2, true), 1);
	KT_EXPECT_EQ(got, 12);
}

#define NMANY 200

static chan_t *manyc[NMANY];
static void many_sender(void *arg)
{
	int i = (int)(intptr_t)arg;
	int64_t v = i * 10;
	chan_send(manyc[i], &v);
}

static void test_select_many_cases(void)
{
	static select_case cs[NMANY];
	static int64_t got[NMANY];
	for (int i = 0; i < NMANY; i++) {
		manyc[i] = chan_make(sizeof(int64_t), 0);
		cs[i] = (select_case){ .c = manyc[i], .dir = SELECT_RECV, .elem = &got[i] };
	}
	KT_EXPECT_EQ(chan_select(cs, NMANY, false), -1);
	for (int r = 0; r < 50; r++) {
		int want = (r * 37 + 11) % NMANY;
		go(many_sender, (void *)(intptr_t)want);
		int k = chan_select(cs, NMANY, true);
		KT_EXPECT_EQ(k, want);
		KT_EXPECT_EQ(got[want], want * 10);
	}
	/* nothing left queued on any of them */
	int64_t v = 0;
	for (int i = 0; i < NMANY; i++)
		KT_ASSERT(!chan_trysend(manyc[i], &v));
}

/* ---- large elements ---- */

#define BIGN 1024

struct huge { uint32_t w[BIGN]; };

static chan_t *hugec;
static waitgroup_t hugewg;
static volatile uint32_t huge_bad;

static void fill(struct huge *h, uint32_t seed)
{
	for (int i = 0; i < BIGN; i++)
		h->w[i] = seed * 2654435761u + (uint32_t)i;
}

static bool huge_ok(const struct huge *h, uint32_t seed)
{
	for (int i = 0; i < BIGN; i++)
		if (h->w[i] != seed * 2654435761u + (uint32_t)i)
			return false;
	return true;
}

static void huge_receiver(void *arg)
{
	int n = (int)(intptr_t)arg;
	struct huge h;
	for (int i = 0; i < n; i++)
		if (!chan_recv(hugec, &h) || !huge_ok(&h, (uint32_t)i))
			__atomic_add_fetch(&huge_bad, 1, __ATOMIC_RELAXED);
	wg_done(&hugewg);
}

/* 4 KiB values, copied from stack to stack (unbuffered) and through the buffer */
static void test_large_elems(void)
{
	static struct huge h;
	for (size_t cap = 0; cap <= 3; cap += 3) {
		hugec = chan_make(sizeof(struct huge), cap);
		huge_bad = 0;
		wg_add(&hugewg, 1);
		go(huge_receiver, (void *)(intptr_t)200);
		for (int i = 0; i < 200; i++) {
			fill(&h, (uint32_t)i);
			chan_send(hugec, &h);
		}
		wg_wait(&hugewg);
		KT_EXPECT_EQ(huge_bad, 0);
	}
}

/* ---- zero-size elements ---- */

static chan_t *zc;
static waitgroup_t zwg;

static void zero_sender(void *arg)
{
	int n = (int)(intptr_t)arg;
	for (int i = 0; i < n; i++)
		chan_send(zc, NULL);
	wg_done(&zwg);
}

static void test_zero_size_elems(void)
{
	chan_t *c = chan_make(0, 10);
	KT_EXPECT_EQ(chan_cap(c), 10);
	for (int i = 0; i < 10; i++)
		chan_send(c, NULL);
	KT_EXPECT_EQ(chan_len(c), 10);
	KT_ASSERT(!chan_trysend(c, NULL));
	unsigned char sentinel = 0xee;
	for (int i = 0; i < 10; i++)
		KT_ASSERT(chan_recv(c, i % 2 ? NULL : &sentinel));
	KT_EXPECT_EQ(sentinel, 0xee);           /* nothing written for a 0-byte element */
	bool ok;
	KT_ASSERT(!chan_tryrecv(c, NULL, &ok));
	KT_ASSERT(chan_trysend(c, NULL));
	chan_close(c);
	KT_ASSERT(chan_recv(c, NULL));
	KT_ASSERT(!chan_recv(c, &sentinel));
	KT_EXPECT_EQ(sentinel, 0xee);

	/* unbuffered: pure synchronisation */
	zc = chan_make(0, 0);
	KT_EXPECT_EQ(chan_cap(zc), 0);
	wg_add(&zwg, 2);
	go(zero_sender, (void *)(intptr_t)1000);
	go(zero_sender, (void *)(intptr_t)1000);
	select_case cs[1] = { { .c = zc, .dir = SELECT_RECV, .elem = NULL } };
	for (int i = 0; i < 2000; i++) {
		if (i % 2)
			KT_ASSERT(chan_recv(zc, NULL));
		else
			KT_ASSERT(chan_select(cs, 1, true) == 0 && cs[0].ok);
	}
	wg_wait(&zwg);
	KT_ASSERT(!chan_tryrecv(zc, NULL, &ok));
	chan_close(zc);
	KT_ASSERT(!chan_recv(zc, NULL));
}

static const struct ktest_case chan_cases[] = {
	{test_buffered_fifo, "buffered_fifo"},
	{test_unbuffered_handoff, "unbuffered_handoff"},
	{test_unbuffered_pingpong, "unbuffered_pingpong"},
	{test_mpmc_buffered, "mpmc_8x8_buffered"},
	{test_mpmc_unbuffered, "mpmc_8x8_unbuffered"},
	{test_close_wakes_receivers, "close_wakes_1000_receivers"},
	{test_closed_buffered_drains, "closed_buffered_drains"},
	{test_try_ops, "try_ops"},
	{test_len_cap, "len_cap"},
	{test_select_nil_never_fires, "select_nil_never_fires"},
	{test_select_nil_blocking, "select_nil_blocking"},
	{test_select_fairness, "select_fairness"},
	{test_select_nonblocking_none_ready, "select_nonblocking_none_ready"},
	{test_select_send_recv, "select_send_recv"},
	{test_select_stress, "select_stress"},
	{test_select_wakes_on_close, "select_wakes_on_close"},
	{test_select_same_channel_twice, "select_same_channel_twice"},
	{test_select_many_cases, "select_many_cases"},
	{test_large_elems, "large_elems"},
	{test_zero_size_elems, "zero_size_elems"},
};
KTEST_SUITE(chan, chan_cases);

/* ---- scenarios; a call is never the last statement, so every frame stays ---- */

static __attribute__((noinline)) void chansendclosed(void)
{
	chan_t *c = chan_make(sizeof(int), 1);
	int v = 1;
	chan_close(c);
	chan_send(c, &v);
	printf("chansendclosed: send returned\n");
}
KTEST_SCENARIO(chansendclosed, chansendclosed);

static __attribute__((noinline)) void chantrysendclosed(void)
{
	chan_t *c = chan_make(sizeof(int), 1);
	int v = 1;
	chan_close(c);
	chan_trysend(c, &v);
	printf("chantrysendclosed: trysend returned\n");
}
KTEST_SCENARIO(chantrysendclosed, chantrysendclosed);

static __attribute__((noinline)) void chanclose2(void)
{
	chan_t *c = chan_make(0, 0);
	chan_close(c);
	chan_close(c);
	printf("chanclose2: second close returned\n");
}
KTEST_SCENARIO(chanclose2, chanclose2);

static __attribute__((noinline)) void chanclosenil(void)
{
	chan_close(NULL);
	printf("chanclosenil: close returned\n");
}
KTEST_SCENARIO(chanclosenil, chanclosenil);

/* a sender blocked when the channel is closed panics, once it runs */
static chan_t *blockedc;
static void closer(void *arg)
{
	g *gp = arg;
	while (readgstatus(gp) != _Gwaiting)
		gosched();
	chan_close(blockedc);
}

static __attribute__((noinline)) void chanclosewakesender(void)
{
	blockedc = chan_make(sizeof(int), 0);
	int v = 1;
	go(closer, getg());
	chan_send(blockedc, &v);
	printf("chanclosewakesender: send returned\n");
}
KTEST_SCENARIO(chanclosewakesender, chanclosewakesender);

static __attribute__((noinline)) void nilchandeadlock(void)
{
	int v;
	chan_recv(NULL, &v);
	printf("nilchandeadlock: receive returned\n");
}
KTEST_SCENARIO(nilchandeadlock, nilchandeadlock);

static __attribute__((noinline)) void selectnone(void)
{
	chan_select(NULL, 0, true);
	printf("selectnone: select returned\n");
}
KTEST_SCENARIO(selectnone, selectnone);
