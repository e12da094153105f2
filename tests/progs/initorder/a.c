/*
 * initorder: the order of RT_INIT functions, as Go's package init order:
 * files in link order (a.c, then b.c: the build links a program's files
 * in the order of their names), and within a file in the order they are
 * declared. Each of the four init functions (two here, two in b.c)
 * appends its name to a log; main_main prints the log and checks it.
 *
 * Output: "initorder: a.first a.second b.first b.second" and
 * "initorder: ok" (exit status 0), or "initorder: FAIL ..." (exit 1).
 */
#include <rt.h>

static char initlog[128];
static int ninits;

/* initlog_add appends name to the log (b.c's inits call it too). */
void initlog_add(const char *name);
void initlog_add(const char *name)
{
	size_t n = strlen(initlog);
	snprintf(initlog + n, sizeof initlog - n, "%s%s", n ? " " : "", name);
	ninits++;
}

static void first(void) { initlog_add("a.first"); }
RT_INIT(first);

static void second(void) { initlog_add("a.second"); }
RT_INIT(second);

void main_main(void)
{
	static const char want[] = "a.first a.second b.first b.second";
	printf("initorder: %s\n", initlog);
	if (ninits != 4 || strcmp(initlog, want) != 0) {
		printf("initorder: FAIL %d inits, want the order %s\n", ninits, want);
		exit(1);
	}
	printf("initorder: ok\n");
}
