/*
 * console.h - the machine's text outputs: COM1 and the GOP framebuffer.
 * console_write (console.c) sends the same bytes to both.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* serial.c: COM1 16550, 115200 8N1, polled. */
void serial_init(void);
void serial_putc(char c);
int  serial_getc_nowait(void);          /* -1 when nothing is waiting */
#include <stdbool.h>
bool serial_enable_rx(void (*hook)(void));     /* receive interrupt; hook runs in it */
size_t serial_read(char *buf, size_t n);       /* received bytes, 0 if none */

/* fbcons.c: text console drawn with a bitmap font, scrolls at the bottom.
 * base is the framebuffer's virtual address (through the direct map);
 * format as in struct bootinfo_fb (0 RGBX, 1 BGRX). */
void fbcons_init(volatile uint32_t *base, uint32_t width, uint32_t height,
                 uint32_t stride, uint32_t format);
void fbcons_putc(char c);
int  fbcons_active(void);

/* console.c */
void console_write(const char *s, size_t n);
int console_owner(void);                /* the CPU writing now, -1 if none */

#endif
