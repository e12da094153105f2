/*
 * sizeclasses_test.c - host test for rt/sizeclasses.h, the size classes
 * tools/mksizeclasses.py generates. It checks the tables from scratch,
 * without trusting the generator:
 *
 *   - class 0 is all zeros; classes 1.. are strictly increasing and end at
 *     _MaxSmallSize;
 *   - sizes are multiples of 8, of 16 from 16 bytes up (so every object of
 *     16 bytes or more is 16-byte aligned in its page-aligned span), and of
 *     largeSizeDiv above smallSizeMax (else size_to_class128 could not give
 *     the smallest fitting class);
 *   - every size 1.._MaxSmallSize maps to its smallest fitting class, and
 *     both lookup tables stay in range;
 *   - each class's objects fit its span: nobjs == span / size, so
 *     nobjs * size <= span;
 *   - waste: the tail of every span is at most 12.5% of it, and the span is
 *     the smallest of whole pages with that property; the worst-case waste
 *     of a span (every object holding the class's smallest request, one
 *     byte more than the previous class) is at most 12.5%, or else no legal
 *     size the generator could have chosen after the previous class would
 *     have done better; the class's worst request wastes at most 12.5% of
 *     an object, or the class is one alignment step above the previous one,
 *     or it is a merge of classes (same span, same objects per span) the
 *     smallest of which meets the bound (or is one step up);
 *   - class_to_divmagic[c] gives off / size for every byte offset of the
 *     span.
 *
 * From the top of the tree:
 *
 *   mkdir -p build/host
 *   gcc -std=c11 -g -O1 -Wall -Wextra -Werror \
 *       -fsanitize=address,undefined -fno-sanitize-recover=all -I rt \
 *       tests/host/sizeclasses_test.c -o build/host/sizeclasses_test
 *   build/host/sizeclasses_test
 *
 * Exit status 0 when everything holds; each failure is printed (the first
 * MAXREPORT of them; the rest are counted).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sizeclasses.h"

#define MAXREPORT 50
#define SPAN_PAGES_LIMIT 64     /* how far the test looks for a smaller span */

static int failures;

#define FAIL(...)                                                       \
	do {                                                            \
		if (failures++ < MAXREPORT) {                           \
			printf("FAIL: ");                               \
			printf(__VA_ARGS__);                            \
			printf("\n");                                   \
		}                                                       \
	} while (0)

/* legal: a size a class may have. */
static int legal(uint64_t s)
{
	if (s == 8)
		return 1;
	if (s == 0 || s % 16 || s > _MaxSmallSize)
		return 0;
	return s <= smallSizeMax || s % largeSizeDiv == 0;
}

/* next_legal: the smallest legal size above s (or 0 past _MaxSmallSize). */
static uint64_t next_legal(uint64_t s)
{
	for (uint64_t t = s + 1; t <= _MaxSmallSize; t++)
		if (legal(t))
			return t;
	return 0;
}

/* tail_ok: the bytes after the last whole object are at most 1/8 of the span. */
static int tail_ok(uint64_t size, uint64_t span)
{
	return span >= size && (span % size) * 8 <= span;
}

/* smallest_span: the fewest pages with tail_ok, 0 if none up to the limit. */
static uint64_t smallest_span(uint64_t size)
{
	for (uint64_t np = 1; np <= SPAN_PAGES_LIMIT; np++)
		if (tail_ok(size, np * _PageSize))
			return np;
	return 0;
}

/* A fraction num/den, compared by cross-multiplying. */
struct frac {
	uint64_t num, den;
};

static int frac_le(struct frac a, struct frac b)
{
	return a.num * b.den <= b.num * a.den;
}

static const struct frac eighth = { 1, 8 };

/* max_waste: the part of a span of np pages of objects of size bytes that
 * is wasted when each object holds a (prev + 1)-byte request. */
static struct frac max_waste(uint64_t prev, uint64_t size, uint64_t np)
{
	uint64_t span = np * _PageSize;
	return (struct frac){ span - (span / size) * (prev + 1), span };
}

static int internal_ok(uint64_t prev, uint64_t size)
{
	return (size - prev - 1) * 8 <= size;
}

