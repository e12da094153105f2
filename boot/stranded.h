/*
 * stranded.h - the loader's last words when ExitBootServices has failed
 * for good and no boot service may be called (stranded.c).
 */
#ifndef BOOT_STRANDED_H
#define BOOT_STRANDED_H

#include <stdint.h>

#include "../include/bootinfo.h"

/* under_qemu: the hypervisor leaf names QEMU's TCG or KVM; only then is
 * port 0xf4 (isa-debug-exit) ours to write. */
int under_qemu(void);

/* stranded prints "loader: <what> failed (status 0x...) after N tries ..."
 * on COM1 and the framebuffer (fb: the GOP's, base 0 for none) without
 * the firmware, then ends the run: under QEMU with exit status 2 through
 * isa-debug-exit, elsewhere halted with the message on screen. */
__attribute__((noreturn)) void stranded(const struct bootinfo_fb *fb, const char *what, uint64_t status, int tries);

#endif
