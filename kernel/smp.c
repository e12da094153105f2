/*
 * smp.c - the machine's CPUs: found in the ACPI MADT, started with
 * INIT-SIPI-SIPI through the real-mode trampoline (trampoline.asm), woken
 * from hlt by IPI, and told to flush their TLBs or stop.
 *
 * The runtime decides what a started CPU runs (cpu_start's entry: mstart
 * for a new M); this file knows nothing of goroutines.
 */
#include "kernel.h"
#include "cpu.h"
#include "cpuselect.h"
#include "acpi.h"

#define PAGE 4096ull

struct cpuinfo cpus[MAXCPU];
int ncpus = 1;
struct acpi_info acpi;                  /* what the MADT, HPET and FADT said */

/* the parameter block at the end of the trampoline page (trampoline.asm) */
struct trampoline_params {
	uint16_t gdtr_limit;                    /* 0xf00 */
	uint32_t gdtr_base;
	uint16_t pad0;
	uint32_t prot_off;                      /* 0xf08 */
	uint16_t prot_sel;
	uint16_t pad1;
	uint32_t long_off;                      /* 0xf10 */
	uint16_t long_sel;
	uint16_t pad2;
	uint32_t cr3;                           /* 0xf18 */
	uint32_t pad3;
	uint64_t stack;                         /* 0xf20 */
	uint64_t entry;                         /* 0xf28 */
	uint64_t arg;                           /* 0xf30 */
	uint64_t pad4;
	uint64_t gdt[4];                        /* 0xf40 */
} __attribute__((packed));
_Static_assert(sizeof(struct trampoline_params) == 0x60, "trampoline parameter layout");
#define PARAMS_OFF 0xf00

extern const char trampoline_start[], trampoline_end[];
extern const uint32_t trampoline_prot32_off, trampoline_long64_off;

static uint64_t tramp_page;             /* physical, below 1 MiB */
static struct spinlock startlock;       /* one CPU starts at a time */

/* what the starting CPU does once in long mode (one start at a time) */
static struct {
	int idx;
	void (*entry)(void *);
	void *arg;
} boot;

static volatile uint32_t tlb_busy, tlb_acks;

int cpu_index(void)
{
	if (ncpus == 1)
		return 0;
	uint32_t id = lapic_id();
	for (int i = 0; i < ncpus; i++)
		if (cpus[i].apicid == id)
			return i;
	return 0;
}

static const void *acpi_map(uint64_t phys, uint64_t len, void *ctx)
{
	(void)ctx;
	if (phys + len < phys || phys + len > bootinfo->direct_map_limit)
		return 0;
	return phys_to_virt(phys);
}

static void on_tlb(struct trapframe *tf)
{
	(void)tf;
	write_cr3(read_cr3());
	__atomic_add_fetch(&tlb_acks, 1, __ATOMIC_RELEASE);
}

static void on_stop(struct trapframe *tf)
{
	(void)tf;
	for (;;) {
		cli();
		halt();
	}
}

static void on_apic_error(struct trapframe *tf)
{
	(void)tf;
	kprintf("kernel: local APIC error on CPU %d\n", cpu_index());
}

/* build_trampoline copies the trampoline below 1 MiB with page tables that
 * map it 1:1 (for the mode switch) and share the kernel's upper half. */
static bool build_trampoline(void)
{
	uint64_t code = lowmem_page(), pml4 = lowmem_page(), pdpt = lowmem_page(), pd = lowmem_page();
	if (!code || !pml4 || !pdpt || !pd) {
		kprintf("smp: no memory below 1 MiB for the AP trampoline; other CPUs stay off\n");
		return false;
	}
	char *page = phys_to_virt(code);
	__builtin_memset(page, 0, PAGE);
	__builtin_memcpy(page, trampoline_start, (size_t)(trampoline_end - trampoline_start));

	uint64_t *t4 = phys_to_virt(pml4), *t3 = phys_to_virt(pdpt), *t2 = phys_to_virt(pd);
	__builtin_memset(t4, 0, PAGE);
	__builtin_memset(t3, 0, PAGE);
	__builtin_memset(t2, 0, PAGE);
	t2[0] = 0 | 0x83;                       /* 2 MiB at 0: present, writable, large */
	t3[0] = pd | 3;
	t4[0] = pdpt | 3;                       /* the upper half: copied at each cpu_start */

	struct trampoline_params *p = (struct trampoline_params *)(page + PARAMS_OFF);
	p->gdt[0] = 0;
	p->gdt[1] = 0x00cf9a000000ffffull;      /* 32-bit code */
	p->gdt[2] = 0x00cf92000000ffffull;      /* 32-bit data */
	p->gdt[3] = 0x00af9a000000ffffull;      /* 64-bit code */
	p->gdtr_limit = sizeof p->gdt - 1;
	p->gdtr_base = (uint32_t)(code + PARAMS_OFF + offsetof(struct trampoline_params, gdt));
	p->prot_off = (uint32_t)(code + trampoline_prot32_off);
	p->prot_sel = 0x08;
	p->long_off = (uint32_t)(code + trampoline_long64_off);
	p->long_sel = 0x18;
	p->cr3 = (uint32_t)pml4;
	tramp_page = code;
	return true;
}

