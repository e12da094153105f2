/*
 * chan.h - the channel type (Go's hchan) and what select.c shares with
 * chan.c.
 */
#ifndef RT_CHAN_H
#define RT_CHAN_H

#include "runtime.h"

/* A queue of sudogs (Go's waitq). */
struct waitq {
	struct sudog *first, *last;
};

struct hchan {
	uint32_t qcount;        /* values in buf */
	uint32_t dataqsiz;      /* size of the circular buffer */
	void *buf;              /* dataqsiz elements */
	size_t elemsize;
	uint32_t closed;
	uint32_t sendx;         /* send index into buf */
	uint32_t recvx;         /* receive index into buf */
	struct waitq recvq;     /* blocked receivers */
	struct waitq sendq;     /* blocked senders */
	/* guards every field above, and the sudogs on this channel's queues */
	struct mutex lock;
};

/* chan.c */
void *chanbuf(struct hchan *c, uint32_t i);
void enqueue(struct waitq *q, struct sudog *sg);
void dequeueSudoG(struct waitq *q, struct sudog *sg);
struct sudog *dequeue(struct waitq *q);
void chansend_direct(struct hchan *c, struct sudog *sg, const void *ep);
void chanrecv_direct(struct hchan *c, struct sudog *sg, void *ep);
void wakeup(struct sudog *sg, bool success);
_Noreturn void block_forever(uint32_t reason);
void chanbuf_put(struct hchan *c, const void *ep);
void chanbuf_take(struct hchan *c, void *ep);

/* select.c */
struct sudog *acquireSudog(void);
void releaseSudog(struct sudog *s);

#endif
