/*
 * check.h - the host tests' assertion: CHECK(cond, printf-args) counts a
 * check, and on failure counts it and prints "FAIL file:line: message"
 * (the first 40, so a broken loop does not flood the log). Each test ends
 * with its own summary of `checks` and `failures`.
 */
#ifndef HOST_CHECK_H
#define HOST_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		if (failures <= 40) { \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} \
} while (0)

#endif
