/*
 * serial.c - COM1, a 16550 UART at I/O port 0x3f8, 115200 8N1, polled.
 * Polling keeps printing safe from any context (traps included); console
 * input by interrupt comes with the interrupt controller.
 */
#include "console.h"
#include "cpu.h"
#include "kernel.h"

#define COM1 0x3f8
enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
#define LSR_DR   0x01   /* data ready */
#define LSR_THRE 0x20   /* transmit holding register empty */

static int present;

/* received bytes, from the interrupt handler to serial_read */
#define RXBUF 1024
static char rxbuf[RXBUF];
static uint32_t rxhead, rxtail;         /* rxtail written by the interrupt, rxhead by readers */
static struct spinlock rxlock;
static void (*rxhook)(void);

void serial_init(void)
{
	/* A missing UART reads back 0xff; the scratch register tells. */
	outb(COM1 + SCR, 0x5a);
	if (inb(COM1 + SCR) != 0x5a)
		return;
	outb(COM1 + IER, 0x00);         /* no interrupts yet */
	outb(COM1 + LCR, 0x80);         /* DLAB: divisor follows */
	outb(COM1 + DLL, 1);            /* 115200 / 1 */
	outb(COM1 + DLM, 0);
	outb(COM1 + LCR, 0x03);         /* 8 bits, no parity, 1 stop */
	outb(COM1 + FCR, 0xc7);         /* FIFOs on, cleared, 14-byte threshold */
	outb(COM1 + MCR, 0x03);         /* DTR, RTS */
	present = 1;
}

void serial_putc(char c)
{
	if (!present)
		return;
	/* bounded wait: a wedged UART must not hang the machine */
	for (int i = 0; i < 100000 && !(inb(COM1 + LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1 + THR, (uint8_t)c);
}

int serial_getc_nowait(void)
{
	if (!present || !(inb(COM1 + LSR) & LSR_DR))
		return -1;
	return inb(COM1 + RBR);
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

/* serial_enable_rx turns on the receive interrupt (COM1 is ISA IRQ 4),
 * routed through the I/O APIC to the boot CPU. */
bool serial_enable_rx(void (*hook)(void))
{
	if (!present)
		return false;
	rxhook = hook;
	set_intr_handler(CONSOLE_VECTOR, on_rx);
	if (!ioapic_route_isa(4, CONSOLE_VECTOR, cpus[0].apicid))
		return false;
	outb(COM1 + MCR, 0x0b);         /* DTR, RTS, OUT2: OUT2 gates the IRQ line on PCs */
	outb(COM1 + IER, 0x01);         /* received data available */
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
