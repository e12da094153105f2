/*
 * hw_test.c - suite "hw": what the machine is, as "# " lines a user can
 * send (docs/real-hardware.md explains each), then checks of what the
 * runtime relies on: every CPU answers an IPI, its timer fires on time,
 * its TSC is in step with this CPU's, and the clocks agree.
 *
 * The checks ask each CPU in turn through an IPI (HWTEST_VECTOR): its
 * handler does the asked thing with interrupts off and reports. Timing
 * under emulation is noisy (a virtual CPU is descheduled whenever the
 * host likes), and noise only ever makes a timer look late, a round trip
 * long, a window's ends uncertain: each check retries and judges its best
 * try, while what is wrong for certain (a timer early or silent, a skew
 * beyond the measurement's own uncertainty) fails at once.
 */
#include "ktest.h"
#include "../../rt/runtime.h"
#include "../../rt/os.h"
#include "../../kernel/kernel.h"
#include "../../kernel/cpu.h"
#include "../../kernel/acpi.h"
#include "../../kernel/console.h"
#include "../../kernel/clockcheck.h"

extern struct acpi_info acpi;
extern uint64_t tsc_hz;

/* ---- the report ---- */

static void report_cpu(void)
{
	uint32_t r[4], v[4];
	char vendor[13], brand[49];
	x86_cpuid(0, 0, v);
	memcpy(vendor, &v[1], 4);
	memcpy(vendor + 4, &v[3], 4);
	memcpy(vendor + 8, &v[2], 4);
	vendor[12] = 0;
	x86_cpuid(1, 0, r);
	uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((r[0] >> 16) & 0xf) << 4;
	brand[0] = 0;
	x86_cpuid(0x80000000, 0, v);
	if (v[0] >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++)
			x86_cpuid(0x80000002 + i, 0, (uint32_t *)(void *)(brand + 16 * i));
		brand[48] = 0;
	}
	const char *b = brand;
	while (*b == ' ')
		b++;
	printf("# cpu: %s family 0x%x model 0x%x stepping %u \"%s\"%s\n", vendor, family, model, stepping, b,
	       (r[2] >> 31) & 1 ? " (hypervisor)" : "");
	/* MSR 0x8B: the microcode revision, high half on Intel (after a
	 * write of 0 and a CPUID), low half on AMD; P6 and K8 on have it */
	bool intel = strcmp(vendor, "GenuineIntel") == 0, amd = strcmp(vendor, "AuthenticAMD") == 0;
	if (intel || amd) {
		if (intel)
			wrmsr(0x8b, 0);
		x86_cpuid(1, 0, r);
		uint64_t rev = rdmsr(0x8b);
		printf("# microcode: 0x%lx\n", (unsigned long)(intel ? rev >> 32 : rev & 0xffffffff));
	} else {
		printf("# microcode: unknown (%s)\n", vendor);
	}
}

static void report_apic(void)
{
	printf("# apic: %s, %d CPUs, APIC ids", lapic_x2apic() ? "x2APIC" : "xAPIC", ncpus);
	for (int i = 0; i < ncpus; i++)
		printf(" %u%s", cpus[i].apicid, cpus[i].online ? "" : "(off)");
	printf("\n");
}

static void oem(const char *p, int n)
{
	for (int i = 0; i < n && p[i]; i++)
		printf("%c", p[i] >= ' ' && p[i] < 127 ? p[i] : '?');
}

/* report_acpi lists the root table's entries with their OEM ids, read
 * through the direct map, every length checked before it is used. */
static void report_acpi(void)
{
	if (!bootinfo->acpi_rsdp) {
		printf("# acpi: no RSDP\n");
		return;
	}
	const uint8_t *rsdp = phys_to_virt(bootinfo->acpi_rsdp);
	uint64_t root = 0;
	unsigned esz = 4;
	if (rsdp[15] >= 2 && *(const uint64_t *)(rsdp + 24)) {
		root = *(const uint64_t *)(rsdp + 24);
		esz = 8;
	} else {
		root = *(const uint32_t *)(rsdp + 16);
	}
	printf("# acpi: RSDP rev %u OEM \"", rsdp[15]);
	oem((const char *)rsdp + 9, 6);
	printf("\", %s", esz == 8 ? "XSDT" : "RSDT");
	const uint8_t *t = phys_to_virt(root);
	uint32_t len = *(const uint32_t *)(t + 4);
	if (len < 36 || len > 65536) {
		printf(" of length %u: not read\n", len);
		return;
	}
	uint32_t n = (len - 36) / esz;
	printf(" with %u tables:", n);
	for (uint32_t i = 0; i < n && i < 64; i++) {
		uint64_t pa = esz == 8 ? *(const uint64_t *)(t + 36 + 8 * i) : *(const uint32_t *)(t + 36 + 4 * i);
		if (!pa || pa >= bootinfo->direct_map_limit) {
			printf(" ?");
			continue;
		}
		const char *h = phys_to_virt(pa);
		printf(" ");
		oem(h, 4);
		printf("(");
		oem(h + 10, 6);
		printf(")");
	}
	printf("\n");
}

