/* initorder, the second file: its inits run after a.c's (see a.c). */
#include <rt.h>

void initlog_add(const char *name);

static void first(void) { initlog_add("b.first"); }
RT_INIT(first);

static void second(void) { initlog_add("b.second"); }
RT_INIT(second);
