/*
 * cmdline_check.h - what rt/cmdline.c must do with any command line,
 * shared by cmdline_test.c (its seeds) and fuzz_cmdline.c: the split is
 * compared with a reference split written differently (offsets, not
 * pointers), integers with a reference parse in 128-bit arithmetic, and
 * every warning must be one "warning:" line. A failed check returns what
 * is wrong; the fuzzer aborts on it.
 */
#ifndef CMDLINE_CHECK_H
#define CMDLINE_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* ---- the split ---- */

static bool chk_space(char c) { return c == ' ' || c == '\t'; }

/* cmdline_split_problem checks c, the split of buf, against orig (buf's
 * bytes before the split, len of them, NUL-free). */
static const char *cmdline_split_problem(const char *orig, const char *buf, size_t len,
                                         const struct cmdline *c)
{
	if (c->argc < 1 || c->argc > CMDLINE_MAXWORDS || c->envc < 0 || c->envc > CMDLINE_MAXWORDS)
		return "word counts out of range";
	if (!c->argv[0] || strcmp(c->argv[0], "kernel.elf") != 0)
		return "argv[0] is not kernel.elf";
	if (c->argv[c->argc] || c->envv[c->envc])
		return "argv or envv not NULL-terminated";
	if (buf[len] != 0)
		return "the terminating NUL moved";
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (chk_space(orig[i]) ? 0 : orig[i]))
			return "buf is not orig with its spaces cut";
	int na = 1, ne = 0;
	bool dropped = false;
	for (size_t i = 0; i < len;) {
		if (chk_space(orig[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !chk_space(orig[i]))
			i++;
		bool env = memchr(orig + start + 1, '=', i - start - 1) != NULL;
		const char *w;
		if (env && ne < CMDLINE_MAXWORDS) {
			w = c->envv[ne++];
		} else if (!env && na < CMDLINE_MAXWORDS) {
			w = c->argv[na++];
		} else {
			dropped = true;
			continue;
		}
		if (w != buf + start)
			return "a word does not point at its place in buf";
		if (strlen(w) != i - start)
			return "a word has the wrong length";
	}
	if (na != c->argc || ne != c->envc)
		return "word counts differ from the reference split";
	if (dropped != c->overflow)
		return "overflow flag wrong";
	return NULL;
}

/* ---- integers ---- */

/* atoi_agrees: cmdline_atoi and a reference parse give the same answer. */
static bool atoi_agrees(const char *s)
{
	const char *p = s;
	bool neg = false, ok = true;
	__int128 v = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		ok = false;
	for (; *p && ok; p++) {
		if (*p < '0' || *p > '9')
			ok = false;
		else if (v <= ((__int128)1 << 64))
			v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v > INT64_MAX || v < INT64_MIN)
		ok = false;
	int64_t got = 0x5a5a5a5a;
	bool gok = cmdline_atoi(s, &got);
	if (gok != ok)
		return false;
	return ok ? got == (int64_t)v : got == 0x5a5a5a5a;
}

/* ---- warnings ---- */

static int chk_nwarn;
static const char *chk_bad;     /* the first malformed warning's problem */
static const char *chk_prefix = "warning: ";

static int chk_warn(const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	chk_nwarn++;
	if (n <= 0)
		chk_bad = chk_bad ? chk_bad : "empty warning";
	else if (strncmp(line, chk_prefix, strlen(chk_prefix)) != 0)
		chk_bad = chk_bad ? chk_bad : "warning without its prefix";
	else if ((size_t)n < sizeof line && line[n - 1] != '\n')
		chk_bad = chk_bad ? chk_bad : "warning not ending its line";
	return n;
}

/* ---- one whole input ---- */

/* cmdline_check_input runs data (up to its first NUL) through everything
 * in cmdline.c and returns the first problem, or NULL. */
static const char *cmdline_check_input(const unsigned char *data, size_t size)
{
	const unsigned char *nul = memchr(data, 0, size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char *orig = malloc(len + 1), *buf = malloc(len + 1);
	struct cmdline *c = malloc(sizeof *c);
	const char *why = NULL;
	if (!orig || !buf || !c)
		abort();
	memcpy(orig, data, len);
	orig[len] = 0;
	memcpy(buf, orig, len + 1);
	memset(c, 0x5a, sizeof *c);
	cmdline_split(buf, c);
	if ((why = cmdline_split_problem(orig, buf, len, c)))
		goto out;

	for (int i = 1; i < c->argc; i++)
		if (!atoi_agrees(c->argv[i])) {
			why = "cmdline_atoi disagrees with the reference on a word";
			goto out;
		}

	/* every key: the last word with it wins, and its integer reading */
	for (int i = 0; i < c->envc; i++) {
		const char *eq = strchr(c->envv[i] + 1, '=');
		size_t klen = (size_t)(eq - c->envv[i]);
		char key[64];
		if (klen >= sizeof key)
			continue;
		memcpy(key, c->envv[i], klen);
		key[klen] = 0;
		const char *want = NULL;
		for (int j = c->envc - 1; j >= 0 && !want; j--)
			if (strncmp(c->envv[j], key, klen) == 0 && c->envv[j][klen] == '=')
				want = c->envv[j] + klen + 1;
		if (cmdline_getenv(c, key) != want) {
			why = "cmdline_getenv did not return the last value";
			goto out;
		}
		if (!atoi_agrees(want)) {
			why = "cmdline_atoi disagrees with the reference on a value";
			goto out;
		}
		int64_t lo = (int64_t)(data[i % size] % 8) - 4, hi = lo + (int64_t)(data[(i + 1) % size] % 64);
		int64_t def = 12345, v;
		bool good = cmdline_atoi(want, &v) && v >= lo && v <= hi;
		chk_nwarn = 0;
		chk_bad = NULL;
		chk_prefix = "warning: ";
		int64_t got = cmdline_getint(c, key, def, lo, hi, chk_warn);
		if (good ? got != v || chk_nwarn != 0 : got != def || chk_nwarn != 1) {
			why = "cmdline_getint: wrong value or warning count";
			goto out;
		}
		if (chk_bad) {
			why = chk_bad;
			goto out;
		}
	}

	/* GODEBUG: the command line's, and the whole input read as a list */
	int32_t vals[3];
	const struct cmdline_debugvar vars[] = {
		{ "inittrace", &vals[0] }, { "schedtrace", &vals[1] }, { "a", &vals[2] },
	};
	const char *lists[2] = { cmdline_getenv(c, "GODEBUG"), orig };
	for (int k = 0; k < 2; k++) {
		if (!lists[k])
			continue;
		for (int i = 0; i < 3; i++)
			vals[i] = -7;
		chk_nwarn = 0;
		chk_bad = NULL;
		chk_prefix = "warning: GODEBUG: ";
		cmdline_parsedebug(lists[k], vars, 3, chk_warn);
		int settings = 1;
		for (const char *p = lists[k]; *p; p++)
			settings += *p == ',';
		if (chk_bad) {
			why = chk_bad;
			goto out;
		}
		if (chk_nwarn > settings) {
			why = "cmdline_parsedebug: more warnings than settings";
			goto out;
		}
		for (int i = 0; i < 3; i++)
			if (vals[i] != -7 && vals[i] < 0) {
				why = "cmdline_parsedebug: a negative value set";
				goto out;
			}
	}
out:
	free(orig);
	free(buf);
	free(c);
	return why;
}

#endif
