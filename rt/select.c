/*
 * select.c - select (Go's select.go). The algorithm is Go's selectgo:
 *   1. a random poll order over the cases (fairness among ready ones) and
 *      a lock order by channel address (no deadlock between selects);
 *   2. lock every channel, take the first ready case in poll order;
 *   3. none ready: return -1 (default:), or enqueue a sudog on every
 *      channel and park; the first channel operation to fire on one of
 *      them wins the g->selectDone race;
 *   4. woken: lock everything again, take the sudogs off the channels
 *      that did not fire.
 */
#include "chan.h"

#define MAX_CASES 65536
#define SMALL_CASES 16          /* orders this size live on the stack */

/* ---- sudog cache (Go's acquireSudog/releaseSudog) ---- */

struct sudog *acquireSudog(void)
{
	m *mp = acquirem();
	p *pp = mp->p;
	struct sudog *s;
	if (pp->nsudogcache > 0)
		s = pp->sudogcache[--pp->nsudogcache];
	else
		s = malloc(sizeof(*s));
	releasem(mp);
	memset(s, 0, sizeof(*s));
	return s;
}

void releaseSudog(struct sudog *s)
{
	if (s->next || s->prev || s->elem || s->c)
		throw("runtime: sudog with non-nil link, elem or channel");
	m *mp = acquirem();
	p *pp = mp->p;
	if (pp->nsudogcache < SUDOG_CACHE) {
		pp->sudogcache[pp->nsudogcache++] = s;
		s = NULL;
	}
	releasem(mp);
	if (s)
		free(s);
}

/* ---- locking every channel of a select ---- */

static void sellock(select_case *cases, const uint16_t *lockorder, int n)
{
	struct hchan *last = NULL;
	for (int i = 0; i < n; i++) {
		struct hchan *c = cases[lockorder[i]].c;
		if (c != last)
			lock(&c->lock);
		last = c;
	}
}

static void selunlock(select_case *cases, const uint16_t *lockorder, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		struct hchan *c = cases[lockorder[i]].c;
		if (i > 0 && c == cases[lockorder[i - 1]].c)
			continue;       /* unlock a channel once, at its first occurrence */
		unlock(&c->lock);
	}
}

/* selparkcommit runs on g0 once the selecting goroutine is parked. A
 * channel's lock is dropped only after the next sudog was read: once the
 * last one is unlocked the goroutine may already be running again and
 * freeing them. */
static bool selparkcommit(g *gp, void *unused)
{
	(void)unused;
	struct hchan *last = NULL;
	for (struct sudog *sg = gp->waiting; sg; sg = sg->waitlink) {
		if (sg->c != last && last)
			unlock(&last->lock);
		last = sg->c;
	}
	if (last)
		unlock(&last->lock);
	return true;
}

/* ---- orders ---- */

/* pollorder: a uniform random permutation of the cases with a channel
 * (inside-out Fisher-Yates). Returns how many there are. */
static int makepollorder(select_case *cases, int n, uint16_t *pollorder)
{
	int norder = 0;
	for (int i = 0; i < n; i++) {
		if (!cases[i].c)
			continue;
		if (cases[i].dir != SELECT_SEND && cases[i].dir != SELECT_RECV)
			panic("select: case %d has invalid direction %d", i, cases[i].dir);
		uint32_t j = fastrandn((uint32_t)norder + 1);
		pollorder[norder] = pollorder[j];
		pollorder[j] = (uint16_t)i;
		norder++;
	}
	return norder;
}

/* lockorder: the poll order sorted by channel address (heap sort: no
 * recursion, no allocation, n log n for large selects). */
static void makelockorder(select_case *cases, const uint16_t *pollorder, int n, uint16_t *lockorder)
{
#define KEY(k) ((uintptr_t)cases[lockorder[k]].c)
	for (int i = 0; i < n; i++) {
		/* sift up */
		int j = i;
		uint16_t v = pollorder[i];
		uintptr_t cv = (uintptr_t)cases[v].c;
		while (j > 0 && KEY((j - 1) / 2) < cv) {
			lockorder[j] = lockorder[(j - 1) / 2];
			j = (j - 1) / 2;
		}
		lockorder[j] = v;
	}
	for (int i = n - 1; i > 0; i--) {
		uint16_t v = lockorder[i];
		uintptr_t cv = (uintptr_t)cases[v].c;
		lockorder[i] = lockorder[0];
		int j = 0, k;
		/* sift down */
		while ((k = 2 * j + 1) < i) {
			if (k + 1 < i && KEY(k) < KEY(k + 1))
				k++;
			if (cv < KEY(k)) {
				lockorder[j] = lockorder[k];
				j = k;
			} else {
				break;
			}
		}
		lockorder[j] = v;
	}
#undef KEY
}

/* ---- the select ---- */

