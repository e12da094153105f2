/*
 * sieve: the concurrent prime sieve, as in Go's classic example program
 * (doc/play/sieve.go): a generator goroutine sends 2, 3, 4, ... down a
 * channel, and every prime found adds one more filter goroutine to the
 * chain, which drops the multiples of that prime and passes the rest on.
 *
 * It shows unbuffered channels (each send waits for its receiver), passing
 * arguments to goroutines through a heap-allocated struct, and that
 * returning from main_main ends the program even though the generator and
 * the filters are still blocked on their channels.
 *
 * Output: the first 100 primes, one per line, then a summary line.
 */
#include <rt.h>

enum { NPRIMES = 100 };

/* generate sends 2, 3, 4, ... on out, forever. */
static void generate(void *arg)
{
	chan_t *out = arg;
	for (long i = 2;; i++)
		chan_send(out, &i);
}

/* A goroutine takes a single void *: a filter's three parameters travel
 * in a struct that the filter owns from then on. */
struct filter_args {
	chan_t *in, *out;
	long prime;
};

/* filter copies the values from in to out, dropping multiples of prime. */
static void filter(void *arg)
{
	struct filter_args a = *(struct filter_args *)arg;
	free(arg);
	long v;
	for (;;) {
		chan_recv(a.in, &v);
		if (v % a.prime != 0)
			chan_send(a.out, &v);
	}
}

void main_main(void)
{
	chan_t *ch = chan_make(sizeof(long), 0);
	go(generate, ch);

	long prime = 0;
	for (int i = 0; i < NPRIMES; i++) {
		/* Whatever reaches the end of the chain is not a multiple of any
		 * smaller prime, so it is the next prime. */
		chan_recv(ch, &prime);
		printf("%ld\n", prime);

		chan_t *next = chan_make(sizeof(long), 0);
		struct filter_args *a = malloc(sizeof *a);
		a->in = ch;
		a->out = next;
		a->prime = prime;
		/* From here on a belongs to the filter, which may already have
		 * freed it on another CPU: keep using our own copy, next. */
		go(filter, a);
		ch = next;
	}
	printf("sieve: the first %d primes, the last is %ld\n", NPRIMES, prime);
}
