/*
 * boot_test.c - suite "boot": what the boot chain handed over and what the
 * startup flow built: boot info, command-line parsing, symbols, the
 * scheduler's basics on one CPU (goids, run queues, G reuse).
 */
#include "ktest.h"
#include "../../rt/runtime.h"
#include "../../rt/cmdline.h"
#include "../../rt/os.h"
#include "../../kernel/kernel.h"

static void test_bootinfo(void)
{
	KT_EXPECT_EQ(bootinfo->magic, BOOTINFO_MAGIC);
	KT_EXPECT_EQ(bootinfo->version, BOOTINFO_VERSION);
	KT_ASSERT(bootinfo->mmap_count > 0);
	uint64_t conv = 0;
	for (uint32_t i = 0; i < bootinfo->mmap_count; i++)
		if (bootinfo->mmap[i].type == BI_MEM_CONVENTIONAL)
			conv += bootinfo->mmap[i].pages;
	KT_ASSERT(conv * 4096 >= 16ull << 20);      /* QEMU gives at least 128 MiB */
	KT_ASSERT(bootinfo->kernel_phys % 4096 == 0);
	KT_ASSERT(bootinfo->cmdline_source == 2);   /* the harness writes CMDLINE.TXT */
}

static void test_rsdp(void)
{
	KT_ASSERT(bootinfo->acpi_rsdp != 0);
	const unsigned char *r = phys_to_virt(bootinfo->acpi_rsdp);
	KT_ASSERT(memcmp(r, "RSD PTR ", 8) == 0);
	unsigned sum = 0;
	for (int i = 0; i < 20; i++)
		sum += r[i];
	KT_EXPECT_EQ(sum & 0xff, 0);
}

static void test_kernel_mapping(void)
{
	/* the -2 GiB image and the direct map show the same bytes */
	extern char __text_start[];
	const char *direct = phys_to_virt(virt_to_phys(__text_start));
	KT_ASSERT(memcmp(direct, __text_start, 64) == 0);
	KT_ASSERT((uint64_t)__text_start >= KERNEL_BASE);
}

/* the kernel runs 4-level tables whatever mode the firmware used; the
 * loader says which it found (loadertest=la57 pretends 5-level) */
static void test_paging(void)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	KT_EXPECT_EQ(cr4 & (1ull << 12), 0);
	KT_ASSERT(bootinfo->paging_levels == 4 || bootinfo->paging_levels == 5);
	static const char word[] = "loadertest=la57";
	int test = 0;
	for (const char *c = bootinfo->cmdline; *c && !test; c++)
		test = memcmp(c, word, sizeof word - 1) == 0;
	KT_EXPECT_EQ(bootinfo->paging_levels, test ? 5u : 4u);
}

static void test_symbols(void)
{
	uintptr_t off = 99;
	const char *name = funcname((uintptr_t)runtime_main + 3, &off);
	KT_ASSERT(name != NULL);
	KT_EXPECT_STR(name, "runtime_main");
	KT_EXPECT_EQ(off, 3);
	KT_EXPECT_EQ(ksym_addr("schedinit"), (uint64_t)schedinit);
}

static void test_cmdline_split(void)
{
	char buf[] = "  GOMAXPROCS=2 foo\tGODEBUG=inittrace=1,x=2  bar =baz  ";
	struct cmdline c;
	cmdline_split(buf, &c);
	KT_EXPECT_EQ(c.argc, 4);
	KT_EXPECT_STR(c.argv[0], "kernel.elf");
	KT_EXPECT_STR(c.argv[1], "foo");
	KT_EXPECT_STR(c.argv[2], "bar");
	KT_EXPECT_STR(c.argv[3], "=baz");   /* no key: an argument, not environment */
	KT_ASSERT(c.argv[4] == NULL);
	KT_EXPECT_EQ(c.envc, 2);
	KT_EXPECT_STR(cmdline_getenv(&c, "GODEBUG"), "inittrace=1,x=2");
	KT_EXPECT_STR(cmdline_getenv(&c, "GOMAXPROCS"), "2");
	KT_ASSERT(cmdline_getenv(&c, "GOMAX") == NULL);
}

static void test_cmdline_atoi(void)
{
	int64_t v = 0;
	KT_ASSERT(cmdline_atoi("0", &v) && v == 0);
	KT_ASSERT(cmdline_atoi("-42", &v) && v == -42);
	KT_ASSERT(cmdline_atoi("9223372036854775807", &v) && v == INT64_MAX);
	KT_ASSERT(cmdline_atoi("-9223372036854775808", &v) && v == INT64_MIN);
	KT_ASSERT(!cmdline_atoi("9223372036854775808", &v));
	KT_ASSERT(!cmdline_atoi("abc", &v));
	KT_ASSERT(!cmdline_atoi("", &v));
	KT_ASSERT(!cmdline_atoi("-", &v));
	KT_ASSERT(!cmdline_atoi("12x", &v));
}

static void test_check(void)
{
	check();        /* throws on failure, which the harness sees as a crash */
	KT_ASSERT(sizeof(struct gobuf) == 80);
}

static int inits_ran;
static void boot_test_init(void) { inits_ran++; }
RT_INIT(boot_test_init);

static void test_rt_init(void)
{
	KT_EXPECT_EQ(inits_ran, 1);
}

static void test_main_goid(void)
{
	KT_EXPECT_EQ(goid(), 1);
	KT_ASSERT(numcpu() >= 1);
	KT_ASSERT(cpuid() >= 0 && cpuid() < numcpu());
}

static volatile int ran[600];
static volatile int64_t ids[600];

static void worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	ids[i] = goid();
	ran[i]++;
}