void smp_init(int maxcpus)
{
	set_intr_handler(TLB_VECTOR, on_tlb);
	set_intr_handler(STOP_VECTOR, on_stop);
	set_intr_handler(ERROR_VECTOR, on_apic_error);
	uint64_t lapic_phys = 0xfee00000;
	if (!bootinfo->acpi_rsdp || acpi_parse(bootinfo->acpi_rsdp, acpi_map, 0, &acpi) != 0) {
		kprintf("smp: no usable ACPI MADT; running on the boot CPU only\n");
		acpi.ncpu = 0;
	} else if (acpi.lapic_addr) {
		lapic_phys = acpi.lapic_addr;
	}
	for (int i = 0; i < acpi.nwarn; i++)
		kprintf("%s\n", acpi.warn[i]);
	lapic_init(lapic_phys);
	uint32_t self = lapic_id();
	cpus[0].apicid = self;
	cpus[0].online = 1;
	static uint32_t ids[MAXCPU];
	int capable;
	int n = cpuselect(&acpi, self, maxcpus, ids, MAXCPU, &capable);
	for (int i = 1; i < n; i++)
		cpus[i].apicid = ids[i];
	if (capable)
		kprintf("smp: %d more CPUs are online-capable but not enabled (hot-plug slots); left off\n", capable);
	ncpus = n;
	if (ncpus > 1 && !build_trampoline())
		ncpus = 1;
	/* INIT parks the other CPUs in wait-for-SIPI: the firmware may have
	 * left them spinning, which under emulation takes host CPU time the
	 * boot CPU needs. */
	for (int i = 1; i < ncpus; i++)
		lapic_ipi_init(cpus[i].apicid);
}

/* ap_main is where a started CPU arrives from the trampoline. */
static void ap_main(void *unused)
{
	(void)unused;
	vm_switch();                            /* the runtime's tables, not the trampoline's */
	gdt_init_ap();
	idt_load();
	cpu_setup();
	lapic_init_ap();
	int idx = __atomic_load_n(&boot.idx, __ATOMIC_ACQUIRE);
	if (idx < 0 || cpus[idx].apicid != lapic_id())
		machine_halt();                 /* its start timed out: not ours any more */
	void (*entry)(void *) = boot.entry;
	void *arg = boot.arg;
	__atomic_store_n(&cpus[idx].online, 1, __ATOMIC_RELEASE);
	if (!tsc_skew_answer())
		machine_halt();                 /* its TSC cannot be brought in step: left out */
	entry(arg);
	kprintf("fatal error: CPU %d's entry returned\nexit status 2\n", idx);
	machine_exit(2);
}

/*
 * init_delay_us: how long to wait between INIT and STARTUP. The MP
 * specification says 10 ms, for the external APICs of its day; CPUs with
 * an integrated APIC since Intel's family 6 and AMD's family 10h take
 * STARTUP at once (Linux waits nothing on them either), and so does a
 * hypervisor's virtual CPU. 10 ms per CPU would be most of our start-up.
 */
static uint32_t init_delay_us(void)
{
	uint32_t r[4], v[4];
	x86_cpuid(1, 0, r);
	if (r[2] & (1u << 31))
		return 0;                       /* a hypervisor's virtual CPU */
	uint32_t family = (r[0] >> 8) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	x86_cpuid(0, 0, v);
	bool intel = v[1] == 0x756e6547;        /* "Genu" */
	bool amd = v[1] == 0x68747541;          /* "Auth" */
	if ((intel && family >= 6) || (amd && family >= 0x10))
		return 0;
	return 10000;
}

/*
 * cpu_start: INIT, the delay above, STARTUP, and a second STARTUP if the
 * first was not taken (as the MP specification says), then wait for the
 * CPU to report in. A CPU that does not within a second is left out.
 */
