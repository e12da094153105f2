/*
 * kernel.h - what the machine layer offers the runtime. The runtime reaches
 * it only from its OS-layer files (rt/os_baremetal.c, rt/mem_baremetal.c);
 * the kernel reaches the runtime only through the hooks registered here.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/bootinfo.h"

/* ---- boot (kmain.c) ---- */
extern struct bootinfo *bootinfo;       /* through the direct map */
void kinit(uint64_t bootinfo_phys);     /* console, descriptors, traps; called first by rt0_go */
void cpu_setup(void);                   /* control registers, on every CPU */
const char *kcmdline(void);

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP_BASE); }
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	extern uint64_t kernel_phys_base;
	if (v >= KERNEL_BASE)
		return v - KERNEL_BASE + kernel_phys_base;
	return v - DIRECT_MAP_BASE;
}

/* ---- spin locks (spinlock.c): for the machine layer's own short sections ---- */
/* A lock the page-fault path takes (fixedstack) must never be taken on a
 * demand-backed stack: a stack-growth fault while holding it would wait
 * for it forever. spin_lock_irqsave checks, and ends the machine if not. */
struct spinlock { volatile uint32_t locked; bool fixedstack; const char *name; };
uint64_t spin_lock_irqsave(struct spinlock *l);
void set_demand_stacks(uint64_t lo, uint64_t hi);   /* the runtime's, for that check */
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* ---- descriptors (desc.c) ---- */
void gdt_init(void);
void idt_init(void);

/* ---- traps (trap.c) ---- */
struct trapframe {
	/* pushed by the stubs in trapasm.asm, lowest address first */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;   /*   0 */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;      /*  64 */
	uint64_t vector, error;                          /* 120 */
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;               /* 136 */
};
enum { T_DIVIDE = 0, T_DEBUG = 1, T_NMI = 2, T_BREAKPOINT = 3, T_INVALID_OP = 6,
       T_DOUBLE_FAULT = 8, T_GPF = 13, T_PAGE_FAULT = 14 };
/* The runtime's trap handler: it decides between a Go-style panic and a
 * fatal error, and does not return for a fault. */
typedef void (*trap_hook_fn)(struct trapframe *tf);
void set_trap_hook(trap_hook_fn fn);
const char *trap_name(uint64_t vector);
void trap_report(const struct trapframe *tf);   /* vector, error, rip+symbol, cr2, registers */

/* ---- symbols (symtab.c), from the copy of kernel.elf the loader kept ---- */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
uint64_t ksym_addr(const char *name);

/* ---- physical pages (physmem.c) ---- */
void physmem_init(void);
void *page_alloc(size_t npages);                /* zeroed, contiguous, direct-map address; NULL when out */
void page_free(void *v, size_t npages);
uint64_t page_free_count(void);
uint64_t page_total_count(void);
uint64_t lowmem_page(void);                     /* a page below 1 MiB, physical; 0 when none */
const char *physmem_check(void);                /* NULL when the allocator's invariants hold */

/* ---- page tables (vm.c) ---- */
/* The runtime's dynamic regions (goroutine stacks, heap) are reserved in
 * [VM_DYNAMIC_BASE, VM_DYNAMIC_END) and backed with vm_map_page. */
#define VM_DYNAMIC_BASE 0xffffc00000000000ull
#define VM_DYNAMIC_END  0xffffe00000000000ull
void vm_init(void);
void vm_switch(void);
void vm_map_page(uint64_t va, uint64_t pa);     /* RW, NX */
uint64_t vm_unmap_page(uint64_t va);            /* returns the page's physical address, 0 if none */
bool vm_mapped(uint64_t va);
void vm_prepare_tables(uint64_t va, uint64_t len);
void *vm_map_mmio(uint64_t pa, size_t len);     /* uncached, RW, NX */
enum { VM_UC, VM_WC };                          /* vm_map_mmio_as: uncached, write-combining (PAT) */
void *vm_map_mmio_as(uint64_t pa, size_t len, int type);
uint64_t vm_pagetable_pages(void);

