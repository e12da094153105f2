/*
 * serial.c - the serial consoles: 16550-compatible UARTs, polled for
 * output (safe from any context, traps included), the first one also read
 * by interrupt for console input.
 *
 * Which UARTs, in order (console_probe, once the page tables are ours):
 *   1. the console the firmware names in the ACPI SPCR table, I/O port or
 *      MMIO, at its baud rate (16550-compatible interface types only);
 *   2. PCI serial controllers (class 07, subclass 00, a 16550-compatible
 *      programming interface), BAR 0 in I/O or memory space;
 *   3. only when neither found one: COM1-COM4 (0x3f8, 0x2f8, 0x3e8, 0x2e8)
 *      that keep a value in the scratch register and pass a loopback test.
 * Each gets every byte of output; the first is the input console. Until
 * then (serial_init, the first thing kinit does) COM1 speaks if it is
 * there, and what was said is kept so that consoles found later get it
 * too: a PCI-only machine's log starts at its first line.
 */
#include "console.h"
#include "cpu.h"
#include "kernel.h"
#include "acpi.h"

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, IIR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };
#define LSR_DR   0x01   /* data ready */
#define LSR_THRE 0x20   /* transmit holding register empty */
#define MCR_LOOP 0x10   /* loopback: MCR's outputs come back as MSR's inputs */
#define UART_CLOCK_DIV 115200u  /* the 1.8432 MHz clock / 16 */

struct uart {
	const char *name;       /* "COM2", "pci-serial", "SPCR" */
	bool pci, spcr;         /* found as a PCI function (at pciaddr), named by the SPCR */
	struct pci_addr pciaddr;
	uint16_t port;          /* I/O base, or 0 with mmio */
	volatile uint8_t *mmio;
	uint64_t phys;          /* mmio's physical address */
	uint8_t stride;         /* bytes between registers: 1 or 4 (then 32-bit accesses) */
	uint32_t baud;          /* 0: left as the firmware set it */
	int isa_irq;            /* receive interrupt, ISA numbering; -1: none known */
	int fifo;               /* bytes the transmitter takes at once */
	bool stuck;             /* the transmitter never drained: given up */
};

#define MAXUART 4
static struct uart uarts[MAXUART];
static int nuart;

static uint8_t rd(const struct uart *u, int reg)
{
	if (!u->mmio)
		return inb((uint16_t)(u->port + reg));
	if (u->stride == 4)
		return (uint8_t)*(volatile uint32_t *)(u->mmio + 4 * reg);
	return u->mmio[reg];
}

static void wr(const struct uart *u, int reg, uint8_t v)
{
	if (!u->mmio)
		outb((uint16_t)(u->port + reg), v);
	else if (u->stride == 4)
		*(volatile uint32_t *)(u->mmio + 4 * reg) = v;
	else
		u->mmio[reg] = v;
}

/* present: a floating bus reads 0xff and keeps nothing, so the scratch
 * register must hold two patterns, and in loopback the modem-status bits
 * must follow what is written to MCR. */
static bool present(const struct uart *u)
{
	for (int i = 0; i < 2; i++) {
		uint8_t v = i ? 0xa5 : 0x5a;
		wr(u, SCR, v);
		if (rd(u, SCR) != v)
			return false;
	}
	uint8_t mcr = rd(u, MCR);
	wr(u, MCR, MCR_LOOP | 0x0a);            /* loopback, RTS and OUT2 */
	uint8_t msr = rd(u, MSR) & 0xf0;
	wr(u, MCR, MCR_LOOP | 0x05);            /* loopback, DTR and OUT1 */
	uint8_t msr2 = rd(u, MSR) & 0xf0;
	wr(u, MCR, mcr);
	return msr == 0x90 && msr2 == 0x60;     /* RTS->CTS, OUT2->DCD; DTR->DSR, OUT1->RI */
}

/* setup: 8N1 at u->baud (unchanged when 0), FIFOs on, interrupts off. */
static void setup(struct uart *u)
{
	wr(u, IER, 0x00);
	if (u->baud) {
		uint32_t div = UART_CLOCK_DIV / u->baud;
		if (div == 0)
			div = 1;
		wr(u, LCR, 0x80);       /* DLAB: divisor follows */
		wr(u, DLL, (uint8_t)div);
		wr(u, DLM, (uint8_t)(div >> 8));
	}
	wr(u, LCR, 0x03);               /* 8 bits, no parity, 1 stop */
	wr(u, FCR, 0xc7);               /* FIFOs on, cleared, 14-byte threshold */
	wr(u, MCR, 0x03);               /* DTR, RTS */
	u->fifo = (rd(u, IIR) & 0xc0) == 0xc0 ? 16 : 1;
}

static const char *const com_names[4] = { "COM1", "COM2", "COM3", "COM4" };
static const uint16_t com_ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

/* ---- what was said before console_probe ---- */