static void check_class0(void)
{
	if (class_to_size[0] || class_to_allocnpages[0] || class_to_nobjs[0] || class_to_divmagic[0])
		FAIL("class 0 is not all zeros (%u %u %u %#x)", class_to_size[0],
		     class_to_allocnpages[0], class_to_nobjs[0], class_to_divmagic[0]);
	if (_NumSizeClasses < 2 || _NumSizeClasses > 256)
		FAIL("_NumSizeClasses is %d", _NumSizeClasses);
	if (_PageSize != 1 << _PageShift)
		FAIL("_PageSize %d is not 1 << _PageShift (%d)", _PageSize, _PageShift);
	if (class_to_size[_NumSizeClasses - 1] != _MaxSmallSize)
		FAIL("the last class is %u bytes, not _MaxSmallSize (%d)",
		     class_to_size[_NumSizeClasses - 1], _MaxSmallSize);
}

static void check_order_and_alignment(void)
{
	for (int c = 1; c < _NumSizeClasses; c++) {
		uint64_t size = class_to_size[c];
		if (size <= class_to_size[c - 1])
			FAIL("class %d: %lu bytes, not above class %d (%u)", c,
			     (unsigned long)size, c - 1, class_to_size[c - 1]);
		if (size % 8)
			FAIL("class %d: %lu bytes is not a multiple of 8", c, (unsigned long)size);
		if (size >= 16 && size % 16)
			FAIL("class %d: %lu bytes is not a multiple of 16", c, (unsigned long)size);
		if (size > smallSizeMax && size % largeSizeDiv)
			FAIL("class %d: %lu bytes is above smallSizeMax but not a multiple of %d",
			     c, (unsigned long)size, largeSizeDiv);
		if (size >= 16 && class_to_nobjs[c]) {
			for (uint64_t k = 0; k < class_to_nobjs[c]; k++) {
				if ((k * size) % 16) {
					FAIL("class %d: object %lu at offset %lu is not 16-byte aligned",
					     c, (unsigned long)k, (unsigned long)(k * size));
					break;
				}
			}
		}
	}
}

static void check_lookup(void)
{
	/* Every entry of both tables names a real class. */
	for (size_t i = 0; i < sizeof size_to_class8 / sizeof size_to_class8[0]; i++)
		if (size_to_class8[i] >= _NumSizeClasses)
			FAIL("size_to_class8[%zu] = %u is not a class", i, size_to_class8[i]);
	for (size_t i = 0; i < sizeof size_to_class128 / sizeof size_to_class128[0]; i++)
		if (size_to_class128[i] >= _NumSizeClasses)
			FAIL("size_to_class128[%zu] = %u is not a class", i, size_to_class128[i]);

	for (size_t n = 1; n <= _MaxSmallSize; n++) {
		unsigned c = size_to_class(n);
		if (c == 0 || c >= _NumSizeClasses) {
			FAIL("size_to_class(%zu) = %u is not a small class", n, c);
			continue;
		}
		if (class_to_size[c] < n)
			FAIL("size_to_class(%zu) = %u, whose %u bytes are too few", n, c, class_to_size[c]);
		if (class_to_size[c - 1] >= n)
			FAIL("size_to_class(%zu) = %u, but class %u (%u bytes) fits too", n, c, c - 1,
			     class_to_size[c - 1]);
	}
}

static void check_spans(void)
{
	for (int c = 1; c < _NumSizeClasses; c++) {
		uint64_t size = class_to_size[c], np = class_to_allocnpages[c];
		uint64_t span = np * _PageSize, nobjs = class_to_nobjs[c];
		if (np == 0 || size == 0) {
			FAIL("class %d: %lu pages, %lu bytes", c, (unsigned long)np, (unsigned long)size);
			continue;
		}
		if (nobjs == 0 || nobjs * size > span || nobjs != span / size)
			FAIL("class %d: %lu objects of %lu bytes in a %lu-byte span (fits %lu)", c,
			     (unsigned long)nobjs, (unsigned long)size, (unsigned long)span,
			     (unsigned long)(span / size));
		if (!tail_ok(size, span))
			FAIL("class %d (%lu bytes): tail of %lu bytes is over 12.5%% of its %lu-byte span",
			     c, (unsigned long)size, (unsigned long)(span % size), (unsigned long)span);
		if (smallest_span(size) != np)
			FAIL("class %d (%lu bytes): %lu pages, but %lu pages is the smallest span"
			     " with at most 12.5%% tail waste", c, (unsigned long)size,
			     (unsigned long)np, (unsigned long)smallest_span(size));
	}
}

