/*
 * skynet: a 10-ary tree of goroutines with 1,000,000 leaves, after the
 * well-known "skynet" goroutine benchmark written in Go. Leaf i sends i to
 * its parent over a channel; every parent sums what its ten children send
 * and passes the sum up; the root prints 0 + 1 + ... + 999999 =
 * 499999500000 and the time it took. 1,111,111 goroutines run in all.
 *
 * One change from the Go original, which starts all ten children and then
 * receives ten times: a parent here keeps at most WINDOW children alive,
 * starting the next one each time a result comes in. The reason is
 * memory. A goroutine costs about 5 KiB here (its stack page, its share of
 * page tables, its g), and with all ten children started at once (WINDOW
 * = 10) some 80,000 goroutines were alive at the peak, about 400 MiB: just
 * under the 512 MiB the tests give the machine. With WINDOW children per
 * parent at most WINDOW^d nodes are alive at depth d, so never more than
 * 1 + 4 + ... + 4^6 = 5461 goroutines (about 27 MiB), while thousands are
 * still runnable at once to keep every CPU busy.
 *
 * Output: the sum on a line of its own, then the time in ms and the most
 * goroutines that were alive at any moment.
 */
#include <rt.h>

enum {
	LEAVES = 1000000,
	DIV = 10,       /* children per parent */
	WINDOW = 4,     /* children of one parent alive at a time */
};

/* A node's parameters, in a struct because a goroutine takes one void *. */
struct node {
	chan_t *parent;     /* where this node sends its sum */
	int64_t num;        /* the number of its first leaf */
	int64_t size;       /* how many leaves are below it */
};

/* Goroutines of the tree started, alive now, and the most alive at once:
 * only for the report, updated with atomics since the nodes run on every
 * CPU. */
static int64_t started_total, alive, peak;

static void born(void)
{
	__atomic_add_fetch(&started_total, 1, __ATOMIC_RELAXED);
	int64_t now = __atomic_add_fetch(&alive, 1, __ATOMIC_RELAXED);
	int64_t p = __atomic_load_n(&peak, __ATOMIC_RELAXED);
	while (now > p && !__atomic_compare_exchange_n(&peak, &p, now, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void skynet(void *arg);

static void spawn(chan_t *parent, int64_t num, int64_t size)
{
	struct node *n = malloc(sizeof *n);
	n->parent = parent;
	n->num = num;
	n->size = size;
	born();
	go(skynet, n);
}

static void skynet(void *arg)
{
	struct node n = *(struct node *)arg;
	free(arg);
	if (n.size == 1) {
		chan_send(n.parent, &n.num);
		__atomic_sub_fetch(&alive, 1, __ATOMIC_RELAXED);
		return;
	}

	/* Unbuffered, as in Go's version: a child's send waits until this
	 * node receives it. The channel is never freed; there is no garbage
	 * collector, and 111,111 small channels are a few MiB. */
	chan_t *rc = chan_make(sizeof(int64_t), 0);
	int64_t step = n.size / DIV;
	int started = 0;
	while (started < WINDOW && started < DIV) {
		spawn(rc, n.num + started * step, step);
		started++;
	}
	int64_t sum = 0, v;
	for (int received = 0; received < DIV; received++) {
		chan_recv(rc, &v);
		sum += v;
		if (started < DIV) {
			spawn(rc, n.num + started * step, step);
			started++;
		}
	}
	chan_send(n.parent, &sum);
	__atomic_sub_fetch(&alive, 1, __ATOMIC_RELAXED);
}

void main_main(void)
{
	chan_t *result = chan_make(sizeof(int64_t), 0);
	int64_t t0 = nanotime();
	spawn(result, 0, LEAVES);
	int64_t sum;
	chan_recv(result, &sum);
	int64_t ms = (nanotime() - t0) / 1000000;

	printf("%ld\n", (long)sum);
	printf("skynet: %d leaves, %ld goroutines in %ld ms with GOMAXPROCS=%d; at most %ld alive at once\n",
	       LEAVES, (long)started_total, (long)ms, gomaxprocs(0), (long)peak);
}
