/*
 * cmdline.h - splitting the kernel command line into argv and environment.
 * Pure logic, no runtime dependencies: the host tests build it as is.
 */
#ifndef RT_CMDLINE_H
#define RT_CMDLINE_H

#include <stdbool.h>
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

#endif
