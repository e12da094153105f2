/*
 * serial.c - COM1, a 16550 UART at I/O port 0x3f8, 115200 8N1, polled.
 * Polling keeps printing safe from any context (traps included); console
 * input by interrupt comes with the interrupt controller.
 */
#include "console.h"
#include "cpu.h"

#define COM1 0x3f8
enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
#define LSR_DR   0x01   /* data ready */
#define LSR_THRE 0x20   /* transmit holding register empty */

static int present;

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