/* ---- PCI configuration space (pci.c) ---- */
struct acpi_info;
struct pci_addr { uint8_t bus, dev, fn; };
struct pci_dev { struct pci_addr addr; uint16_t vendor, device; uint8_t class, subclass, progif; };
void pci_init(const struct acpi_info *a);       /* the MCFG's ECAM ranges; legacy ports without */
const char *pci_access(void);
uint32_t pci_read32(struct pci_addr a, uint16_t off);
void pci_write32(struct pci_addr a, uint16_t off, uint32_t v);
int pci_find_class(uint8_t class, uint8_t subclass, struct pci_dev *out, int max);
bool pci_bar(const struct pci_dev *d, int i, uint64_t *addr, bool *io);
void *pci_map_bar(uint64_t addr, size_t len);   /* uncached */

/* ---- interrupts (trap.c, lapic.c) ---- */
#define CONSOLE_VECTOR  0xe0            /* COM1 receive (ISA IRQ 4 through the I/O APIC) */
#define TIMERTEST_VECTOR 0xee           /* the timer's self-test (lapic_timer_probe); only acknowledged */
#define TIMER_VECTOR    0xef            /* this CPU's local APIC timer */
#define WAKE_VECTOR     0xf0            /* IPI: leave hlt (the handler only acknowledges) */
#define TLB_VECTOR      0xf1            /* IPI: flush this CPU's TLB (tlb_shootdown) */
#define STOP_VECTOR     0xf2            /* IPI: the machine is stopping; halt */
#define PREEMPT_VECTOR  0xf3            /* IPI: the runtime wants the running goroutine back */
#define HWTEST_VECTOR   0xf4            /* IPI: test=hw's questions to each CPU */
#define ERROR_VECTOR    0xfe            /* local APIC error */
#define SPURIOUS_VECTOR 0xff
typedef void (*intr_handler_fn)(struct trapframe *tf);
void set_intr_handler(uint8_t vector, intr_handler_fn fn);
void lapic_init(uint64_t mmio_phys);
void lapic_init_ap(void);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_set_tpr(uint8_t tpr);
bool lapic_timer_blocked(void);
void lapic_ipi(uint32_t apicid, uint8_t vector);
void lapic_ipi_init(uint32_t apicid);
void lapic_ipi_nmi(uint32_t apicid);
void lapic_ipi_startup(uint32_t apicid, uint8_t page);
void lapic_timer_calib_start(void);
void lapic_timer_init(uint64_t tsc_hz);
void lapic_timer_arm(uint64_t deadline_tsc);    /* 0: disarm */
const char *lapic_timer_mode(void);
bool lapic_timer_deadline_mode(void);
uint64_t lapic_timer_probe(bool deadline_mode, uint64_t ahead, uint64_t wait, uint64_t *deadline);

bool ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest_apicid);

/* ---- CPUs (smp.c) ---- */
#define MAXCPU 256
struct cpuinfo {
	uint32_t apicid;
	volatile uint32_t online;       /* the CPU runs kernel code */
	uint32_t halted;                /* in cpu_idle, about to hlt or halted: cpu_wake must send an IPI */
	int64_t tsc_skew;               /* its TSC minus the boot CPU's at bring-up, ticks */
	uint64_t tsc_skew_err;          /* the measurement's uncertainty, ticks */
};
extern struct cpuinfo cpus[MAXCPU];
extern int ncpus;                       /* CPUs known from the MADT, after maxcpus */
void smp_init(int maxcpus);             /* ACPI, this CPU's APIC; sets ncpus */
int cpu_index(void);                    /* this CPU's index (0 = boot CPU) */
/* cpu_start starts CPU idx on the given stack; it calls entry(arg) with
 * interrupts off after its descriptors, APIC and page tables are set up.
 * Returns false (with a message) when it does not answer in time. */
