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
	return cmdline_getint(&cmd, key, def, min, max, printf);
}

/* getenv_choice: the index of key's value in names, def when absent, -1
 * (after a line saying what is wanted) for anything else. */
int getenv_choice(const char *key, const char *const *names, int n, int def)
{
	return cmdline_getchoice(&cmd, key, names, n, def, printf);
}

static const struct cmdline_debugvar dbgvars[] = {
	{"inittrace", &debug.inittrace},
	{"schedtrace", &debug.schedtrace},
	{"scheddetail", &debug.scheddetail},
	{"asyncpreemptoff", &debug.asyncpreemptoff},
	{"benchtrace", &debug.benchtrace},
	{"sysmonperiod", &debug.sysmonperiod},
	{"forcepreemptns", &debug.forcepreemptns},
};

/* parsedebugvars reads GODEBUG=name=val,name=val (Go's format). */
void parsedebugvars(void)
{
	const char *s = gogetenv("GODEBUG");
	if (s)
		cmdline_parsedebug(s, dbgvars, sizeof dbgvars / sizeof dbgvars[0], printf);
}
