/*
 * kdigest.h - the kernel digest built into the loader: a slot in the
 * loader's .data that tools/kdigest.py fills with KERNEL.ELF's SHA-256
 * before the loader is signed, and the decision the loader takes from it.
 * Free of EFI, so the host tests build it as it is.
 *
 * The slot is found in BOOTX64.EFI by its marker, which appears nowhere
 * else in the file. Empty (filled == 0): an unsigned development build,
 * the kernel is not checked unless Secure Boot is on. Filled (1): the
 * kernel must hash to digest, whatever the Secure Boot state.
 */
#ifndef BOOT_KDIGEST_H
#define BOOT_KDIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

/* exactly 32 characters: the array holds no NUL */
#define KDIGEST_MARKER "rt loader: KERNEL.ELF SHA-256 ->"

enum { KDIGEST_EMPTY = 0, KDIGEST_FILLED = 1 };

struct kdigest_slot {
	char marker[32];                /* KDIGEST_MARKER */
	uint32_t filled;                /* KDIGEST_EMPTY or KDIGEST_FILLED, little-endian */
	uint32_t reserved;              /* 0 */
	uint8_t digest[SHA256_SIZE];    /* SHA-256 of KERNEL.ELF when filled */
};

/* What the loader may do with the kernel it read. */
enum {
	KDIGEST_REFUSE = -1,            /* do not start it: why says so */
	KDIGEST_UNCHECKED = 0,          /* no digest, Secure Boot not on: start it as it is */
	KDIGEST_CHECKED = 1,            /* it matched the slot's digest */
};

/*
 * kdigest_check decides for the kernel file [file, file+size) against the
 * slot; secure_boot_on: the firmware enforces Secure Boot (a signed loader
 * must not start an unchecked kernel). got receives the file's SHA-256
 * when it was computed (slot filled), else zeros. On KDIGEST_REFUSE, why
 * holds the reason (NUL-terminated, cut to whylen).
 */
int kdigest_check(const struct kdigest_slot *slot, const void *file, size_t size,
                  int secure_boot_on, uint8_t got[SHA256_SIZE], char *why, size_t whylen);

/* kdigest_hex writes the first n bytes of d as 2n lowercase hex digits and a NUL. */
void kdigest_hex(const uint8_t *d, int n, char *out);

#endif
