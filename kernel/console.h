/*
 * console.h - the machine's text outputs: the serial consoles and the GOP
 * framebuffer. console_write (console.c) sends the same bytes to each.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* serial.c: 16550-compatible UARTs, 8N1, polled; the first one is read. */
void serial_init(void);                 /* COM1 if present, until console_probe */
void console_probe(void);               /* SPCR, PCI, COM1-4; after vm_init */
void console_describe(int (*pf)(const char *, ...));   /* the consoles found, one line's worth */
int  serial_count(void);
void serial_write(int i, const char *s, size_t n);     /* to UART i, '\n' as "\r\n" */
void serial_remember(const char *s, size_t n);  /* kept for consoles found by console_probe */
int  serial_getc_nowait(void);          /* -1 when nothing is waiting */
#include <stdbool.h>
bool serial_enable_rx(void (*hook)(void));     /* receive interrupt; hook runs in it */
size_t serial_read(char *buf, size_t n);       /* received bytes, 0 if none */

/* fbcons.c: text console drawn with a bitmap font, scrolls at the bottom.
 * base is the framebuffer's virtual address (through the direct map);
 * format as in struct bootinfo_fb (0 RGBX, 1 BGRX); text_end the pixel
 * rows at the top the firmware's text occupies (kept), 0 when unknown
 * (the screen is cleared). fbcons_putc changes the text; fbcons_flush
 * draws what changed since the last flush. */
void fbcons_init(volatile uint32_t *base, uint32_t width, uint32_t height,
                 uint32_t stride, uint32_t format, uint32_t text_end);
void fbcons_remap(volatile uint32_t *base);     /* the same framebuffer, another mapping */
void fbcons_putc(char c);
void fbcons_flush(void);
int  fbcons_active(void);

/* console.c */
void console_write(const char *s, size_t n);
int console_owner(void);                /* the CPU writing now, -1 if none */

#endif