static void report_memory(void)
{
	uint64_t usable = 0, acpi_mem = 0, reserved = 0, mmio = 0;
	for (uint32_t i = 0; i < bootinfo->mmap_count; i++) {
		const struct bootinfo_mem *m = &bootinfo->mmap[i];
		uint64_t b = m->pages * 4096;
		switch (m->type) {
		case BI_MEM_CONVENTIONAL: case BI_MEM_BOOT_CODE: case BI_MEM_BOOT_DATA:
		case BI_MEM_LOADER_CODE: case BI_MEM_LOADER_DATA:
			usable += b;
			break;
		case BI_MEM_ACPI_RECLAIM: case BI_MEM_ACPI_NVS:
			acpi_mem += b;
			break;
		case BI_MEM_MMIO: case BI_MEM_MMIO_PORT:
			mmio += b;
			break;
		default:
			reserved += b;
		}
	}
	printf("# memory: %u entries (%u dropped), usable %lu MiB, ACPI %lu KiB, reserved %lu KiB, MMIO %lu KiB\n",
	       bootinfo->mmap_count, bootinfo->mmap_dropped, (unsigned long)(usable >> 20),
	       (unsigned long)(acpi_mem >> 10), (unsigned long)(reserved >> 10), (unsigned long)(mmio >> 10));
}

/* ---- consoles: what the kernel knows now; one call, easy to point elsewhere ---- */
static void report_consoles(void)
{
	printf("# consoles:");
	console_describe(printf);
	printf("\n");
}

/* ---- Secure Boot: the loader's reading of the firmware's variables ---- */
static void report_secure_boot(void)
{
	static const char *const words[] = { "unknown (no SecureBoot variable)", "off", "on", "setup mode" };
	uint32_t s = bootinfo->secure_boot;
	printf("# secure boot: %s\n", s < 4 ? words[s] : "?");
}

static void report_clocks(void)
{
	printf("# tsc: ");
	tsc_report();
	printf(", %s APIC timer\n", lapic_timer_mode());
}

static void test_report(void)
{
	report_cpu();
	report_apic();
	report_acpi();
	report_memory();
	report_clocks();
	report_consoles();
	report_secure_boot();
	KT_ASSERT(ncpus >= 1 && numcpu() >= 1);
}

/* ---- asking each CPU ---- */

enum { ASK_NONE, ASK_ACK, ASK_TIMER, ASK_SKEW };
static volatile int ask;
static volatile uint32_t answered;      /* the CPU index that answered, +1 */
static volatile uint64_t timer_deadline, timer_seen;
static uint64_t timer_ahead, timer_wait;

static void on_hwtest(struct trapframe *tf)
{
	(void)tf;
	int what = ask;
	switch (what) {
	case ASK_TIMER: {
		uint64_t d;
		timer_seen = lapic_timer_probe(lapic_timer_deadline_mode(), timer_ahead, timer_wait, &d);
		timer_deadline = d;
		break;
	}
	case ASK_SKEW:
		__atomic_store_n(&answered, (uint32_t)cpu_index() + 1, __ATOMIC_RELEASE);
		tsc_skew_answer();
		return;
	}
	__atomic_store_n(&answered, (uint32_t)cpu_index() + 1, __ATOMIC_RELEASE);
}

/* ask_cpu sends CPU i the question and waits up to a second for its answer. */
static bool ask_cpu(int i, int what)
{
	set_intr_handler(HWTEST_VECTOR, on_hwtest);
	answered = 0;
	ask = what;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_ipi(cpus[i].apicid, HWTEST_VECTOR);
	int64_t t0 = nanotime();
	while (__atomic_load_n(&answered, __ATOMIC_ACQUIRE) != (uint32_t)i + 1)
		if (nanotime() - t0 > 1000000000)
			return false;
	return true;
}

static void test_ipi_every_cpu(void)
{
	for (int i = 0; i < ncpus; i++) {
		if (!cpus[i].online)
			continue;
		bool ok = false;
		for (int k = 0; k < 3 && !ok; k++)
			ok = ask_cpu(i, ASK_ACK);
		if (!ok)
			KT_EXPECT_EQ(i, -1);    /* CPU i did not answer */
	}
}

