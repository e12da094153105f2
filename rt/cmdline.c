/*
 * cmdline.c - the command-line parser behind args/goenvs (runtime1.c).
 * Later words win over earlier ones, as a shell's environment does.
 */
#include "cmdline.h"

#include <stddef.h>

static char progname[] = "kernel.elf";

static bool is_space(char ch) { return ch == ' ' || ch == '\t'; }

void cmdline_split(char *buf, struct cmdline *c)
{
	c->argc = 1;
	c->envc = 0;
	c->argv[0] = progname;
	c->overflow = false;
	char *s = buf;
	while (*s) {
		while (is_space(*s))
			*s++ = 0;
		if (!*s)
			break;
		char *w = s;
		while (*s && !is_space(*s))
			s++;
		bool env = false;
		for (char *q = w + 1; q < s; q++)
			if (*q == '=') {
				env = true;
				break;
			}
		if (env && c->envc < CMDLINE_MAXWORDS)
			c->envv[c->envc++] = w;
		else if (!env && c->argc < CMDLINE_MAXWORDS)
			c->argv[c->argc++] = w;
		else
			c->overflow = true;
	}
	c->argv[c->argc] = NULL;
	c->envv[c->envc] = NULL;
}

const char *cmdline_getenv(const struct cmdline *c, const char *key)
{
	for (int i = c->envc - 1; i >= 0; i--) {
		const char *e = c->envv[i], *k = key;
		while (*k && *e == *k)
			e++, k++;
		if (!*k && *e == '=')
			return e + 1;
	}
	return NULL;
}

bool cmdline_atoi(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim = INT64_MAX;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (neg)
		lim = (uint64_t)INT64_MAX + 1;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}
