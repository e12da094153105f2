/*
 * cmdline.c - the command-line parser behind args/goenvs, getenv_int and
 * parsedebugvars (runtime1.c). Later words win over earlier ones, as a
 * shell's environment does. A bad number is never fatal: it gets a warning
 * and the default, so a typo on a real machine's command line still boots.
 * A bad choice among words (onexit=) is refused: guessing what the user
 * wanted the machine to do at the end would be worse than saying so.
 */
#include "cmdline.h"

#include <string.h>

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

int64_t cmdline_getint(const struct cmdline *c, const char *key, int64_t def,
                       int64_t min, int64_t max, cmdline_printf warn)
{
	const char *v = cmdline_getenv(c, key);
	int64_t x;
	if (!v)
		return def;
	if (!cmdline_atoi(v, &x) || x < min || x > max) {
		warn("warning: %s=%s is not a number in [%ld, %ld]; using %ld\n", key, v, min, max, def);
		return def;
	}
	return x;
}

int cmdline_getchoice(const struct cmdline *c, const char *key, const char *const *names, int n,
                      int def, cmdline_printf warn)
{
	const char *v = cmdline_getenv(c, key);
	if (!v)
		return def;
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	char list[256];
	size_t len = 0;
	list[0] = 0;
	for (int i = 0; i < n && len + strlen(names[i]) + 3 < sizeof list; i++) {
		if (i) {
			memcpy(list + len, ", ", 2);
			len += 2;
		}
		memcpy(list + len, names[i], strlen(names[i]) + 1);
		len += strlen(names[i]);
	}
	warn("runtime: %s=%s: want one of %s\n", key, v, list);
	return -1;
}

static void setdebugvar(const char *key, size_t klen, const char *val, size_t vlen,
                        const struct cmdline_debugvar *vars, size_t nvars, cmdline_printf warn)
{
	for (size_t i = 0; i < nvars; i++) {
		if (strlen(vars[i].name) != klen || strncmp(vars[i].name, key, klen) != 0)
			continue;
		char buf[24];
		int64_t x;
		if (vlen == 0 || vlen >= sizeof buf) {
			warn("warning: GODEBUG: bad value for %s; ignored\n", vars[i].name);
			return;
		}
		memcpy(buf, val, vlen);
		buf[vlen] = 0;
		if (!cmdline_atoi(buf, &x) || x < 0 || x > INT32_MAX)
			warn("warning: GODEBUG: %s=%s is not a number; ignored\n", vars[i].name, buf);
		else
			*vars[i].value = (int32_t)x;
		return;
	}
	warn("warning: GODEBUG: unknown setting %.*s; ignored\n", (int)klen, key);
}

void cmdline_parsedebug(const char *s, const struct cmdline_debugvar *vars, size_t nvars,
                        cmdline_printf warn)
{
	while (*s) {
		const char *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		const char *eq = s;
		while (eq < end && *eq != '=')
			eq++;
		if (end > s) {
			if (eq == end || eq == s)
				warn("warning: GODEBUG: malformed setting \"%.*s\"; ignored\n", (int)(end - s), s);
			else
				setdebugvar(s, (size_t)(eq - s), eq + 1, (size_t)(end - eq - 1), vars, nvars, warn);
		}
		s = *end ? end + 1 : end;
	}
}
