/*
 * realloczero: a reproducer found by the torture run (apps/torture).
 * docs/api.md: realloc keeps the old contents up to the smaller size and
 * the bytes it adds are zero. A realloc that shrinks a block within its
 * size class keeps it in place without clearing the bytes it cuts off, so
 * a later realloc that grows it back in place "adds" the old bytes.
 *
 *   make run APP=tests/progs/realloczero SMP=1
 *
 * Prints "realloczero: ok" and exits 0, or the first stale byte and exits 2.
 */
#include <rt.h>

void main_main(void)
{
	for (size_t n = 16; n <= 4096; n += 8) {
		unsigned char *p = malloc(n);
		memset(p, 0xaa, n);
		p = realloc(p, n / 2 + n / 4);          /* shrink: stays in place in its class */
		p = realloc(p, n);                      /* grow back: in place again */
		for (size_t i = n / 2 + n / 4; i < n; i++)
			if (p[i]) {
				printf("realloczero: malloc(%zu), realloc to %zu, realloc to %zu: byte %zu is 0x%02x, not 0\n",
				       n, n / 2 + n / 4, n, i, p[i]);
				exit(2);
			}
		free(p);
	}
	printf("realloczero: ok\n");
}