static void waitall(int n)
{
	for (int spins = 0; spins < 100000; spins++) {
		int done = 0;
		for (int i = 0; i < n; i++)
			done += ran[i];
		if (done == n)
			return;
		gosched();
	}
}

static void test_goroutines_run(void)
{
	memset((void *)ran, 0, sizeof ran);
	for (int i = 0; i < 100; i++)
		go(worker, (void *)(intptr_t)i);
	waitall(100);
	for (int i = 0; i < 100; i++)
		KT_EXPECT_EQ(ran[i], 1);
	/* goids are unique and, from one P, consecutive (batches of 16) */
	for (int i = 1; i < 100; i++)
		KT_EXPECT_EQ(ids[i], ids[i - 1] + 1);
}

static void test_runq_overflow(void)
{
	/* 600 > 256: the local queue spills half to the global queue */
	memset((void *)ran, 0, sizeof ran);
	for (int i = 0; i < 600; i++)
		go(worker, (void *)(intptr_t)i);
	waitall(600);
	for (int i = 0; i < 600; i++)
		KT_EXPECT_EQ(ran[i], 1);
}

static void test_g_reuse(void)
{
	memset((void *)ran, 0, sizeof ran);
	go(worker, 0);
	waitall(1);
	int32_t before = allgcount();
	memset((void *)ran, 0, sizeof ran);
	for (int i = 0; i < 50; i++)
		go(worker, (void *)(intptr_t)i);
	waitall(50);
	KT_EXPECT_EQ(allgcount(), before);  /* dead Gs were reused, none made */
}

static volatile int release_waiter;
static void waiter(void *arg)
{
	(void)arg;
	while (!release_waiter)
		gosched();
	ran[0] = 1;
}

static void test_numgoroutine(void)
{
	KT_EXPECT_EQ(numgoroutine(), 1);
	memset((void *)ran, 0, sizeof ran);
	release_waiter = 0;
	go(waiter, 0);
	KT_EXPECT_EQ(numgoroutine(), 2);    /* it cannot finish before we let it */
	release_waiter = 1;
	waitall(1);
	for (int i = 0; i < 1000 && numgoroutine() > 1; i++)
		gosched();              /* it may still be on its way out */
	KT_EXPECT_EQ(numgoroutine(), 1);
}

static int order[8], norder;
static void orderworker(void *arg) { order[norder++] = (int)(intptr_t)arg; }

static void test_runnext(void)
{
	/* a new G goes to runnext, kicking the previous one to the queue's tail:
	 * after go(1), go(2), go(3) the run order is 3, 1, 2 */
	norder = 0;
	go(orderworker, (void *)1);
	go(orderworker, (void *)2);
	go(orderworker, (void *)3);
	for (int i = 0; i < 10 && norder < 3; i++)
		gosched();
	KT_EXPECT_EQ(norder, 3);
	KT_EXPECT_EQ(order[0], 3);
	KT_EXPECT_EQ(order[1], 1);
	KT_EXPECT_EQ(order[2], 2);
}

static void test_gomaxprocs(void)
{
	int prev = gomaxprocs(0);
	KT_EXPECT_EQ(prev, numcpu());       /* the default: every CPU */
	KT_EXPECT_EQ(gomaxprocs(3), prev);
	KT_EXPECT_EQ(gomaxprocs(0), 3);
	KT_EXPECT_EQ(gomaxprocs(prev), 3);
	memset((void *)ran, 0, sizeof ran);
	go(worker, 0);
	waitall(1);
	KT_EXPECT_EQ(ran[0], 1);
}

static void test_nanotime(void)
{
	int64_t a = nanotime();
	int64_t b = nanotime();
	KT_ASSERT(a > 0);
	KT_ASSERT(b >= a);
}

static void test_malloc(void)
{
	char *p = malloc(10), *q = malloc(3000);
	KT_ASSERT(p && q && p != q);
	for (int i = 0; i < 10; i++)
		KT_EXPECT_EQ(p[i], 0);
	memset(p, 'x', 10);
	memset(q, 'y', 3000);
	char *r = realloc(p, 100);
	KT_EXPECT_EQ(r[9], 'x');
	free(r);
	free(q);
	char *s = calloc(4, 8);
	KT_EXPECT_EQ(s[31], 0);
	free(s);
}

/* Some cases check one P's own behaviour (its runnext, its free list):
 * they run with GOMAXPROCS=1, so no other P takes part. */
static void one_p(void (*fn)(void))
{
	int procs = gomaxprocs(1);
	fn();
	gomaxprocs(procs);
}
static void test_g_reuse_1p(void) { one_p(test_g_reuse); }
static void test_goroutines_run_1p(void) { one_p(test_goroutines_run); }
static void test_runnext_1p(void) { one_p(test_runnext); }

static const struct ktest_case boot_cases[] = {
	{test_bootinfo, "bootinfo"},
	{test_rsdp, "acpi_rsdp"},
	{test_kernel_mapping, "kernel_mapping"},
	{test_paging, "paging"},
	{test_symbols, "symbols"},
	{test_cmdline_split, "cmdline_split"},
	{test_cmdline_atoi, "cmdline_atoi"},
	{test_check, "check"},
	{test_rt_init, "rt_init"},
	{test_main_goid, "main_goid"},
	{test_goroutines_run_1p, "goroutines_run"},
	{test_runq_overflow, "runq_overflow"},
	{test_g_reuse_1p, "g_reuse"},
	{test_numgoroutine, "numgoroutine"},
	{test_runnext_1p, "runnext"},
	{test_gomaxprocs, "gomaxprocs"},
	{test_nanotime, "nanotime"},
	{test_malloc, "malloc"},
};
KTEST_SUITE(boot, boot_cases);
