/*
 * cmdline.h - splitting the kernel command line into argv and environment,
 * and reading integers and GODEBUG from it. Pure logic, no runtime
 * dependencies: the host tests and fuzz_cmdline build it as is.
 */
#ifndef RT_CMDLINE_H
#define RT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAXWORDS 64

struct cmdline {
	int argc, envc;
	char *argv[CMDLINE_MAXWORDS + 1];   /* argv[0] = "kernel.elf"; NULL-terminated */
	char *envv[CMDLINE_MAXWORDS + 1];   /* "KEY=VALUE"; NULL-terminated */
	bool overflow;                      /* words were dropped */
};

/* cmdline_split cuts buf in place at spaces. A word with '=' after at
 * least one character is environment, any other word argv. */
void cmdline_split(char *buf, struct cmdline *c);
/* cmdline_getenv returns the value of the last KEY=..., or NULL. */
const char *cmdline_getenv(const struct cmdline *c, const char *key);
/* cmdline_atoi parses an optionally signed decimal int64; false on junk or overflow. */
bool cmdline_atoi(const char *s, int64_t *out);

/* Where warnings go, one line per call: the runtime's printf, or a host
 * test's capture, so the tests see the very text the console shows. */
typedef int (*cmdline_printf)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cmdline_getint is the value of key as an integer in [min, max]: absent
 * -> def; malformed or out of range -> a "warning:" line and def. */
int64_t cmdline_getint(const struct cmdline *c, const char *key, int64_t def,
                       int64_t min, int64_t max, cmdline_printf warn);

/* cmdline_getchoice is the index in names[0..n) of key's value: absent
 * -> def; any other value -> one "runtime: KEY=VALUE: want one of A, B,
 * C" line and -1 (the caller refuses to go on: a word that chooses what
 * the machine does is not guessed). */
int cmdline_getchoice(const struct cmdline *c, const char *key, const char *const *names, int n,
                      int def, cmdline_printf warn);

struct cmdline_debugvar {
	const char *name;
	int32_t *value;
};

/* cmdline_parsedebug sets vars from s, Go's GODEBUG format "name=val,
 * name=val" with vals in [0, INT32_MAX]. A setting that is malformed,
 * unknown or out of range gets a "warning:" line and leaves its variable
 * alone; empty settings (",,") are skipped. */
void cmdline_parsedebug(const char *s, const struct cmdline_debugvar *vars, size_t nvars,
                        cmdline_printf warn);

#endif
