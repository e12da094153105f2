/*
 * torture.h - what the torture program's files share: a round's state, a
 * task (one goroutine doing random operations), the PRNG, the operation
 * counters and failure reporting. See main.c for the design.
 */
#ifndef TORTURE_H
#define TORTURE_H

#include <rt.h>

enum {
	MAXTASKS = 512,         /* tasks (workers and their spawned children) per round */
	MAXCH = 8,              /* round channels */
	MAXACC = 16,            /* accounts */
	NLIVE = 12,             /* memory blocks a task holds at once */
	MAXDEPTH = 3,           /* spawn depth below a worker */
	CHANBUDGET = 64,        /* channels a round may make for pipes and timers:
	                           channels are never freed, so this bounds the leak */
};

/* The operations, counted per kind for the progress line. */
enum kind {
	K_SPAWN, K_FORKJOIN, K_SEND, K_TRYSEND, K_TRYRECV, K_SELECT, K_SELDEFAULT,
	K_TIMERSELECT, K_PIPE, K_TRANSFER, K_AUDIT, K_COUNTER, K_ONCE, K_SLEEP,
	K_GOSCHED, K_MALLOC, K_FREE, K_REALLOC, K_CALLOC, K_RECURSE, K_SPIN,
	K_GOMAXPROCS, NKIND
};
extern const char *const kindname[NKIND];
extern uint64_t nops[NKIND];            /* atomic */

/* A message on a round channel (32 bytes). check covers the other fields
 * and the channel it was meant for, so a value delivered to the wrong
 * channel, torn or mixed with another is caught. */
struct msg {
	uint32_t task;          /* sender's task index */
	uint32_t seq;           /* sender's send count: increases along a FIFO channel */
	uint64_t val;
	void *blk;              /* a patterned heap block the receiver checks and frees, or NULL */
	uint64_t check;
};

struct tchan {
	chan_t *c;
	int cap;
	bool fifo;              /* received only by its one sink: order per sender checked */
	bool sig;               /* element size 0: only counted */
	int sinkmode;           /* how its sink receives */
	uint64_t sent, sentsum; /* atomic */
	uint64_t recvd, recvdsum;       /* atomic */
};

struct account {
	mutex_t mu;
	int64_t bal;            /* mu */
};

struct task;

struct round {
	int num;
	uint64_t seed;
	const char *volatile phase;     /* what the driver waits for */

	int nch;
	struct tchan ch[MAXCH];
	int nacc;
	struct account acc[MAXACC];
	int64_t total;                  /* sum of balances, constant */

	mutex_t countmu;
	int64_t counter;                /* countmu: incremented non-atomically */
	uint64_t counterincs;           /* atomic */

	once_t once;
	uint32_t onceruns;              /* atomic */
	bool oncecalled;                /* atomic */

	waitgroup_t wg;                 /* every task and timer goroutine */
	waitgroup_t sinkwg;             /* every sink */
	uint32_t ntasks;                /* atomic: tasks[] slots taken */
	struct task *volatile tasks[MAXTASKS];
	int32_t chanbudget;             /* atomic */

	uint64_t blksent, blkfreed;     /* atomic: blocks handed over in messages */
	uint32_t fails;                 /* atomic */
};

/* A block of heap memory a task holds, with the pattern it was filled with. */
struct live {
	uint8_t *p;
	size_t n;
	uint64_t pat;
};

struct task {
	struct round *r;
	uint64_t rng;
	int id, depth, nops;
	uint32_t seq;
	const char *volatile op;        /* the operation under way, for hang reports */
	volatile int opdepth;           /* recursion depth, likewise */
	uintptr_t stacktop;             /* this goroutine's first frame */
	struct live live[NLIVE];
};

/* ---- PRNG: splitmix64, one state per task ---- */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static inline uint64_t rnd64(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix64(*s);
}
/* uniform in [0, n), n > 0 */
static inline uint64_t rndn(uint64_t *s, uint64_t n)
{
	return rnd64(s) % n;
}
static inline bool chance(uint64_t *s, unsigned pct)
{
	return rndn(s, 100) < pct;
}

static inline void count(enum kind k)
{
	__atomic_add_fetch(&nops[k], 1, __ATOMIC_RELAXED);
}

/* main.c */
extern uint64_t runseed;
extern int stackbudget;
extern uint64_t deepest;                /* atomic: the most stack a recursion used */
extern int maxprocsop;                  /* 0 none, 1 serialized, 2 concurrent gomaxprocs calls */
extern struct round *volatile curround;  /* the round under way; roundmu to free it */
void fail(struct round *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int task_register(struct round *r, struct task *t);

/* ops.c: a task's life, and the sinks of the round channels */
void task_main(void *arg);
void sink_start(struct round *r, int ch, uint64_t seed);
uint64_t msgcheck(const struct msg *m, int ch);
void msg_discard(struct task *t, struct msg *m);
void leafop(struct task *t);

/* mem.c: patterns, heap blocks, recursion, spinning */
void fill(uint8_t *p, size_t n, uint64_t pat);
bool verify(const uint8_t *p, size_t n, uint64_t pat, size_t *bad);
void *parcel_new(struct task *t);
bool parcel_check_free(struct round *r, void *blk, const char *where);
void op_malloc(struct task *t);
void op_free(struct task *t);
void op_realloc(struct task *t);
void op_calloc(struct task *t);
void live_release(struct task *t);
void op_recurse(struct task *t);
void op_spin(struct task *t, int64_t ns);
void spin_init(void);
bool spin_avx2_enabled(void);

#endif
