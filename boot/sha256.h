/*
 * sha256.h - SHA-256 (FIPS 180-4), for the loader's check of KERNEL.ELF
 * against the digest built into a signed loader. Pure C, no EFI and no
 * libc, so the host tests build it as it is.
 */
#ifndef BOOT_SHA256_H
#define BOOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_SIZE 32          /* bytes of a digest */

struct sha256 {
	uint32_t h[8];          /* the hash value so far */
	uint64_t len;           /* bytes hashed so far */
	uint8_t block[64];      /* the partial block not yet compressed */
	unsigned fill;          /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_SIZE]);

/* sha256 hashes one buffer. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_SIZE]);

#endif