/*
 * Each CPU's timer, in the mode the runtime chose, armed 20 ms ahead:
 * seen pending neither early (beyond 1 % and 20 us for the one-shot mode,
 * whose rate is a measurement; not at all for TSC-deadline) nor more than
 * 15 ms late, in one of up to 10 tries. One try alone proves little under
 * emulation: a virtual CPU's interrupt comes 0.1-5 ms late on a loaded
 * host, and QEMU may deliver a timer it was already expiring under the
 * test's vector (seen as early) or lose one (silent); a timer that is
 * early, silent or off by most of its rate is so every time.
 */
static void test_timer_every_cpu(void)
{
	uint64_t hz = tsc_hz, ahead = hz / 50;
	bool dl = lapic_timer_deadline_mode();
	uint64_t slack = dl ? 0 : ahead / 100 + hz / 50000, late = hz / 1000 * 15;
	timer_ahead = ahead;
	timer_wait = hz / 10;           /* 100 ms: silent beyond it */
	for (int i = 0; i < ncpus; i++) {
		if (!cpus[i].online)
			continue;
		int v = TIMER_SILENT, tries = 0;
		uint64_t best = ~0ull;
		for (; tries < 10 && v != TIMER_OK; tries++) {
			if (!ask_cpu(i, ASK_TIMER))
				continue;
			v = clock_timer_verdict(timer_deadline, timer_seen, slack, late);
			if (timer_seen && timer_seen >= timer_deadline && timer_seen - timer_deadline < best)
				best = timer_seen - timer_deadline;
		}
		printf("# timer: CPU %d %s, %s mode, %d tries, best %ld us after the deadline\n", i, clock_timer_word(v),
		       dl ? "TSC-deadline" : "one-shot", tries, best == ~0ull ? -1L : (long)(best * 1000000 / hz));
		if (v != TIMER_OK)
			KT_EXPECT_EQ(v, TIMER_OK);
	}
}

/* Each other CPU's TSC against this one's, now: within 5 us beyond what
 * the handshake can tell (the bound the boot uses, clockcheck.h). */
static void test_tsc_in_step(void)
{
	m *mp = acquirem();                     /* this CPU's TSC throughout */
	int self = cpu_index();
	uint64_t bound = tsc_hz / 200000;
	for (int i = 0; i < ncpus; i++) {
		if (i == self || !cpus[i].online)
			continue;
		if (!ask_cpu(i, ASK_SKEW)) {
			kt_fail(__FILE__, __LINE__, "CPU %d did not come to the handshake", i);
			continue;
		}
		uint64_t err;
		int64_t skew = tsc_skew_probe(&err);
		int v = clock_skew_verdict(skew, err, bound, false);
		printf("# tsc skew: CPU %d %ld ns (+-%ld ns) from CPU %d\n", i, (long)ticks_to_ns((uint64_t)(skew < 0 ? -skew : skew)) * (skew < 0 ? -1 : 1),
		       (long)ticks_to_ns(err), self);
		if (v != SKEW_OK)
			kt_fail(__FILE__, __LINE__, "CPU %d's TSC is %ld ticks off (+-%lu)", i, (long)skew, (unsigned long)err);
	}
	releasem(mp);
}

/* Each reference clock that answers against the TSC's rate in use:
 * within 0.1 % beyond the measurement's uncertainty, in the best of three
 * 50 ms windows. A clock that is absent or dead is said, not failed: the
 * runtime does not need it (the tsc: line says which it used). */
static void test_clocks_agree(void)
{
	for (int i = 0; tsc_refclock_name(i); i++) {
		uint64_t err = 0, off = ~0ull, rate = 0;
		const char *fail = NULL;
		for (int k = 0; k < 3 && off > 1000 + err; k++) {
			m *mp = acquirem();
			rate = tsc_refclock_rate(i, 50, &err, &fail);
			releasem(mp);
			if (!rate)
				break;
			off = clock_ppm(tsc_hz, rate);
		}
		if (!rate) {
			printf("# clock: %s: %s\n", tsc_refclock_name(i), fail);
			continue;
		}
		printf("# clock: %s: TSC %lu.%03lu MHz, %lu ppm from the rate in use (+-%lu)\n", tsc_refclock_name(i),
		       (unsigned long)(rate / 1000000), (unsigned long)(rate / 1000 % 1000), (unsigned long)off,
		       (unsigned long)err);
		if (off > 1000 + err)
			kt_fail(__FILE__, __LINE__, "%s disagrees with the TSC's rate by %lu ppm", tsc_refclock_name(i),
			        (unsigned long)off);
	}
}

static const struct ktest_case hw_cases[] = {
	{ test_report, "report" },
	{ test_ipi_every_cpu, "ipi_every_cpu" },
	{ test_timer_every_cpu, "timer_every_cpu" },
	{ test_tsc_in_step, "tsc_in_step" },
	{ test_clocks_agree, "clocks_agree" },
};
KTEST_SUITE(hw, hw_cases);