bool cpu_start(int idx, uint64_t stack_top, void (*entry)(void *), void *arg);
void cpu_wake(int idx);                 /* WAKE_VECTOR IPI */
void cpu_preempt(int idx);              /* PREEMPT_VECTOR IPI */
uint32_t cpu_xsave_size(void);          /* XSAVE area for the enabled state, 0 without XSAVE */
void cpu_idle(volatile uint32_t *key);  /* hlt until *key != 0 or an interrupt */
void tlb_shootdown(void);               /* every other online CPU flushes its TLB */
void cpus_stop(void);                   /* the other CPUs halt (exit) */
void gdt_init_ap(void);
void idt_load(void);

/* ---- lockup watchdog (watchdog.c) ---- */
bool watchdog_start(uint64_t tsc_hz);   /* every CPU up; false: one CPU, no watchdog */
void watchdog_stop(void);               /* a crash is printing, or the machine stops */
void watchdog_tick(void);               /* each timer interrupt */
uint64_t watchdog_deadline(uint64_t deadline);  /* a timer deadline (TSC), bounded */
void watchdog_rearm(void);              /* end of an interrupt: keep this CPU's timer armed */
enum { WD_NOT_OURS, WD_RESUME, WD_STUCK };
int watchdog_probe(bool intr_on);       /* an NMI came: the watchdog's probe? (trap.c) */
bool watchdog_nmi(void);                /* this CPU is being reported stuck (the runtime's NMI hook) */
void watchdog_resync(void);             /* every CPU was held on purpose (the NMI report): start afresh */

/* ---- TSC (tsc.c) ---- */
uint64_t tsc_calibrate(const char *force);      /* Hz, never 0: a guess when no clock answered (tsc_report) */
uint64_t tsc_calibrate_finish(void);            /* Hz, over a longer window (see tsc.c) */
bool tsc_skew_answer(void);             /* on a new CPU: answer the boot CPU's handshake; false: leave */
int64_t tsc_skew_measure(uint64_t *err, bool *ok);      /* on the boot CPU: the new CPU's TSC minus ours */
int64_t tsc_skew_probe(uint64_t *err);  /* the same, later, with a CPU sent to tsc_skew_answer */
const char *tsc_source(void);
void tsc_report(void);                  /* "2995.1 MHz from HPET (PIT: no ticks)", no newline */
bool tsc_report_notable(void);          /* it says more than the usual */
const char *tsc_refclock_name(int i);   /* 0 HPET, 1 ACPI PM timer, 2 PIT; NULL past them */
uint64_t tsc_refclock_rate(int i, uint64_t ms, uint64_t *err_ppm, const char **fail);
void tsc_delay_us(uint64_t us);

/* ---- cpu (power.c) ---- */
bool cpu_under_qemu(void);

/* ---- power (power.c) ---- */
_Noreturn void machine_exit(int code);           /* after the runtime printed "exit status N" */
_Noreturn void machine_halt(void);
enum { ONEXIT_DEFAULT, ONEXIT_HALT, ONEXIT_POWEROFF, ONEXIT_REBOOT };
void machine_onexit(int how, bool acpi_poweroff);       /* the command line's onexit= and poweroff= */
bool machine_exiting(void);                     /* a CPU is in machine_exit: the run is over */

/* ---- the PC keyboard controller (i8042.c), for the halted machine's keys ---- */
bool i8042_enable(uint8_t vector);              /* IRQ 1 to vector on this CPU; false: none */
int i8042_key(void);                            /* 'p', 'r', 0 another key, -1 none waiting */

/* ---- output for the kernel's own messages (kprintf.c uses the runtime's
 *      formatter through this hook, which the runtime registers) ---- */
typedef int (*print_hook_fn)(const char *fmt, __builtin_va_list ap);
void set_print_hook(print_hook_fn fn);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
