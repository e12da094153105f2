/*
 * secureboot.h - the loader's Secure Boot state and its check of
 * KERNEL.ELF against the digest built into the loader (kdigest.h).
 */
#ifndef BOOT_SECUREBOOT_H
#define BOOT_SECUREBOOT_H

#include <efi.h>

#include "../include/bootinfo.h"

/*
 * secureboot_check_kernel reads the firmware's SecureBoot and SetupMode
 * variables into bi->secure_boot, checks the kernel file as read (before
 * anything parses it) and sets bi->kernel_checked. It prints one line
 * saying both and returns 0 to go on; -1 to refuse the kernel, with the
 * reason in why.
 */
int secureboot_check_kernel(const void *file, UINT64 size, struct bootinfo *bi, char *why, UINTN whylen);

#endif
