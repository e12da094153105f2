/*
 * rt.h - the program-facing API of the runtime. A program includes this,
 * defines void main_main(void), and is linked with the runtime into
 * kernel.elf (make run APP=prog.c). The contract is ../shared/API.md and
 * docs/api.md; names and semantics follow Go's runtime, sync and time
 * packages. Every type's zero value is ready to use.
 */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "string.h"

/* ---- program ---- */
void main_main(void);                       /* defined by the program */

/* RT_INIT(fn) registers void fn(void) to run before main_main, in link
 * order, on the main goroutine (Go's package init). */
typedef void (*rt_initfn)(void);
/* no_reorder: GCC emits a file's static objects in any order it likes
 * (at -O2, reversed); this keeps a file's registrations in source order. */
#if defined(__GNUC__) && !defined(__clang__)
#define RT_INIT_ORDERED no_reorder,
#else
#define RT_INIT_ORDERED
#endif
#define RT_INIT(fn) \
	static const rt_initfn rt_init_##fn __attribute__((RT_INIT_ORDERED used, section(".rt_init"), aligned(8))) = (fn)

_Noreturn void exit(int code);              /* whole machine: last console line "exit status N" */

/* ---- goroutines (package runtime) ---- */
typedef void (*gofunc)(void *arg);
void    go(gofunc fn, void *arg);           /* the go statement; fn == NULL throws "go of nil func value" */
void    gosched(void);                      /* runtime.Gosched */
_Noreturn void goexit(void);                /* runtime.Goexit */
int64_t goid(void);                         /* current goroutine's id; main is 1 */
int     gomaxprocs(int n);                  /* runtime.GOMAXPROCS: n < 1 only queries; returns the previous value */
int     numcpu(void);                       /* runtime.NumCPU: CPUs brought up */
int     numgoroutine(void);                 /* runtime.NumGoroutine */
int     cpuid(void);                        /* index of the CPU running the caller (0 = boot CPU) */

/* ---- command line (package os) ---- */
/* The kernel command line's words that are not KEY=VALUE, as Go's
 * os.Args: goargv()[0] is "kernel.elf", goargv()[goargc()] is NULL. */
int     goargc(void);
char  **goargv(void);
const char *gogetenv(const char *key);      /* os.Getenv: a KEY=VALUE word's value, or NULL */

/* ---- time ---- */
int64_t nanotime(void);                     /* monotonic ns since boot */
void    sleep_ns(int64_t ns);               /* time.Sleep; ns <= 0 returns at once */

/* ---- channels ---- */
typedef struct hchan chan_t;
chan_t *chan_make(size_t elemsize, size_t cap);
void    chan_send(chan_t *c, const void *elem);
bool    chan_recv(chan_t *c, void *elem);
bool    chan_trysend(chan_t *c, const void *elem);
bool    chan_tryrecv(chan_t *c, void *elem, bool *ok);
void    chan_close(chan_t *c);
int     chan_len(chan_t *c);
int     chan_cap(chan_t *c);

enum { SELECT_SEND = 1, SELECT_RECV = 2 };
typedef struct {
	chan_t *c;      /* NULL: this case is never ready */
	int     dir;    /* SELECT_SEND or SELECT_RECV */
	void   *elem;   /* value to send, or where to receive (may be NULL) */
	bool    ok;     /* out, for SELECT_RECV: false if the channel was closed */
} select_case;
int chan_select(select_case *cases, int n, bool block);

/* ---- sync ---- */
typedef struct { int32_t state; uint32_t sema; } mutex_t;         /* Go's sync.Mutex */
void mutex_lock(mutex_t *m);
void mutex_unlock(mutex_t *m);
bool mutex_trylock(mutex_t *m);
typedef struct { uint64_t state; uint32_t sema; } waitgroup_t;    /* counter<<32 | waiters */
void wg_add(waitgroup_t *wg, int delta);
void wg_done(waitgroup_t *wg);
void wg_wait(waitgroup_t *wg);
typedef struct { uint32_t done; mutex_t m; } once_t;
void once_do(once_t *o, void (*fn)(void));

/* ---- memory ---- */
void *malloc(size_t n);                     /* never returns NULL: out of memory throws */
void *calloc(size_t n, size_t size);        /* overflow of n*size panics */
void *realloc(void *p, size_t n);
void  free(void *p);                        /* free of a pointer malloc did not return throws */

/* memory statistics (Go's runtime.ReadMemStats), in bytes unless named n* */
typedef struct {
	uint64_t heap_inuse;        /* heap spans holding objects */
	uint64_t heap_idle;         /* free heap spans, backed or not */
	uint64_t heap_released;     /* of heap_idle, given back to the machine */
	uint64_t heap_sys;          /* heap address space handed to spans so far */
	uint64_t stack_inuse;       /* goroutine stack pages backed */
	uint64_t pagetables;        /* page-table pages */
	uint64_t phys_free;         /* machine memory not in use */
	uint64_t phys_total;        /* machine memory the runtime manages */
	uint64_t nmalloc, nfree;    /* objects allocated and freed, small and large */
	uint64_t nsweep;            /* empty spans bgsweep returned to the heap */
} memstats_t;
void read_memstats(memstats_t *ms);

/* ---- console and failure ---- */
/* console_read blocks until the serial console (COM1) has received at
 * least one byte, then returns up to n bytes (no line editing, no echo).
 * One goroutine at a time may read. */
int console_read(char *buf, int n);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void throw(const char *msg);

#endif