bool cpu_start(int idx, uint64_t stack_top, void (*entry)(void *), void *arg)
{
	if (idx <= 0 || idx >= ncpus || !tramp_page)
		return false;
	uint64_t fl = spin_lock_irqsave(&startlock);
	struct trampoline_params *p = phys_to_virt(tramp_page + PARAMS_OFF);
	boot.idx = idx;
	boot.entry = entry;
	boot.arg = arg;
	/* the kernel's upper half, as it is now: the new CPU's stack may sit
	 * under a top-level entry made since the trampoline was built */
	uint64_t *t4 = phys_to_virt(p->cr3);
	const uint64_t *kpml4 = phys_to_virt(read_cr3() & 0x000ffffffffff000ull);
	for (int i = 256; i < 512; i++)
		t4[i] = kpml4[i];
	p->stack = stack_top;
	p->entry = (uint64_t)ap_main;
	p->arg = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t id = cpus[idx].apicid;
	lapic_ipi_init(id);
	tsc_delay_us(init_delay_us());
	for (int tries = 0; tries < 2 && !cpus[idx].online; tries++) {
		lapic_ipi_startup(id, (uint8_t)(tramp_page >> 12));
		for (int us = 0; us < 200000 && !__atomic_load_n(&cpus[idx].online, __ATOMIC_ACQUIRE); us += 10)
			tsc_delay_us(10);
	}
	for (int ms = 0; ms < 1000 && !__atomic_load_n(&cpus[idx].online, __ATOMIC_ACQUIRE); ms++)
		tsc_delay_us(1000);
	bool ok = __atomic_load_n(&cpus[idx].online, __ATOMIC_ACQUIRE), answered = ok;
	if (ok) {
		uint64_t err;
		cpus[idx].tsc_skew = tsc_skew_measure(&err, &ok);
		cpus[idx].tsc_skew_err = err;
	}
	if (!ok) {
		/* Park it again in wait-for-SIPI before the next start: a CPU
		 * that answered late would run the trampoline on the stack
		 * the next CPU is given. */
		lapic_ipi_init(id);
		__atomic_store_n(&boot.idx, -1, __ATOMIC_RELEASE);
		__atomic_store_n(&cpus[idx].online, 0, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&startlock, fl);
	if (!ok && answered)
		kprintf("smp: CPU %d (APIC id %u)'s TSC is %ld ticks off the boot CPU's and cannot be set in step; left out\n",
		        idx, id, (long)cpus[idx].tsc_skew);
	else if (!ok)
		kprintf("smp: CPU %d (APIC id %u) did not answer; left out\n", idx, id);
	return ok;
}

/* cpu_wake ends CPU idx's cpu_idle. The caller has set the key that CPU
 * waits on; a CPU not halted will see it before halting (the fence pairs
 * with cpu_idle's), so only a halted one costs an IPI. */
void cpu_wake(int idx)
{
	if (idx == cpu_index())
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&cpus[idx].halted, __ATOMIC_RELAXED))
		lapic_ipi(cpus[idx].apicid, WAKE_VECTOR);
}

void cpu_preempt(int idx)
{
	if (idx != cpu_index())
		lapic_ipi(cpus[idx].apicid, PREEMPT_VECTOR);
}

/* cpu_idle halts until an interrupt, unless *key is already set: the
 * check and the hlt are one step for interrupts ("sti; hlt" lets none in
 * between), so a wake-up IPI sent after the check still ends the hlt. */
void cpu_idle(volatile uint32_t *key)
{
	uint32_t *halted = &cpus[cpu_index()].halted;
	__asm__ volatile("cli" ::: "memory");
	__atomic_store_n(halted, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* pairs with cpu_wake's */
	if (__atomic_load_n(key, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(halted, 0, __ATOMIC_RELAXED);
		__asm__ volatile("sti" ::: "memory");
		return;
	}
	__asm__ volatile("sti; hlt" ::: "memory");
	__atomic_store_n(halted, 0, __ATOMIC_RELAXED);
}

static int others_online(void)
{
	int n = 0, self = cpu_index();
	for (int i = 0; i < ncpus; i++)
		if (i != self && __atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			n++;
	return n;
}

/*
 * tlb_shootdown makes every other CPU flush its TLB, and waits for them:
 * after it, no CPU can still reach a page the caller unmapped. Called with
 * interrupts on (a CPU waiting here must still answer another's request).
 */
void tlb_shootdown(void)
{
	if (others_online() == 0)
		return;
	while (__atomic_exchange_n(&tlb_busy, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	__atomic_store_n(&tlb_acks, 0, __ATOMIC_RELEASE);
	int self = cpu_index(), n = 0;
	for (int i = 0; i < ncpus; i++)
		if (i != self && __atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE)) {
			lapic_ipi(cpus[i].apicid, TLB_VECTOR);
			n++;
		}
	while (__atomic_load_n(&tlb_acks, __ATOMIC_ACQUIRE) < (uint32_t)n)
		cpu_relax();
	__atomic_store_n(&tlb_busy, 0, __ATOMIC_RELEASE);
}

void cpus_stop(void)
{
	if (ncpus == 1)
		return;
	int self = cpu_index();
	for (int i = 0; i < ncpus; i++)
		if (i != self && cpus[i].online)
			lapic_ipi(cpus[i].apicid, STOP_VECTOR);
}
