/*
 * chan.c - channels (Go's chan.go): a circular buffer of elemsize-byte
 * values plus two queues of blocked goroutines, all under one lock.
 *
 * Invariants (as Go's): at least one of sendq and recvq is empty, except
 * for an unbuffered channel with one goroutine blocked in select both
 * sending and receiving on it; if the channel is buffered, qcount > 0
 * implies recvq is empty and qcount < dataqsiz implies sendq is empty.
 *
 * A value goes straight from the sender's memory to a waiting receiver's
 * (and back) without passing through the buffer: both live in the same
 * address space and a parked goroutine's stack never moves.
 */
#include "chan.h"

#define MAX_ELEMSIZE (1u << 16)         /* Go: "channel element type too large" */
#define MAX_CHANBUF  (1ull << 40)     /* bytes of buffer */
#define MAX_CHANCAP  0x7fffffffull   /* chan_cap returns an int */

void *chanbuf(struct hchan *c, uint32_t i)
{
	return (char *)c->buf + (size_t)i * c->elemsize;
}

/* ---- wait queues ---- */

void enqueue(struct waitq *q, struct sudog *sg)
{
	sg->next = NULL;
	sg->prev = q->last;
	if (q->last)
		q->last->next = sg;
	else
		q->first = sg;
	q->last = sg;
}

/* dequeue takes the first waiter that can still be woken: a select whose
 * other case already fired is skipped (it will take its sudogs back). */
struct sudog *dequeue(struct waitq *q)
{
	for (;;) {
		struct sudog *sg = q->first;
		if (!sg)
			return NULL;
		q->first = sg->next;
		if (q->first)
			q->first->prev = NULL;
		else
			q->last = NULL;
		sg->next = sg->prev = NULL;
		if (sg->isSelect && !__sync_bool_compare_and_swap(&sg->g->selectDone, 0, 1))
			continue;
		return sg;
	}
}

void dequeueSudoG(struct waitq *q, struct sudog *sg)
{
	struct sudog *x = sg->prev, *y = sg->next;
	if (x)
		x->next = y;
	else if (q->first == sg)
		q->first = y;
	else
		return;         /* not on this queue: already dequeued by a waker */
	if (y)
		y->prev = x;
	else
		q->last = x;
	sg->next = sg->prev = NULL;
}

/* ---- make, len, cap ---- */

chan_t *chan_make(size_t elemsize, size_t cap)
{
	if (elemsize > MAX_ELEMSIZE)
		throw("makechan: invalid channel element type");
	if (cap > MAX_CHANCAP || (elemsize && cap > MAX_CHANBUF / elemsize))
		panic("makechan: size out of range");
	struct hchan *c = calloc(1, sizeof(*c) + elemsize * cap);
	c->buf = c + 1;
	c->elemsize = elemsize;
	c->dataqsiz = (uint32_t)cap;
	return c;
}

int chan_len(chan_t *c)
{
	return c ? (int)__atomic_load_n(&c->qcount, __ATOMIC_RELAXED) : 0;
}

int chan_cap(chan_t *c)
{
	return c ? (int)c->dataqsiz : 0;
}

/* ---- moving values ---- */

/* full and empty are read without the lock by the non-blocking fast paths;
 * a stale answer is one a racing operation could have produced anyway. */
static bool full(struct hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) == NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == c->dataqsiz;
}

static bool empty(struct hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED) == NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == 0;
}

void chanbuf_put(struct hchan *c, const void *ep)
{
	memmove(chanbuf(c, c->sendx), ep, c->elemsize);
	if (++c->sendx == c->dataqsiz)
		c->sendx = 0;
	c->qcount++;
}

void chanbuf_take(struct hchan *c, void *ep)
{
	void *qp = chanbuf(c, c->recvx);
	if (ep)
		memmove(ep, qp, c->elemsize);
	if (++c->recvx == c->dataqsiz)
		c->recvx = 0;
	c->qcount--;
}

/* wakeup readies the goroutine blocked on sg; the sudog belongs to that
 * goroutine, so nothing may touch it after goready. */
void wakeup(struct sudog *sg, bool success)
{
	g *gp = sg->g;
	sg->success = success;
	gp->param = sg;
	goready(gp);
}

/* chansend_direct copies ep to the blocked receiver sg (Go's send); the
 * caller unlocks, then calls wakeup(sg, true). */
void chansend_direct(struct hchan *c, struct sudog *sg, const void *ep)
{
	if (sg->elem)
		memmove(sg->elem, ep, c->elemsize);
	sg->elem = NULL;
}

/* chanrecv_direct takes a value for ep from the blocked sender sg (Go's
 * recv); the caller unlocks, then wakes sg. With a full buffer the
 * receiver takes the head and the sender's value goes to the tail,
 * keeping FIFO order. */
void chanrecv_direct(struct hchan *c, struct sudog *sg, void *ep)
{
	if (c->dataqsiz == 0) {
		if (ep)
			memmove(ep, sg->elem, c->elemsize);
	} else {
		void *qp = chanbuf(c, c->recvx);
		if (ep)
			memmove(ep, qp, c->elemsize);
		memmove(qp, sg->elem, c->elemsize);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		c->sendx = c->recvx;
	}
	sg->elem = NULL;
}

