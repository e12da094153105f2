/*
 * runtime.h - declarations shared inside rt/ (Go's stubs.go and friends):
 * the assembly routines, and each file's entry points other files call.
 */
#ifndef RT_RUNTIME_H
#define RT_RUNTIME_H

#include "runtime2.h"

struct trapframe;

/* Functions a user stops at in gdb, following Go's flow by name, stay
 * functions of their own even where gcc would inline them. */
#define GDBSTOP __attribute__((noinline))

/* asm_amd64.asm */
void gogo(struct gobuf *buf);
void mcall(void (*fn)(g *gp));
void systemstack(void (*fn)(void *arg), void *arg);
_Noreturn void abort(void);

/* lock.c */
void lock(struct mutex *l);
void unlock(struct mutex *l);
bool trylock(struct mutex *l);
void unlock_nopreempt(struct mutex *l);

/* proc.c */
extern bool mainStarted;
uint32_t readgstatus(g *gp);
m *acquirem(void);
void releasem(m *mp);
void preemptpark_if_requested(m *mp);
void newproc(gofunc fn, void *arg);
void mcommoninit(m *mp);
void procresize(int32_t nprocs);
void procresize_boot(int32_t nprocs);
void wakep(void);
void pollerbreak(void);
void gosched_m(g *gp);
void stopTheWorld(void);
void startTheWorld(void);
bool newm(int cpu);
m *newm_sysmon(void);
void noteclear(struct note *n);
void notewakeup(struct note *n, m *mp);
void notesleep(struct note *n);
void sysmon(int64_t now);
void schedtrace(bool detailed);
extern m *sysmonm;

/* runq.c */
void gqueue_push(struct gqueue *q, g *gp);
g *gqueue_pop(struct gqueue *q);
void globrunqput(g *gp);
g *globrunqget(p *pp, int32_t max);
void runqput(p *pp, g *gp, bool next);
g *runqget(p *pp);
g *runqget_inherit(p *pp, bool *inheritTime);
bool runqempty(p *pp);
uint32_t runqlen(p *pp);
g *runqsteal(p *pp, p *p2, bool stealRunNextG);
_Noreturn void schedule(void);
_Noreturn void mstart(void);
void schedinit(void);
void runtime_main(void *arg);
void osidle_until(uint32_t *key, int64_t when);
void gopark(bool (*unlockf)(g *gp, void *lock), void *lock, uint32_t reason);
g *newproc_system(gofunc fn, void *arg);
void goready(g *gp);
void goyield(void);
void goexit1(void);
void checkdead(void);
void forEachG(void (*fn)(g *gp, void *arg), void *arg);
int32_t allgcount(void);

/* sema.c */
void semacquire1(uint32_t *addr, bool lifo, uint32_t reason);
void semrelease1(uint32_t *addr, bool handoff);

/* time.c */
void addtimer(struct timer *t);
bool deltimer(struct timer *t);
int64_t checkTimers(p *pp, int64_t now);
int64_t earliestTimer(void);
void moveTimers(p *pp, p *from);
void wakeNetPoller(int64_t when);

/* sysmon.c, preempt.c */
void sysmon_start(void);
void timerintr(struct trapframe *tf);
void preemptintr(struct trapframe *tf);
void preempt_check(struct trapframe *tf, int32_t held);
bool asyncsafepc(uintptr_t pc);
bool wakep_nolock_wait(void);
void preemptinit(void);

/* console.c */
void consolepoll(void);
bool consolepending(void);
bool console_waiting(void);
void gopreempt_m(g *gp);
extern uint64_t npreempt_total;

/* stack.c */
enum { STACK_NOTOURS, STACK_GROWN, STACK_OVERFLOW };
void stackinit(void);
struct stack stackalloc(void);
void stacktrim(g *gp);
int stack_fault(uintptr_t addr);
uintptr_t stackmaxbytes(void);
uint64_t stackinuse(void);

/* malloc.c */
void mallocinit(void);
uint64_t heapsys(void);

/* runtime1.c */
void check(void);
void args(void);
int goargc(void);
char **goargv(void);
const char *gogetenv(const char *key);
int64_t getenv_int(const char *key, int64_t def, int64_t min, int64_t max);
int getenv_choice(const char *key, const char *const *names, int n, int def);
void parsedebugvars(void);

/* cpuflags_amd64.c */
void checkcpu(void);
void cpuinit(void);
extern bool x86HasRDRAND, x86HasXSAVE, x86HasInvariantTSC, x86HasX2APIC, x86HasTSCDeadline, x86HasAVX;

/* alg.c */
void alginit(void);
uint32_t fastrand(void);
uint32_t fastrandn(uint32_t n);

/* inittrace.c */
void inittrace_mark(const char *step);
void inittrace_decide(void);

/* panic.c, traceback.c, signal_amd64.c */
_Noreturn void fatalthrow(void);
void traceback(uintptr_t pc, uintptr_t bp, g *gp);
void traceback_ret(uintptr_t pc, uintptr_t bp, g *gp);
void traceback_trap(uintptr_t pc, uintptr_t sp, uintptr_t bp, g *gp);
void tracebackothers(g *me);
void goroutineheader(g *gp);
const char *gstatusname(g *gp);

/* tests/kernel/ktest.c: runs the suite named by test= and returns the exit status */
int ktest_main(const char *suite);

#endif
