/*
 * os.h - what the runtime needs from its OS layer (os_baremetal.c,
 * mem_baremetal.c), as Go's shared files name what they need from
 * os_linux.go. Nothing else in rt/ includes a kernel/ header.
 */
#ifndef RT_OS_H
#define RT_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trapframe;

extern int32_t ncpu;
extern int32_t physPageSize;
extern uint64_t tsc_hz;

void settls(uintptr_t *tls);
void osearlyinit(uint64_t bootinfo_phys);
void osinit(void);
void osclockfinish(void);            /* the clock's calibration, ended (schedinit) */
const char *getcmdline(void);
void write_console(const char *s, size_t n);
uint64_t cputicks(void);
uint64_t rt0_ticks(void);
int64_t ticks_to_ns(uint64_t ticks);
_Noreturn void exitmachine(int code);
_Noreturn void osyield_halt(void);
/* mem_baremetal.c */
void *sysReserve(size_t n);
bool sysMap(void *v, size_t n);
size_t sysUnused(void *v, size_t n);    /* pages given back */
void *sysAlloc(size_t n);
void sysMapTables(void *v, size_t n);
bool sysMapped(void *v);
void sysDemandStacks(void *lo, void *hi);   /* tell the machine where stacks grow by fault */
uint64_t physPagesFree(void);
uint64_t physPagesTotal(void);
uint64_t pagetablebytes(void);
const char *funcname(uintptr_t pc, uintptr_t *off);
void print_trap_report(struct trapframe *tf);
uint64_t faultaddr(void);

/* CPUs: each M is a CPU (Go's newosproc, futexsleep, futexwakeup) */
struct m;
bool newosproc(struct m *mp);
void osidle(uint32_t *key);             /* halt until *key != 0 or an interrupt */
void oswakeup(int cpu);                 /* IPI: end that CPU's osidle */
void osenableintr(void);
void ostimer_rearm(struct m *mp);       /* this CPU's timer: min(idle deadline, sysmon) */
void ospreempt(int cpu);                /* PREEMPT_VECTOR IPI */
const char *ostimermode(void);
const char *osclocksource(void);
void checktscskew(void);
bool osconsole_enable(void (*hook)(void));
size_t osconsole_read(char *buf, size_t n);
uint32_t osxsavesize(void);             /* bytes of XSAVE state, 0: FXSAVE only */
extern int64_t sysmon_next;

/* the lockup watchdog (kernel/watchdog.c) */
bool oswatchdogstart(void);             /* every CPU is up; false: one CPU, none */
void oswatchdogstop(void);              /* a crash is printing */
bool oswatchdognmi(void);               /* this NMI is the watchdog's: this CPU is stuck */
void oswatchdogresync(void);            /* after the NMI report held every CPU */

/* the CPUs, for the NMI report */
int oscpuindex(void);
int oscpucount(void);                   /* CPUs known, online or not */
bool oscpuonline(int cpu);
void osnmicpu(int cpu);                 /* an NMI to that CPU */
int osconsoleowner(void);               /* the CPU in the middle of a console write, -1 none */
bool osexiting(void);                   /* the machine is ending: NMIs are no longer reported */

/* the trap hook (signal_amd64.c): Go's sighandler */
void sigtrap(struct trapframe *tf);

#endif
