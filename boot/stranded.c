/*
 * stranded.c - what the loader can still do once ExitBootServices has been
 * tried and failed for good. The UEFI specification allows nothing after
 * a failed ExitBootServices but GetMemoryMap and another try: the firmware
 * may have torn its boot services down part of the way (OVMF clears
 * ConOut and the boot services table when it succeeds), so Print, Stall
 * and returning to the boot manager are all gone. What is left is the
 * hardware itself: COM1 written directly, the GOP framebuffer drawn with
 * the kernel's own console code (kernel/fbcons.c, linked into the loader
 * too), QEMU's isa-debug-exit, and a halt with interrupts off, the message
 * on the screen.
 */
#include <stddef.h>
#include <stdint.h>

#include "../include/bootinfo.h"
#include "../kernel/console.h"
#include "stranded.h"

#define COM1 0x3f8
enum { THR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };
#define LSR_THRE 0x20

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

int under_qemu(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 31)))
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	/* "TCGTCGTCGTCG" or "KVMKVMKVM\0\0\0", in ebx, ecx, edx */
	return (b == 0x54474354 && c == 0x43544743 && d == 0x47435447) ||
	       (b == 0x4b4d564b && c == 0x564b4d56 && d == 0x0000004d);
}

/* serial_start: COM1 at 115200 8N1 as the kernel sets it up (the firmware
 * may have left it otherwise); 0 when there is no UART (the scratch
 * register does not keep a value). */
static int serial_start(void)
{
	outb(COM1 + SCR, 0x5a);
	if (inb(COM1 + SCR) != 0x5a)
		return 0;
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x80);
	outb(COM1 + DLL, 1);
	outb(COM1 + DLM, 0);
	outb(COM1 + LCR, 0x03);
	outb(COM1 + FCR, 0xc7);
	outb(COM1 + MCR, 0x03);
	return 1;
}

static void serial_put(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + LSR) & LSR_THRE); i++)
		__asm__ volatile("pause");
	outb(COM1 + THR, (uint8_t)c);
}

static int have_serial;

static void say(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' && have_serial)
			serial_put('\r');
		if (have_serial)
			serial_put(*s);
		fbcons_putc(*s);
	}
	fbcons_flush();
}

static void say_hex(uint64_t v)
{
	char buf[19] = "0x", *p = buf + 2;
	int started = 0;
	for (int sh = 60; sh >= 0; sh -= 4) {
		unsigned dgt = (unsigned)(v >> sh) & 15;
		if (!dgt && !started && sh)
			continue;
		started = 1;
		*p++ = (char)(dgt < 10 ? '0' + dgt : 'a' + dgt - 10);
	}
	*p = 0;
	say(buf);
}

void stranded(const struct bootinfo_fb *fb, const char *what, uint64_t status, int tries)
{
	__asm__ volatile("cli");
	have_serial = serial_start();
	if (fb->base && fb->size)
		fbcons_init((volatile uint32_t *)fb->base, fb->width, fb->height, fb->stride, fb->format, 0);
	say("\nloader: ");
	say(what);
	say(" failed (status ");
	say_hex(status);
	say(") after ");
	char n[3] = { (char)('0' + tries / 10 % 10), (char)('0' + tries % 10), 0 };
	say(tries >= 10 ? n : n + 1);
	say(" tries; the firmware's services may be gone\n");
	say("loader: not starting the kernel\n");
	if (under_qemu()) {
		say("exit status 2\n");
		outb(0xf4, 2);
	}
	say("loader: halted: turn the machine off\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