#define EARLYLOG 8192
static char earlylog[EARLYLOG];
static size_t earlylen;
static bool probed;

void serial_init(void)
{
	struct uart *u = &uarts[0];
	*u = (struct uart){ .name = com_names[0], .port = 0x3f8, .stride = 1, .baud = 115200, .isa_irq = 4 };
	if (!present(u))
		return;
	setup(u);
	nuart = 1;
}

/* ---- output ---- */

/* put sends one byte: a wait for room, bounded (a wedged UART must not
 * hang the machine; one that never drains is given up), then up to a
 * FIFO's worth without looking again. */
static void put(struct uart *u, char c, int *room)
{
	if (*room == 0) {
		int i;
		for (i = 0; i < 100000 && !(rd(u, LSR) & LSR_THRE); i++)
			cpu_relax();
		if (i == 100000) {
			u->stuck = true;
			return;
		}
		*room = u->fifo;
	}
	wr(u, THR, (uint8_t)c);
	(*room)--;
}

int serial_count(void) { return nuart; }

/* serial_remember keeps output until console_probe, for the consoles it
 * finds (console.c calls it with every write). */
void serial_remember(const char *s, size_t n)
{
	for (size_t k = 0; !probed && k < n && earlylen < EARLYLOG; k++)
		earlylog[earlylen++] = s[k];
}

/* serial_write sends s to UART i, '\n' as "\r\n" so terminals and logs
 * read alike. */
void serial_write(int i, const char *s, size_t n)
{
	if (i < 0 || i >= nuart || uarts[i].stuck)
		return;
	struct uart *u = &uarts[i];
	int room = 0;
	for (size_t k = 0; k < n && !u->stuck; k++) {
		if (s[k] == '\n')
			put(u, '\r', &room);
		put(u, s[k], &room);
	}
}

/* ---- finding the consoles ---- */

static bool add(const struct uart *u)
{
	if (nuart >= MAXUART)
		return false;
	for (int i = 0; i < nuart; i++)
		if (uarts[i].port == u->port && uarts[i].mmio == u->mmio)
			return false;   /* the SPCR's UART found again */
	uarts[nuart] = *u;
	setup(&uarts[nuart]);
	nuart++;
	return true;
}

static void from_spcr(const struct acpi_spcr *s)
{
	if (!s->present)
		return;
	if (!s->compat16550) {
		const char *t = acpi_spcr_type_name(s->iface);
		if (t)
			kprintf("console: SPCR names a %s UART, not 16550-compatible: skipped\n", t);
		else
			kprintf("console: SPCR names a UART of interface type %#x: skipped\n", s->iface);
		return;
	}
	struct uart u = { .stride = s->reg_width, .baud = s->baud, .isa_irq = s->isa_irq };
	if (u.isa_irq < 0 && s->has_gsi && s->gsi < 16)
		u.isa_irq = (int)s->gsi;        /* an ISA interrupt given as its GSI */
	u.name = "SPCR";
	u.spcr = true;
	if (s->space == 1) {
		u.port = (uint16_t)s->addr;
		for (int i = 0; i < 4; i++)
			if (u.port == com_ports[i])
				u.name = com_names[i];
	} else if (!(u.mmio = vm_map_mmio(s->addr, 4096))) {
		return;
	}
	u.phys = s->addr;
	if (!present(&u)) {
		kprintf("console: the SPCR's UART at %s %#lx does not answer: skipped\n",
			u.port ? "port" : "mmio", s->addr);
		return;
	}
	add(&u);
}

static void from_pci(void)
{
	struct pci_dev d[MAXUART];
	int n = pci_find_class(0x07, 0x00, d, MAXUART);
	for (int i = 0; i < n && i < MAXUART; i++) {
		if (d[i].progif < 1 || d[i].progif > 6)
			continue;       /* 8250 or unknown: no FIFO we can count on */
		uint64_t addr;
		bool io;
		if (!pci_bar(&d[i], 0, &addr, &io))
			continue;
		struct uart u = { .name = "pci-serial", .pci = true, .pciaddr = d[i].addr, .phys = addr,
				  .stride = 1, .baud = 115200, .isa_irq = -1 };
		if (io) {
			if (addr > 0xfff8)
				continue;
			u.port = (uint16_t)addr;
		} else if (!(u.mmio = pci_map_bar(addr, 4096))) {
			continue;
		}
		/* the interrupt line the firmware routed for the 8259: reaches
		 * the I/O APIC's pin of the same number on PC chipsets */
		uint8_t line = (uint8_t)pci_read32(d[i].addr, 0x3c);
		if (line >= 1 && line < 16)
			u.isa_irq = line;
		if (present(&u))
			add(&u);
	}
}

static void from_isa(void)
{
	for (int i = 0; i < 4; i++) {
		struct uart u = { .name = com_names[i], .port = com_ports[i], .stride = 1,
				  .baud = 115200, .isa_irq = i % 2 ? 3 : 4 };
		if (present(&u))
			add(&u);
	}
}