/* selectone: a select of one case is the plain channel operation. */
static int selectone(select_case *cas, bool block)
{
	if (cas->dir == SELECT_SEND) {
		bool sent = block ? (chan_send(cas->c, cas->elem), true) : chan_trysend(cas->c, cas->elem);
		return sent ? 0 : -1;
	}
	if (cas->dir != SELECT_RECV)
		panic("select: case 0 has invalid direction %d", cas->dir);
	if (block) {
		cas->ok = chan_recv(cas->c, cas->elem);
		return 0;
	}
	return chan_tryrecv(cas->c, cas->elem, &cas->ok) ? 0 : -1;
}

static int selectgo(select_case *cases, int n, bool block, uint16_t *pollorder, uint16_t *lockorder);

int chan_select(select_case *cases, int n, bool block)
{
	if (n < 0 || n > MAX_CASES)
		panic("select: %d cases", n);
	if (n == 1 && cases[0].c)
		return selectone(&cases[0], block);
	uint16_t small[2 * SMALL_CASES];
	uint16_t *orders = n <= SMALL_CASES ? small : malloc(2 * (size_t)n * sizeof(uint16_t));
	int casi = selectgo(cases, n, block, orders, orders + n);
	if (orders != small)
		free(orders);
	return casi;
}

static GDBSTOP int selectgo(select_case *cases, int n, bool block, uint16_t *pollorder, uint16_t *lockorder)
{
	int norder = makepollorder(cases, n, pollorder);
	if (norder == 0) {
		if (!block)
			return -1;
		block_forever(n == 0 ? waitReasonSelectNoCases : waitReasonSelect);
	}
	makelockorder(cases, pollorder, norder, lockorder);
	sellock(cases, lockorder, norder);

	/* pass 1: the first ready case in poll order */
	for (int i = 0; i < norder; i++) {
		int casi = pollorder[i];
		select_case *cas = &cases[casi];
		struct hchan *c = cas->c;
		struct sudog *sg;
		if (cas->dir == SELECT_RECV) {
			if ((sg = dequeue(&c->sendq))) {
				chanrecv_direct(c, sg, cas->elem);
				selunlock(cases, lockorder, norder);
				wakeup(sg, true);
				cas->ok = true;
				return casi;
			}
			if (c->qcount > 0) {
				chanbuf_take(c, cas->elem);
				selunlock(cases, lockorder, norder);
				cas->ok = true;
				return casi;
			}
			if (c->closed) {
				selunlock(cases, lockorder, norder);
				if (cas->elem)
					memset(cas->elem, 0, c->elemsize);
				cas->ok = false;
				return casi;
			}
		} else {
			if (c->closed) {
				selunlock(cases, lockorder, norder);
				panic("send on closed channel");
			}
			if ((sg = dequeue(&c->recvq))) {
				chansend_direct(c, sg, cas->elem);
				selunlock(cases, lockorder, norder);
				wakeup(sg, true);
				return casi;
			}
			if (c->qcount < c->dataqsiz) {
				chanbuf_put(c, cas->elem);
				selunlock(cases, lockorder, norder);
				return casi;
			}
		}
	}
	if (!block) {
		selunlock(cases, lockorder, norder);
		return -1;
	}

	/* pass 2: wait on every channel; gp->waiting keeps lock order */
	g *gp = getg();
	struct sudog **nextp = &gp->waiting;
	for (int i = 0; i < norder; i++) {
		select_case *cas = &cases[lockorder[i]];
		struct sudog *sg = acquireSudog();
		sg->g = gp;
		sg->isSelect = true;
		sg->elem = cas->elem;
		sg->c = cas->c;
		*nextp = sg;
		nextp = &sg->waitlink;
		enqueue(cas->dir == SELECT_RECV ? &cas->c->recvq : &cas->c->sendq, sg);
	}
	gp->param = NULL;
	gopark(selparkcommit, NULL, waitReasonSelect);

	/* pass 3: the sudog in gp->param fired; withdraw the others */
	sellock(cases, lockorder, norder);
	__atomic_store_n(&gp->selectDone, 0, __ATOMIC_RELAXED);
	struct sudog *fired = gp->param;
	gp->param = NULL;
	int casi = -1;
	bool success = false;
	struct sudog *sglist = gp->waiting;
	gp->waiting = NULL;
	for (int i = 0; i < norder; i++) {
		select_case *cas = &cases[lockorder[i]];
		struct sudog *next = sglist->waitlink;
		if (sglist == fired) {
			casi = lockorder[i];
			success = sglist->success;
		} else {
			dequeueSudoG(cas->dir == SELECT_RECV ? &cas->c->recvq : &cas->c->sendq, sglist);
		}
		sglist->isSelect = false;
		sglist->elem = NULL;
		sglist->c = NULL;
		sglist->waitlink = NULL;
		releaseSudog(sglist);
		sglist = next;
	}
	if (casi < 0)
		throw("selectgo: bad wakeup");
	selunlock(cases, lockorder, norder);
	if (cases[casi].dir == SELECT_SEND) {
		if (!success)
			panic("send on closed channel");
	} else {
		cases[casi].ok = success;
	}
	return casi;
}