static bool chanparkcommit(g *gp, void *lock)
{
	(void)gp;
	unlock(lock);
	return true;
}

_Noreturn void block_forever(uint32_t reason)
{
	gopark(NULL, NULL, reason);
	throw("unreachable");
}

/* ---- send ---- */

static GDBSTOP bool chansend(struct hchan *c, const void *ep, bool block)
{
	if (!c) {
		if (!block)
			return false;
		block_forever(waitReasonChanSendNilChan);
	}
	if (!block && !__atomic_load_n(&c->closed, __ATOMIC_RELAXED) && full(c))
		return false;

	lock(&c->lock);
	if (c->closed) {
		unlock(&c->lock);
		panic("send on closed channel");
	}
	struct sudog *sg = dequeue(&c->recvq);
	if (sg) {
		chansend_direct(c, sg, ep);
		unlock(&c->lock);
		wakeup(sg, true);
		return true;
	}
	if (c->qcount < c->dataqsiz) {
		chanbuf_put(c, ep);
		unlock(&c->lock);
		return true;
	}
	if (!block) {
		unlock(&c->lock);
		return false;
	}

	g *gp = getg();
	struct sudog mysg = { .g = gp, .elem = (void *)ep, .c = c };
	gp->param = NULL;
	enqueue(&c->sendq, &mysg);
	gopark(chanparkcommit, &c->lock, waitReasonChanSend);
	if (gp->param != &mysg)
		throw("chansend: spurious wakeup");
	if (!mysg.success)
		panic("send on closed channel");
	return true;
}

void chan_send(chan_t *c, const void *elem)
{
	chansend(c, elem, true);
}

bool chan_trysend(chan_t *c, const void *elem)
{
	return chansend(c, elem, false);
}

/* ---- receive ---- */

/* chanrecv receives into ep (may be NULL). selected: an operation took
 * place; *received: it was a value, not the channel's closing. */
static GDBSTOP bool chanrecv(struct hchan *c, void *ep, bool block, bool *received)
{
	*received = false;
	if (!c) {
		if (!block)
			return false;
		block_forever(waitReasonChanReceiveNilChan);
	}
	if (!block && empty(c)) {
		if (!__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE))
			return false;
		/* closed, and closed stays closed: re-check emptiness after
		 * having seen it, as a value may have arrived before the close */
		if (empty(c)) {
			if (ep)
				memset(ep, 0, c->elemsize);
			return true;
		}
	}

	lock(&c->lock);
	if (c->closed && c->qcount == 0) {
		unlock(&c->lock);
		if (ep)
			memset(ep, 0, c->elemsize);
		return true;
	}
	struct sudog *sg = dequeue(&c->sendq);
	if (sg) {
		chanrecv_direct(c, sg, ep);
		unlock(&c->lock);
		wakeup(sg, true);
		*received = true;
		return true;
	}
	if (c->qcount > 0) {
		chanbuf_take(c, ep);
		unlock(&c->lock);
		*received = true;
		return true;
	}
	if (!block) {
		unlock(&c->lock);
		return false;
	}

	g *gp = getg();
	struct sudog mysg = { .g = gp, .elem = ep, .c = c };
	gp->param = NULL;
	enqueue(&c->recvq, &mysg);
	gopark(chanparkcommit, &c->lock, waitReasonChanReceive);
	if (gp->param != &mysg)
		throw("chanrecv: spurious wakeup");
	*received = mysg.success;
	return true;
}

bool chan_recv(chan_t *c, void *elem)
{
	bool received;
	chanrecv(c, elem, true, &received);
	return received;
}

bool chan_tryrecv(chan_t *c, void *elem, bool *ok)
{
	bool received;
	bool selected = chanrecv(c, elem, false, &received);
	if (ok)
		*ok = received;
	return selected;
}

/* ---- close ---- */

void chan_close(chan_t *c)
{
	if (!c)
		panic("close of nil channel");
	lock(&c->lock);
	if (c->closed) {
		unlock(&c->lock);
		panic("close of closed channel");
	}
	__atomic_store_n(&c->closed, 1, __ATOMIC_RELEASE);

	/* collect every waiter, wake them once the lock is dropped */
	struct gqueue glist = { 0 };
	struct sudog *sg;
	while ((sg = dequeue(&c->recvq))) {
		if (sg->elem) {
			memset(sg->elem, 0, c->elemsize);
			sg->elem = NULL;
		}
		sg->success = false;
		sg->g->param = sg;
		gqueue_push(&glist, sg->g);
	}
	while ((sg = dequeue(&c->sendq))) {
		sg->elem = NULL;
		sg->success = false;
		sg->g->param = sg;
		gqueue_push(&glist, sg->g);
	}
	unlock(&c->lock);

	g *gp;
	while ((gp = gqueue_pop(&glist)))
		goready(gp);
}