static const void *acpi_direct(uint64_t phys, uint64_t len, void *ctx)
{
	(void)ctx;
	if (phys + len < phys || phys + len > bootinfo->direct_map_limit)
		return 0;
	return phys_to_virt(phys);
}

static struct acpi_info acpi_tables;    /* SPCR and MCFG; smp.c walks them again for the rest */

/* console_probe finds every serial console (see the top of the file),
 * gives the new ones what was printed so far, moves the framebuffer to a
 * write-combining mapping and says what it found in one line. Needs our
 * page tables (vm_init) for MMIO. */
void console_probe(void)
{
	struct acpi_info *a = &acpi_tables;
	if (bootinfo->acpi_rsdp)
		acpi_parse(bootinfo->acpi_rsdp, acpi_direct, 0, a);     /* warnings: smp_init prints them */
	pci_init(a);

	/* COM1, if it spoke so far, missed only what is said while probing */
	size_t com1_has = nuart == 1 ? earlylen : 0;
	nuart = 0;
	from_spcr(&a->spcr);
	from_pci();
	if (nuart == 0)
		from_isa();
	for (int i = 0; i < nuart; i++) {
		size_t from = uarts[i].port == 0x3f8 ? com1_has : 0;
		serial_write(i, earlylog + from, earlylen - from);
	}
	probed = true;

	if (fbcons_active()) {
		void *wc = vm_map_mmio_as(bootinfo->fb.base, bootinfo->fb.size, VM_WC);
		if (wc)
			fbcons_remap(wc);
	}
	/* one line, in pieces: only this CPU runs yet */
	kprintf("console:");
	console_describe(kprintf);
	kprintf("\n");
}

/* console_describe says which consoles were found, through pf (kprintf
 * at boot, the hardware report's printf): ` serial COM2 (0x2f8, 115200,
 * SPCR), framebuffer 1280x800`, or ` none`. */
void console_describe(int (*pf)(const char *, ...))
{
	for (int i = 0; i < nuart; i++) {
		const struct uart *u = &uarts[i];
		pf("%s serial %s", i ? "," : "", u->name);
		if (u->pci)
			pf(" %02x:%02x.%x", u->pciaddr.bus, u->pciaddr.dev, u->pciaddr.fn);
		if (u->port)
			pf(" (%#x", u->port);
		else
			pf(" (mmio %#lx", u->phys);
		if (u->baud)
			pf(", %u", u->baud);
		pf("%s)", u->spcr ? ", SPCR" : "");
	}
	if (fbcons_active())
		pf("%s framebuffer %ux%u", nuart ? "," : "", bootinfo->fb.width, bootinfo->fb.height);
	if (!nuart && !fbcons_active())
		pf(" none");
}

/* ---- input, from the first console ---- */

/* received bytes, from the interrupt handler to serial_read */
#define RXBUF 1024
static char rxbuf[RXBUF];
static uint32_t rxhead, rxtail;         /* rxtail written by the interrupt, rxhead by readers */
static struct spinlock rxlock;
static void (*rxhook)(void);

int serial_getc_nowait(void)
{
	if (nuart == 0 || !(rd(&uarts[0], LSR) & LSR_DR))
		return -1;
	return rd(&uarts[0], RBR);
}

/* on_rx drains the UART into rxbuf (dropping what does not fit) and tells
 * the runtime. */
static void on_rx(struct trapframe *tf)
{
	(void)tf;
	uint64_t fl = spin_lock_irqsave(&rxlock);
	int c;
	while ((c = serial_getc_nowait()) >= 0)
		if (rxtail - rxhead < RXBUF)
			rxbuf[rxtail++ % RXBUF] = (char)c;
	spin_unlock_irqrestore(&rxlock, fl);
	if (rxhook)
		rxhook();
}

/* serial_enable_rx turns on the first console's receive interrupt, routed
 * through the I/O APIC to the boot CPU. */
bool serial_enable_rx(void (*hook)(void))
{
	if (nuart == 0 || uarts[0].isa_irq < 0)
		return false;
	struct uart *u = &uarts[0];
	rxhook = hook;
	set_intr_handler(CONSOLE_VECTOR, on_rx);
	if (!ioapic_route_isa((uint8_t)u->isa_irq, CONSOLE_VECTOR, cpus[0].apicid))
		return false;
	wr(u, MCR, 0x0b);               /* DTR, RTS, OUT2: OUT2 gates the IRQ line on PCs */
	wr(u, IER, 0x01);               /* received data available */
	return true;
}

/* serial_read takes up to n received bytes; returns how many (0: none yet). */
size_t serial_read(char *buf, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&rxlock);
	size_t k = 0;
	while (k < n && rxhead != rxtail)
		buf[k++] = rxbuf[rxhead++ % RXBUF];
	spin_unlock_irqrestore(&rxlock, fl);
	return k;
}