/*
 * check_waste: the bounds on the worst-case waste (see the top of the file).
 * It returns through *forced how many classes are over 12.5% because no
 * legal choice was better, and through *merged how many classes are over
 * 12.5% of an object only because they are merges.
 */
static void check_waste(int *forced, int *merged)
{
	*forced = *merged = 0;
	for (int c = 1; c < _NumSizeClasses; c++) {
		uint64_t prev = class_to_size[c - 1], size = class_to_size[c];
		uint64_t np = class_to_allocnpages[c];
		if (np == 0 || size <= prev)
			continue;       /* reported already */
		uint64_t step = next_legal(prev);

		/* Over a whole span. */
		struct frac w = max_waste(prev, size, np);
		if (!frac_le(w, eighth)) {
			/* The best any candidate after prev would have done: the
			 * next legal size, and every legal size after it whose
			 * worst request wastes at most 12.5% of an object. */
			struct frac best = { 1, 1 };
			for (uint64_t t = step; t && (t == step || internal_ok(prev, t)); t = next_legal(t)) {
				uint64_t tnp = smallest_span(t);
				if (tnp && frac_le(max_waste(prev, t, tnp), best))
					best = max_waste(prev, t, tnp);
			}
			if (!frac_le(w, best))
				FAIL("class %d (%lu bytes after %lu): max waste %.2f%% of a span, but a"
				     " legal class could waste %.2f%%", c, (unsigned long)size,
				     (unsigned long)prev, 100.0 * w.num / w.den, 100.0 * best.num / best.den);
			else
				(*forced)++;
		}

		/* In one object. */
		if (!internal_ok(prev, size) && size != step) {
			/* The smallest legal size above prev that a merge could
			 * have folded into this class. */
			uint64_t a = 0;
			for (uint64_t t = step; t && t < size; t = next_legal(t)) {
				uint64_t tnp = smallest_span(t);
				if (tnp == np && (tnp * _PageSize) / t == class_to_nobjs[c]) {
					a = t;
					break;
				}
			}
			if (a && (a == step || internal_ok(prev, a)))
				(*merged)++;
			else
				FAIL("class %d (%lu bytes after %lu): a %lu-byte request wastes %.2f%%"
				     " of the object", c, (unsigned long)size, (unsigned long)prev,
				     (unsigned long)(prev + 1), 100.0 * (size - prev - 1) / size);
		}
	}
}

static void check_divmagic(void)
{
	for (int c = 1; c < _NumSizeClasses; c++) {
		uint64_t size = class_to_size[c], magic = class_to_divmagic[c];
		uint64_t span = (uint64_t)class_to_allocnpages[c] * _PageSize;
		if (size == 0)
			continue;
		for (uint64_t off = 0; off < span; off++) {
			uint64_t got = (off * magic) >> 32;
			if (got != off / size) {
				FAIL("class %d (%lu bytes): divmagic %#lx gives %lu at offset %lu, not %lu",
				     c, (unsigned long)size, (unsigned long)magic, (unsigned long)got,
				     (unsigned long)off, (unsigned long)(off / size));
				break;
			}
		}
	}
}

int main(void)
{
	int forced, merged;

	check_class0();
	check_order_and_alignment();
	check_lookup();
	check_spans();
	check_waste(&forced, &merged);
	check_divmagic();

	if (failures) {
		if (failures > MAXREPORT)
			printf("... and %d more\n", failures - MAXREPORT);
		printf("sizeclasses_test: %d failure%s\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("sizeclasses_test: ok: %d classes (with class 0); %d over 12.5%% max waste"
	       " where nothing legal did better, %d over 12.5%% of an object by merging\n",
	       _NumSizeClasses, forced, merged);
	return 0;
}
