/*
 * pingpong: two goroutines bounce a counter back and forth over two
 * unbuffered channels, as in the ping-pong program of the "Advanced Go
 * Concurrency Patterns" talk (a ball passed between two players). Each
 * player adds one to the counter and sends it back; after ROUNDS round
 * trips the counter is 2 * ROUNDS.
 *
 * On an unbuffered channel a send completes only when a receiver takes
 * the value, so every hop is a full handoff between goroutines: the
 * sender blocks, the receiver is woken (on the same CPU, or on another
 * one with an interrupt), and so on. The time per round trip is therefore
 * the cost of two such handoffs. A done channel tells main_main that the
 * game is over, as a Go program would wait for its players.
 *
 * Output: the round trips played, the final counter, and ns per round trip.
 */
#include <rt.h>

enum { ROUNDS = 100000 };

struct table {
	chan_t *to_pong, *to_ping;  /* unbuffered, one per direction */
	chan_t *done;               /* ping sends the final counter here */
};

static void ping(void *arg)
{
	struct table *t = arg;
	long ball = 0;
	for (int i = 0; i < ROUNDS; i++) {
		ball++;
		chan_send(t->to_pong, &ball);
		chan_recv(t->to_ping, &ball);
	}
	/* Closing tells pong there will be no more serves: its receive then
	 * reports ok == false, as for range over a channel in Go. */
	chan_close(t->to_pong);
	chan_send(t->done, &ball);
}

static void pong(void *arg)
{
	struct table *t = arg;
	long ball;
	while (chan_recv(t->to_pong, &ball)) {
		ball++;
		chan_send(t->to_ping, &ball);
	}
}

void main_main(void)
{
	struct table t = {
		.to_pong = chan_make(sizeof(long), 0),
		.to_ping = chan_make(sizeof(long), 0),
		.done = chan_make(sizeof(long), 0),
	};
	int64_t t0 = nanotime();
	go(pong, &t);
	go(ping, &t);
	long ball;
	chan_recv(t.done, &ball);
	int64_t ns = nanotime() - t0;

	printf("pingpong: %d round trips, counter %ld\n", ROUNDS, ball);
	printf("pingpong: %ld ns per round trip (GOMAXPROCS=%d)\n", (long)(ns / ROUNDS), gomaxprocs(0));
}
