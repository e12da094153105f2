/*
 * runtime1.c - as Go's runtime1.go: check (the C types and atomics are what
 * the runtime assumes), args/goargs/goenvs (the kernel command line split
 * into argv and environment), gogetenv, and parsedebugvars (GODEBUG).
 *
 * The command line is space-separated; KEY=VALUE words are environment,
 * other words argv (argv[0] is "kernel.elf", as a program name). A bad
 * value is never fatal: it gets a one-line warning and the default.
 */
#include "runtime.h"
#include "os.h"
#include "print.h"
#include "cmdline.h"

#define MAXARGS 64

static char cmdbuf[1024];
static struct cmdline cmd;
struct dbgvars debug;

/* check: Go's runtime.check, the sizes and atomics the runtime relies on. */
void check(void)
{
	int8_t a;
	int16_t c;
	int32_t e;
	int64_t gq;
	void *k;
	struct x1t { uint8_t x; };
	struct y1t { struct x1t x1; uint8_t y; };

	inittrace_mark("check");
	if (sizeof a != 1 || sizeof c != 2 || sizeof e != 4 || sizeof gq != 8 || sizeof k != 8)
		throw("bad sizes");
	if (sizeof(struct y1t) != 2 || offsetof(struct y1t, y) != 1)
		throw("bad struct layout");

	uint32_t z = 1;
	if (!__atomic_compare_exchange_n(&z, &(uint32_t){1}, 2, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) || z != 2)
		throw("cas1");
	if (__atomic_compare_exchange_n(&z, &(uint32_t){5}, 6, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) || z != 2)
		throw("cas2");
	uint64_t q = ~0ull;
	if (__atomic_add_fetch(&q, 1, __ATOMIC_SEQ_CST) != 0)
		throw("xadd64 failed");
	unsigned __int128 w = 0, nw = ((unsigned __int128)1 << 64) | 1;
	/* the __sync form is inlined as cmpxchg16b (-mcx16); __atomic's is a libcall */
	if (!__sync_bool_compare_and_swap(&w, 0, nw) || w != nw)
		throw("cas128");
}

/* args copies the loader's command line and splits it (Go's args+sysargs). */
void args(void)
{
	inittrace_mark("args");
	const char *s = getcmdline();
	size_t n = strlen(s);
	if (n >= sizeof cmdbuf) {
		printf("warning: command line longer than %d bytes, truncated\n", (int)sizeof cmdbuf - 1);
		n = sizeof cmdbuf - 1;
	}
	memcpy(cmdbuf, s, n);
	cmdbuf[n] = 0;
	cmdline_split(cmdbuf, &cmd);
	if (cmd.overflow)
		printf("warning: more than %d command-line words; the rest are ignored\n", CMDLINE_MAXWORDS);
}

int goargc(void) { return cmd.argc; }
char **goargv(void) { return cmd.argv; }

const char *gogetenv(const char *key)
{
	return cmdline_getenv(&cmd, key);
}

/*
 * getenv_int parses an environment integer in [min, max]: absent -> def,
 * malformed or out of range -> warning and def.
 */
int64_t getenv_int(const char *key, int64_t def, int64_t min, int64_t max)
{
	const char *v = gogetenv(key);
	int64_t x;
	if (!v)
		return def;
	if (!cmdline_atoi(v, &x) || x < min || x > max) {
		printf("warning: %s=%s is not a number in [%ld, %ld]; using %ld\n", key, v, min, max, def);
		return def;
	}
	return x;
}

static const struct {
	const char *name;
	int32_t *value;
} dbgvars[] = {
	{"inittrace", &debug.inittrace},
	{"schedtrace", &debug.schedtrace},
	{"scheddetail", &debug.scheddetail},
	{"asyncpreemptoff", &debug.asyncpreemptoff},
};

static void setdebugvar(const char *key, size_t klen, const char *val, size_t vlen)
{
	for (size_t i = 0; i < sizeof dbgvars / sizeof dbgvars[0]; i++) {
		if (strlen(dbgvars[i].name) != klen || strncmp(dbgvars[i].name, key, klen) != 0)
			continue;
		char buf[24];
		int64_t x;
		if (vlen == 0 || vlen >= sizeof buf) {
			printf("warning: GODEBUG: bad value for %s; ignored\n", dbgvars[i].name);
			return;
		}
		memcpy(buf, val, vlen);
		buf[vlen] = 0;
		if (!cmdline_atoi(buf, &x) || x < 0 || x > INT32_MAX)
			printf("warning: GODEBUG: %s=%s is not a number; ignored\n", dbgvars[i].name, buf);
		else
			*dbgvars[i].value = (int32_t)x;
		return;
	}
	printf("warning: GODEBUG: unknown setting %.*s; ignored\n", (int)klen, key);
}

/* parsedebugvars reads GODEBUG=name=val,name=val (Go's format). */
void parsedebugvars(void)
{
	const char *s = gogetenv("GODEBUG");
	if (!s)
		return;
	while (*s) {
		const char *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		const char *eq = s;
		while (eq < end && *eq != '=')
			eq++;
		if (end > s) {
			if (eq == end || eq == s)
				printf("warning: GODEBUG: malformed setting \"%.*s\"; ignored\n", (int)(end - s), s);
			else
				setdebugvar(s, (size_t)(eq - s), eq + 1, (size_t)(end - eq - 1));
		}
		s = *end ? end + 1 : end;
	}
}
